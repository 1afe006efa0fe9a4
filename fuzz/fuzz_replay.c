/*
 * fuzz_replay.c - libFuzzer target: recorded power traces
 * ("time_s,power_w" CSV), opened as the meter "replay:FILE" from a
 * scratch file holding the input.
 *
 * Only the open (which parses the trace and takes the baseline read) is
 * run: later reads depend on the clock, and a target must do the same
 * thing every time. Checks: a failure leaves a message and hands out no
 * meter; an open meter has one channel, labelled const (a given power,
 * not a reading), with a note, at 0 J after its baseline.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char spec[700];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    llmc_meter *m;
    llmc_channel ch;
    int rc;

    if (fuzz_write(spec + strlen("replay:"), data, size) != 0)
        fuzz_die("cannot write the scratch trace");
    rc = llmc_meter_open(&m, spec);
    fuzz_check_message(rc);
    if (rc != LLMC_OK) {
        if (m)
            __builtin_trap();
        return 0;
    }
    llmc_channel_init(&ch, sizeof ch);
    if (llmc_meter_channel_count(m) != 1 ||
        llmc_meter_channel(&ch, m, 0) != LLMC_OK ||
        ch.method != LLMC_METHOD_CONST || !*ch.detail ||
        !(ch.energy_j == 0.0))
        __builtin_trap();
    llmc_meter_free(m);
    return 0;
}

/* Once, before the first input (see fuzz_env.h). */
void fuzz_target_init(void)
{
    char path[600];
    fuzz_path(path, sizeof path, "trace.csv");
    if (strchr(path, '+'))
        fuzz_die("TMPDIR holds '+', which joins meter specs; use another");
    snprintf(spec, sizeof spec, "replay:%s", path);
}
