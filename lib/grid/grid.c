/*
 * grid.c - grid-intensity sources from spec strings, and chains of them.
 *
 *   static:FR  FR  US-CA  gcp:europe-west1   the bundled yearly table
 *   const:450g/kWh                           a constant
 *   file:PATH                                a user's time series
 *   electricitymaps:DE  ukci:national  ukci:region/13  watttime:CAISO_NORTH
 *   a,b,c                                    the first that answers wins
 *
 * A spec may end in ?key=value&key=value, options for its source (see
 * llmc_grid_set).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "grid.h"

#define MAX_SOURCES 8

static const char *const cloud_prefixes[] = {"gcp", "aws", "azure"};

/* ---- static and const ------------------------------------------------- */

static int static_at(struct llmc__source *s, int64_t t,
                     const struct llmc__grid_ask *ask, llmc_intensity *out)
{
    (void)t; /* a yearly value holds at any time */
    (void)ask;
    llmc__zone_answer(out, s->state);
    return LLMC_OK;
}

static int no_options(struct llmc__source *s, const char *key,
                      const char *value)
{
    (void)s;
    (void)key;
    (void)value;
    return LLMC_ENOTFOUND;
}

static void no_free(struct llmc__source *s)
{
    (void)s;
}

static const struct llmc__source_ops static_ops = {
    .at = static_at, .set = no_options, .free = no_free, .network = 0};

int llmc__source_static(struct llmc__source *s, const char *zone)
{
    const struct llmc__zone_row *row;
    int rc = llmc__zone_resolve(&row, zone);
    if (rc != LLMC_OK)
        return rc;
    s->ops = &static_ops;
    s->state = (void *)row;
    snprintf(s->spec, sizeof s->spec, "static:%s", row->zone);
    return LLMC_OK;
}

static int const_at(struct llmc__source *s, int64_t t,
                    const struct llmc__grid_ask *ask, llmc_intensity *out)
{
    (void)t;
    (void)ask;
    memset(out, 0, sizeof *out);
    out->size = sizeof *out;
    out->gco2e_per_kwh = *(double *)s->state;
    out->basis = LLMC_BASIS_UNSPECIFIED;
    out->zone = "";
    out->source = "const";
    out->dataset = "";
    out->provenance = "a constant given by the user";
    out->licence = "";
    return LLMC_OK;
}

static void free_state(struct llmc__source *s)
{
    free(s->state);
    s->state = NULL;
}

static const struct llmc__source_ops const_ops = {
    .at = const_at, .set = no_options, .free = free_state, .network = 0};

int llmc__source_const(struct llmc__source *s, double v)
{
    double *state;
    if (!isfinite(v) || v < 0.0)
        return llmc__fail(LLMC_ERANGE,
                          "a constant intensity of %g gCO2e/kWh is not "
                          "allowed; give a finite value of 0 or more",
                          v);
    if (!(state = malloc(sizeof *state)))
        return llmc__fail(LLMC_ENOMEM, "out of memory for a grid");
    *state = v;
    s->ops = &const_ops;
    s->state = state;
    snprintf(s->spec, sizeof s->spec, "const:%.17g", v);
    return LLMC_OK;
}

void llmc__point_answer(llmc_intensity *out, const struct llmc__point *p,
                        llmc_basis basis, const char *zone, const char *source,
                        const char *dataset, const char *provenance,
                        const char *licence)
{
    memset(out, 0, sizeof *out);
    out->size = sizeof *out;
    out->gco2e_per_kwh = p->gco2e_per_kwh;
    out->start_unix_s = p->start_unix_s;
    out->duration_s = p->duration_s;
    out->basis = basis;
    out->is_estimated = (p->flags & LLMC__POINT_ESTIMATED) != 0;
    out->is_forecast = (p->flags & LLMC__POINT_FORECAST) != 0;
    out->zone = zone;
    out->source = source;
    out->dataset = dataset;
    out->provenance = provenance;
    out->licence = licence;
}

/* ---- spec parsing ------------------------------------------------------ */

static void trim(char *s)
{
    char *p = s, *e;
    while (isspace((unsigned char)*p))
        p++;
    memmove(s, p, strlen(p) + 1);
    for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
        e[-1] = '\0';
}

static int apply_query(struct llmc__source *s, char *query)
{
    char *item, *save = NULL;
    for (item = strtok_r(query, "&", &save); item;
         item = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(item, '=');
        int rc;
        /* not quoted: a credential written without its name would be */
        if (!eq)
            return llmc__fail(LLMC_EPARSE,
                              "an option in the spec of %s is not "
                              "key=value",
                              s->spec);
        *eq = '\0';
        rc = s->ops->set(s, item, eq + 1);
        if (rc == LLMC_ENOTFOUND)
            return llmc__fail(LLMC_EINVAL, "%s has no option '%s'", s->spec,
                              item);
        if (rc != LLMC_OK)
            return rc;
    }
    return LLMC_OK;
}

/* One source from one element of a chain. */
static int parse_source(struct llmc__source *s, char *text)
{
    char *colon, *query;
    int rc;

    memset(s, 0, sizeof *s);
    trim(text);
    if (!*text)
        return llmc__fail(LLMC_EPARSE,
                          "empty grid spec; write e.g. 'static:FR' or "
                          "'const:450g/kWh'");
    if ((query = strchr(text, '?')) != NULL)
        *query++ = '\0';
    colon = strchr(text, ':');
    if (!colon) {
        rc = llmc__source_static(s, text);
    } else {
        const char *prefix = text, *rest = colon + 1;
        int cloud = 0;
        *colon = '\0';
        for (size_t i = 0; i < sizeof cloud_prefixes / sizeof *cloud_prefixes;
             i++)
            cloud |= llmc__strcaseeq(prefix, cloud_prefixes[i]);
        if (cloud) { /* "gcp:europe-west1" is a row of the table */
            *colon = ':';
            rc = llmc__source_static(s, text);
        } else if (llmc__strcaseeq(prefix, "static"))
            rc = llmc__source_static(s, rest);
        else if (llmc__strcaseeq(prefix, "const")) {
            double v;
            rc = llmc_quantity_parse(&v, LLMC_DIM_INTENSITY, rest, "gCO2e/kWh");
            if (rc == LLMC_OK)
                rc = llmc__source_const(s, v);
        } else if (llmc__strcaseeq(prefix, "file"))
            rc = llmc__source_file(s, rest);
        else if (llmc__strcaseeq(prefix, "electricitymaps"))
            rc = llmc__source_electricitymaps(s, rest);
        else if (llmc__strcaseeq(prefix, "ukci"))
            rc = llmc__source_ukci(s, rest);
        else if (llmc__strcaseeq(prefix, "watttime"))
            rc = llmc__source_watttime(s, rest);
        else
            rc = llmc__fail(LLMC_EPARSE,
                            "'%s' is not a grid source; use static:ZONE, "
                            "const:VALUE, file:PATH, electricitymaps:ZONE, "
                            "ukci:national, watttime:REGION, or a zone such "
                            "as FR or gcp:europe-west1",
                            prefix);
    }
    if (rc == LLMC_OK && query && (rc = apply_query(s, query)) != LLMC_OK) {
        s->ops->free(s);
        s->ops = NULL;
    }
    return rc;
}

static void free_sources(llmc_grid *g)
{
    for (size_t i = 0; i < g->count; i++)
        if (g->sources[i].ops)
            g->sources[i].ops->free(&g->sources[i]);
    free(g->sources);
}

LLMC_API int llmc_grid_new(llmc_grid **out, const char *spec)
{
    char *copy, *item, *save = NULL;
    llmc_grid *g;
    size_t len = 0;
    int rc = LLMC_OK;

    if (!out)
        return llmc__fail(LLMC_EINVAL, "out is NULL");
    *out = NULL;
    if (!spec)
        return llmc__fail(LLMC_EINVAL, "spec is NULL");
    if (strlen(spec) > 4096)
        return llmc__fail(LLMC_EPARSE, "grid spec '%.60s...' is too long", spec);
    if (!(g = calloc(1, sizeof *g)) ||
        !(g->sources = calloc(MAX_SOURCES, sizeof *g->sources)) ||
        !(copy = llmc__strdup(spec))) {
        if (g)
            free(g->sources);
        free(g);
        return llmc__fail(LLMC_ENOMEM, "out of memory for a grid");
    }
    atomic_init(&g->refs, 1);
    pthread_mutex_init(&g->mu, NULL);
    /* a spec of nothing but blanks is empty; empty elements (",,") are
     * skipped */
    {
        int all_blank = 1;
        for (const char *p = spec; *p; p++)
            all_blank &= isspace((unsigned char)*p) != 0;
        if (all_blank)
            rc = llmc__fail(LLMC_EPARSE,
                            "empty grid spec; write e.g. 'static:FR' or "
                            "'const:450g/kWh'");
    }
    for (item = strtok_r(copy, ",", &save); item && rc == LLMC_OK;
         item = strtok_r(NULL, ",", &save)) {
        if (g->count == MAX_SOURCES) {
            rc = llmc__fail(LLMC_EPARSE,
                            "grid spec has more than %d sources in its chain",
                            MAX_SOURCES);
            break;
        }
        rc = parse_source(&g->sources[g->count], item);
        if (rc == LLMC_OK)
            g->count++;
    }
    free(copy);
    if (rc == LLMC_OK && g->count == 0)
        rc = llmc__fail(LLMC_EPARSE, "empty grid spec; write e.g. 'static:FR'");
    if (rc == LLMC_OK) {
        for (size_t i = 0; i < g->count; i++)
            len += strlen(g->sources[i].spec) + 1;
        if (!(g->spec = malloc(len + 1)))
            rc = llmc__fail(LLMC_ENOMEM, "out of memory for a grid");
        else {
            g->spec[0] = '\0';
            for (size_t i = 0; i < g->count; i++) {
                if (i)
                    strcat(g->spec, ",");
                strcat(g->spec, g->sources[i].spec);
            }
        }
    }
    if (rc != LLMC_OK) {
        free_sources(g);
        pthread_mutex_destroy(&g->mu);
        free(g);
        return rc;
    }
    *out = g;
    return LLMC_OK;
}

LLMC_API int llmc_grid_new_const(llmc_grid **out, double gco2e_per_kwh)
{
    char spec[64];
    if (!out)
        return llmc__fail(LLMC_EINVAL, "out is NULL");
    *out = NULL;
    if (!isfinite(gco2e_per_kwh) || gco2e_per_kwh < 0.0)
        return llmc__fail(LLMC_ERANGE,
                          "a constant intensity of %g gCO2e/kWh is not "
                          "allowed; give a finite value of 0 or more",
                          gco2e_per_kwh);
    snprintf(spec, sizeof spec, "const:%.17g", gco2e_per_kwh);
    return llmc_grid_new(out, spec);
}

LLMC_API llmc_grid *llmc_grid_ref(llmc_grid *grid)
{
    if (grid)
        atomic_fetch_add(&grid->refs, 1);
    return grid;
}

LLMC_API void llmc_grid_free(llmc_grid *grid)
{
    if (!grid || atomic_fetch_sub(&grid->refs, 1) != 1)
        return;
    free_sources(grid);
    pthread_mutex_destroy(&grid->mu);
    free(grid->spec);
    free(grid);
}

LLMC_API const char *llmc_grid_spec(const llmc_grid *grid)
{
    return grid ? grid->spec : NULL;
}

LLMC_API int llmc_grid_set(llmc_grid *grid, const char *key, const char *value)
{
    int known = 0;
    if (!grid || !key || !value)
        return llmc__fail(LLMC_EINVAL, "grid, key or value is NULL");
    if (atomic_load(&grid->refs) > 1)
        return llmc__fail(LLMC_EBUSY,
                          "grid '%s' is shared and no longer changes; set its "
                          "options before giving it to a tracker or estimate",
                          grid->spec);
    pthread_mutex_lock(&grid->mu);
    for (size_t i = 0; i < grid->count; i++) {
        int rc = grid->sources[i].ops->set(&grid->sources[i], key, value);
        if (rc == LLMC_OK)
            known = 1;
        else if (rc != LLMC_ENOTFOUND) {
            pthread_mutex_unlock(&grid->mu);
            return rc;
        }
    }
    pthread_mutex_unlock(&grid->mu);
    if (!known)
        return llmc__fail(LLMC_EINVAL,
                          "no source of '%s' takes the option '%s' (token, "
                          "username, password, ca_bundle, base_url, "
                          "emission_factor_type, timeout)",
                          grid->spec, key);
    return LLMC_OK;
}

/* Why the earlier sources of a chain did not answer: for the caller of
 * this thread, until its next call. */
static _Thread_local char fallback_text[1024];

static int intensity_at(llmc_intensity *out, llmc_grid *grid,
                        int64_t time_unix_s, const struct llmc__grid_ask *ask)
{
    llmc_intensity full;
    size_t used = 0;
    int rc = LLMC_ENOTFOUND;

    if (!out || !grid)
        return llmc__fail(LLMC_EINVAL, "out or grid is NULL");
    /* every source then computes with times far from int64_t's limits */
    if ((rc = llmc__time_check(time_unix_s, grid->spec, "time_unix_s")) !=
        LLMC_OK)
        return rc;
    fallback_text[0] = '\0';
    pthread_mutex_lock(&grid->mu);
    for (size_t i = 0; i < grid->count; i++) {
        struct llmc__source *s = &grid->sources[i];
        memset(&full, 0, sizeof full);
        rc = s->ops->at(s, time_unix_s, ask, &full);
        if (rc == LLMC_OK)
            break;
        if (used < sizeof fallback_text) {
            int n = snprintf(fallback_text + used, sizeof fallback_text - used,
                             "%s%s", used ? "; " : "", llmc_last_error());
            if (n > 0)
                used += (size_t)n;
        }
    }
    pthread_mutex_unlock(&grid->mu);
    if (rc != LLMC_OK) {
        if (grid->count > 1) {
            char all[1100];
            snprintf(all, sizeof all, "%s", fallback_text);
            return llmc__fail(rc, "no source of '%s' answered: %s", grid->spec,
                              all);
        }
        return rc; /* the one source's own message stands */
    }
    full.fallback = fallback_text;
    return llmc__intensity_copy_out(out, &full);
}

/* A call that succeeds leaves the caller's llmc_last_error() as it was
 * (the sources tried and recovered from write their own). */
int llmc__grid_intensity_at(llmc_intensity *out, llmc_grid *grid,
                            int64_t time_unix_s,
                            const struct llmc__grid_ask *ask)
{
    struct llmc__error_saved saved;
    int rc;
    llmc__error_save(&saved);
    if ((rc = intensity_at(out, grid, time_unix_s, ask)) == LLMC_OK)
        llmc__error_restore(&saved);
    return rc;
}

LLMC_API int llmc_grid_intensity_at(llmc_intensity *out, llmc_grid *grid,
                                    int64_t time_unix_s)
{
    static const struct llmc__grid_ask plain = {0};
    return llmc__grid_intensity_at(out, grid, time_unix_s, &plain);
}

int llmc__grid_uses_network(const llmc_grid *grid)
{
    for (size_t i = 0; grid && i < grid->count; i++)
        if (grid->sources[i].ops->network)
            return 1;
    return 0;
}
