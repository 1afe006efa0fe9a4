/*
 * serve.c - a tracker's metrics for Prometheus (llmc_tracker_metrics_text):
 * an HTTP endpoint, served by libmicrohttpd's own thread, and a file for
 * node_exporter's textfile collector, rewritten every interval by a
 * thread of ours. The library never links an HTTP server: only this
 * program does, and only when it was built with libmicrohttpd
 * (-Dmetrics_server).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef LLMC_HAVE_MHD
#include <microhttpd.h>
#endif

#include "cli.h"
#include "serve.h"

struct metrics_out {
    const char *cmd;
    llmc_tracker *t;
    unsigned flags;
    char *textfile;
    double interval_s;
    pthread_t writer;
    int writer_running;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int quit;       /* under mu: the writer ends */
    int last_errno; /* the writer's last failure, said once per errno */
#ifdef LLMC_HAVE_MHD
    struct MHD_Daemon *daemon;
#endif
};

double metrics_interval_s(const char *value)
{
    double s;
    if (value && *value &&
        llmc_quantity_parse(&s, LLMC_DIM_DURATION, value, "s") == LLMC_OK &&
        s > 0)
        return s;
    return 1.0;
}

/* ---- the textfile ---------------------------------------------------- */

/* Writes the text to a temporary file beside path, then renames it over
 * path: the collector reads the old file or the new one, never half of
 * one. Its name starts with '.' and does not end in .prom, so that the
 * collector never reads it. Readable by all (0644): node_exporter runs as
 * a user of its own. 0, or an errno. */
static int write_textfile(struct metrics_out *m)
{
    char tmp[PATH_MAX];
    const char *slash = strrchr(m->textfile, '/');
    char *text = NULL;
    size_t len;
    int fd, rc, e = 0;

    if ((rc = llmc_tracker_metrics_text(&text, m->t, m->flags)) != LLMC_OK)
        return rc == LLMC_ENOMEM ? ENOMEM : EINVAL;
    if (slash)
        rc = snprintf(tmp, sizeof tmp, "%.*s/.%s.XXXXXX",
                      (int)(slash - m->textfile), m->textfile, slash + 1);
    else
        rc = snprintf(tmp, sizeof tmp, ".%s.XXXXXX", m->textfile);
    if (rc < 0 || (size_t)rc >= sizeof tmp) {
        llmc_free(text);
        return ENAMETOOLONG;
    }
    if ((fd = mkstemp(tmp)) < 0) {
        e = errno;
        llmc_free(text);
        return e;
    }
    len = strlen(text);
    e = cli_write_fd(fd, text, len);
    llmc_free(text);
    if (!e && fchmod(fd, 0644) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, m->textfile) != 0)
        e = errno;
    if (e)
        unlink(tmp);
    return e;
}

static void say_textfile_failed(const struct metrics_out *m, int e)
{
    fprintf(stderr, "llmcarbon %s: cannot write --textfile '%s': %s; %s\n",
            m->cmd, m->textfile, strerror(e),
            e == ENOENT || e == EACCES || e == EROFS || e == EPERM
                ? "give a path in a directory that exists and that this "
                  "user may write"
                : "the figures are kept; it is tried again at the next "
                  "interval");
}

static void *writer_main(void *arg)
{
    struct metrics_out *m = arg;
    int64_t step_ns = (int64_t)(m->interval_s * 1e9);
    struct timespec next;

    clock_gettime(CLOCK_MONOTONIC, &next);
    pthread_mutex_lock(&m->mu);
    while (!m->quit) {
        int64_t ns = (int64_t)next.tv_nsec + step_ns % 1000000000;
        next.tv_sec += (time_t)(step_ns / 1000000000 + ns / 1000000000);
        next.tv_nsec = (long)(ns % 1000000000);
        while (!m->quit &&
               pthread_cond_timedwait(&m->cv, &m->mu, &next) != ETIMEDOUT)
            ;
        if (m->quit)
            break;
        pthread_mutex_unlock(&m->mu);
        {
            int e = write_textfile(m);
            /* a failure is said once, not every interval */
            if (e && e != m->last_errno)
                say_textfile_failed(m, e);
            m->last_errno = e;
        }
        pthread_mutex_lock(&m->mu);
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

/* ---- the HTTP endpoint ----------------------------------------------- */

#ifdef LLMC_HAVE_MHD
static const char om_type[] =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";
static const char prom_type[] = "text/plain; version=0.0.4; charset=utf-8";

static enum MHD_Result queue_text(struct MHD_Connection *c, unsigned status,
                                  const char *type, const char *text)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result rc;
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* GET /metrics (and /): the text in the format the Accept header asks
 * for: OpenMetrics when it names application/openmetrics-text, as
 * Prometheus's own scrapes do, else the text format 0.0.4. */
static enum MHD_Result answer(void *cls, struct MHD_Connection *c,
                              const char *url, const char *method,
                              const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    struct metrics_out *m = cls;
    const char *accept;
    struct MHD_Response *r;
    enum MHD_Result rc;
    char *text = NULL;
    int om, st;

    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)con_cls;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
        strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return queue_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                          "text/plain; charset=utf-8",
                          "only GET and HEAD are answered here\n");
    if (strcmp(url, "/metrics") != 0 && strcmp(url, "/") != 0)
        return queue_text(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8",
                          "llmcarbon serves its metrics at /metrics\n");
    accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                         MHD_HTTP_HEADER_ACCEPT);
    om = accept && strstr(accept, "application/openmetrics-text") != NULL;
    st = llmc_tracker_metrics_text(
        &text, m->t, m->flags | (om ? LLMC_METRICS_OPENMETRICS : 0));
    if (st != LLMC_OK) {
        char why[1200];
        snprintf(why, sizeof why, "no metrics: %s (%s)\n", llmc_last_error(),
                 llmc_status_name(st));
        return queue_text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
                          "text/plain; charset=utf-8", why);
    }
    r = MHD_create_response_from_buffer_with_free_callback(strlen(text), text,
                                                           llmc_free);
    if (!r) {
        llmc_free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            om ? om_type : prom_type);
    rc = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

/* "HOST:PORT", "[V6]:PORT", ":PORT": host ("": every address) and port
 * split into buffers; 1 when addr has that shape, else 0. */
static int split_address(const char *addr, char *host, size_t hsize,
                         char *port, size_t psize)
{
    const char *colon = strrchr(addr, ':');
    size_t hl;
    char *end;
    long p;
    if (!colon || !colon[1])
        return 0;
    p = strtol(colon + 1, &end, 10);
    if (*end || p < 0 || p > 65535 || !isdigit((unsigned char)colon[1]))
        return 0;
    snprintf(port, psize, "%ld", p);
    hl = (size_t)(colon - addr);
    if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']') {
        addr++; /* an IPv6 address, its colons within brackets */
        hl -= 2;
    } else if (memchr(addr, ':', hl) != NULL) {
        return 0; /* ::1:9400: where does the address end? */
    }
    if (hl >= hsize)
        return 0;
    memcpy(host, addr, hl);
    host[hl] = '\0';
    return 1;
}

/* A listening socket on addr in *fd_out: CLI_CONTINUE, or the exit status
 * after saying why (with what to do). */
static int listen_on(int *fd_out, const char *cmd, const char *flag,
                     const char *addr, char *shown, size_t shown_size)
{
    char host[256], port[8], h[NI_MAXHOST], s[NI_MAXSERV];
    struct addrinfo hints, *res = NULL, *ai;
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    int fd = -1, e = 0, rc, one = 1;

    if (!split_address(addr, host, sizeof host, port, sizeof port))
        return metrics_check_listen(cmd, flag, addr); /* says why */
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if ((rc = getaddrinfo(*host ? host : NULL, port, &hints, &res)) != 0) {
        fprintf(stderr, "llmcarbon %s: %s '%s': cannot resolve '%s': %s; "
                "give an address of this machine, such as 127.0.0.1\n", cmd,
                flag, addr, host, gai_strerror(rc));
        return CLI_FAILED;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        /* a port left in TIME_WAIT by the previous run is free to take;
         * one that a program listens on is not (Linux) */
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 64) == 0)
            break;
        e = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        if (e == EADDRINUSE)
            fprintf(stderr, "llmcarbon %s: %s %s: the address is in use: "
                    "another program listens on port %s there; give "
                    "another port, or stop that program (`ss -ltnp "
                    "'sport = :%s'` names it)\n", cmd, flag, addr, port,
                    port);
        else if (e == EACCES)
            fprintf(stderr, "llmcarbon %s: %s %s: %s; ports below 1024 "
                    "need root: give a port of 1024 or more\n", cmd, flag,
                    addr, strerror(e));
        else
            fprintf(stderr, "llmcarbon %s: %s %s: cannot listen there: %s; "
                    "give an address of this machine, such as "
                    "127.0.0.1:PORT\n", cmd, flag, addr, strerror(e));
        return CLI_FAILED;
    }
    if (getsockname(fd, (struct sockaddr *)&bound, &blen) == 0 &&
        getnameinfo((struct sockaddr *)&bound, blen, h, sizeof h, s,
                    sizeof s, NI_NUMERICHOST | NI_NUMERICSERV) == 0)
        snprintf(shown, shown_size, strchr(h, ':') ? "[%s]:%s" : "%s:%s", h,
                 s);
    else
        snprintf(shown, shown_size, "%s", addr);
    *fd_out = fd;
    return CLI_CONTINUE;
}
#endif

/* ---- start and stop -------------------------------------------------- */

int metrics_check_listen(const char *cmd, const char *flag,
                         const char *listen)
{
#ifdef LLMC_HAVE_MHD
    char host[256], port[8];
    if (listen &&
        !split_address(listen, host, sizeof host, port, sizeof port))
        return cli_usage(cmd, "%s '%s' is not an address to listen on; "
                         "write HOST:PORT (127.0.0.1:9400, [::1]:9400), or "
                         ":PORT for every address", flag, listen);
#else
    if (listen) {
        fprintf(stderr, "llmcarbon %s: %s: this llmcarbon was built without "
                "an HTTP server; install libmicrohttpd (Debian: apt-get "
                "install libmicrohttpd-dev) and build again (meson setup "
                "-Dmetrics_server=enabled), or write the metrics for "
                "node_exporter's textfile collector with --textfile PATH\n",
                cmd, flag);
        return CLI_FAILED;
    }
#endif
    return CLI_CONTINUE;
}

int metrics_out_start(struct metrics_out **out, const char *cmd,
                      llmc_tracker *t, const char *flag, const char *listen,
                      const char *textfile, double interval_s,
                      unsigned flags)
{
    struct metrics_out *m;
    sigset_t all, before;
    int e;

    *out = NULL;
    if ((e = metrics_check_listen(cmd, flag, listen)) != CLI_CONTINUE)
        return e;
    if (!(m = calloc(1, sizeof *m)) ||
        (textfile && !(m->textfile = strdup(textfile)))) {
        free(m);
        fprintf(stderr, "llmcarbon %s: out of memory (LLMC_ENOMEM)\n", cmd);
        return CLI_FAILED;
    }
    m->cmd = cmd;
    m->t = t;
    m->flags = flags;
    m->interval_s = interval_s > 0 ? interval_s : 1.0;
    pthread_mutex_init(&m->mu, NULL);
    {
        /* the writer's deadlines do not move with the wall clock */
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&m->cv, &ca);
        pthread_condattr_destroy(&ca);
    }
    /* the threads started here leave the signals to the main thread */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &before);
#ifdef LLMC_HAVE_MHD
    if (listen) {
        char shown[300];
        int fd = -1;
        if ((e = listen_on(&fd, cmd, flag, listen, shown, sizeof shown)) !=
            CLI_CONTINUE) {
            pthread_sigmask(SIG_SETMASK, &before, NULL);
            metrics_out_stop(m);
            return e;
        }
        m->daemon = MHD_start_daemon(
            MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
            answer, m, MHD_OPTION_LISTEN_SOCKET, fd,
            MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
        if (!m->daemon) {
            close(fd);
            pthread_sigmask(SIG_SETMASK, &before, NULL);
            fprintf(stderr, "llmcarbon %s: %s %s: the HTTP server could not "
                    "start (libmicrohttpd; out of memory or threads?)\n", cmd,
                    flag, listen);
            metrics_out_stop(m);
            return CLI_FAILED;
        }
        fprintf(stderr, "llmcarbon %s: serving metrics on http://%s/metrics\n",
                cmd, shown);
    }
#endif
    if (m->textfile) {
        if ((e = write_textfile(m)) != 0) {
            pthread_sigmask(SIG_SETMASK, &before, NULL);
            say_textfile_failed(m, e);
            free(m->textfile);
            m->textfile = NULL; /* nothing more to write */
            metrics_out_stop(m);
            return CLI_FAILED;
        }
        if ((e = pthread_create(&m->writer, NULL, writer_main, m)) != 0) {
            pthread_sigmask(SIG_SETMASK, &before, NULL);
            fprintf(stderr, "llmcarbon %s: --textfile: cannot start a "
                    "thread: %s\n", cmd, strerror(e));
            metrics_out_stop(m);
            return CLI_FAILED;
        }
        m->writer_running = 1;
    }
    pthread_sigmask(SIG_SETMASK, &before, NULL);
    *out = m;
    return CLI_OK;
}

int metrics_out_stop(struct metrics_out *m)
{
    int rc = CLI_OK, e;
    if (!m)
        return CLI_OK;
    if (m->writer_running) {
        pthread_mutex_lock(&m->mu);
        m->quit = 1;
        pthread_cond_broadcast(&m->cv);
        pthread_mutex_unlock(&m->mu);
        pthread_join(m->writer, NULL);
    }
    if (m->textfile && (e = write_textfile(m)) != 0) {
        say_textfile_failed(m, e);
        rc = CLI_FAILED;
    }
#ifdef LLMC_HAVE_MHD
    if (m->daemon)
        MHD_stop_daemon(m->daemon);
#endif
    pthread_cond_destroy(&m->cv);
    pthread_mutex_destroy(&m->mu);
    free(m->textfile);
    free(m);
    return rc;
}
