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

static const char *const keys[] = {
    "meters", "grid", "pue", "interval", "log", "checkpoint",
    "checkpoint_interval", "hardware", "devices", "target_tokens",
    "sampler", "require", "runtime_dir", "plan", "fallback"};
#define NKEYS (sizeof keys / sizeof keys[0])

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

int llmc__tracker_apply(llmc_tracker *t, const char *key, const char *value,
                        const char *origin)
{
    char k[40];
    size_t n = 0;
    double v;
    uint64_t u;
    int rc = LLMC_OK;

    for (const char *p = key; *p && n + 1 < sizeof k; p++)
        k[n++] = *p == '-' ? '_' : (char)tolower((unsigned char)*p);
    k[n] = '\0';

    if (strcmp(k, "meters") == 0) {
        if (!*value)
            return llmc__fail(LLMC_EPARSE, "%s: meters is empty; write e.g. "
                              "meters=auto or meters=nvml:all+rapl", origin);
        return set_string(&t->meters_spec, value);
    }
    if (strcmp(k, "grid") == 0) {
        llmc_grid *g;
        if ((rc = llmc_grid_new(&g, value)) != LLMC_OK)
            return rc;
        llmc_grid_free(t->grid);
        t->grid = g;
        return LLMC_OK;
    }
    if (strcmp(k, "pue") == 0) {
        if ((rc = llmc_quantity_parse(&v, LLMC_DIM_PUE, value, NULL)))
            return rc;
        t->pue = v;
        return LLMC_OK;
    }
    if (strcmp(k, "interval") == 0 || strcmp(k, "checkpoint_interval") == 0) {
        if ((rc = llmc_quantity_parse(&v, LLMC_DIM_DURATION, value, "s")))
            return rc;
        if (v < MIN_INTERVAL_S)
            return llmc__fail(LLMC_ERANGE,
                              "%s: %s '%s' is below the 100 ms minimum (energy "
                              "counters update every 20-100 ms)",
                              origin, k, value);
        if (!(v <= MAX_INTERVAL_S))
            return llmc__fail(LLMC_ERANGE,
                              "%s: %s '%s' is above the 1 day maximum; write "
                              "a duration of at most 1d (86400 s)",
                              origin, k, value);
        if (k[0] == 'i')
            t->interval_s = v;
        else
            t->checkpoint_interval_s = v;
        return LLMC_OK;
    }
    if (strcmp(k, "log") == 0)
        return set_string(&t->log_path, value);
    if (strcmp(k, "checkpoint") == 0)
        return set_string(&t->checkpoint_path, value);
    if (strcmp(k, "runtime_dir") == 0)
        return set_string(&t->runtime_dir, value);
    if (strcmp(k, "hardware") == 0) {
        llmc_profile *p;
        if ((rc = llmc_profile_lookup(&p, value)) != LLMC_OK)
            return rc;
        llmc_profile_free(t->profile);
        t->profile = p;
        return LLMC_OK;
    }
    if (strcmp(k, "devices") == 0) {
        if ((rc = parse_uint(&u, value, "devices", 1)) != LLMC_OK)
            return rc;
        if (u > 1000000)
            return llmc__fail(LLMC_ERANGE, "devices '%s' is implausible",
                              value);
        t->devices = (int)u;
        return LLMC_OK;
    }
    if (strcmp(k, "target_tokens") == 0) {
        if ((rc = parse_uint(&u, value, "target_tokens", 1)) != LLMC_OK)
            return rc;
        t->target_tokens = u;
        return LLMC_OK;
    }
    if (strcmp(k, "plan") == 0) {
        /* the ex-ante estimate of the run's total ("185t", "150t..230t"),
         * reported next to the projection */
        double lo, hi;
        if ((rc = llmc_quantity_parse_range(&lo, &hi, LLMC_DIM_MASS, value,
                                            "kg")) != LLMC_OK)
            return rc;
        t->plan_lo_kgco2e = lo;
        t->plan_hi_kgco2e = hi;
        return LLMC_OK;
    }
    if (strcmp(k, "sampler") == 0) {
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
    if (strcmp(k, "require") == 0) {
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
    if (strcmp(k, "fallback") == 0) {
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
    {
        char list[300];
        size_t used = 0;
        for (size_t i = 0; i < NKEYS; i++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                     i ? ", " : "", keys[i]);
        return llmc__fail(LLMC_EINVAL, "%s: '%s' is not a tracker key; use "
                          "one of: %s", origin, key, list);
    }
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
        char var[48], origin[64];
        const char *value;
        size_t n = 0;
        n += (size_t)snprintf(var, sizeof var, "LLMC_");
        for (const char *p = keys[i]; *p && n + 1 < sizeof var; p++)
            var[n++] = (char)toupper((unsigned char)*p);
        var[n] = '\0';
        value = getenv(var);
        if (!value || !*value) /* LLMC_METERS= in a job script: not set */
            continue;
        snprintf(origin, sizeof origin, "environment %s", var);
        {
            int rc = llmc__tracker_apply(t, keys[i], value, origin);
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
    if (!t || !key || !value)
        return llmc__fail(LLMC_EINVAL, "tracker, key or value is NULL");
    if (atomic_load(&t->state) != LLMC__NEW)
        return llmc__fail(LLMC_ESTATE,
                          "the tracker has started; set '%s' before "
                          "llmc_tracker_start",
                          key);
    return llmc__tracker_apply(t, key, value, "llmc_tracker_set");
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
    t->target_tokens = tokens;
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
