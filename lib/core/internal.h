/*
 * internal.h - helpers shared by the library's modules; never installed.
 */
#ifndef LLMC_CORE_INTERNAL_H
#define LLMC_CORE_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "llmcarbon.h"

#if defined(__GNUC__)
#define LLMC__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define LLMC__PRINTF(f, a)
#endif

/* Records the detail of a failure for llmc_last_error() and returns status,
 * so that `return llmc__fail(LLMC_EINVAL, "...", ...);` reads naturally. */
int llmc__fail(int status, const char *fmt, ...) LLMC__PRINTF(2, 3);
/* The thread's error detail across work whose failures are recovered (a
 * chain's fallback, a lookup with a second way, a source that adds nothing
 * to "auto"): saved when a public call begins and put back when it
 * succeeds, so that a call that succeeds leaves llmc_last_error() as its
 * caller saw it, as llmcarbon.h promises. */
struct llmc__error_saved {
    char text[1024];
};
void llmc__error_save(struct llmc__error_saved *saved);
void llmc__error_restore(const struct llmc__error_saved *saved);

void llmc__log(int level, const char *fmt, ...) LLMC__PRINTF(2, 3);

/* The times the grid code accepts, from disk, from the network or from a
 * caller: 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z. Any time inside
 * this range plus any duration that ends inside it stays far from the
 * limits of int64_t, so no sum of a start and a duration can overflow. */
#define LLMC__TIME_MIN_UNIX_S ((int64_t)0)
#define LLMC__TIME_MAX_UNIX_S ((int64_t)253402300799)

/* ISO 8601 date-times as the APIs write them: "2024-05-01T14:00:00.000Z",
 * "2024-05-01T14:00:00+00:00", "2018-01-20T12:00Z" (minute precision),
 * "2024-05-01T16:00:00+02:00". Returns LLMC_OK and sets *out (Unix
 * seconds), LLMC_EPARSE when text is not such a time (the whole text must
 * be consumed), LLMC_ERANGE when it is one but outside the years 1970 to
 * 9999 (after its offset); no message: the caller says what the text was. */
int llmc__parse_iso8601(int64_t *out, const char *text);
/* "2024-05-01T14:00:00Z" into buf (at least 21 bytes); a time outside
 * the years 1970 to 9999 is written as its Unix seconds ("@-5"), never as
 * a date that does not exist. */
void llmc__format_iso8601(char *buf, size_t size, int64_t t);

/* Versioned output structs (llmc_totals, llmc_channel, ...): each starts
 * with a uint32_t size, the caller's sizeof. */
/* Where a field ends: a caller's struct must reach at least that far. */
#define LLMC__FIELD_END(type, field)                                          \
    (offsetof(type, field) + sizeof(((type *)0)->field))
/* The body of every _init: zero what the caller's size covers, record the
 * size; nothing for NULL or a size that cannot be one. */
void llmc__versioned_init(void *out, size_t size);
/* LLMC_OK when the caller's struct reaches min_size, else LLMC_EINVAL
 * naming the struct ("llmc_totals") and its _init. */
int llmc__versioned_check(const void *out, size_t min_size, const char *type);
/* Copies full (full_size bytes) into the caller's struct as far as its
 * size reaches, keeping that size; checks it first, as above. */
int llmc__versioned_copy(void *out, const void *full, size_t full_size,
                         size_t min_size, const char *type);

/* Opens the library that env_var names, or default_name when it is unset
 * or empty: the handle, or NULL with reason (dlerror's words) filled;
 * *path is what was tried. */
void *llmc__dlopen_env(const char *env_var, const char *default_name,
                       const char **path, char *reason, size_t reason_size);
/* Stores symbol's address in the function pointer at fn_slot (slot_size
 * its size): LLMC_OK, or LLMC_ENOTSUP when the library lacks it (the
 * pointer is NULL; the caller says which library and symbol). */
int llmc__dlsym_fn(void *fn_slot, size_t slot_size, void *dl,
                   const char *symbol);

/* The library's time source (clock.c): every reader of time goes through
 * it, so that tests can drive it. llmc__now_ns is monotonic (intervals,
 * deadlines, power integration); llmc__unix_ns and llmc__unix_s are the
 * wall clock (samples, log lines, windows, checkpoints, the grid's "now").
 * By default they are CLOCK_MONOTONIC and CLOCK_REALTIME. */
extern atomic_int llmc__clock_is_manual; /* 1 in manual time */
int64_t llmc__clock_manual_ns(void);
/* Inline, for the step hook's inline sampler: one load and a branch that
 * always goes the same way before the vDSO's clock_gettime. */
static inline int64_t llmc__now_ns(void)
{
    struct timespec ts;
    if (__builtin_expect(atomic_load_explicit(&llmc__clock_is_manual,
                                              memory_order_acquire),
                         0))
        return llmc__clock_manual_ns();
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
int64_t llmc__unix_ns(void);
int64_t llmc__unix_s(void);
/* CLOCK_MONOTONIC whatever the time source: for waits that bound real work
 * (a thread's join, the grid's answer at the stop), never run time. */
int64_t llmc__real_now_ns(void);
/* Waits on cond (made with CLOCK_MONOTONIC, cond_mu held, as
 * pthread_cond_timedwait) until llmc__now_ns() reaches deadline_ns:
 * ETIMEDOUT then, 0 on a signal or a spurious wake-up. In manual time the
 * deadline is met by an advance, never by the system's clock. A thread
 * that leaves its loop of waits calls llmc__clock_done. */
int llmc__clock_wait(pthread_cond_t *cond, pthread_mutex_t *cond_mu,
                     int64_t deadline_ns);
void llmc__clock_done(void);
/* A thread that will wait on the clock is being started: advances wait for
 * it from now until its first wait (llmc__clock_expect, before
 * pthread_create; llmc__clock_arrive, first thing in the thread;
 * llmc__clock_unexpect when the thread could not be started), so that an
 * advance made right after the start is not over before the thread waits. */
void llmc__clock_expect(void);
void llmc__clock_arrive(void);
void llmc__clock_unexpect(void);
/* Manual time, for tests only: from now on time moves only by
 * llmc__clock_advance_ns, from the wall time start_unix_ns (0: the
 * system's now; nothing changes when time is manual already);
 * llmc__clock_real returns to the system's clocks. An
 * advance moves both clocks by d_ns, wakes every llmc__clock_wait that is
 * then due, and returns once each has run and waits again (or is done). */
void llmc__clock_manual(int64_t start_unix_ns);
void llmc__clock_advance_ns(int64_t d_ns);
void llmc__clock_real(void);
/* The sysfs and procfs roots: LLMC_SYSFS_ROOT (default "/sys") and
 * LLMC_PROCFS_ROOT (default "/proc"), which tests point at fake trees. */
const char *llmc__sysfs_root(void);
const char *llmc__procfs_root(void);

/* Credentials never reach a message (redact.c). A source registers each
 * secret it holds (and removes it when it lets go: registrations count);
 * values under 4 characters are hidden by name only. llmc__fail and
 * llmc__log apply llmc__redact to every text; anything else quoted from
 * outside (a body excerpt) goes through llmc__redact_excerpt, which cuts
 * after hiding, so a cut never leaves the start of a secret. */
int llmc__redact_add(const char *value);
void llmc__redact_remove(const char *value);
/* The Authorization: Basic value of user and password. */
int llmc__redact_add_basic(const char *user, const char *password);
void llmc__redact_remove_basic(const char *user, const char *password);
/* Rewrites the NUL-terminated text in a buffer of size bytes: credential
 * values by name (token=, password=, auth-token:, Authorization:, "token":
 * "...", URL user info) and every registered value become "***". */
void llmc__redact(char *text, size_t size);
/* At most max_chars printable characters of text, redacted. */
void llmc__redact_excerpt(char *out, size_t size, const char *text,
                          size_t max_chars);

char *llmc__strdup(const char *s);
/* Lowercase copy of s with only its ASCII letters and digits. */
char *llmc__normalize(const char *s);
#define llmc__free_norm(p) free(p)
int llmc__strcaseeq(const char *a, const char *b);

/* Edit distance between needle and the best-matching part of haystack
 * (semi-global alignment), used to suggest near matches. */
size_t llmc__fuzzy_distance(const char *needle, const char *haystack);
size_t llmc__edit_distance(const char *a, const char *b);

/* Seconds as nanoseconds for deadlines, never overflowing: NaN and values
 * below 0 give 0, and beyond 146 years the result stops at INT64_MAX / 2,
 * so that adding it to a clock reading (about 1.8e18 ns since 1970) still
 * fits. Durations are bounded where they are set; this holds regardless. */
static inline int64_t llmc__ns_of_s(double s)
{
    if (!(s > 0.0))
        return 0;
    if (s >= (double)(INT64_MAX / 2) / 1e9)
        return INT64_MAX / 2;
    return (int64_t)(s * 1e9);
}

/* Default assumptions, documented in llmc_estimate_new(3). */
#define LLMC__DEFAULT_PUE 1.0
#define LLMC__DEFAULT_LIFETIME_Y 5.0
#define LLMC__SECONDS_PER_YEAR (365.25 * 86400.0)
#define LLMC__DEFAULT_LIFETIME_SOURCE                                        \
    "libllmcarbon default assumption (5 years); not a measured figure, "    \
    "set your own with --lifetime"

#define LLMC__J_PER_KWH 3.6e6

#endif
