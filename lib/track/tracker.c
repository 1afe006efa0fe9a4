/*
 * tracker.c - the life of a training run: new, start, the per-step hook,
 * phases, the sampler thread, stop and free.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../core/envcheck.h"
#include "../core/internal.h"
#include "../grid/grid.h"
#include "../meter/meter.h"
#include "tracker.h"

#define DEFAULT_INTERVAL_S 1.0
#define DEFAULT_CHECKPOINT_INTERVAL_S 60.0
#define JOIN_TIMEOUT_S 10
#define SETTLE_MAX_S 1.0 /* stop's wait for the grid's last answers */

/* Running trackers, stopped at exit so that a program that forgets
 * llmc_tracker_stop still gets its final sample and checkpoint. The handler
 * pins the tracker it stops, and llmc_tracker_free waits for the pin: a
 * thread that frees a tracker while another exits frees it after the
 * handler is done with it. */
static pthread_mutex_t running_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t running_cv = PTHREAD_COND_INITIALIZER;
static llmc_tracker *running; /* a list through next_running */
static pthread_once_t atexit_once = PTHREAD_ONCE_INIT;

static void stop_all_at_exit(void)
{
    for (;;) {
        llmc_tracker *t;
        pthread_mutex_lock(&running_mu);
        if ((t = running) != NULL) {
            running = t->next_running;
            t->next_running = NULL;
            t->exit_pin = 1;
        }
        pthread_mutex_unlock(&running_mu);
        if (!t)
            return;
        llmc_tracker_stop(t);
        pthread_mutex_lock(&running_mu);
        t->exit_pin = 0;
        pthread_cond_broadcast(&running_cv);
        pthread_mutex_unlock(&running_mu);
    }
}

static void register_atexit(void)
{
    atexit(stop_all_at_exit);
}

static void running_set(llmc_tracker *t, int on)
{
    llmc_tracker **p;
    pthread_mutex_lock(&running_mu);
    for (p = &running; *p && *p != t; p = &(*p)->next_running)
        ;
    if (on && !*p) {
        t->next_running = running;
        running = t;
    } else if (!on && *p) {
        *p = t->next_running;
        t->next_running = NULL;
    }
    pthread_mutex_unlock(&running_mu);
}

/* Every tracker not yet freed, for the threads' slots (below the step
 * hook): a tracker joins in llmc_tracker_new and leaves in
 * llmc_tracker_free. */
static void live_add(llmc_tracker *t);
static void live_remove(llmc_tracker *t);

void llmc__problem(llmc_tracker *t, const char *fmt, ...)
{
    char line[300];
    size_t used = strlen(t->problems);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (strstr(t->problems, line))
        return; /* once is enough */
    snprintf(t->problems + used, sizeof t->problems - used, "%s%s",
             used ? "; " : "", line);
    llmc__log(LLMC_LOG_WARN, "%s", line);
}

LLMC_API void llmc_totals_init(llmc_totals *out, size_t size)
{
    llmc__versioned_init(out, size);
}

LLMC_API int llmc_tracker_new(llmc_tracker **out)
{
    llmc_tracker *t;
    pthread_condattr_t ca;
    int rc;

    if (!out)
        return llmc__fail(LLMC_EINVAL, "out is NULL");
    *out = NULL;
    /* the slots want 64-byte alignment */
    if (posix_memalign((void **)&t, 64, sizeof *t) != 0)
        return llmc__fail(LLMC_ENOMEM, "out of memory for a tracker");
    memset(t, 0, sizeof *t);
    live_add(t);
    atomic_init(&t->state, LLMC__NEW);
    atomic_init(&t->phase, 0);
    atomic_init(&t->sample_inline, 0);
    atomic_flag_clear(&t->inline_busy);
    atomic_init(&t->grid_cancel, 0);
    t->pue = LLMC__DEFAULT_PUE;
    t->interval_s = DEFAULT_INTERVAL_S;
    t->embodied_scope = LLMC__SCOPE_DEFAULT;
    t->embodied_method = "";
    t->checkpoint_interval_s = DEFAULT_CHECKPOINT_INTERVAL_S;
    t->plan_lo_kgco2e = t->plan_hi_kgco2e = NAN;
    for (unsigned h = 1; h < LLMC__HOT; h++)
        t->hot_phase[h] = -1;
    pthread_mutex_init(&t->mu, NULL);
    llmc__writer_init(&t->writer);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&t->cv, &ca);
    pthread_cond_init(&t->grid_cv, &ca);
    pthread_condattr_destroy(&ca);
    llmc__identity_read(&t->id);
    llmc__boot_id(t->boot_id, sizeof t->boot_id);
    /* "train" is phase 0, with counter index 0, for the tracker's life */
    if (llmc__phase_add(t, "train") != 0) {
        llmc_tracker_free(t);
        return llmc__fail(LLMC_ENOMEM, "out of memory for a tracker");
    }
    if ((rc = llmc__tracker_apply_env(t)) != LLMC_OK) {
        llmc_tracker_free(t);
        return rc;
    }
    *out = t;
    return LLMC_OK;
}

/* 1 when channel i reads one device (a GPU), not the node or a model. */
static int is_device(const llmc_meter *m, size_t i)
{
    return !llmc__meter_node_level(m, i) && llmc__meter_lock_key(m, i)[0];
}

/* Which GPU channels this rank may read: with n ranks on the node that all
 * see several GPUs, the i-th GPU belongs to local rank i mod n (torchrun,
 * Slurm and MPI hand out devices that way, and no GPU is left without a
 * reader); node-level meters are open to every rank and decided by the
 * election. A rank that sees one GPU (CUDA_VISIBLE_DEVICES or
 * HIP_VISIBLE_DEVICES per rank) reads it. */
static void decide_ownership(llmc_tracker *t)
{
    size_t ngpu = 0, k = 0;
    int n = t->id.local_world_size;
    int per_rank = t->id.local_rank >= 0 && n > 1;
    for (size_t i = 0; i < t->nchans; i++)
        if (is_device(t->meter, i))
            ngpu++;
    for (size_t i = 0; i < t->nchans; i++) {
        struct llmc__chan *c = &t->chans[i];
        c->owned = 1;
        c->device = is_device(t->meter, i);
        if (per_rank && is_device(t->meter, i) && ngpu > 1) {
            c->owned = k % (size_t)n == (size_t)t->id.local_rank;
            if (!c->owned)
                snprintf(c->note, sizeof c->note,
                         "belongs to local rank %zu of %d (this is local "
                         "rank %d)",
                         k % (size_t)n, n, t->id.local_rank);
            k++;
        }
    }
}

/* 1 when channel i is one device this process counts (a GPU), not a
 * node-wide reading or a model. */
static int counts_device(const llmc_tracker *t, size_t i)
{
    return t->chans[i].owned && is_device(t->meter, i);
}

/* Without hardware=, the devices' profile comes from what their driver
 * says of them: the name NVML prints, told apart by memory and default
 * power limit where the name fits several profiles. All devices counted
 * must come to one profile; otherwise the note says which did not. */
static void profile_from_meters(llmc_tracker *t)
{
    llmc_profile *found = NULL;
    size_t first = 0;
    int n = 0;

    for (size_t i = 0; i < t->nchans; i++) {
        llmc_channel ch;
        double memory_gib, power_limit_w;
        llmc_profile *p = NULL;
        int rc;
        if (!counts_device(t, i))
            continue;
        llmc__meter_view(&ch, t->meter, i);
        llmc__meter_device_facts(t->meter, i, &memory_gib, &power_limit_w);
        if ((rc = llmc_profile_lookup_device(&p, ch.device, memory_gib,
                                             power_limit_w)) != LLMC_OK) {
            snprintf(t->embodied_note, sizeof t->embodied_note,
                     "no hardware given, and %.20s's '%.80s' is %s in the "
                     "catalogue; give hardware=NAME",
                     ch.name, ch.device,
                     rc == LLMC_EAMBIGUOUS ? "ambiguous" : "not found");
            llmc_profile_free(found);
            return;
        }
        if (found && strcmp(llmc_profile_get_text(found, LLMC_PROFILE_NAME),
                            llmc_profile_get_text(p, LLMC_PROFILE_NAME)) != 0) {
            llmc_channel was;
            llmc__meter_view(&was, t->meter, first);
            snprintf(t->embodied_note, sizeof t->embodied_note,
                     "no hardware given, and the devices differ (%.20s is "
                     "'%.60s', %.20s is '%.60s'); give hardware=NAME",
                     was.name,
                     llmc_profile_get_text(found, LLMC_PROFILE_NAME), ch.name,
                     llmc_profile_get_text(p, LLMC_PROFILE_NAME));
            llmc_profile_free(p);
            llmc_profile_free(found);
            return;
        }
        if (found) {
            llmc_profile_free(p);
        } else {
            found = p;
            first = i;
        }
        n++;
    }
    if (!found) {
        snprintf(t->embodied_note, sizeof t->embodied_note,
                 "no hardware given (hardware=NAME)");
        return;
    }
    {
        llmc_channel ch;
        double memory_gib, power_limit_w;
        char mem[32] = "", limit[32] = "";
        llmc__meter_view(&ch, t->meter, first);
        llmc__meter_device_facts(t->meter, first, &memory_gib, &power_limit_w);
        if (!isnan(memory_gib))
            snprintf(mem, sizeof mem, ", %.4g GiB", memory_gib);
        if (!isnan(power_limit_w))
            snprintf(limit, sizeof limit, ", %.4g W limit", power_limit_w);
        snprintf(t->hardware_from, sizeof t->hardware_from,
                 "%d device%s as %.20s reports %s: '%.80s'%s%s", n,
                 n == 1 ? "" : "s", ch.name, n == 1 ? "it" : "the first",
                 ch.device, mem, limit);
    }
    t->profile = found;
    t->profile_from_meters = 1;
    llmc__log(LLMC_LOG_INFO, "hardware from the meters: %s, from %s",
              llmc_profile_get_text(found, LLMC_PROFILE_NAME),
              t->hardware_from);
}

static void setup_embodied(llmc_tracker *t)
{
    double kg, life;
    char why[300];
    int devices = t->devices;

    t->embodied_included = 0;
    t->embodied_devices = 0;
    t->embodied_by_held = 0;
    t->embodied_note[0] = '\0';
    t->embodied_method = "";
    if (!t->profile)
        profile_from_meters(t);
    if (!t->profile)
        return;
    if (llmc__profile_embodied(t->profile, t->embodied_scope, &kg,
                               &t->embodied_method, why, sizeof why) !=
        LLMC_OK) {
        /* unknown, never another scope's figure in its place */
        snprintf(t->embodied_note, sizeof t->embodied_note,
                 "%s; choose another embodied_scope", why);
        return;
    }
    if (llmc_profile_get(&life, t->profile, LLMC_PROFILE_LIFETIME_S) != LLMC_OK)
        life = LLMC__DEFAULT_LIFETIME_Y * LLMC__SECONDS_PER_YEAR;
    if (devices == 0) { /* the devices this process reads */
        int any = 0;
        for (size_t i = 0; i < t->nchans; i++) {
            any |= t->chans[i].device;
            if (counts_device(t, i))
                devices++;
        }
        /* Each device is charged by the one process on the node that
         * counts its energy, for the intervals it holds it: ranks sharing
         * a node sum to each device once, and a rank that reads none
         * charges none. A meter with no device (const, RAPL) stands for
         * one. */
        t->embodied_by_held = any;
        if (!any)
            devices = 1;
    }
    t->embodied_per_device_kgco2e = kg;
    t->lifetime_s = life;
    t->embodied_devices = devices;
    t->embodied_included = 1;
}

/* "run-{rank}.ckpt" -> "run-3.ckpt": one file per process from one setting
 * that every rank of a job shares. {rank}, {local_rank}, {host}, {job} and
 * {pid}; an unknown rank or job is written "0" and "nojob". */
static int expand_path(llmc_tracker *t, char **path)
{
    char out[4096], num[32];
    const char *p = *path;
    size_t n = 0;

    if (!p || !strchr(p, '{'))
        return LLMC_OK;
    while (*p && n + 1 < sizeof out) {
        const char *v = NULL;
        size_t skip = 0;
        if (strncmp(p, "{rank}", 6) == 0) {
            snprintf(num, sizeof num, "%d", t->id.rank >= 0 ? t->id.rank : 0);
            v = num;
            skip = 6;
        } else if (strncmp(p, "{local_rank}", 12) == 0) {
            snprintf(num, sizeof num, "%d",
                     t->id.local_rank >= 0 ? t->id.local_rank : 0);
            v = num;
            skip = 12;
        } else if (strncmp(p, "{host}", 6) == 0) {
            v = t->id.host;
            skip = 6;
        } else if (strncmp(p, "{job}", 5) == 0) {
            v = *t->id.job ? t->id.job : "nojob";
            skip = 5;
        } else if (strncmp(p, "{pid}", 5) == 0) {
            snprintf(num, sizeof num, "%ld", (long)getpid());
            v = num;
            skip = 5;
        }
        if (v) {
            n += (size_t)snprintf(out + n, sizeof out - n, "%s", v);
            p += skip;
        } else {
            out[n++] = *p++;
        }
    }
    if (n >= sizeof out - 1)
        return llmc__fail(LLMC_ERANGE, "the path '%s' is too long", *path);
    out[n] = '\0';
    {
        char *copy = llmc__strdup(out);
        if (!copy)
            return llmc__fail(LLMC_ENOMEM, "out of memory");
        free(*path);
        *path = copy;
    }
    return LLMC_OK;
}

/* Leaves a tracker whose start failed as it was before the start. */
static int undo_start(llmc_tracker *t, int rc)
{
    pthread_mutex_lock(&t->mu);
    memset(&t->resumed, 0, sizeof t->resumed);
    memset(t->resumed_phases, 0, sizeof *t->resumed_phases * t->phase_cap);
    t->resumed_from_checkpoint = 0;
    llmc_meter_free(t->meter);
    t->meter = NULL;
    free(t->measure_detail);
    t->measure_detail = NULL;
    t->measure_status = LLMC_OK;
    if (t->profile_from_meters) {
        llmc_profile_free(t->profile);
        t->profile = NULL;
        t->profile_from_meters = 0;
        t->hardware_from[0] = '\0';
    }
    free(t->chans);
    t->chans = NULL;
    t->nchans = 0;
    if (t->log) {
        fclose(t->log);
        t->log = NULL;
        t->writer.log = NULL; /* no thread writes yet */
    }
    pthread_mutex_unlock(&t->mu);
    return rc;
}

/* The status for a path that cannot be written: a permission, or any
 * other failure. */
static int path_status(int e)
{
    return e == EACCES || e == EPERM || e == EROFS ? LLMC_EPERM : LLMC_EIO;
}

/* The checkpoint is written at every checkpoint interval and at stop, by
 * renaming a new file over it: its directory must exist and take new
 * files. Found now, not at the stop of a long run. */
static int check_checkpoint_dir(const char *path)
{
    char copy[4200], dir[4200], probe[4300];
    struct stat st;
    int fd;

    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return llmc__fail(LLMC_EIO,
                          "the checkpoint '%s' is a directory; give the path "
                          "of a file, e.g. '%s/run.ckpt'",
                          path, path);
    snprintf(copy, sizeof copy, "%s", path);
    snprintf(dir, sizeof dir, "%s", dirname(copy));
    if (stat(dir, &st) != 0)
        return llmc__fail(path_status(errno),
                          "the checkpoint '%s' cannot be written: its "
                          "directory '%s' %s; create it (mkdir -p '%s') or "
                          "give another path",
                          path, dir,
                          errno == ENOENT ? "does not exist" : strerror(errno),
                          dir);
    if (!S_ISDIR(st.st_mode))
        return llmc__fail(LLMC_EIO,
                          "the checkpoint '%s' cannot be written: '%s' is not "
                          "a directory; give another path",
                          path, dir);
    /* the name the writer itself uses for its new file */
    snprintf(probe, sizeof probe, "%s.tmp.%ld", path, (long)getpid());
    fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST)
        return llmc__fail(path_status(errno),
                          "the checkpoint '%s' cannot be written: no new file "
                          "can be made in '%s' (%s); make the directory "
                          "writable or give another path",
                          path, dir, strerror(errno));
    if (fd >= 0) {
        close(fd);
        unlink(probe);
    }
    return LLMC_OK;
}

/* A live grid source keeps what it fetched in the cache directory, for
 * later runs and nodes without network. One that cannot be used costs
 * requests, not numbers: a problem, found at start. */
static void check_cache_dir(llmc_tracker *t)
{
    char why[1200];
    if (llmc__grid_uses_network(t->grid) &&
        llmc__live_cache_unusable(why, sizeof why))
        llmc__problem(t, "%s", why);
}

static void warn_env(const char *message, void *userdata)
{
    (void)userdata;
    llmc__log(LLMC_LOG_WARN, "%s", message);
}

/* The grid a tracker uses when none was given prices every joule: it says
 * which, with its value, year and basis, so that the default is a choice
 * seen rather than one made silently. */
static void announce_default_grid(llmc_tracker *t)
{
    llmc_intensity ci;
    llmc_intensity_init(&ci, sizeof ci);
    if (llmc_grid_intensity_at(&ci, t->grid, llmc__unix_s()) ==
        LLMC_OK)
        llmc__log(LLMC_LOG_WARN,
                  "no grid given: using %s, %.0f gCO2e/kWh (%d, %s); give "
                  "grid=ZONE (LLMC_GRID) for the site's grid",
                  llmc_grid_spec(t->grid), ci.gco2e_per_kwh, ci.year,
                  llmc_basis_name(ci.basis));
}

/* Appends text to a growing string; a failed growth keeps what was there
 * (the detail is a message: shorter, never wrong). */
static void append(char **buf, size_t *len, const char *text)
{
    size_t n = strlen(text);
    char *grown = realloc(*buf, *len + n + 1);
    if (!grown)
        return;
    memcpy(grown + *len, text, n + 1);
    *buf = grown;
    *len += n;
}

/* No training run goes unmeasured silently. The meters are read once: when
 * not one channel gives a reading (nothing found, or all failing), the
 * tracker says so at start - the status and detail of
 * llmc_tracker_status(3), a warning in the log - naming every meter tried
 * and why, and, unless fallback=none, adds the labelled estimate of
 * cputime (method model, quality "estimated"). A CPU given as hardware=
 * is the one the estimate uses. */
static int settle_meters(llmc_tracker *t)
{
    const char *diag = llmc_meter_diagnostics(t->meter), *d;
    char *text = NULL, line[900], spec[300];
    size_t len = 0, n = llmc_meter_channel_count(t->meter);
    int reads = 0, rc;

    llmc_meter_read(t->meter);
    for (size_t i = 0; i < n; i++) {
        llmc_channel ch;
        llmc__meter_view(&ch, t->meter, i);
        reads |= ch.status == LLMC_OK && !isnan(ch.energy_j);
    }
    if (reads)
        return LLMC_OK;

    append(&text, &len, "no meter can read energy here:");
    for (d = diag; *d;) { /* one line per source tried */
        size_t l = strcspn(d, "\n");
        if (strncmp(d, "auto: ", 6) != 0) { /* the summary: said below */
            snprintf(line, sizeof line, " %.*s;", (int)(l < 800 ? l : 800),
                     d);
            append(&text, &len, line);
        }
        d += l + (d[l] == '\n');
    }
    for (size_t i = 0; i < n; i++) {
        llmc_channel ch;
        llmc__meter_view(&ch, t->meter, i);
        snprintf(line, sizeof line, " %s (%s): %s;", ch.name, ch.device,
                 ch.detail[0] ? ch.detail : llmc_status_name(ch.status));
        append(&text, &len, line);
    }
    if (!*diag && n == 0)
        append(&text, &len, " no meter was given;");
    if (t->fallback_none) {
        append(&text, &len, " energy is not measured and stays unknown "
                            "(fallback=none)");
    } else {
        const char *cpu = NULL;
        llmc_channel added;
        if (t->profile &&
            strcmp(llmc_profile_get_text(t->profile, LLMC_PROFILE_KIND),
                   "cpu") == 0)
            cpu = llmc_profile_get_text(t->profile, LLMC_PROFILE_NAME);
        snprintf(spec, sizeof spec, "cputime%s%.200s", cpu ? ":" : "",
                 cpu ? cpu : "");
        if ((rc = llmc__meter_extend(t->meter, spec)) != LLMC_OK) {
            free(text);
            return rc; /* out of memory, or the CPU's profile */
        }
        llmc__meter_view(&added, t->meter, llmc__meter_count(t->meter) - 1);
        snprintf(line, sizeof line,
                 " energy is estimated instead (method model, quality "
                 "estimated): %s; give fallback=none to leave it unknown",
                 added.detail);
        append(&text, &len, line);
    }
    if (!text)
        return llmc__fail(LLMC_ENOMEM, "out of memory for a tracker");
    t->measure_status = LLMC_ENODEV;
    t->measure_detail = text;
    llmc__log(LLMC_LOG_WARN, "%s", text);
    return LLMC_OK;
}

/* The start proper, by the one thread whose start won the tracker. */
static int start_won(llmc_tracker *t)
{
    int rc;

    llmc__env_check(warn_env, NULL);
    if (!t->grid) {
        if ((rc = llmc_grid_new(&t->grid, "static:WORLD")) != LLMC_OK)
            return rc;
        announce_default_grid(t);
    }
    if ((rc = expand_path(t, &t->log_path)) != LLMC_OK ||
        (rc = expand_path(t, &t->checkpoint_path)) != LLMC_OK)
        return rc;
    if (t->checkpoint_path &&
        (rc = check_checkpoint_dir(t->checkpoint_path)) != LLMC_OK)
        return rc;
    {
        llmc_meter *m = NULL;
        rc = llmc_meter_open(&m, t->meters_spec ? t->meters_spec : "auto");
        if (rc != LLMC_OK)
            return rc;
        /* others may already ask for channels and totals */
        pthread_mutex_lock(&t->mu);
        t->meter = m;
        rc = settle_meters(t);
        pthread_mutex_unlock(&t->mu);
        if (rc != LLMC_OK)
            return undo_start(t, rc);
    }
    {
        size_t n = llmc_meter_channel_count(t->meter);
        struct llmc__chan *chans = n ? calloc(n, sizeof *chans) : NULL;
        if (n && !chans)
            return undo_start(t, llmc__fail(LLMC_ENOMEM,
                                            "out of memory for a tracker"));
        for (size_t i = 0; i < n; i++) {
            chans[i].lock_fd = LLMC__LOCK_NONE;
            chans[i].last_j = NAN;
        }
        pthread_mutex_lock(&t->mu);
        t->chans = chans;
        t->nchans = n;
        pthread_mutex_unlock(&t->mu);
    }
    if (t->require_measured) {
        int any = 0;
        for (size_t i = 0; i < t->nchans; i++) {
            llmc_channel ch;
            llmc__meter_view(&ch, t->meter, i);
            any |= ch.method == LLMC_METHOD_COUNTER ||
                   ch.method == LLMC_METHOD_POWER;
        }
        if (!any) {
            char diag[700];
            snprintf(diag, sizeof diag, "%s", llmc_meter_diagnostics(t->meter));
            return undo_start(t, llmc__fail(LLMC_ENODEV,
                                            "require=measured, but no meter "
                                            "measures energy here: %s",
                                            *diag ? diag : "no channel"));
        }
    }
    /* a counter must be read at least twice per wrap period */
    for (size_t i = 0; i < t->nchans; i++) {
        double w = llmc__meter_wrap_s(t->meter, i);
        if (!isnan(w) && w > 0 && t->interval_s > w / 2) {
            llmc_channel ch;
            llmc__meter_view(&ch, t->meter, i);
            llmc__problem(t, "interval lowered from %.6g s to %.6g s: %s "
                          "wraps every ~%.0f s",
                          t->interval_s, w / 2, ch.name, w);
            t->interval_s = w / 2;
        }
    }
    decide_ownership(t);
    setup_embodied(t);
    if (t->checkpoint_path && (rc = llmc__checkpoint_read(t)) != LLMC_OK)
        return undo_start(t, rc);
    if (t->log_path && !(t->log = fopen(t->log_path, "ae"))) {
        int e = errno;
        return undo_start(t, llmc__fail(path_status(e),
                                        "cannot open the log '%s': %s; "
                                        "create its directory, make it "
                                        "writable, or give another path",
                                        t->log_path, strerror(e)));
    }
    t->writer.log = t->log; /* no thread writes yet */
    check_cache_dir(t);
    t->owner_pid = getpid();
    /* a phase may be switched to from another thread meanwhile */
    pthread_mutex_lock(&t->mu);
    llmc__spans_carry(t);
    t->start_ns = t->last_ns = t->last_checkpoint_ns = llmc__now_ns();
    t->start_unix_s = llmc__unix_s();
    t->switches[0].t_ns = t->start_ns;
    t->switches[0].phase = t->cur_phase;
    t->nswitches = 1;
    /* the plan first, so a reader knows it before the samples */
    if (t->log && t->target_tokens)
        llmc__log_plan(t);
    pthread_mutex_unlock(&t->mu);

    /* a grid that may wait for the network is asked on a thread of its
     * own from the first question on: the start, the command it measures
     * and the samples never wait for it */
    t->grid_async = !t->inline_sampler && llmc__grid_uses_network(t->grid);
    pthread_mutex_lock(&t->mu);
    llmc__tracker_sample(t, LLMC__SAMPLE_BASELINE);
    /* the lines of a checkpoint's energy priced now */
    llmc__writer_flush_released(t);
    pthread_mutex_unlock(&t->mu);
    if (t->grid_async && llmc__grid_thread_start(t) != LLMC_OK)
        llmc__problem(t, "no thread could be started to ask the grid; it "
                      "is asked from its cache, by the samples");
    atomic_store(&t->next_inline_ns,
                 t->start_ns + llmc__ns_of_s(t->interval_s));
    if (!t->inline_sampler) {
        extern void *llmc__sampler_main(void *);
        llmc__clock_expect();
        if (pthread_create(&t->thread, NULL, llmc__sampler_main, t) == 0) {
            t->thread_running = 1;
        } else {
            llmc__clock_unexpect();
            llmc__problem(t, "no sampler thread could be started; sampling "
                          "falls back to inline");
        }
        if (!t->thread_running)
            t->inline_sampler = 1;
    }
    atomic_store(&t->sample_inline, t->inline_sampler);
    atomic_store(&t->state, LLMC__RUNNING);
    pthread_once(&atexit_once, register_atexit);
    running_set(t, 1);
    return LLMC_OK;
}

LLMC_API int llmc_tracker_status(const char **out_detail, llmc_tracker *t)
{
    int state;
    if (out_detail)
        *out_detail = NULL;
    if (!t)
        return llmc__fail(LLMC_EINVAL, "tracker is NULL");
    state = atomic_load(&t->state);
    if (state == LLMC__NEW || state == LLMC__STARTING)
        return llmc__fail(LLMC_ESTATE, "the tracker has not started; its "
                          "meters are opened by llmc_tracker_start");
    if (t->measure_status == LLMC_OK)
        return LLMC_OK;
    if (out_detail)
        *out_detail = t->measure_detail;
    return llmc__fail(t->measure_status, "%s", t->measure_detail);
}

LLMC_API int llmc_tracker_start(llmc_tracker *t)
{
    struct llmc__error_saved saved;
    int rc, expected = LLMC__NEW;

    if (!t)
        return llmc__fail(LLMC_EINVAL, "tracker is NULL");
    /* one start wins the tracker; the others leave it alone */
    if (!atomic_compare_exchange_strong(&t->state, &expected,
                                        LLMC__STARTING))
        return llmc__fail(LLMC_ESTATE,
                          expected == LLMC__STARTING
                              ? "another thread is starting the tracker; "
                                "start it from one thread"
                              : "the tracker was already started; a tracker "
                                "runs once: create a new one");
    /* a start that succeeds leaves the caller's llmc_last_error() as it
     * was: the meters that could not read are said by
     * llmc_tracker_status, not left behind as the detail of a failure */
    llmc__error_save(&saved);
    if ((rc = start_won(t)) != LLMC_OK)
        atomic_store(&t->state, LLMC__NEW);
    else
        llmc__error_restore(&saved);
    return rc;
}

void *llmc__sampler_main(void *arg);

void *llmc__sampler_main(void *arg)
{
    llmc_tracker *t = arg;
    llmc__clock_arrive();
    pthread_mutex_lock(&t->mu);
    while (!t->stop_requested) {
        int64_t at = t->last_ns + llmc__ns_of_s(t->interval_s);
        if (llmc__clock_wait(&t->cv, &t->mu, at) == ETIMEDOUT &&
            !t->stop_requested) {
            /* a device sync may take long: not under mu, which
             * llmc_tracker_totals takes */
            pthread_mutex_unlock(&t->mu);
            if (t->sync)
                t->sync(t->sync_userdata);
            pthread_mutex_lock(&t->mu);
            llmc__tracker_sample(t, LLMC__SAMPLE_NORMAL);
            /* the disk, too, may take long: its lines and checkpoint are
             * written with mu released */
            llmc__writer_flush_released(t);
        }
    }
    pthread_mutex_unlock(&t->mu);
    llmc__clock_done();
    return NULL;
}

__attribute__((noinline)) static void inline_sample(llmc_tracker *t)
{
    int64_t now = llmc__now_ns(); /* the vDSO: no system call */
    if (now < atomic_load_explicit(&t->next_inline_ns, memory_order_relaxed))
        return;
    if (atomic_flag_test_and_set(&t->inline_busy))
        return; /* another thread samples right now */
    if (getpid() != t->owner_pid) { /* a forked child: not its tracker */
        atomic_store(&t->next_inline_ns, INT64_MAX);
        atomic_flag_clear(&t->inline_busy);
        return;
    }
    atomic_store(&t->next_inline_ns, now + llmc__ns_of_s(t->interval_s));
    if (t->sync)
        t->sync(t->sync_userdata);
    if (pthread_mutex_trylock(&t->mu) == 0) {
        /* the sample asks the grid without the network: a step never
         * waits for it */
        if (atomic_load(&t->state) == LLMC__RUNNING)
            llmc__tracker_sample(t, LLMC__SAMPLE_NORMAL);
        pthread_mutex_unlock(&t->mu);
        /* With no thread of its own, the step writes the disk: with mu
         * released, so that no other thread's phase switch or totals
         * waits for it, and only when no other thread is writing (the
         * lines then wait for the next sample, or the stop). */
        llmc__writer_flush(t, 0);
        if (pthread_mutex_trylock(&t->mu) == 0) {
            llmc__writer_report(t);
            pthread_mutex_unlock(&t->mu);
        }
    }
    atomic_flag_clear(&t->inline_busy);
}

/* Counts a step in a slot the calling thread owns: plain loads and stores. */
static inline uint64_t count_owned(llmc_tracker *t, struct llmc__slot *slot,
                                   uint64_t tokens)
{
    unsigned p = atomic_load_explicit(&t->phase, memory_order_relaxed);
    uint64_t n = atomic_load_explicit(&slot->steps[p], memory_order_relaxed) + 1;
    atomic_store_explicit(&slot->steps[p], n, memory_order_relaxed);
    atomic_store_explicit(
        &slot->tokens[p],
        atomic_load_explicit(&slot->tokens[p], memory_order_relaxed) + tokens,
        memory_order_relaxed);
    return n;
}

/* Whether the steps take the samples (sampler=inline) of a running
 * tracker. */
static inline int inline_sampling(const llmc_tracker *t)
{
    return __builtin_expect(atomic_load_explicit(&t->sample_inline,
                                                 memory_order_relaxed), 0) &&
           atomic_load_explicit(&t->state, memory_order_relaxed) ==
               LLMC__RUNNING;
}

static inline void maybe_sample_inline(llmc_tracker *t, uint64_t n)
{
    /* inline sampling looks at the clock every 8th step of a thread */
    if ((n & 7) == 0 && inline_sampling(t))
        inline_sample(t);
}

/* Counts steps steps of tokens tokens in the shared slot, with atomic
 * adds, from any thread; the slot's step count after them. */
static uint64_t count_shared(llmc_tracker *t, uint64_t steps, uint64_t tokens)
{
    struct llmc__slot *slot = &t->slots[LLMC__OWN_SLOTS];
    unsigned p = atomic_load_explicit(&t->phase, memory_order_relaxed);
    uint64_t n = atomic_fetch_add_explicit(&slot->steps[p], steps,
                                           memory_order_relaxed) + steps;
    atomic_fetch_add_explicit(&slot->tokens[p], tokens, memory_order_relaxed);
    return n;
}

/* How a thread finds its slot. Each thread has a record of the slots it
 * owns, one per tracker it has stepped (the tracker's gen and the slot's
 * index). The step looks first at the tracker's hint for its thread
 * pointer (read in one instruction, hashed onto LLMC__HINTS entries): when
 * the hint names this thread, it names its slot too. A thread whose hint
 * another thread holds looks in a cache of LLMC__TCACHE entries in front
 * of its record, placed by the tracker's gen: a thread-local variable,
 * which the library's TLS descriptors reach with a short call. A cache
 * entry is used only when its gen is that of the tracker stepped, so one
 * left by a freed tracker is never followed into freed memory. When the
 * thread exits, the destructor of rec_key clears its hints and gives back
 * its slots in the trackers still alive (the live list, under live_mu,
 * which llmc_tracker_free takes to leave it); a thread that later gets the
 * same thread pointer finds no hint of the dead one. */
#define LLMC__TCACHE 4 /* trackers a thread alternates between at full speed */
_Static_assert((LLMC__TCACHE & (LLMC__TCACHE - 1)) == 0,
               "the cache is placed by the gen's low bits");

struct own {
    uint64_t gen;
    unsigned slot;          /* LLMC__OWN_SLOTS: the shared one */
    unsigned shared_steps;  /* counted there; a free slot is looked for
                             * every LLMC__RECLAIM_EVERY of them */
};
#define LLMC__RECLAIM_EVERY 1024

struct thread_rec {
    struct own *own;        /* n of cap */
    unsigned n, cap;
};

/* The calling thread's thread pointer (one instruction), or, where the
 * compiler has no builtin for it, a thread-local variable's address: an
 * identity no other live thread has. */
static inline uintptr_t thread_id(void)
{
#if defined(__GNUC__) && !defined(__clang__) && \
    (defined(__x86_64__) || defined(__aarch64__))
    return (uintptr_t)__builtin_thread_pointer();
#else
    static _Thread_local _Alignas(64) char anchor;
    return (uintptr_t)&anchor;
#endif
}

/* The hint of a thread pointer: Fibonacci hashing onto LLMC__HINTS. */
static inline unsigned hint_of(uintptr_t self)
{
    _Static_assert(sizeof(uint64_t) * 8 - LLMC__HINT_BITS == 56,
                   "the shift below takes the hash's top LLMC__HINT_BITS");
    return (unsigned)((uint64_t)self * 0x9E3779B97F4A7C15ull >> 56);
}

static _Thread_local struct {
    struct {
        uint64_t gen;       /* 0: empty (no tracker has gen 0) */
        struct llmc__slot *slot; /* NULL: the shared one */
        unsigned own;       /* the entry of the record */
    } hit[LLMC__TCACHE];
    struct thread_rec *rec; /* also rec_key's value */
} mine;

static pthread_mutex_t live_mu = PTHREAD_MUTEX_INITIALIZER;
static llmc_tracker *live;      /* every tracker not yet freed */
static uint64_t live_gens;      /* under live_mu: gens handed out */
static pthread_once_t rec_once = PTHREAD_ONCE_INIT;
static pthread_key_t rec_key;
static int rec_key_ok;          /* set once, by rec_key_create */

static void live_add(llmc_tracker *t)
{
    pthread_mutex_lock(&live_mu);
    t->gen = ++live_gens;
    t->next_live = live;
    live = t;
    pthread_mutex_unlock(&live_mu);
}

static void live_remove(llmc_tracker *t)
{
    llmc_tracker **p;
    pthread_mutex_lock(&live_mu);
    for (p = &live; *p && *p != t; p = &(*p)->next_live)
        ;
    if (*p)
        *p = t->next_live;
    pthread_mutex_unlock(&live_mu);
}

/* under live_mu: the tracker of gen, if it is not freed */
static llmc_tracker *live_find(uint64_t gen)
{
    llmc_tracker *t;
    for (t = live; t && t->gen != gen; t = t->next_live)
        ;
    return t;
}

/* rec_key's destructor, in the exiting thread: its slots go back to the
 * trackers still alive, with what they counted. */
static void rec_release(void *arg)
{
    struct thread_rec *r = arg;
    uintptr_t self = thread_id();
    memset(&mine, 0, sizeof mine); /* a later step starts afresh */
    pthread_mutex_lock(&live_mu);
    for (unsigned i = 0; i < r->n; i++) {
        llmc_tracker *t;
        uintptr_t mine_hint;
        if (r->own[i].slot >= LLMC__OWN_SLOTS ||
            (t = live_find(r->own[i].gen)) == NULL)
            continue;
        mine_hint = self | r->own[i].slot;
        atomic_compare_exchange_strong(&t->hint[hint_of(self)], &mine_hint,
                                       0);
        atomic_store_explicit(&t->slots[r->own[i].slot].owner, 0,
                              memory_order_release);
    }
    pthread_mutex_unlock(&live_mu);
    free(r->own);
    free(r);
}

static void rec_key_create(void)
{
    rec_key_ok = pthread_key_create(&rec_key, rec_release) == 0;
}

/* A library unloaded while threads live must leave them no destructor
 * to call: their slots then stay taken (their counts stay counted). */
__attribute__((destructor)) static void rec_key_delete(void)
{
    if (rec_key_ok)
        pthread_key_delete(rec_key);
}

/* The calling thread's record, made on its first step; NULL without
 * memory or a key (its steps then count in the shared slot). */
static struct thread_rec *rec_get(void)
{
    struct thread_rec *r = mine.rec;
    if (r)
        return r;
    pthread_once(&rec_once, rec_key_create);
    if (!rec_key_ok || !(r = calloc(1, sizeof *r)))
        return NULL;
    if (pthread_setspecific(rec_key, r) != 0) {
        free(r);
        return NULL;
    }
    mine.rec = r;
    return r;
}

/* Room for one more entry in r: the entries of freed trackers go first,
 * then the array doubles. */
static int rec_room(struct thread_rec *r)
{
    struct own *grown;
    unsigned cap, kept = 0;
    if (r->n < r->cap)
        return 1;
    pthread_mutex_lock(&live_mu);
    for (unsigned i = 0; i < r->n; i++)
        if (live_find(r->own[i].gen))
            r->own[kept++] = r->own[i];
    pthread_mutex_unlock(&live_mu);
    r->n = kept;
    memset(mine.hit, 0, sizeof mine.hit); /* the entries have moved */
    if (r->n < r->cap)
        return 1;
    cap = r->cap ? 2 * r->cap : 4;
    if (cap < r->cap || !(grown = realloc(r->own, cap * sizeof *grown)))
        return 0;
    r->own = grown;
    r->cap = cap;
    return 1;
}

/* A free slot of t, claimed for r: its index, or LLMC__OWN_SLOTS when
 * every one is taken. */
static unsigned slot_claim(llmc_tracker *t, struct thread_rec *r)
{
    for (unsigned i = 0; i < LLMC__OWN_SLOTS; i++) {
        uintptr_t free_owner = 0;
        if (atomic_load_explicit(&t->slots[i].owner, memory_order_relaxed) ==
                0 &&
            atomic_compare_exchange_strong_explicit(
                &t->slots[i].owner, &free_owner, (uintptr_t)r,
                memory_order_acquire, memory_order_relaxed))
            return i;
    }
    return LLMC__OWN_SLOTS;
}

/* The hint of the calling thread, when it is free, names slot i: the
 * thread pointer must leave the slot's index its 6 low bits. */
static void hint_set(llmc_tracker *t, unsigned i)
{
    uintptr_t self = thread_id(), free_hint = 0;
    if ((self & 63) == 0)
        atomic_compare_exchange_strong(&t->hint[hint_of(self)], &free_hint,
                                       self | i);
}

/* A step of a thread counted in the shared slot of t, whose record entry
 * is o, placed in the cache at c; a free slot is looked for now and then. */
static uint64_t step_shared(llmc_tracker *t, uint64_t tokens,
                            struct thread_rec *r, struct own *o, unsigned c)
{
    if (++o->shared_steps % LLMC__RECLAIM_EVERY == 0 &&
        (o->slot = slot_claim(t, r)) < LLMC__OWN_SLOTS) {
        /* a thread has exited since */
        hint_set(t, o->slot);
        mine.hit[c].slot = &t->slots[o->slot];
        return count_owned(t, mine.hit[c].slot, tokens);
    }
    return count_shared(t, 1, tokens);
}

/* A step whose tracker is not in the thread's cache: the thread's first
 * on it (a slot is claimed, the record may grow), or one on a tracker the
 * cache lost to another. Kept out of the hot path so that the step itself
 * saves no registers. */
__attribute__((noinline)) static int step_slow(llmc_tracker *t,
                                               uint64_t tokens)
{
    struct thread_rec *r = rec_get();
    struct own *o = NULL;
    unsigned c = (unsigned)t->gen & (LLMC__TCACHE - 1);
    uint64_t n;

    if (r) {
        for (unsigned i = 0; i < r->n && !o; i++)
            if (r->own[i].gen == t->gen)
                o = &r->own[i];
        if (!o && rec_room(r)) {
            o = &r->own[r->n++];
            o->gen = t->gen;
            o->slot = slot_claim(t, r);
            o->shared_steps = 0;
            if (o->slot < LLMC__OWN_SLOTS)
                hint_set(t, o->slot);
        }
    }
    if (!o) { /* no memory for the record */
        n = count_shared(t, 1, tokens);
    } else {
        mine.hit[c].gen = t->gen;
        mine.hit[c].own = (unsigned)(o - r->own);
        if (o->slot < LLMC__OWN_SLOTS) {
            mine.hit[c].slot = &t->slots[o->slot];
            n = count_owned(t, mine.hit[c].slot, tokens);
        } else {
            mine.hit[c].slot = NULL;
            n = step_shared(t, tokens, r, o, c);
        }
    }
    maybe_sample_inline(t, n);
    return LLMC_OK;
}

/* A step whose hint another thread holds: the thread's cache. */
__attribute__((noinline)) static int step_cached(llmc_tracker *t,
                                                 uint64_t tokens)
{
    uint64_t gen = t->gen, n;
    unsigned c = (unsigned)gen & (LLMC__TCACHE - 1);
    if (__builtin_expect(mine.hit[c].gen != gen, 0))
        return step_slow(t, tokens);
    if (__builtin_expect(mine.hit[c].slot != NULL, 1))
        n = count_owned(t, mine.hit[c].slot, tokens);
    else
        n = step_shared(t, tokens, mine.rec, &mine.rec->own[mine.hit[c].own],
                        c);
    maybe_sample_inline(t, n);
    return LLMC_OK;
}

LLMC_API int llmc_tracker_step(llmc_tracker *t, uint64_t tokens)
{
    uintptr_t self = thread_id(), hint;

    if (__builtin_expect(t == NULL, 0))
        return LLMC_EINVAL;
    hint = atomic_load_explicit(&t->hint[hint_of(self)], memory_order_relaxed);
    if (__builtin_expect((hint & ~(uintptr_t)63) != self, 0))
        return step_cached(t, tokens);
    maybe_sample_inline(t, count_owned(t, &t->slots[hint & 63], tokens));
    return LLMC_OK;
}

/* Steps counted elsewhere (a binding's own counters), handed over in one
 * call: the shared slot's atomic adds, so that any thread may call it and
 * the totals are those of as many single steps. With sampler=inline each
 * call looks at the clock, as a single step does every eighth time. */
LLMC_API int llmc_tracker_add_steps(llmc_tracker *t, uint64_t steps,
                                    uint64_t tokens)
{
    if (__builtin_expect(t == NULL, 0))
        return LLMC_EINVAL;
    if (steps == 0 && tokens == 0)
        return LLMC_OK;
    count_shared(t, steps, tokens);
    if (inline_sampling(t))
        inline_sample(t);
    return LLMC_OK;
}

/* FNV-1a: names are short, and a phase is found in constant time
 * however many there are. */
unsigned llmc__name_hash(const char *name)
{
    uint32_t h = 2166136261u;
    for (; *name; name++)
        h = (h ^ (unsigned char)*name) * 16777619u;
    return h;
}

/* The index entry of name: its phase's, or the empty one it would take. */
static unsigned *index_slot(unsigned *index, unsigned size,
                            char (*names)[LLMC__PHASE_NAME], const char *name)
{
    unsigned i = llmc__name_hash(name) & (size - 1);
    while (index[i] && strcmp(names[index[i] - 1], name) != 0)
        i = (i + 1) & (size - 1);
    return &index[i];
}

int llmc__phase_find(const llmc_tracker *t, const char *name)
{
    unsigned e;
    if (!t->phase_index)
        return -1;
    e = *index_slot(t->phase_index, 2 * t->phase_cap, t->phase_names, name);
    return e ? (int)e - 1 : -1;
}

/* Grows arr to n entries, or goes to fail; the old entries are kept. */
#define GROW(arr, n)                                                   \
    do {                                                               \
        void *grown_ = realloc((arr), (size_t)(n) * sizeof *(arr));    \
        if (!grown_)                                                   \
            goto fail;                                                 \
        (arr) = grown_;                                                \
    } while (0)

int llmc__phases_reserve(llmc_tracker *t, unsigned n)
{
    unsigned cap = t->phase_cap ? t->phase_cap : LLMC__HOT, *index;
    if (n <= t->phase_cap)
        return LLMC_OK;
    while (cap < n) {
        if (cap > UINT_MAX / 4)
            goto fail;
        cap *= 2;
    }
    /* an array that grew before a failure stays grown: phase_cap is what
     * all of them hold */
    GROW(t->phase_names, cap);
    GROW(t->phase_hot, cap);
    GROW(t->phases, cap);
    GROW(t->resumed_phases, cap);
    GROW(t->phase_scratch, 2 * (size_t)cap);
    for (unsigned i = 0; i < LLMC__SPANS; i++)
        GROW(t->spans[i].energy_j, cap);
    /* the index is built afresh at its new size: at most half full */
    if (!(index = calloc(2 * (size_t)cap, sizeof *index)))
        goto fail;
    for (unsigned p = 0; p < t->nphases; p++)
        *index_slot(index, 2 * cap, t->phase_names, t->phase_names[p]) = p + 1;
    free(t->phase_index);
    t->phase_index = index;
    t->phase_cap = cap;
    return LLMC_OK;
fail:
    return llmc__fail(LLMC_ENOMEM, "out of memory for %u phases", n);
}

int llmc__phase_add(llmc_tracker *t, const char *name)
{
    unsigned p = t->nphases;
    if (p == UINT_MAX || llmc__phases_reserve(t, p + 1) != LLMC_OK)
        return -1;
    snprintf(t->phase_names[p], LLMC__PHASE_NAME, "%s", name);
    *index_slot(t->phase_index, 2 * t->phase_cap, t->phase_names, name) =
        p + 1;
    t->phase_hot[p] = p == 0 ? 0 : -1;
    memset(&t->phases[p], 0, sizeof t->phases[p]);
    memset(&t->resumed_phases[p], 0, sizeof t->resumed_phases[p]);
    for (unsigned i = 0; i < LLMC__SPANS; i++)
        t->spans[i].energy_j[p] = 0.0;
    t->nphases++;
    return (int)p;
}

/* The counter index of phase p, given it if it has none (see tracker.h):
 * a free index, else the one whose phase was current longest ago; never
 * 0 ("train"'s) nor the current phase's. */
static unsigned hot_bind(llmc_tracker *t, unsigned p)
{
    unsigned cur = atomic_load_explicit(&t->phase, memory_order_relaxed);
    unsigned h = 0;
    if (t->phase_hot[p] >= 0)
        return (unsigned)t->phase_hot[p];
    for (unsigned i = 1; i < LLMC__HOT; i++) {
        if (i == cur)
            continue;
        if (t->hot_phase[i] < 0) {
            h = i;
            break;
        }
        if (h == 0 || t->hot_used[i] < t->hot_used[h])
            h = i;
    }
    if (t->hot_phase[h] >= 0) {
        llmc__hot_harvest(t, h);
        t->phase_hot[t->hot_phase[h]] = -1;
    }
    t->hot_phase[h] = (int)p;
    t->phase_hot[p] = (int)h;
    return h;
}

LLMC_API int llmc_tracker_phase(llmc_tracker *t, const char *name)
{
    int idx;
    if (!t || !name)
        return llmc__fail(LLMC_EINVAL, "tracker or name is NULL");
    if (!*name || strlen(name) >= LLMC__PHASE_NAME)
        return llmc__fail(LLMC_EINVAL,
                          "a phase name has 1 to %d characters ('%s')",
                          LLMC__PHASE_NAME - 1, name);
    pthread_mutex_lock(&t->mu);
    idx = llmc__phase_find(t, name);
    if (idx < 0 && (idx = llmc__phase_add(t, name)) < 0) {
        int rc = llmc__fail(LLMC_ENOMEM,
                            "out of memory for the phase '%s' (the tracker "
                            "has %u); free memory or reuse phase names",
                            name, t->nphases);
        pthread_mutex_unlock(&t->mu);
        return rc;
    }
    if ((unsigned)idx != t->cur_phase) {
        unsigned h;
        if (t->nswitches == LLMC__SWITCHES) /* the sampler is far behind */
            llmc__tracker_sample(t, LLMC__SAMPLE_NORMAL);
        t->switches[t->nswitches].t_ns = llmc__now_ns();
        t->switches[t->nswitches].phase = (unsigned)idx;
        t->nswitches++;
        /* the phase left was current until now */
        t->hot_used[atomic_load_explicit(&t->phase, memory_order_relaxed)] =
            ++t->hot_clock;
        h = hot_bind(t, (unsigned)idx);
        t->cur_phase = (unsigned)idx;
        atomic_store(&t->phase, h);
    }
    pthread_mutex_unlock(&t->mu);
    return LLMC_OK;
}

/* Wakes the threads that called llmc_tracker_stop while another stopped. */
static void finish_stop(llmc_tracker *t, int rc)
{
    pthread_mutex_lock(&t->mu);
    t->stop_finished = 1;
    t->stop_rc = rc;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

LLMC_API int llmc_tracker_stop(llmc_tracker *t)
{
    int expected = LLMC__RUNNING, rc = LLMC_OK;
    if (!t)
        return llmc__fail(LLMC_EINVAL, "tracker is NULL");
    if (!atomic_compare_exchange_strong(&t->state, &expected,
                                        LLMC__STOPPED)) {
        if (expected != LLMC__STOPPED || getpid() != t->owner_pid)
            return LLMC_OK; /* never started, or a forked child's copy */
        /* another thread stops it: return once its final sample exists */
        pthread_mutex_lock(&t->mu);
        while (!t->stop_finished)
            pthread_cond_wait(&t->cv, &t->mu);
        rc = t->stop_rc;
        pthread_mutex_unlock(&t->mu);
        if (rc != LLMC_OK)
            return llmc__fail(rc, "another thread stopped this tracker, and "
                                  "its stop failed with %s (see the report's "
                                  "problems)", llmc_status_name(rc));
        return LLMC_OK;
    }
    running_set(t, 0);
    if (getpid() != t->owner_pid)
        return LLMC_OK; /* a forked child: the sampler lives in the parent */
    pthread_mutex_lock(&t->mu);
    t->stop_requested = 1;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    if (t->thread_running) {
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += JOIN_TIMEOUT_S;
        if (pthread_timedjoin_np(t->thread, NULL, &deadline) != 0) {
            /* a meter hangs in the driver: leave the thread, never the
             * trainer, waiting on it */
            pthread_detach(t->thread);
            llmc__problem(t, "the sampler did not stop within %d s",
                          JOIN_TIMEOUT_S);
            finish_stop(t, LLMC_EIO);
            return llmc__fail(LLMC_EIO,
                              "the sampler did not stop within %d s (a meter "
                              "hangs); its totals are left as they were",
                              JOIN_TIMEOUT_S);
        }
        t->thread_running = 0;
    }
    if (t->sync) /* the work queued before stop belongs to the run */
        t->sync(t->sync_userdata);
    pthread_mutex_lock(&t->mu);
    llmc__tracker_sample(t, LLMC__SAMPLE_FINAL);
    /* energy still without an intensity: the grid thread gets a moment
     * (the run's time has ended with the last sample), then the value
     * nearest in time prices it */
    llmc__grid_settle(t, llmc__real_now_ns() +
                             llmc__ns_of_s(fmin(t->interval_s, SETTLE_MAX_S)));
    if (t->checkpoint_path)
        rc = llmc__checkpoint_queue(t);
    t->log = NULL; /* nothing more is queued for it */
    /* the last lines and the checkpoint are written with mu released:
     * other threads' totals and reports do not wait for the disk */
    pthread_mutex_unlock(&t->mu);
    llmc__writer_close(t);
    pthread_mutex_lock(&t->mu);
    llmc__writer_report(t);
    if (rc == LLMC_OK && t->checkpoint_path)
        rc = llmc__writer_checkpoint_result(t);
    if (rc == LLMC_OK)
        rc = llmc__log_whole(t);
    pthread_mutex_unlock(&t->mu);
    finish_stop(t, rc);
    return rc;
}

LLMC_API void llmc_tracker_free(llmc_tracker *t)
{
    if (!t)
        return;
    llmc_tracker_stop(t);
    if (t->thread_running) /* only when the join timed out */
        return;
    running_set(t, 0); /* a start that raced a stop may have left it */
    pthread_mutex_lock(&running_mu);
    while (t->exit_pin) /* the exit handler is still in llmc_tracker_stop */
        pthread_cond_wait(&running_cv, &running_mu);
    pthread_mutex_unlock(&running_mu);
    live_remove(t); /* no exiting thread gives back a slot here from now */
    llmc__grid_thread_end(t); /* cancels a fetch in flight */
    for (size_t i = 0; i < t->nchans; i++)
        llmc__lock_release(t->chans[i].lock_fd);
    llmc__writer_free(&t->writer); /* closes the log */
    llmc_meter_free(t->meter);
    free(t->chans);
    free(t->measure_detail);
    free(t->phase_names);
    free(t->phase_hot);
    free(t->phases);
    free(t->resumed_phases);
    free(t->phase_scratch);
    free(t->phase_index);
    for (unsigned i = 0; i < LLMC__SPANS; i++)
        free(t->spans[i].energy_j);
    llmc__windows_free(t);
    llmc__tracker_config_free(t);
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    pthread_cond_destroy(&t->grid_cv);
    free(t);
}
