/*
 * fuzz_meterspec.c - libFuzzer target: meter specs ("nvml:0,1+rapl",
 * "model:H100-SXM@0.8", "const:300W", "auto") given to llmc_meter_open.
 *
 * No hardware is read: sysfs and procfs are empty directories and NVML is
 * the tests' fake library (or none), see fuzz_env.h. Inputs naming a
 * replay: file are skipped (the trace parser has its own target,
 * fuzz_replay; opening whatever path the fuzzer writes tests the file
 * system). Checks: a failure leaves a message; every channel of an open
 * meter has a name, a known method, and energy NaN or >= 0 (the first
 * read is the baseline).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    llmc_meter *m;
    char *text;
    int rc;

    if (!(text = fuzz_text(data, size)))
        return 0;
    if (strstr(text, "replay:")) {
        free(text);
        return 0;
    }
    rc = llmc_meter_open(&m, text);
    fuzz_check_message(rc);
    if (rc == LLMC_OK) {
        size_t n = llmc_meter_channel_count(m);
        for (size_t i = 0; i < n; i++) {
            llmc_channel ch;
            llmc_channel_init(&ch, sizeof ch);
            if (llmc_meter_channel(&ch, m, i) != LLMC_OK || !ch.name ||
                !*ch.name || !ch.detail || ch.method < LLMC_METHOD_NONE ||
                ch.method > LLMC_METHOD_CONST ||
                (!isnan(ch.energy_j) && !(ch.energy_j >= 0)))
                __builtin_trap();
        }
        (void)llmc_meter_diagnostics(m);
        llmc_meter_free(m);
    } else if (m) {
        __builtin_trap(); /* a failed open hands out nothing */
    }
    free(text);
    return 0;
}
