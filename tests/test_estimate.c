/*
 * test_estimate.c - estimates: energy x PUE x intensity and the embodied
 * share, from energy or from hardware x count x hours; every input key and
 * its errors; the JSON report and its assumptions; typed setters and
 * references; the versioned result structure.
 */
#include <check.h>
#include <float.h>
#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmcarbon.h"
#include "testutil.h"

/* Evaluates the call once, so that its message is the one reported. */

/* The H100 example of llmcarbon(1): 1024 x 720 h at 700 W, PUE 1.1, USA. */
#define H100_DEVICE_H (1024.0 * 720.0)
#define H100_ENERGY_KWH (700.0 * 1024.0 * 720.0 / 1000.0)
#define USA_G_PER_KWH 369.473
#define LIFETIME_5Y_H (5.0 * 365.25 * 24.0)

/* ---- helpers ---------------------------------------------------------- */

static llmc_estimate *est_new(void)
{
    llmc_estimate *e = NULL;
    ck_assert_int_eq(llmc_estimate_new(&e), LLMC_OK);
    ck_assert_ptr_nonnull(e);
    return e;
}

static void set_ok(llmc_estimate *e, const char *key, const char *value)
{
    int rc = llmc_estimate_set(e, key, value);
    ck_assert_msg(rc == LLMC_OK, "set(%s, %s) = %s: %s", key, value,
                  llmc_status_name(rc), llmc_last_error());
}

static llmc_estimate_result compute_ok(llmc_estimate *e)
{
    llmc_estimate_result r;
    int rc;
    llmc_estimate_result_init(&r, sizeof r);
    rc = llmc_estimate_compute(&r, e);
    ck_assert_msg(rc == LLMC_OK, "compute = %s: %s", llmc_status_name(rc),
                  llmc_last_error());
    ck_assert_uint_eq(r.size, sizeof r);
    return r;
}

static int compute_rc(llmc_estimate *e)
{
    llmc_estimate_result r;
    llmc_estimate_result_init(&r, sizeof r);
    return llmc_estimate_compute(&r, e);
}

static llmc_estimate *h100_month(void)
{
    llmc_estimate *e = est_new();
    set_ok(e, "hardware", "NVIDIA H100 SXM5 80GB");
    set_ok(e, "count", "1024");
    set_ok(e, "hours", "720h");
    set_ok(e, "pue", "1.1");
    set_ok(e, "zone", "US");
    return e;
}

static json_t *json_of(const llmc_estimate *e)
{
    char *text = NULL;
    json_error_t err;
    json_t *root;
    int rc = llmc_estimate_json(&text, e);
    ck_assert_msg(rc == LLMC_OK, "json = %s: %s", llmc_status_name(rc),
                  llmc_last_error());
    ck_assert_ptr_nonnull(text);
    root = json_loads(text, 0, &err);
    ck_assert_msg(root != NULL, "not JSON (%d:%d %s): %s", err.line,
                  err.column, err.text, text);
    llmc_free(text);
    ck_assert(json_is_object(root));
    return root;
}

static double num(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    ck_assert_msg(json_is_number(v), "\"%s\" is missing or not a number", key);
    return json_number_value(v);
}

static const char *str(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    ck_assert_msg(json_is_string(v), "\"%s\" is missing or not a string", key);
    return json_string_value(v);
}

static json_t *obj(const json_t *parent, const char *key)
{
    json_t *v = json_object_get(parent, key);
    ck_assert_msg(json_is_object(v), "\"%s\" is missing or not an object", key);
    return v;
}

/* ---- the two worked examples ------------------------------------------ */

START_TEST(test_estimate_energy_at_constant_intensity_gives_500kg)
{
    llmc_estimate *e = est_new();
    llmc_estimate_result r;
    set_ok(e, "energy", "1000kWh");
    set_ok(e, "intensity", "0.5kg/kWh");
    r = compute_ok(e);
    ck_assert_double_eq_tol(r.energy_kwh, 1000.0, 1e-9);
    ck_assert_double_eq_tol(r.facility_energy_kwh, 1000.0, 1e-9);
    ck_assert_double_eq(r.pue, 1.0);
    ck_assert_double_eq_tol(r.intensity_gco2e_per_kwh, 500.0, 1e-9);
    ck_assert_double_eq_tol(r.operational_kgco2e, 500.0, 1e-9);
    ck_assert_double_eq_tol(r.total_kgco2e, 500.0, 1e-9);
    ck_assert_double_eq(r.embodied_kgco2e, 0.0);
    ck_assert_int_eq(r.embodied_included, 0);
    ck_assert_double_eq(r.device_hours, 0.0);
    ck_assert_double_eq(r.power_w, 0.0);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_bare_energy_is_kwh)
{
    llmc_estimate *e = est_new();
    llmc_estimate_result r;
    set_ok(e, "energy", "1000");
    set_ok(e, "intensity", "500"); /* bare: gCO2e/kWh */
    r = compute_ok(e);
    ck_assert_double_eq_tol(r.energy_kwh, 1000.0, 1e-9);
    ck_assert_double_eq_tol(r.operational_kgco2e, 500.0, 1e-9);
    set_ok(e, "energy", "3.6GJ"); /* = 1000 kWh */
    r = compute_ok(e);
    ck_assert_double_eq_tol(r.energy_kwh, 1000.0, 1e-9);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_h100_month_in_the_us)
{
    llmc_estimate *e = h100_month();
    llmc_estimate_result r = compute_ok(e);
    double facility = H100_ENERGY_KWH * 1.1;
    double operational = facility * USA_G_PER_KWH / 1000.0;
    double embodied = 164.0 * H100_DEVICE_H / LIFETIME_5Y_H;

    ck_assert_rel(r.energy_kwh, 516096.0, 1e-12);
    ck_assert_rel(r.facility_energy_kwh, 567705.6, 1e-12);
    ck_assert_rel(r.device_hours, 737280.0, 1e-12);
    ck_assert_double_eq(r.power_w, 700.0);
    ck_assert_double_eq(r.pue, 1.1);
    ck_assert_double_eq(r.intensity_gco2e_per_kwh, USA_G_PER_KWH);
    ck_assert_rel(r.operational_kgco2e, operational, 1e-12);
    ck_assert_int_eq(r.embodied_included, 1);
    ck_assert_rel(r.embodied_kgco2e, embodied, 1e-12);
    ck_assert_rel(r.embodied_kgco2e, 164.0 * 737280.0 / (5.0 * 8766.0), 1e-12);
    ck_assert_rel(r.total_kgco2e, operational + embodied, 1e-12);
    /* the man page's rounded figures: 209.8 t operational, 2.8 t embodied */
    ck_assert_double_eq_tol(r.operational_kgco2e / 1000.0, 209.8, 0.05);
    ck_assert_double_eq_tol(r.embodied_kgco2e / 1000.0, 2.8, 0.05);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_can_be_computed_again_after_more_inputs)
{
    llmc_estimate *e = h100_month();
    llmc_estimate_result a = compute_ok(e), b;
    set_ok(e, "pue", "1.2");
    b = compute_ok(e);
    ck_assert_rel(b.facility_energy_kwh, H100_ENERGY_KWH * 1.2, 1e-12);
    ck_assert_rel(b.operational_kgco2e, a.operational_kgco2e * 1.2 / 1.1,
                  1e-12);
    /* embodied does not depend on the PUE */
    ck_assert_rel(b.embodied_kgco2e, a.embodied_kgco2e, 1e-12);
    /* setting a key again replaces it */
    set_ok(e, "hours", "360h");
    b = compute_ok(e);
    ck_assert_rel(b.device_hours, 368640.0, 1e-12);
    ck_assert_rel(b.energy_kwh, H100_ENERGY_KWH / 2.0, 1e-12);
    llmc_estimate_free(e);
}
END_TEST

/* ---- inputs ------------------------------------------------------------- */

START_TEST(test_estimate_device_hours_replace_count_times_hours_path)
{
    llmc_estimate *e = est_new();
    llmc_estimate_result r;
    set_ok(e, "hardware", "h100-sxm");
    set_ok(e, "device_hours", "737280"); /* bare: hours */
    set_ok(e, "zone", "US");
    set_ok(e, "pue", "1.1");
    r = compute_ok(e);
    ck_assert_rel(r.device_hours, 737280.0, 1e-12);
    ck_assert_rel(r.energy_kwh, H100_ENERGY_KWH, 1e-12);
    ck_assert_rel(r.embodied_kgco2e, 164.0 * 737280.0 / LIFETIME_5Y_H, 1e-12);
    llmc_estimate_free(e);
}
END_TEST

static const char *const device_hours_keys[] = {"device_hours", "device-hours",
                                                "--device-hours"};

START_TEST(test_estimate_key_spellings_dash_underscore_and_flag_agree)
{
    llmc_estimate *e = est_new();
    llmc_estimate_result r;
    set_ok(e, "--hardware", "NVIDIA H100 SXM5 80GB");
    set_ok(e, device_hours_keys[_i], "100h");
    set_ok(e, "--intensity", "400");
    set_ok(e, "no-embodied", "true");
    r = compute_ok(e);
    ck_assert_rel(r.device_hours, 100.0, 1e-12);
    ck_assert_rel(r.energy_kwh, 70.0, 1e-12);
    ck_assert_rel(r.operational_kgco2e, 28.0, 1e-12);
    ck_assert_int_eq(r.embodied_included, 0);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_hours_and_device_hours_together_are_refused)
{
    /* two answers to "how long" would hide a mistake: the caller picks one */
    llmc_estimate *e = est_new();
    set_ok(e, "hardware", "NVIDIA H100 SXM5 80GB");
    set_ok(e, "hours", "10h");
    set_ok(e, "device_hours", "100h");
    set_ok(e, "intensity", "400");
    ck_assert_status(compute_rc(e), LLMC_EINVAL);
    ck_assert_error_mentions("--hours");
    ck_assert_error_mentions("--device-hours");
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_count_with_device_hours_is_refused)
{
    /* device_hours already counts every device; a count beside it is a
     * mistake, not an input */
    llmc_estimate *e = est_new();
    set_ok(e, "hardware", "NVIDIA H100 SXM5 80GB");
    set_ok(e, "count", "8");
    set_ok(e, "device_hours", "100h");
    set_ok(e, "intensity", "400");
    ck_assert_status(compute_rc(e), LLMC_EINVAL);
    ck_assert_error_mentions("--count");
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_count_without_hours_is_refused)
{
    llmc_estimate *e = est_new();
    set_ok(e, "energy", "1000kWh");
    set_ok(e, "count", "4");
    set_ok(e, "intensity", "400");
    ck_assert_status(compute_rc(e), LLMC_EINVAL);
    ck_assert_error_mentions("--count goes with --hours");
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_power_override_bare_number_is_watts)
{
    llmc_estimate *e = h100_month();
    llmc_estimate_result r;
    set_ok(e, "power", "550");
    r = compute_ok(e);
    ck_assert_double_eq(r.power_w, 550.0);
    ck_assert_rel(r.energy_kwh, 550.0 * H100_DEVICE_H / 1000.0, 1e-12);
    /* the hardware's embodied figure still applies */
    ck_assert_rel(r.embodied_kgco2e, 164.0 * H100_DEVICE_H / LIFETIME_5Y_H,
                  1e-12);
    set_ok(e, "power", "0.6kW");
    r = compute_ok(e);
    ck_assert_double_eq_tol(r.power_w, 600.0, 1e-9);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_power_without_hardware)
{
    llmc_estimate *e = est_new();
    llmc_estimate_result r;
    set_ok(e, "power", "300W");
    set_ok(e, "count", "4");
    set_ok(e, "hours", "10");
    set_ok(e, "zone", "FR");
    r = compute_ok(e);
    ck_assert_rel(r.device_hours, 40.0, 1e-12);
    ck_assert_rel(r.energy_kwh, 12.0, 1e-12);
    ck_assert_rel(r.operational_kgco2e, 12.0 * 56.039 / 1000.0, 1e-12);
    /* no hardware, no embodied figure */
    ck_assert_int_eq(r.embodied_included, 0);
    ck_assert_double_eq(r.total_kgco2e, r.operational_kgco2e);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_embodied_override_mass_per_device)
{
    llmc_estimate *e = h100_month();
    llmc_estimate_result r;
    set_ok(e, "embodied", "200kg");
    r = compute_ok(e);
    ck_assert_int_eq(r.embodied_included, 1);
    ck_assert_rel(r.embodied_kgco2e, 200.0 * H100_DEVICE_H / LIFETIME_5Y_H,
                  1e-12);
    set_ok(e, "embodied", "0.25t");
    r = compute_ok(e);
    ck_assert_rel(r.embodied_kgco2e, 250.0 * H100_DEVICE_H / LIFETIME_5Y_H,
                  1e-12);
    set_ok(e, "embodied", "2"); /* bare: kg */
    r = compute_ok(e);
    ck_assert_rel(r.embodied_kgco2e, 2.0 * H100_DEVICE_H / LIFETIME_5Y_H,
                  1e-12);
    ck_assert_rel(r.total_kgco2e, r.operational_kgco2e + r.embodied_kgco2e,
                  1e-12);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_embodied_bare_one_is_one_kg)
{
    /* llmc_estimate_new(3): embodied is "true", "false" or a mass; "bare
     * numbers are kg" - so "1" is 1 kg per device, not "true" */
    llmc_estimate *e = h100_month();
    llmc_estimate_result r;
    set_ok(e, "embodied", "1");
    r = compute_ok(e);
    ck_assert_int_eq(r.embodied_included, 1);
    ck_assert_rel(r.embodied_kgco2e, 1.0 * H100_DEVICE_H / LIFETIME_5Y_H,
                  1e-12);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_embodied_can_be_switched_off_and_on)
{
    llmc_estimate *e = h100_month();
    llmc_estimate_result r, on = compute_ok(e);
    json_t *root;

    set_ok(e, "no_embodied", "true");
    r = compute_ok(e);
    ck_assert_int_eq(r.embodied_included, 0);
    ck_assert_double_eq(r.embodied_kgco2e, 0.0);
    ck_assert_double_eq(r.total_kgco2e, r.operational_kgco2e);
    root = json_of(e);
    ck_assert(json_is_false(json_object_get(root, "embodied_included")));
    ck_assert_ptr_nonnull(strstr(
        str(obj(obj(root, "assumptions"), "embodied"), "note"), "request"));
    json_decref(root);

    set_ok(e, "embodied", "true");
    r = compute_ok(e);
    ck_assert_int_eq(r.embodied_included, 1);
    ck_assert_rel(r.embodied_kgco2e, on.embodied_kgco2e, 1e-12);

    set_ok(e, "embodied", "false");
    r = compute_ok(e);
    ck_assert_int_eq(r.embodied_included, 0);
    ck_assert_double_eq(r.embodied_kgco2e, 0.0);

    ck_assert_status(llmc_estimate_set(e, "no_embodied", "maybe"),
                     LLMC_EPARSE);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_lifetime_in_years_and_hours_agree)
{
    llmc_estimate *e = h100_month();
    llmc_estimate_result years, hours;
    double want = 164.0 * H100_DEVICE_H / (4.0 * 365.25 * 24.0);
    set_ok(e, "lifetime", "4"); /* bare: years */
    years = compute_ok(e);
    ck_assert_rel(years.embodied_kgco2e, want, 1e-12);
    set_ok(e, "lifetime", "35064h");
    hours = compute_ok(e);
    ck_assert_rel(hours.embodied_kgco2e, want, 1e-12);
    ck_assert_rel(hours.embodied_kgco2e, years.embodied_kgco2e, 1e-15);
    ck_assert_status(llmc_estimate_set(e, "lifetime", "0"), LLMC_ERANGE);
    ck_assert_status(llmc_estimate_set(e, "lifetime", "-1y"), LLMC_ERANGE);
    ck_assert_status(llmc_estimate_set(e, "lifetime", "4kg"), LLMC_EUNIT);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_profile_lifetime_is_used_when_not_given)
{
    llmc_estimate *e = est_new();
    llmc_profile *p = NULL;
    llmc_estimate_result r;
    ck_assert_int_eq(llmc_profile_new(&p, "site gpu"), LLMC_OK);
    ck_assert_int_eq(llmc_profile_set(p, LLMC_PROFILE_TDP_W, 400.0), LLMC_OK);
    ck_assert_int_eq(llmc_profile_set(p, LLMC_PROFILE_EMBODIED_KGCO2E, 100.0),
                     LLMC_OK);
    ck_assert_int_eq(llmc_profile_set(p, LLMC_PROFILE_LIFETIME_S,
                                      3.0 * 365.25 * 86400.0),
                     LLMC_OK);
    ck_assert_int_eq(llmc_estimate_set_profile(e, p), LLMC_OK);
    llmc_profile_free(p);
    set_ok(e, "device_hours", "1000");
    set_ok(e, "intensity", "100");
    r = compute_ok(e);
    ck_assert_rel(r.energy_kwh, 400.0, 1e-12);
    ck_assert_rel(r.embodied_kgco2e, 100.0 * 1000.0 / (3.0 * 8766.0), 1e-12);
    set_ok(e, "lifetime", "2y"); /* the key wins over the profile */
    r = compute_ok(e);
    ck_assert_rel(r.embodied_kgco2e, 100.0 * 1000.0 / (2.0 * 8766.0), 1e-12);
    llmc_estimate_free(e);
}
END_TEST

/* ---- errors -------------------------------------------------------------- */

START_TEST(test_estimate_nothing_given_names_energy)
{
    llmc_estimate *e = est_new();
    ck_assert_status(compute_rc(e), LLMC_EINVAL);
    ck_assert_error_mentions("--energy");
    ck_assert_error_mentions("--hardware");
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_hardware_without_hours_names_hours)
{
    llmc_estimate *e = est_new();
    set_ok(e, "hardware", "h100 sxm");
    set_ok(e, "zone", "FR");
    ck_assert_status(compute_rc(e), LLMC_EINVAL);
    ck_assert_error_mentions("--hours");
    ck_assert_error_mentions("--device-hours");
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_without_grid_names_zone)
{
    llmc_estimate *e = est_new();
    set_ok(e, "energy", "1000kWh");
    ck_assert_status(compute_rc(e), LLMC_EINVAL);
    ck_assert_error_mentions("--zone");
    ck_assert_error_mentions("--intensity");
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_zone_and_intensity_conflict)
{
    llmc_estimate *e = est_new();
    llmc_estimate_result r;
    set_ok(e, "energy", "1000kWh");
    set_ok(e, "zone", "FR");
    ck_assert_status(llmc_estimate_set(e, "intensity", "450g/kWh"),
                     LLMC_EINVAL);
    ck_assert_error_mentions("--zone");
    ck_assert_status(llmc_estimate_set(e, "grid", "const:450"), LLMC_EINVAL);
    /* the refused input changed nothing: the zone still applies */
    r = compute_ok(e);
    ck_assert_double_eq(r.intensity_gco2e_per_kwh, 56.039);
    /* giving the same key again replaces it */
    set_ok(e, "zone", "US-CA");
    r = compute_ok(e);
    ck_assert_double_eq(r.intensity_gco2e_per_kwh, 216.43);
    llmc_estimate_free(e);

    e = est_new();
    set_ok(e, "intensity", "450");
    ck_assert_status(llmc_estimate_set(e, "zone", "FR"), LLMC_EINVAL);
    ck_assert_error_mentions("--intensity");
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_zone_refuses_constants_and_chains)
{
    llmc_estimate *e = est_new();
    ck_assert_status(llmc_estimate_set(e, "zone", "const:450"), LLMC_EINVAL);
    ck_assert_error_mentions("--intensity");
    ck_assert_int_ne(llmc_estimate_set(e, "zone", "FR,DE"), LLMC_OK);
    ck_assert_status(llmc_estimate_set(e, "zone", "XY"), LLMC_ENOTFOUND);
    ck_assert_error_mentions("llmcarbon grid list");
    /* --grid takes any spec */
    set_ok(e, "grid", "const:450g/kWh");
    set_ok(e, "energy", "2kWh");
    ck_assert_double_eq_tol(compute_ok(e).operational_kgco2e, 0.9, 1e-12);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_energy_and_power_conflict)
{
    llmc_estimate *e = est_new();
    set_ok(e, "energy", "1000kWh");
    set_ok(e, "power", "300W");
    set_ok(e, "zone", "FR");
    ck_assert_status(compute_rc(e), LLMC_EINVAL);
    ck_assert_error_mentions("--energy");
    ck_assert_error_mentions("--power");
    llmc_estimate_free(e);
}
END_TEST

/* Pairs of keys where one would be silently ignored: each is refused by the
 * library itself, naming both, so every binding gets the same answer. */
static const struct {
    const char *k1, *v1, *k2, *v2, *flag1, *flag2;
} conflicts[] = {
    {"power", "500W", "power_factor", "0.5", "--power ", "--power-factor"},
    {"energy", "100kWh", "overhead_power", "100W", "--energy", "--overhead-power"},
    {"energy", "100kWh", "power_factor", "0.5", "--energy", "--power-factor"},
};

START_TEST(test_estimate_ignored_inputs_conflict)
{
    llmc_estimate *e = est_new();
    if (strcmp(conflicts[_i].k1, "power") == 0) {
        set_ok(e, "hardware", "h100-sxm");
        set_ok(e, "hours", "10");
    }
    set_ok(e, conflicts[_i].k1, conflicts[_i].v1);
    set_ok(e, conflicts[_i].k2, conflicts[_i].v2);
    set_ok(e, "intensity", "400");
    ck_assert_status(compute_rc(e), LLMC_EINVAL);
    ck_assert_error_mentions(conflicts[_i].flag1);
    ck_assert_error_mentions(conflicts[_i].flag2);
    llmc_estimate_free(e);
    /* each alone is fine */
    e = est_new();
    if (strcmp(conflicts[_i].k1, "power") == 0) {
        set_ok(e, "hardware", "h100-sxm");
        set_ok(e, "hours", "10");
    }
    set_ok(e, conflicts[_i].k1, conflicts[_i].v1);
    set_ok(e, "intensity", "400");
    ck_assert_int_eq(compute_rc(e), LLMC_OK);
    llmc_estimate_free(e);
}
END_TEST

static const struct {
    const char *value;
    int status;
} bad_counts[] = {
    {"0", LLMC_ERANGE},   {"-3", LLMC_ERANGE},        {"2.5", LLMC_EPARSE},
    {"abc", LLMC_EPARSE}, {"", LLMC_EPARSE},          {"4 GPUs", LLMC_EPARSE},
    {"1e3", LLMC_EPARSE}, {"100000001", LLMC_ERANGE},
    {"99999999999999999999999", LLMC_ERANGE},
};

START_TEST(test_estimate_count_must_be_a_positive_whole_number)
{
    llmc_estimate *e = est_new();
    llmc_estimate_result r;
    set_ok(e, "power", "100W");
    set_ok(e, "hours", "10h");
    set_ok(e, "intensity", "100");
    set_ok(e, "count", "4");
    ck_assert_status(llmc_estimate_set(e, "count", bad_counts[_i].value),
                     bad_counts[_i].status);
    ck_assert_error_mentions("count");
    /* the refused count changed nothing */
    r = compute_ok(e);
    ck_assert_rel(r.device_hours, 40.0, 1e-12);
    set_ok(e, "count", " 7 ");
    ck_assert_rel(compute_ok(e).device_hours, 70.0, 1e-12);
    llmc_estimate_free(e);
}
END_TEST

/* One table: every input's flag follows from its name, its bounds are
 * what llmc_estimate_set accepts, and a name is found however written. */
static const char *bound_suffix(const char *unit)
{
    /* quantities are written in the unit their bounds are in; counts and
     * sizes are bare numbers */
    static const char *const units[] = {"J", "s", "W", "gCO2e/kWh", "kg"};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(unit, units[i]) == 0)
            return unit;
    return "";
}

static void set_at(const llmc_key_info *k, double v, int want)
{
    llmc_estimate *e = est_new();
    char text[64];
    int rc;
    if (isinf(v))
        snprintf(text, sizeof text, "1e309%s", bound_suffix(k->unit));
    else
        snprintf(text, sizeof text, "%.17g%s", v, bound_suffix(k->unit));
    rc = llmc_estimate_set(e, k->name, text);
    ck_assert_msg(rc == want, "set(%s, %s) = %s, not %s: %s", k->name, text,
                  llmc_status_name(rc), llmc_status_name(want),
                  rc ? llmc_last_error() : "");
    llmc_estimate_free(e);
}

START_TEST(test_estimate_keys_come_from_one_table)
{
    llmc_key_info k;
    size_t n = llmc_estimate_key_count(), numbers = 0, switches = 0;

    ck_assert_uint_eq(n, 26);
    for (size_t i = 0; i < n; i++) {
        char flag[64];
        llmc_estimate *e;
        int rc;
        llmc_key_info_init(&k, sizeof k);
        ck_assert_int_eq(llmc_estimate_key_get(&k, i), LLMC_OK);
        snprintf(flag, sizeof flag, "--%s", k.name);
        for (char *p = flag; *p; p++)
            if (*p == '_')
                *p = '-';
        ck_assert_str_eq(k.flag, flag);
        ck_assert(k.env == NULL || *k.env == '\0');
        ck_assert_int_eq(k.while_running, 0);
        ck_assert(*k.help);
        ck_assert(isnan(k.min) == isnan(k.max));
        ck_assert(isnan(k.min) || k.min <= k.max);
        /* the key is what llmc_estimate_set takes; a switch takes true */
        e = est_new();
        rc = llmc_estimate_set(e, k.name, *k.arg ? "?" : "true");
        if (!*k.arg) {
            switches++;
            ck_assert_msg(rc == LLMC_OK, "%s: %s", k.name, llmc_last_error());
        } else if (rc != LLMC_OK) {
            ck_assert_msg(strstr(llmc_last_error(), "not an estimate input") ==
                              NULL,
                          "%s: %s", k.name, llmc_last_error());
        }
        llmc_estimate_free(e);
        if (isnan(k.min))
            continue;
        /* the bounds are the setter's: at them accepted, past them
         * refused as out of range */
        numbers++;
        set_at(&k, k.min, LLMC_OK);
        set_at(&k, k.max, LLMC_OK);
        set_at(&k, k.min >= 1 && k.min == floor(k.min)
                       ? k.min - 1
                       : nextafter(k.min, -INFINITY),
               LLMC_ERANGE);
        set_at(&k, k.max == DBL_MAX ? INFINITY
                   : k.max == floor(k.max) && k.max > 2 ? k.max + 1
                                                        : nextafter(k.max,
                                                                    INFINITY),
               LLMC_ERANGE);
    }
    ck_assert_uint_eq(switches, 2);
    ck_assert_uint_ge(numbers, 18);

    /* found with '-' or '_', in any case, or as its flag */
    llmc_key_info_init(&k, sizeof k);
    ck_assert_status(llmc_estimate_key_find(&k, "Device-Hours"), LLMC_OK);
    ck_assert_str_eq(k.name, "device_hours");
    ck_assert_str_eq(k.flag, "--device-hours");
    ck_assert_str_eq(k.unit, "s");
    ck_assert_double_eq(k.min, 0.0);
    ck_assert_double_eq(k.max, DBL_MAX);
    ck_assert_status(llmc_estimate_key_find(&k, "SEQ_LEN"), LLMC_OK);
    ck_assert_str_eq(k.name, "seq_len");
    ck_assert_status(llmc_estimate_key_find(&k, "--power-factor"), LLMC_OK);
    ck_assert_str_eq(k.name, "power_factor");
    ck_assert_double_eq(k.max, 2.0);
    ck_assert_status(llmc_estimate_key_find(&k, "count"), LLMC_OK);
    ck_assert_double_eq(k.min, 1.0);
    ck_assert_double_eq(k.max, 100000000.0);
    ck_assert_status(llmc_estimate_key_find(&k, "pue"), LLMC_OK);
    ck_assert_double_eq(k.min, 1.0);
    ck_assert_status(llmc_estimate_key_find(&k, "mfu"), LLMC_OK);
    ck_assert_double_eq(k.max, 1.0);
    ck_assert_status(llmc_estimate_key_find(&k, "no-embodied"), LLMC_OK);
    ck_assert_str_eq(k.arg, "");
    ck_assert(isnan(k.min));
    ck_assert_status(llmc_estimate_key_find(&k, "hardware"), LLMC_OK);
    ck_assert_str_eq(k.arg, "NAME");
    ck_assert(isnan(k.min) && isnan(k.max));

    /* an unknown name lists the keys; an index past the end is a range */
    ck_assert_status(llmc_estimate_key_find(&k, "gpus"), LLMC_EINVAL);
    ck_assert_error_mentions("'gpus' is not an estimate input");
    ck_assert_error_mentions("use one of: energy, hardware, count");
    ck_assert_error_mentions("recompute");
    ck_assert_status(llmc_estimate_key_get(&k, n), LLMC_ERANGE);
    ck_assert_status(llmc_estimate_key_get(NULL, 0), LLMC_EINVAL);
    ck_assert_status(llmc_estimate_key_find(&k, NULL), LLMC_EINVAL);
}
END_TEST

START_TEST(test_estimate_unknown_key_is_einval_listing_keys)
{
    llmc_estimate *e = est_new();
    ck_assert_status(llmc_estimate_set(e, "gpus", "8"), LLMC_EINVAL);
    ck_assert_error_mentions("'gpus'");
    ck_assert_error_mentions("energy");
    ck_assert_error_mentions("hardware");
    ck_assert_error_mentions("device_hours");
    ck_assert_error_mentions("lifetime");
    ck_assert_status(llmc_estimate_set(e, "", "8"), LLMC_EINVAL);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_bad_values_keep_the_parser_codes)
{
    llmc_estimate *e = est_new();
    ck_assert_status(llmc_estimate_set(e, "energy", "5W"), LLMC_EUNIT);
    ck_assert_status(llmc_estimate_set(e, "energy", "-5kWh"), LLMC_ERANGE);
    ck_assert_status(llmc_estimate_set(e, "energy", "lots"), LLMC_EPARSE);
    ck_assert_status(llmc_estimate_set(e, "pue", "0.9"), LLMC_ERANGE);
    ck_assert_status(llmc_estimate_set(e, "pue", "1.1x"), LLMC_EPARSE);
    ck_assert_status(llmc_estimate_set(e, "hours", "3kg"), LLMC_EUNIT);
    ck_assert_status(llmc_estimate_set(e, "power", "-1"), LLMC_ERANGE);
    ck_assert_status(llmc_estimate_set(e, "intensity", "-1"), LLMC_ERANGE);
    ck_assert_status(llmc_estimate_set(e, "embodied", "lots"), LLMC_EPARSE);
    ck_assert_status(llmc_estimate_set(e, "hardware", "H100"),
                     LLMC_EAMBIGUOUS);
    ck_assert_error_mentions("NVIDIA H100 PCIe 80GB");
    ck_assert_status(llmc_estimate_set(e, "hardware", "zzzz"), LLMC_ENOTFOUND);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_null_arguments_are_einval)
{
    llmc_estimate *e = est_new();
    llmc_estimate_result r;
    char *json = NULL;
    ck_assert_status(llmc_estimate_new(NULL), LLMC_EINVAL);
    ck_assert_status(llmc_estimate_set(NULL, "energy", "1"), LLMC_EINVAL);
    ck_assert_status(llmc_estimate_set(e, NULL, "1"), LLMC_EINVAL);
    ck_assert_status(llmc_estimate_set(e, "energy", NULL), LLMC_EINVAL);
    ck_assert_status(llmc_estimate_set_profile(e, NULL), LLMC_EINVAL);
    ck_assert_status(llmc_estimate_set_grid(e, NULL), LLMC_EINVAL);
    llmc_estimate_result_init(&r, sizeof r);
    ck_assert_status(llmc_estimate_compute(&r, NULL), LLMC_EINVAL);
    ck_assert_status(llmc_estimate_compute(NULL, e), LLMC_EINVAL);
    ck_assert_status(llmc_estimate_json(NULL, e), LLMC_EINVAL);
    ck_assert_status(llmc_estimate_json(&json, NULL), LLMC_EINVAL);
    llmc_estimate_free(e);
    llmc_estimate_free(NULL);
}
END_TEST

START_TEST(test_estimate_unknown_tdp_needs_power)
{
    llmc_estimate *e = est_new();
    llmc_profile *p = NULL;
    set_ok(e, "hardware", "NVIDIA A10 24GB");
    set_ok(e, "hours", "10h");
    set_ok(e, "intensity", "100");
    ck_assert_status(compute_rc(e), LLMC_ENODATA);
    ck_assert_error_mentions("NVIDIA A10 24GB");
    ck_assert_error_mentions("--power");
    set_ok(e, "power", "150W");
    ck_assert_rel(compute_ok(e).energy_kwh, 1.5, 1e-12);
    llmc_estimate_free(e);

    e = est_new();
    ck_assert_int_eq(llmc_profile_new(&p, "mystery board"), LLMC_OK);
    ck_assert_int_eq(llmc_estimate_set_profile(e, p), LLMC_OK);
    set_ok(e, "hours", "1h");
    set_ok(e, "zone", "FR");
    ck_assert_status(compute_rc(e), LLMC_ENODATA);
    ck_assert_error_mentions("mystery board");
    ck_assert_error_mentions("--power");
    llmc_estimate_free(e);
    llmc_profile_free(p);
}
END_TEST

/* The embodied scope: board by default (NVIDIA's HGX H100 footprint / 8 =
 * 164 kg for the H100 SXM5), each scope's own figure when chosen, and
 * unknown, with the scopes the device has, when it has none there. 8 GPUs
 * x 24 h = 192 device-hours of a 5-year life (43830 h). */
START_TEST(test_estimate_embodied_scope_selects_the_figure)
{
    static const struct {
        const char *scope; /* NULL: the default */
        double per_device_kg;
        const char *method;
    } cases[] = {
        {NULL, 164.0, "pcf"},
        {"board", 164.0, "pcf"},
        {"die", 8.14 * 1.8, "model"},
        {"package", 8.14 * 1.8 + 80 * 0.4, "model"},
        {"server", 164.0 + 970.0 / 8, "pcf+model"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        llmc_estimate *e = est_new();
        llmc_estimate_result r;
        json_t *root, *emb;
        set_ok(e, "hardware", "h100 sxm");
        set_ok(e, "count", "8");
        set_ok(e, "hours", "24h");
        set_ok(e, "zone", "FR");
        if (cases[i].scope)
            set_ok(e, "embodied_scope", cases[i].scope);
        r = compute_ok(e);
        ck_assert_int_eq(r.embodied_included, 1);
        ck_assert_rel(r.embodied_kgco2e,
                      cases[i].per_device_kg * 192.0 / (5 * 365.25 * 24), 1e-9);
        root = json_of(e);
        ck_assert_str_eq(str(root, "embodied_scope"),
                         cases[i].scope ? cases[i].scope : "board");
        ck_assert_str_eq(str(root, "embodied_method"), cases[i].method);
        emb = obj(obj(root, "assumptions"), "embodied");
        ck_assert_str_eq(str(emb, "scope"),
                         cases[i].scope ? cases[i].scope : "board");
        ck_assert_str_eq(str(emb, "method"), cases[i].method);
        ck_assert_rel(json_number_value(json_object_get(emb,
                                                        "kgco2e_per_device")),
                      cases[i].per_device_kg, 1e-12);
        json_decref(root);
        llmc_estimate_free(e);
    }
}
END_TEST

START_TEST(test_estimate_embodied_scope_unknown_names_the_scopes_it_has)
{
    llmc_estimate *e = est_new();
    llmc_estimate_result r;
    json_t *root;
    const char *note;
    /* TPU v3: die 7 kg (LLMCarbon's), package + 32 GB x 0.4 kg/GB, board
     * + 117.348 kg; no sourced TPU host, so no server figure */
    set_ok(e, "hardware", "tpu v3");
    set_ok(e, "power", "300W");
    set_ok(e, "count", "4");
    set_ok(e, "hours", "10h");
    set_ok(e, "zone", "FR");
    r = compute_ok(e);
    ck_assert_int_eq(r.embodied_included, 1);
    ck_assert_rel(r.embodied_kgco2e,
                  (7.0 + 32.0 * 0.4 + 117.348) * 40.0 / (5 * 365.25 * 24),
                  1e-9);
    set_ok(e, "embodied_scope", "server");
    r = compute_ok(e);
    ck_assert_int_eq(r.embodied_included, 0);
    ck_assert_double_eq(r.embodied_kgco2e, 0.0);
    root = json_of(e);
    ck_assert(json_is_null(json_object_get(root, "embodied_kgco2e")));
    ck_assert(json_is_null(json_object_get(root, "embodied_method")));
    ck_assert_str_eq(str(root, "embodied_scope"), "server");
    note = str(root, "embodied_note");
    ck_assert_msg(strstr(note, "scope 'server'") &&
                      strstr(note, "it has: die, package, board") &&
                      strstr(note, "--embodied-scope"),
                  "note: %s", note);
    json_decref(root);
    /* and the die scope has it */
    set_ok(e, "embodied_scope", "die");
    r = compute_ok(e);
    ck_assert_int_eq(r.embodied_included, 1);
    ck_assert_rel(r.embodied_kgco2e, 7.0 * 40.0 / (5 * 365.25 * 24), 1e-9);
    /* a scope that does not exist */
    ck_assert_status(llmc_estimate_set(e, "embodied_scope", "rack"),
                     LLMC_EINVAL);
    ck_assert_error_mentions("die, package, board or server");
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_embodied_scope_of_a_user_profile)
{
    /* a figure set without scope fields covers the scope its basis says:
     * die-only is the die, and only the die */
    llmc_profile *p = NULL;
    llmc_estimate *e = est_new();
    llmc_estimate_result r;
    json_t *root;
    ck_assert_int_eq(llmc_profile_new(&p, "site chip"), LLMC_OK);
    ck_assert_int_eq(llmc_profile_set(p, LLMC_PROFILE_TDP_W, 300), LLMC_OK);
    ck_assert_int_eq(llmc_profile_set(p, LLMC_PROFILE_EMBODIED_KGCO2E, 10),
                     LLMC_OK);
    ck_assert_int_eq(
        llmc_profile_set_text(p, LLMC_PROFILE_EMBODIED_BASIS, "die-only"),
        LLMC_OK);
    ck_assert_int_eq(llmc_estimate_set_profile(e, p), LLMC_OK);
    set_ok(e, "hours", "100h");
    set_ok(e, "zone", "FR");
    r = compute_ok(e);
    ck_assert_int_eq(r.embodied_included, 0);
    set_ok(e, "embodied_scope", "die");
    r = compute_ok(e);
    ck_assert_int_eq(r.embodied_included, 1);
    ck_assert_rel(r.embodied_kgco2e, 10.0 * 100.0 / (5 * 365.25 * 24), 1e-9);
    root = json_of(e);
    ck_assert_str_eq(str(root, "embodied_method"), "given");
    json_decref(root);
    llmc_estimate_free(e);
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_estimate_missing_embodied_figure_is_explained)
{
    llmc_estimate *e = est_new();
    llmc_estimate_result r;
    json_t *root, *emb;
    /* a CPU has no board figure, the default scope */
    set_ok(e, "hardware", "xeon 8480+");
    set_ok(e, "power", "400W");
    set_ok(e, "count", "8");
    set_ok(e, "hours", "24h");
    set_ok(e, "zone", "FR");
    r = compute_ok(e);
    ck_assert_rel(r.energy_kwh, 400.0 * 8.0 * 24.0 / 1000.0, 1e-12);
    ck_assert_int_eq(r.embodied_included, 0);
    ck_assert_double_eq(r.embodied_kgco2e, 0.0);
    ck_assert_double_eq(r.total_kgco2e, r.operational_kgco2e);
    root = json_of(e);
    emb = obj(obj(root, "assumptions"), "embodied");
    ck_assert(json_is_false(json_object_get(emb, "included")));
    ck_assert_ptr_nonnull(strstr(str(emb, "note"), "Intel Xeon Platinum 8480+"));
    ck_assert_ptr_nonnull(strstr(str(emb, "note"), "it has: server"));
    ck_assert_ptr_nonnull(strstr(str(emb, "note"), "--embodied"));
    json_decref(root);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_energy_only_explains_missing_embodied)
{
    llmc_estimate *e = est_new();
    json_t *root;
    set_ok(e, "energy", "1000kWh");
    set_ok(e, "intensity", "0.5kg/kWh");
    compute_ok(e);
    root = json_of(e);
    ck_assert_ptr_nonnull(strstr(
        str(obj(obj(root, "assumptions"), "embodied"), "note"), "device time"));
    json_decref(root);
    llmc_estimate_free(e);
}
END_TEST

/* ---- JSON ----------------------------------------------------------------- */

START_TEST(test_estimate_json_keys_match_the_result)
{
    llmc_estimate *e = h100_month();
    llmc_estimate_result r = compute_ok(e);
    json_t *root = json_of(e);
    /* written with 15 significant digits */
    const double rel = 1e-14;
    ck_assert_rel(num(root, "energy_kwh"), r.energy_kwh, rel);
    ck_assert_rel(num(root, "facility_energy_kwh"), r.facility_energy_kwh, rel);
    ck_assert_rel(num(root, "device_hours"), r.device_hours, rel);
    ck_assert_rel(num(root, "power_w"), r.power_w, rel);
    ck_assert_rel(num(root, "pue"), r.pue, rel);
    ck_assert_rel(num(root, "intensity_gco2e_per_kwh"),
                  r.intensity_gco2e_per_kwh, rel);
    ck_assert_rel(num(root, "operational_kgco2e"), r.operational_kgco2e, rel);
    ck_assert_rel(num(root, "embodied_kgco2e"), r.embodied_kgco2e, rel);
    ck_assert_rel(num(root, "total_kgco2e"), r.total_kgco2e, rel);
    ck_assert(json_is_true(json_object_get(root, "embodied_included")));
    ck_assert(json_is_object(json_object_get(root, "assumptions")));
    json_decref(root);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_json_assumptions_carry_every_source)
{
    llmc_estimate *e = h100_month();
    json_t *root, *a, *ci, *hw, *emb, *pue;
    compute_ok(e);
    root = json_of(e);
    a = obj(root, "assumptions");

    ci = obj(a, "intensity");
    ck_assert_str_eq(str(ci, "zone"), "USA");
    ck_assert_int_eq((int)num(ci, "year"), 2023);
    ck_assert_str_eq(str(ci, "basis"), "lifecycle");
    ck_assert_msg(strncmp(str(ci, "dataset"), "llmcarbon-grid ", 15) == 0,
                  "dataset %s", str(ci, "dataset"));
    ck_assert_ptr_nonnull(strstr(str(ci, "provenance"), "codecarbon"));
    ck_assert_str_ne(str(ci, "licence"), "");
    ck_assert_double_eq(num(ci, "value_gco2e_per_kwh"), USA_G_PER_KWH);

    hw = obj(a, "hardware");
    ck_assert_str_eq(str(hw, "name"), "NVIDIA H100 SXM5 80GB");
    ck_assert_str_eq(str(hw, "kind"), "gpu");
    ck_assert_ptr_nonnull(strstr(str(hw, "source"), "HGX-H100-PCF-Summary"));
    ck_assert_msg(strncmp(str(hw, "dataset"), "llmcarbon-hardware ", 19) == 0,
                  "dataset %s", str(hw, "dataset"));

    emb = obj(a, "embodied");
    ck_assert(json_is_true(json_object_get(emb, "included")));
    ck_assert_double_eq(num(emb, "kgco2e_per_device"), 164.0);
    ck_assert_str_eq(str(emb, "basis"), "board-share");
    ck_assert_double_eq_tol(num(emb, "lifetime_years"), 5.0, 1e-12);
    ck_assert_ptr_nonnull(strstr(str(emb, "lifetime_source"), "default"));

    pue = obj(a, "pue");
    ck_assert_double_eq(num(pue, "value"), 1.1);
    ck_assert_ptr_nonnull(strstr(str(pue, "source"), "given"));
    ck_assert_rel(num(obj(a, "device_hours"), "value_h"), 737280.0, 1e-14);
    ck_assert_double_eq(num(obj(a, "power"), "value_w"), 700.0);
    json_decref(root);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_json_says_the_pue_default_was_applied)
{
    llmc_estimate *e = est_new();
    json_t *root, *pue;
    set_ok(e, "energy", "1000kWh");
    set_ok(e, "intensity", "0.5kg/kWh");
    compute_ok(e);
    root = json_of(e);
    pue = obj(obj(root, "assumptions"), "pue");
    ck_assert_double_eq(num(pue, "value"), 1.0);
    ck_assert_ptr_nonnull(strstr(str(pue, "source"), "default"));
    ck_assert_str_eq(str(obj(obj(root, "assumptions"), "intensity"), "source"),
                     "const");
    ck_assert_double_eq_tol(num(root, "total_kgco2e"), 500.0, 1e-9);
    json_decref(root);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_json_energy_only_reports_null_device_hours_and_power)
{
    /* JSON says "not known" with null; the C struct, which cannot, holds 0 */
    llmc_estimate *e = est_new();
    llmc_estimate_result r;
    json_t *root;
    set_ok(e, "energy", "1000kWh");
    set_ok(e, "intensity", "0.5kg/kWh");
    r = compute_ok(e);
    ck_assert_double_eq(r.device_hours, 0.0);
    ck_assert_double_eq(r.power_w, 0.0);
    root = json_of(e);
    ck_assert(json_is_null(json_object_get(root, "device_hours")));
    ck_assert(json_is_null(json_object_get(root, "power_w")));
    ck_assert(json_is_null(json_object_get(json_object_get(root, "assumptions"),
                                           "power")));
    json_decref(root);
    llmc_estimate_free(e);
}
END_TEST

/* Embodied carbon that is not included is unknown, not 0: null, with the
 * flag and the reason beside it; the total is the operational figure and
 * says so. */
START_TEST(test_estimate_json_embodied_not_included_is_null)
{
    llmc_estimate *e = est_new();
    llmc_estimate_result r;
    json_t *root, *range, *emb;
    /* a CPU has no board figure, the default scope */
    set_ok(e, "hardware", "xeon 8480+");
    set_ok(e, "power", "400W");
    set_ok(e, "count", "8");
    set_ok(e, "hours", "24h");
    set_ok(e, "intensity", "300..500");
    r = compute_ok(e);
    ck_assert_int_eq(r.embodied_included, 0);
    /* the C result keeps 0 beside the flag, as llmc_estimate_new(3) says */
    ck_assert_double_eq(r.embodied_kgco2e, 0.0);
    root = json_of(e);
    ck_assert_msg(json_is_null(json_object_get(root, "embodied_kgco2e")),
                  "embodied_kgco2e is not null");
    ck_assert(json_is_false(json_object_get(root, "embodied_included")));
    ck_assert_ptr_nonnull(strstr(str(root, "embodied_note"),
                                 "Intel Xeon Platinum 8480+"));
    /* 3.2 kW x 24 h = 76.8 kWh at 400 g/kWh */
    ck_assert_rel(num(root, "operational_kgco2e"), 76.8 * 0.4, 1e-12);
    ck_assert_rel(num(root, "total_kgco2e"), 76.8 * 0.4, 1e-12);
    range = obj(root, "range");
    emb = json_object_get(range, "embodied_kgco2e");
    ck_assert_msg(json_is_null(json_array_get(emb, 0)) &&
                      json_is_null(json_array_get(emb, 1)),
                  "range.embodied_kgco2e is not [null, null]");
    ck_assert_rel(json_number_value(json_array_get(
                      json_object_get(range, "total_kgco2e"), 0)),
                  76.8 * 0.3, 1e-12);
    json_decref(root);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_json_no_embodied_is_null_with_its_reason)
{
    llmc_estimate *e = h100_month();
    json_t *root;
    set_ok(e, "no-embodied", "true");
    compute_ok(e);
    root = json_of(e);
    ck_assert(json_is_null(json_object_get(root, "embodied_kgco2e")));
    ck_assert(json_is_false(json_object_get(root, "embodied_included")));
    ck_assert_ptr_nonnull(strstr(str(root, "embodied_note"), "--no-embodied"));
    ck_assert_double_eq(num(root, "total_kgco2e"),
                        num(root, "operational_kgco2e"));
    json_decref(root);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_json_before_compute_is_estate)
{
    llmc_estimate *e = est_new();
    char *json = NULL;
    ck_assert_status(llmc_estimate_json(&json, e), LLMC_ESTATE);
    ck_assert_ptr_null(json);
    ck_assert_error_mentions("llmc_estimate_compute");
    set_ok(e, "energy", "1000kWh");
    /* a failed compute leaves nothing to report */
    ck_assert_status(compute_rc(e), LLMC_EINVAL);
    ck_assert_status(llmc_estimate_json(&json, e), LLMC_ESTATE);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_json_is_stale_after_a_set)
{
    llmc_estimate *e = h100_month();
    char *json = NULL;
    llmc_profile *p = NULL;
    llmc_grid *g = NULL;
    compute_ok(e);
    ck_assert_int_eq(llmc_estimate_json(&json, e), LLMC_OK);
    llmc_free(json);
    set_ok(e, "pue", "1.2");
    ck_assert_status(llmc_estimate_json(&json, e), LLMC_ESTATE);
    ck_assert_ptr_null(json);
    compute_ok(e);
    ck_assert_int_eq(llmc_estimate_json(&json, e), LLMC_OK);
    llmc_free(json);
    ck_assert_int_eq(llmc_profile_lookup(&p, "h100 pcie"), LLMC_OK);
    ck_assert_int_eq(llmc_estimate_set_profile(e, p), LLMC_OK);
    ck_assert_status(llmc_estimate_json(&json, e), LLMC_ESTATE);
    compute_ok(e);
    ck_assert_int_eq(llmc_grid_new(&g, "static:US"), LLMC_OK);
    /* a handle does not replace a zone given as text: refused, no change */
    ck_assert_status(llmc_estimate_set_grid(e, g), LLMC_EINVAL);
    llmc_grid_free(g);
    llmc_profile_free(p);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_failed_set_keeps_inputs)
{
    llmc_estimate *e = h100_month();
    llmc_estimate_result before = compute_ok(e), after;
    ck_assert_status(llmc_estimate_set(e, "hours", "forever"), LLMC_EPARSE);
    ck_assert_status(llmc_estimate_set(e, "hardware", "H100"),
                     LLMC_EAMBIGUOUS);
    ck_assert_status(llmc_estimate_set(e, "zone", "XY"), LLMC_ENOTFOUND);
    ck_assert_status(llmc_estimate_set(e, "pue", "0.5"), LLMC_ERANGE);
    after = compute_ok(e);
    ck_assert_double_eq(after.total_kgco2e, before.total_kgco2e);
    ck_assert_double_eq(after.pue, 1.1);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_failed_set_keeps_the_last_result)
{
    /* llmc_estimate_new(3): "A call that fails leaves the estimate as it
     * was" - including its computed result */
    llmc_estimate *e = h100_month();
    char *json = NULL;
    compute_ok(e);
    ck_assert_status(llmc_estimate_set(e, "count", "abc"), LLMC_EPARSE);
    ck_assert_status(llmc_estimate_json(&json, e), LLMC_OK);
    llmc_free(json);
    llmc_estimate_free(e);
}
END_TEST

/* ---- typed setters ---------------------------------------------------------- */

START_TEST(test_estimate_set_profile_takes_its_own_reference)
{
    llmc_estimate *e = est_new();
    llmc_profile *p = NULL;
    llmc_estimate_result r;
    ck_assert_int_eq(llmc_profile_new(&p, "capped h100"), LLMC_OK);
    ck_assert_int_eq(llmc_profile_set(p, LLMC_PROFILE_TDP_W, 500.0), LLMC_OK);
    ck_assert_int_eq(llmc_profile_set(p, LLMC_PROFILE_EMBODIED_KGCO2E, 164.0),
                     LLMC_OK);
    ck_assert_int_eq(llmc_estimate_set_profile(e, p), LLMC_OK);
    llmc_profile_free(p); /* the estimate keeps it alive */
    set_ok(e, "device_hours", "1000h");
    set_ok(e, "zone", "FR");
    r = compute_ok(e);
    ck_assert_double_eq(r.power_w, 500.0);
    ck_assert_rel(r.energy_kwh, 500.0, 1e-12);
    ck_assert_rel(r.embodied_kgco2e, 164.0 * 1000.0 / LIFETIME_5Y_H, 1e-12);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_profile_is_frozen_while_the_estimate_holds_it)
{
    llmc_estimate *e = est_new();
    llmc_profile *p = NULL;
    double v = 0;
    ck_assert_int_eq(llmc_profile_lookup(&p, "h100 sxm"), LLMC_OK);
    ck_assert_int_eq(llmc_estimate_set_profile(e, p), LLMC_OK);
    ck_assert_status(llmc_profile_set(p, LLMC_PROFILE_TDP_W, 100.0),
                     LLMC_EBUSY);
    ck_assert_status(llmc_profile_set_text(p, LLMC_PROFILE_NAME, "x"),
                     LLMC_EBUSY);
    ck_assert_int_eq(llmc_profile_get(&v, p, LLMC_PROFILE_TDP_W), LLMC_OK);
    ck_assert_double_eq(v, 700.0);
    /* once the estimate lets go, the owner may change it again */
    llmc_estimate_free(e);
    ck_assert_int_eq(llmc_profile_set(p, LLMC_PROFILE_TDP_W, 100.0), LLMC_OK);
    llmc_profile_free(p);
}
END_TEST

START_TEST(test_estimate_set_grid_takes_its_own_reference)
{
    llmc_estimate *e = est_new();
    llmc_grid *g = NULL;
    llmc_estimate_result r;
    json_t *root;
    ck_assert_int_eq(llmc_grid_new(&g, "gcp:europe-west1"), LLMC_OK);
    ck_assert_int_eq(llmc_estimate_set_grid(e, g), LLMC_OK);
    llmc_grid_free(g);
    set_ok(e, "energy", "1000kWh");
    r = compute_ok(e);
    ck_assert_double_eq(r.intensity_gco2e_per_kwh, 103.37);
    ck_assert_rel(r.operational_kgco2e, 103.37, 1e-12);
    root = json_of(e);
    ck_assert_str_eq(str(obj(obj(root, "assumptions"), "intensity"), "zone"),
                     "gcp:europe-west1");
    ck_assert_int_eq((int)num(obj(obj(root, "assumptions"), "intensity"),
                              "year"),
                     2024);
    json_decref(root);
    /* a zone whose source gives no year reports it as null, not 0 */
    ck_assert_int_eq(llmc_grid_new(&g, "azure:westeurope"), LLMC_OK);
    llmc_estimate_free(e);
    e = est_new();
    ck_assert_int_eq(llmc_estimate_set_grid(e, g), LLMC_OK);
    llmc_grid_free(g);
    set_ok(e, "energy", "1000kWh");
    ck_assert_rel(compute_ok(e).operational_kgco2e, 328.4, 1e-12);
    root = json_of(e);
    ck_assert(json_is_null(
        json_object_get(obj(obj(root, "assumptions"), "intensity"), "year")));
    ck_assert_str_eq(str(obj(obj(root, "assumptions"), "intensity"), "basis"),
                     "direct");
    json_decref(root);
    /* a text grid input after the handle conflicts */
    ck_assert_status(llmc_estimate_set(e, "zone", "FR"), LLMC_EINVAL);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_replacing_the_profile_releases_the_old_one)
{
    llmc_estimate *e = est_new();
    llmc_profile *a = NULL, *b = NULL;
    ck_assert_int_eq(llmc_profile_new(&a, "a"), LLMC_OK);
    ck_assert_int_eq(llmc_profile_new(&b, "b"), LLMC_OK);
    ck_assert_int_eq(llmc_estimate_set_profile(e, a), LLMC_OK);
    ck_assert_int_eq(llmc_estimate_set_profile(e, b), LLMC_OK);
    /* a is no longer held by the estimate: not frozen any more */
    ck_assert_int_eq(llmc_profile_set(a, LLMC_PROFILE_TDP_W, 1.0), LLMC_OK);
    ck_assert_status(llmc_profile_set(b, LLMC_PROFILE_TDP_W, 1.0), LLMC_EBUSY);
    set_ok(e, "hardware", "T4"); /* text replaces the handle */
    ck_assert_int_eq(llmc_profile_set(b, LLMC_PROFILE_TDP_W, 1.0), LLMC_OK);
    llmc_profile_free(a);
    llmc_profile_free(b);
    llmc_estimate_free(e);
}
END_TEST

/* ---- the versioned result ----------------------------------------------------- */

START_TEST(test_estimate_result_fills_only_what_size_covers)
{
    unsigned char buf[sizeof(llmc_estimate_result) + 32];
    llmc_estimate_result *r = (llmc_estimate_result *)(void *)buf;
    const size_t small = offsetof(llmc_estimate_result, energy_kwh) +
                         sizeof(double);
    llmc_estimate *e = est_new();
    set_ok(e, "energy", "1000kWh");
    set_ok(e, "intensity", "0.5kg/kWh");

    memset(buf, 0xAB, sizeof buf);
    llmc_estimate_result_init(r, small);
    ck_assert_uint_eq(r->size, small);
    ck_assert_int_eq(llmc_estimate_compute(r, e), LLMC_OK);
    ck_assert_uint_eq(r->size, small);
    ck_assert_double_eq_tol(r->energy_kwh, 1000.0, 1e-9);
    for (size_t i = small; i < sizeof buf; i++)
        ck_assert_msg(buf[i] == 0xAB, "byte %zu past size %zu was written", i,
                      small);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_result_larger_caller_struct_keeps_its_tail)
{
    unsigned char buf[sizeof(llmc_estimate_result) + 32];
    llmc_estimate_result *r = (llmc_estimate_result *)(void *)buf;
    llmc_estimate *e = est_new();
    set_ok(e, "energy", "1000kWh");
    set_ok(e, "intensity", "0.5kg/kWh");
    llmc_estimate_result_init(r, sizeof buf);
    memset(buf + sizeof(llmc_estimate_result), 0xCD, 32);
    ck_assert_int_eq(llmc_estimate_compute(r, e), LLMC_OK);
    ck_assert_uint_eq(r->size, sizeof buf);
    ck_assert_double_eq_tol(r->total_kgco2e, 500.0, 1e-9);
    for (size_t i = sizeof(llmc_estimate_result); i < sizeof buf; i++)
        ck_assert_msg(buf[i] == 0xCD, "byte %zu past the library's struct", i);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_result_size_zero_is_einval_naming_init)
{
    llmc_estimate_result r;
    llmc_estimate *e = est_new();
    set_ok(e, "energy", "1000kWh");
    set_ok(e, "intensity", "0.5kg/kWh");
    memset(&r, 0, sizeof r);
    ck_assert_status(llmc_estimate_compute(&r, e), LLMC_EINVAL);
    ck_assert_error_mentions("llmc_estimate_result_init");
    ck_assert_double_eq(r.energy_kwh, 0.0);
    llmc_estimate_free(e);
}
END_TEST


/* ---- planning from compute: FLOPs, MFU, precision, ranges -------------- */

START_TEST(test_estimate_flops_path_6nd_time_energy)
{
    /* 7B params x 1T tokens on 64 H100 at bf16 (989 TFLOP/s), MFU 0.4 */
    llmc_estimate *e = est_new();
    llmc_estimate_result r;
    double flops = 6.0 * 7e9 * 1e12;
    double device_s = flops / (989e12 * 0.4);
    set_ok(e, "hardware", "NVIDIA H100 SXM5 80GB");
    set_ok(e, "count", "64");
    set_ok(e, "params", "7B");
    set_ok(e, "tokens", "1T");
    set_ok(e, "mfu", "0.4");
    set_ok(e, "zone", "FR");
    set_ok(e, "no_embodied", "true");
    r = compute_ok(e);
    ck_assert_rel(r.flops, flops, 1e-12);
    ck_assert_rel(r.device_hours, device_s / 3600, 1e-12);
    ck_assert_rel(r.days, device_s / 64 / 86400, 1e-12);
    ck_assert_rel(r.energy_kwh, 700.0 * device_s / 3.6e6, 1e-12);
    ck_assert_rel(r.gco2e_per_mtoken, r.total_kgco2e * 1000 / 1e6, 1e-12);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_active_params_for_mixture_of_experts)
{
    llmc_estimate *e = est_new();
    llmc_estimate_result r;
    set_ok(e, "hardware", "NVIDIA H100 SXM5 80GB");
    set_ok(e, "count", "8");
    set_ok(e, "params", "47B");
    set_ok(e, "active_params", "13B");
    set_ok(e, "tokens", "100B");
    set_ok(e, "mfu", "0.5");
    set_ok(e, "intensity", "100");
    r = compute_ok(e);
    ck_assert_rel(r.flops, 6.0 * 13e9 * 100e9, 1e-12); /* active, not total */
    llmc_estimate_free(e);
}
END_TEST

/* The training FLOPs of a transformer counted by hand, layer by layer
 * (Narayanan et al. 2021, SC21, sec. 5.1): per sequence of s tokens a
 * layer's forward pass is 24 s h^2 + 4 s^2 h (projections, attention
 * scores and their product with the values, the MLP) and the logit
 * layer's 2 s h V; the backward pass is twice the forward; activation
 * recomputation runs the layers' forward once more, not the logit
 * layer's. Returned for d tokens. */
static double flops_by_hand(double l, double h, double s, double v, double d,
                            int recompute)
{
    double layer_fwd = 24 * s * h * h + 4 * s * s * h;
    double logit_fwd = 2 * s * h * v;
    double passes = recompute ? 4 : 3;
    double per_sequence = passes * l * layer_fwd + 3 * logit_fwd;
    return per_sequence / s * d;
}

START_TEST(test_estimate_detailed_formula_counts_attention_and_logits)
{
    static const struct {
        const char *l, *h, *s, *v, *d;
        double lf, hf, sf, vf, df;
    } shapes[] = {
        /* GPT-2 small (Radford et al. 2019) on 1e9 tokens */
        {"12", "768", "1024", "50257", "1e9", 12, 768, 1024, 50257, 1e9},
        /* GPT-3 175B (Brown et al. 2020, Table 2.1) on 300B tokens */
        {"96", "12288", "2048", "50257", "300B", 96, 12288, 2048, 50257,
         300e9},
        /* a small model where the logit layer outweighs the layers */
        {"2", "64", "128", "1000", "1M", 2, 64, 128, 1000, 1e6},
    };
    llmc_estimate *e;
    llmc_estimate_result r;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        e = est_new();
        set_ok(e, "hardware", "NVIDIA H100 SXM5 80GB");
        set_ok(e, "count", "64");
        set_ok(e, "layers", shapes[i].l);
        set_ok(e, "hidden", shapes[i].h);
        set_ok(e, "seq_len", shapes[i].s);
        set_ok(e, "vocab", shapes[i].v);
        set_ok(e, "tokens", shapes[i].d);
        set_ok(e, "mfu", "0.4");
        set_ok(e, "intensity", "100");
        r = compute_ok(e);
        ck_assert_rel(r.flops,
                      flops_by_hand(shapes[i].lf, shapes[i].hf, shapes[i].sf,
                                    shapes[i].vf, shapes[i].df, 0),
                      1e-12);
        if (i == 0) /* the figure worked out on paper, to its 4 digits */
            ck_assert_rel(r.flops, 8.544e17, 1e-4);
        set_ok(e, "recompute", "true");
        r = compute_ok(e);
        ck_assert_rel(r.flops,
                      flops_by_hand(shapes[i].lf, shapes[i].hf, shapes[i].sf,
                                    shapes[i].vf, shapes[i].df, 1),
                      1e-12);
        llmc_estimate_free(e);
    }
    /* part of the formula is an error that names the rest */
    e = est_new();
    set_ok(e, "hardware", "NVIDIA H100 SXM5 80GB");
    set_ok(e, "layers", "32");
    set_ok(e, "tokens", "1T");
    set_ok(e, "mfu", "0.4");
    set_ok(e, "intensity", "100");
    ck_assert_status(compute_rc(e), LLMC_EINVAL);
    ck_assert_error_mentions("--vocab");
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_precision_the_hardware_lacks_names_what_it_has)
{
    llmc_estimate *e = est_new();
    set_ok(e, "hardware", "NVIDIA V100 SXM2 32GB");
    set_ok(e, "params", "1B");
    set_ok(e, "tokens", "20B");
    set_ok(e, "mfu", "0.3");
    set_ok(e, "intensity", "100");
    /* the default, bf16: a V100 has none */
    ck_assert_status(compute_rc(e), LLMC_ENODATA);
    ck_assert_error_mentions("bf16");
    ck_assert_error_mentions("fp32, fp16");
    set_ok(e, "precision", "fp16");
    compute_ok(e);
    ck_assert_status(llmc_estimate_set(e, "precision", "fp4"), LLMC_EINVAL);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_flops_path_needs_mfu_hardware_and_tokens)
{
    llmc_estimate *e = est_new();
    set_ok(e, "hardware", "NVIDIA H100 SXM5 80GB");
    set_ok(e, "params", "7B");
    set_ok(e, "intensity", "100");
    ck_assert_status(compute_rc(e), LLMC_EINVAL);
    ck_assert_error_mentions("--tokens");
    set_ok(e, "tokens", "1T");
    ck_assert_status(compute_rc(e), LLMC_EINVAL);
    ck_assert_error_mentions("--mfu");
    set_ok(e, "mfu", "0.4");
    set_ok(e, "hours", "10h");
    ck_assert_status(compute_rc(e), LLMC_EINVAL); /* time given twice */
    ck_assert_error_mentions("one or the other");
    ck_assert_status(llmc_estimate_set(e, "mfu", "1.5"), LLMC_ERANGE);
    ck_assert_status(llmc_estimate_set(e, "params", "-7B"), LLMC_EPARSE);
    ck_assert_status(llmc_estimate_set(e, "params", "7X"), LLMC_EPARSE);
    ck_assert_status(llmc_estimate_set(e, "tokens", "nan"), LLMC_EPARSE);
    ck_assert_status(llmc_estimate_set(e, "power_factor", "3"), LLMC_ERANGE);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_ranges_bound_every_output)
{
    llmc_estimate *e = est_new();
    llmc_estimate_result mid, lo, hi;
    set_ok(e, "hardware", "NVIDIA H100 SXM5 80GB");
    set_ok(e, "count", "64");
    set_ok(e, "params", "7B");
    set_ok(e, "tokens", "1T");
    set_ok(e, "mfu", "0.3..0.5");
    set_ok(e, "pue", "1.1..1.4");
    set_ok(e, "power", "550W..700W");
    set_ok(e, "intensity", "50..70");
    mid = compute_ok(e);
    llmc_estimate_result_init(&lo, sizeof lo);
    llmc_estimate_result_init(&hi, sizeof hi);
    ck_assert_status(llmc_estimate_range(&lo, &hi, e), LLMC_OK);
    /* low: the fastest (mfu 0.5), lowest power, PUE and intensity */
    {
        double flops = 6 * 7e9 * 1e12;
        double s_lo = flops / (989e12 * 0.5), s_hi = flops / (989e12 * 0.3);
        ck_assert_rel(lo.device_hours, s_lo / 3600, 1e-12);
        ck_assert_rel(hi.device_hours, s_hi / 3600, 1e-12);
        ck_assert_rel(lo.energy_kwh, 550 * s_lo / 3.6e6, 1e-12);
        ck_assert_rel(hi.energy_kwh, 700 * s_hi / 3.6e6, 1e-12);
        ck_assert_rel(lo.operational_kgco2e, 550 * s_lo / 3.6e6 * 1.1 * 50 / 1000,
                      1e-12);
        ck_assert_rel(hi.operational_kgco2e, 700 * s_hi / 3.6e6 * 1.4 * 70 / 1000,
                      1e-12);
        /* the middle: every range at its middle */
        ck_assert_rel(mid.device_hours, flops / (989e12 * 0.4) / 3600, 1e-12);
        ck_assert_rel(mid.pue, 1.25, 1e-12);
    }
    ck_assert_double_lt(lo.total_kgco2e, mid.total_kgco2e);
    ck_assert_double_gt(hi.total_kgco2e, mid.total_kgco2e);
    {
        json_t *root = json_of(e), *range = obj(root, "range");
        json_t *tot = json_object_get(range, "total_kgco2e");
        ck_assert_rel(json_number_value(json_array_get(tot, 0)), lo.total_kgco2e,
                      1e-12);
        ck_assert_rel(json_number_value(json_array_get(tot, 1)), hi.total_kgco2e,
                      1e-12);
        ck_assert_rel(num(root, "flops"), 6 * 7e9 * 1e12, 1e-12);
        json_decref(root);
    }
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_without_ranges_has_no_range_and_equal_bounds)
{
    llmc_estimate *e = est_new();
    llmc_estimate_result lo, hi, mid;
    json_t *root;
    set_ok(e, "energy", "1000kWh");
    set_ok(e, "intensity", "0.5kg/kWh");
    mid = compute_ok(e);
    llmc_estimate_result_init(&lo, sizeof lo);
    llmc_estimate_result_init(&hi, sizeof hi);
    ck_assert_status(llmc_estimate_range(&lo, &hi, e), LLMC_OK);
    ck_assert_double_eq(lo.total_kgco2e, mid.total_kgco2e);
    ck_assert_double_eq(hi.total_kgco2e, mid.total_kgco2e);
    root = json_of(e);
    ck_assert(json_is_null(json_object_get(root, "range")));
    ck_assert(json_is_null(json_object_get(root, "flops")));
    json_decref(root);
    llmc_estimate_free(e);
}
END_TEST

/* ---- power: the TDP, a typical training power, or a given figure ------ */

static llmc_estimate *day_on(const char *hardware)
{
    llmc_estimate *e = est_new();
    set_ok(e, "hardware", hardware);
    set_ok(e, "count", "8");
    set_ok(e, "hours", "24h");
    set_ok(e, "intensity", "400");
    set_ok(e, "no_embodied", "true");
    return e;
}

START_TEST(test_estimate_power_typical_takes_the_class_fraction_of_tdp)
{
    /* NVIDIA class: 76% (Newkirk et al. 2025, arXiv:2506.14551) of the
     * H100's 700 W */
    llmc_estimate *e = day_on("NVIDIA H100 SXM5 80GB");
    llmc_estimate_result r;
    json_t *root;
    r = compute_ok(e);
    ck_assert_double_eq_tol(r.power_w, 700.0, 1e-9);
    root = json_of(e);
    ck_assert_str_eq(str(root, "power_basis"), "TDP");
    json_decref(root);

    set_ok(e, "power", "typical");
    r = compute_ok(e);
    ck_assert_rel(r.power_w, 700.0 * 0.76, 1e-12);
    ck_assert_rel(r.energy_kwh, 700.0 * 0.76 * 8 * 24 / 1000.0, 1e-12);
    root = json_of(e);
    ck_assert_msg(strncmp(str(root, "power_basis"), "typical: 0.76 of TDP, ",
                          22) == 0,
                  "power_basis %s", str(root, "power_basis"));
    ck_assert_ptr_nonnull(strstr(str(root, "power_basis"), "arXiv:2506.14551"));
    ck_assert_ptr_nonnull(
        strstr(str(obj(obj(root, "assumptions"), "power"), "source"),
               "--power typical"));
    json_decref(root);

    /* tdp goes back to the default; a figure replaces the word */
    set_ok(e, "power", "tdp");
    ck_assert_double_eq_tol(compute_ok(e).power_w, 700.0, 1e-9);
    set_ok(e, "power", "typical");
    set_ok(e, "power", "300W");
    ck_assert_double_eq_tol(compute_ok(e).power_w, 300.0, 1e-9);
    root = json_of(e);
    ck_assert_str_eq(str(root, "power_basis"), "given (--power)");
    json_decref(root);
    /* and the word replaces a figure */
    set_ok(e, "power", "TYPICAL");
    ck_assert_rel(compute_ok(e).power_w, 532.0, 1e-12);
    /* tdp goes with a power factor */
    set_ok(e, "power", "tdp");
    set_ok(e, "power_factor", "0.5");
    ck_assert_double_eq_tol(compute_ok(e).power_w, 350.0, 1e-9);
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_power_typical_prefers_the_device_row)
{
    /* Patterson et al. 2021, Table 3: V100 325 W, TPU v3 283 W measured
     * system power per processor; the rows name the device */
    static const struct {
        const char *hw;
        double w;
    } cases[] = {{"NVIDIA V100 SXM2 32GB", 325.0},
                 {"Google TPU v3 (chip)", 283.0}};
    for (size_t i = 0; i < 2; i++) {
        llmc_estimate *e = day_on(cases[i].hw);
        json_t *root;
        set_ok(e, "power", "typical");
        ck_assert_double_eq_tol(compute_ok(e).power_w, cases[i].w, 1e-9);
        root = json_of(e);
        ck_assert_ptr_nonnull(strstr(str(root, "power_basis"),
                                     "W mean per device"));
        ck_assert_ptr_nonnull(strstr(str(root, "power_basis"),
                                     "arXiv:2104.10350"));
        json_decref(root);
        llmc_estimate_free(e);
    }
}
END_TEST

START_TEST(test_estimate_power_typical_unknown_says_what_to_give)
{
    /* a class no measured study covers, and a kind with no class */
    const char *none[] = {"AMD Instinct MI300X", "Intel Gaudi2",
                          "AMD EPYC 9654", "NVIDIA HGX H100 8-GPU baseboard"};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        llmc_estimate *e = est_new();
        set_ok(e, "hardware", none[i]);
        set_ok(e, "device_hours", "10h");
        set_ok(e, "intensity", "400");
        set_ok(e, "power", "typical");
        ck_assert_status(compute_rc(e), LLMC_ENODATA);
        ck_assert_error_mentions("no typical training power is known");
        ck_assert_error_mentions(none[i]);
        ck_assert_error_mentions("give --power");
        ck_assert_error_mentions("--power-factor");
        llmc_estimate_free(e);
    }
}
END_TEST

START_TEST(test_estimate_power_typical_conflicts_are_refused)
{
    llmc_estimate *e = day_on("NVIDIA H100 SXM5 80GB");
    set_ok(e, "power", "typical");
    set_ok(e, "power_factor", "0.8");
    ck_assert_status(compute_rc(e), LLMC_EINVAL);
    ck_assert_error_mentions("--power-factor");
    llmc_estimate_free(e);

    /* the class figure is a node's: the host is in it already */
    e = day_on("NVIDIA H100 SXM5 80GB");
    set_ok(e, "power", "typical");
    set_ok(e, "overhead_power", "100W");
    ck_assert_status(compute_rc(e), LLMC_EINVAL);
    ck_assert_error_mentions("count the host twice");
    llmc_estimate_free(e);

    e = est_new();
    set_ok(e, "energy", "100kWh");
    set_ok(e, "intensity", "400");
    set_ok(e, "power", "typical");
    ck_assert_status(compute_rc(e), LLMC_EINVAL);
    ck_assert_error_mentions("--energy");
    llmc_estimate_free(e);

    e = est_new();
    set_ok(e, "device_hours", "10h");
    set_ok(e, "intensity", "400");
    set_ok(e, "power", "typical");
    ck_assert_status(compute_rc(e), LLMC_EINVAL);
    ck_assert_error_mentions("--hardware");
    llmc_estimate_free(e);
}
END_TEST

START_TEST(test_estimate_power_word_errors_keep_the_input)
{
    llmc_estimate *e = day_on("NVIDIA H100 SXM5 80GB");
    llmc_key_info k;
    set_ok(e, "power", "typical");
    ck_assert_status(llmc_estimate_set(e, "power", "typicl"), LLMC_EPARSE);
    ck_assert_error_mentions("tdp or typical");
    ck_assert_status(llmc_estimate_set(e, "power", "-5W"), LLMC_ERANGE);
    ck_assert_rel(compute_ok(e).power_w, 532.0, 1e-12);
    /* the key is still a power in W */
    llmc_key_info_init(&k, sizeof k);
    ck_assert_int_eq(llmc_estimate_key_find(&k, "power"), LLMC_OK);
    ck_assert_str_eq(k.unit, "W");
    ck_assert_double_eq(k.min, 0.0);
    llmc_estimate_free(e);
}
END_TEST

/* ---- published runs, from tests/data/published_runs.json ---------------- */

START_TEST(test_estimate_reproduces_published_runs)
{
    const char *root = getenv("LLMC_SOURCE_ROOT");
    char path[512];
    json_error_t err;
    json_t *runs, *run;
    size_t i;

    ck_assert_ptr_nonnull(root);
    snprintf(path, sizeof path, "%s/tests/data/published_runs.json", root);
    runs = json_load_file(path, 0, &err);
    ck_assert_msg(runs != NULL, "%s: %s", path, err.text);
    ck_assert_uint_ge(json_array_size(runs), 4);
    json_array_foreach(runs, i, run) {
        llmc_estimate *e = est_new();
        llmc_estimate_result r;
        json_t *inputs = json_object_get(run, "inputs"), *expect, *v;
        const char *key, *name = json_string_value(json_object_get(run, "name"));
        double tol = json_number_value(json_object_get(run, "tolerance"));

        json_object_foreach(inputs, key, v) {
            const char *value = json_string_value(v);
            char derived[64];
            if (strcmp(key, "mfu") == 0 && strcmp(value, "derive") == 0) {
                /* the utilisation the published time implies:
                 * 6ND / (device-seconds x peak); GPT-3: about 0.197 */
                double dh = json_number_value(
                    json_object_get(run, "derive_mfu_from_device_hours"));
                double mfu = 6 * 175e9 * 300e9 / (dh * 3600 * 125e12);
                ck_assert_double_eq_tol(mfu, 0.197, 0.001);
                snprintf(derived, sizeof derived, "%.17g", mfu);
                value = derived;
            }
            ck_assert_msg(llmc_estimate_set(e, key, value) == LLMC_OK,
                          "%s: %s=%s: %s", name, key, value, llmc_last_error());
        }
        r = compute_ok(e);
        expect = json_object_get(run, "expect");
        json_object_foreach(expect, key, v) {
            double want = json_number_value(v), got =
                strcmp(key, "facility_energy_kwh") == 0 ? r.facility_energy_kwh
                : strcmp(key, "energy_kwh") == 0        ? r.energy_kwh
                : strcmp(key, "operational_kgco2e") == 0 ? r.operational_kgco2e
                : strcmp(key, "device_hours") == 0      ? r.device_hours
                : strcmp(key, "days") == 0              ? r.days
                                                        : NAN;
            ck_assert_msg(REL_OK(got, want, tol),
                          "%s: %s = %.6g, published %.6g (tolerance %g)", name,
                          key, got, want, tol);
        }
        llmc_estimate_free(e);
    }
    json_decref(runs);
}
END_TEST

static Suite *estimate_suite(void)
{
    Suite *s = suite_create("estimate");
    TCase *examples = tcase_create("examples");
    TCase *inputs = tcase_create("inputs");
    TCase *errors = tcase_create("errors");
    TCase *json = tcase_create("json");
    TCase *handles = tcase_create("handles");

    tcase_add_test(examples, test_estimate_energy_at_constant_intensity_gives_500kg);
    tcase_add_test(examples, test_estimate_bare_energy_is_kwh);
    tcase_add_test(examples, test_estimate_h100_month_in_the_us);
    tcase_add_test(examples, test_estimate_can_be_computed_again_after_more_inputs);
    tcase_add_test(examples, test_estimate_power_typical_takes_the_class_fraction_of_tdp);
    tcase_add_test(examples, test_estimate_power_typical_prefers_the_device_row);
    {
        TCase *plan = tcase_create("plan");
        tcase_add_test(plan, test_estimate_flops_path_6nd_time_energy);
        tcase_add_test(plan, test_estimate_active_params_for_mixture_of_experts);
        tcase_add_test(plan, test_estimate_detailed_formula_counts_attention_and_logits);
        tcase_add_test(plan, test_estimate_precision_the_hardware_lacks_names_what_it_has);
        tcase_add_test(plan, test_estimate_flops_path_needs_mfu_hardware_and_tokens);
        tcase_add_test(plan, test_estimate_ranges_bound_every_output);
        tcase_add_test(plan, test_estimate_without_ranges_has_no_range_and_equal_bounds);
        tcase_add_test(plan, test_estimate_reproduces_published_runs);
        suite_add_tcase(s, plan);
    }
    suite_add_tcase(s, examples);

    tcase_add_test(inputs, test_estimate_device_hours_replace_count_times_hours_path);
    tcase_add_loop_test(inputs,
                        test_estimate_key_spellings_dash_underscore_and_flag_agree,
                        0,
                        (int)(sizeof device_hours_keys /
                              sizeof device_hours_keys[0]));
    tcase_add_test(inputs, test_estimate_hours_and_device_hours_together_are_refused);
    tcase_add_test(inputs, test_estimate_count_with_device_hours_is_refused);
    tcase_add_test(inputs, test_estimate_count_without_hours_is_refused);
    tcase_add_test(inputs, test_estimate_power_override_bare_number_is_watts);
    tcase_add_test(inputs, test_estimate_power_without_hardware);
    tcase_add_test(inputs, test_estimate_embodied_override_mass_per_device);
    tcase_add_test(inputs, test_estimate_embodied_bare_one_is_one_kg);
    tcase_add_test(inputs, test_estimate_embodied_can_be_switched_off_and_on);
    tcase_add_test(inputs, test_estimate_lifetime_in_years_and_hours_agree);
    tcase_add_test(inputs, test_estimate_profile_lifetime_is_used_when_not_given);
    suite_add_tcase(s, inputs);

    tcase_add_test(errors, test_estimate_nothing_given_names_energy);
    tcase_add_test(errors, test_estimate_hardware_without_hours_names_hours);
    tcase_add_test(errors, test_estimate_without_grid_names_zone);
    tcase_add_test(errors, test_estimate_zone_and_intensity_conflict);
    tcase_add_test(errors, test_estimate_zone_refuses_constants_and_chains);
    tcase_add_test(errors, test_estimate_energy_and_power_conflict);
    tcase_add_loop_test(errors, test_estimate_ignored_inputs_conflict, 0,
                        sizeof conflicts / sizeof conflicts[0]);
    tcase_add_loop_test(errors, test_estimate_count_must_be_a_positive_whole_number,
                        0, (int)(sizeof bad_counts / sizeof bad_counts[0]));
    tcase_add_test(errors, test_estimate_unknown_key_is_einval_listing_keys);
    tcase_add_test(errors, test_estimate_keys_come_from_one_table);
    tcase_add_test(errors, test_estimate_bad_values_keep_the_parser_codes);
    tcase_add_test(errors, test_estimate_null_arguments_are_einval);
    tcase_add_test(errors, test_estimate_unknown_tdp_needs_power);
    tcase_add_test(errors, test_estimate_power_typical_unknown_says_what_to_give);
    tcase_add_test(errors, test_estimate_power_typical_conflicts_are_refused);
    tcase_add_test(errors, test_estimate_power_word_errors_keep_the_input);
    tcase_add_test(errors, test_estimate_missing_embodied_figure_is_explained);
    tcase_add_test(errors, test_estimate_embodied_scope_selects_the_figure);
    tcase_add_test(errors,
                   test_estimate_embodied_scope_unknown_names_the_scopes_it_has);
    tcase_add_test(errors, test_estimate_embodied_scope_of_a_user_profile);
    tcase_add_test(errors, test_estimate_energy_only_explains_missing_embodied);
    tcase_add_test(errors, test_estimate_failed_set_keeps_inputs);
    tcase_add_test(errors, test_estimate_failed_set_keeps_the_last_result);
    suite_add_tcase(s, errors);

    tcase_add_test(json, test_estimate_json_keys_match_the_result);
    tcase_add_test(json, test_estimate_json_embodied_not_included_is_null);
    tcase_add_test(json, test_estimate_json_no_embodied_is_null_with_its_reason);
    tcase_add_test(json, test_estimate_json_assumptions_carry_every_source);
    tcase_add_test(json, test_estimate_json_says_the_pue_default_was_applied);
    tcase_add_test(json, test_estimate_json_energy_only_reports_null_device_hours_and_power);
    tcase_add_test(json, test_estimate_json_before_compute_is_estate);
    tcase_add_test(json, test_estimate_json_is_stale_after_a_set);
    suite_add_tcase(s, json);

    tcase_add_test(handles, test_estimate_set_profile_takes_its_own_reference);
    tcase_add_test(handles, test_estimate_profile_is_frozen_while_the_estimate_holds_it);
    tcase_add_test(handles, test_estimate_set_grid_takes_its_own_reference);
    tcase_add_test(handles, test_estimate_replacing_the_profile_releases_the_old_one);
    tcase_add_test(handles, test_estimate_result_fills_only_what_size_covers);
    tcase_add_test(handles, test_estimate_result_larger_caller_struct_keeps_its_tail);
    tcase_add_test(handles, test_estimate_result_size_zero_is_einval_naming_init);
    suite_add_tcase(s, handles);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(estimate_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
