/*
 * numtext.c - a number as the reports print it: grouped thousands, two
 * decimals from 1 to 1,000, three significant digits below 1, "unknown"
 * for a value that is not one. The text report of the command line and
 * the library's HTML report share it, so that a figure reads the same in
 * both; the command line compiles this file in as well.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "numtext.h"

const char *llmc__num_text(char *buf, size_t size, double v)
{
    char raw[64];
    const char *dot;
    size_t len, digits, out = 0;

    if (!isfinite(v)) {
        snprintf(buf, size, "unknown");
        return buf;
    }
    /* beyond 1e15 (or below 1e-12) every digit would not fit the callers'
     * columns and buffers, and a cut number is a wrong one: such values
     * are written in exponent form, whole */
    if (fabs(v) >= 1e15 || (v != 0.0 && fabs(v) < 1e-12)) {
        snprintf(buf, size, "%.6g", v);
        return buf;
    }
    if (fabs(v) >= 1000.0)
        snprintf(raw, sizeof raw, "%.0f", v);
    else if (fabs(v) >= 1.0)
        snprintf(raw, sizeof raw, "%.2f", v);
    else if (v == 0.0)
        snprintf(raw, sizeof raw, "0");
    else {
        /* three significant digits */
        int decimals = 2 - (int)floor(log10(fabs(v)));
        snprintf(raw, sizeof raw, "%.*f", decimals, v);
    }
    /* 700.00 -> 700, 1.10 -> 1.1 */
    if (strchr(raw, '.') && !strchr(raw, 'e')) {
        char *end = raw + strlen(raw) - 1;
        while (*end == '0')
            *end-- = '\0';
        if (*end == '.')
            *end = '\0';
    }
    /* group thousands in the integer part: 1234567.5 -> 1,234,567.5 */
    dot = strchr(raw, '.');
    len = strlen(raw);
    digits = dot ? (size_t)(dot - raw) : len;
    for (size_t i = 0; i < len && out + 2 < size; i++) {
        size_t left = digits - i;
        buf[out++] = raw[i];
        if (i < digits && raw[i] != '-' && left > 1 && (left - 1) % 3 == 0)
            buf[out++] = ',';
    }
    buf[out] = '\0';
    return buf;
}
