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

