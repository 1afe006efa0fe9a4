/*
 * fuzz_units.c - libFuzzer target: quantities and ranges with units.
 *
 * The first byte chooses the dimension (byte % 6 + 1) and, with bit 3, a
 * bare unit (the canonical one of the dimension); the rest is the text.
 * Checks: a value that parses is finite and in range (PUE >= 1, others
 * >= 0); formatted by llmc_quantity_format it parses back to the same
 * value within the 15 digits printed; a range has low <= high, each bound
 * in range and formatting back the same way; a failure leaves a message.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const bare_units[] = {NULL, "W", "J", "gCO2e/kWh", "s",
                                         NULL, "kgCO2e"};

static int in_range(llmc_dimension dim, double v)
{
    return isfinite(v) && (dim == LLMC_DIM_PUE ? v >= 1.0 : v >= 0.0);
}

/* format -> parse gives v back within the printed precision. */
static void round_trip(llmc_dimension dim, double v)
{
    char text[128];
    double back;
    if (llmc_quantity_format(text, sizeof text, dim, v) != LLMC_OK)
        __builtin_trap(); /* a finite value always formats */
    if (llmc_quantity_parse(&back, dim, text, NULL) != LLMC_OK)
        __builtin_trap(); /* what the library writes, it reads */
    /* 15 significant digits, then one multiplication by the unit */
    if (fabs(back - v) > 1e-14 * fabs(v) + 1e-300)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    llmc_dimension dim;
    const char *bare;
    double v, lo, hi;
    char *text;
    int rc;

    if (size < 1)
        return 0;
    dim = (llmc_dimension)(data[0] % 6 + 1);
    bare = (data[0] & 8) ? bare_units[dim] : NULL;
    if (!(text = fuzz_text(data + 1, size - 1)))
        return 0;

    rc = llmc_quantity_parse(&v, dim, text, bare);
    fuzz_check_message(rc);
    if (rc == LLMC_OK) {
        if (!in_range(dim, v))
            __builtin_trap();
        round_trip(dim, v);
    }

    rc = llmc_quantity_parse_range(&lo, &hi, dim, text, bare);
    fuzz_check_message(rc);
    if (rc == LLMC_OK) {
        if (!in_range(dim, lo) || !in_range(dim, hi) || lo > hi)
            __builtin_trap();
        round_trip(dim, lo);
        round_trip(dim, hi);
    }
    free(text);
    return 0;
}
