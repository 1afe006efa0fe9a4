/*
 * parse_common.c - the helpers of parse_common.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "../core/internal.h"
#include "../core/json.h"
#include "parse_common.h"

const char *llmc__json_type_name(const json_t *v)
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
void llmc__json_printable(char *buf, size_t size, const char *text, size_t len,
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
int llmc__json_load(json_t **root, const char *body, size_t len,
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
    *root = llmc__json_loadb(body, len,
                             JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
    if (*root)
        return LLMC_OK;
    if (json_error_code(&err) == json_error_out_of_memory)
        return llmc__fail(LLMC_ENOMEM, "%s: out of memory reading the "
                          "answer", what);
    if (body[i] != '{' && body[i] != '[') {
        llmc__json_printable(quote, sizeof quote, body, len, 60);
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

/* Loads body as JSON that must be an object, as every grid API answers. */
int llmc__json_load_object(json_t **root, const char *body, size_t len,
                           const char *what)
{
    int rc = llmc__json_load(root, body ? body : "", len, what);
    if (rc != LLMC_OK || json_is_object(*root))
        return rc;
    rc = llmc__fail(LLMC_EFORMAT, "%s: the answer is %s, not an object", what,
                    llmc__json_type_name(*root));
    json_decref(*root);
    *root = NULL;
    return rc;
}

/* "history[3].carbonIntensity", or "carbonIntensity" for the top level. */
const char *llmc__json_key_path(char *buf, size_t size, const char *path,
                            const char *key)
{
    snprintf(buf, size, "%s%s%s", path, *path ? "." : "", key);
    return buf;
}

int llmc__json_missing(const char *path, const char *key, const char *what)
{
    if (*path)
        return llmc__fail(LLMC_EFORMAT, "%s: %s has no %s", what, path, key);
    return llmc__fail(LLMC_EFORMAT, "%s: no %s in the answer", what, key);
}

int llmc__json_value(double *v, int *has, const json_t *obj, const char *key,
                     const char *path, const char *what)
{
    const json_t *x = json_object_get(obj, key);
    char kp[96];
    double d;

    *has = 0;
    llmc__json_key_path(kp, sizeof kp, path, key);
    if (!x)
        return llmc__json_missing(path, key, what);
    if (json_is_null(x))
        return LLMC_OK;
    if (!json_is_number(x))
        return llmc__fail(LLMC_EFORMAT, "%s: %s is %s, not a number", what,
                          kp, llmc__json_type_name(x));
    d = json_number_value(x);
    if (!isfinite(d) || d < 0)
        return llmc__fail(LLMC_EFORMAT,
                          "%s: %s is %g, not a finite number >= 0", what, kp,
                          d);
    *v = d == 0 ? 0.0 : d; /* no -0 */
    *has = 1;
    return LLMC_OK;
}

int llmc__json_time(int64_t *t, const json_t *obj, const char *key,
                    const char *path, const char *what)
{
    const json_t *x = json_object_get(obj, key);
    char kp[96], quote[48];
    int rc = LLMC_EPARSE;

    llmc__json_key_path(kp, sizeof kp, path, key);
    if (!x)
        return llmc__json_missing(path, key, what);
    if (!json_is_string(x))
        return llmc__fail(LLMC_EFORMAT,
                          "%s: %s is %s, not an ISO 8601 date-time string",
                          what, kp, llmc__json_type_name(x));
    if (strlen(json_string_value(x)) != json_string_length(x) ||
        (rc = llmc__parse_iso8601(t, json_string_value(x))) != LLMC_OK) {
        llmc__json_printable(quote, sizeof quote, json_string_value(x),
                  json_string_length(x), 40);
        /* out of range is content, like any malformed answer: a chain or
         * the cache may still answer */
        if (rc == LLMC_ERANGE)
            return llmc__fail(LLMC_EFORMAT,
                              "%s: %s \"%s\" is outside the years 1970 to "
                              "9999; the data cannot be for that time",
                              what, kp, quote);
        return llmc__fail(LLMC_EFORMAT,
                          "%s: %s \"%s\" is not an ISO 8601 date-time with "
                          "an offset",
                          what, kp, quote);
    }
    return LLMC_OK;
}

/* Appends tmp to out, all or nothing: the answer's intervals must not
 * overlap, and room is made before the first point goes in. */
int llmc__series_commit(struct llmc__series *out, const struct llmc__series *tmp,
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
