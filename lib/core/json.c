/*
 * json.c - JSON text that the library hands out or writes. jansson's
 * allocators are process-wide and a host may replace them, so its text is
 * copied into memory of the C library's own allocator.
 */
#include <jansson.h>

#include "internal.h"
#include "json.h"

char *llmc__json_text(const json_t *value, size_t flags)
{
    json_malloc_t jmalloc;
    json_free_t jfree;
    char *text = json_dumps(value, flags), *copy;

    if (!text)
        return NULL;
    json_get_alloc_funcs(&jmalloc, &jfree);
    copy = llmc__strdup(text);
    jfree(text);
    return copy;
}
