/*
 * estimate.c - energy and CO2e of a run from what is known about it: the
 * energy itself, or hardware x count x hours (or device-hours) x power; then
 * PUE and grid intensity, and the embodied share of the devices.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/internal.h"
#include "estimate.h"

LLMC_API void llmc_estimate_result_init(llmc_estimate_result *out,
                                        size_t size)
{
    /* size is the caller's sizeof, which may differ from this library's */
    if (!out || size < sizeof out->size || size > UINT32_MAX)
        return;
    memset(out, 0, size);
    out->size = (uint32_t)size;
}

LLMC_API int llmc_estimate_new(llmc_estimate **out)
{
    llmc_estimate *e;
    if (!out)
        return llmc__fail(LLMC_EINVAL, "out is NULL");
    *out = NULL;
    if (!(e = calloc(1, sizeof *e)))
        return llmc__fail(LLMC_ENOMEM, "out of memory for an estimate");
    e->count = 1;
    e->pue = LLMC__DEFAULT_PUE;
    *out = e;
    return LLMC_OK;
}

LLMC_API void llmc_estimate_free(llmc_estimate *estimate)
{
    if (!estimate)
        return;
    llmc_profile_free(estimate->profile);
    llmc_grid_free(estimate->grid);
    free(estimate);
}

static const char *const keys[] = {
    "energy", "hardware", "count", "hours", "device_hours", "power", "pue",
    "zone", "intensity", "grid", "embodied", "no_embodied", "lifetime"};

static void canonical_key(char *buf, size_t size, const char *key)
{
    size_t n = 0;
    while (*key == '-')
        key++;
    for (; *key && n + 1 < size; key++)
        buf[n++] = *key == '-' ? '_' : (char)tolower((unsigned char)*key);
    buf[n] = '\0';
}

static const char *flag_of(enum llmc__grid_key k)
{
    switch (k) {
    case LLMC__GRID_ZONE: return "--zone";
    case LLMC__GRID_INTENSITY: return "--intensity";
    case LLMC__GRID_SPEC: return "--grid";
    case LLMC__GRID_HANDLE: return "llmc_estimate_set_grid";
    case LLMC__GRID_NONE: break;
    }
    return "";
}

static int take_grid(llmc_estimate *e, llmc_grid *g, enum llmc__grid_key k)
{
    if (e->grid_key != LLMC__GRID_NONE && e->grid_key != k) {
        const char *was = flag_of(e->grid_key);
        llmc_grid_free(g);
        return llmc__fail(LLMC_EINVAL,
                          "the grid intensity is already given by %s; give "
                          "only one of --zone, --intensity and --grid",
                          was);
    }
    llmc_grid_free(e->grid);
    e->grid = g;
    e->grid_key = k;
    return LLMC_OK;
}

/* Words only: "1" and "0" are masses for the embodied key (1 kg, 0 kg). */
static int parse_bool(int *out, const char *v)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    for (size_t i = 0; i < 3; i++) {
        if (llmc__strcaseeq(v, yes[i])) {
            *out = 1;
            return 1;
        }
        if (llmc__strcaseeq(v, no[i])) {
            *out = 0;
            return 1;
        }
    }
    return 0;
}

static int parse_count(long long *out, const char *v)
{
    char *end;
    long long n;
    const char *p = v;
    while (isspace((unsigned char)*p))
        p++;
    if (!isdigit((unsigned char)*p))
        return llmc__fail(*p == '-' ? LLMC_ERANGE : LLMC_EPARSE,
                          "count '%s' is not a whole number of devices of 1 "
                          "or more",
                          v);
    errno = 0;
    n = strtoll(p, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (*end)
        return llmc__fail(LLMC_EPARSE,
                          "count '%s' is not a whole number of devices "
                          "(trailing '%s')",
                          v, end);
    if (errno == ERANGE || n < 1 || n > 100000000LL)
        return llmc__fail(LLMC_ERANGE,
                          "count '%s' is out of range; give 1 to 100000000 "
                          "devices",
                          v);
    *out = n;
    return LLMC_OK;
}

static int set_one(llmc_estimate *e, const char *key, const char *value)
{
    char k[32];
    double v;
    int rc, b;

    canonical_key(k, sizeof k, key);

    if (strcmp(k, "energy") == 0) {
        if ((rc = llmc_quantity_parse(&v, LLMC_DIM_ENERGY, value, "kWh")))
            return rc;
        e->energy_j = v;
        e->have_energy = 1;
    } else if (strcmp(k, "hardware") == 0) {
        llmc_profile *p;
        if ((rc = llmc_profile_lookup(&p, value)))
            return rc;
        llmc_profile_free(e->profile);
        e->profile = p;
    } else if (strcmp(k, "count") == 0) {
        if ((rc = parse_count(&e->count, value)))
            return rc;
        e->have_count = 1;
    } else if (strcmp(k, "hours") == 0) {
        if ((rc = llmc_quantity_parse(&v, LLMC_DIM_DURATION, value, "h")))
            return rc;
        e->hours_s = v;
        e->have_hours = 1;
    } else if (strcmp(k, "device_hours") == 0) {
        if ((rc = llmc_quantity_parse(&v, LLMC_DIM_DURATION, value, "h")))
            return rc;
        e->device_s = v;
        e->have_device_hours = 1;
    } else if (strcmp(k, "power") == 0) {
        if ((rc = llmc_quantity_parse(&v, LLMC_DIM_POWER, value, "W")))
            return rc;
        e->power_w = v;
        e->have_power = 1;
    } else if (strcmp(k, "pue") == 0) {
        if ((rc = llmc_quantity_parse(&v, LLMC_DIM_PUE, value, NULL)))
            return rc;
        e->pue = v;
        e->have_pue = 1;
    } else if (strcmp(k, "zone") == 0) {
        llmc_grid *g;
        if (strchr(value, ',') || llmc__strcaseeq(value, "const") ||
            strncmp(value, "const:", 6) == 0)
            return llmc__fail(LLMC_EINVAL,
                              "zone '%s' is not a zone; use --intensity for a "
                              "constant or --grid for a source spec",
                              value);
        if ((rc = llmc_grid_new(&g, value)))
            return rc;
        return take_grid(e, g, LLMC__GRID_ZONE);
    } else if (strcmp(k, "intensity") == 0) {
        llmc_grid *g;
        if ((rc = llmc_quantity_parse(&v, LLMC_DIM_INTENSITY, value,
                                      "gCO2e/kWh")) ||
            (rc = llmc_grid_new_const(&g, v)))
            return rc;
        return take_grid(e, g, LLMC__GRID_INTENSITY);
    } else if (strcmp(k, "grid") == 0) {
        llmc_grid *g;
        if ((rc = llmc_grid_new(&g, value)))
            return rc;
        return take_grid(e, g, LLMC__GRID_SPEC);
    } else if (strcmp(k, "embodied") == 0) {
        if (parse_bool(&b, value)) {
            e->embodied_mode = b ? LLMC__EMBODIED_AUTO : LLMC__EMBODIED_OFF;
        } else {
            if ((rc = llmc_quantity_parse(&v, LLMC_DIM_MASS, value, "kg")))
                return rc;
            e->embodied_mode = LLMC__EMBODIED_OVERRIDE;
            e->embodied_override_kgco2e = v;
        }
    } else if (strcmp(k, "no_embodied") == 0) {
        if (!parse_bool(&b, value))
            return llmc__fail(LLMC_EPARSE,
                              "no_embodied takes true or false, not '%s'",
                              value);
        e->embodied_mode = b ? LLMC__EMBODIED_OFF : LLMC__EMBODIED_AUTO;
    } else if (strcmp(k, "lifetime") == 0) {
        if ((rc = llmc_quantity_parse(&v, LLMC_DIM_DURATION, value, "y")))
            return rc;
        if (v <= 0.0)
            return llmc__fail(LLMC_ERANGE,
                              "lifetime '%s' is not above 0; embodied carbon "
                              "is amortised over the lifetime",
                              value);
        e->lifetime_s = v;
        e->have_lifetime = 1;
    } else {
        char list[256];
        size_t used = 0;
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                     i ? ", " : "", keys[i]);
        return llmc__fail(LLMC_EINVAL,
                          "'%s' is not an estimate input; use one of: %s", key,
                          list);
    }
    return LLMC_OK;
}

LLMC_API int llmc_estimate_set(llmc_estimate *e, const char *key,
                               const char *value)
{
    int rc;
    if (!e || !key || !value)
        return llmc__fail(LLMC_EINVAL, "estimate, key or value is NULL");
    /* a refused input leaves the estimate, and its last result, as they were */
    if ((rc = set_one(e, key, value)) == LLMC_OK)
        e->computed = 0;
    return rc;
}

LLMC_API int llmc_estimate_set_profile(llmc_estimate *e, llmc_profile *profile)
{
    if (!e || !profile)
        return llmc__fail(LLMC_EINVAL, "estimate or profile is NULL");
    llmc_profile_ref(profile);
    llmc_profile_free(e->profile);
    e->profile = profile;
    e->computed = 0;
    return LLMC_OK;
}

LLMC_API int llmc_estimate_set_grid(llmc_estimate *e, llmc_grid *grid)
{
    int rc;
    if (!e || !grid)
        return llmc__fail(LLMC_EINVAL, "estimate or grid is NULL");
    llmc_grid_ref(grid);
    if ((rc = take_grid(e, grid, LLMC__GRID_HANDLE)) == LLMC_OK)
        e->computed = 0;
    return rc;
}

/* Device time in seconds from --device-hours or --count x --hours; 0 when
 * neither was given. */
static int device_time(double *out, const llmc_estimate *e)
{
    if (e->have_device_hours && e->have_hours)
        return llmc__fail(LLMC_EINVAL,
                          "both --hours and --device-hours are given; give "
                          "--hours (wall-clock, with --count) or "
                          "--device-hours, not both");
    if (e->have_device_hours && e->have_count)
        return llmc__fail(LLMC_EINVAL,
                          "--count goes with --hours (wall-clock); "
                          "--device-hours already counts every device");
    if (e->have_count && !e->have_hours)
        return llmc__fail(LLMC_EINVAL,
                          "--count goes with --hours (wall-clock); without "
                          "--hours it would change nothing");
    if (e->have_device_hours)
        *out = e->device_s;
    else if (e->have_hours)
        *out = e->hours_s * (double)e->count;
    else
        *out = 0.0;
    return LLMC_OK;
}

static int compute_energy(llmc_estimate *e, double device_s)
{
    if (e->have_energy) {
        if (e->have_power)
            return llmc__fail(LLMC_EINVAL,
                              "both --energy and --power are given; the "
                              "energy is used as given, so drop --power (or "
                              "--energy)");
        e->result.energy_kwh = e->energy_j / LLMC__J_PER_KWH;
        return LLMC_OK;
    }
    if (!e->have_power && !e->profile)
        return llmc__fail(LLMC_EINVAL,
                          "nothing to estimate from; give --energy, or "
                          "--hardware (or --power) with --hours or "
                          "--device-hours");
    if (device_s <= 0.0 && !e->have_hours && !e->have_device_hours)
        return llmc__fail(LLMC_EINVAL,
                          "how long did it run? give --hours (wall-clock, "
                          "with --count) or --device-hours");
    if (e->have_power) {
        e->result.power_w = e->power_w;
    } else {
        double tdp;
        if (llmc_profile_get(&tdp, e->profile, LLMC_PROFILE_TDP_W) != LLMC_OK)
            return llmc__fail(LLMC_ENODATA,
                              "'%s' has no TDP in the catalogue (no source "
                              "gives it); pass --power with the power per "
                              "device",
                              llmc_profile_get_text(e->profile,
                                                    LLMC_PROFILE_NAME));
        e->result.power_w = tdp;
    }
    e->result.energy_kwh = e->result.power_w * device_s / LLMC__J_PER_KWH;
    return LLMC_OK;
}

static void compute_embodied(llmc_estimate *e, double device_s)
{
    double per_device, lifetime;

    e->result.embodied_kgco2e = 0.0;
    e->result.embodied_included = 0;
    e->embodied_per_device_kgco2e = NAN;
    e->lifetime_s_used = NAN;
    e->embodied_note[0] = '\0';

    if (e->embodied_mode == LLMC__EMBODIED_OFF) {
        snprintf(e->embodied_note, sizeof e->embodied_note,
                 "left out on request (--no-embodied)");
        return;
    }
    if (device_s <= 0.0) {
        snprintf(e->embodied_note, sizeof e->embodied_note,
                 "left out: no device time to amortise over; give --hours "
                 "or --device-hours");
        return;
    }
    if (e->embodied_mode == LLMC__EMBODIED_OVERRIDE) {
        per_device = e->embodied_override_kgco2e;
    } else if (!e->profile) {
        snprintf(e->embodied_note, sizeof e->embodied_note,
                 "left out: no hardware given; give --hardware or "
                 "--embodied KG per device");
        return;
    } else if (llmc_profile_get(&per_device, e->profile,
                                LLMC_PROFILE_EMBODIED_KGCO2E) != LLMC_OK) {
        snprintf(e->embodied_note, sizeof e->embodied_note,
                 "left out: no embodied figure is known for '%s'; give "
                 "--embodied KG per device",
                 llmc_profile_get_text(e->profile, LLMC_PROFILE_NAME));
        return;
    }
    e->lifetime_from_profile = 0;
    if (e->have_lifetime)
        lifetime = e->lifetime_s;
    else if (e->profile && llmc_profile_get(&lifetime, e->profile,
                                            LLMC_PROFILE_LIFETIME_S) == LLMC_OK)
        e->lifetime_from_profile = 1;
    else
        lifetime = LLMC__DEFAULT_LIFETIME_Y * LLMC__SECONDS_PER_YEAR;
    llmc_account_embodied(&e->result.embodied_kgco2e, per_device, device_s,
                          lifetime);
    e->result.embodied_included = 1;
    e->embodied_per_device_kgco2e = per_device;
    e->lifetime_s_used = lifetime;
}

LLMC_API int llmc_estimate_compute(llmc_estimate_result *out,
                                   llmc_estimate *e)
{
    llmc_estimate_result *r;
    double device_s = 0.0;
    int rc;

    if (!out || !e)
        return llmc__fail(LLMC_EINVAL, "out or estimate is NULL");
    if (out->size < offsetof(llmc_estimate_result, energy_kwh) + sizeof(double))
        return llmc__fail(LLMC_EINVAL,
                          "llmc_estimate_result.size is %u; call "
                          "llmc_estimate_result_init first",
                          (unsigned)out->size);
    e->computed = 0;
    r = &e->result;
    llmc_estimate_result_init(r, sizeof *r);
    if ((rc = device_time(&device_s, e)) != LLMC_OK ||
        (rc = compute_energy(e, device_s)) != LLMC_OK)
        return rc;
    if (!e->grid)
        return llmc__fail(LLMC_EINVAL,
                          "no grid intensity; give --zone (e.g. FR, US-CA, "
                          "gcp:europe-west1), --intensity (e.g. 450g/kWh) or "
                          "--grid");
    llmc_intensity_init(&e->intensity, sizeof e->intensity);
    if ((rc = llmc_grid_intensity_at(&e->intensity, e->grid,
                                     (int64_t)time(NULL))) != LLMC_OK)
        return rc;

    r->device_hours = device_s / 3600.0;
    r->pue = e->pue;
    r->facility_energy_kwh = r->energy_kwh * e->pue;
    r->intensity_gco2e_per_kwh = e->intensity.gco2e_per_kwh;
    if ((rc = llmc_account_operational(&r->operational_kgco2e,
                                       r->energy_kwh * LLMC__J_PER_KWH, e->pue,
                                       r->intensity_gco2e_per_kwh)) != LLMC_OK)
        return rc;
    compute_embodied(e, device_s);
    r->total_kgco2e = r->operational_kgco2e + r->embodied_kgco2e;
    e->device_s_used = device_s;
    e->computed = 1;

    {
        uint32_t size = out->size;
        memcpy(out, r, size < sizeof *r ? size : sizeof *r);
        out->size = size;
    }
    return LLMC_OK;
}
