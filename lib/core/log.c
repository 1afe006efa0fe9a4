/*
 * log.c - the optional log callback. Silent by default; LLMC_DEBUG=1 sends
 * messages to stderr when no callback is installed.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct log_sink {
    llmc_log_fn fn;
    void *userdata;
};

static struct log_sink sink;
static atomic_int sink_set;

LLMC_API void llmc_log_set(llmc_log_fn fn, void *userdata)
{
    sink.fn = fn;
    sink.userdata = userdata;
    atomic_store(&sink_set, fn != NULL);
}

static int debug_from_env(void)
{
    const char *v = getenv("LLMC_DEBUG");
    return v && *v && strcmp(v, "0") != 0;
}

void llmc__log(int level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    int have_sink = atomic_load(&sink_set);

    if (!have_sink && !debug_from_env())
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (have_sink && sink.fn)
        sink.fn(level, msg, sink.userdata);
    else
        fprintf(stderr, "llmcarbon[%d]: %s\n", level, msg);
}
