/*
 * http.c - the library's only HTTP client (libcurl's easy interface).
 *
 * One easy handle per call: no connection reuse, no shared mutable state
 * apart from curl_global_init (run once, through pthread_once), so calls
 * from any number of threads are safe. TLS verification is always on;
 * redirects are never followed (a 3xx is handed to the caller, who
 * refuses it); proxies come from libcurl's own environment handling
 * (http_proxy, https_proxy, no_proxy), which is deliberately left alone.
 *
 * Messages name req->what and the host, never a header value, the Basic
 * credentials or the value of a secret query parameter: curl's own error
 * text is only quoted when it holds none of them.
 *
 * libcurl is not linked: its headers give the types and constants at
 * build time, and the library itself (libcurl.so.4, or the file
 * LLMC_CURL_LIBRARY names) is dlopen()ed at the first GET, so that a
 * program that never asks a live source maps none of libcurl's chain
 * (TLS, Kerberos, LDAP, ...). Loading, resolving and curl_global_init
 * happen once per process, under pthread_once; a library that cannot be
 * loaded makes every GET fail with LLMC_ENOTSUP and a message that names
 * it and the remedy. It is never dlclose()d: curl_global_cleanup is not
 * safe while another part of the process may still use libcurl.
 *
 * Without LLMC_HAVE_CURL (libcurl's headers not found at configure time)
 * the GET fails with LLMC_ENOTSUP; llmc__http_redact and
 * llmc__http_response_free work either way.
 */
#include "http.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#define HTTP_MAX_BODY ((size_t)8 * 1024 * 1024)
#define HTTP_MAX_BODY_TEXT "8 MiB"
#define HTTP_DEFAULT_CONNECT_S 3.0
#define HTTP_DEFAULT_TOTAL_S 10.0

/* ---- redaction ----------------------------------------------------------- */

/* Query parameters whose values may be secret: the names the contract
 * lists and the obvious variants ("securityToken", "access_token",
 * "apikey", "client_secret", ...). */
static int secret_param(const char *name, size_t len)
{
    static const char *const parts[] = {"token", "key",    "password",
                                        "passwd", "secret", "auth",
                                        "credential", "signature"};
    char low[64];
    size_t i;
    if (len == 0)
        return 0;
    if (len >= sizeof low)
        return 1; /* an odd, long name: hide its value */
    for (i = 0; i < len; i++)
        low[i] = (char)tolower((unsigned char)name[i]);
    low[len] = '\0';
    if (strcmp(low, "pass") == 0 || strcmp(low, "pwd") == 0 ||
        strcmp(low, "sig") == 0)
        return 1;
    for (i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (strstr(low, parts[i]))
            return 1;
    return 0;
}

struct sbuf {
    char *p;
    size_t size, len;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
    while (n-- > 0 && b->len + 1 < b->size)
        b->p[b->len++] = *s++;
    b->p[b->len] = '\0';
}

/* Where the authority (after "scheme://") starts, or NULL. */
static const char *authority_of(const char *url)
{
    const char *s = strstr(url, "://");
    const char *q = strpbrk(url, "/?#");
    if (!s || (q && q < s))
        return NULL;
    return s + 3;
}

void llmc__http_redact(char *buf, size_t size, const char *url)
{
    struct sbuf b = {buf, size, 0};
    const char *p, *auth, *end, *at;
    if (!buf || size == 0)
        return;
    buf[0] = '\0';
    if (!url)
        return;
    p = url;
    /* userinfo ("user:password@") in the authority */
    auth = authority_of(url);
    if (auth) {
        end = auth + strcspn(auth, "/?#");
        at = NULL;
        for (const char *c = auth; c < end; c++)
            if (*c == '@')
                at = c;
        sb_put(&b, url, (size_t)(auth - url));
        if (at) {
            sb_put(&b, "***@", 4);
            p = at + 1;
        } else {
            p = auth;
        }
    }
    /* path up to the query */
    end = p + strcspn(p, "?#");
    sb_put(&b, p, (size_t)(end - p));
    p = end;
    if (*p != '?') {
        sb_put(&b, p, strlen(p));
        return;
    }
    sb_put(&b, "?", 1);
    p++;
    /* name=value pairs up to the fragment */
    while (*p && *p != '#') {
        size_t plen = strcspn(p, "&#");
        const char *eq = memchr(p, '=', plen);
        if (eq && secret_param(p, (size_t)(eq - p))) {
            sb_put(&b, p, (size_t)(eq - p) + 1);
            sb_put(&b, "***", 3);
        } else {
            sb_put(&b, p, plen);
        }
        p += plen;
        if (*p == '&') {
            sb_put(&b, "&", 1);
            p++;
        }
    }
    /* a fragment is never sent; keep it out of messages as well */
    if (*p == '#')
        sb_put(&b, "#...", 4);
}

void llmc__http_response_free(struct llmc__http_response *r)
{
    if (!r)
        return;
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

#ifndef LLMC_HAVE_CURL

int llmc__http_get(struct llmc__http_response *out,
                   const struct llmc__http_request *req)
{
    if (out) {
        memset(out, 0, sizeof *out);
        out->retry_after_s = -1;
    }
    return llmc__fail(LLMC_ENOTSUP,
                      "%s: built without libcurl; live grid sources are not "
                      "available",
                      req && req->what && req->what[0] ? req->what
                                                       : "http");
}

#else /* LLMC_HAVE_CURL */

#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <time.h>

/* libcurl's SONAME (Debian's libcurl4; libcurl3-gnutls ships the same ABI
 * as libcurl-gnutls.so.4, which LLMC_CURL_LIBRARY can name) */
#define CURL_DEFAULT_LIBRARY "libcurl.so.4"
/* the oldest libcurl this file is written for (meson.build asks for it at
 * build time; a run-time library can be older) */
#define CURL_MIN_VERSION_NUM 0x074400
#define CURL_MIN_VERSION_TEXT "7.68.0"

/* The functions of libcurl this file calls, resolved from the loaded
 * library; setopt and getinfo keep their variadic signatures. */
static struct {
    CURLcode (*global_init)(long);
    curl_version_info_data *(*version_info)(CURLversion);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    time_t (*getdate)(const char *, const time_t *);
} cu;

/* CURLOPT_PROTOCOLS (a long option, number 181 in curl.h), deprecated
 * since 7.85.0: newer headers warn at its name, but a run-time library
 * older than 7.85.0 knows only it */
#define CURL_PROTOCOLS_OPTION ((CURLoption)(CURLOPTTYPE_LONG + 181))

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
/* the loaded library's LIBCURL_VERSION_NUM */
static unsigned loaded_version_num;
/* LLMC_OK once libcurl is loaded and initialised, else the status of every
 * GET, with load_error its reason (without the request's name) */
static int load_status = LLMC_ENOTSUP;
static char load_error[640];

/* A function of libcurl into cu; a missing one names itself in *missing. */
#define RESOLVE(dl, field, symbol, missing)                                  \
    do {                                                                     \
        if (llmc__dlsym_fn(&cu.field, sizeof cu.field, (dl), (symbol)) &&   \
            !*(missing))                                                     \
            *(missing) = (symbol);                                           \
    } while (0)

static void load_curl(void)
{
    const char *env = getenv("LLMC_CURL_LIBRARY"), *path;
    const char *missing = NULL;
    curl_version_info_data *v;
    char reason[256];
    CURLcode rc;
    void *dl;

    if (!(dl = llmc__dlopen_env("LLMC_CURL_LIBRARY", CURL_DEFAULT_LIBRARY,
                                &path, reason, sizeof reason))) {
        if (env && *env)
            snprintf(load_error, sizeof load_error,
                     "LLMC_CURL_LIBRARY=%.200s cannot be loaded (%s); live "
                     "grid sources need libcurl: fix the path or unset it "
                     "to use %s",
                     env, reason, CURL_DEFAULT_LIBRARY);
        else
            snprintf(load_error, sizeof load_error,
                     "%s cannot be loaded (%s); live grid sources need "
                     "libcurl: install it (apt install libcurl4) or set "
                     "LLMC_CURL_LIBRARY to its path",
                     CURL_DEFAULT_LIBRARY, reason);
        return;
    }
    RESOLVE(dl, global_init, "curl_global_init", &missing);
    RESOLVE(dl, version_info, "curl_version_info", &missing);
    RESOLVE(dl, easy_init, "curl_easy_init", &missing);
    RESOLVE(dl, easy_setopt, "curl_easy_setopt", &missing);
    RESOLVE(dl, easy_perform, "curl_easy_perform", &missing);
    RESOLVE(dl, easy_getinfo, "curl_easy_getinfo", &missing);
    RESOLVE(dl, easy_cleanup, "curl_easy_cleanup", &missing);
    RESOLVE(dl, easy_strerror, "curl_easy_strerror", &missing);
    RESOLVE(dl, slist_append, "curl_slist_append", &missing);
    RESOLVE(dl, slist_free_all, "curl_slist_free_all", &missing);
    RESOLVE(dl, getdate, "curl_getdate", &missing);
    if (missing) {
        snprintf(load_error, sizeof load_error,
                 "%.200s is not libcurl (it has no %s); live grid sources "
                 "need libcurl: set LLMC_CURL_LIBRARY to a libcurl.so.4 or "
                 "unset it to use %s",
                 path, missing, CURL_DEFAULT_LIBRARY);
        dlclose(dl);
        return;
    }
    /* libcurl's own rule: before any other of its functions, and not
     * while another thread calls libcurl; pthread_once gives both within
     * this library. From here on the library stays loaded, used or not. */
    rc = cu.global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        snprintf(load_error, sizeof load_error, "libcurl cannot start: %s",
                 cu.easy_strerror(rc));
        load_status = LLMC_ENET;
        return;
    }
    v = cu.version_info(CURLVERSION_NOW);
    if (!v || v->version_num < CURL_MIN_VERSION_NUM) {
        snprintf(load_error, sizeof load_error,
                 "%.200s is libcurl %s, older than the %s that live grid "
                 "sources need: install a newer libcurl4 or set "
                 "LLMC_CURL_LIBRARY to one",
                 path, v && v->version ? v->version : "(unknown)",
                 CURL_MIN_VERSION_TEXT);
        return;
    }
    loaded_version_num = v->version_num;
    load_status = LLMC_OK;
}

/* The host (and port) of url, without userinfo, for messages. */
static void host_of(char *buf, size_t size, const char *url)
{
    struct sbuf b = {buf, size, 0};
    const char *auth = authority_of(url), *end, *start;
    buf[0] = '\0';
    if (!auth) {
        sb_put(&b, "(no host)", 9);
        return;
    }
    end = auth + strcspn(auth, "/?#");
    start = auth;
    for (const char *c = auth; c < end; c++)
        if (*c == '@')
            start = c + 1;
    if (start == end)
        sb_put(&b, "(no host)", 9);
    else
        sb_put(&b, start, (size_t)(end - start));
}

/* ---- secrets: what a quoted curl message must not contain --------------- */

#define MAX_SECRETS (LLMC__HTTP_MAX_HEADERS + 16)

struct secrets {
    const char *s[MAX_SECRETS];
    size_t n[MAX_SECRETS];
    size_t count;
};

static void secret_add(struct secrets *x, const char *s, size_t n)
{
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n > 0 && x->count < MAX_SECRETS) {
        x->s[x->count] = s;
        x->n[x->count] = n;
        x->count++;
    }
}

static void secrets_of(struct secrets *x, const struct llmc__http_request *r)
{
    const char *auth, *end, *p;
    x->count = 0;
    for (size_t i = 0; i < LLMC__HTTP_MAX_HEADERS && r->headers[i]; i++) {
        const char *colon = strchr(r->headers[i], ':');
        if (colon)
            secret_add(x, colon + 1, strlen(colon + 1));
    }
    if (r->basic_user)
        secret_add(x, r->basic_user, strlen(r->basic_user));
    if (r->basic_password)
        secret_add(x, r->basic_password, strlen(r->basic_password));
    auth = authority_of(r->url);
    if (auth) {
        const char *at = NULL;
        end = auth + strcspn(auth, "/?#");
        for (const char *c = auth; c < end; c++)
            if (*c == '@')
                at = c;
        if (at)
            secret_add(x, auth, (size_t)(at - auth));
    }
    p = strchr(r->url, '?');
    while (p && *p && *p != '#') {
        size_t plen;
        const char *eq;
        p++;
        plen = strcspn(p, "&#");
        eq = memchr(p, '=', plen);
        if (eq && secret_param(p, (size_t)(eq - p)))
            secret_add(x, eq + 1, plen - (size_t)(eq - p) - 1);
        p += plen;
        if (*p != '&')
            break;
    }
}

static int mentions_secret(const char *text, const struct secrets *x)
{
    for (size_t i = 0; i < x->count; i++) {
        const char *t = text;
        size_t n = x->n[i];
        for (; *t; t++)
            if (strncmp(t, x->s[i], n) == 0)
                return 1;
    }
    return 0;
}

/* curl's own detail, when it is safe to quote, else its generic text. */
static const char *detail_of(const char *errbuf, CURLcode rc,
                             const struct secrets *x)
{
    if (errbuf[0] && !mentions_secret(errbuf, x))
        return errbuf;
    return cu.easy_strerror(rc);
}

static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return 1;
    return 0;
}

/* " through the proxy ..." when the environment names a proxy for the URL's
 * scheme (libcurl then connects to the proxy, not to the host), else "". */
static const char *proxy_note(const char *url)
{
    static const char *const http_vars[] = {"http_proxy", "all_proxy",
                                            "ALL_PROXY", NULL};
    static const char *const https_vars[] = {"https_proxy", "HTTPS_PROXY",
                                             "all_proxy", "ALL_PROXY", NULL};
    const char *const *v =
        strncasecmp(url, "https:", 6) == 0 ? https_vars : http_vars;
    for (; *v; v++) {
        const char *e = getenv(*v);
        if (e && *e)
            return " (through the proxy named in the environment, which may "
                   "be what failed; no_proxy lists hosts to reach directly)";
    }
    return "";
}

/* ---- transfer state ------------------------------------------------------ */

struct xfer {
    char *body;
    size_t len, cap;
    int too_big;
    int no_memory;
    char content_type[128];
    double retry_after_s;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
    struct xfer *x = user;
    size_t n = size * nmemb;
    if (n > HTTP_MAX_BODY || x->len + n > HTTP_MAX_BODY) {
        x->too_big = 1;
        return 0; /* aborts with CURLE_WRITE_ERROR */
    }
    if (x->len + n + 1 > x->cap) {
        size_t cap = x->cap ? x->cap : 4096;
        char *p;
        while (cap < x->len + n + 1)
            cap *= 2;
        if (cap > HTTP_MAX_BODY + 1)
            cap = HTTP_MAX_BODY + 1;
        p = realloc(x->body, cap);
        if (!p) {
            x->no_memory = 1;
            return 0;
        }
        x->body = p;
        x->cap = cap;
    }
    memcpy(x->body + x->len, data, n);
    x->len += n;
    x->body[x->len] = '\0';
    return n;
}

/* The value of header line "Name: value\r\n" when its name is name. */
static int header_value(const char *line, size_t n, const char *name,
                        char *val, size_t vsize)
{
    size_t nl = strlen(name), i, j;
    if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return 0;
    i = nl + 1;
    while (i < n && (line[i] == ' ' || line[i] == '\t'))
        i++;
    j = n;
    while (j > i && isspace((unsigned char)line[j - 1]))
        j--;
    if (j - i >= vsize)
        j = i + vsize - 1;
    memcpy(val, line + i, j - i);
    val[j - i] = '\0';
    return 1;
}

static double parse_retry_after(const char *v)
{
    char *end;
    double s;
    time_t when;
    if (isdigit((unsigned char)v[0])) {
        s = strtod(v, &end);
        while (isspace((unsigned char)*end))
            end++;
        return *end == '\0' && isfinite(s) ? s : -1;
    }
    /* the HTTP-date form */
    when = cu.getdate(v, NULL);
    if (when == (time_t)-1)
        return -1;
    s = difftime(when, time(NULL));
    return s > 0 ? s : 0;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *user)
{
    struct xfer *x = user;
    size_t n = size * nmemb;
    char val[160];
    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        /* a new response (after a 1xx or a proxy's CONNECT answer) */
        x->content_type[0] = '\0';
        x->retry_after_s = -1;
        return n;
    }
    if (header_value(data, n, "Content-Type", x->content_type,
                     sizeof x->content_type)) {
        /* copied */
    } else if (header_value(data, n, "Retry-After", val, sizeof val)) {
        x->retry_after_s = parse_retry_after(val);
    } else if (header_value(data, n, "Content-Length", val, sizeof val)) {
        char *end;
        unsigned long long cl = strtoull(val, &end, 10);
        if (end != val && cl > HTTP_MAX_BODY) {
            x->too_big = 1;
            return 0; /* no point reading it */
        }
    }
    return n;
}

/* ---- the request --------------------------------------------------------- */

/* s seconds (0: dflt) as curl's milliseconds, at least 1: LLMC_OK, or
 * LLMC_EINVAL when s is not a finite number of seconds, 0 or more. */
static int timeout_ms(double s, double dflt, long *ms)
{
    double v;
    if (isnan(s) || isinf(s) || s < 0)
        return LLMC_EINVAL;
    v = (s == 0 ? dflt : s) * 1000.0;
    if (v > (double)INT_MAX)
        *ms = INT_MAX;
    else if (v < 1.0)
        *ms = 1;
    else
        *ms = (long)(v + 0.5);
    return LLMC_OK;
}

static int header_ok(const char *h)
{
    const char *colon = strchr(h, ':');
    if (!colon || colon == h)
        return 0;
    for (const char *c = h; *c; c++)
        if (*c == '\r' || *c == '\n')
            return 0;
    return 1;
}

static int map_error(CURLcode rc, CURL *h, const struct llmc__http_request *req,
                     const char *what, const char *host, const char *errbuf,
                     const struct secrets *sec, long connect_ms, long total_ms)
{
    const char *detail = detail_of(errbuf, rc, sec);
    switch (rc) {
    case CURLE_COULDNT_CONNECT: {
        long os_errno = 0;
        cu.easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
        if (os_errno == ECONNREFUSED || contains_ci(detail, "refused"))
            return llmc__fail(LLMC_ENET,
                              "%s: cannot connect to %s: connection refused%s",
                              what, host, proxy_note(req->url));
        if (os_errno == ENETUNREACH || os_errno == EHOSTUNREACH)
            return llmc__fail(LLMC_ENET,
                              "%s: cannot connect to %s: %s unreachable "
                              "(offline, or a firewall?)",
                              what, host,
                              os_errno == ENETUNREACH ? "network" : "host");
        if (os_errno == EACCES || os_errno == EPERM)
            return llmc__fail(LLMC_ENET,
                              "%s: cannot connect to %s: not permitted here "
                              "(a firewall or sandbox?)",
                              what, host);
        return llmc__fail(LLMC_ENET,
                          "%s: cannot connect to %s (connection refused or "
                          "host unreachable): %s%s",
                          what, host, detail, proxy_note(req->url));
    }
    case CURLE_COULDNT_RESOLVE_HOST:
        return llmc__fail(LLMC_ENET,
                          "%s: cannot resolve the host name of %s (offline, "
                          "or no DNS here?)",
                          what, host);
    case CURLE_COULDNT_RESOLVE_PROXY:
        return llmc__fail(LLMC_ENET,
                          "%s: cannot resolve the proxy for %s (see the "
                          "http_proxy/https_proxy environment variables)",
                          what, host);
    case CURLE_GOT_NOTHING:
        return llmc__fail(LLMC_ENET,
                          "%s: %s: the server closed the connection without "
                          "answering",
                          what, host);
    case CURLE_RECV_ERROR:
        return llmc__fail(LLMC_ENET,
                          "%s: %s: receiving the response failed (connection "
                          "reset?): %s",
                          what, host, detail);
    case CURLE_SEND_ERROR:
        return llmc__fail(LLMC_ENET,
                          "%s: %s: sending the request failed (connection "
                          "reset?): %s",
                          what, host, detail);
    case CURLE_PARTIAL_FILE: {
        curl_off_t got = 0, want = -1;
        cu.easy_getinfo(h, CURLINFO_SIZE_DOWNLOAD_T, &got);
        cu.easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &want);
        if (want >= 0)
            return llmc__fail(LLMC_ENET,
                              "%s: %s: the response was cut short: got %lld "
                              "of %lld bytes",
                              what, host, (long long)got, (long long)want);
        return llmc__fail(LLMC_ENET,
                          "%s: %s: the response was cut short after %lld "
                          "bytes",
                          what, host, (long long)got);
    }
    case CURLE_OPERATION_TIMEDOUT: {
        curl_off_t conn_us = 0, app_us = 0, got = 0;
        int https = strncasecmp(req->url, "https:", 6) == 0;
        int connected;
        cu.easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &conn_us);
        cu.easy_getinfo(h, CURLINFO_APPCONNECT_TIME_T, &app_us);
        cu.easy_getinfo(h, CURLINFO_SIZE_DOWNLOAD_T, &got);
        connected = https ? app_us > 0 : conn_us > 0;
        if (!connected && connect_ms <= total_ms)
            return llmc__fail(LLMC_ETIMEDOUT,
                              "%s: connecting to %s took longer than the "
                              "connect timeout of %g s",
                              what, host, (double)connect_ms / 1000.0);
        return llmc__fail(LLMC_ETIMEDOUT,
                          "%s: %s did not answer within the total timeout of "
                          "%g s (%lld bytes of the response had come)",
                          what, host, (double)total_ms / 1000.0,
                          (long long)got);
    }
    case CURLE_SSL_CACERT_BADFILE:
        return llmc__fail(LLMC_ETLS,
                          "%s: %s: the CA bundle '%s' cannot be read; give a "
                          "PEM file with ca_bundle=FILE or LLMC_CA_BUNDLE "
                          "(verification is never turned off)",
                          what, host,
                          req->ca_bundle ? req->ca_bundle : "(system)");
    case CURLE_SSL_CONNECT_ERROR:
        return llmc__fail(LLMC_ETLS,
                          "%s: the TLS handshake with %s failed: %s", what,
                          host, detail);
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT: {
        char red[512];
        llmc__http_redact(red, sizeof red, req->url);
        return llmc__fail(LLMC_EINVAL,
                          "%s: cannot fetch '%s': only http:// and https:// "
                          "URLs are accepted (%s)",
                          what, red, cu.easy_strerror(rc));
    }
    default:
        break;
    }
    /* Since 7.62 CURLE_SSL_CACERT is an alias of
     * CURLE_PEER_FAILED_VERIFICATION (and absent with CURL_NO_OLDIES). */
    if (rc == CURLE_PEER_FAILED_VERIFICATION
#if LIBCURL_VERSION_NUM < 0x073e00
        || rc == CURLE_SSL_CACERT
#endif
    ) {
        if (req->ca_bundle)
            return llmc__fail(LLMC_ETLS,
                              "%s: the certificate of %s is not trusted by "
                              "the CA bundle '%s' (%s); give the CA that "
                              "signed it with ca_bundle=FILE or LLMC_CA_BUNDLE "
                              "(verification is never turned off)",
                              what, host, req->ca_bundle, detail);
        return llmc__fail(LLMC_ETLS,
                          "%s: the certificate of %s is not trusted (%s); "
                          "give the CA that signed it with ca_bundle=FILE or "
                          "LLMC_CA_BUNDLE (verification is never turned off)",
                          what, host, detail);
    }
    return llmc__fail(LLMC_ENET, "%s: %s: %s", what, host, detail);
}

/* libcurl calls it at least about once a second, also while it waits:
 * a non-zero return ends the transfer (CURLE_ABORTED_BY_CALLBACK). */
static int on_progress(void *cancel, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return atomic_load((atomic_int *)cancel) != 0;
}

/* What a request must be before anything is sent: an http(s) URL, sane
 * timeouts, header lines that are one "Name: value" each. Fills what (the
 * name for messages), the timeouts in ms and whether an Accept is given. */
static int check_request(const struct llmc__http_request *req,
                         const char **what_out, long *connect_ms,
                         long *total_ms, int *have_accept)
{
    const char *what = req->what && req->what[0] ? req->what : "http";
    *what_out = what;
    if (strncasecmp(req->url, "http://", 7) != 0 &&
        strncasecmp(req->url, "https://", 8) != 0) {
        char red[512];
        llmc__http_redact(red, sizeof red, req->url);
        return llmc__fail(LLMC_EINVAL,
                          "%s: cannot fetch '%s': only http:// and https:// "
                          "URLs are accepted",
                          what, red);
    }
    if (timeout_ms(req->connect_timeout_s, HTTP_DEFAULT_CONNECT_S,
                   connect_ms) != LLMC_OK ||
        timeout_ms(req->timeout_s, HTTP_DEFAULT_TOTAL_S, total_ms) != LLMC_OK)
        return llmc__fail(LLMC_EINVAL,
                          "%s: a timeout must be a finite number of seconds, "
                          "0 or more (0: the default)",
                          what);
    for (size_t i = 0; i < LLMC__HTTP_MAX_HEADERS && req->headers[i]; i++) {
        if (!header_ok(req->headers[i]))
            /* never quote it: it may hold a secret */
            return llmc__fail(LLMC_EINVAL,
                              "%s: extra header %zu is not one 'Name: value' "
                              "line",
                              what, i + 1);
        if (strncasecmp(req->headers[i], "Accept:", 7) == 0)
            *have_accept = 1;
    }
    return LLMC_OK;
}

/* Every option of one transfer; libcurl's status of the first that fails. */
static CURLcode set_options(CURL *h, const struct llmc__http_request *req,
                            struct xfer *x, struct curl_slist *hdrs,
                            char *errbuf, const char *ua, long connect_ms,
                            long total_ms)
{
    CURLcode rc;
    rc = cu.easy_setopt(h, CURLOPT_URL, req->url);
    if (rc == CURLE_OK)
        rc = cu.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (rc == CURLE_OK)
        rc = cu.easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    if (rc == CURLE_OK)
        rc = cu.easy_setopt(h, CURLOPT_HTTPGET, 1L);
    if (rc == CURLE_OK)
        rc = cu.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    if (rc == CURLE_OK)
        rc = cu.easy_setopt(h, CURLOPT_TIMEOUT_MS, total_ms);
    /* verification stays on: set explicitly so no default can change it */
    if (rc == CURLE_OK)
        rc = cu.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    if (rc == CURLE_OK)
        rc = cu.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (rc == CURLE_OK && req->ca_bundle)
        rc = cu.easy_setopt(h, CURLOPT_CAINFO, req->ca_bundle);
    if (rc == CURLE_OK)
        rc = cu.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    /* the run-time library decides: it can be older than the headers */
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 */
    if (rc == CURLE_OK && loaded_version_num >= 0x075500)
        rc = cu.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    else
#endif
    if (rc == CURLE_OK)
        rc = cu.easy_setopt(h, CURL_PROTOCOLS_OPTION,
                            (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    if (rc == CURLE_OK)
        rc = cu.easy_setopt(h, CURLOPT_USERAGENT, ua);
    if (rc == CURLE_OK && hdrs)
        rc = cu.easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    if (rc == CURLE_OK && (req->basic_user || req->basic_password)) {
        rc = cu.easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        if (rc == CURLE_OK)
            rc = cu.easy_setopt(h, CURLOPT_USERNAME,
                                req->basic_user ? req->basic_user : "");
        if (rc == CURLE_OK)
            rc = cu.easy_setopt(h, CURLOPT_PASSWORD,
                                req->basic_password ? req->basic_password
                                                    : "");
    }
    if (rc == CURLE_OK)
        rc = cu.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    if (rc == CURLE_OK)
        rc = cu.easy_setopt(h, CURLOPT_WRITEDATA, x);
    if (rc == CURLE_OK)
        rc = cu.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    if (rc == CURLE_OK)
        rc = cu.easy_setopt(h, CURLOPT_HEADERDATA, x);
    if (rc == CURLE_OK && req->cancel) {
        rc = cu.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        if (rc == CURLE_OK)
            rc = cu.easy_setopt(h, CURLOPT_XFERINFODATA, req->cancel);
        if (rc == CURLE_OK)
            rc = cu.easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    }
    return rc;
}

int llmc__http_get(struct llmc__http_response *out,
                   const struct llmc__http_request *req)
{
    char host[256], ua[64], errbuf[CURL_ERROR_SIZE];
    const char *what;
    struct secrets sec;
    struct xfer x;
    struct curl_slist *hdrs = NULL, *tmp;
    long connect_ms = 0, total_ms = 0, status = 0;
    int have_accept = 0, ret;
    CURL *h;
    CURLcode rc;

    if (out) {
        memset(out, 0, sizeof *out);
        out->retry_after_s = -1;
    }
    if (!out || !req || !req->url)
        return llmc__fail(LLMC_EINVAL, "http: %s is NULL",
                          !out ? "the response" : !req ? "the request"
                                                       : "the URL");
    if ((ret = check_request(req, &what, &connect_ms, &total_ms,
                             &have_accept)) != LLMC_OK)
        return ret;
    pthread_once(&load_once, load_curl);
    if (load_status != LLMC_OK)
        return llmc__fail(load_status, "%s: %s", what, load_error);

    host_of(host, sizeof host, req->url);
    secrets_of(&sec, req);
    memset(&x, 0, sizeof x);
    x.retry_after_s = -1;
    errbuf[0] = '\0';

    h = cu.easy_init();
    if (!h)
        return llmc__fail(LLMC_ENOMEM, "%s: libcurl cannot create a handle",
                          what);

    if (!have_accept) {
        hdrs = cu.slist_append(NULL, "Accept: application/json");
        if (!hdrs)
            goto nomem;
    }
    for (size_t i = 0; i < LLMC__HTTP_MAX_HEADERS && req->headers[i]; i++) {
        tmp = cu.slist_append(hdrs, req->headers[i]);
        if (!tmp)
            goto nomem;
        hdrs = tmp;
    }
    snprintf(ua, sizeof ua, "libllmcarbon/%s", llmc_version_string());

    rc = set_options(h, req, &x, hdrs, errbuf, ua, connect_ms, total_ms);
    if (rc != CURLE_OK) {
        ret = rc == CURLE_OUT_OF_MEMORY
                  ? llmc__fail(LLMC_ENOMEM, "%s: out of memory", what)
                  : map_error(rc, h, req, what, host, "", &sec, connect_ms,
                              total_ms);
        goto done;
    }

    rc = cu.easy_perform(h);
    if (x.too_big) {
        ret = llmc__fail(LLMC_EFORMAT,
                         "%s: response larger than " HTTP_MAX_BODY_TEXT
                         " from %s; not read",
                         what, host);
        goto done;
    }
    if (x.no_memory || rc == CURLE_OUT_OF_MEMORY)
        goto nomem;
    if (rc != CURLE_OK) {
        ret = map_error(rc, h, req, what, host, errbuf, &sec, connect_ms,
                        total_ms);
        goto done;
    }
    cu.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (!x.body) {
        x.body = malloc(1);
        if (!x.body)
            goto nomem;
        x.body[0] = '\0';
    }
    out->status = status;
    out->body = x.body;
    out->len = x.len;
    x.body = NULL;
    memcpy(out->content_type, x.content_type, sizeof out->content_type);
    out->retry_after_s = x.retry_after_s;
    ret = LLMC_OK;
    goto done;

nomem:
    ret = llmc__fail(LLMC_ENOMEM, "%s: out of memory reading from %s", what,
                     host);
done:
    free(x.body);
    cu.slist_free_all(hdrs);
    cu.easy_cleanup(h);
    return ret;
}

#endif /* LLMC_HAVE_CURL */
