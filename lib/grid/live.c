/*
 * live.c - what the live grid sources share: options, the HTTP call and
 * the meaning of its statuses, backoff after 429 and 5xx, and the cache
 * rule that decides whether a stored point may answer.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/internal.h"
#include "live.h"

#define MAX_BACKOFF_S 300

_Thread_local int llmc__no_network;

void llmc__live_env(char *buf, size_t size, const char *name)
{
    const char *v = getenv(name);
    if (v && *v)
        snprintf(buf, size, "%s", v);
}

int llmc__live_set_common(struct llmc__live *l, const char *key,
                          const char *value)
{
    if (strcmp(key, "base_url") == 0) {
        if (strncmp(value, "http://", 7) != 0 &&
            strncmp(value, "https://", 8) != 0)
            return llmc__fail(LLMC_EINVAL,
                              "%s: base_url '%s' is not an http:// or "
                              "https:// URL",
                              l->what, value);
        snprintf(l->base_url, sizeof l->base_url, "%s", value);
        /* no trailing slash: paths start with one */
        while (*l->base_url && l->base_url[strlen(l->base_url) - 1] == '/')
            l->base_url[strlen(l->base_url) - 1] = '\0';
        return LLMC_OK;
    }
    if (strcmp(key, "ca_bundle") == 0) {
        snprintf(l->ca_bundle, sizeof l->ca_bundle, "%s", value);
        return LLMC_OK;
    }
    if (strcmp(key, "timeout") == 0) {
        double s;
        int rc = llmc_quantity_parse(&s, LLMC_DIM_DURATION, value, "s");
        if (rc != LLMC_OK)
            return rc;
        if (s < 0.1 || s > 10.0)
            return llmc__fail(LLMC_ERANGE,
                              "%s: timeout '%s' must be from 100 ms to 10 s "
                              "(a request never holds a sample longer)",
                              l->what, value);
        l->timeout_s = s;
        return LLMC_OK;
    }
    return LLMC_ENOTFOUND;
}

/* The first printable characters of a body, for messages. */
static void excerpt(char *buf, size_t size, const char *body)
{
    size_t n = 0;
    for (; body && *body && n + 1 < size && n < 80; body++)
        buf[n++] = isprint((unsigned char)*body) ? *body : ' ';
    buf[n] = '\0';
}

static void back_off(struct llmc__live *l, double retry_after_s)
{
    int64_t now = (int64_t)time(NULL), wait;
    l->failures++;
    wait = (int64_t)1 << (l->failures < 9 ? l->failures : 9);
    if (wait > MAX_BACKOFF_S)
        wait = MAX_BACKOFF_S;
    if (retry_after_s > 0 && retry_after_s < 3600)
        wait = (int64_t)retry_after_s;
    /* jitter: up to a quarter more, so that many ranks do not retry at once */
    wait += (int64_t)(rand() % (int)(wait / 4 + 1));
    l->backoff_until_unix_s = now + wait;
}

int llmc__live_get(struct llmc__live *l, struct llmc__http_response *resp,
                   const char *path_and_query, const char *const *headers,
                   const char *basic_user, const char *basic_password)
{
    struct llmc__http_request req;
    char url[2048], safe[2048], body[96];
    int64_t now = (int64_t)time(NULL);
    int rc;

    memset(resp, 0, sizeof *resp);
    if (llmc__no_network)
        return llmc__fail(LLMC_ENET,
                          "%s: not fetched from inside a training step (the "
                          "inline sampler never waits for the network)",
                          l->what);
    if (now < l->backoff_until_unix_s)
        return llmc__fail(LLMC_EHTTP,
                          "%s: backing off after %d failed request%s; next "
                          "try in %lld s",
                          l->what, l->failures, l->failures == 1 ? "" : "s",
                          (long long)(l->backoff_until_unix_s - now));
    memset(&req, 0, sizeof req);
    snprintf(url, sizeof url, "%s%s", l->base_url, path_and_query);
    req.url = url;
    req.what = l->what;
    for (int i = 0; headers && headers[i] && i < LLMC__HTTP_MAX_HEADERS; i++)
        req.headers[i] = headers[i];
    req.basic_user = basic_user;
    req.basic_password = basic_password;
    req.ca_bundle = *l->ca_bundle ? l->ca_bundle : NULL;
    req.timeout_s = l->timeout_s;
    if ((rc = llmc__http_get(resp, &req)) != LLMC_OK) {
        if (rc == LLMC_ENET || rc == LLMC_ETIMEDOUT)
            back_off(l, -1);
        return rc;
    }
    if (resp->status >= 200 && resp->status < 300) {
        l->failures = 0;
        return LLMC_OK;
    }
    llmc__http_redact(safe, sizeof safe, url);
    excerpt(body, sizeof body, resp->body);
    if (resp->status == 401 || resp->status == 403)
        rc = llmc__fail(LLMC_EAUTH,
                        "%s: HTTP %ld from %s: the credentials were refused "
                        "(%s); check the token or password",
                        l->what, resp->status, safe, body);
    else if (resp->status == 404)
        rc = llmc__fail(LLMC_ENOTFOUND, "%s: HTTP 404 from %s (%s)", l->what,
                        safe, body);
    else if (resp->status == 429 || resp->status >= 500) {
        back_off(l, resp->retry_after_s);
        rc = llmc__fail(LLMC_EHTTP,
                        "%s: HTTP %ld from %s (%s); backing off %lld s",
                        l->what, resp->status, safe, body,
                        (long long)(l->backoff_until_unix_s - now));
    } else if (resp->status >= 300 && resp->status < 400)
        rc = llmc__fail(LLMC_EHTTP,
                        "%s: HTTP %ld from %s: redirects are not followed; "
                        "set base_url to the new address",
                        l->what, resp->status, safe);
    else
        rc = llmc__fail(LLMC_EHTTP, "%s: HTTP %ld from %s (%s)", l->what,
                        resp->status, safe, body);
    llmc__http_response_free(resp);
    return rc;
}

const struct llmc__point *llmc__live_cached(struct llmc__live *l, int64_t t,
                                            int64_t now, int64_t ttl_s)
{
    const struct llmc__point *p = llmc__series_at(&l->cache, t);
    if (!p)
        return NULL;
    /* settled history does not change (except rarely, late): keep it */
    if (p->start_unix_s + p->duration_s + 7200 < now &&
        !(p->flags & LLMC__POINT_FORECAST))
        return p;
    if (p->flags & LLMC__POINT_FORECAST)
        return now - l->fetched_future_unix_s < ttl_s ||
                       now - l->fetched_recent_unix_s < ttl_s
                   ? p
                   : NULL;
    return now - l->fetched_recent_unix_s < ttl_s ? p : NULL;
}

void llmc__live_free(struct llmc__live *l)
{
    if (!l)
        return;
    llmc__series_free(&l->cache);
    /* the secret goes with the memory, not into a later allocation */
    explicit_bzero(l->secret, sizeof l->secret);
    free(l);
}
