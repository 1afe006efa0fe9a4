/*
 * fuzz_user.c - libFuzzer target: any bytes as a user's CSV or JSON series,
 * and as an ISO 8601 date-time.
 * Checks what the parser promises: no crash or leak, every point in range,
 * sorted without overlaps, and a series left as it was after a failure.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
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
    char *text;
    int64_t t;
    int rc;

    llmc__series_init(&s);
    if (llmc__series_put(&s, &sentinel) != LLMC_OK)
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
    if (llmc__parse_iso8601(&t, text) == 0) {
        char back[32];
        int64_t again;
        /* what it accepts and writes back reads the same again */
        llmc__format_iso8601(back, sizeof back, t);
        if (t >= 0 && t < INT64_C(253402300800) &&
            (llmc__parse_iso8601(&again, back) != 0 || again != t))
            __builtin_trap();
    }
    free(text);
    return 0;
}
