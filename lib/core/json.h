/* json.h - JSON text that the library hands out or writes. */
#ifndef LLMC_CORE_JSON_H
#define LLMC_CORE_JSON_H

#include <jansson.h>

/* json_dumps(value, flags) as memory that free() and llmc_free release,
 * whatever allocators the host gave jansson; NULL when out of memory. */
char *llmc__json_text(const json_t *value, size_t flags);

#endif
