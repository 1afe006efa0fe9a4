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
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../core/internal.h"
#include "../core/json.h"
#include "../meter/meter.h"
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

/* "time" and "time_unix_s" of a log line: when it is written. */
static void log_stamp(json_t *line)
{
    char stamp[32];
    int64_t ns = llmc__unix_ns();
    time_t now = (time_t)(ns / 1000000000);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_object_set_new(line, "time", json_string(stamp));
    json_object_set_new(line, "time_unix_s",
                        json_real((double)(ns / 1000000000) +
                                  (double)(ns % 1000000000) / 1e9));
}

/* The most the log's queue holds while its filesystem stalls: about ten
 * thousand samples' lines. Beyond it, lines are dropped and counted lost. */
#define QUEUE_MAX_BYTES (16u << 20)

/* Queues one line for the writer, or says why it was lost; a line missing
 * keys for want of memory is not written (want: the keys it must have).
 * Under mu. */
static void log_write(llmc_tracker *t, json_t *line, size_t want)
{
    struct llmc__writer *w = &t->writer;
    char *text = NULL;
    size_t n;
    int full = 0, nomem = 0;

    if (line && json_object_size(line) == want)
        text = llmc__json_text(line, JSON_COMPACT | JSON_PRESERVE_ORDER |
                                         JSON_REAL_PRECISION(12));
    json_decref(line);
    if (!text) {
        t->log_lines_lost++;
        llmc__problem(t, "a line of the log '%s' was lost: out of memory",
                      t->log_path);
        return;
    }
    n = strlen(text);
    pthread_mutex_lock(&w->q_mu);
    if (w->len + n + 1 > QUEUE_MAX_BYTES) {
        full = 1;
    } else if (w->len + n + 1 > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        char *grown;
        while (cap < w->len + n + 1)
            cap *= 2;
        if ((grown = realloc(w->lines, cap)) != NULL) {
            w->lines = grown;
            w->cap = cap;
        } else {
            nomem = 1;
        }
    }
    if (!full && !nomem) {
        memcpy(w->lines + w->len, text, n);
        w->lines[w->len + n] = '\n';
        w->len += n + 1;
        w->nlines++;
    }
    pthread_mutex_unlock(&w->q_mu);
    free(text);
    if (full) {
        t->log_lines_lost++;
        llmc__problem(t, "lines of the log '%s' were lost: the writes are "
                      "more than %u MiB behind the samples (its filesystem "
                      "stalls); put the log on a local disk",
                      t->log_path, QUEUE_MAX_BYTES >> 20);
    } else if (nomem) {
        t->log_lines_lost++;
        llmc__problem(t, "a line of the log '%s' was lost: out of memory",
                      t->log_path);
    }
}

void llmc__log_sample(llmc_tracker *t, double de_j, double op_kg,
                      double emb_kg, double dt_s)
{
    json_t *line = json_object(), *meters = json_array();
    int mixed;

    if (!line || !meters) {
        json_decref(meters);
        log_write(t, line, (size_t)-1);
        return;
    }
    for (size_t i = 0; i < t->nchans; i++) {
        const struct llmc__chan *c = &t->chans[i];
        llmc_channel ch;
        json_t *m;
        llmc__meter_view(&ch, t->meter, i);
        m = json_pack("{s:s, s:s, s:b}", "name", ch.name, "method",
                      llmc_method_name(ch.method), "counted", c->held);
        if (!m) {
            json_decref(meters);
            json_decref(line);
            log_write(t, NULL, 0);
            return;
        }
        json_object_set_new(m, "energy_j", c->held && !isnan(ch.energy_j)
                                               ? json_real(c->delta_j)
                                               : json_null());
        if (ch.status != LLMC_OK)
            json_object_set_new(m, "status",
                                json_string(llmc_status_name(ch.status)));
        if (json_array_append_new(meters, m) != 0) {
            json_decref(meters);
            json_decref(line);
            log_write(t, NULL, 0);
            return;
        }
    }
    log_stamp(line);
    json_object_set_new(line, "interval_s", json_real(dt_s));
    {
        json_t *id = identity_json(t);
        json_object_update(line, id);
        json_decref(id);
    }
    json_object_set_new(line, "phase",
                        json_string(t->phase_names[t->phase_at_last_sample]));
    /* an interval not wholly in the phase the line names (a switch within
     * it, or at its end): the seconds of each phase in it, for a reader
     * that needs the share of training (the projection) */
    mixed = 0;
    for (unsigned p = 0; p < t->nphases && dt_s > 0; p++)
        if (p != t->phase_at_last_sample && t->phase_scratch[p] > 0)
            mixed = 1;
    if (mixed) {
        /* a member lost to want of memory leaves the key out: the line
         * then has fewer keys than log_write wants, and counts as lost */
        json_t *ps = json_object();
        int ok = ps != NULL;
        for (unsigned p = 0; p < t->nphases && ok; p++)
            if (t->phase_scratch[p] > 0)
                llmc__json_set(&ok, ps, t->phase_names[p],
                               json_real(t->phase_scratch[p]));
        if (ok)
            json_object_set_new(line, "phase_s", ps);
        else
            json_decref(ps);
    }
    json_object_set_new(line, "step", json_integer((json_int_t)(t->total.steps +
                                                                t->resumed.steps)));
    json_object_set_new(line, "tokens",
                        json_integer((json_int_t)(t->total.tokens +
                                                  t->resumed.tokens)));
    json_object_set_new(line, "energy_j", t->measured ? json_real(de_j)
                                                      : json_null());
    json_object_set_new(line, "meters", meters);
    /* null: no intensity was known for the interval; its energy is priced
     * later, in a "fill" line */
    json_object_set_new(line, "intensity_gco2e_per_kwh",
                        t->intensity_ok ? json_real(t->intensity.gco2e_per_kwh)
                                        : json_null());
    json_object_set_new(line, "intensity_source",
                        json_string(llmc_grid_spec(t->grid)));
    json_object_set_new(line, "intensity_basis",
                        json_string(llmc_basis_name(t->intensity.basis)));
    /* what the grid said of its value: read off a meter of the grid
     * ("measured"), modelled ("estimated") or predicted ("forecast"); null
     * with the intensity. A reader of older logs takes the key's absence
     * for unknown. */
    json_object_set_new(line, "intensity_kind",
                        !t->intensity_ok ? json_null()
                        : t->intensity.is_forecast
                            ? json_string("forecast")
                        : t->intensity.is_estimated
                            ? json_string("estimated")
                            : json_string("measured"));
    json_object_set_new(line, "pue", json_real(t->pue));
    json_object_set_new(line, "operational_kgco2e",
                        t->measured && isfinite(op_kg) ? json_real(op_kg)
                                                       : json_null());
    /* null: this tracker counts no embodied carbon (no hardware, or no
     * figure for it); unknown, not 0 */
    json_object_set_new(line, "embodied_kgco2e", t->embodied_included
                                                     ? json_real(emb_kg)
                                                     : json_null());
    /* what the embodied figure covers, and how it was made */
    json_object_set_new(line, "embodied_scope",
                        json_string(llmc__scope_name(t->embodied_scope)));
    json_object_set_new(line, "embodied_method",
                        t->embodied_included
                            ? json_string(t->embodied_method)
                            : json_null());
    /* a run that took over from its checkpoint says so on every line:
     * when it took over, when the run before wrote what it took over, and
     * the energy it took over */
    if (t->resumed_from_checkpoint)
        json_object_set_new(line, "resumed",
                            json_pack("{s:I, s:I, s:f}", "from_unix_s",
                                      (json_int_t)t->start_unix_s,
                                      "checkpoint_written_unix_s",
                                      (json_int_t)t->resumed_written_unix_s,
                                      "energy_j", t->resumed.energy_j));
    /* time, time_unix_s, interval_s, 6 of identity, phase, step, tokens,
     * energy_j, meters, 4 of intensity, pue, 2 of CO2e, the embodied scope
     * and method, resumed, and phase_s */
    log_write(t, line, 23 + (t->resumed_from_checkpoint != 0) + mixed);
}

void llmc__log_fill(llmc_tracker *t, const struct llmc__span *s,
                    double gco2e_per_kwh, double op_kg, const char *filled_by)
{
    json_t *line = json_object(), *id;

    if (!line) {
        log_write(t, NULL, 0);
        return;
    }
    json_object_set_new(line, "type", json_string("fill"));
    log_stamp(line);
    if ((id = identity_json(t)) != NULL) {
        json_object_update(line, id);
        json_decref(id);
    }
    json_object_set_new(line, "from_unix_s", json_real(s->from_unix_s));
    json_object_set_new(line, "to_unix_s", json_real(s->to_unix_s));
    json_object_set_new(line, "energy_j", json_real(s->total_j));
    json_object_set_new(line, "intensity_gco2e_per_kwh",
                        json_real(gco2e_per_kwh));
    json_object_set_new(line, "operational_kgco2e", json_real(op_kg));
    json_object_set_new(line, "filled_by", json_string(filled_by));
    /* type, time, time_unix_s, 6 of identity, from, to, energy, intensity,
     * operational, filled_by */
    log_write(t, line, 15);
}

/* The plan the projection aims at: target_tokens, the ex-ante range when
 * the tracker was given one (plan=), and the training intervals the
 * projection skips; written at the start and when the target changes, so
 * a reader of the log projects as the tracker does. Under mu. */
void llmc__log_plan(llmc_tracker *t)
{
    json_t *line = json_object(), *id;

    if (!line) {
        log_write(t, NULL, 0);
        return;
    }
    json_object_set_new(line, "type", json_string("plan"));
    log_stamp(line);
    if ((id = identity_json(t)) != NULL) {
        json_object_update(line, id);
        json_decref(id);
    }
    json_object_set_new(line, "target_tokens",
                        json_integer((json_int_t)t->target_tokens));
    json_object_set_new(line, "plan_range_kgco2e",
                        isnan(t->plan_lo_kgco2e)
                            ? json_null()
                            : json_pack("[f, f]", t->plan_lo_kgco2e,
                                        t->plan_hi_kgco2e));
    json_object_set_new(line, "warmup_samples",
                        json_integer(LLMC__WARMUP_SAMPLES));
    /* type, time, time_unix_s, 6 of identity, target, range, warm-up */
    log_write(t, line, 12);
}

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* One line per ended window, written by the sample after its end. */
void llmc__log_window(llmc_tracker *t, const struct llmc__window_line *w)
{
    const llmc_totals *o = &w->totals;
    json_t *line = json_object(), *id;

    if (!line) {
        log_write(t, NULL, 0);
        return;
    }
    json_object_set_new(line, "type", json_string("window"));
    log_stamp(line);
    if ((id = identity_json(t)) != NULL) {
        json_object_update(line, id);
        json_decref(id);
    }
    json_object_set_new(line, "window", json_string(w->name));
    json_object_set_new(line, "begin_unix_s", json_real(w->begin_unix_s));
    json_object_set_new(line, "end_unix_s", json_real(w->end_unix_s));
    json_object_set_new(line, "duration_s", json_real(o->duration_s));
    json_object_set_new(line, "energy_j", num_or_null(o->energy_j));
    json_object_set_new(line, "operational_kgco2e",
                        num_or_null(o->operational_kgco2e));
    /* null, as on the sample lines, where no embodied carbon is counted */
    json_object_set_new(line, "embodied_kgco2e",
                        t->embodied_included
                            ? num_or_null(o->embodied_kgco2e)
                            : json_null());
    json_object_set_new(line, "total_kgco2e", num_or_null(o->total_kgco2e));
    json_object_set_new(line, "steps", json_integer((json_int_t)o->steps));
    json_object_set_new(line, "tokens", json_integer((json_int_t)o->tokens));
    json_object_set_new(line, "samples",
                        json_integer((json_int_t)o->samples));
    json_object_set_new(line, "unpriced_energy_j",
                        num_or_null(o->unpriced_energy_j));
    /* type, time, time_unix_s, 6 of identity, window, begin, end,
     * duration, energy, 3 of CO2e, steps, tokens, samples, unpriced */
    log_write(t, line, 21);
}

/* What one process can have counted: a checkpoint beyond these bounds is
 * damaged, not big. Documented in llmc_tracker_new(3). */
#define CKPT_MAX_ENERGY_J 1e15      /* 3 MW for ten years */
#define CKPT_MAX_KGCO2E 1e12        /* 1e15 J at 3,600 kgCO2e/kWh */
#define CKPT_MAX_DURATION_S 3.2e9   /* a century */
#define CKPT_MAX_CI_ENERGY_J 1e20   /* 1e15 J at 1e5 gCO2e/kWh */
#define CKPT_MAX_PHASES 65536       /* far more names than a run uses */
#define CKPT_MAX_BYTES (64 << 20)   /* a phase takes under 700 bytes */

/* Said after every refusal of a file read: it may hold the only record
 * of a long run, so it is never touched, and never called worthless. */
#define CKPT_KEPT "; the file was left untouched: repair it, or give " \
                  "another checkpoint path to start a new record beside it"

/* Checks the bounds above; where is "totals" or "phases[2]", tail what
 * follows the reason in the message. */
static int acc_check(const struct llmc__acc *a, const char *where,
                     const char *path, const char *tail)
{
    static const struct {
        const char *key;
        size_t off;
        double max;
        const char *unit;
    } f[] = {
        {"energy_j", offsetof(struct llmc__acc, energy_j), CKPT_MAX_ENERGY_J, "J"},
        {"operational_kgco2e", offsetof(struct llmc__acc, operational_kgco2e),
         CKPT_MAX_KGCO2E, "kgCO2e"},
        {"embodied_kgco2e", offsetof(struct llmc__acc, embodied_kgco2e),
         CKPT_MAX_KGCO2E, "kgCO2e"},
        {"duration_s", offsetof(struct llmc__acc, duration_s),
         CKPT_MAX_DURATION_S, "s"},
        {"ci_energy_j", offsetof(struct llmc__acc, ci_energy_j),
         CKPT_MAX_CI_ENERGY_J, "J x gCO2e/kWh"},
        {"unpriced_energy_j", offsetof(struct llmc__acc, unpriced_j),
         CKPT_MAX_ENERGY_J, "J"},
        {"filled_energy_j", offsetof(struct llmc__acc, filled_j),
         CKPT_MAX_ENERGY_J, "J"},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        double v;
        memcpy(&v, (const char *)a + f[i].off, sizeof v);
        if (!(v >= 0 && v <= f[i].max)) /* NaN fails too */
            return llmc__fail(LLMC_EFORMAT,
                              "checkpoint '%s': %s.%s is %.17g, not a number "
                              "from 0 to %g %s%s",
                              path, where, f[i].key, v, f[i].max, f[i].unit,
                              tail);
    }
    return LLMC_OK;
}

static json_t *acc_json(const struct llmc__acc *a, const struct llmc__acc *b)
{
    /* json_pack fails (NULL) on a NaN as on a failed allocation; the
     * caller checks the sums first, so NULL means out of memory */
    return json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I}",
                     "energy_j", a->energy_j + b->energy_j,
                     "operational_kgco2e",
                     a->operational_kgco2e + b->operational_kgco2e,
                     "embodied_kgco2e", a->embodied_kgco2e + b->embodied_kgco2e,
                     "duration_s", a->duration_s + b->duration_s,
                     "ci_energy_j", a->ci_energy_j + b->ci_energy_j,
                     "unpriced_energy_j", a->unpriced_j + b->unpriced_j,
                     "filled_energy_j", a->filled_j + b->filled_j,
                     "steps", (json_int_t)(a->steps + b->steps),
                     "tokens", (json_int_t)(a->tokens + b->tokens),
                     "samples", (json_int_t)(a->samples + b->samples));
}

static struct llmc__acc acc_sum(const struct llmc__acc *a,
                                const struct llmc__acc *b)
{
    struct llmc__acc s = {
        .energy_j = a->energy_j + b->energy_j,
        .operational_kgco2e = a->operational_kgco2e + b->operational_kgco2e,
        .embodied_kgco2e = a->embodied_kgco2e + b->embodied_kgco2e,
        .duration_s = a->duration_s + b->duration_s,
        .ci_energy_j = a->ci_energy_j + b->ci_energy_j,
        .unpriced_j = a->unpriced_j + b->unpriced_j,
        .filled_j = a->filled_j + b->filled_j,
        .steps = a->steps + b->steps,
        .tokens = a->tokens + b->tokens,
        .samples = a->samples + b->samples,
    };
    return s;
}

/* The status of a checkpoint write that failed with errno e. */
static int ckpt_status(int e)
{
    return e == EACCES || e == EPERM || e == EROFS ? LLMC_EPERM : LLMC_EIO;
}

/* Writes, flushes and fsyncs path.tmp.PID, then renames it over path and
 * fsyncs the directory: either the old or the new checkpoint survives a
 * crash, never a torn one. Returns LLMC_OK, or LLMC_EPERM or LLMC_EIO
 * with *why_errno saying why (no message: the writer has no caller to
 * tell; llmc__writer_checkpoint_result words it later). */
static int write_atomically(const char *path, const char *text,
                            int *why_errno)
{
    char tmp[4200], dir[4200];
    size_t len = strlen(text);
    int fd;

    *why_errno = 0;
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path,
                         (long)getpid()) >= sizeof tmp ||
        (size_t)snprintf(dir, sizeof dir, "%s", path) >= sizeof dir) {
        *why_errno = ENAMETOOLONG;
        return ckpt_status(*why_errno);
    }
    /* a killed writer of the same PID may have left one; never write
     * through a link someone planted under that name */
    if (unlink(tmp) != 0 && errno != ENOENT) {
        *why_errno = errno;
        return ckpt_status(*why_errno);
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
              0644);
    if (fd < 0) {
        *why_errno = errno;
        return ckpt_status(*why_errno);
    }
    for (size_t off = 0; off < len;) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            *why_errno = errno;
            close(fd);
            unlink(tmp);
            return ckpt_status(*why_errno);
        }
        off += (size_t)n;
    }
    if (fsync(fd) != 0) {
        *why_errno = errno;
        close(fd);
        unlink(tmp);
        return ckpt_status(*why_errno);
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        *why_errno = errno;
        unlink(tmp);
        return ckpt_status(*why_errno);
    }
    if ((fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
        fsync(fd);
        close(fd);
    }
    return LLMC_OK;
}

struct ckpt {
    int64_t written_unix_s;  /* when the run it resumes wrote it */
    struct llmc__acc total, *phase;    /* nphases each, or NULL */
    char (*name)[LLMC__PHASE_NAME];
    unsigned nphases;
    int has_rank;
    json_int_t rank;
};

static void ckpt_free(struct ckpt *c)
{
    free(c->phase);
    free(c->name);
    c->phase = NULL;
    c->name = NULL;
}

static int ckpt_parse(struct ckpt *c, const json_t *root, const char *path,
                      const char *tail);

/* Totals no reader would accept (acc_check said which): LLMC_ERANGE,
 * and a problem in the report. */
static int out_of_bounds(llmc_tracker *t)
{
    char why[600];
    snprintf(why, sizeof why, "%s", llmc_last_error());
    llmc__problem(t, "%s", why);
    return llmc__fail(LLMC_ERANGE, "%s", why);
}

int llmc__checkpoint_queue(llmc_tracker *t)
{
    json_t *root = json_object(), *phases = json_array();
    struct llmc__acc sum = acc_sum(&t->total, &t->resumed);
    struct ckpt check = {0};
    char *text = NULL, missing[400];
    int bad = 0;

    /* values no reader would accept are refused before anything is built,
     * so that a failure below can only be a failed allocation */
    if (t->nphases > CKPT_MAX_PHASES) {
        json_decref(root);
        json_decref(phases);
        llmc__fail(LLMC_ERANGE, "checkpoint '%s': the tracker has %u "
                   "phases, more than a checkpoint keeps (%d); use fewer "
                   "distinct phase names; the previous checkpoint was kept",
                   t->checkpoint_path, t->nphases, CKPT_MAX_PHASES);
        return out_of_bounds(t);
    }
    if (acc_check(&sum, "totals", t->checkpoint_path,
                  "; the previous checkpoint was kept") != LLMC_OK) {
        json_decref(root);
        json_decref(phases);
        return out_of_bounds(t);
    }
    bad |= json_object_set_new(root, "format", json_string(CHECKPOINT_FORMAT));
    bad |= json_object_set_new(root, "version", json_integer(CHECKPOINT_VERSION));
    bad |= json_object_set_new(root, "written_unix_s",
                               json_integer((json_int_t)llmc__unix_s()));
    bad |= json_object_set_new(root, "identity", identity_json(t));
    bad |= json_object_set_new(root, "totals", acc_json(&t->total, &t->resumed));
    for (unsigned p = 0; p < t->nphases; p++) {
        json_t *a;
        char where[32];
        sum = acc_sum(&t->phases[p], &t->resumed_phases[p]);
        snprintf(where, sizeof where, "phases[%u]", p);
        if (acc_check(&sum, where, t->checkpoint_path,
                      "; the previous checkpoint was kept") != LLMC_OK) {
            json_decref(root);
            json_decref(phases);
            return out_of_bounds(t);
        }
        a = acc_json(&t->phases[p], &t->resumed_phases[p]);
        /* both calls take a's reference, whatever happens */
        bad |= json_object_set_new(a, "name", json_string(t->phase_names[p]));
        bad |= json_array_append_new(phases, a);
    }
    bad |= json_object_set_new(root, "phases", phases);
    /* identity_json cannot say that a key failed; the reader's own check
     * finds any key that is missing */
    *missing = '\0';
    if (!bad && ckpt_parse(&check, root, t->checkpoint_path, "") != LLMC_OK) {
        snprintf(missing, sizeof missing, " (%s)", llmc_last_error());
        bad = 1;
    }
    ckpt_free(&check);
    if (!bad)
        text = llmc__json_text(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                         JSON_REAL_PRECISION(17));
    json_decref(root);
    if (!text) {
        llmc__problem(t, "out of memory writing the checkpoint '%s'; the "
                      "previous checkpoint was kept", t->checkpoint_path);
        return llmc__fail(LLMC_ENOMEM, "out of memory writing the checkpoint "
                          "'%s'%s; the previous checkpoint was kept",
                          t->checkpoint_path, missing);
    }
    /* the newest checkpoint replaces one still waiting: it holds all of
     * that one's totals */
    pthread_mutex_lock(&t->writer.q_mu);
    free(t->writer.checkpoint);
    t->writer.checkpoint = text;
    pthread_mutex_unlock(&t->writer.q_mu);
    return LLMC_OK;
}


void llmc__writer_init(struct llmc__writer *w)
{
    pthread_mutex_init(&w->io_mu, NULL);
    pthread_mutex_init(&w->q_mu, NULL);
}

void llmc__writer_free(struct llmc__writer *w)
{
    if (w->log)
        fclose(w->log);
    w->log = NULL;
    free(w->lines);
    free(w->checkpoint);
    pthread_mutex_destroy(&w->io_mu);
    pthread_mutex_destroy(&w->q_mu);
}

void llmc__writer_flush(llmc_tracker *t, int wait)
{
    struct llmc__writer *w = &t->writer;

    if (wait)
        pthread_mutex_lock(&w->io_mu);
    else if (pthread_mutex_trylock(&w->io_mu) != 0)
        return;
    for (;;) {
        char *lines, *checkpoint;
        size_t len;
        long nlines;
        int log_e = 0, ckpt_e = 0;

        pthread_mutex_lock(&w->q_mu);
        lines = w->lines;
        len = w->len;
        nlines = w->nlines;
        checkpoint = w->checkpoint;
        w->lines = NULL;
        w->len = w->cap = 0;
        w->nlines = 0;
        w->checkpoint = NULL;
        pthread_mutex_unlock(&w->q_mu);
        if (!len && !checkpoint) {
            free(lines);
            break;
        }
        /* the lines first: a sample's line is written before the
         * checkpoint that counts it, as each sample always did */
        if (len && w->log &&
            (fwrite(lines, 1, len, w->log) != len || fflush(w->log) != 0))
            log_e = errno ? errno : EIO;
        if (checkpoint &&
            write_atomically(t->checkpoint_path, checkpoint, &ckpt_e) !=
                LLMC_OK &&
            !ckpt_e)
            ckpt_e = EIO; /* kept as the failure's reason: never 0 */
        free(lines);
        free(checkpoint);
        pthread_mutex_lock(&w->q_mu);
        if (log_e) {
            w->lost += nlines;
            w->log_errno = log_e;
        }
        if (checkpoint) {
            w->checkpoint_errno = ckpt_e;
            if (ckpt_e)
                w->checkpoint_failed = ckpt_e;
        }
        pthread_mutex_unlock(&w->q_mu);
    }
    pthread_mutex_unlock(&w->io_mu);
}

void llmc__writer_close(llmc_tracker *t)
{
    struct llmc__writer *w = &t->writer;
    llmc__writer_flush(t, 1);
    pthread_mutex_lock(&w->io_mu);
    if (w->log)
        fclose(w->log); /* flushed above; a failure said there */
    w->log = NULL;
    pthread_mutex_unlock(&w->io_mu);
}

void llmc__writer_flush_released(llmc_tracker *t)
{
    pthread_mutex_unlock(&t->mu);
    llmc__writer_flush(t, 1);
    pthread_mutex_lock(&t->mu);
    llmc__writer_report(t);
}

void llmc__writer_report(llmc_tracker *t)
{
    struct llmc__writer *w = &t->writer;
    long lost;
    int log_e, ckpt_failed;

    pthread_mutex_lock(&w->q_mu);
    lost = w->lost;
    log_e = w->log_errno;
    ckpt_failed = w->checkpoint_failed;
    w->lost = 0;
    w->log_errno = 0;
    w->checkpoint_failed = 0;
    pthread_mutex_unlock(&w->q_mu);
    if (lost > 0)
        t->log_lines_lost += lost;
    if (log_e)
        llmc__problem(t, "writing the log '%s' failed: %s", t->log_path,
                      strerror(log_e));
    if (ckpt_failed)
        llmc__problem(t, "writing the checkpoint '%s' failed: %s",
                      t->checkpoint_path, strerror(ckpt_failed));
}

int llmc__writer_checkpoint_result(llmc_tracker *t)
{
    int e, status;

    pthread_mutex_lock(&t->writer.q_mu);
    e = t->writer.checkpoint_errno;
    pthread_mutex_unlock(&t->writer.q_mu);
    if (e == 0)
        return LLMC_OK;
    status = ckpt_status(e);
    return llmc__fail(status, "cannot write the checkpoint '%s': %s; %s",
                      t->checkpoint_path, strerror(e),
                      status == LLMC_EPERM
                          ? "let the job's user write to its directory, "
                            "or give another checkpoint path"
                          : "the previous checkpoint was kept");
}

/* What v is, for a message: "-5", "the string \"NaN\"", "missing". */
static const char *describe(char *buf, size_t size, const json_t *v)
{
    if (!v)
        snprintf(buf, size, "missing");
    else if (json_is_number(v))
        snprintf(buf, size, "%.17g", json_number_value(v));
    else if (json_is_string(v))
        snprintf(buf, size, "the string \"%.40s\"", json_string_value(v));
    else
        snprintf(buf, size, "%s", json_is_null(v)     ? "null"
                                  : json_is_boolean(v) ? "a boolean"
                                  : json_is_array(v)   ? "an array"
                                                       : "an object");
    return buf;
}

static int ckpt_acc(struct llmc__acc *a, const json_t *o, const char *where,
                    const char *path, const char *tail)
{
    /* the last two came later: a file without them has none */
    static const char *const reals[] = {"energy_j", "operational_kgco2e",
                                        "embodied_kgco2e", "duration_s",
                                        "ci_energy_j", "unpriced_energy_j",
                                        "filled_energy_j"};
    static const char *const counts[] = {"steps", "tokens", "samples"};
    double r[7];
    uint64_t n[3];
    char what[80];

    if (!json_is_object(o))
        return llmc__fail(LLMC_EFORMAT, "checkpoint '%s': %s is %s, not an "
                          "object of totals%s",
                          path, where, describe(what, sizeof what, o), tail);
    for (size_t i = 0; i < 7; i++) {
        const json_t *v = json_object_get(o, reals[i]);
        if (!v && i >= 5) {
            r[i] = 0.0;
            continue;
        }
        if (!json_is_number(v))
            return llmc__fail(LLMC_EFORMAT, "checkpoint '%s': %s.%s is %s, "
                              "not a number%s",
                              path, where, reals[i],
                              describe(what, sizeof what, v), tail);
        r[i] = json_number_value(v);
    }
    for (size_t i = 0; i < 3; i++) {
        const json_t *v = json_object_get(o, counts[i]);
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return llmc__fail(LLMC_EFORMAT, "checkpoint '%s': %s.%s is %s, "
                              "not an integer of 0 or more%s",
                              path, where, counts[i],
                              describe(what, sizeof what, v), tail);
        n[i] = (uint64_t)json_integer_value(v);
    }
    a->energy_j = r[0];
    a->operational_kgco2e = r[1];
    a->embodied_kgco2e = r[2];
    a->duration_s = r[3];
    a->ci_energy_j = r[4];
    a->unpriced_j = r[5];
    a->filled_j = r[6];
    a->steps = n[0];
    a->tokens = n[1];
    a->samples = n[2];
    return acc_check(a, where, path, tail);
}

struct named {
    const char *name;
    unsigned i;
};

static int by_name(const void *a, const void *b)
{
    const struct named *x = a, *y = b;
    int d = strcmp(x->name, y->name);
    return d ? d : (x->i > y->i) - (x->i < y->i);
}

/* Each phase name once: sorted, so that a list of any length is checked
 * in n log n. */
static int ckpt_unique(const struct ckpt *c, const char *path,
                       const char *tail)
{
    struct named *v;
    if (c->nphases < 2)
        return LLMC_OK;
    if (!(v = malloc(sizeof *v * c->nphases)))
        return llmc__fail(LLMC_ENOMEM, "out of memory reading the %u phases "
                          "of the checkpoint '%s'; the file was not changed",
                          c->nphases, path);
    for (unsigned k = 0; k < c->nphases; k++)
        v[k] = (struct named){c->name[k], k};
    qsort(v, c->nphases, sizeof *v, by_name);
    for (unsigned k = 1; k < c->nphases; k++)
        if (strcmp(v[k - 1].name, v[k].name) == 0) {
            int rc = llmc__fail(LLMC_EFORMAT, "checkpoint '%s': the phase "
                                "'%s' is there twice (phases[%u] and "
                                "phases[%u])%s",
                                path, v[k].name, v[k - 1].i, v[k].i, tail);
            free(v);
            return rc;
        }
    free(v);
    return LLMC_OK;
}

/* Every field of a checkpoint, checked into c; the tracker is not
 * touched, so a refused file changes nothing. */
static int ckpt_parse(struct ckpt *c, const json_t *root, const char *path,
                      const char *tail)
{
    static const char *const ints[] = {"rank", "local_rank", "world_size"};
    const json_t *v, *id, *phases, *item;
    char what[80];
    size_t i;
    int rc;

    memset(c, 0, sizeof *c);
    if (!json_is_object(root))
        return llmc__fail(LLMC_EFORMAT, "'%s' is not a libllmcarbon "
                          "checkpoint: it holds %s, not an object%s",
                          path, describe(what, sizeof what, root), tail);
    v = json_object_get(root, "format");
    if (!json_is_string(v) || strcmp(json_string_value(v), CHECKPOINT_FORMAT))
        return llmc__fail(LLMC_EFORMAT, "'%s' is not a libllmcarbon "
                          "checkpoint: format is %s, not \"%s\"%s",
                          path, describe(what, sizeof what, v),
                          CHECKPOINT_FORMAT, tail);
    v = json_object_get(root, "version");
    if (!json_is_integer(v) || json_integer_value(v) != CHECKPOINT_VERSION)
        return llmc__fail(LLMC_EFORMAT, "'%s' is not a libllmcarbon "
                          "checkpoint of version %d: version is %s%s",
                          path, CHECKPOINT_VERSION,
                          describe(what, sizeof what, v), tail);
    v = json_object_get(root, "written_unix_s");
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return llmc__fail(LLMC_EFORMAT, "checkpoint '%s': written_unix_s is "
                          "%s, not a time in seconds%s",
                          path, describe(what, sizeof what, v), tail);
    c->written_unix_s = (int64_t)json_integer_value(v);
    id = json_object_get(root, "identity");
    if (!json_is_object(id))
        return llmc__fail(LLMC_EFORMAT, "checkpoint '%s': identity is %s, "
                          "not an object%s",
                          path, describe(what, sizeof what, id), tail);
    v = json_object_get(id, "host");
    if (!json_is_string(v))
        return llmc__fail(LLMC_EFORMAT, "checkpoint '%s': identity.host is "
                          "%s, not a string%s",
                          path, describe(what, sizeof what, v), tail);
    v = json_object_get(id, "job");
    if (!json_is_string(v) && !json_is_null(v))
        return llmc__fail(LLMC_EFORMAT, "checkpoint '%s': identity.job is "
                          "%s, not a string or null%s",
                          path, describe(what, sizeof what, v), tail);
    for (i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        v = json_object_get(id, ints[i]);
        if (!json_is_null(v) &&
            !(json_is_integer(v) && json_integer_value(v) >= 0))
            return llmc__fail(LLMC_EFORMAT, "checkpoint '%s': identity.%s "
                              "is %s, not an integer of 0 or more or null%s",
                              path, ints[i], describe(what, sizeof what, v),
                              tail);
    }
    v = json_object_get(id, "pid");
    if (!json_is_integer(v) || json_integer_value(v) <= 0)
        return llmc__fail(LLMC_EFORMAT, "checkpoint '%s': identity.pid is "
                          "%s, not a process id%s",
                          path, describe(what, sizeof what, v), tail);
    v = json_object_get(id, "rank");
    c->has_rank = json_is_integer(v);
    c->rank = json_integer_value(v);
    if ((rc = ckpt_acc(&c->total, json_object_get(root, "totals"), "totals",
                       path, tail)) != LLMC_OK)
        return rc;
    phases = json_object_get(root, "phases");
    if (!json_is_array(phases) || json_array_size(phases) > CKPT_MAX_PHASES)
        return llmc__fail(LLMC_EFORMAT, "checkpoint '%s': phases is %s%s, "
                          "not an array of at most %d phases%s",
                          path, describe(what, sizeof what, phases),
                          json_is_array(phases) ? " too long" : "",
                          CKPT_MAX_PHASES, tail);
    if (json_array_size(phases) > 0 &&
        (!(c->phase = calloc(json_array_size(phases), sizeof *c->phase)) ||
         !(c->name = calloc(json_array_size(phases), sizeof *c->name)))) {
        ckpt_free(c);
        return llmc__fail(LLMC_ENOMEM, "out of memory reading the %zu phases "
                          "of the checkpoint '%s'; the file was not changed",
                          json_array_size(phases), path);
    }
    json_array_foreach(phases, i, item) {
        char where[80];
        const char *name = json_string_value(json_object_get(item, "name"));
        snprintf(where, sizeof where, "phases[%zu]", i);
        if (!name || !*name || strlen(name) >= LLMC__PHASE_NAME)
            return llmc__fail(LLMC_EFORMAT, "checkpoint '%s': %s.name is %s, "
                              "not a phase name of 1 to %d characters%s",
                              path, where,
                              describe(what, sizeof what,
                                       json_object_get(item, "name")),
                              LLMC__PHASE_NAME - 1, tail);
        if ((rc = ckpt_acc(&c->phase[c->nphases], item, where, path,
                           tail)) != LLMC_OK)
            return rc;
        snprintf(c->name[c->nphases++], LLMC__PHASE_NAME, "%s", name);
    }
    return ckpt_unique(c, path, tail);
}

/* The file's text, NUL-terminated, or NULL with *rc: LLMC_OK when there
 * is no file (a first run), else the failure. */
static char *ckpt_slurp(const char *path, size_t *len, int *rc)
{
    struct stat st;
    char *text;
    size_t got = 0;
    int fd, e;

    /* O_NONBLOCK: a FIFO planted under the name must not hang the start */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        e = errno;
        if (e == ENOENT)
            *rc = LLMC_OK;
        else if (e == EACCES || e == EPERM)
            *rc = llmc__fail(LLMC_EPERM, "cannot read the checkpoint '%s': "
                             "%s; give the job's user read and write access "
                             "to it and its directory (chmod u+rw), or "
                             "another checkpoint path; the file was not "
                             "changed",
                             path, strerror(e));
        else
            *rc = llmc__fail(e == ENOTDIR ? LLMC_EINVAL : LLMC_EIO,
                             "cannot open the checkpoint '%s': %s; give a "
                             "path to a file in a directory",
                             path, strerror(e));
        return NULL;
    }
    if (fstat(fd, &st) != 0) {
        e = errno;
        close(fd);
        *rc = llmc__fail(LLMC_EIO, "cannot read the checkpoint '%s': %s; "
                         "the file was not changed", path, strerror(e));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        if (S_ISDIR(st.st_mode))
            *rc = llmc__fail(LLMC_EINVAL, "checkpoint '%s' is a directory; "
                             "give the path of a file in it, e.g. "
                             "'%s/carbon.ckpt'",
                             path, path);
        else
            *rc = llmc__fail(LLMC_EINVAL, "checkpoint '%s' is not a regular "
                             "file; give the path of a file", path);
        return NULL;
    }
    if (st.st_size > CKPT_MAX_BYTES) {
        close(fd);
        *rc = llmc__fail(LLMC_EFORMAT, "checkpoint '%s' is %lld bytes, more "
                         "than any checkpoint (%d at most); is it the right "
                         "file?%s",
                         path, (long long)st.st_size, CKPT_MAX_BYTES,
                         CKPT_KEPT);
        return NULL;
    }
    if (!(text = malloc((size_t)st.st_size + 1))) {
        close(fd);
        *rc = llmc__fail(LLMC_ENOMEM, "out of memory reading the checkpoint "
                         "'%s'; the file was not changed",
                         path);
        return NULL;
    }
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, text + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) { /* shrunk under us, or a read error */
            e = n < 0 ? errno : 0;
            if (e == 0)
                break;
            free(text);
            close(fd);
            *rc = llmc__fail(LLMC_EIO, "reading the checkpoint '%s' failed: "
                             "%s; the file was not changed",
                             path, strerror(e));
            return NULL;
        }
        got += (size_t)n;
    }
    close(fd);
    text[got] = '\0';
    *len = got;
    return text;
}

/* Takes the totals of a checked checkpoint c into the tracker. */
static int ckpt_resume(llmc_tracker *t, const struct ckpt *c, const char *path)
{
    unsigned added = 0;
    /* one file per rank: resuming another rank's totals would count them
     * twice */
    if (c->has_rank && t->id.rank >= 0 && c->rank != t->id.rank)
        return llmc__fail(LLMC_EINVAL,
                          "checkpoint '%s' holds the totals of rank %lld, "
                          "and this is rank %d; give each rank its own "
                          "file, e.g. checkpoint=run-{rank}.ckpt",
                          path, (long long)c->rank, t->id.rank);
    for (unsigned k = 0; k < c->nphases; k++)
        added += llmc__phase_find(t, c->name[k]) < 0;
    /* all the room first: a failure leaves the tracker as it was */
    if (llmc__phases_reserve(t, t->nphases + added) != LLMC_OK)
        return llmc__fail(LLMC_ENOMEM, "out of memory for the %u phases of "
                          "the checkpoint '%s'; the file was not changed",
                          c->nphases, path);
    t->resumed = c->total;
    for (unsigned k = 0; k < c->nphases; k++) {
        int p = llmc__phase_find(t, c->name[k]);
        if (p < 0)
            p = llmc__phase_add(t, c->name[k]); /* the room is there */
        t->resumed_phases[p] = c->phase[k];
    }
    t->resumed_from_checkpoint = 1;
    t->resumed_written_unix_s = c->written_unix_s;
    return LLMC_OK;
}

int llmc__checkpoint_read(llmc_tracker *t)
{
    const char *path = t->checkpoint_path;
    json_error_t err;
    json_t *root;
    struct ckpt c;
    char *text;
    size_t len = 0;
    int rc = LLMC_OK;

    if (!(text = ckpt_slurp(path, &len, &rc)))
        return rc; /* LLMC_OK: the first run, nothing to resume */
    root = llmc__json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    free(text);
    if (!root) {
        if (json_error_code(&err) == json_error_out_of_memory)
            return llmc__fail(LLMC_ENOMEM, "out of memory reading the "
                              "checkpoint '%s'; the file was not changed",
                              path);
        return llmc__fail(LLMC_EFORMAT, "checkpoint '%s':%d: %s%s", path,
                          err.line, err.text, CKPT_KEPT);
    }
    rc = ckpt_parse(&c, root, path, CKPT_KEPT);
    json_decref(root);
    if (rc == LLMC_OK) {
        /* a phase may be named from another thread meanwhile */
        pthread_mutex_lock(&t->mu);
        rc = ckpt_resume(t, &c, path);
        pthread_mutex_unlock(&t->mu);
    }
    ckpt_free(&c);
    return rc;
}

int llmc__log_whole(const llmc_tracker *t)
{
    if (t->log_lines_lost <= 0)
        return LLMC_OK;
    return llmc__fail(LLMC_EIO,
                      "%ld line%s of the log '%s' could not be written (see "
                      "the report's problems); the log misses those "
                      "samples, the totals and the checkpoint do not",
                      t->log_lines_lost, t->log_lines_lost == 1 ? "" : "s",
                      t->log_path);
}
