/*
 * status.c - status codes, their names and messages, and the thread-local
 * detail of the last failure.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

struct status_info {
    int code;
    const char *name;
    const char *text;
};

/* The texts are those of the codes' comments in llmcarbon.h and of the
 * table in llmc_strerror(3), word for word (test_core checks it). */
static const struct status_info statuses[] = {
    {LLMC_OK, "LLMC_OK", "success"},
    {LLMC_EINVAL, "LLMC_EINVAL",
     "invalid argument: NULL, unknown key, bad flag"},
    {LLMC_ENOMEM, "LLMC_ENOMEM", "out of memory"},
    {LLMC_EPARSE, "LLMC_EPARSE",
     "text does not parse: syntax, trailing garbage"},
    {LLMC_EUNIT, "LLMC_EUNIT", "a unit this quantity does not accept"},
    {LLMC_ERANGE, "LLMC_ERANGE", "NaN, infinite, negative, or below a minimum"},
    {LLMC_ENOTFOUND, "LLMC_ENOTFOUND", "unknown name: zone, hardware, file"},
    {LLMC_EAMBIGUOUS, "LLMC_EAMBIGUOUS", "a name that matches several entries"},
    {LLMC_ENODATA, "LLMC_ENODATA",
     "the value is not known (no source gives it)"},
    {LLMC_EIO, "LLMC_EIO", "reading or writing a file failed"},
    {LLMC_EFORMAT, "LLMC_EFORMAT",
     "malformed content: JSON, CSV, missing fields"},
    {LLMC_EBUSY, "LLMC_EBUSY", "the object is shared and no longer changes"},
    {LLMC_ENOTSUP, "LLMC_ENOTSUP", "not supported here or not built in"},
    {LLMC_ENODEV, "LLMC_ENODEV", "the device is absent"},
    {LLMC_EPERM, "LLMC_EPERM", "permission denied"},
    {LLMC_ESTATE, "LLMC_ESTATE", "the call does not fit the object's state"},
    {LLMC_ENET, "LLMC_ENET", "network: refused, unreachable, cut short"},
    {LLMC_ETIMEDOUT, "LLMC_ETIMEDOUT", "a network operation took too long"},
    {LLMC_EHTTP, "LLMC_EHTTP", "the server answered with an HTTP error status"},
    {LLMC_ETLS, "LLMC_ETLS", "TLS: the server's certificate is not trusted"},
    {LLMC_EAUTH, "LLMC_EAUTH", "credentials missing, refused or expired"},
};

static const struct status_info *find(int code)
{
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        if (statuses[i].code == code)
            return &statuses[i];
    return NULL;
}

LLMC_API const char *llmc_strerror(int status)
{
    const struct status_info *s = find(status);
    return s ? s->text : "unknown status code";
}

LLMC_API const char *llmc_status_name(int status)
{
    const struct status_info *s = find(status);
    return s ? s->name : "LLMC_E?";
}

/* Messages are bounded; a longer one is cut, never lost entirely. */
static _Thread_local char last_error[1024];

LLMC_API const char *llmc_last_error(void)
{
    return last_error;
}

void llmc__error_save(struct llmc__error_saved *saved)
{
    _Static_assert(sizeof saved->text == sizeof last_error,
                   "a saved detail holds all of it");
    memcpy(saved->text, last_error, sizeof last_error);
}

void llmc__error_restore(const struct llmc__error_saved *saved)
{
    memcpy(last_error, saved->text, sizeof last_error);
}

int llmc__fail(int status, const char *fmt, ...)
{
    /* formatted whole, then redacted, then cut: a cut never leaves part
     * of a secret behind */
    char full[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(full, sizeof full, fmt, ap);
    va_end(ap);
    llmc__redact(full, sizeof full);
    full[sizeof last_error - 1] = '\0';
    memcpy(last_error, full, strlen(full) + 1);
    llmc__log(LLMC_LOG_DEBUG, "%s: %s", llmc_status_name(status), last_error);
    return status;
}
