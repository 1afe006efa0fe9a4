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

static const struct status_info statuses[] = {
    {LLMC_OK, "LLMC_OK", "success"},
    {LLMC_EINVAL, "LLMC_EINVAL", "invalid argument"},
    {LLMC_ENOMEM, "LLMC_ENOMEM", "out of memory"},
    {LLMC_EPARSE, "LLMC_EPARSE", "text does not parse"},
    {LLMC_EUNIT, "LLMC_EUNIT", "unit not accepted for this quantity"},
    {LLMC_ERANGE, "LLMC_ERANGE", "value out of range"},
    {LLMC_ENOTFOUND, "LLMC_ENOTFOUND", "not found"},
    {LLMC_EAMBIGUOUS, "LLMC_EAMBIGUOUS", "ambiguous name"},
    {LLMC_ENODATA, "LLMC_ENODATA", "value not known"},
    {LLMC_EIO, "LLMC_EIO", "input/output error"},
    {LLMC_EFORMAT, "LLMC_EFORMAT", "malformed content"},
    {LLMC_EBUSY, "LLMC_EBUSY", "object is shared and frozen"},
    {LLMC_ENOTSUP, "LLMC_ENOTSUP", "not supported"},
    {LLMC_ENODEV, "LLMC_ENODEV", "no such device"},
    {LLMC_EPERM, "LLMC_EPERM", "permission denied"},
    {LLMC_ESTATE, "LLMC_ESTATE", "call does not fit the object's state"},
    {LLMC_ENET, "LLMC_ENET", "network failure"},
    {LLMC_ETIMEDOUT, "LLMC_ETIMEDOUT", "timed out"},
    {LLMC_EHTTP, "LLMC_EHTTP", "HTTP error status"},
    {LLMC_ETLS, "LLMC_ETLS", "TLS certificate not trusted"},
    {LLMC_EAUTH, "LLMC_EAUTH", "authentication failed"},
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
