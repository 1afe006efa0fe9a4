/*
 * parse_user.c - a user's intensity series: CSV
 * "datetime,intensity_gco2e_per_kwh" or a JSON list of
 * {"datetime", "intensity_gco2e_per_kwh"} objects. Each row holds until the
 * next row; the last for the median spacing (one hour when alone).
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../core/internal.h"
#include "parse_common.h"
#include "series.h"

/* ---- rows ------------------------------------------------------------- */

#define COLUMN_TIME "datetime"
#define COLUMN_VALUE "intensity_gco2e_per_kwh"
#define LONE_ROW_S 3600

struct row {
    int64_t t;
    double v;
    int has_value; /* 0: an empty or null value, a gap in the data */
};

struct rows {
    struct row *r;
    size_t n, cap;
};

static int rows_add(struct rows *rs, int64_t t, double v, int has_value)
{
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 64;
        struct row *grown = realloc(rs->r, cap * sizeof *grown);
        if (!grown)
            return llmc__fail(LLMC_ENOMEM, "out of memory for a series");
        rs->r = grown;
        rs->cap = cap;
    }
    rs->r[rs->n].t = t;
    rs->r[rs->n].v = v;
    rs->r[rs->n].has_value = has_value;
    rs->n++;
    return LLMC_OK;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The rows, strictly increasing in time, into points of tmp. */
static int rows_to_series(struct llmc__series *tmp, const struct rows *rs)
{
    int64_t last_s = LONE_ROW_S;
    if (rs->n > 1) { /* the lower median of the spacings */
        int64_t *gaps = malloc((rs->n - 1) * sizeof *gaps);
        if (!gaps)
            return llmc__fail(LLMC_ENOMEM, "out of memory for a series");
        for (size_t i = 0; i + 1 < rs->n; i++)
            gaps[i] = rs->r[i + 1].t - rs->r[i].t;
        qsort(gaps, rs->n - 1, sizeof *gaps, cmp_i64);
        last_s = gaps[(rs->n - 2) / 2];
        free(gaps);
    }
    for (size_t i = 0; i < rs->n; i++) {
        struct llmc__point p;
        int rc;
        if (!rs->r[i].has_value)
            continue;
        p.start_unix_s = rs->r[i].t;
        p.duration_s = i + 1 < rs->n ? rs->r[i + 1].t - rs->r[i].t : last_s;
        /* the last row holds at most to the end of the year 9999 */
        if (p.duration_s > LLMC__TIME_MAX_UNIX_S + 1 - p.start_unix_s)
            p.duration_s = LLMC__TIME_MAX_UNIX_S + 1 - p.start_unix_s;
        p.gco2e_per_kwh = rs->r[i].v;
        p.flags = 0;
        if ((rc = llmc__series_put(tmp, &p)) != LLMC_OK)
            return rc;
    }
    return LLMC_OK;
}

/* ---- JSON ------------------------------------------------------------- */

static int user_json(struct rows *rs, const char *body, size_t len,
                     const char *what)
{
    json_t *root = NULL;
    const json_t *item;
    size_t i;
    int rc;

    if ((rc = llmc__json_load(&root, body, len, what)) != LLMC_OK)
        return rc;
    if (!json_is_array(root)) {
        rc = llmc__fail(LLMC_EFORMAT,
                        "%s: the file is %s, not a list of {\"" COLUMN_TIME
                        "\", \"" COLUMN_VALUE "\"} objects",
                        what, llmc__json_type_name(root));
        goto done;
    }
    json_array_foreach(root, i, item) {
        char path[32];
        int64_t t;
        double v = 0;
        int has;
        snprintf(path, sizeof path, "[%zu]", i);
        if (!json_is_object(item)) {
            rc = llmc__fail(LLMC_EFORMAT, "%s: %s is %s, not an object", what,
                            path, llmc__json_type_name(item));
            goto done;
        }
        if ((rc = llmc__json_time(&t, item, COLUMN_TIME, path, what)) != LLMC_OK)
            goto done;
        if ((rc = llmc__json_value(&v, &has, item, COLUMN_VALUE, path,
                                   what)) != LLMC_OK)
            goto done;
        if (rs->n && t <= rs->r[rs->n - 1].t) {
            rc = llmc__fail(LLMC_EFORMAT,
                            "%s: %s." COLUMN_TIME " is not after [%zu]." COLUMN_TIME
                            "; sort the rows by time, without repeats",
                            what, path, i - 1);
            goto done;
        }
        if ((rc = rows_add(rs, t, v, has)) != LLMC_OK)
            goto done;
    }
done:
    json_decref(root);
    return rc;
}

/* ---- CSV -------------------------------------------------------------- */

struct field {
    const char *s;
    size_t len;
};

static struct field trim(const char *s, size_t len)
{
    struct field f;
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    f.s = s;
    f.len = len;
    return f;
}

static int field_is(struct field f, const char *name)
{
    size_t n = strlen(name);
    if (f.len != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)f.s[i]) != name[i])
            return 0;
    return 1;
}

/* The line's two fields: LLMC_OK, or LLMC_EFORMAT when it has another
 * number of columns, which *ncols then holds. */
static int split(const char *line, size_t len, struct field *a,
                 struct field *b, size_t *ncols)
{
    const char *comma = memchr(line, ',', len);
    size_t n = 1;
    for (size_t i = 0; i < len; i++)
        n += line[i] == ',';
    *ncols = n;
    if (n != 2)
        return LLMC_EFORMAT;
    *a = trim(line, (size_t)(comma - line));
    *b = trim(comma + 1, len - (size_t)(comma - line) - 1);
    return LLMC_OK;
}

/* A decimal number filling field f: LLMC_OK, or LLMC_EPARSE. */
static int csv_number(double *v, struct field f)
{
    char buf[64], *end;
    if (f.len == 0 || f.len >= sizeof buf)
        return LLMC_EPARSE;
    for (size_t i = 0; i < f.len; i++)
        if (!isdigit((unsigned char)f.s[i]) && !strchr(".eE+-", f.s[i]))
            return LLMC_EPARSE; /* no "nan", "inf" or hex */
    memcpy(buf, f.s, f.len);
    buf[f.len] = '\0';
    *v = strtod(buf, &end);
    return *end ? LLMC_EPARSE : LLMC_OK;
}

static int user_csv(struct rows *rs, const char *body, size_t len,
                    const char *what)
{
    const char *p = body, *endp = body + len;
    size_t lineno = 0, prev_line = 0;
    int have_header = 0;
    char quote[80];

    while (p < endp) {
        const char *nl = memchr(p, '\n', (size_t)(endp - p));
        const char *line = p;
        size_t n = (size_t)((nl ? nl : endp) - p), ncols;
        struct field a, b, whole;
        char tbuf[48];
        int64_t t;
        double v = 0;
        int has = 1, rc;

        p = nl ? nl + 1 : endp;
        lineno++;
        if (n && line[n - 1] == '\r')
            n--;
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
                return llmc__fail(LLMC_EFORMAT,
                                  "%s: line %zu: a control character (byte "
                                  "0x%02x); the file is not CSV text",
                                  what, lineno, (unsigned char)line[i]);
        whole = trim(line, n);
        if (whole.len == 0)
            continue;
        llmc__json_printable(quote, sizeof quote, whole.s, whole.len, 60);
        if (split(whole.s, whole.len, &a, &b, &ncols) != LLMC_OK)
            return llmc__fail(LLMC_EFORMAT,
                              "%s: line %zu has %zu column%s, not 2 (" COLUMN_TIME
                              "," COLUMN_VALUE "): \"%s\"",
                              what, lineno, ncols, ncols == 1 ? "" : "s",
                              quote);
        if (!have_header) {
            if (field_is(a, COLUMN_TIME) && field_is(b, COLUMN_VALUE)) {
                have_header = 1;
                continue;
            }
            return llmc__fail(LLMC_EFORMAT,
                              "%s: line %zu: \"%s\" is not the header row; "
                              "the file must start with \"" COLUMN_TIME
                              "," COLUMN_VALUE "\"",
                              what, lineno, quote);
        }
        rc = LLMC_EPARSE;
        if (a.len < sizeof tbuf) {
            memcpy(tbuf, a.s, a.len);
            tbuf[a.len] = '\0';
            rc = llmc__parse_iso8601(&t, tbuf);
        }
        if (rc == LLMC_ERANGE) {
            llmc__json_printable(quote, sizeof quote, a.s, a.len, 40);
            return llmc__fail(LLMC_EFORMAT,
                              "%s: line %zu: \"%s\" is outside the years 1970 "
                              "to 9999; give times in that range",
                              what, lineno, quote);
        }
        if (rc != LLMC_OK) {
            llmc__json_printable(quote, sizeof quote, a.s, a.len, 40);
            return llmc__fail(LLMC_EFORMAT,
                              "%s: line %zu: \"%s\" is not an ISO 8601 "
                              "date-time with an offset (Z or +hh:mm), like "
                              "2024-05-01T14:00:00Z",
                              what, lineno, quote);
        }
        if (b.len == 0) {
            has = 0; /* no value for this interval */
        } else if (csv_number(&v, b) != LLMC_OK || !isfinite(v) || v < 0) {
            llmc__json_printable(quote, sizeof quote, b.s, b.len, 40);
            return llmc__fail(LLMC_EFORMAT,
                              "%s: line %zu: " COLUMN_VALUE " \"%s\" is not a "
                              "finite number >= 0",
                              what, lineno, quote);
        }
        if (rs->n && t <= rs->r[rs->n - 1].t)
            return llmc__fail(LLMC_EFORMAT,
                              "%s: line %zu: %s is not after line %zu; sort "
                              "the rows by time, without repeats",
                              what, lineno, tbuf, prev_line);
        if ((rc = rows_add(rs, t, v == 0 ? 0.0 : v, has)) != LLMC_OK)
            return rc;
        prev_line = lineno;
    }
    if (!have_header)
        return llmc__fail(LLMC_EFORMAT,
                          "%s: the file is empty; it must start with the "
                          "header \"" COLUMN_TIME "," COLUMN_VALUE "\"",
                          what);
    return LLMC_OK;
}

int llmc__parse_user_series(struct llmc__series *out, const char *body,
                            size_t len, const char *what)
{
    struct llmc__series tmp;
    struct rows rs = {NULL, 0, 0};
    size_t i = 0;
    int rc;

    if (!out || (!body && len) || !what)
        return llmc__fail(LLMC_EINVAL, "parse_user_series: NULL argument");
    if (!body)
        body = "";
    if (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0) {
        body += 3;
        len -= 3;
    }
    while (i < len && isspace((unsigned char)body[i]))
        i++;
    if (i < len && (body[i] == '[' || body[i] == '{'))
        rc = user_json(&rs, body, len, what);
    else
        rc = user_csv(&rs, body, len, what);
    llmc__series_init(&tmp);
    if (rc == LLMC_OK)
        rc = rows_to_series(&tmp, &rs);
    if (rc == LLMC_OK)
        rc = llmc__series_commit(out, &tmp, what);
    llmc__series_free(&tmp);
    free(rs.r);
    return rc;
}
