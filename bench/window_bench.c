/*
 * window_bench.c - what a window call costs, against the same empty
 * out-of-line call as step_bench.c, and against the step hook.
 *
 * T threads (1, 2, 4) each begin and end a window of their own name N
 * times (llmc_tracker_window_begin + llmc_tracker_window_end with no
 * totals wanted) on a started tracker whose sampler thread runs; the
 * baseline is the same loop of two empty calls. ns/call is the wall time
 * from the first thread's start to the last one's end, divided by 2N
 * (one call of each thread); each figure is the median of R repetitions
 * and the ratio the median of the paired ratios window/empty. The step
 * hook is measured the same way beside it, so that the two ratios come
 * from one run. The windows share the tracker's lock: with more threads
 * they wait for each other, which is the point of the table.
 *
 *   meson compile -C build && build/bench/window_bench [--calls N]
 *       [--reps R]
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* pthread_barrier, clock_gettime */
#endif
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <llmcarbon.h>

#include "bench.h"

#define MAX_THREADS 4
#define MAX_REPS BENCH_MAX_REPS
#define CONFIG "meters=const:1W;grid=const:1g/kWh;interval=1s"

static const int thread_counts[] = {1, 2, 4};
#define NCOUNTS (int)(sizeof thread_counts / sizeof thread_counts[0])

/* The baseline: a call that does nothing (OUT_OF_LINE, bench.h). */
OUT_OF_LINE static int empty_call(llmc_tracker *t, const char *name)
{
    __asm__ __volatile__("" : : "r"(t), "r"(name) : "memory");
    return 0;
}

enum kind { EMPTY = 0, WINDOW = 1, STEP = 2 };

static struct {
    enum kind kind;
    llmc_tracker *tracker;
    uint64_t pairs;
    int nthreads;
} job;

static pthread_barrier_t start_b;
static double start_s[MAX_THREADS], end_s[MAX_THREADS];
static int failed[MAX_THREADS];

static void *worker(void *arg)
{
    int idx = (int)(intptr_t)arg, acc = 0;
    llmc_tracker *t = job.tracker;
    uint64_t n = job.pairs;
    char name[16];
    snprintf(name, sizeof name, "bench-%d", idx);
    pthread_barrier_wait(&start_b);
    start_s[idx] = now_s();
    if (job.kind == WINDOW)
        for (uint64_t i = 0; i < n; i++) {
            acc |= llmc_tracker_window_begin(t, name);
            acc |= llmc_tracker_window_end(NULL, t, name);
        }
    else if (job.kind == STEP)
        for (uint64_t i = 0; i < n; i++) {
            acc |= llmc_tracker_step(t, 64);
            acc |= llmc_tracker_step(t, 64);
        }
    else
        for (uint64_t i = 0; i < n; i++) {
            acc |= empty_call(t, name);
            acc |= empty_call(t, name);
        }
    end_s[idx] = now_s();
    failed[idx] = acc;
    return NULL;
}

/* ns per call of one thread; -1 when a call failed */
static double measure(enum kind kind, llmc_tracker *t, int nthreads,
                      uint64_t pairs)
{
    pthread_t th[MAX_THREADS];
    double first, last;
    job.kind = kind;
    job.tracker = t;
    job.pairs = pairs;
    job.nthreads = nthreads;
    pthread_barrier_init(&start_b, NULL, (unsigned)nthreads);
    for (int i = 0; i < nthreads; i++)
        pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
    for (int i = 0; i < nthreads; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start_b);
    first = start_s[0];
    last = end_s[0];
    for (int i = 0; i < nthreads; i++) {
        if (failed[i])
            return -1;
        first = start_s[i] < first ? start_s[i] : first;
        last = end_s[i] > last ? end_s[i] : last;
    }
    return (last - first) / (double)(2 * pairs) * 1e9;
}

int main(int argc, char **argv)
{
    uint64_t pairs = 200000;
    int reps = 5;
    long nproc = sysconf(_SC_NPROCESSORS_ONLN);
    llmc_tracker *t = NULL;
    int rc;

    for (int i = 1; i < argc; i++) {
        char *end;
        if (strcmp(argv[i], "--calls") == 0 && i + 1 < argc) {
            pairs = strtoull(argv[++i], &end, 10) / 2;
            if (*end || pairs == 0)
                goto usage;
        } else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            reps = (int)strtol(argv[++i], &end, 10);
            if (*end || reps < 1 || reps > MAX_REPS)
                goto usage;
        } else {
            goto usage;
        }
    }
    if ((rc = llmc_tracker_new(&t)) != LLMC_OK ||
        (rc = llmc_tracker_configure(t, CONFIG)) != LLMC_OK ||
        (rc = llmc_tracker_start(t)) != LLMC_OK) {
        fprintf(stderr, "window_bench: tracker (%s): %s (%s)\n", CONFIG,
                llmc_last_error(), llmc_status_name(rc));
        llmc_tracker_free(t);
        return 1;
    }
    printf("window calls (begin, end) and the step hook vs an empty "
           "out-of-line call\n");
    printf("libllmcarbon %s; %llu calls per thread; median of %d; %ld CPUs "
           "online\ntracker: %s\n\n",
           llmc_version_string(), (unsigned long long)(2 * pairs), reps,
           nproc, CONFIG);
    printf("  threads  empty ns/call  window ns/call  window/empty  "
           "step/empty\n");
    for (int c = 0; c < NCOUNTS; c++) {
        double e[MAX_REPS], w[MAX_REPS], s[MAX_REPS], rw[MAX_REPS],
            rs[MAX_REPS];
        for (int k = 0; k < reps; k++) {
            e[k] = measure(EMPTY, t, thread_counts[c], pairs);
            w[k] = measure(WINDOW, t, thread_counts[c], pairs);
            s[k] = measure(STEP, t, thread_counts[c], pairs);
            if (w[k] < 0 || s[k] < 0) {
                fprintf(stderr, "window_bench: a call failed: %s\n",
                        llmc_last_error());
                llmc_tracker_free(t);
                return 1;
            }
            rw[k] = w[k] / e[k];
            rs[k] = s[k] / e[k];
        }
        printf("  %7d  %13.2f  %14.2f  %12.1f  %10.1f\n", thread_counts[c],
               median(e, reps), median(w, reps), median(rw, reps),
               median(rs, reps));
    }
    llmc_tracker_free(t);
    return 0;

usage:
    fprintf(stderr, "usage: %s [--calls N] [--reps R (1-%d)]\n", argv[0],
            MAX_REPS);
    return 2;
}
