/*
 * suggest.c - near matches for unknown names. A candidate scores by how well
 * the query fits inside it (typos cost one each), then by total distance, so
 * that "H10O" suggests the H100 parts and "FRR" suggests "FRA".
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "suggest.h"

void llmc__suggest_offer(struct llmc__suggest *s, const char *query_norm,
                         const char *candidate_norm, const char *display)
{
    size_t qlen = strlen(query_norm);
    size_t fit = llmc__fuzzy_distance(query_norm, candidate_norm);
    size_t limit = qlen <= 3 ? 1 : qlen / 3 + 1;
    size_t score, i;

    if (fit > limit)
        return;
    /* fit dominates; the full distance breaks ties */
    score = fit * 1000 + llmc__edit_distance(query_norm, candidate_norm);
    /* offered twice (by code and by name): keep the better score */
    for (i = 0; i < s->count; i++)
        if (strcmp(s->names[i], display) == 0) {
            if (s->score[i] <= score)
                return;
            memmove(&s->names[i], &s->names[i + 1],
                    (s->count - 1 - i) * sizeof s->names[0]);
            memmove(&s->score[i], &s->score[i + 1],
                    (s->count - 1 - i) * sizeof s->score[0]);
            s->count--;
            break;
        }
    for (i = 0; i < s->count; i++)
        if (score < s->score[i])
            break;
    if (i >= LLMC__SUGGEST_MAX)
        return;
    if (s->count < LLMC__SUGGEST_MAX)
        s->count++;
    memmove(&s->names[i + 1], &s->names[i],
            (s->count - 1 - i) * sizeof s->names[0]);
    memmove(&s->score[i + 1], &s->score[i],
            (s->count - 1 - i) * sizeof s->score[0]);
    s->names[i] = display;
    s->score[i] = score;
}

void llmc__suggest_format(const struct llmc__suggest *s, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->count && used < size; i++) {
        const char *sep = i == 0 ? "" : i + 1 == s->count ? " or " : ", ";
        int n = snprintf(buf + used, size - used, "%s'%s'", sep, s->names[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}
