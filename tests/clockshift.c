/*
 * clockshift.c - an LD_PRELOAD library for tests that must meet a given
 * wall-clock time: it moves CLOCK_REALTIME (clock_gettime, gettimeofday,
 * time) by CLOCKSHIFT_OFFSET_NS nanoseconds, in the process and in every
 * program it starts that inherits the variable, so that all of them
 * (llmcarbon, the fake grid server, `date`) agree on the shifted time.
 * Monotonic clocks and sleeps are left as they are: a shifted clock still
 * advances at the real rate.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

static int64_t offset_ns(void)
{
    const char *v = getenv("CLOCKSHIFT_OFFSET_NS");
    return v ? strtoll(v, NULL, 10) : 0;
}

static void shift(struct timespec *ts)
{
    int64_t ns = (int64_t)ts->tv_nsec + offset_ns() % 1000000000;
    ts->tv_sec += (time_t)(offset_ns() / 1000000000);
    while (ns < 0) {
        ns += 1000000000;
        ts->tv_sec--;
    }
    ts->tv_sec += (time_t)(ns / 1000000000);
    ts->tv_nsec = (long)(ns % 1000000000);
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
    static clock_gettime_fn real;
    int rc;
    if (!real) {
        /* ISO C has no cast from an object pointer to a function's */
        void *sym = dlsym(RTLD_NEXT, "clock_gettime");
        memcpy(&real, &sym, sizeof real);
    }
    rc = real(id, ts);
    if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
        shift(ts);
    return rc;
}

int gettimeofday(struct timeval *tv, void *tz)
{
    struct timespec ts;
    (void)tz;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return -1;
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
    return 0;
}

time_t time(time_t *out)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (out)
        *out = ts.tv_sec;
    return ts.tv_sec;
}
