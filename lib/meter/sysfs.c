/*
 * sysfs.c - reading the counter files of sysfs (RAPL, hwmon): one pread per
 * sample on a file kept open, and text that never overflows its buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/internal.h"
#include "sysfs.h"

/* snprintf for text where truncation is harmless (messages) or was ruled
 * out before (paths checked against PATH_MAX when first built). */
void llmc__put_text(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}


/* Reads an unsigned decimal number at offset 0 of fd. Returns LLMC_OK,
 * LLMC_EIO with errno set when the read fails, LLMC_EFORMAT when the text
 * is not a number (then text holds what was read, for the message). */
int llmc__pread_u64(int fd, uint64_t *out, char *text, size_t text_size)
{
    char buf[64];
    char *end;
    ssize_t n;
    unsigned long long v;
    const char *p;

    do
        n = pread(fd, buf, sizeof buf - 1, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return LLMC_EIO;
    buf[n] = '\0';
    if (text && text_size) {
        size_t k = strcspn(buf, "\n");
        llmc__put_text(text, text_size, "%.*s", (int)k, buf);
    }
    p = buf;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p < '0' || *p > '9')
        return LLMC_EFORMAT;
    errno = 0;
    v = strtoull(p, &end, 10);
    if (errno == ERANGE)
        return LLMC_EFORMAT;
    while (*end == ' ' || *end == '\t' || *end == '\n')
        end++;
    if (*end)
        return LLMC_EFORMAT;
    *out = (uint64_t)v;
    return LLMC_OK;
}

/* Reads a small text file into buf without its trailing newline;
 * LLMC_OK, or LLMC_EIO with errno set. */
int llmc__read_text(const char *path, char *buf, size_t size)
{
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return LLMC_EIO;
    do
        n = read(fd, buf, size - 1);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return LLMC_EIO;
    }
    close(fd);
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    return LLMC_OK;
}
