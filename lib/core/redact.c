/*
 * redact.c - keeps credentials out of every text the library hands out.
 *
 * Two rules, applied to each message before it is recorded or logged:
 *
 *   - by name: the value after a credential option ("token=", "password=",
 *     "username=", "api_key=", ...), after a credential header
 *     ("auth-token:", "Authorization: Basic ", ...), of a JSON member with
 *     such a name ("token": "..."), and the user info of a URL
 *     ("https://user:pw@host");
 *   - by value: every secret a grid source holds is registered here while
 *     it is held, with the forms it takes on the wire (percent-encoded, and
 *     base64 of "user:password" for HTTP Basic), so a server that echoes it
 *     in any context is caught too, even cut short in a quoted excerpt.
 *
 * Both become "***". This file depends on nothing else in the library, so
 * the command-line tool builds it in as well (its copy knows no values; it
 * applies the names to the arguments it echoes).
 */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* A value shorter than this is only hidden by name: as free text it would
 * match ordinary words and numbers. */
#define MIN_VALUE 4
/* A secret cut short (an excerpt of a body, a bounded buffer) still shows
 * its start; this many leading characters of it are enough to hide. */
#define MIN_PREFIX 6
#define WORK 4096

struct entry {
    char *value;
    size_t len;
    int refs;
};

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct entry *reg;
static size_t reg_count, reg_cap;

static void wipe_free(char *p, size_t n)
{
    if (!p)
        return;
    explicit_bzero(p, n);
    free(p);
}

/* Adds one form of a secret (reg_mu held). */
static int add_one(const char *v, size_t n)
{
    char *copy;
    if (n < MIN_VALUE)
        return LLMC_OK;
    for (size_t i = 0; i < reg_count; i++)
        if (reg[i].len == n && memcmp(reg[i].value, v, n) == 0) {
            reg[i].refs++;
            return LLMC_OK;
        }
    if (reg_count == reg_cap) {
        size_t cap = reg_cap ? 2 * reg_cap : 8;
        struct entry *p = realloc(reg, cap * sizeof *p);
        if (!p)
            return LLMC_ENOMEM;
        reg = p;
        reg_cap = cap;
    }
    if (!(copy = malloc(n + 1)))
        return LLMC_ENOMEM;
    memcpy(copy, v, n);
    copy[n] = '\0';
    reg[reg_count].value = copy;
    reg[reg_count].len = n;
    reg[reg_count].refs = 1;
    reg_count++;
    return LLMC_OK;
}

static void remove_one(const char *v, size_t n)
{
    for (size_t i = 0; i < reg_count; i++)
        if (reg[i].len == n && memcmp(reg[i].value, v, n) == 0) {
            if (--reg[i].refs == 0) {
                wipe_free(reg[i].value, n + 1);
                reg[i] = reg[--reg_count];
            }
            return;
        }
}

/* The forms a value takes on the wire: itself, percent-encoded. */
static size_t percent_encoded(char *out, size_t size, const char *v)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (; *v; v++) {
        unsigned char c = (unsigned char)*v;
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            if (n + 1 >= size)
                return 0;
            out[n++] = (char)c;
        } else {
            if (n + 3 >= size)
                return 0;
            out[n++] = '%';
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 15];
        }
    }
    out[n] = '\0';
    return n;
}

static size_t base64(char *out, size_t size, const unsigned char *in,
                     size_t n)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    if ((n + 2) / 3 * 4 + 1 > size)
        return 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = abc[(v >> 18) & 63];
        out[o++] = abc[(v >> 12) & 63];
        out[o++] = i + 1 < n ? abc[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? abc[v & 63] : '=';
    }
    out[o] = '\0';
    return o;
}

/* Applies add_one (add) or remove_one to every form of value. */
static int each_form(const char *value, int add)
{
    char enc[3 * WORK];
    size_t n;
    int rc = LLMC_OK;
    if (!value || !*value || strlen(value) >= WORK)
        return LLMC_OK;
    pthread_mutex_lock(&reg_mu);
    n = strlen(value);
    if (add)
        rc = add_one(value, n);
    else
        remove_one(value, n);
    n = percent_encoded(enc, sizeof enc, value);
    if (rc == LLMC_OK && n && strcmp(enc, value) != 0) {
        if (!add)
            remove_one(enc, n);
        else if ((rc = add_one(enc, n)) != LLMC_OK)
            remove_one(value, strlen(value)); /* none half-registered */
    }
    pthread_mutex_unlock(&reg_mu);
    explicit_bzero(enc, sizeof enc);
    return rc;
}

int llmc__redact_add(const char *value)
{
    return each_form(value, 1);
}

void llmc__redact_remove(const char *value)
{
    each_form(value, 0);
}

/* base64("user:password"), the value of an Authorization: Basic header. */
static size_t basic_value(char *out, size_t size, const char *user,
                          const char *password)
{
    char pair[2 * WORK];
    size_t nu = strlen(user), np = strlen(password), n;
    if (nu + np + 2 > sizeof pair)
        return 0;
    memcpy(pair, user, nu);
    pair[nu] = ':';
    memcpy(pair + nu + 1, password, np + 1);
    n = base64(out, size, (const unsigned char *)pair, nu + 1 + np);
    explicit_bzero(pair, sizeof pair);
    return n;
}

int llmc__redact_add_basic(const char *user, const char *password)
{
    char b64[3 * WORK];
    int rc = LLMC_OK;
    if (!user || !password || !*password)
        return LLMC_OK;
    if (basic_value(b64, sizeof b64, user, password)) {
        pthread_mutex_lock(&reg_mu);
        rc = add_one(b64, strlen(b64));
        pthread_mutex_unlock(&reg_mu);
    }
    explicit_bzero(b64, sizeof b64);
    return rc;
}

void llmc__redact_remove_basic(const char *user, const char *password)
{
    char b64[3 * WORK];
    if (!user || !password || !*password)
        return;
    if (basic_value(b64, sizeof b64, user, password)) {
        pthread_mutex_lock(&reg_mu);
        remove_one(b64, strlen(b64));
        pthread_mutex_unlock(&reg_mu);
    }
    explicit_bzero(b64, sizeof b64);
}

/* ---- the rewriting ------------------------------------------------------ */

/* Names whose value is a credential: "token", "access_token", "password",
 * "api_key", "client_secret", "username", ... (case, '-' and '_' aside). */
static int credential_name(const char *name, size_t len)
{
    static const char *const parts[] = {
        "token",  "password",  "passwd",     "secret",    "credential",
        "apikey", "accesskey", "privatekey", "signature", "authorization"};
    static const char *const whole[] = {"auth", "pass", "pwd",
                                        "sig",  "user", "username"};
    char low[64];
    size_t n = 0;
    if (len == 0 || len >= sizeof low)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (name[i] != '-' && name[i] != '_')
            low[n++] = (char)tolower((unsigned char)name[i]);
    low[n] = '\0';
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
        if (strstr(low, parts[i]))
            return 1;
    for (size_t i = 0; i < sizeof whole / sizeof *whole; i++)
        if (strcmp(low, whole[i]) == 0)
            return 1;
    return 0;
}

/* HTTP headers that carry credentials, as "Name: value" in a text. */
static int credential_header(const char *name, size_t len)
{
    static const char *const names[] = {
        "auth-token", "authorization", "proxy-authorization", "x-api-key",
        "api-key",    "apikey",        "x-auth-token",        "cookie",
        "set-cookie"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strlen(names[i]) == len && strncasecmp(name, names[i], len) == 0)
            return 1;
    return 0;
}

static int name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-';
}

/* Where an unquoted value ends. */
static int value_end(char c)
{
    return c == '\0' || isspace((unsigned char)c) || strchr("&'\",;)]}<>#", c);
}

struct out {
    char *p;
    size_t size, len;
};

static void put(struct out *o, const char *s, size_t n)
{
    while (n-- > 0 && o->len + 1 < o->size)
        o->p[o->len++] = *s++;
}

/* The length of the registered secret (or of its start, when long enough)
 * at s; 0 when none. reg_mu held. */
static size_t secret_at(const char *s)
{
    size_t best = 0;
    for (size_t i = 0; i < reg_count; i++) {
        const char *v = reg[i].value;
        size_t k = 0;
        while (k < reg[i].len && s[k] == v[k])
            k++;
        if ((k == reg[i].len || k >= MIN_PREFIX) && k > best)
            best = k;
    }
    return best;
}

/* s[0..i) stays and the unquoted value from s[i] becomes "***"; returns
 * the input consumed, or 0 when there is no value there. */
static size_t mask_value(struct out *o, const char *s, size_t i)
{
    if (value_end(s[i]))
        return 0;
    put(o, s, i);
    while (!value_end(s[i]))
        i++;
    put(o, "***", 3);
    return i;
}

/* At the start of a word: a credential name and its value, or 0. Writes
 * what stays (name, separator) and "***"; returns the input consumed. */
static size_t named_value(struct out *o, const char *s, int quoted)
{
    size_t n = 0, i;
    while (name_char(s[n]))
        n++;
    if (n == 0)
        return 0;
    i = n;
    if (quoted && s[i] == '"' &&
        (credential_name(s, n) || credential_header(s, n))) {
        /* "name" : "value" */
        i++;
        while (s[i] == ' ' || s[i] == '\t')
            i++;
        if (s[i] != ':')
            return 0;
        i++;
        while (s[i] == ' ' || s[i] == '\t')
            i++;
        if (s[i] != '"')
            return 0;
        i++;
        put(o, s, i);
        while (s[i] && s[i] != '"') {
            if (s[i] == '\\' && s[i + 1])
                i++;
            i++;
        }
        put(o, "***", 3);
        return i;
    }
    if (s[i] == '=' && credential_name(s, n))
        return mask_value(o, s, i + 1);
    if (s[i] == ':' && credential_header(s, n)) {
        static const char *const schemes[] = {"Basic ", "Bearer ", "Token ",
                                              "Digest "};
        i++;
        while (s[i] == ' ' || s[i] == '\t')
            i++;
        for (size_t k = 0; k < sizeof schemes / sizeof *schemes; k++)
            if (strncasecmp(s + i, schemes[k], strlen(schemes[k])) == 0) {
                i += strlen(schemes[k]);
                while (s[i] == ' ')
                    i++;
                break;
            }
        return mask_value(o, s, i);
    }
    return 0;
}

/* "scheme://user:pw@host": the user info. */
static size_t userinfo(struct out *o, const char *s)
{
    size_t i = 3, at = 0;
    if (strncmp(s, "://", 3) != 0)
        return 0;
    for (; s[i] && !strchr("/?# \t\r\n'\"<>", s[i]); i++)
        if (s[i] == '@')
            at = i;
    if (!at)
        return 0;
    put(o, "://***@", 7);
    return at + 1;
}

/* Rewrites in into o. */
static void rewrite(struct out *o, const char *in)
{
    size_t i = 0, n;
    pthread_mutex_lock(&reg_mu);
    while (in[i] && o->len + 1 < o->size) {
        int word_start = i == 0 || !name_char(in[i - 1]);
        if ((n = secret_at(in + i)) > 0) {
            put(o, "***", 3);
            i += n;
            continue;
        }
        if (in[i] == ':' && (n = userinfo(o, in + i)) > 0) {
            i += n;
            continue;
        }
        if (word_start && name_char(in[i]) &&
            (n = named_value(o, in + i, i > 0 && in[i - 1] == '"')) > 0) {
            i += n;
            continue;
        }
        put(o, in + i, 1);
        i++;
    }
    pthread_mutex_unlock(&reg_mu);
    o->p[o->len] = '\0';
}

void llmc__redact(char *text, size_t size)
{
    char work[WORK];
    struct out o = {work, sizeof work, 0};
    if (!text || size == 0)
        return;
    text[size - 1] = '\0';
    rewrite(&o, text);
    memcpy(text, work, o.len + 1 < size ? o.len + 1 : size);
    text[size - 1] = '\0';
    explicit_bzero(work, sizeof work);
}

void llmc__redact_excerpt(char *out, size_t size, const char *text,
                          size_t max_chars)
{
    char in[WORK], work[WORK];
    struct out o = {work, sizeof work, 0};
    size_t n = 0, k = 0;
    if (!out || size == 0)
        return;
    out[0] = '\0';
    if (!text)
        return;
    /* enough beyond the excerpt that a secret it cuts is whole here */
    for (; text[n] && n + 1 < sizeof in; n++)
        in[n] = isprint((unsigned char)text[n]) ? text[n] : ' ';
    in[n] = '\0';
    rewrite(&o, in);
    for (; k < o.len && k < max_chars && k + 1 < size; k++)
        out[k] = work[k];
    out[k] = '\0';
    explicit_bzero(in, sizeof in);
    explicit_bzero(work, sizeof work);
}
