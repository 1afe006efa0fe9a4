/*
 * fuzz_profile.c - libFuzzer target: hardware profiles as JSON
 * (llmc_profile_load_json), then used in an estimate of one device for
 * one hour.
 *
 * Checks: a failure leaves a message and hands out no profile; a loaded
 * profile has a name, every number it knows is finite and >= 0 and the
 * others are LLMC_ENODATA; an estimate that computes gives finite figures
 * >= 0, and its JSON is valid JSON.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_estimate(llmc_profile *p)
{
    llmc_estimate *e;
    llmc_estimate_result r;
    char *json;
    int rc;

    if (llmc_estimate_new(&e) != LLMC_OK)
        return;
    if (llmc_estimate_set_profile(e, p) != LLMC_OK ||
        llmc_estimate_set(e, "count", "1") != LLMC_OK ||
        llmc_estimate_set(e, "hours", "1h") != LLMC_OK ||
        llmc_estimate_set(e, "zone", "FR") != LLMC_OK)
        __builtin_trap(); /* valid inputs, whatever the profile holds */
    llmc_estimate_result_init(&r, sizeof r);
    rc = llmc_estimate_compute(&r, e);
    fuzz_check_message(rc);
    if (rc == LLMC_OK) {
        const double v[] = {r.energy_kwh, r.facility_energy_kwh,
                            r.operational_kgco2e, r.embodied_kgco2e,
                            r.total_kgco2e};
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
            if (!isfinite(v[i]) || v[i] < 0)
                __builtin_trap();
        rc = llmc_estimate_json(&json, e);
        fuzz_check_message(rc);
        if (rc == LLMC_OK) {
            json_t *parsed = json_loads(json, 0, NULL);
            if (!json_is_object(parsed))
                __builtin_trap();
            json_decref(parsed);
            llmc_free(json);
        }
    }
    llmc_estimate_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    llmc_profile *p = NULL;
    int rc = llmc_profile_load_json(&p, (const char *)data, size);

    fuzz_check_message(rc);
    if (rc != LLMC_OK) {
        if (p)
            __builtin_trap();
        return 0;
    }
    if (!*llmc_profile_get_text(p, LLMC_PROFILE_NAME))
        __builtin_trap();
    for (int f = LLMC_PROFILE_TDP_W; f <= LLMC_PROFILE_PROCESS_NM; f++) {
        double v;
        rc = llmc_profile_get(&v, p, (llmc_profile_field)f);
        if (rc == LLMC_OK ? !isfinite(v) || v < 0 : rc != LLMC_ENODATA)
            __builtin_trap();
    }
    for (int f = LLMC_PROFILE_NAME; f <= LLMC_PROFILE_LIFETIME_SOURCE; f++)
        if (!llmc_profile_get_text(p, (llmc_profile_text)f))
            __builtin_trap();
    check_estimate(p);
    llmc_profile_free(p);
    return 0;
}
