/* numtext.h - the reports' number text (numtext.c). */
#ifndef LLMC_CORE_NUMTEXT_H
#define LLMC_CORE_NUMTEXT_H

#include <stddef.h>

/* v in buf: "1,234,567", "12.5", "0.0123", "unknown" when not finite;
 * exponent form beyond 1e15 or below 1e-12. Returns buf. */
const char *llmc__num_text(char *buf, size_t size, double v);

#endif
