/*
 * fuzz_em.c - libFuzzer target: any bytes as an Electricity Maps answer.
 * Checks what the parser promises: no crash or leak, every point in range,
 * sorted without overlaps, and a series left as it was after a failure.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct llmc__series s;
    char zone[8];
    int rc;

    if (!series_with_sentinel(&s))
        return 0;
    rc = llmc__parse_electricitymaps(&s, (const char *)data, size,
                                     "electricitymaps:DE", zone, sizeof zone);
    if ((rc == LLMC_OK || rc == LLMC_ENODATA) && strlen(zone) >= sizeof zone)
        __builtin_trap();
    check(&s, rc);
    llmc__series_free(&s);
    return 0;
}
