/*
 * estimate_json.c - an estimate as one JSON object: the results under their
 * unit-carrying keys, and every assumption with its source.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../core/internal.h"
#include "../core/json.h"
#include "../core/tables.h"
#include "../profile/profile.h"
#include "estimate.h"

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *hardware_json(const llmc_estimate *e)
{
    const llmc_profile *p = e->profile;
    if (!p)
        return json_null();
    return json_pack("{s:s, s:s, s:s, s:s, s:s}",
                     "name", llmc_profile_get_text(p, LLMC_PROFILE_NAME),
                     "vendor", llmc_profile_get_text(p, LLMC_PROFILE_VENDOR),
                     "kind", llmc_profile_get_text(p, LLMC_PROFILE_KIND),
                     "source", llmc_profile_get_text(p, LLMC_PROFILE_SOURCE),
                     "dataset", llmc__hw_dataset);
}

static json_t *energy_json(const llmc_estimate *e)
{
    char how[256];
    if (e->energy_j.set)
        return json_pack("{s:f, s:s}", "value_kwh", e->result.energy_kwh,
                         "source", "given (--energy)");
    snprintf(how, sizeof how, "power_w x device_hours = %.6g W x %.6g h",
             e->result.power_w, e->result.device_hours);
    return json_pack("{s:f, s:s}", "value_kwh", e->result.energy_kwh, "source",
                     how);
}

/* Which power stood for the device's, in words: "TDP", "typical: 0.76 of
 * TDP, ..." with its source, or "given (--power)"; NULL where the energy
 * was given. */
static int power_basis(char *buf, size_t size, const llmc_estimate *e)
{
    const struct llmc__power_typical_row *t = e->typical;
    double tdp;
    if (e->energy_j.set)
        return 0;
    if (e->power_w.set) {
        snprintf(buf, size, "given (--power)");
    } else if (!t) {
        snprintf(buf, size, "TDP");
    } else if (!isnan(t->fraction_of_tdp)) {
        snprintf(buf, size, "typical: %.6g of TDP, %s (%s scope), %s",
                 t->fraction_of_tdp, t->applies_to, t->scope, t->source);
    } else if (llmc_profile_get(&tdp, e->profile, LLMC_PROFILE_TDP_W) ==
                   LLMC_OK &&
               tdp > 0) {
        snprintf(buf, size,
                 "typical: %.6g W mean per device, %.3g of the %.6g W TDP, "
                 "%s scope, %s",
                 t->mean_w, t->mean_w / tdp, tdp, t->scope, t->source);
    } else {
        snprintf(buf, size, "typical: %.6g W mean per device, %s scope, %s",
                 t->mean_w, t->scope, t->source);
    }
    return 1;
}

static json_t *power_json(const llmc_estimate *e)
{
    char src[8192];
    if (e->energy_j.set)
        return json_null();
    if (e->power_w.set)
        return json_pack("{s:f, s:s}", "value_w", e->result.power_w, "source",
                         "given (--power)");
    if (e->typical) {
        int n = snprintf(src, sizeof src,
                         "typical training power of '%s' (--power typical): ",
                         llmc_profile_get_text(e->profile, LLMC_PROFILE_NAME));
        if (n > 0 && (size_t)n < sizeof src)
            power_basis(src + n, sizeof src - (size_t)n, e);
        return json_pack("{s:f, s:s}", "value_w", e->result.power_w,
                         "source", src);
    }
    {
        double pf = (e->power_factor.lo + e->power_factor.hi) / 2;
        int n = snprintf(src, sizeof src,
                         "TDP of '%s' from the hardware profile (its sources "
                         "are under assumptions.hardware.source) x power "
                         "factor %.3g (%s)",
                         llmc_profile_get_text(e->profile, LLMC_PROFILE_NAME),
                         pf,
                         e->power_factor.set
                             ? "given (--power-factor)"
                             : "default: the devices draw their TDP, an upper "
                               "bound; measured means run below it");
        if (e->overhead_w.set && n > 0 && (size_t)n < sizeof src)
            snprintf(src + n, sizeof src - (size_t)n,
                     ", plus %.6g W per device for host, CPU and network "
                     "(--overhead-power)",
                     (e->overhead_w.lo + e->overhead_w.hi) / 2);
    }
    return json_pack("{s:f, s:s}", "value_w", e->result.power_w, "source", src);
}

static json_t *device_hours_json(const llmc_estimate *e)
{
    char src[128];
    if (e->device_s_used <= 0.0)
        return json_null();
    if (e->device_s.set)
        snprintf(src, sizeof src, "given (--device-hours)");
    else if (e->flops_from != LLMC__FLOPS_NONE)
        snprintf(src, sizeof src,
                 "flops / (peak x mfu) = %.6g / (%.6g FLOP/s x %.3g)",
                 e->result.flops, e->peak_flops, (e->mfu.lo + e->mfu.hi) / 2);
    else
        snprintf(src, sizeof src, "count x hours = %lld x %.6g h", e->count,
                 (e->hours_s.lo + e->hours_s.hi) / 2 / 3600.0);
    return json_pack("{s:f, s:s}", "value_h", e->result.device_hours, "source",
                     src);
}

static json_t *pue_json(const llmc_estimate *e)
{
    return json_pack("{s:f, s:s}", "value", e->result.pue, "source",
                     e->pue.set ? "given (--pue)"
                                 : "default 1.0: no data-centre overhead is "
                                   "counted; pass --pue for your site");
}

static json_t *intensity_json(const llmc_estimate *e)
{
    const llmc_intensity *ci = &e->intensity_answer;
    json_t *o = json_pack("{s:f, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                          "value_gco2e_per_kwh", ci->gco2e_per_kwh,
                          "spec", llmc_grid_spec(e->grid),
                          "zone", ci->zone ? ci->zone : "",
                          "source", ci->source ? ci->source : "",
                          "basis", llmc_basis_name(ci->basis),
                          "dataset", ci->dataset ? ci->dataset : "",
                          "provenance", ci->provenance ? ci->provenance : "",
                          "licence", ci->licence ? ci->licence : "");
    if (o && json_object_set_new(o, "year", ci->year ? json_integer(ci->year)
                                                     : json_null()) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *embodied_json(const llmc_estimate *e)
{
    json_t *o;
    const char *basis = "", *source = "", *lsource = "";
    const char *scope = llmc__scope_name(e->embodied_scope);
    if (!e->result.embodied_included)
        return json_pack("{s:b, s:s, s:s, s:n}", "included", 0, "note",
                         e->embodied_note, "scope", scope, "method");
    if (e->embodied_mode == LLMC__EMBODIED_OVERRIDE) {
        source = "given (--embodied)";
    } else if (e->profile->from_catalogue) {
        source = "the bundled embodied table (data/embodied.csv, model "
                 "parameters in data/embodied_model.csv, dies of multi-die "
                 "parts in data/dies.csv)";
    } else {
        source = llmc_profile_get_text(e->profile, LLMC_PROFILE_SOURCE);
    }
    /* the basis names the scope in the words embodied_basis uses */
    basis = llmc__scope_basis(e->profile, e->embodied_scope);
    if (e->lifetime_s.set)
        lsource = "given (--lifetime)";
    else if (e->lifetime_from_profile)
        lsource = llmc_profile_get_text(e->profile, LLMC_PROFILE_LIFETIME_SOURCE);
    else
        lsource = LLMC__DEFAULT_LIFETIME_SOURCE;
    if (!*lsource)
        lsource = "the hardware profile";
    o = json_pack("{s:b, s:f, s:s, s:s, s:s, s:s, s:f, s:s}", "included", 1,
                  "kgco2e_per_device", e->embodied_per_device_kgco2e, "scope",
                  scope, "method", e->embodied_method, "basis", basis,
                  "source", source, "lifetime_years",
                  e->lifetime_s_used / LLMC__SECONDS_PER_YEAR, "lifetime_source",
                  lsource);
    return o;
}

static json_t *compute_json(const llmc_estimate *e)
{
    char src[512];
    double mfu = (e->mfu.lo + e->mfu.hi) / 2;
    if (e->flops_from == LLMC__FLOPS_NONE)
        return json_null();
    if (e->flops_from == LLMC__FLOPS_LAYERS)
        snprintf(src, sizeof src,
                 "%d x tokens x layers x hidden^2 x (1 + seq_len / 6 hidden + "
                 "vocab / %d layers hidden) with layers %.6g, hidden %.6g, "
                 "seq_len %.6g, vocab %.6g (Narayanan et al. 2021, SC21, "
                 "%s)",
                 e->recompute ? 96 : 72, e->recompute ? 16 : 12, e->layers,
                 e->hidden, e->seq_len, e->vocab,
                 e->recompute
                     ? "eq. 3, with activation recomputation: the FLOPs "
                       "include the recomputed forward, so the mfu is a "
                       "hardware FLOPs utilisation"
                     : "sec. 5.1 counts, forward and backward without "
                       "activation recomputation");
    else
        snprintf(src, sizeof src,
                 "6 x %s x tokens = 6 x %.6g x %.6g (Kaplan et al. 2020, "
                 "C = 6ND)",
                 e->active_params.set ? "active params" : "params",
                 e->active_params.set
                     ? (e->active_params.lo + e->active_params.hi) / 2
                     : (e->params.lo + e->params.hi) / 2,
                 (e->tokens.lo + e->tokens.hi) / 2);
    return json_pack("{s:f, s:s, s:s, s:f, s:f, s:s}", "flops", e->result.flops,
                     "source", src, "precision",
                     llmc__precision_name(e->precision
                                              ? e->precision
                                              : LLMC_PROFILE_PEAK_BF16_FLOPS),
                     "peak_flops_per_device", e->peak_flops, "mfu", mfu,
                     "mfu_source", "given (--mfu)");
}

/* The embodied figure: a number where it is included, null where it is
 * not (unknown or left out, never 0); embodied_note says why. */
static json_t *embodied_or_null(const llmc_estimate *e, double kgco2e)
{
    return e->result.embodied_included ? json_real(kgco2e) : json_null();
}

static json_t *range_json(const llmc_estimate *e)
{
    const llmc_estimate_result *a = &e->low, *b = &e->high;
    if (!e->ranged)
        return json_null();
    return json_pack(
        "{s:[f,f], s:[f,f], s:[f,f], s:[f,f], s:[f,f], s:[o,o], s:[f,f], "
        "s:[f,f]}",
        "energy_kwh", a->energy_kwh, b->energy_kwh, "device_hours",
        a->device_hours, b->device_hours, "days", a->days, b->days, "flops",
        a->flops, b->flops, "operational_kgco2e", a->operational_kgco2e,
        b->operational_kgco2e, "embodied_kgco2e",
        embodied_or_null(e, a->embodied_kgco2e),
        embodied_or_null(e, b->embodied_kgco2e), "total_kgco2e",
        a->total_kgco2e, b->total_kgco2e, "gco2e_per_mtoken",
        a->gco2e_per_mtoken, b->gco2e_per_mtoken);
}

LLMC_API int llmc_estimate_json(char **out_json, const llmc_estimate *e)
{
    const llmc_estimate_result *r;
    json_t *root, *assumptions;
    char basis[8192];

    if (!out_json || !e)
        return llmc__fail(LLMC_EINVAL, "out_json or estimate is NULL");
    *out_json = NULL;
    if (!e->computed)
        return llmc__fail(LLMC_ESTATE,
                          "the estimate has not been computed since its last "
                          "change; call llmc_estimate_compute first");
    r = &e->result;
    assumptions = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                            "compute", compute_json(e),
                            "energy", energy_json(e),
                            "hardware", hardware_json(e),
                            "power", power_json(e),
                            "device_hours", device_hours_json(e),
                            "pue", pue_json(e),
                            "intensity", intensity_json(e),
                            "embodied", embodied_json(e));
    if (!assumptions)
        return llmc__fail(LLMC_ENOMEM, "out of memory building JSON");
    /* without embodied carbon the total is the operational figure, and
     * embodied_included and embodied_note say so */
    root = json_pack("{s:f, s:f, s:o, s:o, s:f, s:f, s:f, s:o, s:b, s:o, s:f, "
                     "s:o}",
                     "energy_kwh", r->energy_kwh,
                     "facility_energy_kwh", r->facility_energy_kwh,
                     "device_hours",
                     e->device_s_used > 0.0 ? json_real(r->device_hours)
                                            : json_null(),
                     "power_w", e->energy_j.set ? json_null()
                                               : num_or_null(r->power_w),
                     "pue", r->pue,
                     "intensity_gco2e_per_kwh", r->intensity_gco2e_per_kwh,
                     "operational_kgco2e", r->operational_kgco2e,
                     "embodied_kgco2e",
                     embodied_or_null(e, r->embodied_kgco2e),
                     "embodied_included", r->embodied_included,
                     "embodied_note", r->embodied_included
                                          ? json_null()
                                          : json_string(e->embodied_note),
                     "total_kgco2e", r->total_kgco2e,
                     "assumptions", assumptions);
    /* json_object_set_new fails on a NULL value, so one test covers both
     * the value and the insertion */
    if (root &&
        (json_object_set_new(root, "flops", r->flops > 0 ? json_real(r->flops)
                                                         : json_null()) != 0 ||
         json_object_set_new(root, "days", r->days > 0 ? json_real(r->days)
                                                       : json_null()) != 0 ||
         json_object_set_new(root, "embodied_scope",
                             json_string(llmc__scope_name(
                                 e->embodied_scope))) != 0 ||
         json_object_set_new(root, "embodied_method",
                             r->embodied_included
                                 ? json_string(e->embodied_method)
                                 : json_null()) != 0 ||
         json_object_set_new(root, "gco2e_per_mtoken",
                             e->tokens.set ? json_real(r->gco2e_per_mtoken)
                                           : json_null()) != 0 ||
         json_object_set_new(root, "range", range_json(e)) != 0 ||
         json_object_set_new(root, "power_basis",
                             power_basis(basis, sizeof basis, e)
                                 ? json_string(basis)
                                 : json_null()) != 0)) {
        json_decref(root);
        root = NULL;
    }
    if (!root)
        return llmc__fail(LLMC_ENOMEM, "out of memory building JSON");
    *out_json = llmc__json_text(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                          JSON_REAL_PRECISION(15));
    json_decref(root);
    if (!*out_json)
        return llmc__fail(LLMC_ENOMEM, "out of memory writing JSON");
    return LLMC_OK;
}
