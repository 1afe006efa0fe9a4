/*
 * internal.h - helpers shared by the library's modules; never installed.
 */
#ifndef LLMC_CORE_INTERNAL_H
#define LLMC_CORE_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include "llmcarbon.h"

#if defined(__GNUC__)
#define LLMC__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define LLMC__PRINTF(f, a)
#endif

/* Records the detail of a failure for llmc_last_error() and returns status,
 * so that `return llmc__fail(LLMC_EINVAL, "...", ...);` reads naturally. */
int llmc__fail(int status, const char *fmt, ...) LLMC__PRINTF(2, 3);
/* Clears the thread's error detail; every public entry point that succeeds
 * leaves the previous detail alone, so only failures are recorded. */
void llmc__clear_error(void);

void llmc__log(int level, const char *fmt, ...) LLMC__PRINTF(2, 3);

char *llmc__strdup(const char *s);
/* Lowercase copy of s with only its ASCII letters and digits. */
char *llmc__normalize(const char *s);
#define llmc__free_norm(p) free(p)
int llmc__strcaseeq(const char *a, const char *b);

/* Edit distance between needle and the best-matching part of haystack
 * (semi-global alignment), used to suggest near matches. */
size_t llmc__fuzzy_distance(const char *needle, const char *haystack);
size_t llmc__edit_distance(const char *a, const char *b);

/* Default assumptions, documented in llmc_estimate_new(3). */
#define LLMC__DEFAULT_PUE 1.0
#define LLMC__DEFAULT_LIFETIME_Y 5.0
#define LLMC__SECONDS_PER_YEAR (365.25 * 86400.0)
#define LLMC__DEFAULT_LIFETIME_SOURCE                                        \
    "libllmcarbon default assumption (5 years); not a measured figure, "    \
    "set your own with --lifetime"

#define LLMC__J_PER_KWH 3.6e6

#endif
