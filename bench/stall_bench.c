/*
 * stall_bench.c - how long llmc_tracker_phase and llmc_tracker_totals take
 * while the disk under the tracker's log and checkpoint stalls.
 *
 * The program's own fflush and fsync stand in for the C library's (the
 * library's calls find them first): a call on a file in the run's scratch
 * directory sleeps --stall-ms first, as a write to a slow NFS or Lustre
 * server waits. One training thread switches phase and another asks for
 * the totals, each every --every-ms, timing each call, for --seconds with
 * the stall and then as long without it. See README.md.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "llmcarbon.h"

static char scratch[PATH_MAX];      /* resolved, as /proc/self/fd names it */
static atomic_long stall_ns;        /* 0: no stall */
static atomic_long stalls;          /* calls that slept */
static pthread_once_t real_once = PTHREAD_ONCE_INIT;
static int (*real_fflush)(FILE *);
static int (*real_fsync)(int);

static void find_real(void)
{
    *(void **)&real_fflush = dlsym(RTLD_NEXT, "fflush");
    *(void **)&real_fsync = dlsym(RTLD_NEXT, "fsync");
}

static void sleep_ns(long ns)
{
    struct timespec d = {ns / 1000000000L, ns % 1000000000L};
    while (nanosleep(&d, &d) != 0 && errno == EINTR)
        ;
}

static void stall_if_ours(int fd)
{
    char link[64], path[PATH_MAX];
    long ns = atomic_load(&stall_ns);
    ssize_t n;
    if (ns <= 0 || fd < 0)
        return;
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    n = readlink(link, path, sizeof path - 1);
    if (n <= 0)
        return;
    path[n] = '\0';
    if (strncmp(path, scratch, strlen(scratch)) == 0 &&
        path[strlen(scratch)] == '/') {
        atomic_fetch_add(&stalls, 1);
        sleep_ns(ns);
    }
}

int fflush(FILE *f)
{
    pthread_once(&real_once, find_real);
    if (f)
        stall_if_ours(fileno(f));
    return real_fflush(f);
}

int fsync(int fd)
{
    pthread_once(&real_once, find_real);
    stall_if_ours(fd);
    return real_fsync(fd);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

struct stats {
    size_t n;
    double median_us, p99_us, max_us;
    double sum_s; /* the time spent in the calls, all together */
};

static struct stats stats_of(int64_t *v, size_t n)
{
    struct stats s = {n, 0, 0, 0, 0};
    if (n == 0)
        return s;
    for (size_t i = 0; i < n; i++)
        s.sum_s += v[i] / 1e9;
    qsort(v, n, sizeof *v, by_value);
    s.median_us = v[n / 2] / 1e3;
    s.p99_us = v[(n * 99) / 100] / 1e3;
    s.max_us = v[n - 1] / 1e3;
    return s;
}

/* One training thread's calls, timed: phase switches (alternating
 * "train" and "eval") or totals, every every_ms until end_ns. */
struct caller {
    llmc_tracker *t;
    int phases;          /* 1: phase switches; 0: totals */
    long every_ms;
    int64_t end_ns;
    int64_t *took_ns;
    size_t cap, n;
};

static void *caller_main(void *arg)
{
    struct caller *c = arg;
    while (c->n < c->cap && now_ns() < c->end_ns) {
        llmc_totals o;
        int64_t a;
        llmc_totals_init(&o, sizeof o);
        llmc_tracker_step(c->t, 1);
        a = now_ns();
        if (c->phases)
            llmc_tracker_phase(c->t, c->n % 2 ? "eval" : "train");
        else
            llmc_tracker_totals(&o, c->t, NULL);
        c->took_ns[c->n++] = now_ns() - a;
        sleep_ns(c->every_ms * 1000000L);
    }
    return NULL;
}

/* One run: a tracker writing its log and checkpoint into scratch, and two
 * training threads, one switching phases and one asking for the totals,
 * for seconds. */
static int run(double seconds, long every_ms, long stall, struct stats *phase,
               struct stats *totals, long *stalled)
{
    char config[3 * PATH_MAX];
    llmc_tracker *t = NULL;
    size_t cap = (size_t)(seconds * 1000 / (double)every_ms) + 16;
    struct caller c[2];
    pthread_t th[2];
    int rc;

    snprintf(config, sizeof config,
             "meters=const:300W; grid=const:300; interval=100ms; "
             "log=%s/run.jsonl; checkpoint=%s/run.ckpt; "
             "checkpoint_interval=1s",
             scratch, scratch);
    if ((rc = llmc_tracker_new(&t)) != LLMC_OK ||
        (rc = llmc_tracker_configure(t, config)) != LLMC_OK ||
        (rc = llmc_tracker_start(t)) != LLMC_OK) {
        fprintf(stderr, "stall_bench: %s\n", llmc_last_error());
        return 1;
    }
    atomic_store(&stalls, 0);
    atomic_store(&stall_ns, stall);
    for (int i = 0; i < 2; i++) {
        c[i] = (struct caller){.t = t, .phases = i == 0, .every_ms = every_ms,
                               .end_ns = now_ns() + (int64_t)(seconds * 1e9),
                               .took_ns = malloc(cap * sizeof(int64_t)),
                               .cap = cap};
        if (!c[i].took_ns ||
            pthread_create(&th[i], NULL, caller_main, &c[i]) != 0) {
            fprintf(stderr, "stall_bench: no memory or thread\n");
            exit(1);
        }
    }
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    *stalled = atomic_load(&stalls);
    atomic_store(&stall_ns, 0); /* the stop is not measured */
    rc = llmc_tracker_stop(t);
    if (rc != LLMC_OK)
        fprintf(stderr, "stall_bench: stop: %s\n", llmc_last_error());
    llmc_tracker_free(t);
    *phase = stats_of(c[0].took_ns, c[0].n);
    *totals = stats_of(c[1].took_ns, c[1].n);
    free(c[0].took_ns);
    free(c[1].took_ns);
    return rc != LLMC_OK;
}

static void remove_run_files(void)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/run.jsonl", scratch);
    unlink(path);
    snprintf(path, sizeof path, "%s/run.ckpt", scratch);
    unlink(path);
}

int main(int argc, char **argv)
{
    double seconds = 5.0;
    long stall_ms = 200, every_ms = 5, stalled = 0, unstalled = 0;
    struct stats ps, ts, pn, tn;
    char dir[] = "/tmp/llmc-stall-XXXXXX";
    int bad = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "--stall-ms") == 0 && i + 1 < argc)
            stall_ms = atol(argv[++i]);
        else if (strcmp(argv[i], "--every-ms") == 0 && i + 1 < argc)
            every_ms = atol(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--seconds S] [--stall-ms MS] "
                            "[--every-ms MS]\n",
                    argv[0]);
            return 2;
        }
    }
    if (!(seconds > 0 && seconds <= 600) || stall_ms <= 0 || every_ms <= 0 ||
        every_ms > 1000) {
        fprintf(stderr, "stall_bench: --seconds is 0 to 600, --stall-ms "
                        "above 0, --every-ms 1 to 1000\n");
        return 2;
    }
    if (!mkdtemp(dir) || !realpath(dir, scratch)) {
        fprintf(stderr, "stall_bench: no scratch directory: %s\n",
                strerror(errno));
        return 1;
    }
    setenv("LLMC_RUNTIME_DIR", scratch, 1);
    bad |= run(seconds, every_ms, stall_ms * 1000000L, &ps, &ts, &stalled);
    remove_run_files();
    bad |= run(seconds, every_ms, 0, &pn, &tn, &unstalled);
    remove_run_files();
    rmdir(scratch);

    printf("llmc_tracker_phase and llmc_tracker_totals while the log's and "
           "checkpoint's fflush/fsync stall\n");
    printf("libllmcarbon %s; %.0f s per run; a thread switching phase and "
           "one asking for totals, each every %ld ms; "
           "interval=100ms, checkpoint_interval=1s\n",
           llmc_version_string(), seconds, every_ms);
    printf("stall: %ld ms per fflush or fsync (%ld stalled calls)\n\n",
           stall_ms, stalled);
    printf("  call    disk      calls  median us     p99 us     max us  "
           "in calls s\n");
    printf("  phase   stalls  %8zu %10.1f %10.1f %10.1f %11.3f\n", ps.n,
           ps.median_us, ps.p99_us, ps.max_us, ps.sum_s);
    printf("  phase   plain   %8zu %10.1f %10.1f %10.1f %11.3f\n", pn.n,
           pn.median_us, pn.p99_us, pn.max_us, pn.sum_s);
    printf("  totals  stalls  %8zu %10.1f %10.1f %10.1f %11.3f\n", ts.n,
           ts.median_us, ts.p99_us, ts.max_us, ts.sum_s);
    printf("  totals  plain   %8zu %10.1f %10.1f %10.1f %11.3f\n\n", tn.n,
           tn.median_us, tn.p99_us, tn.max_us, tn.sum_s);
    printf("stalls/plain: phase median %.2fx, max %.2fx; totals median "
           "%.2fx, max %.2fx\n",
           ps.median_us / pn.median_us, ps.max_us / pn.max_us,
           ts.median_us / tn.median_us, ts.max_us / tn.max_us);
    return bad;
}
