/*
 * log.c - the optional log callback. Silent by default; LLMC_DEBUG=1 sends
 * messages to stderr when no callback is installed.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The callback and its userdata change together: a logging thread reads
 * both under the lock and calls the callback without it, so a callback may
 * itself log or install another. */
static pthread_mutex_t sink_mu = PTHREAD_MUTEX_INITIALIZER;
static llmc_log_fn sink_fn;
static void *sink_userdata;
static atomic_int sink_set; /* lets the silent default skip the lock */

LLMC_API void llmc_log_set(llmc_log_fn fn, void *userdata)
{
    pthread_mutex_lock(&sink_mu);
    sink_fn = fn;
    sink_userdata = fn ? userdata : NULL;
    atomic_store(&sink_set, fn != NULL);
    pthread_mutex_unlock(&sink_mu);
}

static int debug_from_env(void)
{
    const char *v = getenv("LLMC_DEBUG");
    return v && *v && strcmp(v, "0") != 0;
}

void llmc__log(int level, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    llmc_log_fn fn = NULL;
    void *userdata = NULL;

    if (atomic_load(&sink_set)) {
        pthread_mutex_lock(&sink_mu);
        fn = sink_fn;
        userdata = sink_userdata;
        pthread_mutex_unlock(&sink_mu);
    }
    if (!fn && !debug_from_env())
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    llmc__redact(msg, sizeof msg);
    if (fn)
        fn(level, msg, userdata);
    else
        fprintf(stderr, "llmcarbon[%d]: %s\n", level, msg);
}
