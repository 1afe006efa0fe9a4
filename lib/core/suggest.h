/* suggest.h - "did you mean" lists for unknown names. */
#ifndef LLMC_CORE_SUGGEST_H
#define LLMC_CORE_SUGGEST_H

#include <stddef.h>

#define LLMC__SUGGEST_MAX 4

struct llmc__suggest {
    const char *names[LLMC__SUGGEST_MAX];
    size_t score[LLMC__SUGGEST_MAX];
    size_t count;
};

/* Offers candidate (shown as display) for a query; keeps the best few. */
void llmc__suggest_offer(struct llmc__suggest *s, const char *query_norm,
                         const char *candidate_norm, const char *display);
/* "'a', 'b' or 'c'" into buf; "" when there is nothing close. */
void llmc__suggest_format(const struct llmc__suggest *s, char *buf, size_t size);

#endif
