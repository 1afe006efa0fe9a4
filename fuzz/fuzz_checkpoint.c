/*
 * fuzz_checkpoint.c - libFuzzer target: checkpoint files, read as a
 * tracker's start reads them (llmc__checkpoint_read on a tracker whose
 * checkpoint= names a scratch file holding the input). The tracker is
 * never started: nothing is measured and the file is never written back.
 *
 * Checks: a failure leaves a message and resumes nothing (the totals stay
 * zero); a checkpoint that loads gives totals, for the run and for every
 * phase, that are finite and >= 0 (energy and operational CO2e may be
 * unknown: NaN).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_env.h"
#include "tracker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[600];

static void check_totals(llmc_tracker *t, const char *phase, int resumed)
{
    llmc_totals o;
    llmc_totals_init(&o, sizeof o);
    if (llmc_tracker_totals(&o, t, phase) != LLMC_OK)
        __builtin_trap();
    if (!isfinite(o.duration_s) || o.duration_s < 0 ||
        !isfinite(o.embodied_kgco2e) || o.embodied_kgco2e < 0 ||
        (!isnan(o.energy_j) && !(isfinite(o.energy_j) && o.energy_j >= 0)) ||
        (!isnan(o.operational_kgco2e) &&
         !(isfinite(o.operational_kgco2e) && o.operational_kgco2e >= 0)))
        __builtin_trap();
    if (!resumed && (o.steps || o.tokens || o.samples || o.duration_s != 0 ||
                     o.embodied_kgco2e != 0))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const phases[] = {"train", "eval", "checkpoint"};
    llmc_tracker *t;
    int rc;

    if (fuzz_write(path, data, size) != 0)
        fuzz_die("cannot write the scratch checkpoint");
    if (llmc_tracker_new(&t) != LLMC_OK)
        return 0;
    if (llmc_tracker_set(t, "checkpoint", path) != LLMC_OK)
        __builtin_trap();
    rc = llmc__checkpoint_read(t);
    fuzz_check_message(rc);
    check_totals(t, NULL, rc == LLMC_OK);
    for (size_t i = 0; i < sizeof phases / sizeof phases[0]; i++) {
        llmc_totals o;
        llmc_totals_init(&o, sizeof o);
        if (llmc_tracker_totals(&o, t, phases[i]) == LLMC_OK)
            check_totals(t, phases[i], rc == LLMC_OK);
    }
    llmc_tracker_free(t);
    return 0;
}

/* Once, before the first input (see fuzz_env.h). */
void fuzz_target_init(void)
{
    fuzz_path(path, sizeof path, "run.ckpt");
}
