/*
 * test_tracker.c - the training-run tracker: energy against known power,
 * steps and tokens from many threads, phases, the JSONL log, checkpoints
 * (including a job killed with SIGKILL and resumed), configuration errors,
 * the inline sampler, the projection, and one reader per device when
 * several processes on one node track the same RAPL package.
 */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
/* the step hook's slots, seen from inside: which threads own one */
#include "../lib/track/tracker.h"
/* manual time: the test links the static archive */
#include "../lib/core/internal.h"

static char scratch[256];

static void make_scratch(void)
{
    scratch_make(scratch, sizeof scratch, "tracker");
}

static void remove_scratch(void)
{
    scratch_remove(scratch);
}

static void path_in(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", scratch, name);
}

/* Real time: for what another process or the network does. */
/* The tests about time run on the library's manual time
 * (lib/core/clock.c): it moves only when the test says, so that intervals,
 * durations and energies are exact whatever the load of the machine.
 * manual_time() comes first in such a test, before any tracker starts;
 * forked children would inherit it, so a test that forks stays on real
 * time. Its wall clock starts on a whole second, so that what the grid
 * counts in whole seconds (a backoff) falls the same in every run. */
static void manual_time(void)
{
    llmc__clock_manual((int64_t)time(NULL) * 1000000000);
}

/* The fake NVML at path (the object the library will dlopen) follows
 * manual time: its energy is the library's clock times its power. */
static void fake_nvml_on_manual_time(const char *path)
{
    void *fake = dlopen(path, RTLD_NOW | RTLD_LOCAL), *sym;
    void (*use_clock)(int64_t (*)(void));
    ck_assert_msg(fake != NULL, "%s", dlerror());
    ck_assert_ptr_nonnull(sym = dlsym(fake, "fake_nvml_use_clock"));
    memcpy(&use_clock, &sym, sizeof sym);
    use_clock(llmc__now_ns);
    /* kept open: the library's handle is this one */
}

/* After every test: the system's clocks again, for the next test when
 * Check runs them in one process (CK_FORK=no). */
static void real_time(void)
{
    llmc__clock_real();
}

/* Lets ms of manual time pass in 1 ms ticks, as the machine's clock would:
 * every sample due meanwhile is taken at its exact time, and each tick
 * returns once what it made due has run. */
static void pass_ms(long ms)
{
    for (long i = 0; i < ms; i++)
        llmc__clock_advance_ns(1000000);
}

static llmc_tracker *tracker_with(const char *config)
{
    llmc_tracker *t = NULL;
    ck_assert_status(llmc_tracker_new(&t), LLMC_OK);
    ck_assert_status(llmc_tracker_configure(t, config), LLMC_OK);
    return t;
}

static llmc_totals totals_of(llmc_tracker *t, const char *phase)
{
    llmc_totals o;
    llmc_totals_init(&o, sizeof o);
    ck_assert_status(llmc_tracker_totals(&o, t, phase), LLMC_OK);
    return o;
}

/* Runs t for ms milliseconds of manual time; its totals once stopped. */
static llmc_totals run_for(llmc_tracker *t, long ms)
{
    manual_time();
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    pass_ms(ms);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    return totals_of(t, NULL);
}

/* ---- energy against a known power ------------------------------------ */

START_TEST(test_tracker_const_meter_energy_is_power_times_duration)
{
    llmc_tracker *t = tracker_with("meters=const:300W; grid=const:500g/kWh; "
                                   "interval=100ms; pue=1.2");
    llmc_totals o;
    o = run_for(t, 450);
    ck_assert(o.measured);
    ck_assert_double_eq_tol(o.duration_s, 0.45, 1e-12);
    ck_assert_rel(o.energy_j, 300.0 * 0.45, 1e-12);
    ck_assert_rel(o.energy_kwh, o.energy_j / 3.6e6, 1e-12);
    ck_assert_rel(o.operational_kgco2e, o.energy_j / 3.6e6 * 1.2 * 500 / 1000,
                  1e-12);
    ck_assert_rel(o.intensity_gco2e_per_kwh, 500.0, 1e-12);
    ck_assert_double_eq(o.embodied_kgco2e, 0.0);
    ck_assert_rel(o.total_kgco2e, o.operational_kgco2e, 1e-12);
    ck_assert_uint_eq(o.samples, 5); /* every 100 ms, and the final one */
    ck_assert_uint_eq(o.quality, 0);
    llmc_tracker_free(t);
}
END_TEST

static json_t *embodied_of(llmc_tracker *t);

START_TEST(test_tracker_embodied_scope_server_and_log_lines)
{
    /* the server scope: the HGX H100 footprint / 8 + the host (Boavizta's
     * Dell R740, 970 kg) / 8, for 8 devices; every sample line names the
     * scope and the method */
    char log[300], config[600], line[8192];
    llmc_tracker *t;
    llmc_totals o;
    json_t *e;
    FILE *f;
    size_t lines = 0;

    make_scratch();
    path_in(log, sizeof log, "scope.jsonl");
    snprintf(config, sizeof config,
             "meters=const:100W; grid=FR; interval=100ms; log=%s; "
             "hardware=NVIDIA H100 SXM5 80GB; devices=8; "
             "embodied_scope=server", log);
    t = tracker_with(config);
    manual_time();
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    pass_ms(300);
    llmc_tracker_stop(t);
    o = totals_of(t, NULL);
    ck_assert_rel(o.embodied_kgco2e,
                  8 * (164.0 + 970.0 / 8) * 0.3 / (5 * 365.25 * 86400), 1e-9);
    e = embodied_of(t);
    ck_assert_str_eq(json_string_value(json_object_get(e, "scope")), "server");
    ck_assert_str_eq(json_string_value(json_object_get(e, "method")),
                     "pcf+model");
    ck_assert_str_eq(json_string_value(json_object_get(e, "basis")),
                     "server-share");
    json_decref(e);
    ck_assert_ptr_nonnull(f = fopen(log, "r"));
    while (fgets(line, sizeof line, f)) {
        json_error_t err;
        json_t *j = json_loads(line, 0, &err);
        ck_assert_msg(j != NULL, "line %zu: %s", lines + 1, err.text);
        ck_assert_str_eq(json_string_value(json_object_get(j, "embodied_scope")),
                         "server");
        ck_assert_str_eq(
            json_string_value(json_object_get(j, "embodied_method")),
            "pcf+model");
        json_decref(j);
        lines++;
    }
    fclose(f);
    ck_assert_uint_ge(lines, 3); /* at 100, 200 and 300 ms, and the stop */
    llmc_tracker_free(t);
    remove_scratch();
}
END_TEST

START_TEST(test_tracker_embodied_scope_unknown_and_from_the_environment)
{
    /* TPU v3 has die, package and board figures but no server one: at
     * LLMC_EMBODIED_SCOPE=server, embodied is unknown (never 0, never the
     * board's), and the note says what the device has; =die counts it */
    llmc_tracker *t;
    llmc_totals o;
    json_t *e;
    const char *note;

    setenv("LLMC_EMBODIED_SCOPE", "server", 1);
    t = tracker_with("meters=const:100W; grid=FR; interval=100ms; "
                     "hardware=tpu v3");
    manual_time();
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    pass_ms(200);
    llmc_tracker_stop(t);
    o = totals_of(t, NULL);
    ck_assert_double_eq(o.embodied_kgco2e, 0.0);
    e = embodied_of(t);
    ck_assert(json_is_false(json_object_get(e, "included")));
    ck_assert_str_eq(json_string_value(json_object_get(e, "scope")), "server");
    ck_assert(json_is_null(json_object_get(e, "method")));
    note = json_string_value(json_object_get(e, "note"));
    ck_assert_msg(strstr(note, "no embodied figure at scope 'server' for "
                               "'Google TPU v3 (chip)'; it has: die, "
                               "package, board") != NULL,
                  "%s", note);
    json_decref(e);
    llmc_tracker_free(t);

    setenv("LLMC_EMBODIED_SCOPE", "die", 1);
    t = NULL;
    ck_assert_status(llmc_tracker_new(&t), LLMC_OK);
    ck_assert_status(llmc_tracker_configure(
                         t, "meters=const:100W; grid=FR; interval=100ms; "
                            "hardware=tpu v3"),
                     LLMC_OK);
    manual_time();
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    pass_ms(200);
    llmc_tracker_stop(t);
    o = totals_of(t, NULL);
    ck_assert_rel(o.embodied_kgco2e, 7.0 * 0.2 / (5 * 365.25 * 86400), 1e-9);
    llmc_tracker_free(t);

    setenv("LLMC_EMBODIED_SCOPE", "rack", 1);
    t = NULL;
    ck_assert_status(llmc_tracker_new(&t), LLMC_EINVAL);
    ck_assert_error_mentions("die, package, board or server");
    ck_assert_ptr_null(t);
    unsetenv("LLMC_EMBODIED_SCOPE");
}
END_TEST

START_TEST(test_tracker_embodied_share_of_devices)
{
    /* 8 H100 (164 kg board share) for the run, 5-year default lifetime */
    llmc_tracker *t = tracker_with("meters=const:100W; grid=FR; interval=100ms;"
                                   "hardware=NVIDIA H100 SXM5 80GB; devices=8");
    llmc_totals o;
    manual_time();
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    pass_ms(300);
    llmc_tracker_stop(t);
    o = totals_of(t, NULL);
    ck_assert_double_eq_tol(o.duration_s, 0.3, 1e-12);
    ck_assert_rel(o.embodied_kgco2e, 8 * 164.0 * 0.3 / (5 * 365.25 * 86400),
                  1e-9);
    ck_assert_rel(o.total_kgco2e, o.operational_kgco2e + o.embodied_kgco2e,
                  1e-12);
    ck_assert_rel(o.intensity_gco2e_per_kwh, 56.039, 1e-12);
    llmc_tracker_free(t);
}
END_TEST

/* ---- steps ----------------------------------------------------------- */

#define THREADS 6
#define STEPS_PER_THREAD 200000

static void *stepper(void *arg)
{
    llmc_tracker *t = arg;
    for (int i = 0; i < STEPS_PER_THREAD; i++)
        if (llmc_tracker_step(t, 3) != LLMC_OK)
            return (void *)1;
    return NULL;
}

START_TEST(test_tracker_step_counts_exactly_from_many_threads)
{
    llmc_tracker *t = tracker_with("meters=const:10W; grid=const:1; "
                                   "interval=100ms");
    pthread_t th[THREADS];
    llmc_totals o;
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, stepper, t), 0);
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(th[i], &r);
        ck_assert_ptr_null(r);
    }
    /* live totals already see every step, before any further sample */
    o = totals_of(t, NULL);
    ck_assert_uint_eq(o.steps, (uint64_t)THREADS * STEPS_PER_THREAD);
    ck_assert_uint_eq(o.tokens, (uint64_t)THREADS * STEPS_PER_THREAD * 3);
    llmc_tracker_stop(t);
    o = totals_of(t, NULL);
    ck_assert_uint_eq(o.steps, (uint64_t)THREADS * STEPS_PER_THREAD);
    ck_assert_uint_eq(o.tokens, (uint64_t)THREADS * STEPS_PER_THREAD * 3);
    ck_assert_rel(o.j_per_token, o.energy_j / (double)o.tokens, 1e-12);
    llmc_tracker_free(t);
}
END_TEST

/* Slots of t that a thread owns now. */
static unsigned slots_owned(llmc_tracker *t)
{
    unsigned n = 0;
    for (unsigned i = 0; i < LLMC__OWN_SLOTS; i++)
        n += atomic_load(&t->slots[i].owner) != 0;
    return n;
}

/* Steps counted in the shared slot, by threads that found none free. */
static uint64_t shared_steps(llmc_tracker *t)
{
    uint64_t n = 0;
    for (unsigned h = 0; h < LLMC__HOT; h++)
        n += atomic_load(&t->slots[LLMC__OWN_SLOTS].steps[h]);
    return n;
}

/* Threads that step together: each steps `steps` times with its own
 * number of tokens (index + 1), then waits at `done` until the test has
 * looked at the slots, so that all of them are alive at once. */
struct crowd {
    llmc_tracker *t;
    pthread_barrier_t go, done;
    int steps;
};
struct crowd_member {
    struct crowd *c;
    int index;
};

static void *crowd_stepper(void *arg)
{
    struct crowd_member *m = arg;
    void *bad = NULL;
    pthread_barrier_wait(&m->c->go);
    for (int i = 0; i < m->c->steps; i++)
        if (llmc_tracker_step(m->c->t, (uint64_t)m->index + 1) != LLMC_OK)
            bad = (void *)1;
    pthread_barrier_wait(&m->c->done);
    pthread_barrier_wait(&m->c->done); /* the test has looked */
    return bad;
}

/* n threads step c->t at once; the slots are looked at while all live. */
static void crowd_run(struct crowd *c, int n, unsigned *owned_live,
                      uint64_t *shared_live)
{
    pthread_t *th = calloc((size_t)n, sizeof *th);
    struct crowd_member *m = calloc((size_t)n, sizeof *m);
    ck_assert_ptr_nonnull(th);
    ck_assert_ptr_nonnull(m);
    pthread_barrier_init(&c->go, NULL, (unsigned)n);
    pthread_barrier_init(&c->done, NULL, (unsigned)n + 1);
    for (int i = 0; i < n; i++) {
        m[i].c = c;
        m[i].index = i;
        ck_assert_int_eq(pthread_create(&th[i], NULL, crowd_stepper, &m[i]),
                         0);
    }
    pthread_barrier_wait(&c->done);
    *owned_live = slots_owned(c->t);
    *shared_live = shared_steps(c->t);
    pthread_barrier_wait(&c->done);
    for (int i = 0; i < n; i++) {
        void *r;
        pthread_join(th[i], &r);
        ck_assert_ptr_null(r);
    }
    pthread_barrier_destroy(&c->go);
    pthread_barrier_destroy(&c->done);
    free(th);
    free(m);
}

/* More threads than slots: 64 own one, the other 36 count in the shared
 * slot with atomic adds, and every step and token is counted; the slots
 * are free again once the threads have exited. */
START_TEST(test_tracker_step_a_hundred_threads_beyond_the_slots_count_exactly)
{
    enum { N = 100, STEPS = 20000 };
    struct crowd c;
    unsigned owned;
    uint64_t shared;
    llmc_totals o;

    c.t = tracker_with("meters=const:10W; grid=const:1; interval=100ms");
    c.steps = STEPS;
    ck_assert_status(llmc_tracker_start(c.t), LLMC_OK);
    crowd_run(&c, N, &owned, &shared);
    ck_assert_uint_eq(owned, LLMC__OWN_SLOTS);
    ck_assert_uint_eq(shared, (uint64_t)(N - LLMC__OWN_SLOTS) * STEPS);
    ck_assert_uint_eq(slots_owned(c.t), 0);
    o = totals_of(c.t, NULL);
    ck_assert_uint_eq(o.steps, (uint64_t)N * STEPS);
    /* thread i steps with i + 1 tokens: 1 + 2 + ... + N per step */
    ck_assert_uint_eq(o.tokens, (uint64_t)N * (N + 1) / 2 * STEPS);
    llmc_tracker_stop(c.t);
    o = totals_of(c.t, NULL);
    ck_assert_uint_eq(o.steps, (uint64_t)N * STEPS);
    ck_assert_uint_eq(o.tokens, (uint64_t)N * (N + 1) / 2 * STEPS);
    llmc_tracker_free(c.t);
}
END_TEST

/* Generations of 32 threads, each started after the last has exited: at
 * most 32 slots are ever owned, no thread counts in the shared slot (none
 * collides with another), the slots of the dead go to the next generation
 * and their counts stay counted. */
START_TEST(test_tracker_step_thread_generations_reuse_slots_and_count_exactly)
{
    enum { N = 32, STEPS = 5000, GENERATIONS = 20 };
    struct crowd c;
    llmc_totals o;

    c.t = tracker_with("meters=const:10W; grid=const:1; interval=100ms");
    c.steps = STEPS;
    ck_assert_status(llmc_tracker_start(c.t), LLMC_OK);
    for (int g = 0; g < GENERATIONS; g++) {
        unsigned owned;
        uint64_t shared;
        crowd_run(&c, N, &owned, &shared);
        ck_assert_uint_eq(owned, N);
        ck_assert_uint_eq(shared, 0);
        ck_assert_uint_eq(slots_owned(c.t), 0);
        o = totals_of(c.t, NULL);
        ck_assert_uint_eq(o.steps, (uint64_t)(g + 1) * N * STEPS);
        ck_assert_uint_eq(o.tokens,
                          (uint64_t)(g + 1) * N * (N + 1) / 2 * STEPS);
    }
    /* the slots that were reused are the first 32: none beyond was ever
     * touched */
    for (unsigned i = N; i < LLMC__SLOTS; i++)
        ck_assert_uint_eq(atomic_load(&c.t->slots[i].steps[0]), 0);
    llmc_tracker_stop(c.t);
    o = totals_of(c.t, NULL);
    ck_assert_uint_eq(o.steps, (uint64_t)GENERATIONS * N * STEPS);
    llmc_tracker_free(c.t);
}
END_TEST

/* One thread, several trackers: more than its cache holds, stepped in
 * turn; one freed while the thread goes on with the others, and a new
 * one made (often at the freed one's address) that must not be taken for
 * it. The thread's exit gives back its slots in the live trackers only. */
struct juggle {
    llmc_tracker *t[6];
    pthread_barrier_t freed;
    void *bad;
};

static void *juggler(void *arg)
{
    struct juggle *j = arg;
    for (int i = 0; i < 3000; i++)
        for (int k = 0; k < 6; k++)
            if (llmc_tracker_step(j->t[k], (uint64_t)k + 1) != LLMC_OK)
                j->bad = (void *)1;
    pthread_barrier_wait(&j->freed); /* the test frees t[0] and makes t[0] */
    pthread_barrier_wait(&j->freed);
    for (int i = 0; i < 1000; i++)
        for (int k = 0; k < 6; k++)
            if (llmc_tracker_step(j->t[k], 10) != LLMC_OK)
                j->bad = (void *)1;
    return NULL;
}

START_TEST(test_tracker_step_one_thread_many_trackers_one_freed)
{
    struct juggle j;
    pthread_t th;
    llmc_tracker *gone;

    memset(&j, 0, sizeof j);
    for (int k = 0; k < 6; k++) {
        j.t[k] = tracker_with("meters=const:10W; grid=const:1");
        ck_assert_status(llmc_tracker_start(j.t[k]), LLMC_OK);
    }
    pthread_barrier_init(&j.freed, NULL, 2);
    ck_assert_int_eq(pthread_create(&th, NULL, juggler, &j), 0);
    pthread_barrier_wait(&j.freed);
    for (int k = 0; k < 6; k++) {
        ck_assert_uint_eq(slots_owned(j.t[k]), 1);
        ck_assert_uint_eq(totals_of(j.t[k], NULL).steps, 3000);
        ck_assert_uint_eq(totals_of(j.t[k], NULL).tokens, 3000 * (k + 1));
    }
    gone = j.t[0];
    llmc_tracker_free(gone);
    /* this thread owns a slot of the new tracker before the other steps
     * it: the other's exit must give back only its own */
    j.t[0] = tracker_with("meters=const:10W; grid=const:1");
    ck_assert_status(llmc_tracker_start(j.t[0]), LLMC_OK);
    ck_assert_int_eq(llmc_tracker_step(j.t[0], 5), LLMC_OK);
    ck_assert_uint_eq(slots_owned(j.t[0]), 1);
    pthread_barrier_wait(&j.freed);
    pthread_join(th, NULL);
    ck_assert_ptr_null(j.bad);
    ck_assert_uint_eq(slots_owned(j.t[0]), 1); /* this thread's, still */
    ck_assert_uint_eq(shared_steps(j.t[0]), 0);
    ck_assert_uint_eq(totals_of(j.t[0], NULL).steps, 1001);
    ck_assert_uint_eq(totals_of(j.t[0], NULL).tokens, 5 + 1000 * 10);
    for (int k = 1; k < 6; k++) {
        ck_assert_uint_eq(slots_owned(j.t[k]), 0);
        ck_assert_uint_eq(totals_of(j.t[k], NULL).steps, 4000);
        ck_assert_uint_eq(totals_of(j.t[k], NULL).tokens,
                          3000 * (k + 1) + 1000 * 10);
    }
    pthread_barrier_destroy(&j.freed);
    for (int k = 0; k < 6; k++)
        llmc_tracker_free(j.t[k]);
}
END_TEST

/* A thread whose hint another thread holds: its steps find their slot in
 * the thread's own cache, and count there, not in the shared slot. The
 * hint is taken before the thread's first step, by a thread pointer that
 * no thread has (the step hashes as lib/track/tracker.c does). */
static void *hint_taken_stepper(void *arg)
{
    llmc_tracker *t = arg;
#if defined(__GNUC__) && !defined(__clang__) && \
    (defined(__x86_64__) || defined(__aarch64__))
    uintptr_t self = (uintptr_t)__builtin_thread_pointer();
    unsigned h = (unsigned)((uint64_t)self * 0x9E3779B97F4A7C15ull >>
                            (64 - LLMC__HINT_BITS));
    atomic_store(&t->hint[h], (uintptr_t)64 | 5); /* no thread's */
#endif
    for (int i = 0; i < 5000; i++)
        if (llmc_tracker_step(t, 2) != LLMC_OK)
            return (void *)1;
    return NULL;
}

START_TEST(test_tracker_step_thread_without_its_hint_keeps_its_slot)
{
    llmc_tracker *t = tracker_with("meters=const:10W; grid=const:1");
    pthread_t th;
    void *r;
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    ck_assert_int_eq(llmc_tracker_step(t, 1), LLMC_OK); /* slot 0: this one */
    ck_assert_int_eq(pthread_create(&th, NULL, hint_taken_stepper, t), 0);
    pthread_join(th, &r);
    ck_assert_ptr_null(r);
    ck_assert_uint_eq(shared_steps(t), 0);
    ck_assert_uint_eq(atomic_load(&t->slots[1].steps[0]), 5000);
    ck_assert_uint_eq(totals_of(t, NULL).steps, 5001);
    ck_assert_uint_eq(totals_of(t, NULL).tokens, 1 + 5000 * 2);
    llmc_tracker_free(t);
}
END_TEST

/* A thread that found every slot taken counts in the shared slot until a
 * thread exits, then takes the slot it gave back (it looks every 1024
 * steps). */
struct waiting_room {
    llmc_tracker *t;
    pthread_barrier_t stepped, leave_first, leave_rest;
};
struct holder_arg {
    struct waiting_room *w;
    int index;
};

static void *holder(void *arg)
{
    struct holder_arg *a = arg;
    llmc_tracker_step(a->w->t, 1);
    pthread_barrier_wait(&a->w->stepped);
    pthread_barrier_wait(a->index == 0 ? &a->w->leave_first
                                       : &a->w->leave_rest);
    return NULL;
}

START_TEST(test_tracker_step_shared_thread_takes_a_slot_given_back)
{
    struct waiting_room w;
    struct holder_arg a[LLMC__OWN_SLOTS];
    pthread_t th[LLMC__OWN_SLOTS];
    w.t = tracker_with("meters=const:10W; grid=const:1");
    ck_assert_status(llmc_tracker_start(w.t), LLMC_OK);
    pthread_barrier_init(&w.stepped, NULL, LLMC__OWN_SLOTS + 1);
    pthread_barrier_init(&w.leave_first, NULL, 2);
    pthread_barrier_init(&w.leave_rest, NULL, LLMC__OWN_SLOTS);
    for (int i = 0; i < LLMC__OWN_SLOTS; i++) {
        a[i].w = &w;
        a[i].index = i;
        ck_assert_int_eq(pthread_create(&th[i], NULL, holder, &a[i]), 0);
    }
    pthread_barrier_wait(&w.stepped);
    ck_assert_uint_eq(slots_owned(w.t), LLMC__OWN_SLOTS);
    for (int i = 0; i < 10; i++) /* every slot is taken */
        llmc_tracker_step(w.t, 1);
    ck_assert_uint_eq(shared_steps(w.t), 10);
    pthread_barrier_wait(&w.leave_first);
    pthread_join(th[0], NULL); /* its slot is given back */
    ck_assert_uint_eq(slots_owned(w.t), LLMC__OWN_SLOTS - 1);
    for (int i = 0; i < 2048; i++)
        llmc_tracker_step(w.t, 1);
    ck_assert_uint_eq(slots_owned(w.t), LLMC__OWN_SLOTS);
    /* a free slot is looked for every 1024 steps in the shared one */
    ck_assert_uint_le(shared_steps(w.t), 10 + 1024);
    ck_assert_uint_eq(totals_of(w.t, NULL).steps,
                      LLMC__OWN_SLOTS + 10 + 2048);
    pthread_barrier_wait(&w.leave_rest);
    for (int i = 1; i < LLMC__OWN_SLOTS; i++)
        pthread_join(th[i], NULL);
    ck_assert_uint_eq(slots_owned(w.t), 1); /* this thread's */
    pthread_barrier_destroy(&w.stepped);
    pthread_barrier_destroy(&w.leave_first);
    pthread_barrier_destroy(&w.leave_rest);
    llmc_tracker_free(w.t);
}
END_TEST

START_TEST(test_tracker_step_null_is_einval_and_before_start_counts)
{
    llmc_tracker *t = tracker_with("meters=const:10W; grid=const:1");
    ck_assert_int_eq(llmc_tracker_step(NULL, 1), LLMC_EINVAL);
    /* steps before start are not lost: the first sample counts them */
    ck_assert_int_eq(llmc_tracker_step(t, 5), LLMC_OK);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    llmc_tracker_step(t, 7);
    llmc_tracker_stop(t);
    ck_assert_uint_eq(totals_of(t, NULL).tokens, 12);
    ck_assert_uint_eq(totals_of(t, NULL).steps, 2);
    llmc_tracker_free(t);
}
END_TEST

/* ---- phases ---------------------------------------------------------- */

START_TEST(test_tracker_phases_split_steps_time_and_energy)
{
    llmc_tracker *t = tracker_with("meters=const:200W; grid=const:100; "
                                   "interval=100ms");
    llmc_totals all, train, eval, ckpt;
    manual_time();
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    for (int i = 0; i < 10; i++)
        llmc_tracker_step(t, 100);
    pass_ms(250);
    ck_assert_status(llmc_tracker_phase(t, "eval"), LLMC_OK);
    for (int i = 0; i < 4; i++)
        llmc_tracker_step(t, 50);
    pass_ms(150);
    ck_assert_status(llmc_tracker_phase(t, "checkpoint"), LLMC_OK);
    pass_ms(100);
    ck_assert_status(llmc_tracker_phase(t, "train"), LLMC_OK);
    llmc_tracker_step(t, 100);
    pass_ms(50);
    llmc_tracker_stop(t);
    all = totals_of(t, NULL);
    train = totals_of(t, "train");
    eval = totals_of(t, "eval");
    ckpt = totals_of(t, "checkpoint");
    ck_assert_uint_eq(train.steps, 11);
    ck_assert_uint_eq(train.tokens, 1100);
    ck_assert_uint_eq(eval.steps, 4);
    ck_assert_uint_eq(eval.tokens, 200);
    ck_assert_uint_eq(ckpt.steps, 0);
    /* the phases add up to the whole */
    ck_assert_rel(train.energy_j + eval.energy_j + ckpt.energy_j, all.energy_j,
                  1e-9);
    ck_assert_rel(train.duration_s + eval.duration_s + ckpt.duration_s,
                  all.duration_s, 1e-9);
    /* each phase got the energy of its own time at 200 W */
    ck_assert_double_eq_tol(train.duration_s, 0.300, 1e-12);
    ck_assert_double_eq_tol(eval.duration_s, 0.150, 1e-12);
    ck_assert_double_eq_tol(ckpt.duration_s, 0.100, 1e-12);
    ck_assert_rel(train.energy_j, 200.0 * 0.300, 1e-9);
    ck_assert_rel(eval.energy_j, 200.0 * 0.150, 1e-9);
    ck_assert_rel(ckpt.energy_j, 200.0 * 0.100, 1e-9);
    llmc_tracker_free(t);
}
END_TEST

START_TEST(test_tracker_phase_errors)
{
    llmc_tracker *t = tracker_with("meters=const:1W; grid=const:1");
    llmc_totals o;
    char name[8];
    ck_assert_status(llmc_tracker_phase(t, ""), LLMC_EINVAL);
    ck_assert_status(llmc_tracker_phase(t, NULL), LLMC_EINVAL);
    ck_assert_status(llmc_tracker_phase(t, "a-phase-name-that-is-far-too-long-"
                                           "to-keep"),
                     LLMC_EINVAL);
    for (int i = 0; i < 40; i++) { /* no limit but memory */
        snprintf(name, sizeof name, "p%d", i);
        ck_assert_status(llmc_tracker_phase(t, name), LLMC_OK);
    }
    ck_assert_status(llmc_tracker_phase(t, "p3"), LLMC_OK); /* known: fine */
    llmc_totals_init(&o, sizeof o);
    ck_assert_status(llmc_tracker_totals(&o, t, "nope"), LLMC_ENOTFOUND);
    llmc_tracker_free(t);
}
END_TEST

/* A phase per epoch for 1,000 epochs, far more phases than have step
 * counters of their own (16): each keeps its own steps, tokens, time and
 * energy, exactly, also a phase current again long after its counters
 * went to others; and the phases add up to the whole. */
START_TEST(test_tracker_a_thousand_phases_keep_their_own_totals)
{
    enum { N = 1000 };
    llmc_tracker *t = tracker_with("meters=const:100W; grid=const:100; "
                                   "interval=100ms");
    llmc_totals all, o;
    double energy_j = 0.0, duration_s = 0.0;
    uint64_t steps = 0, tokens = 0;
    char name[16];

    manual_time();
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "epoch-%d", i);
        ck_assert_status(llmc_tracker_phase(t, name), LLMC_OK);
        for (int k = 0; k <= i % 5; k++)
            llmc_tracker_step(t, (uint64_t)i + 1);
        pass_ms(1);
        if (i % 100 == 0)
            pass_ms(60); /* some phases span samples */
        if (i % 10 == 9) { /* back to training between epochs */
            ck_assert_status(llmc_tracker_phase(t, "train"), LLMC_OK);
            llmc_tracker_step(t, 1000);
            pass_ms(1);
        }
    }
    /* the first epochs' counters have served many phases since */
    ck_assert_status(llmc_tracker_phase(t, "epoch-3"), LLMC_OK);
    llmc_tracker_step(t, 7);
    llmc_tracker_step(t, 7);
    pass_ms(30);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);

    all = totals_of(t, NULL);
    ck_assert_uint_eq(all.steps, 3000 + N / 10 + 2); /* 1..5 steps each */
    for (int i = 0; i <= N; i++) {
        double want_s;
        if (i == N) {
            o = totals_of(t, "train");
            ck_assert_uint_eq(o.steps, N / 10);
            ck_assert_uint_eq(o.tokens, 1000 * (N / 10));
            want_s = 0.001 * (N / 10);
        } else {
            uint64_t want = (uint64_t)(i % 5 + 1) + (i == 3 ? 2 : 0);
            snprintf(name, sizeof name, "epoch-%d", i);
            o = totals_of(t, name);
            ck_assert_msg(o.steps == want, "%s: %llu steps, want %llu", name,
                          (unsigned long long)o.steps,
                          (unsigned long long)want);
            ck_assert_uint_eq(o.tokens, (uint64_t)(i % 5 + 1) * (uint64_t)(i + 1) +
                                            (i == 3 ? 14 : 0));
            want_s = 0.001 + (i % 100 == 0 ? 0.060 : 0) + (i == 3 ? 0.030 : 0);
        }
        /* each phase got its own time, and the energy of it at 100 W */
        ck_assert_msg(fabs(o.duration_s - want_s) < 1e-12,
                      "phase %d: %.12f s, want %.3f s", i, o.duration_s,
                      want_s);
        ck_assert_rel(o.energy_j, 100.0 * want_s, 1e-9);
        energy_j += o.energy_j;
        duration_s += o.duration_s;
        steps += o.steps;
        tokens += o.tokens;
    }
    ck_assert_uint_eq(steps, all.steps);
    ck_assert_uint_eq(tokens, all.tokens);
    ck_assert_rel(energy_j, all.energy_j, 1e-9);
    ck_assert_rel(duration_s, all.duration_s, 1e-9);
    llmc_tracker_free(t);
}
END_TEST

static atomic_int switching_done;

/* Steps until switching_done; returns how many. */
static void *stepper_while_switching(void *arg)
{
    llmc_tracker *t = arg;
    uintptr_t n = 0;
    while (!atomic_load(&switching_done)) {
        if (llmc_tracker_step(t, 3) != LLMC_OK)
            return NULL;
        n++;
    }
    return (void *)n;
}

/* Threads step while another switches through 300 phases, so that
 * counters pass from phase to phase under the steps: no step is lost or
 * counted twice, and the phases add up to the whole. */
START_TEST(test_tracker_steps_during_many_phase_switches_all_count)
{
    llmc_tracker *t = tracker_with("meters=const:10W; grid=const:1; "
                                   "interval=100ms");
    pthread_t th[THREADS];
    llmc_totals o;
    uint64_t steps = 0, tokens = 0, made = 0;
    char name[16];
    atomic_store(&switching_done, 0);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(
            pthread_create(&th[i], NULL, stepper_while_switching, t), 0);
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "ph-%d", i);
        ck_assert_status(llmc_tracker_phase(t, name), LLMC_OK);
        sleep_ms(1);
    }
    atomic_store(&switching_done, 1);
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(th[i], &r);
        ck_assert_ptr_nonnull(r);
        made += (uintptr_t)r;
    }
    llmc_tracker_stop(t);
    o = totals_of(t, NULL);
    ck_assert_uint_eq(o.steps, made);
    ck_assert_uint_eq(o.tokens, made * 3);
    for (int i = -1; i < 300; i++) {
        snprintf(name, sizeof name, "ph-%d", i);
        o = totals_of(t, i < 0 ? "train" : name);
        steps += o.steps;
        tokens += o.tokens;
    }
    ck_assert_uint_eq(steps, made);
    ck_assert_uint_eq(tokens, made * 3);
    llmc_tracker_free(t);
}
END_TEST

/* A checkpoint keeps every phase: a run of 100 phases resumes them all. */
START_TEST(test_tracker_checkpoint_resumes_a_hundred_phases)
{
    char ck[300], config[400], name[16], *report = NULL;
    llmc_tracker *t;
    llmc_totals first[100], o;
    make_scratch();
    path_in(ck, sizeof ck, "phases.ckpt");
    snprintf(config, sizeof config,
             "meters=const:100W; grid=const:300; interval=100ms; "
             "checkpoint=%s",
             ck);

    manual_time();
    t = tracker_with(config);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "phase-%d", i);
        ck_assert_status(llmc_tracker_phase(t, name), LLMC_OK);
        for (int k = 0; k <= i; k++)
            llmc_tracker_step(t, 10);
        if (i % 20 == 0)
            pass_ms(20);
    }
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "phase-%d", i);
        first[i] = totals_of(t, name);
    }
    llmc_tracker_free(t);

    t = tracker_with(config);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    ck_assert_status(llmc_tracker_phase(t, "phase-50"), LLMC_OK);
    llmc_tracker_step(t, 10);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "phase-%d", i);
        o = totals_of(t, name);
        ck_assert_uint_eq(o.steps, (uint64_t)i + 1 + (i == 50));
        ck_assert_uint_eq(o.tokens, 10 * ((uint64_t)i + 1 + (i == 50)));
        if (i != 50) {
            ck_assert_rel(o.energy_j, first[i].energy_j, 1e-12);
            ck_assert_rel(o.duration_s, first[i].duration_s, 1e-12);
        } else {
            ck_assert(o.energy_j >= first[i].energy_j);
        }
    }
    ck_assert_status(llmc_tracker_report_json(&report, t), LLMC_OK);
    ck_assert_ptr_nonnull(strstr(report, "\"phase-0\""));
    ck_assert_ptr_nonnull(strstr(report, "\"phase-99\""));
    llmc_free(report);
    llmc_tracker_free(t);
    remove_scratch();
}
END_TEST

/* ---- log ------------------------------------------------------------- */

START_TEST(test_tracker_log_has_one_json_line_per_sample)
{
    char log[300], config[600], line[8192];
    llmc_tracker *t;
    llmc_totals o;
    FILE *f;
    size_t lines = 0;
    double sum_j = 0, sum_op = 0;
    json_int_t last_step = -1;

    make_scratch();
    path_in(log, sizeof log, "run.jsonl");
    snprintf(config, sizeof config,
             "meters=const:50W; grid=FR; interval=100ms; log=%s", log);
    manual_time();
    t = tracker_with(config);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    for (int i = 0; i < 30; i++) {
        llmc_tracker_step(t, 10);
        pass_ms(10);
    }
    pass_ms(5); /* the stop falls between two samples */
    llmc_tracker_stop(t);
    o = totals_of(t, NULL);
    ck_assert_ptr_nonnull(f = fopen(log, "r"));
    while (fgets(line, sizeof line, f)) {
        json_error_t err;
        json_t *j = json_loads(line, 0, &err), *m;
        ck_assert_msg(j != NULL, "line %zu: %s", lines + 1, err.text);
        sum_j += json_number_value(json_object_get(j, "energy_j"));
        sum_op += json_number_value(json_object_get(j, "operational_kgco2e"));
        last_step = json_integer_value(json_object_get(j, "step"));
        ck_assert_str_eq(json_string_value(json_object_get(j, "phase")), "train");
        ck_assert_str_eq(json_string_value(json_object_get(j, "intensity_source")),
                         "static:FRA");
        ck_assert_double_eq(json_number_value(json_object_get(
                                j, "intensity_gco2e_per_kwh")),
                            56.039);
        ck_assert_ptr_nonnull(json_object_get(j, "host"));
        m = json_array_get(json_object_get(j, "meters"), 0);
        ck_assert_str_eq(json_string_value(json_object_get(m, "method")), "const");
        json_decref(j);
        lines++;
    }
    fclose(f);
    ck_assert_uint_eq(lines, o.samples);
    ck_assert_uint_eq(lines, 4); /* at 100, 200 and 300 ms, and the stop */
    ck_assert_int_eq(last_step, 30);
    /* the log holds the whole run: its lines add up to the totals */
    ck_assert_rel(sum_j, o.energy_j, 1e-9);
    ck_assert_rel(sum_op, o.operational_kgco2e, 1e-9);
    llmc_tracker_free(t);
    remove_scratch();
}
END_TEST

START_TEST(test_tracker_unopenable_log_fails_start_naming_it)
{
    llmc_tracker *t = tracker_with("meters=const:50W; grid=FR; interval=100ms;"
                                   "log=/nonexistent-dir/run.jsonl");
    ck_assert_status(llmc_tracker_start(t), LLMC_EIO);
    ck_assert_error_mentions("/nonexistent-dir/run.jsonl");
    ck_assert_error_mentions("give another path");
    /* a failed start leaves the tracker as it was: it may start again */
    ck_assert_status(llmc_tracker_set(t, "log", ""), LLMC_OK);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    llmc_tracker_free(t);
}
END_TEST

/* ---- checkpoints ----------------------------------------------------- */

START_TEST(test_tracker_checkpoint_continues_totals)
{
    char ck[300], config[600];
    llmc_tracker *a, *b;
    llmc_totals ta, tb;
    char *report;

    make_scratch();
    path_in(ck, sizeof ck, "totals.json");
    snprintf(config, sizeof config,
             "meters=const:100W; grid=const:300; interval=100ms; checkpoint=%s",
             ck);
    manual_time();
    a = tracker_with(config);
    ck_assert_status(llmc_tracker_start(a), LLMC_OK);
    for (int i = 0; i < 7; i++)
        llmc_tracker_step(a, 1000);
    pass_ms(200);
    ck_assert_status(llmc_tracker_stop(a), LLMC_OK);
    ta = totals_of(a, NULL);
    llmc_tracker_free(a);

    b = tracker_with(config);
    ck_assert_status(llmc_tracker_start(b), LLMC_OK);
    for (int i = 0; i < 3; i++)
        llmc_tracker_step(b, 1000);
    pass_ms(200);
    ck_assert_status(llmc_tracker_stop(b), LLMC_OK);
    tb = totals_of(b, NULL);
    ck_assert_uint_eq(tb.steps, 10);
    ck_assert_uint_eq(tb.tokens, 10000);
    /* 200 ms at 100 W in each run */
    ck_assert_double_eq_tol(ta.duration_s, 0.2, 1e-12);
    ck_assert_rel(ta.energy_j, 20.0, 1e-9);
    ck_assert_double_eq_tol(tb.duration_s, 0.4, 1e-12);
    ck_assert_rel(tb.energy_j, 40.0, 1e-9);
    ck_assert_uint_eq(totals_of(b, "train").steps, 10);
    ck_assert_status(llmc_tracker_report_json(&report, b), LLMC_OK);
    ck_assert_ptr_nonnull(strstr(report, "\"resumed_from_checkpoint\": true"));
    llmc_free(report);
    llmc_tracker_free(b);
    remove_scratch();
}
END_TEST

START_TEST(test_tracker_killed_job_loses_at_most_one_interval)
{
    char ck[300], config[600];
    pid_t pid;
    int status;
    json_t *root;
    json_error_t err;
    double saved_j, saved_s;
    struct timespec t0, t1;
    double alive_s;
    llmc_tracker *t;

    make_scratch();
    path_in(ck, sizeof ck, "totals.json");
    snprintf(config, sizeof config,
             "meters=const:100W; grid=const:300; interval=100ms; "
             "checkpoint=%s; checkpoint_interval=100ms",
             ck);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        llmc_tracker *c;
        if (llmc_tracker_new(&c) || llmc_tracker_configure(c, config) ||
            llmc_tracker_start(c))
            _exit(3);
        for (;;) { /* a training loop, until SIGKILL */
            llmc_tracker_step(c, 10);
            sleep_ms(5);
        }
    }
    sleep_ms(800);
    kill(pid, SIGKILL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    waitpid(pid, &status, 0);
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    alive_s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

    /* the checkpoint on disk is whole (never torn) and recent */
    root = json_load_file(ck, 0, &err);
    ck_assert_msg(root != NULL, "checkpoint: %s", err.text);
    saved_j = json_number_value(json_object_get(json_object_get(root, "totals"),
                                                "energy_j"));
    saved_s = json_number_value(json_object_get(json_object_get(root, "totals"),
                                                "duration_s"));
    json_decref(root);
    ck_assert_double_le(saved_s, alive_s);
    /* lost: at most one checkpoint interval (plus fork and start-up time) */
    ck_assert_double_ge(saved_s, alive_s - 0.1 - 0.15);
    ck_assert_double_eq_tol(saved_j, 100.0 * saved_s, 100.0 * 4e-3);

    /* no temporary file is left next to it except a torn one of the dead
     * process, which a resume ignores */
    t = tracker_with(config);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    llmc_tracker_stop(t);
    ck_assert_double_ge(totals_of(t, NULL).energy_j, saved_j);
    ck_assert_double_ge(totals_of(t, NULL).steps, 1);
    llmc_tracker_free(t);
    remove_scratch();
}
END_TEST

/* A program that forgets llmc_tracker_stop and calls exit(3) while
 * another thread frees the tracker: the exit handler takes the final
 * sample and writes the checkpoint, and the free waits for it. */
static atomic_int exit_started, exit_in_sync;

static void exit_sync(void *userdata)
{
    (void)userdata;
    if (atomic_load(&exit_started)) {
        atomic_store(&exit_in_sync, 1);
        sleep_ms(200); /* the handler's stop is in here */
    }
}

static void *free_during_exit(void *arg)
{
    for (int i = 0; i < 5000 && !atomic_load(&exit_in_sync); i++)
        sleep_ms(1);
    llmc_tracker_free(arg);
    return NULL;
}

START_TEST(test_tracker_exit_stops_a_forgotten_tracker_while_it_is_freed)
{
    char ck[300], config[600];
    json_t *root, *totals;
    json_error_t err;
    pid_t pid;
    int status;

    make_scratch();
    path_in(ck, sizeof ck, "totals.json");
    snprintf(config, sizeof config,
             "meters=const:100W; grid=const:300; interval=10s; "
             "checkpoint=%s; checkpoint_interval=1h",
             ck);
    fflush(NULL);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        llmc_tracker *c;
        pthread_t th;
        if (llmc_tracker_new(&c) || llmc_tracker_configure(c, config) ||
            llmc_tracker_set_sync(c, exit_sync, NULL) ||
            llmc_tracker_start(c))
            _exit(3);
        for (int i = 0; i < 7; i++)
            llmc_tracker_step(c, 100);
        if (pthread_create(&th, NULL, free_during_exit, c) != 0)
            _exit(4);
        pthread_detach(th); /* it may still be freeing when the process ends */
        sleep_ms(300);
        atomic_store(&exit_started, 1);
        exit(0); /* no llmc_tracker_stop */
    }
    waitpid(pid, &status, 0);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the child ended with status %#x", status);
    root = json_load_file(ck, 0, &err);
    ck_assert_msg(root != NULL, "checkpoint: %s", err.text);
    totals = json_object_get(root, "totals");
    ck_assert_int_eq(json_integer_value(json_object_get(totals, "steps")), 7);
    ck_assert_int_eq(json_integer_value(json_object_get(totals, "tokens")),
                     700);
    /* the final sample came after the 300 ms run and the 200 ms sync */
    ck_assert_double_ge(
        json_number_value(json_object_get(totals, "duration_s")), 0.5);
    ck_assert_double_eq_tol(
        json_number_value(json_object_get(totals, "energy_j")),
        100.0 * json_number_value(json_object_get(totals, "duration_s")),
        100.0 * 4e-3);
    json_decref(root);
    remove_scratch();
}
END_TEST

/* Every running tracker is stopped at exit, however many there are. */
#define FORGOTTEN 80
/* not stopped, but not leaked either */
static llmc_tracker *forgotten[FORGOTTEN];

START_TEST(test_tracker_exit_stops_every_running_tracker)
{
    char config[600];
    pid_t pid;
    int status;

    make_scratch();
    fflush(NULL);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        for (int i = 0; i < FORGOTTEN; i++) {
            llmc_tracker *c;
            snprintf(config, sizeof config,
                     "meters=const:10W; grid=const:1; sampler=inline; "
                     "checkpoint=%s/ck-%d.json; checkpoint_interval=1h",
                     scratch, i);
            if (llmc_tracker_new(&c) || llmc_tracker_configure(c, config) ||
                llmc_tracker_start(c))
                _exit(3);
            llmc_tracker_step(c, (uint64_t)i + 1);
            forgotten[i] = c;
        }
        sleep_ms(100);
        exit(0); /* none of them stopped */
    }
    waitpid(pid, &status, 0);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the child ended with status %#x", status);
    for (int i = 0; i < FORGOTTEN; i++) {
        char ck[300];
        json_error_t err;
        json_t *root, *totals;
        snprintf(ck, sizeof ck, "%s/ck-%d.json", scratch, i);
        root = json_load_file(ck, 0, &err);
        ck_assert_msg(root != NULL, "tracker %d: %s", i, err.text);
        totals = json_object_get(root, "totals");
        ck_assert_int_eq(json_integer_value(json_object_get(totals, "tokens")),
                         i + 1);
        ck_assert_double_ge(
            json_number_value(json_object_get(totals, "duration_s")), 0.1);
        json_decref(root);
    }
    remove_scratch();
}
END_TEST
#undef FORGOTTEN

START_TEST(test_tracker_corrupt_checkpoint_fails_start_with_its_path)
{
    char ck[300], config[600];
    llmc_tracker *t;
    FILE *f;

    make_scratch();
    path_in(ck, sizeof ck, "totals.json");
    ck_assert_ptr_nonnull(f = fopen(ck, "w"));
    fputs("{\"format\": \"llmcarbon-checkpoint\", \"version\": 1, \"tot", f);
    fclose(f);
    snprintf(config, sizeof config, "meters=const:1W; grid=const:1; checkpoint=%s",
             ck);
    t = tracker_with(config);
    ck_assert_status(llmc_tracker_start(t), LLMC_EFORMAT);
    ck_assert_error_mentions(ck);
    ck_assert_error_mentions("left untouched");
    ck_assert_ptr_null(strstr(llmc_last_error(), "away"));
    llmc_tracker_free(t);

    ck_assert_ptr_nonnull(f = fopen(ck, "w"));
    fputs("{\"format\": \"something-else\", \"version\": 1}", f);
    fclose(f);
    t = tracker_with(config);
    ck_assert_status(llmc_tracker_start(t), LLMC_EFORMAT);
    ck_assert_error_mentions("not a libllmcarbon checkpoint");
    llmc_tracker_free(t);
    remove_scratch();
}
END_TEST

/* A host that gives jansson its own allocators (as an embedding runtime
 * may): memory 16 bytes into a block, which plain free() cannot release.
 * The log, the checkpoint and the report must still be written and
 * handed out in memory that llmc_free releases. */
static atomic_int host_blocks;

static void *host_malloc(size_t n)
{
    char *p = malloc(n + 16);
    if (!p)
        return NULL;
    memcpy(p, "llmc-test-host\0", 16);
    atomic_fetch_add(&host_blocks, 1);
    return p + 16;
}

static void host_free(void *q)
{
    char *p = q;
    if (!p)
        return;
    if (memcmp(p - 16, "llmc-test-host\0", 16) != 0)
        abort(); /* not a block of this allocator */
    atomic_fetch_sub(&host_blocks, 1);
    free(p - 16);
}

START_TEST(test_tracker_json_text_survives_host_jansson_allocators)
{
    char log[300], ck[300], config[800], *report = NULL;
    llmc_tracker *t;
    json_t *root;

    make_scratch();
    path_in(log, sizeof log, "run.jsonl");
    path_in(ck, sizeof ck, "totals.json");
    snprintf(config, sizeof config,
             "meters=const:10W; grid=const:100; interval=100ms; log=%s; "
             "checkpoint=%s; checkpoint_interval=100ms",
             log, ck);
    t = tracker_with(config);
    json_set_alloc_funcs(host_malloc, host_free);
    manual_time();
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    llmc_tracker_step(t, 100);
    pass_ms(250);
    ck_assert_status(llmc_tracker_report_json(&report, t), LLMC_OK);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    llmc_tracker_free(t);
    ck_assert_int_eq(atomic_load(&host_blocks), 0); /* all given back */
    json_set_alloc_funcs(malloc, free);
    ck_assert_ptr_nonnull(strstr(report, "\"tokens\": 100"));
    llmc_free(report);
    root = json_load_file(ck, 0, NULL);
    ck_assert_ptr_nonnull(root);
    ck_assert_int_eq(json_integer_value(json_object_get(
                         json_object_get(root, "totals"), "tokens")),
                     100);
    json_decref(root);
    remove_scratch();
}
END_TEST

/* ---- configuration --------------------------------------------------- */

START_TEST(test_tracker_config_errors_name_the_key)
{
    llmc_tracker *t = NULL;
    ck_assert_status(llmc_tracker_new(&t), LLMC_OK);
    ck_assert_status(llmc_tracker_configure(t, "colour=blue"), LLMC_EINVAL);
    ck_assert_error_mentions("'colour'");
    ck_assert_error_mentions("checkpoint_interval");
    ck_assert_status(llmc_tracker_configure(t, "interval=10ms"), LLMC_ERANGE);
    ck_assert_error_mentions("100 ms");
    ck_assert_status(llmc_tracker_configure(t, "pue=0.8"), LLMC_ERANGE);
    ck_assert_status(llmc_tracker_configure(t, "grid=XX"), LLMC_ENOTFOUND);
    ck_assert_status(llmc_tracker_configure(t, "sampler=fiber"), LLMC_EINVAL);
    ck_assert_status(llmc_tracker_configure(t, "require=perfection"),
                     LLMC_EINVAL);
    ck_assert_status(llmc_tracker_configure(t, "target_tokens=many"),
                     LLMC_EPARSE);
    ck_assert_status(llmc_tracker_configure(t, "devices=0"), LLMC_ERANGE);
    ck_assert_status(llmc_tracker_configure(t, "hardware=H100"),
                     LLMC_EAMBIGUOUS);
    ck_assert_status(llmc_tracker_configure(t, "just-a-word"), LLMC_EPARSE);
    ck_assert_status(llmc_tracker_set_pue(t, 0.5), LLMC_ERANGE);
    ck_assert_status(llmc_tracker_set_interval(t, 0.01), LLMC_ERANGE);
    /* spaces, dashes and empty items are fine */
    ck_assert_status(llmc_tracker_configure(t, " target-tokens = 1e9 ;; "
                                               "checkpoint-interval=2min; "),
                     LLMC_OK);
    ck_assert_status(llmc_tracker_set(t, "log", "/tmp/a;b.jsonl"), LLMC_OK);
    llmc_tracker_free(t);
}
END_TEST

START_TEST(test_tracker_configure_is_all_or_nothing)
{
    llmc_tracker *t = tracker_with("meters=const:50W; grid=const:200; "
                                   "pue=1.5");
    llmc_totals o;
    /* the third item is wrong: the first two must not be applied */
    ck_assert_status(llmc_tracker_configure(t, "pue=1.9; grid=const:999; "
                                               "interval=5ms"),
                     LLMC_ERANGE);
    ck_assert_ptr_nonnull(strstr(llmc_last_error(), "interval"));
    ck_assert_status(llmc_tracker_configure(t, "meters=const:1W; "
                                               "hardware=no such chip"),
                     LLMC_ENOTFOUND);
    o = run_for(t, 200);
    ck_assert_rel(o.intensity_gco2e_per_kwh, 200.0, 1e-12);
    ck_assert_double_eq_tol(o.duration_s, 0.2, 1e-12);
    ck_assert_rel(o.energy_j, 50.0 * 0.2, 1e-9);
    ck_assert_rel(o.operational_kgco2e, o.energy_kwh * 1.5 * 200 / 1000, 1e-9);
    llmc_tracker_free(t);
}
END_TEST

START_TEST(test_tracker_setters_refuse_after_start)
{
    llmc_tracker *t = tracker_with("meters=const:1W; grid=const:1");
    llmc_grid *g;
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    ck_assert_status(llmc_tracker_start(t), LLMC_ESTATE);
    ck_assert_status(llmc_tracker_configure(t, "pue=1.1"), LLMC_ESTATE);
    ck_assert_status(llmc_tracker_set(t, "pue", "1.1"), LLMC_ESTATE);
    ck_assert_status(llmc_tracker_set_pue(t, 1.1), LLMC_ESTATE);
    ck_assert_status(llmc_grid_new(&g, "FR"), LLMC_OK);
    ck_assert_status(llmc_tracker_set_grid(t, g), LLMC_ESTATE);
    llmc_grid_free(g);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK); /* idempotent */
    llmc_tracker_free(t);
    llmc_tracker_free(NULL);
}
END_TEST

START_TEST(test_tracker_environment_configures_and_bad_values_are_named)
{
    llmc_tracker *t = NULL;
    setenv("LLMC_PUE", "1.25", 1);
    setenv("LLMC_GRID", "DE", 1);
    setenv("LLMC_METERS", "const:40W", 1);
    manual_time();
    ck_assert_status(llmc_tracker_new(&t), LLMC_OK);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    pass_ms(120);
    llmc_tracker_stop(t);
    ck_assert_rel(totals_of(t, NULL).intensity_gco2e_per_kwh, 380.95, 1e-12);
    ck_assert_rel(totals_of(t, NULL).operational_kgco2e,
                  totals_of(t, NULL).energy_j / 3.6e6 * 1.25 * 380.95 / 1000,
                  1e-12);
    llmc_tracker_free(t);
    setenv("LLMC_PUE", "abc", 1);
    t = NULL;
    ck_assert_status(llmc_tracker_new(&t), LLMC_EPARSE);
    ck_assert_error_mentions("LLMC_PUE");
    ck_assert_ptr_null(t);
    unsetenv("LLMC_PUE");
    unsetenv("LLMC_GRID");
    unsetenv("LLMC_METERS");
}
END_TEST

/* ---- nothing to measure ---------------------------------------------- */

static void no_hardware_here(void)
{
    make_scratch(); /* an empty sysfs: no powercap, no GPUs */
    setenv("LLMC_SYSFS_ROOT", scratch, 1);
    setenv("LLMC_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
}

/* One table: every key's flag and variable follow from its name, its
 * bounds are what the setters enforce, and what it says of change after
 * the start is what llmc_tracker_set does. */
START_TEST(test_tracker_keys_come_from_one_table)
{
    llmc_key_info k;
    llmc_tracker *t;
    size_t n = llmc_tracker_key_count();

    ck_assert_uint_eq(n, 16);
    for (size_t i = 0; i < n; i++) {
        char flag[64], env[64];
        size_t j = 0;
        llmc_key_info_init(&k, sizeof k);
        ck_assert_int_eq(llmc_tracker_key_get(&k, i), LLMC_OK);
        snprintf(flag, sizeof flag, "--%s", k.name);
        for (char *p = flag; *p; p++)
            if (*p == '_')
                *p = '-';
        j = (size_t)snprintf(env, sizeof env, "LLMC_");
        for (const char *p = k.name; *p; p++)
            env[j++] = (char)toupper((unsigned char)*p);
        env[j] = '\0';
        ck_assert_str_eq(k.flag, flag);
        ck_assert_str_eq(k.env, env);
        ck_assert(*k.arg && *k.help);
        ck_assert(isnan(k.min) == isnan(k.max));
        ck_assert(isnan(k.min) || k.min <= k.max);
        /* the key is what llmc_tracker_set takes */
        ck_assert_status(llmc_tracker_new(&t), LLMC_OK);
        if (llmc_tracker_set(t, k.name, "?") != LLMC_OK)
            ck_assert_msg(strstr(llmc_last_error(), "not a tracker key") ==
                              NULL,
                          "%s: %s", k.name, llmc_last_error());
        llmc_tracker_free(t);
    }
    llmc_key_info_init(&k, sizeof k);
    ck_assert_status(llmc_tracker_key_get(&k, n), LLMC_ERANGE);
    ck_assert_status(llmc_tracker_key_find(&k, "no-such-key"), LLMC_EINVAL);
    ck_assert_error_mentions("use one of: meters, grid, pue");

    /* the bounds are the setters': at them accepted, past them refused */
    ck_assert_status(llmc_tracker_key_find(&k, "Checkpoint-Interval"),
                     LLMC_OK);
    ck_assert_str_eq(k.name, "checkpoint_interval");
    ck_assert_str_eq(k.unit, "s");
    ck_assert_double_eq(k.min, 0.1);
    ck_assert_double_eq(k.max, 86400.0);
    ck_assert_status(llmc_tracker_new(&t), LLMC_OK);
    ck_assert_status(llmc_tracker_set(t, "interval", "0.1"), LLMC_OK);
    ck_assert_status(llmc_tracker_set(t, "interval", "0.099"), LLMC_ERANGE);
    ck_assert_status(llmc_tracker_set(t, "interval", "86400"), LLMC_OK);
    ck_assert_status(llmc_tracker_set(t, "interval", "86401"), LLMC_ERANGE);
    ck_assert_status(llmc_tracker_key_find(&k, "devices"), LLMC_OK);
    ck_assert_double_eq(k.min, 1.0);
    ck_assert_status(llmc_tracker_set(t, "devices", "1000000"), LLMC_OK);
    ck_assert_status(llmc_tracker_set(t, "devices", "1000001"), LLMC_ERANGE);
    ck_assert_double_eq(k.max, 1000000.0);
    ck_assert_status(llmc_tracker_key_find(&k, "pue"), LLMC_OK);
    ck_assert_double_eq(k.min, 1.0);
    ck_assert(isinf(k.max));
    ck_assert_status(llmc_tracker_set(t, "pue", "0.99"), LLMC_ERANGE);
    ck_assert_status(llmc_tracker_key_find(&k, "meters"), LLMC_OK);
    ck_assert(isnan(k.min) && !k.while_running);

    /* target_tokens may change while running, through either setter; the
     * others are fixed by the start */
    ck_assert_status(llmc_tracker_key_find(&k, "target_tokens"), LLMC_OK);
    ck_assert(k.while_running);
    ck_assert_status(llmc_tracker_configure(t, "meters=const:100W; "
                                               "grid=const:500g/kWh; "
                                               "sampler=inline"),
                     LLMC_OK);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    ck_assert_status(llmc_tracker_set(t, "target_tokens", "1e6"), LLMC_OK);
    ck_assert_status(llmc_tracker_set(t, "pue", "1.2"), LLMC_ESTATE);
    ck_assert_error_mentions("set 'pue' before llmc_tracker_start");
    {
        char *report;
        ck_assert_status(llmc_tracker_report_json(&report, t), LLMC_OK);
        ck_assert_msg(strstr(report, "\"target_tokens\": 1000000") != NULL,
                      "%s", report);
        llmc_free(report);
    }
    llmc_tracker_free(t);
}
END_TEST

START_TEST(test_tracker_without_meters_reports_unmeasured_not_zero)
{
    llmc_tracker *t;
    llmc_totals o;
    char *report;
    no_hardware_here();
    manual_time();
    t = tracker_with("meters=auto; grid=FR; interval=100ms; fallback=none");
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    ck_assert_uint_eq(llmc_tracker_channel_count(t), 0);
    llmc_tracker_step(t, 100);
    pass_ms(150);
    llmc_tracker_stop(t);
    o = totals_of(t, NULL);
    ck_assert(!o.measured);
    ck_assert(isnan(o.energy_j));
    ck_assert(isnan(o.operational_kgco2e));
    ck_assert(isnan(o.total_kgco2e));
    ck_assert_uint_eq(o.tokens, 100); /* steps still count */
    ck_assert_status(llmc_tracker_report_json(&report, t), LLMC_OK);
    ck_assert_ptr_nonnull(strstr(report, "\"energy_j\": null"));
    ck_assert_ptr_nonnull(strstr(report, "nvml:"));
    ck_assert_ptr_nonnull(strstr(report, "rapl:"));
    ck_assert_ptr_nonnull(strstr(report, "\"fallback\": \"none\""));
    llmc_free(report);
    llmc_tracker_free(t);
    unsetenv("LLMC_SYSFS_ROOT");
    unsetenv("LLMC_NVML_LIBRARY");
    remove_scratch();
}
END_TEST

/* A fake procfs in scratch/proc: this process with ticks of CPU time,
 * on one package of a 350 W, 56-core CPU (6.25 W per core). */
static void fake_proc(long ticks)
{
    char path[400];
    FILE *f;
    snprintf(path, sizeof path, "%s/proc", scratch);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/proc/cpuinfo", scratch);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fputs("processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\n"
          "physical id\t: 0\ncpu cores\t: 56\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/proc/%ld", scratch, (long)getpid());
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/proc/%ld/stat.new", scratch,
             (long)getpid());
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fprintf(f, "%ld (test) S 1 1 1 0 -1 0 0 0 0 0 %ld 0 0 0 20 0 1 0\n",
            (long)getpid(), ticks);
    fclose(f);
    {
        char final[400];
        snprintf(final, sizeof final, "%s/proc/%ld/stat", scratch,
                 (long)getpid());
        ck_assert_int_eq(rename(path, final), 0); /* read whole, or not */
    }
    snprintf(path, sizeof path, "%s/proc", scratch);
    setenv("LLMC_PROCFS_ROOT", path, 1);
}

static int warnings_seen;
static char warning_text[4096];
static void catch_warning(int level, const char *message, void *userdata)
{
    (void)userdata;
    if (level == LLMC_LOG_WARN && strstr(message, "no meter can read")) {
        warnings_seen++;
        snprintf(warning_text, sizeof warning_text, "%s", message);
    }
}

START_TEST(test_tracker_without_a_readable_meter_says_so_and_estimates)
{
    long tck = sysconf(_SC_CLK_TCK);
    llmc_tracker *t;
    llmc_totals o;
    llmc_channel ch;
    const char *why = NULL;
    char *report;

    no_hardware_here();
    fake_proc(1000);
    warnings_seen = 0;
    manual_time();
    llmc_log_set(catch_warning, NULL);
    t = tracker_with("meters=auto; grid=const:500g/kWh; sampler=inline");
    ck_assert_status(llmc_tracker_status(&why, t), LLMC_ESTATE);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    llmc_log_set(NULL, NULL);
    /* said at start, queryably, naming every meter tried and why */
    ck_assert_status(llmc_tracker_status(&why, t), LLMC_ENODEV);
    ck_assert_ptr_nonnull(why);
    ck_assert_msg(strstr(why, "no meter can read energy here") &&
                      strstr(why, "nvml: ") &&
                      strstr(why, "/nonexistent/libnvidia-ml.so.1") &&
                      strstr(why, "rapl: ") && strstr(why, "amdgpu: ") &&
                      strstr(why, "estimated") &&
                      strstr(why, "fallback=none"),
                  "%s", why);
    ck_assert_str_eq(llmc_last_error(), why);
    ck_assert_int_eq(warnings_seen, 1);
    ck_assert_str_eq(warning_text, why);
    ck_assert_status(llmc_tracker_status(NULL, t), LLMC_ENODEV);

    /* the estimate: 0.4 CPU-seconds at 350 W / 56 cores */
    ck_assert_uint_eq(llmc_tracker_channel_count(t), 1);
    fake_proc(1000 + 2 * tck / 5);
    pass_ms(50);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    o = totals_of(t, NULL);
    ck_assert(o.measured);
    ck_assert(o.quality & LLMC_QUALITY_ESTIMATED);
    ck_assert_double_eq_tol(o.energy_j, (2 * tck / 5) * 6.25 / tck, 1e-9);
    ck_assert_double_eq_tol(o.operational_kgco2e,
                            o.energy_j / 3.6e6 * 500 / 1000, 1e-15);
    llmc_channel_init(&ch, sizeof ch);
    ck_assert_status(llmc_tracker_channel(&ch, t, 0), LLMC_OK);
    ck_assert_int_eq(ch.method, LLMC_METHOD_MODEL);
    ck_assert_str_eq(ch.device, "Intel Xeon Platinum 8480+");
    ck_assert_status(llmc_tracker_report_json(&report, t), LLMC_OK);
    ck_assert_msg(strstr(report, "\"estimated\"") &&
                      strstr(report, "\"method\": \"model\"") &&
                      strstr(report, "\"status\": \"LLMC_ENODEV\"") &&
                      strstr(report, "\"fallback\": \"cputime\""),
                  "%s", report);
    llmc_free(report);
    llmc_tracker_free(t);

    /* a CPU given as hardware= is the one the estimate uses */
    fake_proc(1000);
    t = tracker_with("grid=const:500g/kWh; sampler=inline; "
                     "hardware=AMD EPYC 7742");
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    ck_assert_status(llmc_tracker_status(&why, t), LLMC_ENODEV);
    ck_assert_msg(strstr(why, "AMD EPYC 7742") != NULL, "%s", why);
    llmc_channel_init(&ch, sizeof ch);
    ck_assert_status(llmc_tracker_channel(&ch, t, 0), LLMC_OK);
    ck_assert_str_eq(ch.device, "AMD EPYC 7742");
    llmc_tracker_free(t);

    /* a meter that reads: nothing to say */
    t = tracker_with("meters=const:100W; grid=const:500g/kWh");
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    why = "unset";
    ck_assert_status(llmc_tracker_status(&why, t), LLMC_OK);
    ck_assert_ptr_null(why);
    llmc_tracker_free(t);

    /* fallback=none leaves the energy unknown, and says so just as loud */
    t = tracker_with("grid=const:500g/kWh; sampler=inline; fallback=none");
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    ck_assert_status(llmc_tracker_status(&why, t), LLMC_ENODEV);
    ck_assert_msg(strstr(why, "stays unknown (fallback=none)") != NULL, "%s",
                  why);
    ck_assert_uint_eq(llmc_tracker_channel_count(t), 0);
    llmc_tracker_stop(t);
    o = totals_of(t, NULL);
    ck_assert(!o.measured && isnan(o.energy_j));
    llmc_tracker_free(t);
    ck_assert_status(llmc_tracker_new(&t), LLMC_OK);
    ck_assert_status(llmc_tracker_set(t, "fallback", "sometimes"),
                     LLMC_EINVAL);
    ck_assert_error_mentions("use cputime");
    llmc_tracker_free(t);

    unsetenv("LLMC_PROCFS_ROOT");
    unsetenv("LLMC_SYSFS_ROOT");
    unsetenv("LLMC_NVML_LIBRARY");
    remove_scratch();
}
END_TEST


/* The embodied part of a report, read back: hardware, devices, note. */
static json_t *embodied_of(llmc_tracker *t)
{
    char *report;
    json_t *root, *e;
    json_error_t err;
    ck_assert_status(llmc_tracker_report_json(&report, t), LLMC_OK);
    ck_assert_ptr_nonnull(root = json_loads(report, 0, &err));
    llmc_free(report);
    e = json_incref(json_object_get(root, "embodied"));
    json_decref(root);
    return e;
}

START_TEST(test_tracker_takes_the_gpus_profile_from_the_meter)
{
    const char *fake = getenv("LLMC_FAKE_NVML");
    llmc_tracker *t;
    llmc_totals o;
    json_t *e;

    ck_assert_msg(fake != NULL, "LLMC_FAKE_NVML is not set");
    make_scratch();
    setenv("LLMC_SYSFS_ROOT", scratch, 1);
    setenv("LLMC_NVML_LIBRARY", fake, 1);
    setenv("FAKE_NVML_DEVICES", "2", 1);
    manual_time();
    fake_nvml_on_manual_time(fake);

    /* "NVIDIA H100 80GB HBM3", 81559 MiB, 700 W: the H100 SXM5 80GB,
     * 164 kg each over 5 years, for both GPUs */
    t = tracker_with("meters=nvml:all; grid=const:500g/kWh; sampler=inline");
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    pass_ms(200);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    o = totals_of(t, NULL);
    ck_assert_double_eq_tol(o.duration_s, 0.2, 1e-12);
    ck_assert_rel(o.embodied_kgco2e, 164.0 * 2 * 0.2 / (5 * 365.25 * 86400),
                  1e-9);
    /* the fake's two GPUs at 300 W each */
    ck_assert_rel(o.energy_j, 2 * 300.0 * 0.2, 1e-9);
    e = embodied_of(t);
    ck_assert(json_is_true(json_object_get(e, "included")));
    ck_assert_str_eq(json_string_value(json_object_get(e, "hardware")),
                     "NVIDIA H100 SXM5 80GB");
    ck_assert_int_eq(json_integer_value(json_object_get(e, "devices")), 2);
    ck_assert_str_eq(json_string_value(json_object_get(e, "hardware_from")),
                     "2 devices as nvml:0 reports the first: 'NVIDIA H100 "
                     "80GB HBM3', 79.65 GiB, 700 W limit");
    json_decref(e);
    llmc_tracker_free(t);

    /* the same name at a 350 W default limit is the PCIe card, whose
     * board figure is the embodied model's (data/embodied.csv), not a
     * vendor's; and at the die scope, the model's die (8.14 cm2 x 1.8) */
    setenv("FAKE_NVML_NAME", "NVIDIA H100", 1);
    setenv("FAKE_NVML_DEFAULT_LIMIT_MW", "350000", 1);
    t = tracker_with("meters=nvml:all; grid=const:500g/kWh; sampler=inline; "
                     "embodied_scope=die");
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    e = embodied_of(t);
    ck_assert_str_eq(json_string_value(json_object_get(e, "hardware")),
                     "NVIDIA H100 PCIe 80GB");
    ck_assert(json_is_true(json_object_get(e, "included")));
    ck_assert_str_eq(json_string_value(json_object_get(e, "scope")), "die");
    ck_assert_str_eq(json_string_value(json_object_get(e, "method")), "model");
    ck_assert_rel(json_number_value(json_object_get(e, "kgco2e_per_device")),
                  8.14 * 1.8, 1e-12);
    ck_assert_msg(strstr(json_string_value(json_object_get(e, "hardware_from")),
                         "350 W limit") != NULL, "%s",
                  json_string_value(json_object_get(e, "hardware_from")));
    json_decref(e);
    llmc_tracker_free(t);

    /* nothing to tell SXM5 from PCIe: not included, and why */
    setenv("FAKE_NVML_DEFAULT_LIMIT_MW", "0", 1);
    t = tracker_with("meters=nvml:all; grid=const:500g/kWh; sampler=inline");
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    pass_ms(100);
    llmc_tracker_stop(t);
    e = embodied_of(t);
    ck_assert(json_is_false(json_object_get(e, "included")));
    ck_assert_str_eq(json_string_value(json_object_get(e, "note")),
                     "no hardware given, and nvml:0's 'NVIDIA H100' is "
                     "ambiguous in the catalogue; give hardware=NAME");
    json_decref(e);
    {
        /* nothing embodied is counted: the total is the operational part
         * (the bindings show the embodied figure as None by the report's
         * included false) */
        llmc_totals o = totals_of(t, NULL);
        ck_assert_double_eq(o.embodied_kgco2e, 0.0);
        ck_assert_rel(o.energy_j, 2 * 300.0 * 0.1, 1e-9);
        ck_assert_double_eq(o.total_kgco2e, o.operational_kgco2e);
    }
    llmc_tracker_free(t);

    /* a device the catalogue lacks */
    setenv("FAKE_NVML_NAME", "NVIDIA Imaginary X1", 1);
    t = tracker_with("meters=nvml:all; grid=const:500g/kWh; sampler=inline");
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    e = embodied_of(t);
    ck_assert(json_is_false(json_object_get(e, "included")));
    ck_assert_msg(strstr(json_string_value(json_object_get(e, "note")),
                         "'NVIDIA Imaginary X1' is not found") != NULL,
                  "%s", json_string_value(json_object_get(e, "note")));
    json_decref(e);
    llmc_tracker_free(t);

    /* hardware= wins, and says it was given */
    t = tracker_with("meters=nvml:all; grid=const:500g/kWh; sampler=inline; "
                     "hardware=NVIDIA A100 SXM4 80GB");
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    e = embodied_of(t);
    ck_assert_str_eq(json_string_value(json_object_get(e, "hardware")),
                     "NVIDIA A100 SXM4 80GB");
    ck_assert(json_is_null(json_object_get(e, "hardware_from")));
    json_decref(e);
    llmc_tracker_free(t);

    unsetenv("FAKE_NVML_NAME");
    unsetenv("FAKE_NVML_DEFAULT_LIMIT_MW");
    unsetenv("FAKE_NVML_DEVICES");
    unsetenv("LLMC_SYSFS_ROOT");
    unsetenv("LLMC_NVML_LIBRARY");
    remove_scratch();
}
END_TEST

START_TEST(test_tracker_gpu_that_cannot_read_is_not_a_measurement)
{
    /* NVML opens and names a GPU, but neither its counter nor its power
     * reads: nothing reads, so the start says so and estimates */
    const char *fake = getenv("LLMC_FAKE_NVML");
    llmc_tracker *t;
    const char *why = NULL;

    ck_assert_msg(fake != NULL, "LLMC_FAKE_NVML is not set");
    make_scratch();
    setenv("LLMC_SYSFS_ROOT", scratch, 1);
    setenv("LLMC_NVML_LIBRARY", fake, 1);
    setenv("FAKE_NVML_DEVICES", "1", 1);
    setenv("FAKE_NVML_NO_ENERGY", "0", 1); /* NVML_ERROR_NOT_SUPPORTED */
    setenv("FAKE_NVML_NO_POWER", "0", 1);
    fake_proc(0);
    t = tracker_with("meters=auto; grid=const:500g/kWh; sampler=inline");
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    ck_assert_status(llmc_tracker_status(&why, t), LLMC_ENODEV);
    ck_assert_msg(strstr(why, "nvml:0") != NULL &&
                      strstr(why, "estimated") != NULL,
                  "%s", why);
    ck_assert_uint_eq(llmc_tracker_channel_count(t), 2);
    llmc_tracker_free(t);
    unsetenv("FAKE_NVML_NO_ENERGY");
    unsetenv("FAKE_NVML_NO_POWER");
    unsetenv("FAKE_NVML_DEVICES");
    unsetenv("LLMC_PROCFS_ROOT");
    unsetenv("LLMC_SYSFS_ROOT");
    unsetenv("LLMC_NVML_LIBRARY");
    remove_scratch();
}
END_TEST

START_TEST(test_tracker_require_measured_fails_start_with_reasons)
{
    llmc_tracker *t;
    no_hardware_here();
    t = tracker_with("require=measured");
    ck_assert_status(llmc_tracker_start(t), LLMC_ENODEV);
    ck_assert_error_mentions("require=measured");
    ck_assert_error_mentions("nvml");
    llmc_tracker_free(t);
    /* a model is not a measurement either */
    t = tracker_with("require=measured; meters=model:NVIDIA L4@0.5");
    ck_assert_status(llmc_tracker_start(t), LLMC_ENODEV);
    llmc_tracker_free(t);
    unsetenv("LLMC_SYSFS_ROOT");
    unsetenv("LLMC_NVML_LIBRARY");
    remove_scratch();
}
END_TEST

/* ---- sampling modes, sync, projection -------------------------------- */

START_TEST(test_tracker_inline_sampler_samples_from_step)
{
    llmc_tracker *t = tracker_with("meters=const:80W; grid=const:100; "
                                   "interval=100ms; sampler=inline");
    llmc_totals o;
    manual_time();
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    for (int i = 0; i < 50; i++) {
        llmc_tracker_step(t, 1);
        pass_ms(10);
    }
    /* before stop: only steps can have sampled. A thread's every 8th step
     * looks at the clock (at 70, 150, 230, ... ms): the first due at or
     * after 100 ms samples, and the next is due an interval after it, so
     * the steps at 150, 310 and 470 ms sample */
    o = totals_of(t, NULL);
    ck_assert_uint_eq(o.samples, 3);
    ck_assert_double_eq_tol(o.duration_s, 0.470, 1e-12);
    llmc_tracker_stop(t);
    o = totals_of(t, NULL);
    ck_assert_double_eq_tol(o.duration_s, 0.5, 1e-12);
    ck_assert_rel(o.energy_j, 80.0 * 0.5, 1e-9);
    llmc_tracker_free(t);
}
END_TEST

/* Steps handed over in bulk (a binding's own counters) count as that many
 * single steps: per phase, before the start, and with the inline sampler
 * the call samples once an interval has passed. */
START_TEST(test_tracker_add_steps_counts_as_many_single_steps)
{
    llmc_tracker *one = tracker_with("meters=const:50W; grid=const:100; "
                                     "interval=100ms");
    llmc_tracker *bulk = tracker_with("meters=const:50W; grid=const:100; "
                                      "interval=100ms");
    llmc_tracker *in = tracker_with("meters=const:50W; grid=const:100; "
                                    "interval=100ms; sampler=inline");
    const char *names[] = {NULL, "train", "eval"};
    llmc_totals a, b, o;
    manual_time();
    ck_assert_int_eq(llmc_tracker_add_steps(NULL, 1, 1), LLMC_EINVAL);
    /* before the start, as single steps are */
    llmc_tracker_step(one, 3);
    llmc_tracker_step(one, 4);
    ck_assert_int_eq(llmc_tracker_add_steps(bulk, 2, 7), LLMC_OK);
    ck_assert_status(llmc_tracker_start(one), LLMC_OK);
    ck_assert_status(llmc_tracker_start(bulk), LLMC_OK);
    for (int i = 0; i < 1000; i++)
        llmc_tracker_step(one, 128);
    ck_assert_int_eq(llmc_tracker_add_steps(bulk, 1000, 128000), LLMC_OK);
    pass_ms(150);
    llmc_tracker_phase(one, "eval");
    llmc_tracker_phase(bulk, "eval");
    for (int i = 0; i < 30; i++)
        llmc_tracker_step(one, 10);
    ck_assert_int_eq(llmc_tracker_add_steps(bulk, 0, 0), LLMC_OK);
    ck_assert_int_eq(llmc_tracker_add_steps(bulk, 30, 300), LLMC_OK);
    pass_ms(100);
    llmc_tracker_stop(one);
    llmc_tracker_stop(bulk);
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        a = totals_of(one, names[k]);
        b = totals_of(bulk, names[k]);
        ck_assert_uint_eq(a.steps, b.steps);
        ck_assert_uint_eq(a.tokens, b.tokens);
        ck_assert_rel(a.energy_j, b.energy_j, 1e-12);
    }
    ck_assert_uint_eq(totals_of(bulk, NULL).steps, 1032);
    ck_assert_uint_eq(totals_of(bulk, NULL).tokens, 128307);
    ck_assert_uint_eq(totals_of(bulk, "eval").steps, 30);
    ck_assert_uint_eq(totals_of(bulk, "eval").tokens, 300);
    ck_assert_rel(totals_of(bulk, "eval").energy_j, 50.0 * 0.100, 1e-9);

    /* inline: the call that finds an interval passed samples */
    ck_assert_status(llmc_tracker_start(in), LLMC_OK);
    llmc_tracker_add_steps(in, 10, 100);
    ck_assert_uint_eq(totals_of(in, NULL).samples, 0);
    pass_ms(120);
    llmc_tracker_add_steps(in, 10, 100);
    o = totals_of(in, NULL);
    ck_assert_uint_eq(o.samples, 1);
    ck_assert_uint_eq(o.steps, 20);
    ck_assert_uint_eq(o.tokens, 200);
    ck_assert_double_eq_tol(o.duration_s, 0.120, 1e-12);
    llmc_tracker_stop(in);
    llmc_tracker_free(in);
    llmc_tracker_free(one);
    llmc_tracker_free(bulk);
}
END_TEST

static void count_sync(void *userdata)
{
    (*(int *)userdata)++;
}

START_TEST(test_tracker_sync_runs_before_each_sample)
{
    llmc_tracker *t = tracker_with("meters=const:1W; grid=const:1; "
                                   "interval=100ms");
    int syncs = 0;
    manual_time();
    ck_assert_status(llmc_tracker_set_sync(t, count_sync, &syncs), LLMC_OK);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    pass_ms(350);
    llmc_tracker_stop(t);
    /* the samples at 100, 200 and 300 ms, and the stop's */
    ck_assert_int_eq(syncs, 4);
    ck_assert_uint_eq(totals_of(t, NULL).samples, 4);
    llmc_tracker_free(t);
}
END_TEST

/* The final sync of a stop lasts 300 ms; a second thread that calls stop
 * meanwhile returns only once the final sample exists. The sync lets 300
 * ms of manual time pass, for the totals, and waits 300 ms of real time,
 * so that the second stop comes while it runs (an order of threads, which
 * only real time gives here). */
struct slow_stop {
    atomic_int stopping, sync_done;
    llmc_tracker *t;
    int rc;
};

static void slow_sync(void *userdata)
{
    struct slow_stop *s = userdata;
    if (atomic_load(&s->stopping)) {
        llmc__clock_advance_ns(300000000);
        sleep_ms(300);
        atomic_store(&s->sync_done, 1);
    }
}

static void *second_stopper(void *arg)
{
    struct slow_stop *s = arg;
    sleep_ms(100); /* the first stop is in its final sync by now */
    s->rc = llmc_tracker_stop(s->t);
    /* returned: the winner's sync, final sample and checkpoint are done */
    if (!atomic_load(&s->sync_done))
        s->rc = -1000;
    return NULL;
}

START_TEST(test_tracker_concurrent_stop_waits_for_the_final_sample)
{
    struct slow_stop s = {0};
    pthread_t th;
    llmc_totals o;
    manual_time();
    s.t = tracker_with("meters=const:100W; grid=const:1; interval=10s");
    ck_assert_status(llmc_tracker_set_sync(s.t, slow_sync, &s), LLMC_OK);
    ck_assert_status(llmc_tracker_start(s.t), LLMC_OK);
    atomic_store(&s.stopping, 1);
    ck_assert_int_eq(pthread_create(&th, NULL, second_stopper, &s), 0);
    ck_assert_status(llmc_tracker_stop(s.t), LLMC_OK);
    pthread_join(th, NULL);
    ck_assert_int_eq(s.rc, LLMC_OK);
    o = totals_of(s.t, NULL);
    /* the final sample came after the sync */
    ck_assert_double_eq_tol(o.duration_s, 0.3, 1e-12);
    ck_assert_rel(o.energy_j, 100.0 * 0.3, 1e-9);
    /* a stop after both is a no-op that leaves the totals alone */
    ck_assert_status(llmc_tracker_stop(s.t), LLMC_OK);
    ck_assert_rel(totals_of(s.t, NULL).duration_s, o.duration_s, 1e-15);
    llmc_tracker_free(s.t);
}
END_TEST

/* The log's projection (llmc_runlog_totals) next to the tracker's
 * totals o, taken at the same sample: the same figures. */
static void same_projection_in_log(const char *log, const llmc_totals *o,
                                   uint64_t target_tokens)
{
    const char *paths[1] = {log};
    llmc_runlog *r = NULL;
    llmc_run_totals f;
    ck_assert_status(llmc_runlog_read(&r, paths, 1, NULL, 0), LLMC_OK);
    llmc_run_totals_init(&f, sizeof f);
    ck_assert_status(llmc_runlog_totals(&f, r, NULL), LLMC_OK);
    ck_assert_msg(f.projection_note == NULL, "%s", f.projection_note);
    ck_assert_uint_eq(f.target_tokens, target_tokens);
    /* the tokens of the last sample; the totals' count also has the
     * steps since */
    ck_assert_uint_le(f.tokens, o->tokens);
    ck_assert_double_eq_tol(f.projected_total_kgco2e,
                            o->projected_total_kgco2e, 1e-9);
    ck_assert_double_eq_tol(f.projected_low_kgco2e, o->projected_low_kgco2e,
                            1e-9);
    ck_assert_double_eq_tol(f.projected_high_kgco2e,
                            o->projected_high_kgco2e, 1e-9);
    /* relative too: the figures are small */
    ck_assert_rel(f.projected_total_kgco2e, o->projected_total_kgco2e, 1e-9);
    ck_assert_rel(f.projected_low_kgco2e, o->projected_low_kgco2e, 1e-9);
    ck_assert_rel(f.projected_high_kgco2e, o->projected_high_kgco2e, 1e-9);
    ck_assert_double_eq_tol(f.plan_low_kgco2e, 0.002, 1e-15);
    ck_assert_double_eq_tol(f.plan_high_kgco2e, 0.003, 1e-15);
    llmc_runlog_free(r);
}

START_TEST(test_tracker_log_records_the_plan_and_projects_as_the_tracker)
{
    /* steps of uneven tokens, so that the range is not a point, and an
     * eval phase between samples; the log read back while the tracker
     * runs and once it stopped gives the tracker's own projection */
    char log[300], config[600], cmd[1200], out[300], line[4096];
    llmc_tracker *t;
    llmc_totals o;
    const char *cli = getenv("LLMC_CLI");
    FILE *f;
    int plans = 0, mixed = 0;

    make_scratch();
    path_in(log, sizeof log, "plan.jsonl");
    snprintf(config, sizeof config,
             "meters=const:100W; grid=const:400; interval=100ms; "
             "target_tokens=60000; plan=2g..3g; hardware=NVIDIA H100 SXM5 "
             "80GB; log=%s", log);
    t = tracker_with(config);
    manual_time();
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    for (int i = 0; i < 60; i++) {
        llmc_tracker_step(t, 400 + 100 * (uint64_t)(i % 3));
        pass_ms(10);
    }
    /* eval from the middle of one interval to the middle of the next:
     * their lines say the seconds of each phase (phase_s), and the
     * projection keeps the share of eval's energy */
    pass_ms(50);
    ck_assert_status(llmc_tracker_phase(t, "eval"), LLMC_OK);
    pass_ms(100);
    ck_assert_status(llmc_tracker_phase(t, "train"), LLMC_OK);
    for (int i = 0; i < 40; i++) {
        llmc_tracker_step(t, 400 + 100 * (uint64_t)(i % 2));
        pass_ms(10);
    }
    /* while running: the totals (whose projection is that of the last
     * sample) and the log written up to that sample */
    o = totals_of(t, NULL);
    llmc__writer_flush(t, 1);
    ck_assert_msg(!isnan(o.projected_total_kgco2e), "no projection yet");
    same_projection_in_log(log, &o, 60000);

    /* a new target while running: a second plan line, the last counts */
    ck_assert_status(llmc_tracker_set_target_tokens(t, 90000), LLMC_OK);
    pass_ms(200);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    o = totals_of(t, NULL);
    same_projection_in_log(log, &o, 90000);

    ck_assert_ptr_nonnull(f = fopen(log, "r"));
    while (fgets(line, sizeof line, f)) {
        json_error_t err;
        json_t *j = json_loads(line, 0, &err);
        ck_assert_ptr_nonnull(j);
        if (json_is_string(json_object_get(j, "type")) &&
            strcmp(json_string_value(json_object_get(j, "type")), "plan") ==
                0) {
            const json_t *range = json_object_get(j, "plan_range_kgco2e");
            ck_assert_int_eq(json_integer_value(
                                 json_object_get(j, "target_tokens")),
                             plans ? 90000 : 60000);
            ck_assert_double_eq_tol(json_number_value(json_array_get(range,
                                                                     0)),
                                    0.002, 1e-15);
            ck_assert_int_eq(json_integer_value(
                                 json_object_get(j, "warmup_samples")),
                             2);
            ck_assert_int_eq(json_integer_value(json_object_get(j, "pid")),
                             getpid());
            ck_assert_ptr_nonnull(json_object_get(j, "host"));
            ck_assert_ptr_nonnull(json_object_get(j, "time_unix_s"));
            plans++;
        }
        if (json_object_get(j, "phase_s")) {
            const json_t *ps = json_object_get(j, "phase_s");
            ck_assert_double_eq_tol(
                json_number_value(json_object_get(ps, "train")) +
                    json_number_value(json_object_get(ps, "eval")),
                json_number_value(json_object_get(j, "interval_s")), 1e-9);
            ck_assert_double_eq_tol(
                json_number_value(json_object_get(ps, "eval")), 0.05, 1e-9);
            mixed++;
        }
        json_decref(j);
    }
    fclose(f);
    ck_assert_int_eq(plans, 2);
    ck_assert_int_eq(mixed, 2); /* into eval, and out of it */

    /* `llmcarbon report --json` carries it, as the tracker's report does */
    ck_assert_ptr_nonnull(cli);
    path_in(out, sizeof out, "report.json");
    snprintf(cmd, sizeof cmd, "'%s' report '%s' --json > '%s'", cli, log,
             out);
    ck_assert_int_eq(system(cmd), 0);
    {
        json_error_t err;
        json_t *j = json_load_file(out, 0, &err), *p;
        ck_assert_msg(j != NULL, "%s", err.text);
        p = json_object_get(j, "projection");
        ck_assert_int_eq(json_integer_value(json_object_get(p,
                                                            "target_tokens")),
                         90000);
        ck_assert_rel(json_number_value(json_object_get(p, "total_kgco2e")),
                      o.projected_total_kgco2e, 1e-9);
        ck_assert_rel(json_number_value(json_array_get(
                          json_object_get(p, "range_kgco2e"), 1)),
                      o.projected_high_kgco2e, 1e-9);
        ck_assert_double_eq_tol(json_number_value(json_object_get(
                                    p, "plan_total_kgco2e")),
                                0.0025, 1e-12);
        ck_assert_ptr_null(json_object_get(p, "note"));
        json_decref(j);
    }
    /* the page from the log draws the tracker's projection table */
    {
        const char *paths[1] = {log};
        llmc_runlog *r = NULL;
        char *mine = NULL, *page = NULL;
        const char *a, *b, *ae, *be;
        ck_assert_status(llmc_tracker_report_html(&mine, t), LLMC_OK);
        ck_assert_status(llmc_runlog_read(&r, paths, 1, NULL, 0), LLMC_OK);
        ck_assert_status(llmc_runlog_report_html(&page, r, 0), LLMC_OK);
        ck_assert_ptr_nonnull(a = strstr(mine,
                                         "<table data-table=\"projection\">"));
        ck_assert_ptr_nonnull(b = strstr(page,
                                         "<table data-table=\"projection\">"));
        ck_assert_ptr_nonnull(ae = strstr(a, "</table>"));
        ck_assert_ptr_nonnull(be = strstr(b, "</table>"));
        ck_assert_msg(be - b == ae - a &&
                          strncmp(a, b, (size_t)(ae - a)) == 0,
                      "the log's %.*s\nthe tracker's %.*s", (int)(be - b), b,
                      (int)(ae - a), a);
        ck_assert_msg(strstr(b, "data-figure=\"projection:target_tokens\">"
                                "90,000<"),
                      "%.400s", b);
        ck_assert_msg(strstr(b, "data-figure=\"projection:total_kgco2e\">"
                                "0.0000286"),
                      "%.600s", b);
        llmc_free(mine);
        llmc_free(page);
        llmc_runlog_free(r);
    }
    /* and the text report a line */
    snprintf(cmd, sizeof cmd,
             "'%s' report '%s' | grep -q '^  projection  .* kgCO2e at "
             "90000 tokens (95%% range .*, plan 0.002 to 0.003 kgCO2e$'",
             cli, log);
    ck_assert_int_eq(system(cmd), 0);
    llmc_tracker_free(t);
    remove_scratch();
}
END_TEST

START_TEST(test_tracker_projects_the_final_footprint)
{
    /* steady training at constant power: the footprint at twice the
     * tokens is about twice the footprint so far */
    llmc_tracker *t = tracker_with("meters=const:100W; grid=const:400; "
                                   "interval=100ms; target_tokens=60000;"
                                   "plan=2g..3g");
    llmc_totals o;
    char *report;
    manual_time();
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    /* a step every 10 ms of manual time: the tokens per joule are steady */
    for (int i = 0; i < 60; i++) {
        llmc_tracker_step(t, 500);
        pass_ms(10);
    }
    o = totals_of(t, NULL);
    ck_assert_msg(!isnan(o.projected_total_kgco2e), "no projection yet");
    /* 100 W for 10 ms per 500 tokens: 60000 tokens take 120 J, which at
     * 400 g/kWh is 1.33e-5 kg; the totals (energy up to the last sample)
     * and the live token count may be up to an interval apart, which the
     * projection accounts for */
    ck_assert_rel(o.projected_total_kgco2e, 60000 * 0.002 / 3.6e6 * 0.4,
                  1e-9);
    ck_assert_double_le(o.projected_low_kgco2e, o.projected_total_kgco2e);
    ck_assert_double_ge(o.projected_high_kgco2e, o.projected_total_kgco2e);
    /* the report puts the plan next to the projection */
    ck_assert_status(llmc_tracker_report_json(&report, t), LLMC_OK);
    {
        json_error_t err;
        json_t *j = json_loads(report, 0, &err), *p;
        ck_assert_ptr_nonnull(j);
        p = json_object_get(j, "projection");
        ck_assert_double_eq_tol(json_number_value(json_object_get(
                                    p, "plan_total_kgco2e")),
                                0.0025, 1e-12);
        /* no time has passed since the totals: the same range */
        ck_assert_rel(json_number_value(json_array_get(
                          json_object_get(p, "range_kgco2e"), 0)),
                      o.projected_low_kgco2e, 1e-12);
        json_decref(j);
    }
    llmc_free(report);
    llmc_tracker_stop(t);
    llmc_tracker_free(t);

    t = tracker_with("meters=const:100W; grid=const:400");
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    ck_assert(isnan(totals_of(t, NULL).projected_total_kgco2e)); /* no target */
    llmc_tracker_free(t);
}
END_TEST

/* ---- one reader per device on a node --------------------------------- */

static void write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static char rapl_counter[600];

static void set_counter(unsigned long long uj)
{
    char text[32];
    snprintf(text, sizeof text, "%llu\n", uj);
    write_file(rapl_counter, text);
}

static int wait_for_files(const char *pattern, int n, long timeout_ms)
{
    for (long waited = 0; waited < timeout_ms; waited += 10) {
        int found = 0;
        for (int i = 0; i < n; i++) {
            char path[500];
            snprintf(path, sizeof path, pattern, scratch, i);
            found += access(path, F_OK) == 0;
        }
        if (found == n)
            return 1;
        sleep_ms(10);
    }
    return 0;
}

/* A rank: tracks the node until told to stop, then writes what it counted. */
static void rank_main(int rank)
{
    char path[500], stop[500];
    llmc_tracker *t;
    llmc_totals o;
    FILE *f;
    char lr[16];

    snprintf(lr, sizeof lr, "%d", rank);
    setenv("LOCAL_RANK", lr, 1);
    setenv("RANK", lr, 1);
    setenv("LOCAL_WORLD_SIZE", "4", 1);
    if (llmc_tracker_new(&t) ||
        llmc_tracker_configure(t, "meters=rapl; grid=const:100; interval=100ms") ||
        llmc_tracker_start(t))
        _exit(3);
    snprintf(path, sizeof path, "%s/ready-%d", scratch, rank);
    write_file(path, "1");
    snprintf(stop, sizeof stop, "%s/stop", scratch);
    while (access(stop, F_OK) != 0) {
        llmc_tracker_step(t, 1);
        sleep_ms(5);
    }
    llmc_tracker_stop(t);
    llmc_totals_init(&o, sizeof o);
    llmc_tracker_totals(&o, t, NULL);
    snprintf(path, sizeof path, "%s/result-%d", scratch, rank);
    if (!(f = fopen(path, "w")))
        _exit(4);
    fprintf(f, "%.17g\n", o.energy_j);
    fclose(f);
    llmc_tracker_free(t);
    _exit(0);
}

START_TEST(test_tracker_four_ranks_count_the_node_once)
{
    pid_t pids[4];
    double sum = 0, counted_by[4];
    int counters = 0;
    char path[500];

    make_scratch();
    fake_rapl_package(scratch, rapl_counter, sizeof rapl_counter);
    for (int r = 0; r < 4; r++) {
        pids[r] = fork();
        ck_assert_int_ge(pids[r], 0);
        if (pids[r] == 0)
            rank_main(r);
    }
    ck_assert_msg(wait_for_files("%s/ready-%d", 4, 5000), "ranks not ready");
    sleep_ms(150); /* every rank has sampled its baseline */
    /* the node uses 10 J in ten steps while all four ranks track it */
    for (int i = 1; i <= 10; i++) {
        set_counter(1000000ULL + (unsigned long long)i * 1000000ULL);
        sleep_ms(40);
    }
    sleep_ms(150);
    snprintf(path, sizeof path, "%s/stop", scratch);
    write_file(path, "1");
    for (int r = 0; r < 4; r++) {
        int status;
        waitpid(pids[r], &status, 0);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "rank %d failed (%d)", r, status);
    }
    for (int r = 0; r < 4; r++) {
        FILE *f;
        snprintf(path, sizeof path, "%s/result-%d", scratch, r);
        ck_assert_ptr_nonnull(f = fopen(path, "r"));
        ck_assert_int_eq(fscanf(f, "%lf", &counted_by[r]), 1);
        fclose(f);
        if (counted_by[r] > 0)
            counters++;
        if (!isnan(counted_by[r]))
            sum += counted_by[r];
    }
    ck_assert_int_eq(counters, 1);
    ck_assert_double_eq_tol(sum, 10.0, 1e-9);
    unsetenv("LLMC_SYSFS_ROOT");
    remove_scratch();
}
END_TEST

START_TEST(test_tracker_dead_readers_device_is_taken_over)
{
    pid_t first, second;
    char path[500];
    int status;
    FILE *f;
    double counted;

    make_scratch();
    fake_rapl_package(scratch, rapl_counter, sizeof rapl_counter);
    /* the first rank takes the package, then dies without a word */
    if ((first = fork()) == 0)
        rank_main(0);
    ck_assert_msg(wait_for_files("%s/ready-%d", 1, 5000), "rank 0 not ready");
    sleep_ms(150);
    if ((second = fork()) == 0)
        rank_main(1);
    snprintf(path, sizeof path, "%s/ready-1", scratch);
    for (int i = 0; i < 500 && access(path, F_OK) != 0; i++)
        sleep_ms(10);
    kill(first, SIGKILL);
    waitpid(first, &status, 0);
    sleep_ms(350); /* the kernel dropped the lock; rank 1 took it over */
    for (int i = 1; i <= 5; i++) {
        set_counter(1000000ULL + (unsigned long long)i * 1000000ULL);
        sleep_ms(40);
    }
    sleep_ms(150);
    snprintf(path, sizeof path, "%s/stop", scratch);
    write_file(path, "1");
    waitpid(second, &status, 0);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    snprintf(path, sizeof path, "%s/result-1", scratch);
    ck_assert_ptr_nonnull(f = fopen(path, "r"));
    ck_assert_int_eq(fscanf(f, "%lf", &counted), 1);
    fclose(f);
    ck_assert_double_eq_tol(counted, 5.0, 1e-9);
    unsetenv("LLMC_SYSFS_ROOT");
    remove_scratch();
}
END_TEST

START_TEST(test_tracker_two_trackers_in_one_process_both_count)
{
    llmc_tracker *a, *b;
    make_scratch();
    fake_rapl_package(scratch, rapl_counter, sizeof rapl_counter);
    manual_time();
    a = tracker_with("meters=rapl; grid=const:1; interval=100ms");
    b = tracker_with("meters=rapl; grid=const:1; interval=100ms");
    ck_assert_status(llmc_tracker_start(a), LLMC_OK);
    ck_assert_status(llmc_tracker_start(b), LLMC_OK);
    set_counter(3500000ULL);
    pass_ms(120);
    llmc_tracker_stop(a);
    llmc_tracker_stop(b);
    ck_assert_double_eq_tol(totals_of(a, NULL).energy_j, 2.5, 1e-9);
    ck_assert_double_eq_tol(totals_of(b, NULL).energy_j, 2.5, 1e-9);
    llmc_tracker_free(a);
    llmc_tracker_free(b);
    unsetenv("LLMC_SYSFS_ROOT");
    remove_scratch();
}
END_TEST

START_TEST(test_tracker_channels_say_what_was_counted)
{
    llmc_tracker *t = tracker_with("meters=const:10W+const:20W; grid=const:1;"
                                   "interval=100ms");
    llmc_channel ch;
    double sum = 0;
    manual_time();
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    pass_ms(150);
    llmc_tracker_stop(t);
    ck_assert_uint_eq(llmc_tracker_channel_count(t), 2);
    for (size_t i = 0; i < 2; i++) {
        llmc_channel_init(&ch, sizeof ch);
        ck_assert_status(llmc_tracker_channel(&ch, t, i), LLMC_OK);
        ck_assert_str_eq(ch.name, "const");
        ck_assert_int_eq(ch.method, LLMC_METHOD_CONST);
        ck_assert_str_eq(llmc_method_name(ch.method), "const");
        /* 10 W and 20 W for 150 ms */
        ck_assert_rel(ch.energy_j, (10.0 + 10.0 * (double)i) * 0.15, 1e-9);
        sum += ch.energy_j;
    }
    ck_assert_rel(sum, totals_of(t, NULL).energy_j, 1e-9);
    llmc_channel_init(&ch, sizeof ch);
    ck_assert_status(llmc_tracker_channel(&ch, t, 2), LLMC_ERANGE);
    llmc_tracker_free(t);
}
END_TEST

/* Two ranks on a node with two GPUs (the fake NVML: 300 W and 450 W):
 * each rank counts the GPU its local rank owns, and only that one. */
/* One rank of a node of local_world_size ranks that all see the fake
 * NVML's GPUs: tracks for run_ms (of its own manual time, or real time),
 * then writes "ENERGY DURATION EMBODIED"
 * and "nvml:K=J" for each channel to result. */
static void gpu_rank_main(int rank, int local_world_size, long run_ms,
                          int manual, const char *result)
{
    llmc_tracker *t;
    llmc_totals o;
    llmc_channel ch;
    FILE *f;
    char lr[16], lws[16];

    snprintf(lr, sizeof lr, "%d", rank);
    snprintf(lws, sizeof lws, "%d", local_world_size);
    setenv("LOCAL_RANK", lr, 1);
    setenv("LOCAL_WORLD_SIZE", lws, 1);
    /* each rank, a process of its own, on manual time of its own (the
     * fake NVML it loads follows it), unless the GPUs pass between the
     * ranks: then all of them live on the one real clock */
    if (manual) {
        void *fake, *sym;
        void (*use_clock)(int64_t (*)(void));
        llmc__clock_manual(0);
        fake = dlopen(getenv("LLMC_NVML_LIBRARY"), RTLD_NOW);
        if (!fake || !(sym = dlsym(fake, "fake_nvml_use_clock")))
            _exit(5);
        memcpy(&use_clock, &sym, sizeof sym);
        use_clock(llmc__now_ns);
    }
    if (llmc_tracker_new(&t) ||
        llmc_tracker_configure(t, "meters=nvml:all; grid=const:100; "
                                  "interval=100ms") ||
        llmc_tracker_start(t))
        _exit(3);
    if (manual)
        pass_ms(run_ms);
    else
        sleep_ms(run_ms);
    llmc_tracker_stop(t);
    llmc_totals_init(&o, sizeof o);
    llmc_tracker_totals(&o, t, NULL);
    if (!(f = fopen(result, "w")))
        _exit(4);
    fprintf(f, "%.17g %.17g %.17g", o.energy_j, o.duration_s,
            o.embodied_kgco2e);
    for (size_t i = 0; i < llmc_tracker_channel_count(t); i++) {
        llmc_channel_init(&ch, sizeof ch);
        llmc_tracker_channel(&ch, t, i);
        fprintf(f, " %s=%.17g", ch.name, ch.energy_j);
    }
    fclose(f);
    llmc_tracker_free(t);
    _exit(0);
}

/* Runs n ranks of one node (gpu_rank_main, in processes of their own)
 * over the fake NVML's devices at power_mw ("300000,450000"), each for
 * run_ms, and reads each rank's line of figures into lines[r]. */
static void run_gpu_ranks(int n, const char *devices, const char *power_mw,
                          long run_ms, int manual, char (*lines)[400])
{
    const char *fake = getenv("LLMC_FAKE_NVML");
    char result[400];
    pid_t pid[8];

    ck_assert_msg(fake != NULL, "LLMC_FAKE_NVML is not set");
    ck_assert_int_le(n, 8);
    setenv("LLMC_NVML_LIBRARY", fake, 1);
    setenv("LLMC_SYSFS_ROOT", scratch, 1); /* no RAPL */
    setenv("FAKE_NVML_DEVICES", devices, 1);
    setenv("FAKE_NVML_POWER_MW", power_mw, 1);
    for (int r = 0; r < n; r++) {
        snprintf(result, sizeof result, "%s/gpu-rank-%d", scratch, r);
        if ((pid[r] = fork()) == 0)
            gpu_rank_main(r, n, run_ms, manual, result);
    }
    for (int r = 0; r < n; r++) {
        int status;
        FILE *f;
        waitpid(pid[r], &status, 0);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "rank %d failed", r);
        snprintf(result, sizeof result, "%s/gpu-rank-%d", scratch, r);
        ck_assert_ptr_nonnull(f = fopen(result, "r"));
        ck_assert_ptr_nonnull(fgets(lines[r], 400, f));
        fclose(f);
    }
    unsetenv("LLMC_NVML_LIBRARY");
    unsetenv("FAKE_NVML_DEVICES");
    unsetenv("FAKE_NVML_POWER_MW");
}

START_TEST(test_tracker_each_rank_counts_the_gpu_it_owns)
{
    char lines[2][400], *line;
    double energy[2], duration[2];

    make_scratch();
    run_gpu_ranks(2, "2", "300000,450000", 400, 1, lines);
    for (int r = 0; r < 2; r++) {
        line = lines[r];
        ck_assert_int_eq(sscanf(line, "%lf %lf", &energy[r], &duration[r]), 2);
        /* rank r counted nvml:r in full and the other GPU not at all */
        {
            char *save = NULL, *tok = strtok_r(line, " \n", &save);
            int seen = 0;
            for (; tok; tok = strtok_r(NULL, " \n", &save)) {
                int gpu;
                double j;
                if (sscanf(tok, "nvml:%d=%lf", &gpu, &j) != 2)
                    continue;
                seen++;
                if (gpu == r)
                    ck_assert_rel(j, energy[r], 1e-9);
                else
                    ck_assert_double_eq(j, 0.0);
            }
            ck_assert_int_eq(seen, 2);
        }
    }
    ck_assert_double_eq_tol(duration[0], 0.4, 1e-12);
    ck_assert_double_eq_tol(duration[1], 0.4, 1e-12);
    ck_assert_rel(energy[0], 300.0 * 0.4, 1e-9);
    ck_assert_rel(energy[1], 450.0 * 0.4, 1e-9);
    unsetenv("LLMC_SYSFS_ROOT");
    remove_scratch();
}
END_TEST

/* Three ranks on a node that see one GPU: the one that counts its energy
 * charges its embodied carbon, for the time it counts it; the others
 * charge none. Summed over the ranks, as `llmcarbon report` and a job's
 * reduction do, the GPU's embodied carbon is counted once, not three
 * times. */
START_TEST(test_tracker_ranks_sharing_a_gpu_charge_its_embodied_once)
{
    char lines[3][400];
    double energy[3], embodied[3], duration[3], sum_e = 0, sum_emb = 0;
    /* the fake's "NVIDIA H100 80GB HBM3" is the H100 SXM5 profile: 164
     * kgCO2e over 5 years */
    const double kg_per_s = 164.0 / (5 * 365.25 * 86400);

    make_scratch();
    run_gpu_ranks(3, "1", "300000", 600, 0, lines);
    for (int r = 0; r < 3; r++) {
        ck_assert_int_eq(sscanf(lines[r], "%lf %lf %lf", &energy[r],
                                &duration[r], &embodied[r]), 3);
        /* each rank charges the seconds it counted the GPU's 300 W */
        ck_assert_msg(fabs(embodied[r] / kg_per_s - energy[r] / 300.0) < 0.02,
                      "rank %d: embodied for %.3f s, energy for %.3f s", r,
                      embodied[r] / kg_per_s, energy[r] / 300.0);
        sum_e += energy[r];
        sum_emb += embodied[r];
    }
    /* once: about one run's length of one GPU, not three */
    ck_assert_msg(sum_emb / kg_per_s < 1.2 * duration[0] &&
                  sum_emb / kg_per_s > 0.8 * duration[0],
                  "the GPU was charged for %.3f s in a run of %.3f s",
                  sum_emb / kg_per_s, duration[0]);
    ck_assert_double_eq_tol(sum_e, 300.0 * sum_emb / kg_per_s, 300.0 * 0.02);
    unsetenv("LLMC_SYSFS_ROOT");
    remove_scratch();
}
END_TEST

START_TEST(test_tracker_checkpoint_per_rank_from_one_setting)
{
    char config[600], ck0[400], ck1[440];
    llmc_tracker *t;

    make_scratch();
    snprintf(config, sizeof config,
             "meters=const:10W; grid=const:1; checkpoint=%s/run-{rank}.ckpt",
             scratch);
    setenv("RANK", "3", 1);
    t = tracker_with(config);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    llmc_tracker_step(t, 1);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    llmc_tracker_free(t);
    snprintf(ck0, sizeof ck0, "%s/run-3.ckpt", scratch);
    ck_assert_int_eq(access(ck0, F_OK), 0);

    /* another rank pointed at rank 3's file is refused, not double counted */
    snprintf(ck1, sizeof ck1, "checkpoint=%s", ck0);
    setenv("RANK", "4", 1);
    t = tracker_with("meters=const:10W; grid=const:1");
    ck_assert_status(llmc_tracker_configure(t, ck1), LLMC_OK);
    ck_assert_status(llmc_tracker_start(t), LLMC_EINVAL);
    ck_assert_error_mentions("rank 3");
    ck_assert_error_mentions("{rank}");
    llmc_tracker_free(t);
    unsetenv("RANK");
    remove_scratch();
}
END_TEST

START_TEST(test_tracker_local_ranks_share_out_every_gpu)
{
    /* 2 ranks on a node with 4 GPUs that both see: GPUs 0 and 2 belong to
     * local rank 0, GPUs 1 and 3 to local rank 1: none is left unread */
    const char *fake = getenv("LLMC_FAKE_NVML");
    llmc_tracker *t;
    llmc_channel ch;
    int owned = 0;

    ck_assert_ptr_nonnull(fake);
    make_scratch();
    setenv("LLMC_NVML_LIBRARY", fake, 1);
    setenv("LLMC_SYSFS_ROOT", scratch, 1);
    setenv("FAKE_NVML_DEVICES", "4", 1);
    setenv("LOCAL_RANK", "1", 1);
    setenv("LOCAL_WORLD_SIZE", "2", 1);
    manual_time();
    fake_nvml_on_manual_time(fake);
    t = tracker_with("meters=nvml:all; grid=const:1; interval=100ms");
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    pass_ms(150);
    llmc_tracker_stop(t);
    for (size_t i = 0; i < llmc_tracker_channel_count(t); i++) {
        llmc_channel_init(&ch, sizeof ch);
        ck_assert_status(llmc_tracker_channel(&ch, t, i), LLMC_OK);
        if (i % 2 == 1) {
            ck_assert_rel(ch.energy_j, 300.0 * 0.15, 1e-9);
            owned++;
        } else {
            ck_assert_double_eq(ch.energy_j, 0.0);
            ck_assert_msg(strstr(ch.detail, "belongs to local rank 0") != NULL,
                          "%s", ch.detail);
        }
    }
    ck_assert_int_eq(owned, 2);
    llmc_tracker_free(t);
    unsetenv("LOCAL_RANK");
    unsetenv("LOCAL_WORLD_SIZE");
    unsetenv("LLMC_SYSFS_ROOT");
    remove_scratch();
}
END_TEST

START_TEST(test_tracker_empty_environment_values_are_unset)
{
    llmc_tracker *t = NULL;
    setenv("LLMC_METERS", "", 1);
    setenv("LLMC_GRID", "", 1);
    ck_assert_status(llmc_tracker_new(&t), LLMC_OK);
    llmc_tracker_free(t);
    unsetenv("LLMC_METERS");
    unsetenv("LLMC_GRID");
}
END_TEST

/* ---- the grid: unknown intensity, a hung server --------------------- */

static pid_t grid_server;
static char grid_base[64];

/* The fixture of the grid tests: a scratch directory, which holds the
 * grid cache, and tests/fake_grid_server.py on 127.0.0.1 as Electricity
 * Maps. */
static void grid_server_start(void)
{
    char cache[300];

    make_scratch();
    path_in(cache, sizeof cache, "cache");
    setenv("LLMC_CACHE_DIR", cache, 1);
    snprintf(grid_base, sizeof grid_base, "http://127.0.0.1:%d",
             fake_grid_server_start(&grid_server));
    setenv("ELECTRICITYMAPS_API_TOKEN", "good-token", 1);
}

static void grid_server_stop(void)
{
    fake_grid_server_stop(&grid_server);
    unsetenv("LLMC_CACHE_DIR");
    remove_scratch();
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The tracker's grid is Electricity Maps DE at the fake server, with the
 * test modes given (a path prefix of its base URL). */
static llmc_tracker *tracker_on_grid(const char *modes, const char *more)
{
    llmc_tracker *t;
    llmc_grid *g = NULL;
    char url[200];
    snprintf(url, sizeof url, "%s/_mode/%s", grid_base, modes);
    ck_assert_status(llmc_grid_new(&g, "electricitymaps:DE"), LLMC_OK);
    ck_assert_status(llmc_grid_set(g, "base_url", url), LLMC_OK);
    t = tracker_with(more);
    ck_assert_status(llmc_tracker_set_grid(t, g), LLMC_OK);
    llmc_grid_free(g);
    return t;
}

START_TEST(test_tracker_intervals_without_intensity_are_filled_not_zero)
{
    /* the first request fails (503, then a backoff of 2-2.5 s): the
     * intervals of the first seconds have no intensity when sampled */
    char log[300], config[600], line[8192], *report = NULL;
    llmc_tracker *t;
    llmc_totals o;
    json_t *r, *g;
    json_error_t err;
    FILE *f;
    double sum_j = 0, sum_op = 0, fill_j = 0, unknown_j = 0;
    size_t fills = 0;

    path_in(log, sizeof log, "run.jsonl");
    snprintf(config, sizeof config,
             "meters=const:100W; interval=200ms; pue=1.5; log=%s", log);
    manual_time();
    t = tracker_on_grid("flaky", config);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    pass_ms(1000);
    o = totals_of(t, NULL);
    /* nothing known yet: unknown, and the energy waits */
    ck_assert(isnan(o.operational_kgco2e));
    ck_assert(isnan(o.total_kgco2e));
    ck_assert_rel(o.unpriced_energy_j, 100.0, 1e-9); /* 100 W for 1 s */
    ck_assert_status(llmc_tracker_report_json(&report, t), LLMC_OK);
    ck_assert_msg(strstr(report, "no intensity known yet") &&
                      strstr(report, "J waiting"),
                  "%s", report);
    ck_assert_ptr_null(strstr(report, "last known intensity"));
    llmc_free(report);
    for (int i = 0; i < 60 && totals_of(t, NULL).filled_energy_j <= 0; i++)
        pass_ms(100);
    pass_ms(600); /* and some intervals with a value */
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    o = totals_of(t, NULL);
    /* the first failure backs off 2 s (a quarter more at most, of whole
     * seconds: none), counted from a whole second: the sample at 2.0 s
     * brings the first value, which fills the 2 s before it at 100 W; the
     * run ends at 2.6 s */
    ck_assert_rel(o.filled_energy_j, 200.0, 1e-9);
    ck_assert_rel(o.energy_j, 260.0, 1e-9);
    ck_assert_double_eq(o.unpriced_energy_j, 0.0);
    ck_assert_double_lt(o.filled_energy_j, o.energy_j);
    /* every joule at the value the server gave for those hours, 322 */
    ck_assert_rel(o.operational_kgco2e, o.energy_j / 3.6e6 * 1.5 * 322 / 1000,
                  1e-9);
    ck_assert_rel(o.intensity_gco2e_per_kwh, 322.0, 1e-12);

    ck_assert_status(llmc_tracker_report_json(&report, t), LLMC_OK);
    ck_assert_ptr_nonnull(r = json_loads(report, 0, &err));
    g = json_object_get(r, "grid");
    ck_assert_rel(json_number_value(json_object_get(r, "filled_energy_j")),
                  o.filled_energy_j, 1e-12);
    ck_assert_double_eq(json_number_value(json_object_get(r,
                                                          "unpriced_energy_j")),
                        0.0);
    ck_assert_str_eq(json_string_value(json_object_get(g, "filled_by")),
                     "the grid's own values for their times");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(r, "problems")),
                                 "priced later"));
    ck_assert_ptr_null(strstr(report, "last known intensity"));
    json_decref(r);
    llmc_free(report);

    /* the log: sample lines with null for what was unknown, and fill
     * lines that add up with them to the totals */
    ck_assert_ptr_nonnull(f = fopen(log, "r"));
    while (fgets(line, sizeof line, f)) {
        json_t *j = json_loads(line, 0, &err), *op;
        ck_assert_msg(j != NULL, "%s: %s", err.text, line);
        op = json_object_get(j, "operational_kgco2e");
        if (json_object_get(j, "type")) {
            static const char *const keys[] = {
                "type", "time", "time_unix_s", "from_unix_s", "to_unix_s",
                "energy_j", "intensity_gco2e_per_kwh", "operational_kgco2e",
                "filled_by", "host", "job", "rank", "local_rank",
                "world_size", "pid"};
            ck_assert_str_eq(json_string_value(json_object_get(j, "type")),
                             "fill");
            ck_assert_uint_eq(json_object_size(j), 15);
            for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
                ck_assert_msg(json_object_get(j, keys[k]), "no %s: %s",
                              keys[k], line);
            ck_assert_double_eq(json_number_value(json_object_get(
                                    j, "intensity_gco2e_per_kwh")),
                                322.0);
            ck_assert_double_lt(
                json_number_value(json_object_get(j, "from_unix_s")),
                json_number_value(json_object_get(j, "to_unix_s")));
            ck_assert_ptr_nonnull(strstr(
                json_string_value(json_object_get(j, "filled_by")),
                "the grid's value for the span's time"));
            fill_j += json_number_value(json_object_get(j, "energy_j"));
            sum_op += json_number_value(op);
            fills++;
        } else {
            sum_j += json_number_value(json_object_get(j, "energy_j"));
            if (json_is_null(op)) {
                unknown_j += json_number_value(json_object_get(j, "energy_j"));
                ck_assert(json_is_null(json_object_get(
                    j, "intensity_gco2e_per_kwh")));
            } else {
                sum_op += json_number_value(op);
            }
        }
        json_decref(j);
    }
    fclose(f);
    /* the adjacent intervals of the outage wait, and are priced, as one */
    ck_assert_uint_eq(fills, 1);
    ck_assert_rel(sum_j, o.energy_j, 1e-9);
    ck_assert_rel(fill_j, unknown_j, 1e-9);
    ck_assert_rel(fill_j, o.filled_energy_j, 1e-9);
    ck_assert_rel(sum_op, o.operational_kgco2e, 1e-9);
    llmc_tracker_free(t);
}
END_TEST

/* The requests the fake grid server has counted since it started, over
 * every path. */
static long grid_requests(void)
{
    char cmd[400], buf[65536];
    FILE *p;
    size_t n;
    json_error_t err;
    json_t *j, *v;
    const char *k;
    long total = 0;
    snprintf(cmd, sizeof cmd,
             "python3 -c \"import urllib.request,sys;"
             "sys.stdout.write(urllib.request.urlopen('%s/_stats').read()"
             ".decode())\"",
             grid_base);
    ck_assert_ptr_nonnull(p = popen(cmd, "r"));
    n = fread(buf, 1, sizeof buf - 1, p);
    pclose(p);
    buf[n] = '\0';
    ck_assert_msg((j = json_loads(buf, 0, &err)) != NULL, "%s: %s", err.text,
                  buf);
    json_object_foreach(json_object_get(j, "requests"), k, v)
        total += (long)json_integer_value(v);
    json_decref(j);
    return total;
}

START_TEST(test_tracker_asks_a_live_source_once_per_data_interval)
{
    /* Electricity Maps publishes hourly, and its newest hour lags the
     * clock (lag): sampling every 100 ms for 2 s is one request, not one a
     * sample; every joule is priced with the hour's value */
    llmc_tracker *t = tracker_on_grid("lag", "meters=const:100W; interval=100ms");
    llmc_totals o;
    int64_t left = 3600 - (int64_t)time(NULL) % 3600;
    if (left <= 15) /* a run over the turn of the hour rightly asks twice */
        sleep_ms((long)(left + 1) * 1000);
    o = run_for(t, 2000);
    ck_assert_int_eq(o.samples, 20);
    ck_assert_int_eq(grid_requests(), 1);
    ck_assert_rel(o.intensity_gco2e_per_kwh, 322.0, 1e-12);
    ck_assert_double_eq(o.unpriced_energy_j, 0.0);
    ck_assert_rel(o.operational_kgco2e, o.energy_j / 3.6e6 * 322 / 1000, 1e-9);
    llmc_tracker_free(t);
}
END_TEST

START_TEST(test_tracker_intensity_never_known_makes_operational_null)
{
    char *report = NULL;
    llmc_tracker *t;
    llmc_totals o;
    json_t *r, *g;
    json_error_t err;

    t = tracker_on_grid("html500", "meters=const:100W; interval=100ms");
    o = run_for(t, 500);
    ck_assert(o.measured);
    ck_assert_rel(o.energy_j, 100.0 * 0.5, 1e-9);
    ck_assert(isnan(o.operational_kgco2e));
    ck_assert(isnan(o.total_kgco2e));
    ck_assert(isnan(o.intensity_gco2e_per_kwh));
    ck_assert_rel(o.unpriced_energy_j, o.energy_j, 1e-12);
    ck_assert_double_eq(o.filled_energy_j, 0.0);

    ck_assert_status(llmc_tracker_report_json(&report, t), LLMC_OK);
    ck_assert_ptr_nonnull(r = json_loads(report, 0, &err));
    ck_assert(json_is_null(json_object_get(r, "operational_kgco2e")));
    ck_assert(json_is_null(json_object_get(r, "total_kgco2e")));
    g = json_object_get(r, "grid");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(
                                     g, "operational_note")),
                                 "electricitymaps:DE"));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(r, "problems")),
                                 "no intensity was known during the run"));
    ck_assert_ptr_null(strstr(report, "last known intensity"));
    json_decref(r);
    llmc_free(report);
    llmc_tracker_free(t);
}
END_TEST

START_TEST(test_tracker_hung_grid_delays_neither_start_nor_stop)
{
    llmc_tracker *t;
    llmc_totals o;
    double t0, start_s, stop_s, free_s;

    t = tracker_on_grid("hang", "meters=const:100W; interval=1s");
    t0 = mono_s();
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    start_s = mono_s() - t0;
    sleep_ms(2000);
    t0 = mono_s();
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    stop_s = mono_s() - t0;
    o = totals_of(t, NULL);
    /* the request in flight is cancelled, not waited for */
    t0 = mono_s();
    llmc_tracker_free(t);
    free_s = mono_s() - t0;
    ck_assert_msg(start_s < 0.5, "start took %.3f s", start_s);
    ck_assert_msg(stop_s < 1.0 + 0.5, "stop took %.3f s", stop_s);
    ck_assert_msg(free_s < 2.5, "free took %.3f s", free_s);
    ck_assert_double_ge(o.duration_s, 1.8);
    ck_assert_double_le(o.duration_s, 2.6);
    ck_assert_double_eq_tol(o.energy_j, 200.0, 20.0);
    ck_assert(isnan(o.operational_kgco2e)); /* the grid never answered */
}
END_TEST

START_TEST(test_tracker_resumed_energy_without_intensity_is_priced_not_dropped)
{
    char ck[300], config[600], *report = NULL;
    llmc_tracker *a, *b;
    llmc_totals ta, tb;

    path_in(ck, sizeof ck, "totals.json");
    snprintf(config, sizeof config,
             "meters=const:100W; interval=100ms; checkpoint=%s", ck);
    /* a run whose grid never answers: its energy has no intensity */
    a = tracker_on_grid("html500", config);
    ta = run_for(a, 300);
    ck_assert_rel(ta.energy_j, 100.0 * 0.3, 1e-9);
    ck_assert(isnan(ta.operational_kgco2e));
    ck_assert_rel(ta.unpriced_energy_j, ta.energy_j, 1e-12);
    llmc_tracker_free(a);
    fake_grid_server_stop(&grid_server);

    /* resumed with a grid that answers: that energy is priced with the
     * value known nearest in time, not counted as 0 */
    snprintf(config, sizeof config,
             "meters=const:100W; interval=100ms; grid=const:300; "
             "checkpoint=%s", ck);
    b = tracker_with(config);
    tb = run_for(b, 300);
    ck_assert_double_eq(tb.unpriced_energy_j, 0.0);
    ck_assert_rel(tb.filled_energy_j, ta.energy_j, 1e-9);
    ck_assert_rel(tb.operational_kgco2e, tb.energy_j / 3.6e6 * 300 / 1000,
                  1e-9);
    ck_assert_status(llmc_tracker_report_json(&report, b), LLMC_OK);
    ck_assert_msg(strstr(report, "the value known nearest in time"), "%s",
                  report);
    llmc_free(report);
    llmc_tracker_free(b);
}
END_TEST

/* ---- starts ------------------------------------------------------------ */

#define STARTERS 8
static pthread_barrier_t start_line;
static atomic_int start_ok, start_estate;

static void *racing_start(void *arg)
{
    int rc;
    pthread_barrier_wait(&start_line);
    rc = llmc_tracker_start(arg);
    if (rc == LLMC_OK)
        atomic_fetch_add(&start_ok, 1);
    else if (rc == LLMC_ESTATE)
        atomic_fetch_add(&start_estate, 1);
    return NULL;
}

START_TEST(test_tracker_racing_starts_have_one_winner)
{
    /* under AddressSanitizer a loser's meter or channels would leak */
    for (int round = 0; round < 20; round++) {
        llmc_tracker *t = tracker_with("meters=const:10W+const:20W; "
                                       "grid=const:100; interval=100ms");
        pthread_t th[STARTERS];
        atomic_store(&start_ok, 0);
        atomic_store(&start_estate, 0);
        pthread_barrier_init(&start_line, NULL, STARTERS);
        for (int i = 0; i < STARTERS; i++)
            ck_assert_int_eq(pthread_create(&th[i], NULL, racing_start, t), 0);
        for (int i = 0; i < STARTERS; i++)
            pthread_join(th[i], NULL);
        pthread_barrier_destroy(&start_line);
        ck_assert_int_eq(atomic_load(&start_ok), 1);
        ck_assert_int_eq(atomic_load(&start_estate), STARTERS - 1);
        ck_assert_uint_eq(llmc_tracker_channel_count(t), 2);
        ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
        llmc_tracker_free(t);
    }
}
END_TEST

/* ---- writable paths, checked at start ---------------------------------- */

/* Runs the rest of the test as an ordinary user when it runs as root,
 * for whom no permission bit denies anything; the scratch directory
 * becomes that user's, who removes it at the end. */
static void as_ordinary_user(void)
{
    if (geteuid() != 0)
        return;
    ck_assert_int_eq(chown(scratch, 65534, 65534), 0);
    ck_assert_int_eq(setgid(65534), 0);
    ck_assert_int_eq(setuid(65534), 0);
}

/* A tracker of 50 W on the grid of France that keeps its checkpoint in
 * ck. */
static llmc_tracker *tracker_checkpointing_to(const char *ck)
{
    char config[700];
    snprintf(config, sizeof config,
             "meters=const:50W; grid=FR; checkpoint=%s", ck);
    return tracker_with(config);
}

START_TEST(test_tracker_checkpoint_in_a_missing_directory_fails_start)
{
    char ck[300];
    llmc_tracker *t;

    make_scratch();
    path_in(ck, sizeof ck, "no-such-dir/run.ckpt");
    t = tracker_checkpointing_to(ck);
    ck_assert_status(llmc_tracker_start(t), LLMC_EIO);
    ck_assert_error_mentions(ck);
    ck_assert_error_mentions("does not exist; create it (mkdir -p");
    ck_assert_uint_eq(llmc_tracker_channel_count(t), 0); /* left as it was */
    llmc_tracker_free(t);
    remove_scratch();
}
END_TEST

START_TEST(test_tracker_checkpoint_in_a_read_only_directory_fails_start)
{
    char dir[300], ck[320];
    llmc_tracker *t;

    make_scratch();
    path_in(dir, sizeof dir, "ro");
    ck_assert_int_eq(mkdir(dir, 0555), 0);
    snprintf(ck, sizeof ck, "%s/run.ckpt", dir);
    as_ordinary_user();
    t = tracker_checkpointing_to(ck);
    ck_assert_status(llmc_tracker_start(t), LLMC_EPERM);
    ck_assert_error_mentions(ck);
    ck_assert_error_mentions("make the directory writable");
    llmc_tracker_free(t);
    remove_scratch();
}
END_TEST

/* With the grid cache at cache, a tracker on Electricity Maps starts, and
 * its report names cache with the problem. */
static void expect_cache_problem_at_start(const char *cache,
                                          const char *problem)
{
    llmc_tracker *t;
    char *report = NULL;
    setenv("LLMC_CACHE_DIR", cache, 1);
    /* a port nothing listens on: the grid is never answered here */
    t = tracker_with("meters=const:50W; grid=electricitymaps:DE?base_url="
                     "http://127.0.0.1:1");
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    ck_assert_status(llmc_tracker_report_json(&report, t), LLMC_OK);
    ck_assert_msg(strstr(report, cache) && strstr(report, problem), "%s",
                  report);
    llmc_free(report);
    llmc_tracker_free(t);
    unsetenv("LLMC_CACHE_DIR");
}

START_TEST(test_tracker_unusable_grid_cache_is_a_problem_at_start)
{
    char file[300], ro[300];
    FILE *f;

    make_scratch();
    setenv("ELECTRICITYMAPS_API_TOKEN", "good-token", 1);
    path_in(file, sizeof file, "cache-is-a-file");
    ck_assert_ptr_nonnull(f = fopen(file, "w"));
    fclose(f);
    expect_cache_problem_at_start(file, "is not a directory");

    path_in(ro, sizeof ro, "ro-cache");
    ck_assert_int_eq(mkdir(ro, 0555), 0);
    as_ordinary_user();
    expect_cache_problem_at_start(ro, "is not writable");
    remove_scratch();
}
END_TEST

/* ---- windows ---------------------------------------------------------- */

/* With a constant meter every interval's mean power is the meter's, so a
 * window's energy is that power times its duration, whichever way its
 * ends fall between samples; on manual time both are exact. */
#define WINDOW_W 100.0

static void assert_window(const llmc_totals *o, double duration_s,
                          uint64_t steps, uint64_t tokens)
{
    ck_assert_msg(fabs(o->duration_s - duration_s) < 1e-12,
                  "window of %.12f s, want %.3f s", o->duration_s,
                  duration_s);
    ck_assert(o->measured);
    ck_assert_rel(o->energy_j, WINDOW_W * duration_s, 1e-9);
    ck_assert_rel(o->energy_kwh, o->energy_j / 3.6e6, 1e-12);
    ck_assert_double_eq_tol(o->operational_kgco2e,
                            o->energy_j / 3.6e6 * 400.0 / 1000.0, 1e-12);
    ck_assert_rel(o->intensity_gco2e_per_kwh, 400.0, 1e-9);
    ck_assert_double_eq(o->embodied_kgco2e, 0.0);
    ck_assert_rel(o->total_kgco2e, o->operational_kgco2e, 1e-12);
    ck_assert_uint_eq(o->steps, steps);
    ck_assert_uint_eq(o->tokens, tokens);
    if (tokens)
        ck_assert_rel(o->j_per_token, o->energy_j / (double)tokens, 1e-12);
    ck_assert(isnan(o->projected_total_kgco2e));
    ck_assert_double_eq(o->unpriced_energy_j, 0.0);
}

static void step_n(llmc_tracker *t, int n, uint64_t tokens)
{
    for (int i = 0; i < n; i++)
        ck_assert_status(llmc_tracker_step(t, tokens), LLMC_OK);
}

/* outer holds inner, and overlap begins inside inner and ends after
 * outer: each gets the energy of its own time and exactly its steps. */
START_TEST(test_tracker_windows_nest_and_overlap_with_their_own_totals)
{
    llmc_tracker *t = tracker_with("meters=const:100W; grid=const:400; "
                                   "interval=100ms");
    llmc_totals inner, outer, overlap, all;

    manual_time();
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    step_n(t, 4, 1000); /* before any window: in none */
    ck_assert_status(llmc_tracker_window_begin(t, "outer"), LLMC_OK);
    step_n(t, 5, 10);
    pass_ms(250);
    ck_assert_status(llmc_tracker_window_begin(t, "inner"), LLMC_OK);
    step_n(t, 3, 7);
    pass_ms(150);
    ck_assert_status(llmc_tracker_window_begin(t, "overlap"), LLMC_OK);
    pass_ms(120);
    llmc_totals_init(&inner, sizeof inner);
    ck_assert_status(llmc_tracker_window_end(&inner, t, "inner"), LLMC_OK);
    /* from 250 to 520 ms */
    assert_window(&inner, 0.270, 3, 21);
    ck_assert_uint_ge(inner.samples, 1); /* 270 ms of 100 ms intervals */
    step_n(t, 2, 1);
    pass_ms(200);
    llmc_totals_init(&outer, sizeof outer);
    ck_assert_status(llmc_tracker_window_end(&outer, t, "outer"), LLMC_OK);
    /* from the start to 720 ms */
    assert_window(&outer, 0.720, 10, 73);
    pass_ms(60);
    llmc_totals_init(&overlap, sizeof overlap);
    ck_assert_status(llmc_tracker_window_end(&overlap, t, "overlap"),
                     LLMC_OK);
    /* from 400 to 780 ms */
    assert_window(&overlap, 0.380, 2, 2);
    /* nested: the inner is part of the outer */
    ck_assert_double_lt(inner.energy_j, outer.energy_j);
    ck_assert_uint_le(inner.samples, outer.samples);
    /* a window shorter than an interval, ended at once, and one without
     * totals wanted */
    ck_assert_status(llmc_tracker_window_begin(t, "short"), LLMC_OK);
    ck_assert_status(llmc_tracker_window_end(NULL, t, "short"), LLMC_OK);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    all = totals_of(t, NULL);
    ck_assert_uint_eq(all.steps, 14);
    ck_assert_double_lt(outer.energy_j, all.energy_j);
    ck_assert_double_lt(overlap.energy_j, all.energy_j);
    llmc_tracker_free(t);
}
END_TEST

/* A window begun between samples and ended before the next one: the last
 * interval's power for its whole length. */
START_TEST(test_tracker_window_within_one_interval_takes_the_last_power)
{
    llmc_tracker *t = tracker_with("meters=const:100W; grid=const:400; "
                                   "interval=200ms");
    llmc_totals o;
    manual_time();
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    pass_ms(250); /* one interval done, 50 ms into the next */
    ck_assert_status(llmc_tracker_window_begin(t, "w"), LLMC_OK);
    pass_ms(40);
    llmc_totals_init(&o, sizeof o);
    ck_assert_status(llmc_tracker_window_end(&o, t, "w"), LLMC_OK);
    ck_assert_uint_eq(o.samples, 0);
    assert_window(&o, 0.040, 0, 0);
    llmc_tracker_free(t);
}
END_TEST

START_TEST(test_tracker_window_errors_say_what_is_wrong)
{
    llmc_tracker *t = tracker_with("meters=const:100W; grid=const:400; "
                                   "interval=100ms");
    llmc_totals o;
    ck_assert_status(llmc_tracker_window_begin(t, "w"), LLMC_ESTATE);
    ck_assert_error_mentions("has not started");
    ck_assert_status(llmc_tracker_window_end(NULL, t, "w"), LLMC_ESTATE);
    ck_assert_error_mentions("has not started");
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    ck_assert_status(llmc_tracker_window_begin(t, ""), LLMC_EINVAL);
    ck_assert_status(llmc_tracker_window_begin(t, NULL), LLMC_EINVAL);
    ck_assert_status(llmc_tracker_window_begin(NULL, "w"), LLMC_EINVAL);
    ck_assert_status(llmc_tracker_window_begin(
                         t, "a-window-name-that-is-far-too-long-to-keep"),
                     LLMC_EINVAL);
    ck_assert_error_mentions("1 to 31 characters");
    ck_assert_status(llmc_tracker_window_end(NULL, t, "w"), LLMC_ESTATE);
    ck_assert_error_mentions("window 'w' is not open");
    ck_assert_status(llmc_tracker_window_begin(t, "w"), LLMC_OK);
    ck_assert_status(llmc_tracker_window_begin(t, "w"), LLMC_ESTATE);
    ck_assert_error_mentions("window 'w' is already open; end it first");
    /* an uninitialised totals is refused, and the window stays open */
    memset(&o, 0, sizeof o);
    ck_assert_status(llmc_tracker_window_end(&o, t, "w"), LLMC_EINVAL);
    ck_assert_error_mentions("llmc_totals_init");
    ck_assert_status(llmc_tracker_window_end(NULL, t, "w"), LLMC_OK);
    ck_assert_status(llmc_tracker_window_end(NULL, t, "w"), LLMC_ESTATE);
    ck_assert_error_mentions("is not open");
    ck_assert_status(llmc_tracker_window_begin(t, "left-open"), LLMC_OK);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    ck_assert_status(llmc_tracker_window_end(NULL, t, "left-open"),
                     LLMC_ESTATE);
    ck_assert_error_mentions("has stopped");
    ck_assert_status(llmc_tracker_window_begin(t, "w"), LLMC_ESTATE);
    ck_assert_error_mentions("has stopped");
    llmc_tracker_free(t);
}
END_TEST

/* A thousand names open at once, then a hundred rounds of them all:
 * memory grows with the first use of a name, never with calls. */
START_TEST(test_tracker_a_thousand_windows_cycle_in_flat_memory)
{
    llmc_tracker *t = tracker_with("meters=const:100W; grid=const:400; "
                                   "sampler=inline; interval=1h");
    char name[16], *report;
    size_t before, after;
    json_t *r, *w;
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    for (int round = 0; round < 100; round++) {
        if (round == 1)
            before = mallinfo2().uordblks;
        for (int i = 0; i < 1000; i++) {
            snprintf(name, sizeof name, "w-%d", i);
            ck_assert_status(llmc_tracker_window_begin(t, name), LLMC_OK);
        }
        llmc_tracker_step(t, 2);
        for (int i = 999; i >= 0; i--) {
            snprintf(name, sizeof name, "w-%d", (i * 7) % 1000);
            ck_assert_status(llmc_tracker_window_end(NULL, t, name), LLMC_OK);
        }
    }
    after = mallinfo2().uordblks;
    ck_assert_uint_eq(after, before);
    ck_assert_status(llmc_tracker_report_json(&report, t), LLMC_OK);
    ck_assert_ptr_nonnull(r = json_loads(report, 0, NULL));
    llmc_free(report);
    ck_assert_uint_eq(json_object_size(json_object_get(r, "windows")), 1000);
    w = json_object_get(json_object_get(r, "windows"), "w-517");
    ck_assert_int_eq(json_integer_value(json_object_get(w, "count")), 100);
    ck_assert_int_eq(json_integer_value(json_object_get(w, "open")), 0);
    /* each round's one step of 2 tokens fell inside every window */
    ck_assert_int_eq(json_integer_value(json_object_get(w, "steps")), 100);
    ck_assert_int_eq(json_integer_value(json_object_get(w, "tokens")), 200);
    json_decref(r);
    llmc_tracker_free(t);
}
END_TEST

#define WINDOW_THREADS 4
#define WINDOW_ROUNDS 300
static atomic_int windows_done, window_threads_named;

static void *window_thread(void *arg)
{
    llmc_tracker *t = arg;
    char name[16];
    uintptr_t bad = 0;
    /* a name of its own (bits of pthread_self() may be another's too) */
    snprintf(name, sizeof name, "thread-%d",
             atomic_fetch_add(&window_threads_named, 1));
    for (int i = 0; i < WINDOW_ROUNDS; i++) {
        llmc_totals o;
        llmc_totals_init(&o, sizeof o);
        bad |= llmc_tracker_window_begin(t, name) != LLMC_OK;
        for (int k = 0; k < 5; k++)
            bad |= llmc_tracker_step(t, 4) != LLMC_OK;
        bad |= llmc_tracker_window_end(&o, t, name) != LLMC_OK;
        /* its own steps fell inside, the others' may have too */
        bad |= o.steps < 5 || o.tokens < 20 || !(o.energy_j >= 0.0);
    }
    return (void *)bad;
}

static void *plain_stepper(void *arg)
{
    llmc_tracker *t = arg;
    uintptr_t n = 0;
    while (!atomic_load(&windows_done)) {
        llmc_tracker_step(t, 1);
        n++;
    }
    return (void *)n;
}

/* Threads begin and end their own windows while others step: every step
 * is counted, each window holds its own thread's, and the report counts
 * every window. */
START_TEST(test_tracker_windows_from_threads_beside_steps)
{
    llmc_tracker *t = tracker_with("meters=const:100W; grid=const:400; "
                                   "interval=100ms");
    pthread_t wt[WINDOW_THREADS], st[2];
    uint64_t plain = 0;
    char *report;
    json_t *r, *w;
    const char *key;
    size_t n = 0;
    atomic_store(&windows_done, 0);
    manual_time();
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    pass_ms(150); /* an interval's power is known */
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&st[i], NULL, plain_stepper, t), 0);
    for (int i = 0; i < WINDOW_THREADS; i++)
        ck_assert_int_eq(pthread_create(&wt[i], NULL, window_thread, t), 0);
    for (int i = 0; i < WINDOW_THREADS; i++) {
        void *bad;
        pthread_join(wt[i], &bad);
        ck_assert_ptr_null(bad);
    }
    atomic_store(&windows_done, 1);
    for (int i = 0; i < 2; i++) {
        void *made;
        pthread_join(st[i], &made);
        plain += (uintptr_t)made;
    }
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    ck_assert_uint_eq(totals_of(t, NULL).steps,
                      plain + WINDOW_THREADS * WINDOW_ROUNDS * 5);
    ck_assert_status(llmc_tracker_report_json(&report, t), LLMC_OK);
    ck_assert_ptr_nonnull(r = json_loads(report, 0, NULL));
    llmc_free(report);
    json_object_foreach(json_object_get(r, "windows"), key, w) {
        ck_assert_int_eq(json_integer_value(json_object_get(w, "count")),
                         WINDOW_ROUNDS);
        ck_assert_int_ge(json_integer_value(json_object_get(w, "steps")),
                         WINDOW_ROUNDS * 5);
        n++;
    }
    ck_assert_uint_eq(n, WINDOW_THREADS);
    json_decref(r);
    llmc_tracker_free(t);
}
END_TEST

/* Each ended window is one log line, written by the sampler, with the
 * totals its end returned; the report sums them per name and counts the
 * one left open. */
START_TEST(test_tracker_windows_in_the_log_and_the_report)
{
    char log[300], config[400], line[4096], *report;
    llmc_tracker *t;
    llmc_totals got[4];
    const char *names[4] = {"eval", "eval", "save", "eval"};
    double eval_j = 0.0;
    int lines = 0;
    json_t *r, *w;
    FILE *f;

    make_scratch();
    path_in(log, sizeof log, "run.jsonl");
    snprintf(config, sizeof config,
             "meters=const:100W; grid=const:400; interval=100ms; log=%s", log);
    manual_time();
    t = tracker_with(config);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    pass_ms(150); /* an interval's power is known */
    ck_assert_status(llmc_tracker_window_begin(t, "epoch"), LLMC_OK);
    for (int i = 0; i < 4; i++) {
        ck_assert_status(llmc_tracker_window_begin(t, names[i]), LLMC_OK);
        step_n(t, i + 1, 10);
        pass_ms(30);
        llmc_totals_init(&got[i], sizeof got[i]);
        ck_assert_status(llmc_tracker_window_end(&got[i], t, names[i]),
                         LLMC_OK);
        assert_window(&got[i], 0.030, (uint64_t)i + 1, 10 * ((uint64_t)i + 1));
        if (names[i][0] == 'e')
            eval_j += got[i].energy_j;
    }
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);

    ck_assert_ptr_nonnull(f = fopen(log, "r"));
    while (fgets(line, sizeof line, f)) {
        json_t *j = json_loads(line, 0, NULL);
        ck_assert_ptr_nonnull(j);
        if (json_object_get(j, "type") &&
            strcmp(json_string_value(json_object_get(j, "type")), "window") ==
                0) {
            ck_assert_int_lt(lines, 4);
            ck_assert_str_eq(json_string_value(json_object_get(j, "window")),
                             names[lines]);
            ck_assert_double_eq_tol(
                json_number_value(json_object_get(j, "energy_j")),
                got[lines].energy_j, 1e-9);
            ck_assert_double_eq_tol(
                json_number_value(json_object_get(j, "duration_s")),
                got[lines].duration_s, 1e-9);
            ck_assert_int_eq(json_integer_value(json_object_get(j, "steps")),
                             lines + 1);
            ck_assert_int_eq(json_integer_value(json_object_get(j, "tokens")),
                             10 * (lines + 1));
            ck_assert(json_is_null(json_object_get(j, "embodied_kgco2e")));
            ck_assert_ptr_nonnull(json_object_get(j, "host"));
            lines++;
        }
        json_decref(j);
    }
    fclose(f);
    ck_assert_int_eq(lines, 4);

    ck_assert_status(llmc_tracker_report_json(&report, t), LLMC_OK);
    ck_assert_ptr_nonnull(r = json_loads(report, 0, NULL));
    llmc_free(report);
    w = json_object_get(json_object_get(r, "windows"), "eval");
    ck_assert_int_eq(json_integer_value(json_object_get(w, "count")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(w, "open")), 0);
    ck_assert_double_eq_tol(json_number_value(json_object_get(w, "energy_j")),
                            eval_j, 1e-9);
    ck_assert_int_eq(json_integer_value(json_object_get(w, "steps")),
                     1 + 2 + 4);
    ck_assert_int_eq(json_integer_value(json_object_get(w, "tokens")), 70);
    ck_assert(json_is_null(json_object_get(w, "embodied_kgco2e")));
    w = json_object_get(json_object_get(r, "windows"), "epoch");
    ck_assert_int_eq(json_integer_value(json_object_get(w, "count")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(w, "open")), 1);
    ck_assert_ptr_null(json_object_get(r, "window_log_lines_lost"));
    json_decref(r);
    llmc_tracker_free(t);
    remove_scratch();
}
END_TEST

/* More windows end between two samples than the queue holds: the log
 * gets the first ones, and the loss is counted and said. */
START_TEST(test_tracker_window_lines_beyond_the_queue_are_counted_lost)
{
    char log[300], config[400], line[4096], *report;
    llmc_tracker *t;
    int lines = 0;
    json_t *r;
    FILE *f;

    make_scratch();
    path_in(log, sizeof log, "run.jsonl");
    snprintf(config, sizeof config,
             "meters=const:100W; grid=const:400; interval=1h; log=%s", log);
    t = tracker_with(config);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    for (int i = 0; i < 300; i++) {
        ck_assert_status(llmc_tracker_window_begin(t, "tiny"), LLMC_OK);
        ck_assert_status(llmc_tracker_window_end(NULL, t, "tiny"), LLMC_OK);
    }
    /* nothing is written before the next sample */
    ck_assert_ptr_nonnull(f = fopen(log, "r"));
    ck_assert_ptr_null(fgets(line, sizeof line, f));
    fclose(f);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    ck_assert_ptr_nonnull(f = fopen(log, "r"));
    while (fgets(line, sizeof line, f))
        lines += strstr(line, "\"type\":\"window\"") != NULL;
    fclose(f);
    ck_assert_int_eq(lines, 256);
    ck_assert_status(llmc_tracker_report_json(&report, t), LLMC_OK);
    ck_assert_ptr_nonnull(r = json_loads(report, 0, NULL));
    ck_assert_int_eq(
        json_integer_value(json_object_get(r, "window_log_lines_lost")), 44);
    ck_assert_ptr_nonnull(strstr(
        json_string_value(json_object_get(r, "problems")),
        "misses ended windows"));
    ck_assert_int_eq(json_integer_value(json_object_get(
                         json_object_get(json_object_get(r, "windows"),
                                         "tiny"),
                         "count")),
                     300);
    llmc_free(report);
    json_decref(r);
    llmc_tracker_free(t);
    remove_scratch();
}
END_TEST

static Suite *tracker_suite(void)
{
    Suite *s = suite_create("tracker");
    TCase *tc = tcase_create("energy");
    tcase_add_checked_fixture(tc, NULL, real_time);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_tracker_const_meter_energy_is_power_times_duration);
    tcase_add_test(tc, test_tracker_embodied_share_of_devices);
    tcase_add_test(tc, test_tracker_embodied_scope_server_and_log_lines);
    tcase_add_test(tc,
                   test_tracker_embodied_scope_unknown_and_from_the_environment);
    tcase_add_test(tc, test_tracker_channels_say_what_was_counted);
    suite_add_tcase(s, tc);

    tc = tcase_create("steps");
    tcase_add_checked_fixture(tc, NULL, real_time);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_tracker_step_counts_exactly_from_many_threads);
    tcase_add_test(tc, test_tracker_step_a_hundred_threads_beyond_the_slots_count_exactly);
    tcase_add_test(tc, test_tracker_step_thread_generations_reuse_slots_and_count_exactly);
    tcase_add_test(tc, test_tracker_step_one_thread_many_trackers_one_freed);
    tcase_add_test(tc, test_tracker_step_thread_without_its_hint_keeps_its_slot);
    tcase_add_test(tc, test_tracker_step_shared_thread_takes_a_slot_given_back);
    tcase_add_test(tc, test_tracker_step_null_is_einval_and_before_start_counts);
    tcase_add_test(tc, test_tracker_phases_split_steps_time_and_energy);
    tcase_add_test(tc, test_tracker_phase_errors);
    tcase_add_test(tc, test_tracker_a_thousand_phases_keep_their_own_totals);
    tcase_add_test(tc, test_tracker_steps_during_many_phase_switches_all_count);
    suite_add_tcase(s, tc);

    tc = tcase_create("windows");
    tcase_add_checked_fixture(tc, NULL, real_time);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_tracker_windows_nest_and_overlap_with_their_own_totals);
    tcase_add_test(tc, test_tracker_window_within_one_interval_takes_the_last_power);
    tcase_add_test(tc, test_tracker_window_errors_say_what_is_wrong);
    tcase_add_test(tc, test_tracker_a_thousand_windows_cycle_in_flat_memory);
    tcase_add_test(tc, test_tracker_windows_from_threads_beside_steps);
    tcase_add_test(tc, test_tracker_windows_in_the_log_and_the_report);
    tcase_add_test(tc, test_tracker_window_lines_beyond_the_queue_are_counted_lost);
    suite_add_tcase(s, tc);

    tc = tcase_create("sinks");
    tcase_add_checked_fixture(tc, NULL, real_time);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_tracker_log_has_one_json_line_per_sample);
    tcase_add_test(tc, test_tracker_unopenable_log_fails_start_naming_it);
    tcase_add_test(tc, test_tracker_json_text_survives_host_jansson_allocators);
    tcase_add_test(tc, test_tracker_checkpoint_continues_totals);
    tcase_add_test(tc, test_tracker_killed_job_loses_at_most_one_interval);
    tcase_add_test(tc, test_tracker_exit_stops_a_forgotten_tracker_while_it_is_freed);
    tcase_add_test(tc, test_tracker_exit_stops_every_running_tracker);
    tcase_add_test(tc, test_tracker_corrupt_checkpoint_fails_start_with_its_path);
    tcase_add_test(tc, test_tracker_checkpoint_per_rank_from_one_setting);
    tcase_add_test(tc, test_tracker_checkpoint_resumes_a_hundred_phases);
    suite_add_tcase(s, tc);

    tc = tcase_create("config");
    tcase_add_checked_fixture(tc, NULL, real_time);
    tcase_add_test(tc, test_tracker_config_errors_name_the_key);
    tcase_add_test(tc, test_tracker_configure_is_all_or_nothing);
    tcase_add_test(tc, test_tracker_setters_refuse_after_start);
    tcase_add_test(tc, test_tracker_environment_configures_and_bad_values_are_named);
    tcase_add_test(tc, test_tracker_empty_environment_values_are_unset);
    tcase_add_test(tc, test_tracker_keys_come_from_one_table);
    tcase_add_test(tc, test_tracker_without_meters_reports_unmeasured_not_zero);
    tcase_add_test(tc, test_tracker_without_a_readable_meter_says_so_and_estimates);
    tcase_add_test(tc, test_tracker_gpu_that_cannot_read_is_not_a_measurement);
    tcase_add_test(tc, test_tracker_takes_the_gpus_profile_from_the_meter);
    tcase_add_test(tc, test_tracker_require_measured_fails_start_with_reasons);
    suite_add_tcase(s, tc);

    tc = tcase_create("sampling");
    tcase_add_checked_fixture(tc, NULL, real_time);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_tracker_inline_sampler_samples_from_step);
    tcase_add_test(tc, test_tracker_add_steps_counts_as_many_single_steps);
    tcase_add_test(tc, test_tracker_sync_runs_before_each_sample);
    tcase_add_test(tc, test_tracker_concurrent_stop_waits_for_the_final_sample);
    tcase_add_test(tc, test_tracker_projects_the_final_footprint);
    tcase_add_test(tc,
                   test_tracker_log_records_the_plan_and_projects_as_the_tracker);
    suite_add_tcase(s, tc);

    tc = tcase_create("grid");
    tcase_add_checked_fixture(tc, NULL, real_time);
    tcase_add_checked_fixture(tc, grid_server_start, grid_server_stop);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_tracker_intervals_without_intensity_are_filled_not_zero);
    tcase_add_test(tc, test_tracker_asks_a_live_source_once_per_data_interval);
    tcase_add_test(tc, test_tracker_intensity_never_known_makes_operational_null);
    tcase_add_test(tc, test_tracker_hung_grid_delays_neither_start_nor_stop);
    tcase_add_test(tc, test_tracker_resumed_energy_without_intensity_is_priced_not_dropped);
    suite_add_tcase(s, tc);

    tc = tcase_create("start");
    tcase_add_checked_fixture(tc, NULL, real_time);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_tracker_racing_starts_have_one_winner);
    tcase_add_test(tc, test_tracker_checkpoint_in_a_missing_directory_fails_start);
    tcase_add_test(tc, test_tracker_checkpoint_in_a_read_only_directory_fails_start);
    tcase_add_test(tc, test_tracker_unusable_grid_cache_is_a_problem_at_start);
    suite_add_tcase(s, tc);

    tc = tcase_create("election");
    tcase_add_checked_fixture(tc, NULL, real_time);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_tracker_four_ranks_count_the_node_once);
    tcase_add_test(tc, test_tracker_dead_readers_device_is_taken_over);
    tcase_add_test(tc, test_tracker_two_trackers_in_one_process_both_count);
    tcase_add_test(tc, test_tracker_each_rank_counts_the_gpu_it_owns);
    tcase_add_test(tc, test_tracker_ranks_sharing_a_gpu_charge_its_embodied_once);
    tcase_add_test(tc, test_tracker_local_ranks_share_out_every_gpu);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(tracker_suite());
    int failed;
    /* tests run in their own processes (Check's fork mode); no meters of
     * the machine running the tests leak in */
    setenv("LLMC_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
