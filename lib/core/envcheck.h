/* envcheck.h - names close to a typo, and LLMC_* variables nobody reads. */
#ifndef LLMC_CORE_ENVCHECK_H
#define LLMC_CORE_ENVCHECK_H

#include <stddef.h>

/* The name of names (count of them) nearest to query, compared without
 * case, where a swap of two neighbours counts as one edit; NULL when none
 * is near enough to be a typo of it (one edit for up to 3 characters, one
 * more per further 3), or when query is one of them. */
const char *llmc__nearest(const char *query, const char *const *names,
                          size_t count);

/* 1 when name is an LLMC_* variable that a user may set for llmcarbon
 * (library or command line), else 0; the build's and the test suite's
 * own are not, though llmc__env_check leaves them unmentioned. */
int llmc__env_known(const char *name);

/* Calls warn once for each variable of the environment that starts with
 * LLMC_ and that llmcarbon does not read, with a message naming it and the
 * known name nearest to it. Returns how many there were. */
size_t llmc__env_check(void (*warn)(const char *message, void *userdata),
                       void *userdata);

#endif
