/*
 * config.c - tracker configuration: "key=value;key=value" strings, the
 * LLMC_* environment and the typed setters all land in one function, so a
 * key means the same thing wherever it is written.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "tracker.h"

#define MIN_INTERVAL_S 0.1 /* NVML's counter updates every 20-100 ms */
/* The longest sampling or checkpoint interval: a day. A run sampled less
 * often than daily has no useful timeline, and the bound keeps every
 * interval in nanoseconds (8.64e13) far inside int64_t, so no deadline
 * computed from it can overflow. */
#define MAX_INTERVAL_S 86400.0
#define MAX_DEVICES 1000000 /* more is a typo, not a cluster */

static int set_string(char **slot, const char *value)
{
    char *copy = *value ? llmc__strdup(value) : NULL;
    if (*value && !copy)
        return llmc__fail(LLMC_ENOMEM, "out of memory");
    free(*slot);
    *slot = copy;
    return LLMC_OK;
}

static int parse_uint(uint64_t *out, const char *value, const char *what,
                      uint64_t min)
{
    char *end;
    unsigned long long v;
    if (!isdigit((unsigned char)*value))
        return llmc__fail(LLMC_EPARSE, "%s '%s' is not a whole number", what,
                          value);
    errno = 0;
    v = strtoull(value, &end, 10);
    /* "1e9" and "10k" are common in job scripts for token counts */
    if (*end == 'e' || *end == 'E') {
        double d = strtod(value, &end);
        if (*end || !isfinite(d) || d < 0 || d > 1.8e19 || d != floor(d))
            return llmc__fail(LLMC_EPARSE, "%s '%s' is not a whole number",
                              what, value);
        v = (unsigned long long)d;
    } else if (*end || errno) {
        return llmc__fail(LLMC_EPARSE, "%s '%s' is not a whole number", what,
                          value);
    }
    if (v < min)
        return llmc__fail(LLMC_ERANGE, "%s '%s' must be at least %llu", what,
                          value, (unsigned long long)min);
    *out = v;
    return LLMC_OK;
}

/* ---- the keys: one setter each, one row each in the table below ------- */

static int set_meters(llmc_tracker *t, const char *value, const char *origin)
{
    if (!*value)
        return llmc__fail(LLMC_EPARSE, "%s: meters is empty; write e.g. "
                          "meters=auto or meters=nvml:all+rapl", origin);
    return set_string(&t->meters_spec, value);
}

static int set_grid(llmc_tracker *t, const char *value, const char *origin)
{
    llmc_grid *g;
    int rc;
    (void)origin;
    if ((rc = llmc_grid_new(&g, value)) != LLMC_OK)
        return rc;
    llmc_grid_free(t->grid);
    t->grid = g;
    return LLMC_OK;
}

static int set_pue(llmc_tracker *t, const char *value, const char *origin)
{
    double v;
    int rc;
    (void)origin;
    if ((rc = llmc_quantity_parse(&v, LLMC_DIM_PUE, value, NULL)))
        return rc;
    t->pue = v;
    return LLMC_OK;
}

/* interval and checkpoint_interval: a duration within the row's bounds */
static int parse_interval(double *out, const char *key, const char *value,
                          const char *origin)
{
    double v;
    int rc;
    if ((rc = llmc_quantity_parse(&v, LLMC_DIM_DURATION, value, "s")))
        return rc;
    if (v < MIN_INTERVAL_S)
        return llmc__fail(LLMC_ERANGE,
                          "%s: %s '%s' is below the 100 ms minimum (energy "
                          "counters update every 20-100 ms)",
                          origin, key, value);
    if (!(v <= MAX_INTERVAL_S))
        return llmc__fail(LLMC_ERANGE,
                          "%s: %s '%s' is above the 1 day maximum; write "
                          "a duration of at most 1d (86400 s)",
                          origin, key, value);
    *out = v;
    return LLMC_OK;
}

static int set_interval(llmc_tracker *t, const char *value, const char *origin)
{
    return parse_interval(&t->interval_s, "interval", value, origin);
}

static int set_checkpoint_interval(llmc_tracker *t, const char *value,
                                   const char *origin)
{
    return parse_interval(&t->checkpoint_interval_s, "checkpoint_interval",
                          value, origin);
}

static int set_log(llmc_tracker *t, const char *value, const char *origin)
{
    (void)origin;
    return set_string(&t->log_path, value);
}

static int set_checkpoint(llmc_tracker *t, const char *value,
                          const char *origin)
{
    (void)origin;
    return set_string(&t->checkpoint_path, value);
}

static int set_runtime_dir(llmc_tracker *t, const char *value,
                           const char *origin)
{
    (void)origin;
    return set_string(&t->runtime_dir, value);
}

static int set_hardware(llmc_tracker *t, const char *value, const char *origin)
{
    llmc_profile *p;
    int rc;
    (void)origin;
    if ((rc = llmc_profile_lookup(&p, value)) != LLMC_OK)
        return rc;
    llmc_profile_free(t->profile);
    t->profile = p;
    return LLMC_OK;
}

static int set_embodied_scope(llmc_tracker *t, const char *value,
                              const char *origin)
{
    (void)origin;
    return llmc__scope_parse(&t->embodied_scope, value, "embodied_scope");
}

static int set_devices(llmc_tracker *t, const char *value, const char *origin)
{
    uint64_t u;
    int rc;
    (void)origin;
    if ((rc = parse_uint(&u, value, "devices", 1)) != LLMC_OK)
        return rc;
    if (u > MAX_DEVICES)
        return llmc__fail(LLMC_ERANGE, "devices '%s' is implausible; give "
                          "at most %d", value, MAX_DEVICES);
    t->devices = (int)u;
    return LLMC_OK;
}

static int set_target_tokens(llmc_tracker *t, const char *value,
                             const char *origin)
{
    uint64_t u;
    int rc;
    (void)origin;
    if ((rc = parse_uint(&u, value, "target_tokens", 1)) != LLMC_OK)
        return rc;
    /* the one key that may change while the tracker runs: under mu then
     * (a tracker not yet started, or a configuration's trial copy, is one
     * thread's alone) */
    if (atomic_load(&t->state) == LLMC__NEW) {
        t->target_tokens = u;
        return LLMC_OK;
    }
    return llmc_tracker_set_target_tokens(t, u);
}

/* the ex-ante estimate of the run's total ("185t", "150t..230t"), reported
 * next to the projection */
static int set_plan(llmc_tracker *t, const char *value, const char *origin)
{
    double lo, hi;
    int rc;
    (void)origin;
    if ((rc = llmc_quantity_parse_range(&lo, &hi, LLMC_DIM_MASS, value,
                                        "kg")) != LLMC_OK)
        return rc;
    t->plan_lo_kgco2e = lo;
    t->plan_hi_kgco2e = hi;
    return LLMC_OK;
}

static int set_sampler(llmc_tracker *t, const char *value, const char *origin)
{
    if (strcmp(value, "thread") == 0)
        t->inline_sampler = 0;
    else if (strcmp(value, "inline") == 0)
        t->inline_sampler = 1;
    else
        return llmc__fail(LLMC_EINVAL,
                          "%s: sampler '%s' is not known; use thread (a "
                          "background thread) or inline (sampled from "
                          "llmc_tracker_step)",
                          origin, value);
    return LLMC_OK;
}

static int set_require(llmc_tracker *t, const char *value, const char *origin)
{
    if (strcmp(value, "measured") == 0)
        t->require_measured = 1;
    else if (strcmp(value, "none") == 0 || !*value)
        t->require_measured = 0;
    else
        return llmc__fail(LLMC_EINVAL,
                          "%s: require '%s' is not known; use measured "
                          "(start fails unless a meter reads energy) or "
                          "none",
                          origin, value);
    return LLMC_OK;
}

static int set_fallback(llmc_tracker *t, const char *value, const char *origin)
{
    if (strcmp(value, "cputime") == 0)
        t->fallback_none = 0;
    else if (strcmp(value, "none") == 0)
        t->fallback_none = 1;
    else
        return llmc__fail(LLMC_EINVAL,
                          "%s: fallback '%s' is not known; use cputime "
                          "(estimate from CPU time when no meter can "
                          "read; the default) or none (leave the energy "
                          "unknown)",
                          origin, value);
    return LLMC_OK;
}

/* The tracker's configuration, one row per key: its name (the CLI flag is
 * the name with '-' for '_', the environment variable LLMC_ and the name in
 * capitals), unit and bounds where it is a number, whether it may change
 * while the tracker runs, a one-line summary, and its setter. Every way of
 * configuring a tracker - strings, the environment, llmc_tracker_set, the
 * CLI's flags - and llmc_tracker_key_get read this table. */
struct key_row {
    const char *name, *flag, *env, *arg, *unit;
    double min, max;
    int while_running;
    const char *help;
    int (*set)(llmc_tracker *t, const char *value, const char *origin);
};

#define NUM(lo, hi) (lo), (hi)
#define TEXT NAN, NAN

static const struct key_row rows[] = {
    {"meters", "--meters", "LLMC_METERS", "SPEC", "", TEXT, 0,
     "auto (default), nvml:all, rapl, amdgpu, cputime, model:PROFILE@U, "
     "const:300W or replay:FILE; join several with '+'", set_meters},
    {"grid", "--grid", "LLMC_GRID", "SPEC", "", TEXT, 0,
     "grid intensity: FR, static:US-CA, const:450g/kWh, "
     "electricitymaps:DE, ... (default static:WORLD)", set_grid},
    {"pue", "--pue", "LLMC_PUE", "X", "", NUM(1.0, INFINITY), 0,
     "data-centre PUE (default 1.0)", set_pue},
    {"interval", "--interval", "LLMC_INTERVAL", "DUR", "s",
     NUM(MIN_INTERVAL_S, MAX_INTERVAL_S), 0,
     "sampling interval (default 1s, at least 100ms)", set_interval},
    {"log", "--log", "LLMC_LOG", "FILE", "", TEXT, 0,
     "one JSON line per sample", set_log},
    {"checkpoint", "--checkpoint", "LLMC_CHECKPOINT", "FILE", "", TEXT, 0,
     "totals written atomically; resumed if present", set_checkpoint},
    {"checkpoint_interval", "--checkpoint-interval",
     "LLMC_CHECKPOINT_INTERVAL", "DUR", "s",
     NUM(MIN_INTERVAL_S, MAX_INTERVAL_S), 0,
     "how often the checkpoint is written (default 60s)",
     set_checkpoint_interval},
    {"hardware", "--hardware", "LLMC_HARDWARE", "NAME", "", TEXT, 0,
     "the devices' profile, for embodied carbon (default: what the "
     "meters' driver reports)", set_hardware},
    {"embodied_scope", "--embodied-scope", "LLMC_EMBODIED_SCOPE", "SCOPE", "",
     TEXT, 0,
     "what the embodied figure covers: die, package, board (default) or "
     "server (board + the host's share)", set_embodied_scope},
    {"devices", "--devices", "LLMC_DEVICES", "N", "", NUM(1, MAX_DEVICES), 0,
     "how many devices embodied carbon counts (default: those counted here)",
     set_devices},
    {"target_tokens", "--target-tokens", "LLMC_TARGET_TOKENS", "N", "tokens",
     NUM(1, 18446744073709551615.0), 1,
     "project the footprint at N tokens", set_target_tokens},
    {"sampler", "--sampler", "LLMC_SAMPLER", "MODE", "", TEXT, 0,
     "thread (default: sampled every interval) or inline (sampled by the "
     "step hook; for run, which has none, at start and end only)",
     set_sampler},
    {"require", "--require", "LLMC_REQUIRE", "measured", "", TEXT, 0,
     "fail unless a meter reads energy", set_require},
    {"runtime_dir", "--runtime-dir", "LLMC_RUNTIME_DIR", "DIR", "", TEXT, 0,
     "where the per-node device locks live (default "
     "$XDG_RUNTIME_DIR/llmcarbon)", set_runtime_dir},
    {"plan", "--plan", "LLMC_PLAN", "KG", "kg", NUM(0, INFINITY), 0,
     "the ex-ante estimate, shown next to the projection (150t..230t)",
     set_plan},
    {"fallback", "--fallback", "LLMC_FALLBACK", "MODE", "", TEXT, 0,
     "when no meter can read: cputime (default: estimate from CPU time) "
     "or none (energy unknown)", set_fallback},
};
#define NKEYS (sizeof rows / sizeof rows[0])

/* The row of key, written with '-' or '_' and in any case; NULL if none. */
static const struct key_row *find_row(const char *key)
{
    char k[40];
    size_t n = 0;
    for (const char *p = key; *p && n + 1 < sizeof k; p++)
        k[n++] = *p == '-' ? '_' : (char)tolower((unsigned char)*p);
    k[n] = '\0';
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(rows[i].name, k) == 0)
            return &rows[i];
    return NULL;
}

static int unknown_key(const char *key, const char *origin)
{
    char list[400];
    size_t used = 0;
    for (size_t i = 0; i < NKEYS && used < sizeof list; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                 i ? ", " : "", rows[i].name);
    return llmc__fail(LLMC_EINVAL, "%s: '%s' is not a tracker key; use one "
                      "of: %s", origin, key, list);
}

int llmc__tracker_apply(llmc_tracker *t, const char *key, const char *value,
                        const char *origin)
{
    const struct key_row *row = find_row(key);
    return row ? row->set(t, value, origin) : unknown_key(key, origin);
}

static void row_out(llmc_key_info *full, const struct key_row *row)
{
    memset(full, 0, sizeof *full);
    full->size = sizeof *full;
    full->name = row->name;
    full->flag = row->flag;
    full->env = row->env;
    full->arg = row->arg;
    full->unit = row->unit;
    full->min = row->min;
    full->max = row->max;
    full->while_running = row->while_running;
    full->help = row->help;
}

LLMC_API void llmc_key_info_init(llmc_key_info *out, size_t size)
{
    llmc__versioned_init(out, size);
}

LLMC_API size_t llmc_tracker_key_count(void)
{
    return NKEYS;
}

LLMC_API int llmc_tracker_key_get(llmc_key_info *out, size_t index)
{
    llmc_key_info full;
    if (!out)
        return llmc__fail(LLMC_EINVAL, "out is NULL");
    if (index >= NKEYS)
        return llmc__fail(LLMC_ERANGE, "key index %zu is past the %zu "
                          "tracker keys", index, NKEYS);
    row_out(&full, &rows[index]);
    return llmc__versioned_copy(out, &full, sizeof full,
                                LLMC__FIELD_END(llmc_key_info, name),
                                "llmc_key_info");
}

LLMC_API int llmc_tracker_key_find(llmc_key_info *out, const char *name)
{
    const struct key_row *row;
    llmc_key_info full;
    if (!out || !name)
        return llmc__fail(LLMC_EINVAL, "out or name is NULL");
    if (!(row = find_row(name)))
        return unknown_key(name, "llmc_tracker_key_find");
    row_out(&full, row);
    return llmc__versioned_copy(out, &full, sizeof full,
                                LLMC__FIELD_END(llmc_key_info, name),
                                "llmc_key_info");
}

void llmc__tracker_config_free(llmc_tracker *t)
{
    llmc_grid_free(t->grid);
    llmc_profile_free(t->profile);
    free(t->meters_spec);
    free(t->log_path);
    free(t->checkpoint_path);
    free(t->runtime_dir);
}

int llmc__tracker_apply_env(llmc_tracker *t)
{
    for (size_t i = 0; i < NKEYS; i++) {
        const char *var = rows[i].env, *value = getenv(var);
        char origin[64];
        if (!value || !*value) /* LLMC_METERS= in a job script: not set */
            continue;
        snprintf(origin, sizeof origin, "environment %s", var);
        {
            int rc = rows[i].set(t, value, origin);
            if (rc != LLMC_OK) {
                char detail[900];
                snprintf(detail, sizeof detail, "%s", llmc_last_error());
                return llmc__fail(rc, "%s=%s: %s", var, value, detail);
            }
        }
    }
    return LLMC_OK;
}

/* Applies the items of a config string in order, up to the first wrong one. */
static int configure_items(llmc_tracker *t, const char *config)
{
    char *copy, *item, *save = NULL;
    int rc = LLMC_OK;

    if (!(copy = llmc__strdup(config)))
        return llmc__fail(LLMC_ENOMEM, "out of memory");
    for (item = strtok_r(copy, ";", &save); item && rc == LLMC_OK;
         item = strtok_r(NULL, ";", &save)) {
        char *eq, *key = item, *value, *end;
        while (isspace((unsigned char)*key))
            key++;
        if (!*key)
            continue;
        if (!(eq = strchr(key, '='))) {
            rc = llmc__fail(LLMC_EPARSE,
                            "'%s' in the tracker config is not key=value",
                            key);
            break;
        }
        *eq = '\0';
        value = eq + 1;
        for (end = eq; end > key && isspace((unsigned char)end[-1]); end--)
            end[-1] = '\0';
        while (isspace((unsigned char)*value))
            value++;
        for (end = value + strlen(value);
             end > value && isspace((unsigned char)end[-1]); end--)
            end[-1] = '\0';
        rc = llmc__tracker_apply(t, key, value, "config");
    }
    free(copy);
    return rc;
}

LLMC_API int llmc_tracker_configure(llmc_tracker *t, const char *config)
{
    llmc_tracker *trial;
    int rc;

    if (!t || !config)
        return llmc__fail(LLMC_EINVAL, "tracker or config is NULL");
    if (atomic_load(&t->state) != LLMC__NEW)
        return llmc__fail(LLMC_ESTATE,
                          "the tracker has started; configure it before "
                          "llmc_tracker_start");
    /* All or nothing: the items go to a blank tracker first, and to this
     * one only when every item is right. */
    if (posix_memalign((void **)&trial, 64, sizeof *trial) != 0)
        return llmc__fail(LLMC_ENOMEM, "out of memory");
    memset(trial, 0, sizeof *trial);
    rc = configure_items(trial, config);
    llmc__tracker_config_free(trial);
    free(trial);
    if (rc != LLMC_OK)
        return rc;
    return configure_items(t, config);
}

LLMC_API int llmc_tracker_set(llmc_tracker *t, const char *key,
                              const char *value)
{
    const struct key_row *row;
    if (!t || !key || !value)
        return llmc__fail(LLMC_EINVAL, "tracker, key or value is NULL");
    if (!(row = find_row(key)))
        return unknown_key(key, "llmc_tracker_set");
    /* a key marked so in the table may change while the tracker runs, as
     * through its typed setter; the others are fixed by the start */
    if (atomic_load(&t->state) != LLMC__NEW && !row->while_running)
        return llmc__fail(LLMC_ESTATE,
                          "the tracker has started; set '%s' before "
                          "llmc_tracker_start",
                          key);
    return row->set(t, value, "llmc_tracker_set");
}

static int before_start(llmc_tracker *t)
{
    if (!t)
        return llmc__fail(LLMC_EINVAL, "tracker is NULL");
    if (atomic_load(&t->state) != LLMC__NEW)
        return llmc__fail(LLMC_ESTATE,
                          "the tracker has started; set this before "
                          "llmc_tracker_start");
    return LLMC_OK;
}

LLMC_API int llmc_tracker_set_grid(llmc_tracker *t, llmc_grid *grid)
{
    int rc = before_start(t);
    if (rc != LLMC_OK)
        return rc;
    if (!grid)
        return llmc__fail(LLMC_EINVAL, "grid is NULL");
    llmc_grid_ref(grid);
    llmc_grid_free(t->grid);
    t->grid = grid;
    return LLMC_OK;
}

LLMC_API int llmc_tracker_set_profile(llmc_tracker *t, llmc_profile *profile)
{
    int rc = before_start(t);
    if (rc != LLMC_OK)
        return rc;
    if (!profile)
        return llmc__fail(LLMC_EINVAL, "profile is NULL");
    llmc_profile_ref(profile);
    llmc_profile_free(t->profile);
    t->profile = profile;
    return LLMC_OK;
}

LLMC_API int llmc_tracker_set_pue(llmc_tracker *t, double pue)
{
    int rc = before_start(t);
    if (rc != LLMC_OK)
        return rc;
    if (!isfinite(pue) || pue < 1.0)
        return llmc__fail(LLMC_ERANGE,
                          "PUE %g is not allowed; PUE is facility energy "
                          "over IT energy, so at least 1",
                          pue);
    t->pue = pue;
    return LLMC_OK;
}

LLMC_API int llmc_tracker_set_interval(llmc_tracker *t, double interval_s)
{
    int rc = before_start(t);
    if (rc != LLMC_OK)
        return rc;
    if (!isfinite(interval_s) || interval_s < MIN_INTERVAL_S)
        return llmc__fail(LLMC_ERANGE,
                          "interval %g s is below the 100 ms minimum (energy "
                          "counters update every 20-100 ms)",
                          interval_s);
    if (interval_s > MAX_INTERVAL_S)
        return llmc__fail(LLMC_ERANGE,
                          "interval %g s is above the 1 day maximum; use at "
                          "most 86400 s",
                          interval_s);
    t->interval_s = interval_s;
    return LLMC_OK;
}

LLMC_API int llmc_tracker_set_target_tokens(llmc_tracker *t, uint64_t tokens)
{
    if (!t)
        return llmc__fail(LLMC_EINVAL, "tracker is NULL");
    if (tokens == 0)
        return llmc__fail(LLMC_ERANGE, "a target of 0 tokens projects nothing");
    pthread_mutex_lock(&t->mu);
    /* a running tracker's log records the new plan; a tracker not yet
     * started writes it when it starts */
    if (t->target_tokens != tokens) {
        t->target_tokens = tokens;
        if (atomic_load(&t->state) == LLMC__RUNNING && t->log)
            llmc__log_plan(t);
    }
    pthread_mutex_unlock(&t->mu);
    return LLMC_OK;
}

LLMC_API int llmc_tracker_set_sync(llmc_tracker *t, llmc_sync_fn fn,
                                   void *userdata)
{
    int rc = before_start(t);
    if (rc != LLMC_OK)
        return rc;
    t->sync = fn;
    t->sync_userdata = userdata;
    return LLMC_OK;
}
