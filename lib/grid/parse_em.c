/*
 * parse_em.c - Electricity Maps v3 carbon-intensity answers (latest,
 * history, past-range, forecast) into a series. Shapes: the Electricity
 * Maps API v3 reference: "latest" one object (zone, carbonIntensity,
 * datetime, ...), the others a "history" or "forecast" list of them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "../core/internal.h"
#include "parse_common.h"
#include "series.h"

/* ---- Electricity Maps ------------------------------------------------- */

/* The interval of a point starting at start for a temporalGranularity:
 * LLMC_OK, or LLMC_EFORMAT for a name it does not know (the caller says
 * which names it knows). */
static int granularity(int64_t *dur, const char *g, int64_t start)
{
    static const struct {
        const char *name;
        int64_t seconds, months;
    } known[] = {
        {"5_minutes", 300, 0}, {"15_minutes", 900, 0},  {"hourly", 3600, 0},
        {"daily", 86400, 0},   {"weekly", 604800, 0},   {"monthly", 0, 1},
        {"quarterly", 0, 3},   {"yearly", 0, 12},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        time_t tt = (time_t)start;
        struct tm tm;
        if (strcmp(g, known[i].name) != 0)
            continue;
        if (known[i].seconds) {
            *dur = known[i].seconds;
            return LLMC_OK;
        }
        if (!gmtime_r(&tt, &tm))
            return LLMC_EFORMAT;
        tm.tm_mon += (int)known[i].months; /* timegm normalises */
        *dur = (int64_t)timegm(&tm) - start;
        return *dur > 0 ? LLMC_OK : LLMC_EFORMAT;
    }
    return LLMC_EFORMAT;
}

/* The temporalGranularity of obj, or dflt when it has none. */
static int get_granularity(const char **g, const json_t *obj,
                           const char *dflt, const char *path,
                           const char *what)
{
    const json_t *x = json_object_get(obj, "temporalGranularity");
    char kp[96];
    *g = dflt;
    if (!x || json_is_null(x))
        return LLMC_OK;
    if (!json_is_string(x))
        return llmc__fail(LLMC_EFORMAT, "%s: %s is %s, not a string", what,
                          llmc__json_key_path(kp, sizeof kp, path,
                                   "temporalGranularity"),
                          llmc__json_type_name(x));
    *g = json_string_value(x);
    return LLMC_OK;
}

/* One item: LLMC_OK with *p filled and *has 1, or *has 0 when
 * carbonIntensity is null; or an error. */
static int em_point(struct llmc__point *p, int *has, const json_t *item,
                    const char *path, const char *top_gran, unsigned flags,
                    const char *what)
{
    const json_t *est;
    const char *g;
    char kp[96], quote[48];
    int rc;

    *has = 0;
    if (!json_is_object(item))
        return llmc__fail(LLMC_EFORMAT, "%s: %s is %s, not an object", what,
                          path, llmc__json_type_name(item));
    memset(p, 0, sizeof *p);
    if ((rc = llmc__json_time(&p->start_unix_s, item, "datetime", path, what)) != 0)
        return rc;
    if ((rc = get_granularity(&g, item, top_gran, path, what)) != 0)
        return rc;
    if (granularity(&p->duration_s, g, p->start_unix_s) != LLMC_OK) {
        llmc__json_printable(quote, sizeof quote, g, strlen(g), 40);
        return llmc__fail(LLMC_EFORMAT,
                          "%s: %s temporalGranularity \"%s\" is not one of "
                          "5_minutes, 15_minutes, hourly, daily, weekly, "
                          "monthly, quarterly, yearly",
                          what, *path ? path : "the answer's", quote);
    }
    est = json_object_get(item, "isEstimated");
    if (est && !json_is_boolean(est) && !json_is_null(est))
        return llmc__fail(LLMC_EFORMAT, "%s: %s is %s, not true or false",
                          what, llmc__json_key_path(kp, sizeof kp, path, "isEstimated"),
                          llmc__json_type_name(est));
    p->flags = flags | (json_is_true(est) ? LLMC__POINT_ESTIMATED : 0u);
    return llmc__json_value(&p->gco2e_per_kwh, has, item, "carbonIntensity",
                            path, what);
}

static int em_list(struct llmc__series *tmp, const json_t *list,
                   const char *name, const char *top_gran, unsigned flags,
                   const char *what)
{
    size_t i;
    const json_t *item;

    if (!json_is_array(list))
        return llmc__fail(LLMC_EFORMAT, "%s: %s is %s, not a list", what,
                          name, llmc__json_type_name(list));
    json_array_foreach(list, i, item) {
        struct llmc__point p;
        char path[64];
        int rc, has;
        snprintf(path, sizeof path, "%s[%zu]", name, i);
        rc = em_point(&p, &has, item, path, top_gran, flags, what);
        if (rc != LLMC_OK)
            return rc;
        if (has && (rc = llmc__series_put(tmp, &p)) != LLMC_OK)
            return rc;
    }
    return LLMC_OK;
}

/* The latest (or past) answer: one object that is itself the item. */
static int em_latest(struct llmc__series *tmp, const json_t *root,
                     const char *top_gran, const char *what)
{
    struct llmc__point p;
    const json_t *err;
    int rc, has;

    if (!json_object_get(root, "carbonIntensity")) {
        err = json_object_get(root, "error");
        if (!err)
            err = json_object_get(root, "message");
        if (json_is_string(err)) {
            char quote[128];
            llmc__json_printable(quote, sizeof quote, json_string_value(err),
                      json_string_length(err), 100);
            return llmc__fail(LLMC_EFORMAT,
                              "%s: no carbonIntensity; the answer is an "
                              "error: \"%s\"",
                              what, quote);
        }
        return llmc__fail(LLMC_EFORMAT,
                          "%s: no carbonIntensity, history, data or forecast "
                          "in the answer",
                          what);
    }
    rc = em_point(&p, &has, root, "", top_gran, 0, what);
    if (rc != LLMC_OK)
        return rc;
    if (!has) {
        const char *dt = json_string_value(json_object_get(root, "datetime"));
        char quote[48];
        llmc__json_printable(quote, sizeof quote, dt, strlen(dt), 40);
        return llmc__fail(LLMC_ENODATA,
                          "%s has no value for %s (carbonIntensity is null)",
                          what, quote);
    }
    return llmc__series_put(tmp, &p);
}

int llmc__parse_electricitymaps(struct llmc__series *out, const char *body,
                                size_t len, const char *what, char *zone_out,
                                size_t zone_size)
{
    struct llmc__series tmp;
    json_t *root = NULL;
    const json_t *list, *zone;
    const char *top_gran = "hourly";
    int rc;

    if (!out || (!body && len) || !what)
        return llmc__fail(LLMC_EINVAL, "parse_electricitymaps: NULL argument");
    if ((rc = llmc__json_load_object(&root, body, len, what)) != LLMC_OK)
        return rc;
    llmc__series_init(&tmp);
    zone = json_object_get(root, "zone");
    if (zone && !json_is_string(zone) && !json_is_null(zone)) {
        rc = llmc__fail(LLMC_EFORMAT, "%s: zone is %s, not a string", what,
                        llmc__json_type_name(zone));
        goto done;
    }
    if ((rc = get_granularity(&top_gran, root, "hourly", "", what)) != 0)
        goto done;
    if ((list = json_object_get(root, "history")) != NULL)
        rc = em_list(&tmp, list, "history", top_gran, 0, what);
    else if ((list = json_object_get(root, "forecast")) != NULL)
        rc = em_list(&tmp, list, "forecast", top_gran, LLMC__POINT_FORECAST,
                     what);
    else if ((list = json_object_get(root, "data")) != NULL)
        rc = em_list(&tmp, list, "data", top_gran, 0, what);
    else
        rc = em_latest(&tmp, root, top_gran, what);
    if (rc == LLMC_OK)
        rc = llmc__series_commit(out, &tmp, what);
    /* the zone is worth having even when the hour has no value */
    if ((rc == LLMC_OK || rc == LLMC_ENODATA) && zone_out && zone_size)
        snprintf(zone_out, zone_size, "%s",
                 json_is_string(zone) ? json_string_value(zone) : "");
done:
    llmc__series_free(&tmp);
    json_decref(root);
    return rc;
}
