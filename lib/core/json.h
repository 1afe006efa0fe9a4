/* json.h - JSON text that the library hands out, writes and reads. */
#ifndef LLMC_CORE_JSON_H
#define LLMC_CORE_JSON_H

#include <jansson.h>
#include <stdio.h>

/* json_dumps(value, flags) as memory that free() and llmc_free release,
 * whatever allocators the host gave jansson; NULL when out of memory, never
 * a text with a part missing (which json_dumps itself can return). */
char *llmc__json_text(const json_t *value, size_t flags);

/* json_loadb(buffer, length, flags, error), but never a value that differs
 * from the text: when jansson runs out of memory inside a token it drops
 * bytes of that string or number and returns the value without them. Such
 * a value is refused: NULL, with error's text saying "out of memory" and
 * json_error_code(error) json_error_out_of_memory. */
json_t *llmc__json_loadb(const char *buffer, size_t length, size_t flags,
                         json_error_t *error);
/* The same for the rest of a stream. */
json_t *llmc__json_loadf(FILE *f, size_t flags, json_error_t *error);

/* json_object_set_new and json_array_append_new for a value built in
 * several steps: a failure (a NULL value, which is what a constructor
 * returns when out of memory, or a failed insertion) clears *ok, and it
 * stays cleared, so that one test at the end says whether the value is
 * whole. value is released when it cannot be inserted. */
void llmc__json_set(int *ok, json_t *object, const char *key, json_t *value);
void llmc__json_append(int *ok, json_t *array, json_t *value);

#endif
