/*
 * series.c - intensity time series: sorted points, replacement of older
 * data by newer, lookup by time, and ISO 8601 date-times.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/internal.h"
#include "series.h"

void llmc__series_init(struct llmc__series *s)
{
    memset(s, 0, sizeof *s);
}

void llmc__series_free(struct llmc__series *s)
{
    free(s->points);
    memset(s, 0, sizeof *s);
}

/* Index of the first point whose start is >= t. */
static size_t lower_bound(const struct llmc__series *s, int64_t t)
{
    size_t lo = 0, hi = s->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->points[mid].start_unix_s < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Removes the points that overlap p but do not start with it: when a new
 * answer comes at another granularity, its data replace the old (newer data
 * win), so that the series keeps its promise of no overlaps. Within one
 * answer, the parsers refuse overlaps instead. */
static void drop_overlaps(struct llmc__series *s, const struct llmc__point *p)
{
    int64_t a = p->start_unix_s, b = p->start_unix_s + p->duration_s;
    size_t w = 0;
    for (size_t r = 0; r < s->count; r++) {
        const struct llmc__point *q = &s->points[r];
        int overlaps = q->start_unix_s < b &&
                       q->start_unix_s + q->duration_s > a &&
                       q->start_unix_s != a;
        if (!overlaps)
            s->points[w++] = *q;
    }
    s->count = w;
}

int llmc__time_check(int64_t t, const char *what, const char *name)
{
    if (t < LLMC__TIME_MIN_UNIX_S || t > LLMC__TIME_MAX_UNIX_S)
        return llmc__fail(LLMC_ERANGE,
                          "%s: %s %lld (Unix seconds) is outside the years "
                          "1970 to 9999; give a time in that range",
                          what, name, (long long)t);
    return LLMC_OK;
}

int llmc__series_put(struct llmc__series *s, const struct llmc__point *p)
{
    size_t i;

    if (p->start_unix_s < LLMC__TIME_MIN_UNIX_S ||
        p->start_unix_s > LLMC__TIME_MAX_UNIX_S || p->duration_s <= 0 ||
        p->duration_s > LLMC__TIME_MAX_UNIX_S + 1 - p->start_unix_s)
        return llmc__fail(LLMC_ERANGE,
                          "an interval from %lld lasting %lld s is outside "
                          "the years 1970 to 9999 or empty; refusing it",
                          (long long)p->start_unix_s, (long long)p->duration_s);
    i = lower_bound(s, p->start_unix_s);
    if (i < s->count && s->points[i].start_unix_s == p->start_unix_s) {
        s->points[i] = *p;
        return LLMC_OK;
    }
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct llmc__point *grown = realloc(s->points, cap * sizeof *grown);
        if (!grown)
            return llmc__fail(LLMC_ENOMEM, "out of memory for a series");
        s->points = grown;
        s->cap = cap;
    }
    memmove(&s->points[i + 1], &s->points[i],
            (s->count - i) * sizeof s->points[0]);
    s->points[i] = *p;
    s->count++;
    return LLMC_OK;
}

int llmc__series_merge(struct llmc__series *s, const struct llmc__series *o)
{
    for (size_t i = 0; i < o->count; i++) {
        int rc;
        drop_overlaps(s, &o->points[i]);
        rc = llmc__series_put(s, &o->points[i]);
        if (rc != LLMC_OK)
            return rc;
    }
    return LLMC_OK;
}

const struct llmc__point *llmc__series_at(const struct llmc__series *s,
                                          int64_t t)
{
    size_t i;
    const struct llmc__point *p;
    /* points hold only times up to the maximum: no t + 1 can overflow */
    if (t < LLMC__TIME_MIN_UNIX_S || t > LLMC__TIME_MAX_UNIX_S)
        return NULL;
    i = lower_bound(s, t + 1); /* first start > t */
    if (i == 0)
        return NULL;
    p = &s->points[i - 1];
    return t - p->start_unix_s < p->duration_s ? p : NULL;
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)**p))
            return -1;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    *out = v;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int y, int m, int d)
{
    int64_t era;
    unsigned yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

int llmc__parse_iso8601(int64_t *out, const char *text)
{
    const char *p = text;
    int y, mo, d, h, mi, s = 0, oh = 0, om = 0, sign = 0;
    int64_t t;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (!text || digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
        *p++ != '-' || digits(&p, 2, &d) || (*p != 'T' && *p != ' '))
        return -1;
    p++;
    if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
        return -1;
    if (*p == ':') { /* seconds are optional: the GB API writes 12:00Z */
        p++;
        if (digits(&p, 2, &s))
            return -1;
        if (*p == '.') { /* fractions of a second: dropped */
            p++;
            if (!isdigit((unsigned char)*p))
                return -1;
            while (isdigit((unsigned char)*p))
                p++;
        }
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        p++;
        if (digits(&p, 2, &oh))
            return -1;
        if (*p == ':')
            p++;
        if (digits(&p, 2, &om))
            return -1;
    } else {
        return -1; /* a time without an offset is ambiguous: refused */
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
        mi > 59 || s > 59 || oh > 23 || om > 59)
        return -1;
    if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        return -1; /* no 29 February in a common year */
    t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s -
        sign * (oh * 3600 + om * 60);
    if (t < LLMC__TIME_MIN_UNIX_S || t > LLMC__TIME_MAX_UNIX_S)
        return -2;
    *out = t;
    return 0;
}

void llmc__format_iso8601(char *buf, size_t size, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (size == 0)
        return;
    if (t < LLMC__TIME_MIN_UNIX_S || t > LLMC__TIME_MAX_UNIX_S) {
        snprintf(buf, size, "@%lld", (long long)t);
        return;
    }
    if (!gmtime_r(&tt, &tm) ||
        strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        buf[0] = '\0';
}
