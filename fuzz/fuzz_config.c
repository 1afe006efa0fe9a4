/*
 * fuzz_config.c - libFuzzer target: tracker configuration strings
 * ("key=value;key=value"), applied with llmc_tracker_configure to a fresh
 * tracker that is never started (so nothing is measured, logged or
 * written).
 *
 * Inputs naming a file: grid source are skipped: opening whatever path the
 * fuzzer writes (a FIFO blocks) tests the file system, not the parser; the
 * series parser has its own target (fuzz_user).
 * When the last item has options ("grid=...?key=value"), the target adds
 * a credential (token= or password=) that no input holds.
 * Checks: a failure leaves a message, which never shows the credential; a
 * configuration that applied once applies again to the same tracker
 * (configure is all or nothing, so the first call changed nothing that
 * makes the second fail); the totals of a tracker that never ran are
 * zero.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    llmc_tracker *t;
    llmc_totals tot;
    char *text;
    int rc;

    if (!(text = fuzz_spec_with_secret(data, size)))
        return 0;
    if (llmc_tracker_new(&t) != LLMC_OK) {
        free(text);
        return 0;
    }
    rc = llmc_tracker_configure(t, text);
    fuzz_check_message(rc);
    fuzz_check_no_secret(llmc_last_error());
    if (rc == LLMC_OK && llmc_tracker_configure(t, text) != LLMC_OK)
        __builtin_trap();
    llmc_totals_init(&tot, sizeof tot);
    if (llmc_tracker_totals(&tot, t, NULL) != LLMC_OK || tot.steps ||
        tot.tokens || tot.samples || tot.duration_s != 0.0)
        __builtin_trap();
    llmc_tracker_free(t);
    free(text);
    return 0;
}
