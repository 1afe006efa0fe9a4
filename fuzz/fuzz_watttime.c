/*
 * fuzz_watttime.c - libFuzzer target: any bytes as a WattTime answer; the first
 * byte picks a forecast or historical answer, or the login token.
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
    char token[32];
    int rc;

    if (size < 1)
        return 0;
    if (data[0] & 2) {
        rc = llmc__parse_watttime_token(token, sizeof token,
                                        (const char *)data + 1, size - 1,
                                        "watttime");
        if (rc == LLMC_OK && (token[0] == '\0' || strlen(token) >= sizeof token))
            __builtin_trap();
        return 0;
    }
    if (!series_with_sentinel(&s))
        return 0;
    rc = llmc__parse_watttime(&s, (const char *)data + 1, size - 1,
                              "watttime:CAISO_NORTH", data[0] & 1);
    check(&s, rc);
    llmc__series_free(&s);
    return 0;
}
