/*
 * parse_em.c - Electricity Maps v3 carbon-intensity answers (latest,
 * history, past-range, forecast) into a series. Shapes: docs/APIS.md 1.5.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* ---- Electricity Maps ------------------------------------------------- */

/* The interval of a point starting at start for a temporalGranularity. */
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
            return 0;
        }
        if (!gmtime_r(&tt, &tm))
            return -1;
        tm.tm_mon += (int)known[i].months; /* timegm normalises */
        *dur = (int64_t)timegm(&tm) - start;
        return *dur > 0 ? 0 : -1;
    }
    return -1;
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
                          key_path(kp, sizeof kp, path,
                                   "temporalGranularity"),
                          type_name(x));
    *g = json_string_value(x);
    return LLMC_OK;
}

/* One item: 1 with *p filled, 0 when carbonIntensity is null, or an error. */
static int em_point(struct llmc__point *p, const json_t *item,
                    const char *path, const char *top_gran, unsigned flags,
                    const char *what)
{
    const json_t *est;
    const char *g;
    char kp[96], quote[48];
    int rc;

    if (!json_is_object(item))
        return llmc__fail(LLMC_EFORMAT, "%s: %s is %s, not an object", what,
                          path, type_name(item));
    memset(p, 0, sizeof *p);
    if ((rc = get_time(&p->start_unix_s, item, "datetime", path, what)) != 0)
        return rc;
    if ((rc = get_granularity(&g, item, top_gran, path, what)) != 0)
        return rc;
    if (granularity(&p->duration_s, g, p->start_unix_s) != 0) {
        printable(quote, sizeof quote, g, strlen(g), 40);
        return llmc__fail(LLMC_EFORMAT,
                          "%s: %s temporalGranularity \"%s\" is not one of "
                          "5_minutes, 15_minutes, hourly, daily, weekly, "
                          "monthly, quarterly, yearly",
                          what, *path ? path : "the answer's", quote);
    }
    est = json_object_get(item, "isEstimated");
    if (est && !json_is_boolean(est) && !json_is_null(est))
        return llmc__fail(LLMC_EFORMAT, "%s: %s is %s, not true or false",
                          what, key_path(kp, sizeof kp, path, "isEstimated"),
                          type_name(est));
    p->flags = flags | (json_is_true(est) ? LLMC__POINT_ESTIMATED : 0u);
    return get_value(&p->gco2e_per_kwh, item, "carbonIntensity", path, what);
}

static int em_list(struct llmc__series *tmp, const json_t *list,
                   const char *name, const char *top_gran, unsigned flags,
                   const char *what)
{
    size_t i;
    const json_t *item;

    if (!json_is_array(list))
        return llmc__fail(LLMC_EFORMAT, "%s: %s is %s, not a list", what,
                          name, type_name(list));
    json_array_foreach(list, i, item) {
        struct llmc__point p;
        char path[64];
        int rc;
        snprintf(path, sizeof path, "%s[%zu]", name, i);
        rc = em_point(&p, item, path, top_gran, flags, what);
        if (rc < 0)
            return rc;
        if (rc == 1 && (rc = llmc__series_put(tmp, &p)) != LLMC_OK)
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
    int rc;

    if (!json_object_get(root, "carbonIntensity")) {
        err = json_object_get(root, "error");
        if (!err)
            err = json_object_get(root, "message");
        if (json_is_string(err)) {
            char quote[128];
            printable(quote, sizeof quote, json_string_value(err),
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
    rc = em_point(&p, root, "", top_gran, 0, what);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        const char *dt = json_string_value(json_object_get(root, "datetime"));
        char quote[48];
        printable(quote, sizeof quote, dt, strlen(dt), 40);
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
    if ((rc = load_json(&root, body ? body : "", len, what)) != LLMC_OK)
        return rc;
    llmc__series_init(&tmp);
    if (!json_is_object(root)) {
        rc = llmc__fail(LLMC_EFORMAT, "%s: the answer is %s, not an object",
                        what, type_name(root));
        goto done;
    }
    zone = json_object_get(root, "zone");
    if (zone && !json_is_string(zone) && !json_is_null(zone)) {
        rc = llmc__fail(LLMC_EFORMAT, "%s: zone is %s, not a string", what,
                        type_name(zone));
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
        rc = commit(out, &tmp, what);
    /* the zone is worth having even when the hour has no value */
    if ((rc == LLMC_OK || rc == LLMC_ENODATA) && zone_out && zone_size)
        snprintf(zone_out, zone_size, "%s",
                 json_is_string(zone) ? json_string_value(zone) : "");
done:
    llmc__series_free(&tmp);
    json_decref(root);
    return rc;
}
