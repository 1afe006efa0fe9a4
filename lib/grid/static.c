/*
 * static.c - the bundled yearly grid-intensity table: zone lookup in every
 * form users write (FR, FRA, France, us-ca, gcp:europe-west1) and the
 * provenance that comes with each value.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "../core/internal.h"
#include "../core/suggest.h"
#include "grid.h"

/* Common names that are not the table's keys. */
static const struct {
    const char *alias;
    const char *zone;
} aliases[] = {
    {"UK", "GBR"},    /* GB is ISO 3166-1; UK is what people write */
    {"CA-MB", "CA-MT"}, /* ISO 3166-2 Manitoba; the table's key is CA-MT */
    {"GLOBAL", "WORLD"},
    /* everyday names where the ISO short name differs */
    {"South Korea", "KOR"},
    {"Korea", "KOR"},
    {"Russia", "RUS"},
    {"Iran", "IRN"},
    {"Turkey", "TUR"},
    {"Taiwan", "TWN"},
    {"Vietnam", "VNM"},
    {"Venezuela", "VEN"},
    {"Laos", "LAO"},
    {"Czech Republic", "CZE"},
    {"USA", "USA"},
    {"United States of America", "USA"},
    {"Great Britain", "GBR"},
    {"Britain", "GBR"},
    {"England", "GBR"},
};

/* Equal once case and everything but letters and digits are ignored. */
static int same_words(const char *a, const char *b)
{
    char *na = llmc__normalize(a), *nb = llmc__normalize(b);
    int same = na && nb && *na && strcmp(na, nb) == 0;
    llmc__free_norm(na);
    llmc__free_norm(nb);
    return same;
}

static const struct llmc__zone_row *row_by_key(const char *key)
{
    for (size_t i = 0; i < llmc__zone_count; i++)
        if (llmc__strcaseeq(llmc__zone_rows[i].zone, key))
            return &llmc__zone_rows[i];
    return NULL;
}

static const struct llmc__country *country_by_code_or_name(const char *s)
{
    char *norm = llmc__normalize(s);
    const struct llmc__country *hit = NULL;
    for (size_t i = 0; i < llmc__country_count && !hit; i++) {
        const struct llmc__country *c = &llmc__countries[i];
        if (llmc__strcaseeq(c->alpha2, s) || llmc__strcaseeq(c->alpha3, s))
            hit = c;
        else if (norm && *norm) {
            char *cn = llmc__normalize(c->name);
            if (cn && strcmp(cn, norm) == 0)
                hit = c;
            llmc__free_norm(cn);
        }
    }
    llmc__free_norm(norm);
    return hit;
}

static int not_found(const char *zone, const struct llmc__country *country)
{
    struct llmc__suggest s = {0};
    char list[512], *q = llmc__normalize(zone);

    if (q) {
        for (size_t i = 0; i < llmc__zone_count; i++) {
            char *k = llmc__normalize(llmc__zone_rows[i].zone);
            if (k)
                llmc__suggest_offer(&s, q, k, llmc__zone_rows[i].zone);
            llmc__free_norm(k);
        }
        for (size_t i = 0; i < llmc__country_count; i++) {
            const struct llmc__country *c = &llmc__countries[i];
            char *n = llmc__normalize(c->name);
            if (n && row_by_key(c->alpha3))
                llmc__suggest_offer(&s, q, n, c->alpha3);
            llmc__free_norm(n);
        }
    }
    llmc__free_norm(q);
    llmc__suggest_format(&s, list, sizeof list);
    if (country)
        return llmc__fail(LLMC_ENOTFOUND,
                          "zone '%s' (%s) is not in the bundled table; give "
                          "the intensity with --intensity, or see `llmcarbon "
                          "grid list`",
                          zone, country->name);
    if (*list)
        return llmc__fail(LLMC_ENOTFOUND,
                          "zone '%s' is not in the bundled table; did you mean "
                          "%s? See `llmcarbon grid list`",
                          zone, list);
    return llmc__fail(LLMC_ENOTFOUND,
                      "zone '%s' is not in the bundled table; see `llmcarbon "
                      "grid list`",
                      zone);
}

int llmc__zone_resolve(const struct llmc__zone_row **out, const char *zone)
{
    const struct llmc__zone_row *row;
    const struct llmc__country *c;

    if (!zone || !*zone)
        return llmc__fail(LLMC_EINVAL,
                          "no zone given; write e.g. 'FR', 'US-CA' or "
                          "'gcp:europe-west1'");
    if ((row = row_by_key(zone)) != NULL) {
        *out = row;
        return LLMC_OK;
    }
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (same_words(aliases[i].alias, zone) &&
            (row = row_by_key(aliases[i].zone)) != NULL) {
            *out = row;
            return LLMC_OK;
        }
    c = country_by_code_or_name(zone);
    if (c && (row = row_by_key(c->alpha3)) != NULL) {
        *out = row;
        return LLMC_OK;
    }
    return not_found(zone, c);
}

static llmc_basis basis_of(int b)
{
    return b >= LLMC_BASIS_LIFECYCLE && b <= LLMC_BASIS_MARGINAL
               ? (llmc_basis)b
               : LLMC_BASIS_UNSPECIFIED;
}

void llmc__zone_answer(llmc_intensity *full, const struct llmc__zone_row *row)
{
    memset(full, 0, sizeof *full);
    full->size = sizeof *full;
    full->gco2e_per_kwh = row->gco2e_per_kwh;
    full->basis = basis_of(row->basis);
    full->year = row->year;
    full->zone = row->zone;
    full->source = "static";
    full->dataset = llmc__grid_dataset;
    full->provenance = row->source;
    full->licence = row->licence;
    full->fallback = "";
}

int llmc__intensity_copy_out(llmc_intensity *out, const llmc_intensity *full)
{
    return llmc__versioned_copy(out, full, sizeof *full,
                                LLMC__FIELD_END(llmc_intensity, gco2e_per_kwh),
                                "llmc_intensity");
}

LLMC_API void llmc_intensity_init(llmc_intensity *out, size_t size)
{
    llmc__versioned_init(out, size);
}

LLMC_API const char *llmc_basis_name(llmc_basis basis)
{
    switch (basis) {
    case LLMC_BASIS_LIFECYCLE: return "lifecycle";
    case LLMC_BASIS_DIRECT: return "direct";
    case LLMC_BASIS_OPERATIONAL_GENERATION: return "operational-generation";
    case LLMC_BASIS_MARGINAL: return "marginal";
    case LLMC_BASIS_UNSPECIFIED: break;
    }
    return "unspecified";
}

LLMC_API size_t llmc_grid_zone_count(void)
{
    return llmc__zone_count;
}

LLMC_API int llmc_grid_zone_get(llmc_intensity *out, const char **out_kind,
                                size_t index)
{
    llmc_intensity full;
    if (!out)
        return llmc__fail(LLMC_EINVAL, "out is NULL");
    if (index >= llmc__zone_count)
        return llmc__fail(LLMC_ERANGE,
                          "zone index %zu is past the table's %zu zones", index,
                          llmc__zone_count);
    llmc__zone_answer(&full, &llmc__zone_rows[index]);
    if (out_kind)
        *out_kind = llmc__zone_rows[index].kind;
    return llmc__intensity_copy_out(out, &full);
}
