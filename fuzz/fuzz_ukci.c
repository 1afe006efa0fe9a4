/*
 * fuzz_ukci.c - libFuzzer target: any bytes as a UK Carbon Intensity answer;
 * the first byte picks the region id (0 national, 1-17 regions).
 * Checks what the parser promises: no crash or leak, every point in range,
 * sorted without overlaps, and a series left as it was after a failure.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "llmcarbon.h"
#include "series.h"

/* before year 0, so that no parsed point can overlap it */
static const struct llmc__point sentinel = {INT64_C(-70000000000), 3600, 1.5,
                                            0};

static void check(const struct llmc__series *s, int rc)
{
    if (rc != LLMC_OK && (s->count != 1 ||
                          memcmp(&s->points[0], &sentinel, sizeof sentinel)))
        __builtin_trap(); /* a failure appended something */
    for (size_t i = 0; i < s->count; i++) {
        const struct llmc__point *p = &s->points[i];
        if (p->duration_s <= 0 || !isfinite(p->gco2e_per_kwh) ||
            p->gco2e_per_kwh < 0 ||
            (p->flags & ~(unsigned)(LLMC__POINT_ESTIMATED |
                                    LLMC__POINT_FORECAST)))
            __builtin_trap();
        if (i && p[-1].start_unix_s + p[-1].duration_s > p->start_unix_s)
            __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct llmc__series s;
    int rc;

    if (size < 1)
        return 0;
    llmc__series_init(&s);
    if (llmc__series_put(&s, &sentinel) != LLMC_OK)
        return 0;
    rc = llmc__parse_ukci(&s, (const char *)data + 1, size - 1,
                          "ukci:region", data[0] % 18);
    check(&s, rc);
    llmc__series_free(&s);
    return 0;
}
