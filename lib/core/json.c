/*
 * json.c - JSON text that the library hands out, writes and reads.
 *
 * jansson's allocators are process-wide and a host may replace them, so its
 * text is built in memory of the C library's own allocator. And jansson is
 * not exact when memory runs out: json_dumps leaves out an object key it
 * could not append and carries on (dump.c ignores that failure), and
 * json_loads drops a byte of a string or number it could not save (load.c's
 * lex_save; jansson issue #362, open in 2.14) and returns the value
 * without it. Text is therefore written
 * through a buffer whose first failure sticks, and a loaded value is
 * checked against the text it came from.
 */
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "llmcarbon.h"

struct sink {
    char *buf;
    size_t len, cap;
    int failed;
};

static int sink_append(const char *bytes, size_t size, void *data)
{
    struct sink *s = data;

    if (s->failed)
        return -1;
    if (size >= SIZE_MAX / 2 - s->len) {
        s->failed = 1;
        return -1;
    }
    if (s->len + size + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 256;
        char *p;
        while (cap < s->len + size + 1)
            cap *= 2;
        if (!(p = realloc(s->buf, cap))) {
            s->failed = 1;
            return -1;
        }
        s->buf = p;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, bytes, size);
    s->len += size;
    s->buf[s->len] = '\0';
    return 0;
}

char *llmc__json_text(const json_t *value, size_t flags)
{
    struct sink s = {NULL, 0, 0, 0};

    if (json_dump_callback(value, sink_append, &s, flags) != 0 || s.failed ||
        !s.buf) {
        free(s.buf);
        return NULL;
    }
    return s.buf;
}

/* --- checking a loaded value against its text ---------------------------
 * The text is JSON that jansson has just accepted, so its structure is
 * known to be right; what can differ is the content of a string or number
 * token. The reader's steps answer LLMC_OK, or LLMC_EFORMAT when the text
 * is not what they read (or, for same_*, not the value). */

struct reader {
    const char *p, *end;
    size_t flags;
};

static void skip_ws(struct reader *r)
{
    while (r->p < r->end &&
           (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return LLMC_EFORMAT;
    }
    *out = v;
    return LLMC_OK;
}

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The string token at r->p, decoded into out (at least as long as the
 * token). Returns its length, or -1. */
static long decode_string(struct reader *r, char *out)
{
    size_t n = 0;

    if (r->p >= r->end || *r->p != '"')
        return -1;
    r->p++;
    while (r->p < r->end && *r->p != '"') {
        unsigned cp, lo;
        if (*r->p != '\\') {
            out[n++] = *r->p++;
            continue;
        }
        if (r->end - r->p < 2)
            return -1;
        switch (r->p[1]) {
        case '"': case '\\': case '/':
            out[n++] = r->p[1];
            break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u':
            if (r->end - r->p < 6 || hex4(r->p + 2, &cp) != LLMC_OK)
                return -1;
            r->p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (r->end - r->p < 8 || r->p[2] != '\\' || r->p[3] != 'u' ||
                    hex4(r->p + 4, &lo) != LLMC_OK || lo < 0xDC00 ||
                    lo > 0xDFFF)
                    return -1;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                r->p += 6;
            }
            n += put_utf8(out + n, cp);
            break;
        default:
            return -1;
        }
        r->p += 2;
    }
    if (r->p >= r->end)
        return -1;
    r->p++;
    return (long)n;
}

/* The raw length of the string token at p, quotes included (an upper
 * bound of its decoded length, escapes being longer than what they
 * stand for). */
static size_t string_token_length(const char *p, const char *end)
{
    const char *q = p + 1;
    while (q < end && *q != '"')
        q += *q == '\\' ? 2 : 1;
    return (size_t)(q - p) + 1;
}

/* Decodes the string token at r->p into *out: buf when it fits, else
 * memory the caller frees (*heap). */
static long read_string(struct reader *r, char *buf, size_t size, char **out,
                        char **heap)
{
    size_t raw = string_token_length(r->p, r->end);
    *heap = NULL;
    *out = buf;
    if (raw > size) {
        if (!(*heap = malloc(raw)))
            return -1;
        *out = *heap;
    }
    return decode_string(r, *out);
}

static int skip_string(struct reader *r)
{
    r->p += string_token_length(r->p, r->end);
    return r->p <= r->end ? LLMC_OK : LLMC_EFORMAT;
}

/* Moves r past the value at r->p. */
static int skip_value(struct reader *r)
{
    int depth = 0;
    skip_ws(r);
    for (;;) {
        char c;
        if (r->p >= r->end)
            return LLMC_EFORMAT;
        c = *r->p;
        if (c == '"') {
            if (skip_string(r) != LLMC_OK)
                return LLMC_EFORMAT;
        } else if (c == '{' || c == '[') {
            depth++;
            r->p++;
        } else if (c == '}' || c == ']') {
            depth--;
            r->p++;
        } else if (depth > 0 && strchr(" \t\r\n,:", c) && c) {
            r->p++;
        } else {
            /* a number or a literal runs to the next delimiter */
            const char *start = r->p;
            while (r->p < r->end && *r->p && !strchr(" \t\r\n,:]}", *r->p))
                r->p++;
            if (r->p == start)
                return LLMC_EFORMAT;
        }
        if (depth <= 0)
            return depth == 0 ? LLMC_OK : LLMC_EFORMAT;
    }
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* LLMC_OK when the number token at r->p is the number v, else
 * LLMC_EFORMAT. */
static int same_number(struct reader *r, const json_t *v)
{
    const char *start = r->p;
    char small[128], *buf = small;
    size_t n;
    int integral = 1, rc = LLMC_EFORMAT;

    while (r->p < r->end && *r->p && strchr("+-0123456789.eE", *r->p)) {
        if (*r->p == '.' || *r->p == 'e' || *r->p == 'E')
            integral = 0;
        r->p++;
    }
    n = (size_t)(r->p - start);
    if (n == 0 || (n >= sizeof small && !(buf = malloc(n + 1))))
        return LLMC_EFORMAT;
    memcpy(buf, start, n);
    buf[n] = '\0';
    if (json_is_integer(v)) {
        char *end;
        errno = 0;
        rc = integral && strtoll(buf, &end, 10) == json_integer_value(v) &&
                     !*end && errno == 0
                 ? LLMC_OK
                 : LLMC_EFORMAT;
    } else if (json_is_real(v)) {
        double d;
        pthread_once(&c_locale_once, make_c_locale);
        if (c_locale != (locale_t)0) {
            locale_t old = uselocale(c_locale);
            d = strtod(buf, NULL);
            uselocale(old);
        } else {
            d = strtod(buf, NULL);
        }
        rc = d == json_real_value(v) ? LLMC_OK : LLMC_EFORMAT;
    }
    if (buf != small)
        free(buf);
    return rc;
}

/* Whether a member named key follows in the object whose members r is in. */
static int key_follows(struct reader r, const char *key, size_t len)
{
    for (;;) {
        char buf[256], *name, *heap;
        long n;
        int same;
        skip_ws(&r);
        if (r.p >= r.end || *r.p != ',')
            return 0;
        r.p++;
        skip_ws(&r);
        n = read_string(&r, buf, sizeof buf, &name, &heap);
        same = n >= 0 && (size_t)n == len && memcmp(name, key, len) == 0;
        free(heap);
        if (n < 0)
            return 0;
        if (same)
            return 1;
        skip_ws(&r);
        if (r.p >= r.end || *r.p != ':')
            return 0;
        r.p++;
        if (skip_value(&r) != LLMC_OK)
            return 0;
    }
}

/* The number of distinct keys of the object that opens at r.p. */
static size_t distinct_keys(struct reader r)
{
    size_t count = 0;
    r.p++;
    for (int first = 1;; first = 0) {
        char buf[256], *key, *heap;
        long n;
        skip_ws(&r);
        if (r.p >= r.end || *r.p == '}')
            return count;
        if (!first) {
            r.p++;
            skip_ws(&r);
        }
        if ((n = read_string(&r, buf, sizeof buf, &key, &heap)) < 0)
            return (size_t)-1;
        skip_ws(&r);
        r.p++; /* ':' */
        if (skip_value(&r) != LLMC_OK) {
            free(heap);
            return (size_t)-1;
        }
        count += !key_follows(r, key, (size_t)n);
        free(heap);
    }
}

static int same_value(struct reader *r, const json_t *v, int depth);

static int same_object(struct reader *r, const json_t *v, int depth)
{
    size_t members = 0;
    struct reader open = *r;

    if (!json_is_object(v))
        return LLMC_EFORMAT;
    r->p++;
    for (;;) {
        char buf[256], *key, *heap;
        long n;
        const json_t *member;
        const char *value_at;
        int rc;

        skip_ws(r);
        if (r->p < r->end && *r->p == '}') {
            r->p++;
            /* every key of the text is in v; v has no other (one that lost
             * a byte) unless the text gives a key twice */
            if (members == json_object_size(v))
                return LLMC_OK;
            return !(r->flags & JSON_REJECT_DUPLICATES) &&
                           distinct_keys(open) == json_object_size(v)
                       ? LLMC_OK
                       : LLMC_EFORMAT;
        }
        if (members > 0) {
            if (r->p >= r->end || *r->p != ',')
                return LLMC_EFORMAT;
            r->p++;
            skip_ws(r);
        }
        if ((n = read_string(r, buf, sizeof buf, &key, &heap)) < 0)
            return LLMC_EFORMAT;
        skip_ws(r);
        if (r->p >= r->end || *r->p != ':') {
            free(heap);
            return LLMC_EFORMAT;
        }
        r->p++;
        skip_ws(r);
        value_at = r->p;
        member = json_object_getn(v, key, (size_t)n);
        rc = member ? same_value(r, member, depth + 1) : LLMC_EFORMAT;
        if (rc != LLMC_OK && !(r->flags & JSON_REJECT_DUPLICATES)) {
            /* a key given twice: the value is the last one's */
            r->p = value_at;
            if (skip_value(r) == LLMC_OK && key_follows(*r, key, (size_t)n))
                rc = LLMC_OK;
        }
        free(heap);
        if (rc != LLMC_OK)
            return LLMC_EFORMAT;
        members++;
    }
}

static int same_value(struct reader *r, const json_t *v, int depth)
{
    if (depth > 2048)
        return LLMC_EFORMAT;
    skip_ws(r);
    if (r->p >= r->end)
        return LLMC_EFORMAT;
    switch (*r->p) {
    case '{':
        return same_object(r, v, depth);
    case '[': {
        size_t i = 0;
        if (!json_is_array(v))
            return LLMC_EFORMAT;
        r->p++;
        for (;;) {
            skip_ws(r);
            if (r->p < r->end && *r->p == ']') {
                r->p++;
                return i == json_array_size(v) ? LLMC_OK : LLMC_EFORMAT;
            }
            if (i > 0) {
                if (r->p >= r->end || *r->p != ',')
                    return LLMC_EFORMAT;
                r->p++;
            }
            if (same_value(r, json_array_get(v, i), depth + 1) != LLMC_OK)
                return LLMC_EFORMAT;
            i++;
        }
    }
    case '"': {
        char buf[256], *s, *heap;
        long n;
        int rc;
        if (!json_is_string(v))
            return LLMC_EFORMAT;
        n = read_string(r, buf, sizeof buf, &s, &heap);
        rc = n >= 0 && (size_t)n == json_string_length(v) &&
                     memcmp(s, json_string_value(v), (size_t)n) == 0
                 ? LLMC_OK
                 : LLMC_EFORMAT;
        free(heap);
        return rc;
    }
    case 't':
    case 'f':
    case 'n': {
        char c = *r->p;
        size_t n = c == 'f' ? 5 : 4;
        if ((size_t)(r->end - r->p) < n)
            return LLMC_EFORMAT;
        r->p += n;
        return (c == 't'   ? json_is_true(v)
                : c == 'f' ? json_is_false(v)
                           : json_is_null(v))
                   ? LLMC_OK
                   : LLMC_EFORMAT;
    }
    default:
        return same_number(r, v);
    }
}

/* --- telling a syntax error from a failed allocation ----------------------
 * jansson reports some allocation failures as a syntax error ("invalid
 * token", "string or '}' expected"), so that a valid file would be called
 * malformed. Text that this allocation-free check finds well formed was
 * refused for want of memory. */

static int valid_value(struct reader *r, int depth);

static int valid_string(struct reader *r)
{
    r->p++;
    while (r->p < r->end && *r->p != '"') {
        unsigned char c = (unsigned char)*r->p;
        unsigned cp, lo;
        if (c < 0x20)
            return LLMC_EFORMAT;
        if (c != '\\') {
            r->p++;
            continue;
        }
        if (r->end - r->p < 2)
            return LLMC_EFORMAT;
        if (r->p[1] != 'u') {
            if (!strchr("\"\\/bfnrt", r->p[1]) || !r->p[1])
                return LLMC_EFORMAT;
            r->p += 2;
            continue;
        }
        if (r->end - r->p < 6 || hex4(r->p + 2, &cp) != LLMC_OK)
            return LLMC_EFORMAT;
        r->p += 6;
        if (cp >= 0xDC00 && cp <= 0xDFFF)
            return LLMC_EFORMAT;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' ||
                hex4(r->p + 2, &lo) != LLMC_OK || lo < 0xDC00 || lo > 0xDFFF)
                return LLMC_EFORMAT;
            r->p += 6;
        }
    }
    if (r->p >= r->end)
        return LLMC_EFORMAT;
    r->p++;
    return LLMC_OK;
}

static int digits(struct reader *r)
{
    const char *start = r->p;
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
        r->p++;
    return r->p > start ? LLMC_OK : LLMC_EFORMAT;
}

static int valid_number(struct reader *r)
{
    if (r->p < r->end && *r->p == '-')
        r->p++;
    if (r->p < r->end && *r->p == '0') {
        r->p++;
        if (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            return LLMC_EFORMAT;
    } else if (digits(r) != LLMC_OK) {
        return LLMC_EFORMAT;
    }
    if (r->p < r->end && *r->p == '.') {
        r->p++;
        if (digits(r) != LLMC_OK)
            return LLMC_EFORMAT;
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
            r->p++;
        if (digits(r) != LLMC_OK)
            return LLMC_EFORMAT;
    }
    return LLMC_OK;
}

static int valid_literal(struct reader *r, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return LLMC_EFORMAT;
    r->p += n;
    /* jansson reads a whole identifier: "truex" is one bad token */
    if (r->p < r->end && ((*r->p >= 'a' && *r->p <= 'z') ||
                          (*r->p >= 'A' && *r->p <= 'Z')))
        return LLMC_EFORMAT;
    return LLMC_OK;
}

static int valid_members(struct reader *r, char close, int depth)
{
    r->p++;
    skip_ws(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return LLMC_OK;
    }
    for (;;) {
        if (close == '}') {
            if (r->p >= r->end || *r->p != '"' || valid_string(r) != LLMC_OK)
                return LLMC_EFORMAT;
            skip_ws(r);
            if (r->p >= r->end || *r->p != ':')
                return LLMC_EFORMAT;
            r->p++;
        }
        if (valid_value(r, depth + 1) != LLMC_OK)
            return LLMC_EFORMAT;
        skip_ws(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            skip_ws(r);
            continue;
        }
        if (r->p < r->end && *r->p == close) {
            r->p++;
            return LLMC_OK;
        }
        return LLMC_EFORMAT;
    }
}

static int valid_value(struct reader *r, int depth)
{
    if (depth > 2048)
        return LLMC_EFORMAT;
    skip_ws(r);
    if (r->p >= r->end)
        return LLMC_EFORMAT;
    switch (*r->p) {
    case '{':
        return valid_members(r, '}', depth);
    case '[':
        return valid_members(r, ']', depth);
    case '"':
        return valid_string(r);
    case 't':
        return valid_literal(r, "true");
    case 'f':
        return valid_literal(r, "false");
    case 'n':
        return valid_literal(r, "null");
    default:
        return valid_number(r);
    }
}

/* Whether text is JSON as jansson reads it with these flags. */
static int well_formed(const char *text, size_t length, size_t flags)
{
    struct reader r = {text, text + length, flags};
    skip_ws(&r);
    if (!(flags & JSON_DECODE_ANY) &&
        (r.p >= r.end || (*r.p != '{' && *r.p != '[')))
        return 0;
    if (valid_value(&r, 1) != LLMC_OK)
        return 0;
    skip_ws(&r);
    return (flags & JSON_DISABLE_EOF_CHECK) || r.p == r.end;
}

static void out_of_memory(json_error_t *error)
{
    if (!error)
        return;
    memset(error, 0, sizeof *error);
    error->line = error->column = -1;
    snprintf(error->text, sizeof error->text, "out of memory reading JSON");
    /* where jansson keeps the code json_error_code() returns */
    error->text[JSON_ERROR_TEXT_LENGTH - 1] = (char)json_error_out_of_memory;
}

json_t *llmc__json_loadb(const char *buffer, size_t length, size_t flags,
                         json_error_t *error)
{
    json_error_t own;
    json_t *value;
    struct reader r;

    if (!error)
        error = &own;
    if (!(value = json_loadb(buffer, length, flags, error))) {
        /* jansson says why for every error in the text; nothing said means
         * it could not allocate its buffers */
        if (!error->text[0] ||
            (json_error_code(error) == json_error_invalid_syntax &&
             well_formed(buffer, length, flags)))
            out_of_memory(error);
        return NULL;
    }
    r.p = buffer;
    r.end = buffer + length;
    r.flags = flags;
    if (same_value(&r, value, 0) == LLMC_OK)
        return value;
    json_decref(value);
    out_of_memory(error);
    return NULL;
}

json_t *llmc__json_loadf(FILE *f, size_t flags, json_error_t *error)
{
    struct sink s = {NULL, 0, 0, 0};
    char chunk[4096];
    size_t n;
    json_t *value;

    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (sink_append(chunk, n, &s) != 0)
            break;
    if (s.failed || ferror(f)) {
        free(s.buf);
        if (s.failed) {
            out_of_memory(error);
        } else if (error) {
            memset(error, 0, sizeof *error);
            error->line = error->column = -1;
            snprintf(error->text, sizeof error->text, "read error");
            error->text[JSON_ERROR_TEXT_LENGTH - 1] =
                (char)json_error_cannot_open_file;
        }
        return NULL;
    }
    value = llmc__json_loadb(s.buf ? s.buf : "", s.len, flags, error);
    free(s.buf);
    return value;
}

void llmc__json_set(int *ok, json_t *object, const char *key, json_t *value)
{
    /* json_object_set_new releases value when it fails, also for a NULL
     * object, and fails on a NULL value */
    if (json_object_set_new(object, key, value) != 0)
        *ok = 0;
}

void llmc__json_append(int *ok, json_t *array, json_t *value)
{
    if (json_array_append_new(array, value) != 0)
        *ok = 0;
}
