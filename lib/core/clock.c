/*
 * clock.c - the library's one time source: the monotonic clock that times
 * intervals and integrates power, and the wall clock that stamps samples,
 * log lines, windows and checkpoints.
 *
 * By default both are the system's clocks. A test may switch the process to
 * manual time, which moves only when the test advances it: a sampler due in
 * 100 ms samples when the test has advanced 100 ms, at exactly that time, and
 * an advance returns once every wait it made due has run and waits again.
 * Timing tests are then exact, fast, and indifferent to the load of the
 * machine. Manual time is internal: the shared library hides these symbols,
 * and the tests that use them link the static archive.
 *
 * Waits that bound real work (a hung meter's join, the grid's last answer
 * at the stop) stay on the system's clocks: manual time never passes while
 * a test's own thread is blocked in them.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "internal.h"

/* A wait on manual time, on its waiting thread's stack while it waits. */
struct clock_waiter {
    pthread_cond_t *cond;
    int64_t deadline_ns;
    struct clock_waiter *next;
};

/* 1: time moves only by advances; read inline by llmc__now_ns */
atomic_int llmc__clock_is_manual;
static _Atomic int64_t manual_ns;     /* the monotonic reading, manual */
static _Atomic int64_t unix_minus_ns; /* wall clock - monotonic, manual */

/* mu guards the list of waiters and the count of threads that an advance
 * made due and that have not waited again; changed is broadcast whenever
 * either shrinks, for the advance that waits for both to settle. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static struct clock_waiter *waiters;
static unsigned running;
static _Thread_local int self_running; /* this thread is counted in running */

static int64_t read_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t llmc__clock_manual_ns(void)
{
    return atomic_load_explicit(&manual_ns, memory_order_acquire);
}

int64_t llmc__unix_ns(void)
{
    if (__builtin_expect(atomic_load_explicit(&llmc__clock_is_manual,
                                              memory_order_acquire),
                         0))
        return atomic_load_explicit(&manual_ns, memory_order_acquire) +
               atomic_load_explicit(&unix_minus_ns, memory_order_relaxed);
    return read_clock(CLOCK_REALTIME);
}

int64_t llmc__unix_s(void)
{
    int64_t ns = llmc__unix_ns();
    return ns >= 0 ? ns / 1000000000 : -((-ns + 999999999) / 1000000000);
}

int64_t llmc__real_now_ns(void)
{
    return read_clock(CLOCK_MONOTONIC);
}

/* The calling thread waits again, or is done: an advance no longer waits
 * for it. mu held. */
static void settle_self(void)
{
    if (self_running) {
        self_running = 0;
        running--;
        pthread_cond_broadcast(&changed);
    }
}

void llmc__clock_manual(int64_t start_unix_ns)
{
    int64_t mono = read_clock(CLOCK_MONOTONIC);
    if (start_unix_ns == 0)
        start_unix_ns = read_clock(CLOCK_REALTIME);
    pthread_mutex_lock(&mu);
    if (atomic_load_explicit(&llmc__clock_is_manual, memory_order_relaxed)) {
        pthread_mutex_unlock(&mu); /* already: time goes on from where it is */
        return;
    }
    atomic_store_explicit(&manual_ns, mono, memory_order_release);
    atomic_store_explicit(&unix_minus_ns, start_unix_ns - mono,
                          memory_order_relaxed);
    atomic_store_explicit(&llmc__clock_is_manual, 1, memory_order_release);
    pthread_mutex_unlock(&mu);
}

void llmc__clock_real(void)
{
    pthread_mutex_lock(&mu);
    atomic_store_explicit(&llmc__clock_is_manual, 0, memory_order_release);
    for (struct clock_waiter *w = waiters; w; w = w->next)
        pthread_cond_broadcast(w->cond);
    pthread_mutex_unlock(&mu);
}

/* 1 while a waiter is due at the manual time. mu held. */
static int any_due(void)
{
    int64_t now = atomic_load_explicit(&manual_ns, memory_order_relaxed);
    for (struct clock_waiter *w = waiters; w; w = w->next)
        if (w->deadline_ns <= now)
            return 1;
    return 0;
}

void llmc__clock_advance_ns(int64_t d_ns)
{
    pthread_mutex_lock(&mu);
    if (!atomic_load_explicit(&llmc__clock_is_manual,
                              memory_order_relaxed) ||
        d_ns < 0) {
        pthread_mutex_unlock(&mu);
        return;
    }
    atomic_store_explicit(
        &manual_ns,
        atomic_load_explicit(&manual_ns, memory_order_relaxed) + d_ns,
        memory_order_release);
    for (struct clock_waiter *w = waiters; w; w = w->next)
        if (w->deadline_ns <= atomic_load_explicit(&manual_ns,
                                                   memory_order_relaxed))
            pthread_cond_broadcast(w->cond);
    /* the advance is over when what it made due has run: no waiter is
     * still due, and every thread it woke waits again or is done */
    while (any_due() || running > 0)
        pthread_cond_wait(&changed, &mu);
    pthread_mutex_unlock(&mu);
}

int llmc__clock_wait(pthread_cond_t *cond, pthread_mutex_t *cond_mu,
                     int64_t deadline_ns)
{
    struct clock_waiter self;
    struct timespec due;
    int64_t at;
    int rc;

    if (!atomic_load_explicit(&llmc__clock_is_manual, memory_order_acquire)) {
        if (self_running) { /* manual time has just ended */
            pthread_mutex_lock(&mu);
            settle_self();
            pthread_mutex_unlock(&mu);
        }
        due.tv_sec = (time_t)(deadline_ns / 1000000000);
        due.tv_nsec = (long)(deadline_ns % 1000000000);
        return pthread_cond_timedwait(cond, cond_mu, &due);
    }

    pthread_mutex_lock(&mu);
    settle_self();
    if (atomic_load_explicit(&manual_ns, memory_order_relaxed) >=
        deadline_ns) {
        self_running = 1;
        running++;
        pthread_mutex_unlock(&mu);
        return ETIMEDOUT;
    }
    self.cond = cond;
    self.deadline_ns = deadline_ns;
    self.next = waiters;
    waiters = &self;
    pthread_mutex_unlock(&mu);

    /* An advance broadcasts cond without cond_mu, so its wake-up may come
     * between the check above and this wait: the wait also ends after a
     * millisecond of real time, and the caller, which treats a return
     * before the deadline as a spurious wake-up, waits again. */
    at = read_clock(CLOCK_MONOTONIC) + 1000000;
    due.tv_sec = (time_t)(at / 1000000000);
    due.tv_nsec = (long)(at % 1000000000);
    pthread_cond_timedwait(cond, cond_mu, &due);

    pthread_mutex_lock(&mu);
    for (struct clock_waiter **p = &waiters; *p; p = &(*p)->next)
        if (*p == &self) {
            *p = self.next;
            break;
        }
    if (atomic_load_explicit(&manual_ns, memory_order_relaxed) >=
        deadline_ns) {
        self_running = 1;
        running++;
        rc = ETIMEDOUT;
    } else {
        rc = 0;
    }
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&mu);
    return rc;
}

void llmc__clock_expect(void)
{
    pthread_mutex_lock(&mu);
    running++;
    pthread_mutex_unlock(&mu);
}

void llmc__clock_arrive(void)
{
    self_running = 1; /* the count llmc__clock_expect made is this thread's */
}

void llmc__clock_unexpect(void)
{
    pthread_mutex_lock(&mu);
    running--;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&mu);
}

void llmc__clock_done(void)
{
    if (!self_running)
        return;
    pthread_mutex_lock(&mu);
    settle_self();
    pthread_mutex_unlock(&mu);
}
