/*
 * fuzz_check.h - what every parser target checks of the series it filled:
 * every point in range and flagged as the parsers flag, sorted without
 * overlaps, and a series left as it was (the sentinel alone) after a
 * failure.
 */
#ifndef LLMC_FUZZ_CHECK_H
#define LLMC_FUZZ_CHECK_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "llmcarbon.h"
#include "series.h"

/* The first second of the times a series holds: a parsed point can only
 * replace it (by starting at the same second), never overlap it. */
static const struct llmc__point sentinel = {INT64_C(0), 1, 1.5, 0};

/* A series holding only the sentinel, or 0 when memory ran out. */
static inline int series_with_sentinel(struct llmc__series *s)
{
    int rc;
    llmc__series_init(s);
    rc = llmc__series_put(s, &sentinel);
    if (rc != LLMC_OK && rc != LLMC_ENOMEM)
        __builtin_trap(); /* the sentinel no longer fits: fix it here */
    return rc == LLMC_OK;
}

static inline void check(const struct llmc__series *s, int rc)
{
    if (rc != LLMC_OK && (s->count != 1 ||
                          memcmp(&s->points[0], &sentinel, sizeof sentinel)))
        __builtin_trap(); /* a failure appended something */
    for (size_t i = 0; i < s->count; i++) {
        const struct llmc__point *p = &s->points[i];
        if (p->duration_s <= 0 || !isfinite(p->gco2e_per_kwh) ||
            p->gco2e_per_kwh < 0 ||
            (p->flags & ~(unsigned)(LLMC__POINT_ESTIMATED |
                                    LLMC__POINT_FORECAST)))
            __builtin_trap();
        if (i && p[-1].start_unix_s + p[-1].duration_s > p->start_unix_s)
            __builtin_trap();
    }
}

#endif
