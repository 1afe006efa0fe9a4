/*
 * fuzz_ukci.c - libFuzzer target: any bytes as a UK Carbon Intensity answer;
 * the first byte picks the region id (0 national, 1-17 regions).
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
    int rc;

    if (size < 1)
        return 0;
    if (!series_with_sentinel(&s))
        return 0;
    rc = llmc__parse_ukci(&s, (const char *)data + 1, size - 1,
                          "ukci:region", data[0] % 18);
    check(&s, rc);
    llmc__series_free(&s);
    return 0;
}
