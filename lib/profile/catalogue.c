/*
 * catalogue.c - the bundled hardware catalogue and forgiving lookup by name.
 *
 * Matching goes in stages, and the first stage with any match decides:
 *   1. the whole name, ignoring case, separators and the vendor prefix, or
 *      one of the names drivers print for a row ("NVIDIA H100 80GB HBM3",
 *      "Tesla T4": the aliases column of data/hardware.csv), ignoring case
 *      and separators only;
 *   2. every word of the query is a word of the name ("a10" is the A10,
 *      not the A100s);
 *   3. every word of the query starts a word of the name ("h100 sxm");
 *   4. the query, squeezed, appears inside the squeezed name ("mi300x").
 * One match is found; several are LLMC_EAMBIGUOUS with the list, unless
 * the device's memory size or power limit, given to
 * llmc_profile_lookup_device, single one out; none is LLMC_ENOTFOUND with
 * the closest names.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
    /* the profile's own figure is the board scope's: a board's whole, or
     * a device's share of its board */
    p->num[LLMC_PROFILE_EMBODIED_KGCO2E] = r->embodied_board_kgco2e;
    p->num[LLMC_PROFILE_EMBODIED_DIE_KGCO2E] = r->embodied_die_kgco2e;
    p->num[LLMC_PROFILE_EMBODIED_PACKAGE_KGCO2E] = r->embodied_package_kgco2e;
    p->num[LLMC_PROFILE_EMBODIED_BOARD_KGCO2E] = r->embodied_board_kgco2e;
    p->num[LLMC_PROFILE_EMBODIED_SERVER_KGCO2E] = r->embodied_server_kgco2e;
    if ((rc = llmc_profile_set_text(p, LLMC_PROFILE_VENDOR, r->vendor)) ||
        (rc = llmc_profile_set_text(p, LLMC_PROFILE_EMBODIED_DIE_METHOD,
                                    r->embodied_die_method)) ||
        (rc = llmc_profile_set_text(p, LLMC_PROFILE_EMBODIED_PACKAGE_METHOD,
                                    r->embodied_package_method)) ||
        (rc = llmc_profile_set_text(p, LLMC_PROFILE_EMBODIED_BOARD_METHOD,
                                    r->embodied_board_method)) ||
        (rc = llmc_profile_set_text(p, LLMC_PROFILE_EMBODIED_SERVER_METHOD,
                                    r->embodied_server_method)) ||
        (rc = llmc_profile_set_text(p, LLMC_PROFILE_KIND, r->kind)) ||
        (rc = llmc_profile_set_text(p, LLMC_PROFILE_SOURCE, r->source)) ||
        (rc = llmc_profile_set_text(
             p, LLMC_PROFILE_EMBODIED_BASIS,
             isnan(r->embodied_board_kgco2e) ? ""
             : strcmp(r->kind, "board") == 0 ? "board"
                                             : "board-share"))) {
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

/* s in lowercase letters and digits only, vendor words kept: driver names
 * are compared whole, so that "NVIDIA H200" (what nvidia-smi prints for
 * the SXM part) finds that part while "H200" stays ambiguous. */
static void squeeze_all(const char *s, char *out, size_t size)
{
    size_t used = 0;
    for (; *s && used + 1 < size; s++)
        if (isalnum((unsigned char)*s))
            out[used++] = (char)tolower((unsigned char)*s);
    out[used] = '\0';
}

/* Calls fn(arg, alias) for each of the row's driver names. */
static void each_alias(size_t row, void (*fn)(void *, const char *), void *arg)
{
    const char *a = llmc__hw_aliases[row];
    char one[256];
    while (*a) {
        size_t len = strcspn(a, ";");
        if (len < sizeof one) {
            memcpy(one, a, len);
            one[len] = '\0';
            fn(arg, one);
        }
        a += len;
        if (*a == ';')
            a++;
    }
}

struct alias_query {
    const char *qsq; /* squeeze_all of the query */
    int found;
};

static void alias_compare(void *arg, const char *alias)
{
    struct alias_query *q = arg;
    char sq[256];
    squeeze_all(alias, sq, sizeof sq);
    if (*sq && strcmp(q->qsq, sq) == 0)
        q->found = 1;
}

struct alias_suggest {
    struct llmc__suggest *s;
    const char *qsq;
    const char *display;
};

static void alias_offer(void *arg, const char *alias)
{
    struct alias_suggest *a = arg;
    char sq[256];
    squeeze(alias, sq, sizeof sq);
    llmc__suggest_offer(a->s, a->qsq, sq, a->display);
}

/* The rows that name matches at the first stage that matches any, in
 * catalogue order, into hits (room for llmc__hw_count), their number in
 * *nhits. LLMC_OK when some row matches; otherwise the status, with the
 * message set. */
static int find_rows(const char *name, size_t *hits, size_t *nhits)
{
    char qwords[MAX_WORDS][WORD_LEN], nwords[MAX_WORDS][WORD_LEN];
    char qsq[256], qall[256], nsq[256];
    size_t nq;

    *nhits = 0;
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
    squeeze_all(name, qall, sizeof qall);

    for (int stage = 1; stage <= 4; stage++) {
        for (size_t i = 0; i < llmc__hw_count; i++) {
            const char *row = llmc__hw_rows[i].name;
            int match = 0;
            squeeze(row, nsq, sizeof nsq);
            if (stage == 1) {
                struct alias_query q = {qall, 0};
                each_alias(i, alias_compare, &q);
                match = strcmp(qsq, nsq) == 0 || q.found;
            } else if (stage <= 3) {
                match = words_match(qwords, nq, nwords,
                                    split_words(row, nwords), stage == 2);
            } else {
                match = strstr(nsq, qsq) != NULL;
            }
            if (match)
                hits[(*nhits)++] = i;
        }
        if (*nhits > 0)
            return LLMC_OK;
    }

    {
        struct llmc__suggest s = {0};
        char list[512];
        for (size_t i = 0; i < llmc__hw_count; i++) {
            struct alias_suggest a = {&s, qsq, llmc__hw_rows[i].name};
            squeeze(llmc__hw_rows[i].name, nsq, sizeof nsq);
            llmc__suggest_offer(&s, qsq, nsq, llmc__hw_rows[i].name);
            each_alias(i, alias_offer, &a);
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

LLMC_API int llmc_profile_lookup(llmc_profile **out, const char *name)
{
    size_t *hits, nhits;
    int rc;

    if (!out)
        return llmc__fail(LLMC_EINVAL, "out is NULL");
    *out = NULL;
    hits = malloc((llmc__hw_count ? llmc__hw_count : 1) * sizeof *hits);
    if (!hits)
        return llmc__fail(LLMC_ENOMEM, "out of memory");
    rc = find_rows(name, hits, &nhits);
    if (rc == LLMC_OK && nhits == 1)
        rc = profile_from_row(out, &llmc__hw_rows[hits[0]]);
    else if (rc == LLMC_OK)
        rc = report_ambiguous(name, hits, nhits);
    free(hits);
    return rc;
}

/*
 * Choosing among several rows by what the driver reports.
 *
 * Memory: vendors state HBM and GDDR sizes in binary units ("80GB" is what
 * NVML reports as 81559 or 81920 MiB, "180GB" as 183359 MiB), so the
 * reported size in GiB is compared with memory_gb. Power: a device's
 * default power limit is its rated TDP or board power. For each quantity
 * the rows nearest to the reported value stay, with some slack for
 * reserved memory and rounding; rows whose value no source gives cannot be
 * ruled out and stay too. A reported value far from every row (a capped
 * power limit, a partitioned GPU) decides nothing.
 */
#define MEMORY_SLACK_GIB 2.0 /* "80GB" parts report 79.6 to 80 GiB */
#define MEMORY_FIT 0.12      /* farthest a fitting row may be, relative */
#define POWER_SLACK 0.05     /* of the reported limit */
#define POWER_FIT 0.15

static double row_value(size_t row, int power)
{
    return power ? llmc__hw_rows[row].tdp_w : llmc__hw_rows[row].memory_gb;
}

/* Keeps in hits the rows that fit value. The nearest row always stays. */
static void narrow(size_t *hits, size_t *nhits, double value, int power)
{
    double best = INFINITY, slack, fit;
    size_t kept = 0;

    if (!isfinite(value) || value <= 0.0)
        return;
    for (size_t i = 0; i < *nhits; i++) {
        double v = row_value(hits[i], power);
        if (!isnan(v) && fabs(v - value) < best)
            best = fabs(v - value);
    }
    slack = power ? POWER_SLACK * value : MEMORY_SLACK_GIB;
    fit = (power ? POWER_FIT : MEMORY_FIT) * value;
    if (!(best <= fit))
        return;
    for (size_t i = 0; i < *nhits; i++) {
        double v = row_value(hits[i], power);
        if (isnan(v) || fabs(v - value) <= best + slack)
            hits[kept++] = hits[i];
    }
    *nhits = kept;
}

static void format_value(char *buf, size_t size, double value,
                         const char *unit, const char *missing)
{
    if (isfinite(value) && value > 0.0)
        snprintf(buf, size, "%.4g %s", value, unit);
    else
        snprintf(buf, size, "%s", missing);
}

static int not_a_size(double value)
{
    return isfinite(value) ? value < 0.0 : !isnan(value);
}

static int lookup_device(llmc_profile **out, const char *name,
                         double memory_gib,
                         double power_limit_w)
{
    size_t *hits, nhits;
    int rc;

    if (!out)
        return llmc__fail(LLMC_EINVAL, "out is NULL");
    *out = NULL;
    if (not_a_size(memory_gib))
        return llmc__fail(LLMC_ERANGE,
                          "memory_gib %g is not a size; give the device "
                          "memory in GiB, or NAN when it is unknown",
                          memory_gib);
    if (not_a_size(power_limit_w))
        return llmc__fail(LLMC_ERANGE,
                          "power_limit_w %g is not a power; give the "
                          "device's default power limit in W, or NAN when it "
                          "is unknown",
                          power_limit_w);
    hits = malloc((llmc__hw_count ? llmc__hw_count : 1) * sizeof *hits);
    if (!hits)
        return llmc__fail(LLMC_ENOMEM, "out of memory");
    rc = find_rows(name, hits, &nhits);
    if (rc == LLMC_ENOTFOUND) {
        /* AMD's tools name the form factor after the model: amd-smi's
         * PRODUCT_NAME "AMD Instinct MI350 OAM" (pasted in ROCm/rocm-systems
         * PR #2987), rocm-smi's card series "AMD Instinct MI300X OAM"; the
         * catalogue's names (and rocminfo's marketing name) do not */
        char bare[256];
        size_t n = strlen(name);
        while (n && isspace((unsigned char)name[n - 1]))
            n--;
        if (n > 4 && n < sizeof bare && strncasecmp(name + n - 4, " OAM", 4) == 0) {
            snprintf(bare, sizeof bare, "%.*s", (int)(n - 4), name);
            if (find_rows(bare, hits, &nhits) == LLMC_OK) {
                rc = LLMC_OK;
            } else {
                /* the message of the name as given */
                rc = find_rows(name, hits, &nhits);
            }
        }
    }
    if (rc == LLMC_OK && nhits > 1) {
        /* a driver reports one device, never a baseboard of eight */
        size_t kept = 0;
        for (size_t i = 0; i < nhits; i++)
            if (strcmp(llmc__hw_rows[hits[i]].kind, "board") != 0)
                hits[kept++] = hits[i];
        if (kept > 0)
            nhits = kept;
        narrow(hits, &nhits, memory_gib, 0);
        if (nhits > 1)
            narrow(hits, &nhits, power_limit_w, 1);
    }
    if (rc == LLMC_OK && nhits > 1) {
        /* say what each candidate has, so that the caller sees which
         * figure would tell them apart */
        char list[1024], mem[48], pow[48];
        size_t used = 0;
        list[0] = '\0';
        for (size_t i = 0; i < nhits && used < sizeof list; i++) {
            const struct llmc__hw_row *r = &llmc__hw_rows[hits[i]];
            int n;
            format_value(mem, sizeof mem, r->memory_gb, "GB",
                         "memory unknown");
            format_value(pow, sizeof pow, r->tdp_w, "W", "power unknown");
            n = snprintf(list + used, sizeof list - used, "%s'%s' (%s, %s)",
                         i ? ", " : "", r->name, mem, pow);
            if (n < 0)
                break;
            used += (size_t)n;
        }
        format_value(mem, sizeof mem, memory_gib, "GiB", "no memory size");
        format_value(pow, sizeof pow, power_limit_w, "W", "no power limit");
        free(hits);
        return llmc__fail(LLMC_EAMBIGUOUS,
                          "hardware '%s' with %s and %s matches %zu "
                          "profiles: %s; give the device's memory size and "
                          "default power limit, or more of the name",
                          name, mem, pow, nhits, list);
    }
    if (rc == LLMC_OK)
        rc = profile_from_row(out, &llmc__hw_rows[hits[0]]);
    free(hits);
    return rc;
}

/* A call that succeeds leaves the caller's llmc_last_error() as it was
 * (the sources tried and recovered from write their own). */
LLMC_API int llmc_profile_lookup_device(llmc_profile **out, const char *name,
                                        double memory_gib,
                                        double power_limit_w)
{
    struct llmc__error_saved saved;
    int rc;
    llmc__error_save(&saved);
    if ((rc = lookup_device(out, name, memory_gib, power_limit_w)) == LLMC_OK)
        llmc__error_restore(&saved);
    return rc;
}
