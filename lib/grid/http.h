/*
 * http.h - the one place that talks HTTP (libcurl, loaded at the first
 * GET). Sources build a request, get a response or a specific error, and
 * never see curl.
 */
#ifndef LLMC_GRID_HTTP_H
#define LLMC_GRID_HTTP_H

#include <stdatomic.h>
#include <stddef.h>

#define LLMC__HTTP_MAX_HEADERS 4

struct llmc__http_request {
    const char *url;              /* the full URL with its query */
    const char *what;             /* for messages: "electricitymaps:DE" */
    /* extra headers, "Name: value"; they may hold secrets and never appear
     * in messages or logs */
    const char *headers[LLMC__HTTP_MAX_HEADERS];
    const char *basic_user;       /* HTTP Basic auth, or NULL (secret) */
    const char *basic_password;   /* (secret) */
    const char *ca_bundle;        /* a CA file, or NULL for the system's */
    double connect_timeout_s;     /* 0: the default, 3 s */
    double timeout_s;             /* 0: the default, 10 s (total) */
    /* once *cancel is non-zero, the GET ends within about a second with
     * LLMC_ENET, so that freeing the request's owner (a tracker's grid
     * thread) never waits for a whole timeout; NULL: never */
    atomic_int *cancel;
};

struct llmc__http_response {
    long status;                  /* 200, 404, ... */
    char *body;                   /* NUL-terminated; free with free() */
    size_t len;
    char content_type[128];       /* "" when none */
    double retry_after_s;         /* from Retry-After, or -1 */
};

/* Performs a GET. Returns LLMC_OK with out filled (any HTTP status: the
 * caller decides what a 401 means) or:
 *   LLMC_ENET       connection refused, host not found, connection reset,
 *                   a body cut short (the message says how much came);
 *   LLMC_ETIMEDOUT  the connect or total timeout passed;
 *   LLMC_ETLS       the server's certificate is not trusted (the message
 *                   says to give a CA bundle with ca_bundle=FILE or
 *                   LLMC_CA_BUNDLE; verification is never turned off);
 *   LLMC_EFORMAT    the body is larger than the 8 MiB limit;
 *   LLMC_ENOTSUP    libcurl cannot be loaded (libcurl.so.4, or the file
 *                   LLMC_CURL_LIBRARY names: the message says which and
 *                   what to do), or the library was built without it;
 *   LLMC_EINVAL     a NULL argument, a URL that is not http(s), a bad
 *                   timeout, or a header with CR or LF;
 *   LLMC_ENOMEM.
 * headers end at the first NULL. Messages name what, the host and the
 * libcurl reason, never a header value, the Basic user or password, URL
 * user info, or the value of a secret-looking query parameter. */
int llmc__http_get(struct llmc__http_response *out,
                   const struct llmc__http_request *req);

void llmc__http_response_free(struct llmc__http_response *r);

/* The URL with user info and the values of query parameters that may be
 * secret (names with token, key, password, secret, auth, credential,
 * signature, and pass, pwd, sig) replaced by "***", for messages. */
void llmc__http_redact(char *buf, size_t size, const char *url);

#endif
