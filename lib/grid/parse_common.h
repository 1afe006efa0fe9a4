/*
 * parse_common.h - what the response parsers share: JSON loading with
 * messages that quote a body that is not JSON, typed field access with the
 * item's path in every message, and the all-or-nothing commit of a parsed
 * answer into a series.
 */
#ifndef LLMC_GRID_PARSE_COMMON_H
#define LLMC_GRID_PARSE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "series.h"

const char *llmc__json_type_name(const json_t *v);

void llmc__json_printable(char *buf, size_t size, const char *text, size_t len,
                      size_t max);

int llmc__json_load(json_t **root, const char *body, size_t len,
                     const char *what);
int llmc__json_load_object(json_t **root, const char *body, size_t len,
                           const char *what);

const char *llmc__json_key_path(char *buf, size_t size, const char *path,
                            const char *key);

int llmc__json_missing(const char *path, const char *key, const char *what);

/* obj's number key, finite and >= 0: LLMC_OK with *has 1 and *v set, or
 * with *has 0 when it is null (no data: the item is skipped); else
 * LLMC_EFORMAT, said. */
int llmc__json_value(double *v, int *has, const json_t *obj, const char *key,
                     const char *path, const char *what);

int llmc__json_time(int64_t *t, const json_t *obj, const char *key,
                    const char *path, const char *what);

int llmc__series_commit(struct llmc__series *out, const struct llmc__series *tmp,
                  const char *what);

#endif
