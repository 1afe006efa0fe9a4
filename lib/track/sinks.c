/*
 * sinks.c - where samples go besides the totals: one JSON line per sample
 * (log=FILE), and the checkpoint (checkpoint=FILE), written atomically so
 * that a killed job loses at most one checkpoint interval and never finds
 * a half-written file.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/internal.h"
#include "../core/json.h"
#include "../meter/backend.h"
#include "tracker.h"

#define CHECKPOINT_FORMAT "llmcarbon-checkpoint"
#define CHECKPOINT_VERSION 1

static json_t *identity_json(const llmc_tracker *t)
{
    json_t *o = json_object();
    json_object_set_new(o, "host", json_string(t->id.host));
    json_object_set_new(o, "job", *t->id.job ? json_string(t->id.job)
                                             : json_null());
    json_object_set_new(o, "rank", t->id.rank >= 0 ? json_integer(t->id.rank)
                                                   : json_null());
    json_object_set_new(o, "local_rank", t->id.local_rank >= 0
                                             ? json_integer(t->id.local_rank)
                                             : json_null());
    json_object_set_new(o, "world_size", t->id.world_size >= 0
                                             ? json_integer(t->id.world_size)
                                             : json_null());
    json_object_set_new(o, "pid", json_integer((json_int_t)getpid()));
    return o;
}

void llmc__log_sample(llmc_tracker *t, double de_j, double op_kg,
                      double emb_kg, double dt_s)
{
    json_t *line = json_object(), *meters = json_array();
    char stamp[32], *text;
    struct timespec ts;
    time_t now;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    now = ts.tv_sec;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    for (size_t i = 0; i < t->nchans; i++) {
        const struct llmc__channel *ch = &t->meter->channels[i];
        const struct llmc__chan *c = &t->chans[i];
        json_t *m = json_pack("{s:s, s:s, s:b}", "name", ch->name, "method",
                              llmc_method_name(ch->method), "counted",
                              c->held);
        json_object_set_new(m, "energy_j", c->held && !isnan(ch->energy_j)
                                               ? json_real(c->delta_j)
                                               : json_null());
        if (ch->status != LLMC_OK)
            json_object_set_new(m, "status",
                                json_string(llmc_status_name(ch->status)));
        json_array_append_new(meters, m);
    }
    json_object_set_new(line, "time", json_string(stamp));
    json_object_set_new(line, "time_unix_s",
                        json_real((double)ts.tv_sec + ts.tv_nsec / 1e9));
    json_object_set_new(line, "interval_s", json_real(dt_s));
    {
        json_t *id = identity_json(t);
        json_object_update(line, id);
        json_decref(id);
    }
    json_object_set_new(line, "phase",
                        json_string(t->phase_names[t->phase_at_last_sample]));
    json_object_set_new(line, "step", json_integer((json_int_t)(t->total.steps +
                                                                t->resumed.steps)));
    json_object_set_new(line, "tokens",
                        json_integer((json_int_t)(t->total.tokens +
                                                  t->resumed.tokens)));
    json_object_set_new(line, "energy_j", t->measured ? json_real(de_j)
                                                      : json_null());
    json_object_set_new(line, "meters", meters);
    json_object_set_new(line, "intensity_gco2e_per_kwh",
                        t->intensity_ok ? json_real(t->intensity.gco2e_per_kwh)
                                        : json_null());
    json_object_set_new(line, "intensity_source",
                        json_string(llmc_grid_spec(t->grid)));
    json_object_set_new(line, "intensity_basis",
                        json_string(llmc_basis_name(t->intensity.basis)));
    json_object_set_new(line, "pue", json_real(t->pue));
    json_object_set_new(line, "operational_kgco2e",
                        t->measured && t->intensity_ok ? json_real(op_kg)
                                                       : json_null());
    json_object_set_new(line, "embodied_kgco2e", json_real(emb_kg));
    text = llmc__json_text(line, JSON_COMPACT | JSON_PRESERVE_ORDER |
                                     JSON_REAL_PRECISION(12));
    json_decref(line);
    if (!text)
        return;
    if (fprintf(t->log, "%s\n", text) < 0 || fflush(t->log) != 0)
        llmc__problem(t, "writing the log '%s' failed: %s", t->log_path,
                      strerror(errno));
    free(text);
}

static json_t *acc_json(const struct llmc__acc *a, const struct llmc__acc *b)
{
    return json_pack("{s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I}",
                     "energy_j", a->energy_j + b->energy_j,
                     "operational_kgco2e",
                     a->operational_kgco2e + b->operational_kgco2e,
                     "embodied_kgco2e", a->embodied_kgco2e + b->embodied_kgco2e,
                     "duration_s", a->duration_s + b->duration_s,
                     "ci_energy_j", a->ci_energy_j + b->ci_energy_j,
                     "steps", (json_int_t)(a->steps + b->steps),
                     "tokens", (json_int_t)(a->tokens + b->tokens),
                     "samples", (json_int_t)(a->samples + b->samples));
}

/* Writes, flushes and fsyncs path.tmp, then renames it over path and
 * fsyncs the directory: either the old or the new checkpoint survives a
 * crash, never a torn one. */
static int write_atomically(const char *path, const char *text)
{
    char tmp[4200], dir[4200];
    size_t len = strlen(text);
    int fd, e;

    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno;
    for (size_t off = 0; off < len;) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            e = errno;
            close(fd);
            unlink(tmp);
            return e;
        }
        off += (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        e = errno;
        unlink(tmp);
        return e;
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        return e;
    }
    snprintf(dir, sizeof dir, "%s", path);
    if ((fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
        fsync(fd);
        close(fd);
    }
    return 0;
}

int llmc__checkpoint_write(llmc_tracker *t)
{
    json_t *root = json_object(), *phases = json_array();
    char *text;
    int e;

    json_object_set_new(root, "format", json_string(CHECKPOINT_FORMAT));
    json_object_set_new(root, "version", json_integer(CHECKPOINT_VERSION));
    json_object_set_new(root, "written_unix_s",
                        json_integer((json_int_t)time(NULL)));
    json_object_set_new(root, "identity", identity_json(t));
    json_object_set_new(root, "totals", acc_json(&t->total, &t->resumed));
    for (unsigned p = 0; p < t->nphases; p++) {
        json_t *a = acc_json(&t->phases[p], &t->resumed_phases[p]);
        json_object_set_new(a, "name", json_string(t->phase_names[p]));
        json_array_append_new(phases, a);
    }
    json_object_set_new(root, "phases", phases);
    text = llmc__json_text(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                     JSON_REAL_PRECISION(17));
    json_decref(root);
    if (!text)
        return llmc__fail(LLMC_ENOMEM, "out of memory writing the checkpoint");
    e = write_atomically(t->checkpoint_path, text);
    free(text);
    if (e != 0) {
        llmc__problem(t, "writing the checkpoint '%s' failed: %s",
                      t->checkpoint_path, strerror(e));
        return llmc__fail(e == EACCES ? LLMC_EPERM : LLMC_EIO,
                          "cannot write the checkpoint '%s': %s",
                          t->checkpoint_path, strerror(e));
    }
    return LLMC_OK;
}

static int acc_read(struct llmc__acc *a, json_t *o, const char *path)
{
    json_int_t steps, tokens, samples;
    json_error_t err;
    if (json_unpack_ex(o, &err, 0, "{s:F, s:F, s:F, s:F, s:F, s:I, s:I, s:I}",
                       "energy_j", &a->energy_j, "operational_kgco2e",
                       &a->operational_kgco2e, "embodied_kgco2e",
                       &a->embodied_kgco2e, "duration_s", &a->duration_s,
                       "ci_energy_j", &a->ci_energy_j, "steps", &steps,
                       "tokens", &tokens, "samples", &samples) != 0)
        return llmc__fail(LLMC_EFORMAT,
                          "checkpoint '%s': %s; move the file away to start "
                          "afresh",
                          path, err.text);
    if (!isfinite(a->energy_j) || a->energy_j < 0 || steps < 0 || tokens < 0 ||
        samples < 0 || !isfinite(a->operational_kgco2e) ||
        a->operational_kgco2e < 0)
        return llmc__fail(LLMC_EFORMAT,
                          "checkpoint '%s' holds negative or non-finite "
                          "totals; move the file away to start afresh",
                          path);
    a->steps = (uint64_t)steps;
    a->tokens = (uint64_t)tokens;
    a->samples = (uint64_t)samples;
    return LLMC_OK;
}

int llmc__checkpoint_read(llmc_tracker *t)
{
    json_error_t err;
    json_t *root, *phases, *item;
    const char *format;
    size_t i;
    int rc;

    if (access(t->checkpoint_path, F_OK) != 0)
        return LLMC_OK; /* the first run: nothing to resume */
    root = json_load_file(t->checkpoint_path, JSON_REJECT_DUPLICATES, &err);
    if (!root)
        return llmc__fail(errno == EACCES ? LLMC_EPERM : LLMC_EFORMAT,
                          "checkpoint '%s':%d: %s; move the file away to "
                          "start afresh",
                          t->checkpoint_path, err.line, err.text);
    format = json_string_value(json_object_get(root, "format"));
    if (!format || strcmp(format, CHECKPOINT_FORMAT) != 0 ||
        json_integer_value(json_object_get(root, "version")) !=
            CHECKPOINT_VERSION) {
        json_decref(root);
        return llmc__fail(LLMC_EFORMAT,
                          "'%s' is not a libllmcarbon checkpoint of version "
                          "%d; give another path or move it away",
                          t->checkpoint_path, CHECKPOINT_VERSION);
    }
    {   /* one file per rank: resuming another rank's totals would count
         * them twice */
        json_t *r = json_object_get(json_object_get(root, "identity"), "rank");
        if (json_is_integer(r) && t->id.rank >= 0 &&
            json_integer_value(r) != t->id.rank) {
            int other = (int)json_integer_value(r);
            json_decref(root);
            return llmc__fail(LLMC_EINVAL,
                              "checkpoint '%s' holds the totals of rank %d, "
                              "and this is rank %d; give each rank its own "
                              "file, e.g. checkpoint=run-{rank}.ckpt",
                              t->checkpoint_path, other, t->id.rank);
        }
    }
    if ((rc = acc_read(&t->resumed, json_object_get(root, "totals"),
                       t->checkpoint_path)) != LLMC_OK) {
        json_decref(root);
        return rc;
    }
    phases = json_object_get(root, "phases");
    json_array_foreach(phases, i, item) {
        const char *name = json_string_value(json_object_get(item, "name"));
        int p;
        if (!name || !*name || strlen(name) >= LLMC__PHASE_NAME)
            continue;
        p = llmc__phase_find(t, name);
        if (p < 0 && t->nphases < LLMC__PHASES) {
            p = (int)t->nphases++;
            snprintf(t->phase_names[p], LLMC__PHASE_NAME, "%s", name);
        }
        if (p >= 0 && (rc = acc_read(&t->resumed_phases[p], item,
                                     t->checkpoint_path)) != LLMC_OK) {
            json_decref(root);
            return rc;
        }
    }
    json_decref(root);
    t->resumed_from_checkpoint = 1;
    return LLMC_OK;
}
