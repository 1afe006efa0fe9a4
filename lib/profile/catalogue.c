/*
 * catalogue.c - the bundled hardware catalogue and forgiving lookup by name.
 *
 * Matching goes in stages, and the first stage with any match decides:
 *   1. the whole name, ignoring case, separators and the vendor prefix;
 *   2. every word of the query is a word of the name ("a10" is the A10,
 *      not the A100s);
 *   3. every word of the query starts a word of the name ("h100 sxm");
 *   4. the query, squeezed, appears inside the squeezed name ("mi300x").
 * One match is found; several are LLMC_EAMBIGUOUS with the list; none is
 * LLMC_ENOTFOUND with the closest names.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "../core/suggest.h"
#include "../core/tables.h"
#include "profile.h"

#define MAX_WORDS 16
#define WORD_LEN 32

static const char *const vendors[] = {"nvidia", "amd", "google", "intel"};

/* Splits s into lowercase words at anything that is not a letter or digit,
 * dropping vendor words. Returns the number of words. */
static size_t split_words(const char *s, char words[MAX_WORDS][WORD_LEN])
{
    size_t n = 0;
    while (*s && n < MAX_WORDS) {
        size_t len = 0;
        while (*s && !isalnum((unsigned char)*s))
            s++;
        while (*s && isalnum((unsigned char)*s)) {
            if (len + 1 < WORD_LEN)
                words[n][len++] = (char)tolower((unsigned char)*s);
            s++;
        }
        if (len == 0)
            continue;
        words[n][len] = '\0';
        int vendor = 0;
        for (size_t v = 0; v < sizeof vendors / sizeof vendors[0]; v++)
            if (strcmp(words[n], vendors[v]) == 0)
                vendor = 1;
        if (!vendor)
            n++;
    }
    return n;
}

/* The name squeezed to letters and digits, without a leading vendor. */
static void squeeze(const char *s, char *out, size_t size)
{
    char words[MAX_WORDS][WORD_LEN];
    size_t n = split_words(s, words), used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(words[i]);
        if (used + len + 1 > size)
            break;
        memcpy(out + used, words[i], len + 1);
        used += len;
    }
}

/* Every query word is a word of the name (whole) or starts one (prefix). */
static int words_match(char q[MAX_WORDS][WORD_LEN], size_t nq,
                       char w[MAX_WORDS][WORD_LEN], size_t nw, int whole)
{
    if (nq == 0)
        return 0;
    for (size_t i = 0; i < nq; i++) {
        int found = 0;
        for (size_t j = 0; j < nw && !found; j++)
            found = whole ? strcmp(w[j], q[i]) == 0
                          : strncmp(w[j], q[i], strlen(q[i])) == 0;
        if (!found)
            return 0;
    }
    return 1;
}

static int profile_from_row(llmc_profile **out, const struct llmc__hw_row *r)
{
    llmc_profile *p;
    int rc = llmc_profile_new(&p, r->name);
    if (rc != LLMC_OK) {
        *out = NULL;
        return rc;
    }
    p->num[LLMC_PROFILE_TDP_W] = r->tdp_w;
    p->num[LLMC_PROFILE_IDLE_W] = r->idle_w;
    p->num[LLMC_PROFILE_PEAK_FP32_FLOPS] = r->fp32_flops;
    p->num[LLMC_PROFILE_PEAK_TF32_FLOPS] = r->tf32_flops;
    p->num[LLMC_PROFILE_PEAK_BF16_FLOPS] = r->bf16_flops;
    p->num[LLMC_PROFILE_PEAK_FP16_FLOPS] = r->fp16_flops;
    p->num[LLMC_PROFILE_PEAK_FP8_FLOPS] = r->fp8_flops;
    p->num[LLMC_PROFILE_MEMORY_GB] = r->memory_gb;
    p->num[LLMC_PROFILE_DIE_MM2] = r->die_mm2;
    p->num[LLMC_PROFILE_PROCESS_NM] = r->process_nm;
    p->num[LLMC_PROFILE_EMBODIED_KGCO2E] = r->embodied_kgco2e;
    if ((rc = llmc_profile_set_text(p, LLMC_PROFILE_VENDOR, r->vendor)) ||
        (rc = llmc_profile_set_text(p, LLMC_PROFILE_KIND, r->kind)) ||
        (rc = llmc_profile_set_text(p, LLMC_PROFILE_SOURCE, r->source)) ||
        (rc = llmc_profile_set_text(p, LLMC_PROFILE_EMBODIED_BASIS,
                                    r->embodied_basis))) {
        llmc_profile_free(p);
        *out = NULL;
        return rc;
    }
    p->from_catalogue = 1;
    *out = p;
    return LLMC_OK;
}

LLMC_API size_t llmc_profile_catalogue_count(void)
{
    return llmc__hw_count;
}

LLMC_API int llmc_profile_catalogue_get(llmc_profile **out, size_t index)
{
    if (!out)
        return llmc__fail(LLMC_EINVAL, "out is NULL");
    *out = NULL;
    if (index >= llmc__hw_count)
        return llmc__fail(LLMC_ERANGE,
                          "catalogue index %zu is past its %zu entries", index,
                          llmc__hw_count);
    return profile_from_row(out, &llmc__hw_rows[index]);
}

static int report_ambiguous(const char *name, const size_t *hits, size_t nhits)
{
    char list[768];
    size_t used = 0;
    list[0] = '\0';
    for (size_t i = 0; i < nhits && used < sizeof list; i++) {
        int n = snprintf(list + used, sizeof list - used, "%s'%s'",
                         i ? ", " : "", llmc__hw_rows[hits[i]].name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    return llmc__fail(LLMC_EAMBIGUOUS,
                      "hardware '%s' matches %zu profiles: %s; give more of "
                      "the name",
                      name, nhits, list);
}

LLMC_API int llmc_profile_lookup(llmc_profile **out, const char *name)
{
    char qwords[MAX_WORDS][WORD_LEN], nwords[MAX_WORDS][WORD_LEN];
    char qsq[256], nsq[256];
    size_t nq, *hits;
    int rc;

    if (!out)
        return llmc__fail(LLMC_EINVAL, "out is NULL");
    *out = NULL;
    if (!name || !*name)
        return llmc__fail(LLMC_EINVAL,
                          "no hardware name given; try `llmcarbon hw list`");
    nq = split_words(name, qwords);
    if (nq >= MAX_WORDS || strlen(name) >= sizeof qsq)
        return llmc__fail(LLMC_ENOTFOUND,
                          "hardware name '%.80s...' is longer than any in the "
                          "catalogue; see `llmcarbon hw list`",
                          name);
    squeeze(name, qsq, sizeof qsq);
    if (!*qsq)
        return llmc__fail(LLMC_ENOTFOUND,
                          "hardware '%s' names no model (a vendor alone is "
                          "not enough); see `llmcarbon hw list`",
                          name);
    hits = malloc(llmc__hw_count * sizeof *hits);
    if (!hits)
        return llmc__fail(LLMC_ENOMEM, "out of memory");

    for (int stage = 1; stage <= 4; stage++) {
        size_t nhits = 0;
        for (size_t i = 0; i < llmc__hw_count; i++) {
            const char *row = llmc__hw_rows[i].name;
            int match = 0;
            squeeze(row, nsq, sizeof nsq);
            if (stage == 1)
                match = strcmp(qsq, nsq) == 0;
            else if (stage <= 3)
                match = words_match(qwords, nq, nwords,
                                    split_words(row, nwords), stage == 2);
            else
                match = strstr(nsq, qsq) != NULL;
            if (match)
                hits[nhits++] = i;
        }
        if (nhits == 1) {
            rc = profile_from_row(out, &llmc__hw_rows[hits[0]]);
            free(hits);
            return rc;
        }
        if (nhits > 1) {
            rc = report_ambiguous(name, hits, nhits);
            free(hits);
            return rc;
        }
    }
    free(hits);

    {
        struct llmc__suggest s = {0};
        char list[512];
        for (size_t i = 0; i < llmc__hw_count; i++) {
            squeeze(llmc__hw_rows[i].name, nsq, sizeof nsq);
            llmc__suggest_offer(&s, qsq, nsq, llmc__hw_rows[i].name);
        }
        llmc__suggest_format(&s, list, sizeof list);
        if (*list)
            return llmc__fail(LLMC_ENOTFOUND,
                              "hardware '%s' is not in the catalogue; closest: "
                              "%s; see `llmcarbon hw list`, or pass --power",
                              name, list);
        return llmc__fail(LLMC_ENOTFOUND,
                          "hardware '%s' is not in the catalogue; see "
                          "`llmcarbon hw list`, or pass --power",
                          name);
    }
}
