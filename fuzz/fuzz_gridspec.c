/*
 * fuzz_gridspec.c - libFuzzer target: grid specs ("static:FR",
 * "const:450g/kWh", "electricitymaps:DE?token=...", chains "a,b,c") given
 * to llmc_grid_new.
 *
 * llmc_grid_new never uses the network; the intensity is asked only of
 * grids whose sources are all offline (static, const), so no input makes
 * a request. Inputs naming a file: source are skipped (see fuzz_config.c).
 * When the input's last source has options ("...?key=value"), the target
 * adds a credential (token= or password=) that no input holds.
 * Checks: a failure leaves a message; the credential appears in no message
 * and not in the canonical spec; a grid's canonical spec makes the
 * same grid again (the canonical form is a fixed point); an offline grid
 * answers with a finite intensity >= 0 for any time in the years 1970 to
 * 9999, and refuses others only with a message.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_offline(const char *canonical)
{
    return !strstr(canonical, "electricitymaps:") &&
           !strstr(canonical, "ukci:") && !strstr(canonical, "watttime:");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int64_t times[] = {0, 1700000000, 253402300799, -1,
                                    INT64_MAX, INT64_MIN};
    llmc_grid *g, *again;
    const char *spec;
    char *text;
    int rc;

    if (!(text = fuzz_spec_with_secret(data, size)))
        return 0;
    rc = llmc_grid_new(&g, text);
    fuzz_check_message(rc);
    fuzz_check_no_secret(llmc_last_error());
    if (rc != LLMC_OK) {
        free(text);
        return 0;
    }
    spec = llmc_grid_spec(g);
    if (!spec || !*spec)
        __builtin_trap();
    fuzz_check_no_secret(spec);
    if (llmc_grid_new(&again, spec) != LLMC_OK ||
        strcmp(llmc_grid_spec(again), spec) != 0)
        __builtin_trap();
    llmc_grid_free(again);
    if (is_offline(spec)) {
        for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
            llmc_intensity ci;
            llmc_intensity_init(&ci, sizeof ci);
            rc = llmc_grid_intensity_at(&ci, g, times[i]);
            fuzz_check_message(rc);
            /* a time outside the years 1970 to 9999 may be refused */
            if (rc != LLMC_OK && times[i] >= 0 && times[i] <= 253402300799)
                __builtin_trap();
            if (rc == LLMC_OK &&
                (!isfinite(ci.gco2e_per_kwh) || ci.gco2e_per_kwh < 0 ||
                 !ci.source || !ci.zone || !ci.provenance))
                __builtin_trap();
        }
    }
    llmc_grid_free(g);
    free(text);
    return 0;
}
