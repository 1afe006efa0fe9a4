/*
 * fuzz_user.c - libFuzzer target: any bytes as a user's CSV or JSON series,
 * and as an ISO 8601 date-time.
 * Checks what the parser promises: no crash or leak, every point in range,
 * sorted without overlaps, and a series left as it was after a failure.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct llmc__series s;
    char *text;
    int64_t t;
    int rc;

    if (!series_with_sentinel(&s))
        return 0;
    rc = llmc__parse_user_series(&s, (const char *)data, size, "fuzz.csv");
    check(&s, rc);
    llmc__series_free(&s);

    /* the date-time reader on its own, on a NUL-terminated copy */
    text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (llmc__parse_iso8601(&t, text) == LLMC_OK) {
        char back[32];
        int64_t again;
        /* what it accepts and writes back reads the same again */
        llmc__format_iso8601(back, sizeof back, t);
        if (t >= 0 && t < INT64_C(253402300800) &&
            (llmc__parse_iso8601(&again, back) != LLMC_OK || again != t))
            __builtin_trap();
    }
    free(text);
    return 0;
}
