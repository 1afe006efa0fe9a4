/*
 * bench.h - what the benchmarks of bench/ share: the clock, the median
 * of repeated measurements, and how a baseline call is kept out of line.
 */
#ifndef LLMC_BENCH_H
#define LLMC_BENCH_H

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_MAX_REPS 21 /* the most repetitions a median is taken over */

/* A baseline call kept out of line and kept at all (noipa also stops GCC
 * from specialising it on its arguments). */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8
#define OUT_OF_LINE __attribute__((noipa))
#else
#define OUT_OF_LINE __attribute__((noinline))
#endif

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of n (at most BENCH_MAX_REPS) values; v is left as it was. */
static inline double median(const double *v, int n)
{
    double s[BENCH_MAX_REPS];
    memcpy(s, v, (size_t)n * sizeof *v);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
}

#endif
