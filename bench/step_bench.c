/*
 * step_bench.c - what llmc_tracker_step costs a training loop.
 *
 * Each measurement has T threads (1, 2, 8, 32) call a function N times
 * each (N x 8 / T beyond 8 threads, so that no measurement makes more
 * than 8 N calls in all), all starting together on a barrier, and times every thread's loop
 * with CLOCK_MONOTONIC. The function is either llmc_tracker_step on a
 * started tracker (its sampler thread running, as in a real run) or an
 * empty out-of-line function with the same arguments, so the difference
 * is what the hook adds over a bare call. ns/call is the wall time from
 * the first thread's start to the last one's end, divided by N (the time
 * for every thread to make one call). Each thread count is measured R
 * times (10 unless told), and the table gives the median ns/call of
 * each, the median of the R paired ratios step/empty and the worst of
 * them: a run where the hook is slow (threads that contend for their
 * counters) shows in the worst, whatever the others do. The machine is
 * shared and noisy and may have fewer cores than threads: the ratio, not
 * the absolute time, is the result.
 *
 * The same is measured, as a secondary table, with sampler=inline, where
 * the step itself reads the clock and takes a sample once an interval.
 *
 *   meson compile -C build && build/bench/step_bench [--json]
 *       [--calls N] [--reps R]
 *
 * At the end the tracker's own step count is compared with the number of
 * calls made: the hook must lose no update under contention.
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

#define MAX_THREADS 32
#define MAX_REPS BENCH_MAX_REPS
#define TOKENS 64
#define CONFIG "meters=const:1W;grid=const:1g/kWh;interval=1s"

static const int thread_counts[] = {1, 2, 8, 32};
#define NCOUNTS (int)(sizeof thread_counts / sizeof thread_counts[0])

/* The baseline: a call that does nothing (OUT_OF_LINE, bench.h). */
OUT_OF_LINE static int empty_step(llmc_tracker *t, uint64_t tokens)
{
    __asm__ __volatile__("" : : "r"(t), "r"(tokens) : "memory");
    return 0;
}

enum kind { EMPTY = 0, STEP = 1 };

static struct {
    enum kind kind;
    llmc_tracker *tracker;
    uint64_t calls;
    int nthreads;
    int quit;
} job;

static pthread_barrier_t dispatch_b, start_b, done_b;
static double start_s[MAX_THREADS], end_s[MAX_THREADS];
static volatile int sink[MAX_THREADS];

/* A fixed pool: a thread keeps its tracker slot for the whole run, as a
 * training thread does (a new thread would claim a slot on its first
 * step, the one step that pays for it). */
static void *worker(void *arg)
{
    int idx = (int)(intptr_t)arg;
    for (;;) {
        pthread_barrier_wait(&dispatch_b);
        if (job.quit)
            break;
        if (idx < job.nthreads) {
            llmc_tracker *t = job.tracker;
            uint64_t n = job.calls;
            int acc = 0;
            double t0, t1;
            pthread_barrier_wait(&start_b);
            t0 = now_s();
            if (job.kind == STEP)
                for (uint64_t i = 0; i < n; i++)
                    acc |= llmc_tracker_step(t, TOKENS);
            else
                for (uint64_t i = 0; i < n; i++)
                    acc |= empty_step(t, TOKENS);
            t1 = now_s();
            start_s[idx] = t0;
            end_s[idx] = t1;
            sink[idx] = acc;
        }
        pthread_barrier_wait(&done_b);
    }
    return NULL;
}

/* One measurement: the wall time from the first thread's start to the
 * last thread's end, per call of one thread. With more threads than CPUs
 * this is the CPU time of all the calls spread over the CPUs, for the
 * hook and the baseline alike, so the ratio still compares the two. */
/* Calls per thread with nthreads threads, for N given. */
static uint64_t calls_of(uint64_t calls, int nthreads)
{
    uint64_t n = nthreads > 8 ? calls * 8 / (uint64_t)nthreads : calls;
    return n ? n : 1;
}

static double measure(enum kind kind, llmc_tracker *t, int nthreads,
                      uint64_t calls)
{
    calls = calls_of(calls, nthreads);
    double first, last;
    job.kind = kind;
    job.tracker = t;
    job.calls = calls;
    job.nthreads = nthreads;
    pthread_barrier_init(&start_b, NULL, (unsigned)nthreads);
    pthread_barrier_wait(&dispatch_b);
    pthread_barrier_wait(&done_b);
    pthread_barrier_destroy(&start_b);
    first = start_s[0];
    last = end_s[0];
    for (int i = 1; i < nthreads; i++) {
        first = start_s[i] < first ? start_s[i] : first;
        last = end_s[i] > last ? end_s[i] : last;
    }
    return (last - first) / (double)calls * 1e9;
}

struct row {
    int threads;
    double empty_ns, step_ns, ratio, worst;
};

/* Measures every thread count with one tracker; 0 or -1 on failure. */
static int run_mode(const char *sampler, uint64_t calls, int reps,
                    struct row rows[NCOUNTS], int quiet)
{
    char config[160];
    llmc_tracker *t = NULL;
    llmc_totals tot;
    double e[NCOUNTS][MAX_REPS], s[NCOUNTS][MAX_REPS], r[NCOUNTS][MAX_REPS];
    uint64_t expected = 0;
    int rc;

    snprintf(config, sizeof config, "%s;sampler=%s", CONFIG, sampler);
    if ((rc = llmc_tracker_new(&t)) != LLMC_OK ||
        (rc = llmc_tracker_configure(t, config)) != LLMC_OK ||
        (rc = llmc_tracker_start(t)) != LLMC_OK) {
        fprintf(stderr, "step_bench: tracker (%s): %s (%s)\n", config,
                llmc_last_error(), llmc_status_name(rc));
        llmc_tracker_free(t);
        return -1;
    }
    for (int k = 0; k < reps; k++) {
        for (int c = 0; c < NCOUNTS; c++) {
            /* alternate the order so that drift favours neither */
            if (k % 2 == 0) {
                e[c][k] = measure(EMPTY, t, thread_counts[c], calls);
                s[c][k] = measure(STEP, t, thread_counts[c], calls);
            } else {
                s[c][k] = measure(STEP, t, thread_counts[c], calls);
                e[c][k] = measure(EMPTY, t, thread_counts[c], calls);
            }
            r[c][k] = s[c][k] / e[c][k];
            expected += calls_of(calls, thread_counts[c]) *
                        (uint64_t)thread_counts[c];
        }
        if (!quiet)
            fprintf(stderr, "  sampler=%s: repetition %d of %d done\n",
                    sampler, k + 1, reps);
    }
    for (int c = 0; c < NCOUNTS; c++) {
        rows[c].threads = thread_counts[c];
        rows[c].empty_ns = median(e[c], reps);
        rows[c].step_ns = median(s[c], reps);
        rows[c].ratio = median(r[c], reps);
        rows[c].worst = r[c][0];
        for (int k = 1; k < reps; k++)
            rows[c].worst = r[c][k] > rows[c].worst ? r[c][k] : rows[c].worst;
    }
    llmc_tracker_stop(t);
    llmc_totals_init(&tot, sizeof tot);
    rc = llmc_tracker_totals(&tot, t, NULL);
    llmc_tracker_free(t);
    if (rc != LLMC_OK || tot.steps != expected ||
        tot.tokens != expected * TOKENS) {
        fprintf(stderr, "step_bench: sampler=%s: the tracker counted %llu "
                "steps and %llu tokens for %llu calls\n", sampler,
                (unsigned long long)tot.steps,
                (unsigned long long)tot.tokens,
                (unsigned long long)expected);
        return -1;
    }
    return 0;
}

static void print_table(const char *title, const struct row rows[NCOUNTS])
{
    printf("%s\n", title);
    printf("  threads  empty ns/call  step ns/call  step/empty  worst\n");
    for (int c = 0; c < NCOUNTS; c++)
        printf("  %7d  %13.2f  %12.2f  %10.2f  %5.2f\n", rows[c].threads,
               rows[c].empty_ns, rows[c].step_ns, rows[c].ratio,
               rows[c].worst);
}

static void print_json_rows(const char *name, const struct row rows[NCOUNTS],
                            int last)
{
    printf("  \"%s\": [\n", name);
    for (int c = 0; c < NCOUNTS; c++)
        printf("    {\"threads\": %d, \"empty_ns\": %.3f, \"step_ns\": %.3f, "
               "\"ratio\": %.3f, \"ratio_worst\": %.3f}%s\n",
               rows[c].threads, rows[c].empty_ns, rows[c].step_ns,
               rows[c].ratio, rows[c].worst, c + 1 < NCOUNTS ? "," : "");
    printf("  ]%s\n", last ? "" : ",");
}

int main(int argc, char **argv)
{
    uint64_t calls = 20000000;
    int reps = 10, json = 0, status = 0;
    long nproc = sysconf(_SC_NPROCESSORS_ONLN);
    pthread_t threads[MAX_THREADS];
    struct row thread_rows[NCOUNTS], inline_rows[NCOUNTS];

    for (int i = 1; i < argc; i++) {
        char *end;
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--calls") == 0 && i + 1 < argc) {
            calls = strtoull(argv[++i], &end, 10);
            if (*end || calls == 0)
                goto usage;
        } else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            reps = (int)strtol(argv[++i], &end, 10);
            if (*end || reps < 1 || reps > MAX_REPS)
                goto usage;
        } else {
            goto usage;
        }
    }

    pthread_barrier_init(&dispatch_b, NULL, MAX_THREADS + 1);
    pthread_barrier_init(&done_b, NULL, MAX_THREADS + 1);
    for (int i = 0; i < MAX_THREADS; i++)
        if (pthread_create(&threads[i], NULL, worker, (void *)(intptr_t)i)) {
            fprintf(stderr, "step_bench: cannot start thread %d\n", i);
            return 1;
        }

    if (run_mode("thread", calls, reps, thread_rows, json) != 0 ||
        run_mode("inline", calls, reps, inline_rows, json) != 0)
        status = 1;

    job.quit = 1;
    pthread_barrier_wait(&dispatch_b);
    for (int i = 0; i < MAX_THREADS; i++)
        pthread_join(threads[i], NULL);
    if (status)
        return status;

    if (json) {
        printf("{\n  \"library\": \"%s\",\n  \"config\": \"%s\",\n"
               "  \"calls_per_thread\": %llu,\n  \"repetitions\": %d,\n"
               "  \"statistic\": \"median; ratio_worst: the worst "
               "repetition\",\n  \"nproc\": %ld,\n",
               llmc_version_string(), CONFIG, (unsigned long long)calls,
               reps, nproc);
        print_json_rows("sampler_thread", thread_rows, 0);
        print_json_rows("sampler_inline", inline_rows, 1);
        printf("}\n");
    } else {
        printf("llmc_tracker_step vs an empty out-of-line call\n");
        printf("libllmcarbon %s; %llu calls per thread (x 8 / threads "
               "beyond 8); median and worst of %d; %ld CPUs online%s\n",
               llmc_version_string(),
               (unsigned long long)calls, reps, nproc,
               nproc < MAX_THREADS ? " (more threads than CPUs: ns/call "
                                     "includes waiting for a CPU)" : "");
        printf("tracker: %s\n\n", CONFIG);
        print_table("sampler=thread (the default)", thread_rows);
        printf("\n");
        print_table("sampler=inline (secondary)", inline_rows);
        printf("\nthe tracker counted every step of every thread\n");
    }
    return 0;

usage:
    fprintf(stderr, "usage: %s [--json] [--calls N] [--reps R (1-%d)]\n",
            argv[0], MAX_REPS);
    return 2;
}
