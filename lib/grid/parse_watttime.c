/*
 * parse_watttime.c - WattTime v3 answers (forecast, historical,
 * forecast/historical, login) into a series or a token. Shapes and units:
 * docs/APIS.md 3.3-3.4.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../core/internal.h"
#include "series.h"

/* ---- shared with the other parsers (each keeps its own static copy) ---- */

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "a list";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    default: return "null";
    }
}

/* The first max bytes of text, printable ASCII only, for a message. */
static void printable(char *buf, size_t size, const char *text, size_t len,
                      size_t max)
{
    size_t n = 0;
    while (len && (*text == ' ' || *text == '\t' || *text == '\r' ||
                   *text == '\n')) {
        text++;
        len--;
    }
    for (size_t i = 0; i < len && i < max && n + 1 < size; i++) {
        unsigned char c = (unsigned char)text[i];
        buf[n++] = c == '\t' || c == '\r' || c == '\n' ? ' '
                   : c < 0x20 || c > 0x7e              ? '?'
                                                       : (char)c;
    }
    buf[n] = '\0';
}

/* Loads body as JSON. A body that does not even start like JSON (an HTML
 * gateway page, "Access denied") is quoted; a broken one says where. */
static int load_json(json_t **root, const char *body, size_t len,
                     const char *what)
{
    json_error_t err;
    size_t i = 0;
    char quote[64];

    if (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0) {
        body += 3;
        len -= 3;
    }
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' ||
                       body[i] == '\n'))
        i++;
    if (i == len)
        return llmc__fail(LLMC_EFORMAT, "%s: the answer is empty, not JSON",
                          what);
    *root = json_loadb(body, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
                       &err);
    if (*root)
        return LLMC_OK;
    if (body[i] != '{' && body[i] != '[') {
        printable(quote, sizeof quote, body, len, 60);
        return llmc__fail(LLMC_EFORMAT, "%s: the answer is not JSON: \"%s\"",
                          what, quote);
    }
    return llmc__fail(LLMC_EFORMAT,
                      "%s: malformed JSON at line %d, column %d (byte %d of "
                      "%zu): %s%s",
                      what, err.line, err.column, err.position, len, err.text,
                      json_error_code(&err) == json_error_numeric_overflow
                          ? " (a number that is not finite)"
                          : "");
}

/* "history[3].carbonIntensity", or "carbonIntensity" for the top level. */
static const char *key_path(char *buf, size_t size, const char *path,
                            const char *key)
{
    snprintf(buf, size, "%s%s%s", path, *path ? "." : "", key);
    return buf;
}

static int missing(const char *path, const char *key, const char *what)
{
    if (*path)
        return llmc__fail(LLMC_EFORMAT, "%s: %s has no %s", what, path, key);
    return llmc__fail(LLMC_EFORMAT, "%s: no %s in the answer", what, key);
}

/* 1 with *v set, 0 for null (no data: the item is skipped), or an error. */
static int get_value(double *v, const json_t *obj, const char *key,
                     const char *path, const char *what)
{
    const json_t *x = json_object_get(obj, key);
    char kp[96];
    double d;

    key_path(kp, sizeof kp, path, key);
    if (!x)
        return missing(path, key, what);
    if (json_is_null(x))
        return 0;
    if (!json_is_number(x))
        return llmc__fail(LLMC_EFORMAT, "%s: %s is %s, not a number", what,
                          kp, type_name(x));
    d = json_number_value(x);
    if (!isfinite(d) || d < 0)
        return llmc__fail(LLMC_EFORMAT,
                          "%s: %s is %g, not a finite number >= 0", what, kp,
                          d);
    *v = d == 0 ? 0.0 : d; /* no -0 */
    return 1;
}

static int get_time(int64_t *t, const json_t *obj, const char *key,
                    const char *path, const char *what)
{
    const json_t *x = json_object_get(obj, key);
    char kp[96], quote[48];

    key_path(kp, sizeof kp, path, key);
    if (!x)
        return missing(path, key, what);
    if (!json_is_string(x))
        return llmc__fail(LLMC_EFORMAT,
                          "%s: %s is %s, not an ISO 8601 date-time string",
                          what, kp, type_name(x));
    if (strlen(json_string_value(x)) != json_string_length(x) ||
        llmc__parse_iso8601(t, json_string_value(x)) != 0) {
        printable(quote, sizeof quote, json_string_value(x),
                  json_string_length(x), 40);
        return llmc__fail(LLMC_EFORMAT,
                          "%s: %s \"%s\" is not an ISO 8601 date-time with "
                          "an offset",
                          what, kp, quote);
    }
    return LLMC_OK;
}

/* Appends tmp to out, all or nothing: the answer's intervals must not
 * overlap, and room is made before the first point goes in. */
static int commit(struct llmc__series *out, const struct llmc__series *tmp,
                  const char *what)
{
    size_t need = out->count + tmp->count;
    for (size_t i = 1; i < tmp->count; i++) {
        const struct llmc__point *a = &tmp->points[i - 1], *b = &tmp->points[i];
        if (a->start_unix_s + a->duration_s > b->start_unix_s) {
            char ta[32], tb[32];
            llmc__format_iso8601(ta, sizeof ta, a->start_unix_s);
            llmc__format_iso8601(tb, sizeof tb, b->start_unix_s);
            return llmc__fail(LLMC_EFORMAT,
                              "%s: the interval from %s (%lld s) overlaps "
                              "the one from %s",
                              what, ta, (long long)a->duration_s, tb);
        }
    }
    if (need > out->cap) {
        struct llmc__point *grown = realloc(out->points, need * sizeof *grown);
        if (!grown)
            return llmc__fail(LLMC_ENOMEM, "out of memory for a series");
        out->points = grown;
        out->cap = need;
    }
    return llmc__series_merge(out, tmp); /* cannot run out now */
}

/* ---- WattTime --------------------------------------------------------- */

#define LBS_PER_MWH_TO_G_PER_KWH 0.45359237 /* 453.59237 g/lb / 1000 */

static int wt_point(struct llmc__series *tmp, const json_t *item,
                    const char *path, int64_t period_s, unsigned flags,
                    const char *what)
{
    struct llmc__point p;
    int rc;

    if (!json_is_object(item))
        return llmc__fail(LLMC_EFORMAT, "%s: %s is %s, not an object", what,
                          path, type_name(item));
    memset(&p, 0, sizeof p);
    if ((rc = get_time(&p.start_unix_s, item, "point_time", path, what)) != 0)
        return rc;
    rc = get_value(&p.gco2e_per_kwh, item, "value", path, what);
    if (rc <= 0)
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
        return missing("", "meta", what);
    if (!json_is_object(meta))
        return llmc__fail(LLMC_EFORMAT, "%s: meta is %s, not an object", what,
                          type_name(meta));
    units = json_object_get(meta, "units");
    if (!units)
        return missing("meta", "units", what);
    if (!json_is_string(units))
        return llmc__fail(LLMC_EFORMAT, "%s: meta.units is %s, not a string",
                          what, type_name(units));
    if (strcmp(json_string_value(units), "lbs_co2_per_mwh") != 0 ||
        json_string_length(units) != strlen("lbs_co2_per_mwh")) {
        printable(quote, sizeof quote, json_string_value(units),
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
        return missing("meta", "data_point_period_seconds", what);
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
                          what, type_name(period));
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
    if ((rc = load_json(&root, body ? body : "", len, what)) != LLMC_OK)
        return rc;
    llmc__series_init(&tmp);
    if (!json_is_object(root)) {
        rc = llmc__fail(LLMC_EFORMAT, "%s: the answer is %s, not an object",
                        what, type_name(root));
        goto done;
    }
    data = json_object_get(root, "data");
    if (!data) {
        const json_t *err = json_object_get(root, "error");
        char quote[128];
        if (!err)
            err = json_object_get(root, "message");
        if (json_is_string(err)) {
            printable(quote, sizeof quote, json_string_value(err),
                      json_string_length(err), 100);
            rc = llmc__fail(LLMC_EFORMAT,
                            "%s: no data; the answer is an error: \"%s\"",
                            what, quote);
        } else {
            rc = missing("", "data", what);
        }
        goto done;
    }
    if ((rc = wt_meta(&period_s, root, what)) != LLMC_OK)
        goto done;
    if (!json_is_array(data)) {
        rc = llmc__fail(LLMC_EFORMAT, "%s: data is %s, not a list", what,
                        type_name(data));
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
                            what, path, type_name(fc));
            goto done;
        }
        json_array_foreach(fc, j, inner) {
            snprintf(ipath, sizeof ipath, "%s.forecast[%zu]", path, j);
            rc = wt_point(&tmp, inner, ipath, period_s, flags, what);
            if (rc != LLMC_OK)
                goto done;
        }
    }
    rc = commit(out, &tmp, what);
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
    if ((rc = load_json(&root, body ? body : "", len, what)) != LLMC_OK)
        return rc;
    t = json_object_get(root, "token");
    if (!json_is_object(root))
        rc = llmc__fail(LLMC_EFORMAT, "%s: the login answer is %s, not an "
                        "object", what, type_name(root));
    else if (!t)
        rc = llmc__fail(LLMC_EFORMAT, "%s: no token in the login answer",
                        what);
    else if (!json_is_string(t) || json_string_length(t) == 0 ||
             strlen(json_string_value(t)) != json_string_length(t))
        rc = llmc__fail(LLMC_EFORMAT, "%s: the login token is %s, not a "
                        "non-empty string", what,
                        json_is_string(t) ? "empty or holds a NUL"
                                          : type_name(t));
    else if (json_string_length(t) >= size)
        rc = llmc__fail(LLMC_ERANGE, "%s: the login token (%zu bytes) is "
                        "longer than %zu bytes", what,
                        json_string_length(t), size - 1);
    else
        memcpy(token, json_string_value(t), json_string_length(t) + 1);
    json_decref(root);
    return rc;
}
