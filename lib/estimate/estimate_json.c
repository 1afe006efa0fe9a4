/*
 * estimate_json.c - an estimate as one JSON object: the results under their
 * unit-carrying keys, and every assumption with its source.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../core/internal.h"
#include "../core/tables.h"
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
    if (e->have_energy)
        return json_pack("{s:f, s:s}", "value_kwh", e->result.energy_kwh,
                         "source", "given (--energy)");
    snprintf(how, sizeof how, "power_w x device_hours = %.6g W x %.6g h",
             e->result.power_w, e->result.device_hours);
    return json_pack("{s:f, s:s}", "value_kwh", e->result.energy_kwh, "source",
                     how);
}

static json_t *power_json(const llmc_estimate *e)
{
    char src[1024];
    if (e->have_energy)
        return json_null();
    if (e->have_power)
        return json_pack("{s:f, s:s}", "value_w", e->result.power_w, "source",
                         "given (--power)");
    snprintf(src, sizeof src,
             "TDP of '%s' from the hardware profile (its sources are under "
             "assumptions.hardware.source)",
             llmc_profile_get_text(e->profile, LLMC_PROFILE_NAME));
    return json_pack("{s:f, s:s}", "value_w", e->result.power_w, "source", src);
}

static json_t *device_hours_json(const llmc_estimate *e)
{
    char src[128];
    if (e->device_s_used <= 0.0)
        return json_null();
    if (e->have_device_hours)
        snprintf(src, sizeof src, "given (--device-hours)");
    else
        snprintf(src, sizeof src, "count x hours = %lld x %.6g h", e->count,
                 e->hours_s / 3600.0);
    return json_pack("{s:f, s:s}", "value_h", e->result.device_hours, "source",
                     src);
}

static json_t *pue_json(const llmc_estimate *e)
{
    return json_pack("{s:f, s:s}", "value", e->pue, "source",
                     e->have_pue ? "given (--pue)"
                                 : "default 1.0: no data-centre overhead is "
                                   "counted; pass --pue for your site");
}

static json_t *intensity_json(const llmc_estimate *e)
{
    const llmc_intensity *ci = &e->intensity;
    json_t *o = json_pack("{s:f, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                          "value_gco2e_per_kwh", ci->gco2e_per_kwh,
                          "spec", llmc_grid_spec(e->grid),
                          "zone", ci->zone ? ci->zone : "",
                          "source", ci->source ? ci->source : "",
                          "basis", llmc_basis_name(ci->basis),
                          "dataset", ci->dataset ? ci->dataset : "",
                          "provenance", ci->provenance ? ci->provenance : "",
                          "licence", ci->licence ? ci->licence : "");
    if (o)
        json_object_set_new(o, "year",
                            ci->year ? json_integer(ci->year) : json_null());
    return o;
}

static json_t *embodied_json(const llmc_estimate *e)
{
    json_t *o;
    const char *basis = "", *source = "", *lsource = "";
    if (!e->result.embodied_included)
        return json_pack("{s:b, s:s}", "included", 0, "note", e->embodied_note);
    if (e->embodied_mode == LLMC__EMBODIED_OVERRIDE) {
        source = "given (--embodied)";
    } else {
        basis = llmc_profile_get_text(e->profile, LLMC_PROFILE_EMBODIED_BASIS);
        source = llmc_profile_get_text(e->profile, LLMC_PROFILE_SOURCE);
    }
    if (e->have_lifetime)
        lsource = "given (--lifetime)";
    else if (e->lifetime_from_profile)
        lsource = llmc_profile_get_text(e->profile, LLMC_PROFILE_LIFETIME_SOURCE);
    else
        lsource = LLMC__DEFAULT_LIFETIME_SOURCE;
    if (!*lsource)
        lsource = "the hardware profile";
    o = json_pack("{s:b, s:f, s:s, s:s, s:f, s:s}", "included", 1,
                  "kgco2e_per_device", e->embodied_per_device_kgco2e, "basis",
                  basis, "source", source, "lifetime_years",
                  e->lifetime_s_used / LLMC__SECONDS_PER_YEAR, "lifetime_source",
                  lsource);
    return o;
}

LLMC_API int llmc_estimate_json(char **out_json, const llmc_estimate *e)
{
    const llmc_estimate_result *r;
    json_t *root, *assumptions;
    char *text;

    if (!out_json || !e)
        return llmc__fail(LLMC_EINVAL, "out_json or estimate is NULL");
    *out_json = NULL;
    if (!e->computed)
        return llmc__fail(LLMC_ESTATE,
                          "the estimate has not been computed since its last "
                          "change; call llmc_estimate_compute first");
    r = &e->result;
    assumptions = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                            "energy", energy_json(e),
                            "hardware", hardware_json(e),
                            "power", power_json(e),
                            "device_hours", device_hours_json(e),
                            "pue", pue_json(e),
                            "intensity", intensity_json(e),
                            "embodied", embodied_json(e));
    if (!assumptions)
        return llmc__fail(LLMC_ENOMEM, "out of memory building JSON");
    root = json_pack("{s:f, s:f, s:o, s:o, s:f, s:f, s:f, s:f, s:b, s:f, s:o}",
                     "energy_kwh", r->energy_kwh,
                     "facility_energy_kwh", r->facility_energy_kwh,
                     "device_hours",
                     e->device_s_used > 0.0 ? json_real(r->device_hours)
                                            : json_null(),
                     "power_w", e->have_energy ? json_null()
                                               : num_or_null(r->power_w),
                     "pue", r->pue,
                     "intensity_gco2e_per_kwh", r->intensity_gco2e_per_kwh,
                     "operational_kgco2e", r->operational_kgco2e,
                     "embodied_kgco2e", r->embodied_kgco2e,
                     "embodied_included", r->embodied_included,
                     "total_kgco2e", r->total_kgco2e,
                     "assumptions", assumptions);
    if (!root)
        return llmc__fail(LLMC_ENOMEM, "out of memory building JSON");
    text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                JSON_REAL_PRECISION(15));
    json_decref(root);
    if (!text)
        return llmc__fail(LLMC_ENOMEM, "out of memory writing JSON");
    /* The host may have given jansson other allocators; hand out memory
     * that llmc_free (plain free) can release. */
    {
        json_malloc_t jmalloc;
        json_free_t jfree;
        json_get_alloc_funcs(&jmalloc, &jfree);
        *out_json = llmc__strdup(text);
        jfree(text);
    }
    if (!*out_json)
        return llmc__fail(LLMC_ENOMEM, "out of memory writing JSON");
    return LLMC_OK;
}
