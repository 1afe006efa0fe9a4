/* sysfs.h - the sysfs helpers of rapl.c and amdgpu.c. */
#ifndef LLMC_METER_SYSFS_H
#define LLMC_METER_SYSFS_H

#include <stddef.h>
#include <stdint.h>

#include "../core/internal.h"

/* snprintf for text where truncation is harmless (messages) or was ruled
 * out before (paths checked against PATH_MAX when first built). */
void llmc__put_text(char *buf, size_t size, const char *fmt, ...)
    LLMC__PRINTF(3, 4);
/* Reads a decimal counter at offset 0 of an open file: LLMC_OK, LLMC_EIO
 * (the read failed, errno set) or LLMC_EFORMAT (not a number); text, if
 * given, gets the file's first line for messages. */
int llmc__pread_u64(int fd, uint64_t *out, char *text, size_t text_size);
/* Reads a small text file without its trailing newline: LLMC_OK, or
 * LLMC_EIO with errno set. */
int llmc__read_text(const char *path, char *buf, size_t size);

#endif
