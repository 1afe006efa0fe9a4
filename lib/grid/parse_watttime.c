/*
 * parse_watttime.c - WattTime v3 answers (forecast, historical,
 * forecast/historical, login) into a series or a token. Shapes and units:
 * WattTime's v3 API documentation (docs.watttime.org): "data" points of
 * point_time and value, "meta" naming the signal and its units (lbs_co2_per_mwh
 * for co2_moer); login answers {"token": ...}.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../core/internal.h"
#include "parse_common.h"
#include "series.h"

/* ---- WattTime --------------------------------------------------------- */

#define LBS_PER_MWH_TO_G_PER_KWH 0.45359237 /* 453.59237 g/lb / 1000 */

static int wt_point(struct llmc__series *tmp, const json_t *item,
                    const char *path, int64_t period_s, unsigned flags,
                    const char *what)
{
    struct llmc__point p;
    int rc, has;

    if (!json_is_object(item))
        return llmc__fail(LLMC_EFORMAT, "%s: %s is %s, not an object", what,
                          path, llmc__json_type_name(item));
    memset(&p, 0, sizeof p);
    if ((rc = llmc__json_time(&p.start_unix_s, item, "point_time", path, what)) != 0)
        return rc;
    rc = llmc__json_value(&p.gco2e_per_kwh, &has, item, "value", path, what);
    if (rc != LLMC_OK || !has)
        return rc;
    p.gco2e_per_kwh *= LBS_PER_MWH_TO_G_PER_KWH;
    p.duration_s = period_s;
    p.flags = flags;
    return llmc__series_put(tmp, &p);
}

/* meta: the unit (only lbs_co2_per_mwh is an intensity) and the period. */
static int wt_meta(int64_t *period_s, const json_t *root, const char *what)
{
    const json_t *meta = json_object_get(root, "meta"), *units, *period;
    char quote[64];
    double d;

    if (!meta)
        return llmc__json_missing("", "meta", what);
    if (!json_is_object(meta))
        return llmc__fail(LLMC_EFORMAT, "%s: meta is %s, not an object", what,
                          llmc__json_type_name(meta));
    units = json_object_get(meta, "units");
    if (!units)
        return llmc__json_missing("meta", "units", what);
    if (!json_is_string(units))
        return llmc__fail(LLMC_EFORMAT, "%s: meta.units is %s, not a string",
                          what, llmc__json_type_name(units));
    if (strcmp(json_string_value(units), "lbs_co2_per_mwh") != 0 ||
        json_string_length(units) != strlen("lbs_co2_per_mwh")) {
        llmc__json_printable(quote, sizeof quote, json_string_value(units),
                  json_string_length(units), 40);
        return llmc__fail(LLMC_EUNIT,
                          "%s: unit \"%s\" is not an intensity in "
                          "lbs_co2_per_mwh%s",
                          what, quote,
                          strcmp(quote, "percentile") == 0
                              ? " (a percentile is the signal-index answer)"
                              : "");
    }
    period = json_object_get(meta, "data_point_period_seconds");
    if (!period)
        return llmc__json_missing("meta", "data_point_period_seconds", what);
    d = json_is_number(period) ? json_number_value(period) : -1;
    if (!json_is_number(period) || !(d > 0) || d > 31622400.0 ||
        d != floor(d)) {
        if (json_is_number(period))
            return llmc__fail(LLMC_EFORMAT,
                              "%s: meta.data_point_period_seconds is %g, not "
                              "a whole number of seconds > 0",
                              what, d);
        return llmc__fail(LLMC_EFORMAT,
                          "%s: meta.data_point_period_seconds is %s, not a "
                          "number",
                          what, llmc__json_type_name(period));
    }
    *period_s = (int64_t)d;
    return LLMC_OK;
}

int llmc__parse_watttime(struct llmc__series *out, const char *body,
                         size_t len, const char *what, int is_forecast)
{
    struct llmc__series tmp;
    json_t *root = NULL;
    const json_t *data, *item;
    unsigned flags = is_forecast ? LLMC__POINT_FORECAST : 0u;
    int64_t period_s = 0;
    size_t i;
    int rc;

    if (!out || (!body && len) || !what)
        return llmc__fail(LLMC_EINVAL, "parse_watttime: NULL argument");
    if ((rc = llmc__json_load_object(&root, body, len, what)) != LLMC_OK)
        return rc;
    llmc__series_init(&tmp);
    data = json_object_get(root, "data");
    if (!data) {
        const json_t *err = json_object_get(root, "error");
        char quote[128];
        if (!err)
            err = json_object_get(root, "message");
        if (json_is_string(err)) {
            llmc__json_printable(quote, sizeof quote, json_string_value(err),
                      json_string_length(err), 100);
            rc = llmc__fail(LLMC_EFORMAT,
                            "%s: no data; the answer is an error: \"%s\"",
                            what, quote);
        } else {
            rc = llmc__json_missing("", "data", what);
        }
        goto done;
    }
    if ((rc = wt_meta(&period_s, root, what)) != LLMC_OK)
        goto done;
    if (!json_is_array(data)) {
        rc = llmc__fail(LLMC_EFORMAT, "%s: data is %s, not a list", what,
                        llmc__json_type_name(data));
        goto done;
    }
    json_array_foreach(data, i, item) {
        const json_t *fc = json_object_get(item, "forecast"), *inner;
        char path[48], ipath[96];
        size_t j;
        snprintf(path, sizeof path, "data[%zu]", i);
        if (!fc || json_object_get(item, "point_time")) {
            rc = wt_point(&tmp, item, path, period_s, flags, what);
            if (rc != LLMC_OK)
                goto done;
            continue;
        }
        /* forecast/historical: one forecast per generated_at, oldest first,
         * so that a newer forecast of the same period replaces an older */
        if (!json_is_array(fc)) {
            rc = llmc__fail(LLMC_EFORMAT, "%s: %s.forecast is %s, not a list",
                            what, path, llmc__json_type_name(fc));
            goto done;
        }
        json_array_foreach(fc, j, inner) {
            snprintf(ipath, sizeof ipath, "%s.forecast[%zu]", path, j);
            rc = wt_point(&tmp, inner, ipath, period_s, flags, what);
            if (rc != LLMC_OK)
                goto done;
        }
    }
    rc = llmc__series_commit(out, &tmp, what);
done:
    llmc__series_free(&tmp);
    json_decref(root);
    return rc;
}

int llmc__parse_watttime_token(char *token, size_t size, const char *body,
                               size_t len, const char *what)
{
    json_t *root = NULL;
    const json_t *t;
    int rc;

    if (!token || !size || (!body && len) || !what)
        return llmc__fail(LLMC_EINVAL, "parse_watttime_token: NULL argument");
    if ((rc = llmc__json_load_object(&root, body, len, what)) != LLMC_OK)
        return rc;
    t = json_object_get(root, "token");
    if (!t)
        rc = llmc__fail(LLMC_EFORMAT, "%s: no token in the login answer",
                        what);
    else if (!json_is_string(t) || json_string_length(t) == 0 ||
             strlen(json_string_value(t)) != json_string_length(t))
        rc = llmc__fail(LLMC_EFORMAT, "%s: the login token is %s, not a "
                        "non-empty string", what,
                        json_is_string(t) ? "empty or holds a NUL"
                                          : llmc__json_type_name(t));
    else if (json_string_length(t) >= size)
        rc = llmc__fail(LLMC_ERANGE, "%s: the login token (%zu bytes) is "
                        "longer than %zu bytes", what,
                        json_string_length(t), size - 1);
    else
        memcpy(token, json_string_value(t), json_string_length(t) + 1);
    json_decref(root);
    return rc;
}
