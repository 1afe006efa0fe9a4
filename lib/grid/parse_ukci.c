/*
 * parse_ukci.c - UK Carbon Intensity API answers (national, and regional
 * in both nestings) into a series. Shapes: docs/APIS.md 2.2.
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

/* ---- UK Carbon Intensity ---------------------------------------------- */

/* A half hour: from/to of tobj, intensity of iobj (the same object in the
 * national shape, the region's in the regional one). 1 with *p filled, 0
 * when the slot has no value, or an error. */
static int uk_point(struct llmc__point *p, const json_t *tobj,
                    const char *tpath, const json_t *iobj, const char *ipath,
                    const char *what)
{
    const json_t *in;
    char kp[128];
    int64_t to;
    int rc;

    memset(p, 0, sizeof *p);
    if ((rc = get_time(&p->start_unix_s, tobj, "from", tpath, what)) != 0 ||
        (rc = get_time(&to, tobj, "to", tpath, what)) != 0)
        return rc;
    if (to <= p->start_unix_s)
        return llmc__fail(LLMC_EFORMAT, "%s: %s: \"to\" is not after \"from\"",
                          what, tpath);
    p->duration_s = to - p->start_unix_s;
    in = json_object_get(iobj, "intensity");
    key_path(kp, sizeof kp, ipath, "intensity");
    if (!in)
        return missing(ipath, "intensity", what);
    if (!json_is_object(in))
        return llmc__fail(LLMC_EFORMAT, "%s: %s is %s, not an object", what,
                          kp, type_name(in));
    /* regional slots have no "actual"; national forward slots have null */
    if (json_object_get(in, "actual")) {
        rc = get_value(&p->gco2e_per_kwh, in, "actual", kp, what);
        if (rc != 0)
            return rc;
    }
    p->flags = LLMC__POINT_FORECAST;
    return get_value(&p->gco2e_per_kwh, in, "forecast", kp, what);
}

static int put_if(struct llmc__series *tmp, const struct llmc__point *p,
                  int rc)
{
    return rc == 1 ? llmc__series_put(tmp, p) : rc;
}

static int get_regionid(long long *id, const json_t *obj, const char *path,
                        const char *what)
{
    const json_t *x = json_object_get(obj, "regionid");
    char kp[96];
    if (!x)
        return missing(path, "regionid", what);
    if (!json_is_integer(x))
        return llmc__fail(LLMC_EFORMAT, "%s: %s is %s, not an integer", what,
                          key_path(kp, sizeof kp, path, "regionid"),
                          type_name(x));
    *id = json_integer_value(x);
    return LLMC_OK;
}

/* One entry of a regional answer: a half hour with every region in
 * "regions", or one region with its half hours in "data" (the postcode and
 * regionid paths; "data" may be a list or a single object). *matched is
 * raised when the entry holds the region. */
static int uk_regional(struct llmc__series *tmp, const json_t *entry,
                       const char *path, int region_id, int *matched,
                       const char *what)
{
    const json_t *regions = json_object_get(entry, "regions"), *x;
    struct llmc__point p;
    char rpath[128], kp[96];
    long long id;
    size_t j;
    int rc;

    if (regions) {
        if (!json_is_array(regions))
            return llmc__fail(LLMC_EFORMAT, "%s: %s is %s, not a list", what,
                              key_path(kp, sizeof kp, path, "regions"),
                              type_name(regions));
        json_array_foreach(regions, j, x) {
            snprintf(rpath, sizeof rpath, "%s.regions[%zu]", path, j);
            if (!json_is_object(x))
                return llmc__fail(LLMC_EFORMAT, "%s: %s is %s, not an object",
                                  what, rpath, type_name(x));
            if ((rc = get_regionid(&id, x, rpath, what)) != LLMC_OK)
                return rc;
            if (id != region_id)
                continue;
            (*matched)++;
            rc = uk_point(&p, entry, path, x, rpath, what);
            if ((rc = put_if(tmp, &p, rc)) != LLMC_OK)
                return rc;
        }
        return LLMC_OK;
    }
    if (!json_object_get(entry, "regionid"))
        return llmc__fail(LLMC_EFORMAT,
                          "%s: %s has neither regions nor regionid: a "
                          "national answer, not region %d",
                          what, path, region_id);
    if ((rc = get_regionid(&id, entry, path, what)) != LLMC_OK)
        return rc;
    if (id != region_id)
        return LLMC_OK;
    (*matched)++;
    x = json_object_get(entry, "data");
    key_path(kp, sizeof kp, path, "data");
    if (!x)
        return missing(path, "data", what);
    if (json_is_object(x)) { /* the {from}/{to}/postcode form */
        rc = uk_point(&p, x, kp, x, kp, what);
        return put_if(tmp, &p, rc);
    }
    if (!json_is_array(x))
        return llmc__fail(LLMC_EFORMAT, "%s: %s is %s, not a list", what, kp,
                          type_name(x));
    for (j = 0; j < json_array_size(x); j++) {
        const json_t *slot = json_array_get(x, j);
        snprintf(rpath, sizeof rpath, "%s[%zu]", kp, j);
        if (!json_is_object(slot))
            return llmc__fail(LLMC_EFORMAT, "%s: %s is %s, not an object",
                              what, rpath, type_name(slot));
        rc = uk_point(&p, slot, rpath, slot, rpath, what);
        if ((rc = put_if(tmp, &p, rc)) != LLMC_OK)
            return rc;
    }
    return LLMC_OK;
}

static int uk_error(const json_t *root, const char *what)
{
    const json_t *err = json_object_get(root, "error");
    const char *code = json_string_value(json_object_get(err, "code"));
    const char *msg = json_string_value(json_object_get(err, "message"));
    char qc[64], qm[128];
    if (!err)
        return llmc__fail(LLMC_EFORMAT, "%s: no data in the answer", what);
    printable(qc, sizeof qc, code ? code : "", code ? strlen(code) : 0, 40);
    printable(qm, sizeof qm, msg ? msg : "", msg ? strlen(msg) : 0, 100);
    return llmc__fail(LLMC_EFORMAT,
                      "%s: no data; the answer is an error: %s%s%s", what, qc,
                      *qc && *qm ? ": " : "", *qc || *qm ? qm : "(no message)");
}

int llmc__parse_ukci(struct llmc__series *out, const char *body, size_t len,
                     const char *what, int region_id)
{
    struct llmc__series tmp;
    json_t *root = NULL;
    const json_t *data, *entry;
    int rc, matched = 0;
    size_t i, n;

    if (!out || (!body && len) || !what)
        return llmc__fail(LLMC_EINVAL, "parse_ukci: NULL argument");
    if (region_id < 0)
        return llmc__fail(LLMC_EINVAL, "%s: region id %d is negative", what,
                          region_id);
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
        rc = uk_error(root, what);
        goto done;
    }
    /* the {from}/{to}/postcode/{pc} form answers one object, not a list */
    n = json_is_array(data) ? json_array_size(data) : 1;
    if (!json_is_array(data) && !(region_id > 0 && json_is_object(data))) {
        rc = llmc__fail(LLMC_EFORMAT, "%s: data is %s, not a list", what,
                        type_name(data));
        goto done;
    }
    for (i = 0; i < n; i++) {
        struct llmc__point p;
        char path[48];
        entry = json_is_array(data) ? json_array_get(data, i) : data;
        if (json_is_array(data))
            snprintf(path, sizeof path, "data[%zu]", i);
        else
            snprintf(path, sizeof path, "data");
        if (!json_is_object(entry)) {
            rc = llmc__fail(LLMC_EFORMAT, "%s: %s is %s, not an object", what,
                            path, type_name(entry));
            goto done;
        }
        if (region_id > 0) {
            rc = uk_regional(&tmp, entry, path, region_id, &matched, what);
        } else if (json_object_get(entry, "regions") ||
                   json_object_get(entry, "regionid")) {
            rc = llmc__fail(LLMC_EFORMAT,
                            "%s: %s is regional (it has %s); ask for one "
                            "region id",
                            what, path,
                            json_object_get(entry, "regions") ? "regions"
                                                              : "regionid");
        } else {
            rc = put_if(&tmp, &p, uk_point(&p, entry, path, entry, path, what));
        }
        if (rc != LLMC_OK)
            goto done;
    }
    if (region_id > 0 && n > 0 && !matched) {
        rc = llmc__fail(LLMC_ENODATA, "%s: region %d is not in the answer",
                        what, region_id);
        goto done;
    }
    rc = commit(out, &tmp, what);
done:
    llmc__series_free(&tmp);
    json_decref(root);
    return rc;
}
