/*
 * grid.c - grid-intensity sources from spec strings. This release answers
 * from the bundled yearly table ("static:FR", "FR") and from constants
 * ("const:450g/kWh"); live sources report that they are not built in.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "grid.h"

static const char *const live_sources[] = {"electricitymaps", "ukci",
                                           "watttime", "file"};
static const char *const cloud_prefixes[] = {"gcp", "aws", "azure"};

static llmc_grid *grid_alloc(enum llmc__grid_kind kind, const char *spec)
{
    llmc_grid *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    atomic_init(&g->refs, 1);
    g->kind = kind;
    if (!(g->spec = llmc__strdup(spec))) {
        free(g);
        return NULL;
    }
    return g;
}

static int make_const(llmc_grid **out, double v)
{
    char spec[64];
    if (!isfinite(v) || v < 0.0)
        return llmc__fail(LLMC_ERANGE,
                          "a constant intensity of %g gCO2e/kWh is not "
                          "allowed; give a finite value of 0 or more",
                          v);
    snprintf(spec, sizeof spec, "const:%.17g", v);
    if (!(*out = grid_alloc(LLMC__GRID_CONST, spec)))
        return llmc__fail(LLMC_ENOMEM, "out of memory for a grid");
    (*out)->const_gco2e_per_kwh = v;
    return LLMC_OK;
}

LLMC_API int llmc_grid_new_const(llmc_grid **out, double gco2e_per_kwh)
{
    if (!out)
        return llmc__fail(LLMC_EINVAL, "out is NULL");
    *out = NULL;
    return make_const(out, gco2e_per_kwh);
}

static int make_static(llmc_grid **out, const char *zone)
{
    const struct llmc__zone_row *row;
    char spec[128];
    int rc = llmc__zone_resolve(&row, zone);
    if (rc != LLMC_OK)
        return rc;
    snprintf(spec, sizeof spec, "static:%s", row->zone);
    if (!(*out = grid_alloc(LLMC__GRID_STATIC, spec)))
        return llmc__fail(LLMC_ENOMEM, "out of memory for a grid");
    (*out)->row = row;
    return LLMC_OK;
}

/* Copies s without surrounding white space into buf. */
static int trim_copy(char *buf, size_t size, const char *s)
{
    size_t len;
    while (isspace((unsigned char)*s))
        s++;
    len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (len >= size)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return 0;
}

LLMC_API int llmc_grid_new(llmc_grid **out, const char *spec)
{
    char buf[256], *colon;

    if (!out)
        return llmc__fail(LLMC_EINVAL, "out is NULL");
    *out = NULL;
    if (!spec)
        return llmc__fail(LLMC_EINVAL, "spec is NULL");
    if (trim_copy(buf, sizeof buf, spec) != 0)
        return llmc__fail(LLMC_EPARSE, "grid spec '%.60s...' is too long", spec);
    if (!*buf)
        return llmc__fail(LLMC_EPARSE,
                          "empty grid spec; write e.g. 'static:FR' or "
                          "'const:450g/kWh'");
    if (strchr(buf, ','))
        return llmc__fail(LLMC_ENOTSUP,
                          "grid spec '%s' is a fallback chain; chains are not "
                          "built into this version, give one source",
                          buf);
    colon = strchr(buf, ':');
    if (!colon)
        return make_static(out, buf);

    *colon = '\0';
    {
        const char *prefix = buf, *rest = colon + 1;
        if (llmc__strcaseeq(prefix, "static"))
            return make_static(out, rest);
        if (llmc__strcaseeq(prefix, "const")) {
            double v;
            int rc = llmc_quantity_parse(&v, LLMC_DIM_INTENSITY, rest,
                                         "gCO2e/kWh");
            return rc != LLMC_OK ? rc : make_const(out, v);
        }
        for (size_t i = 0; i < sizeof cloud_prefixes / sizeof *cloud_prefixes; i++)
            if (llmc__strcaseeq(prefix, cloud_prefixes[i])) {
                *colon = ':';
                return make_static(out, buf);
            }
        for (size_t i = 0; i < sizeof live_sources / sizeof *live_sources; i++)
            if (llmc__strcaseeq(prefix, live_sources[i]))
                return llmc__fail(LLMC_ENOTSUP,
                                  "grid source '%s' is not built into this "
                                  "version; use 'static:ZONE' or "
                                  "'const:VALUE'",
                                  prefix);
        return llmc__fail(LLMC_EPARSE,
                          "'%s' is not a grid source; use static:ZONE, "
                          "const:VALUE, or a zone such as FR or "
                          "gcp:europe-west1",
                          prefix);
    }
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
    free(grid->spec);
    free(grid);
}

LLMC_API const char *llmc_grid_spec(const llmc_grid *grid)
{
    return grid ? grid->spec : NULL;
}

LLMC_API int llmc_grid_intensity_at(llmc_intensity *out, llmc_grid *grid,
                                    int64_t time_unix_s)
{
    llmc_intensity full;
    (void)time_unix_s; /* yearly and constant values hold at any time */

    if (!out || !grid)
        return llmc__fail(LLMC_EINVAL, "out or grid is NULL");
    if (grid->kind == LLMC__GRID_STATIC) {
        llmc__zone_answer(&full, grid->row);
    } else {
        memset(&full, 0, sizeof full);
        full.size = sizeof full;
        full.gco2e_per_kwh = grid->const_gco2e_per_kwh;
        full.basis = LLMC_BASIS_UNSPECIFIED;
        full.zone = "";
        full.source = "const";
        full.dataset = "";
        full.provenance = "a constant given by the user";
        full.licence = "";
    }
    return llmc__intensity_copy_out(out, &full);
}
