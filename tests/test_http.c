/*
 * test_http.c - the HTTP client (lib/grid/http.c) against
 * tests/fake_grid_server.py: bodies, statuses and headers as they come,
 * credentials as they go, every network failure mapped to its status with
 * a message that names the source and the host and never a secret,
 * timeouts that hold, the 8 MiB limit, redirects not followed, TLS that is
 * verified (and trusted only with the right CA bundle), proxies from the
 * environment, and many threads at once.
 *
 * The server runs once per test case (an unchecked fixture, in the runner
 * process); each test runs in its own process and reaches it over
 * 127.0.0.1. Needs python3 and $LLMC_SOURCE_ROOT; the TLS case (argument
 * "tls") also needs the openssl command, and exits 77 (skipped), saying
 * why, without it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "testutil.h"

#define EM_QUERY                                                              \
    "?zone=DE&emissionFactorType=lifecycle&shouldUseFallbackCallerLookup=false"
#define EM_LATEST "/v3/carbon-intensity/latest" EM_QUERY
#define SECRET "s3cr3t"

struct server {
    pid_t pid;
    int port;
    char why[700]; /* why it is not running, when port is 0 */
};

static char scratch[256];
static struct server plain, tls;
static char cert_path[300], key_path[300];
static int have_openssl;

/* ---- helpers ------------------------------------------------------------ */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const char *source_root(void)
{
    const char *r = getenv("LLMC_SOURCE_ROOT");
    return r && *r ? r : ".";
}

static void make_scratch(void)
{
    if (scratch[0])
        return;
    snprintf(scratch, sizeof scratch, "/tmp/llmc-http-XXXXXX");
    if (!mkdtemp(scratch)) {
        perror("mkdtemp");
        exit(EXIT_FAILURE);
    }
}

static void remove_scratch(void)
{
    char cmd[300];
    if (!scratch[0])
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", scratch);
    scratch[0] = '\0';
}

/* Starts the fake server (with TLS when cert is given) and waits for the
 * port it chose; on failure leaves port 0 and the reason in s->why. */
static void server_start(struct server *s, const char *name, const char *cert,
                         const char *key)
{
    char script[512], port_file[320];
    double deadline;
    memset(s, 0, sizeof *s);
    make_scratch();
    snprintf(script, sizeof script, "%s/tests/fake_grid_server.py",
             source_root());
    snprintf(port_file, sizeof port_file, "%s/%s.port", scratch, name);
    unlink(port_file);
    fflush(NULL);
    s->pid = fork();
    if (s->pid < 0) {
        snprintf(s->why, sizeof s->why, "fork: %s", strerror(errno));
        return;
    }
    if (s->pid == 0) {
        if (cert)
            execlp("python3", "python3", script, "--port-file", port_file,
                   "--tls", cert, key, (char *)NULL);
        else
            execlp("python3", "python3", script, "--port-file", port_file,
                   (char *)NULL);
        fprintf(stderr, "exec python3 %s: %s\n", script, strerror(errno));
        _exit(127);
    }
    deadline = now_s() + 15.0;
    while (now_s() < deadline) {
        FILE *f = fopen(port_file, "r");
        int status;
        if (f) {
            if (fscanf(f, "%d", &s->port) != 1)
                s->port = 0;
            fclose(f);
            if (s->port > 0)
                return;
        }
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            snprintf(s->why, sizeof s->why,
                     "the fake server (%s) exited with status %d before "
                     "listening",
                     script, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
            s->pid = 0;
            return;
        }
        sleep_ms(20);
    }
    snprintf(s->why, sizeof s->why, "the fake server did not start in 15 s");
}

static void server_stop(struct server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
    }
    s->pid = 0;
    s->port = 0;
}

static void setup_plain(void)
{
    server_start(&plain, "plain", NULL, NULL);
}

static void teardown_plain(void)
{
    server_stop(&plain);
}

static void setup_tls(void)
{
    char cmd[1024];
    make_scratch();
    have_openssl = system("openssl version >/dev/null 2>&1") == 0;
    if (!have_openssl)
        return; /* each test fails, saying so: main skips before this */
    snprintf(cert_path, sizeof cert_path, "%s/cert.pem", scratch);
    snprintf(key_path, sizeof key_path, "%s/key.pem", scratch);
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 "
             "-addext subjectAltName=IP:127.0.0.1 -days 1 -keyout '%s' "
             "-out '%s' >/dev/null 2>&1",
             key_path, cert_path);
    if (system(cmd) != 0) {
        memset(&tls, 0, sizeof tls);
        snprintf(tls.why, sizeof tls.why,
                 "openssl could not make a certificate in %s", scratch);
        return;
    }
    server_start(&tls, "tls", cert_path, key_path);
}

static void teardown_tls(void)
{
    server_stop(&tls);
}

/* main skips the TLS case (exit 77) when openssl is missing; a test that
 * finds it missing anyway fails, it never passes without checking. */
static void need_openssl(void)
{
    ck_assert_msg(have_openssl, "the openssl command is not installed (it "
                                "makes the test certificate)");
}

static void need(const struct server *s)
{
    ck_assert_msg(s->port > 0, "no fake server: %s", s->why);
}

static void url_of(char *buf, size_t size, const struct server *s,
                   const char *scheme, const char *path)
{
    need(s);
    snprintf(buf, size, "%s://127.0.0.1:%d%s", scheme, s->port, path);
}

static struct llmc__http_request request(const char *url)
{
    struct llmc__http_request r;
    memset(&r, 0, sizeof r);
    r.url = url;
    r.what = "test:http";
    return r;
}

/* GET path from the plain server; the status must be LLMC_OK. */
static void get_ok(struct llmc__http_response *out, const char *path,
                   const char *header)
{
    char url[512];
    struct llmc__http_request r;
    url_of(url, sizeof url, &plain, "http", path);
    r = request(url);
    r.headers[0] = header;
    ck_assert_status(llmc__http_get(out, &r), LLMC_OK);
    ck_assert_ptr_nonnull(out->body);
}

/* The server's /_stats (compact JSON), for strstr checks. */
static char *stats(void)
{
    struct llmc__http_response r;
    get_ok(&r, "/_stats", NULL);
    ck_assert_int_eq(r.status, 200);
    return r.body;
}

static void reset_stats(void)
{
    struct llmc__http_response r;
    get_ok(&r, "/_reset", NULL);
    llmc__http_response_free(&r);
}

static void assert_has(const char *text, const char *needle)
{
    ck_assert_msg(strstr(text, needle) != NULL, "'%s' not in: %.600s",
                  needle, text);
}

static void assert_no_secret(void)
{
    const char *m = llmc_last_error();
    ck_assert_msg(strstr(m, SECRET) == NULL, "a secret leaked: %s", m);
    ck_assert_msg(strstr(m, "Bearer") == NULL, "a header leaked: %s", m);
}

/* A local port with nothing listening (bound, then closed). */
static int closed_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;
    ck_assert_int_ge(fd, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* ---- answers as they come ------------------------------------------------ */

START_TEST(test_http_200_has_body_content_type_and_nul)
{
    struct llmc__http_response r;
    get_ok(&r, EM_LATEST, "auth-token: good-token");
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.content_type, "application/json");
    assert_has(r.body, "\"zone\":\"DE\"");
    assert_has(r.body, "\"carbonIntensity\":322");
    ck_assert_uint_eq(strlen(r.body), r.len);
    ck_assert_double_eq(r.retry_after_s, -1);
    llmc__http_response_free(&r);
    ck_assert_ptr_null(r.body);
    llmc__http_response_free(&r); /* twice is harmless */
    llmc__http_response_free(NULL);
}
END_TEST

START_TEST(test_http_empty_body_is_an_empty_string)
{
    struct llmc__http_response r;
    get_ok(&r, "/_mode/empty/intensity", NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.len, 0);
    ck_assert_str_eq(r.body, "");
    llmc__http_response_free(&r);
}
END_TEST

START_TEST(test_http_error_statuses_are_returned_not_failed)
{
    struct llmc__http_response r;
    get_ok(&r, EM_LATEST, "auth-token: not-the-token");
    ck_assert_int_eq(r.status, 401);
    ck_assert_str_eq(r.content_type, "text/plain");
    assert_has(r.body, "Token unauthorized for zoneKey");
    llmc__http_response_free(&r);

    get_ok(&r, "/_mode/html500/intensity", NULL);
    ck_assert_int_eq(r.status, 500);
    ck_assert_str_eq(r.content_type, "text/html");
    assert_has(r.body, "<html>");
    llmc__http_response_free(&r);

    get_ok(&r, "/_mode/plain403/intensity", NULL);
    ck_assert_int_eq(r.status, 403);
    ck_assert_str_eq(r.body, "Access denied");
    llmc__http_response_free(&r);

    get_ok(&r, "/_mode/text200/intensity", NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.content_type, "text/plain");
    llmc__http_response_free(&r);
}
END_TEST

START_TEST(test_http_retry_after_seconds_and_date)
{
    struct llmc__http_response r;
    get_ok(&r, "/_mode/429/v3/forecast", NULL);
    ck_assert_int_eq(r.status, 429);
    ck_assert_double_eq(r.retry_after_s, 1);
    llmc__http_response_free(&r);

    get_ok(&r, "/_mode/503date/intensity", NULL);
    ck_assert_int_eq(r.status, 503);
    ck_assert_msg(r.retry_after_s >= 0 && r.retry_after_s <= 3,
                  "Retry-After as a date: %g s", r.retry_after_s);
    llmc__http_response_free(&r);
}
END_TEST

START_TEST(test_http_redirect_is_returned_not_followed)
{
    struct llmc__http_response r;
    char *s;
    reset_stats();
    get_ok(&r, "/_mode/redirect/intensity", NULL);
    ck_assert_int_eq(r.status, 302);
    llmc__http_response_free(&r);
    s = stats();
    assert_has(s, "\"/_mode/redirect/intensity\":1");
    ck_assert_msg(strstr(s, "\"/intensity\"") == NULL,
                  "the redirect was followed: %s", s);
    free(s);
}
END_TEST

/* ---- requests as they go ------------------------------------------------- */

START_TEST(test_http_sends_auth_token_user_agent_and_accept)
{
    struct llmc__http_response r;
    char url[512], ua[64];
    char *s;
    struct llmc__http_request q;
    reset_stats();
    url_of(url, sizeof url, &plain, "http", EM_LATEST);
    q = request(url);
    q.headers[0] = "auth-token: good-token";
    q.headers[1] = "X-Extra-One: 1";
    q.headers[2] = "X-Extra-Two: 2";
    q.headers[3] = "X-Extra-Three: 3";
    ck_assert_status(llmc__http_get(&r, &q), LLMC_OK);
    ck_assert_int_eq(r.status, 200);
    llmc__http_response_free(&r);
    s = stats();
    assert_has(s, "\"auth_token_present\":true");
    assert_has(s, "\"authorization_present\":false");
    assert_has(s, "\"accept\":\"application/json\"");
    snprintf(ua, sizeof ua, "\"user_agent\":\"libllmcarbon/%s\"",
             llmc_version_string());
    assert_has(s, ua);
    assert_has(s, "X-Extra-Three");
    ck_assert_msg(strstr(s, "good-token") == NULL, "stats show a value");
    free(s);
}
END_TEST

START_TEST(test_http_basic_auth_logs_in)
{
    struct llmc__http_response r;
    char url[512];
    char *s;
    struct llmc__http_request q;
    reset_stats();
    url_of(url, sizeof url, &plain, "http", "/login");
    q = request(url);
    q.basic_user = "wt-user";
    q.basic_password = "wt-pass";
    ck_assert_status(llmc__http_get(&r, &q), LLMC_OK);
    ck_assert_int_eq(r.status, 200);
    assert_has(r.body, "\"token\":\"");
    llmc__http_response_free(&r);

    q.basic_password = "wrong-pass";
    ck_assert_status(llmc__http_get(&r, &q), LLMC_OK);
    ck_assert_int_eq(r.status, 403);
    llmc__http_response_free(&r);

    s = stats();
    assert_has(s, "\"logins\":1");
    assert_has(s, "\"login_failures\":1");
    assert_has(s, "\"authorization_scheme\":\"Basic\"");
    free(s);
}
END_TEST

START_TEST(test_http_proxy_comes_from_the_environment)
{
    struct llmc__http_response r;
    struct llmc__http_request q;
    char proxy[128];
    char *s;
    need(&plain);
    reset_stats();
    /* this test runs in its own process: the variable stays here */
    snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", plain.port);
    setenv("http_proxy", proxy, 1);
    q = request("http://grid.example.invalid/intensity");
    ck_assert_status(llmc__http_get(&r, &q), LLMC_OK);
    ck_assert_int_eq(r.status, 200);
    llmc__http_response_free(&r);
    unsetenv("http_proxy");
    s = stats();
    assert_has(s, "\"proxied\":true");
    assert_has(s, "\"host\":\"grid.example.invalid\"");
    free(s);
}
END_TEST

/* ---- failures ------------------------------------------------------------ */

START_TEST(test_http_refused_is_enet_naming_what_and_host)
{
    struct llmc__http_response r;
    struct llmc__http_request q;
    char url[128], host[64];
    int port = closed_port();
    snprintf(url, sizeof url, "http://127.0.0.1:%d" EM_LATEST, port);
    snprintf(host, sizeof host, "127.0.0.1:%d", port);
    q = request(url);
    q.what = "electricitymaps:DE";
    ck_assert_status(llmc__http_get(&r, &q), LLMC_ENET);
    ck_assert_error_mentions("electricitymaps:DE");
    ck_assert_error_mentions("refused");
    ck_assert_error_mentions(host);
    ck_assert_ptr_null(r.body);
    llmc__http_response_free(&r);
}
END_TEST

START_TEST(test_http_total_timeout_holds)
{
    struct llmc__http_response r;
    struct llmc__http_request q;
    char url[512];
    double t0, dt;
    url_of(url, sizeof url, &plain, "http", "/_mode/slow/intensity");
    q = request(url);
    q.timeout_s = 1;
    t0 = now_s();
    ck_assert_status(llmc__http_get(&r, &q), LLMC_ETIMEDOUT);
    dt = now_s() - t0;
    ck_assert_msg(dt >= 0.9 && dt <= 3.0, "took %.2f s", dt);
    ck_assert_error_mentions("test:http");
    ck_assert_error_mentions("total timeout of 1 s");
}
END_TEST

static void *cancel_soon(void *arg)
{
    sleep_ms(300);
    atomic_store((atomic_int *)arg, 1);
    return NULL;
}

/* The request's own cancel flag (no thread-local): set while the server
 * stalls, it ends the GET long before its timeout, as LLMC_ENET. */
START_TEST(test_http_cancel_flag_ends_a_request_in_flight)
{
    struct llmc__http_response r;
    struct llmc__http_request q;
    atomic_int cancel;
    pthread_t th;
    char url[512];
    double t0, dt;
    atomic_init(&cancel, 0);
    url_of(url, sizeof url, &plain, "http", "/_mode/slow/intensity");
    q = request(url);
    q.timeout_s = 20;
    q.cancel = &cancel;
    ck_assert_int_eq(pthread_create(&th, NULL, cancel_soon, &cancel), 0);
    t0 = now_s();
    ck_assert_status(llmc__http_get(&r, &q), LLMC_ENET);
    dt = now_s() - t0;
    pthread_join(th, NULL);
    ck_assert_msg(dt >= 0.25 && dt <= 10.0, "took %.2f s", dt);
    ck_assert_error_mentions("test:http");
    ck_assert_ptr_null(r.body);
}
END_TEST

START_TEST(test_http_drop_is_enet)
{
    struct llmc__http_response r;
    char url[512];
    struct llmc__http_request q;
    url_of(url, sizeof url, &plain, "http", "/_mode/drop/intensity");
    q = request(url);
    ck_assert_status(llmc__http_get(&r, &q), LLMC_ENET);
    ck_assert_error_mentions("test:http");
    ck_assert_error_mentions("without answering");
}
END_TEST

START_TEST(test_http_truncated_body_is_enet_saying_how_much)
{
    struct llmc__http_response r;
    char url[512];
    struct llmc__http_request q;
    url_of(url, sizeof url, &plain, "http", "/_mode/truncate/intensity");
    q = request(url);
    ck_assert_status(llmc__http_get(&r, &q), LLMC_ENET);
    ck_assert_error_mentions("cut short");
    ck_assert_error_mentions("10 of 1000");
    ck_assert_ptr_null(r.body);
}
END_TEST

START_TEST(test_http_body_over_8_mib_is_eformat)
{
    struct llmc__http_response r;
    char url[512];
    struct llmc__http_request q;
    /* announced by Content-Length */
    url_of(url, sizeof url, &plain, "http", "/_mode/huge/intensity");
    q = request(url);
    ck_assert_status(llmc__http_get(&r, &q), LLMC_EFORMAT);
    ck_assert_error_mentions("8 MiB");
    ck_assert_ptr_null(r.body);
    /* found while reading */
    url_of(url, sizeof url, &plain, "http", "/_mode/hugenolen/intensity");
    q = request(url);
    ck_assert_status(llmc__http_get(&r, &q), LLMC_EFORMAT);
    ck_assert_error_mentions("8 MiB");
    ck_assert_ptr_null(r.body);
}
END_TEST

START_TEST(test_http_bad_arguments_are_einval)
{
    struct llmc__http_response r;
    struct llmc__http_request q = request("ftp://127.0.0.1/x?token=" SECRET);
    ck_assert_status(llmc__http_get(NULL, &q), LLMC_EINVAL);
    ck_assert_status(llmc__http_get(&r, NULL), LLMC_EINVAL);
    ck_assert_status(llmc__http_get(&r, &q), LLMC_EINVAL);
    ck_assert_error_mentions("test:http");
    assert_no_secret();
    q = request("not a url");
    ck_assert_status(llmc__http_get(&r, &q), LLMC_EINVAL);
    q = request("http://127.0.0.1:1/");
    q.timeout_s = -1;
    ck_assert_status(llmc__http_get(&r, &q), LLMC_EINVAL);
    q = request("http://127.0.0.1:1/");
    q.headers[0] = "auth-token: " SECRET "\r\nX-Injected: 1";
    ck_assert_status(llmc__http_get(&r, &q), LLMC_EINVAL);
    assert_no_secret();
    q.headers[0] = "no colon " SECRET;
    ck_assert_status(llmc__http_get(&r, &q), LLMC_EINVAL);
    assert_no_secret();
}
END_TEST

/* ---- secrets stay out of messages ---------------------------------------- */

static struct llmc__http_request secret_request(const char *url)
{
    struct llmc__http_request q = request(url);
    q.headers[0] = "auth-token: " SECRET "-value";
    q.headers[1] = "Authorization: Bearer " SECRET "-bearer";
    q.basic_user = "user";
    q.basic_password = SECRET "-pass";
    return q;
}

START_TEST(test_http_secrets_never_reach_messages)
{
    struct llmc__http_response r;
    struct llmc__http_request q;
    char url[512];
    int port = closed_port();

    snprintf(url, sizeof url,
             "http://u:" SECRET "-ui@127.0.0.1:%d/v3/x?zone=DE&token=" SECRET
             "-value&api_key=" SECRET "-k",
             port);
    q = secret_request(url);
    ck_assert_status(llmc__http_get(&r, &q), LLMC_ENET);
    ck_assert_error_mentions("refused");
    assert_no_secret();

    need(&plain);
    snprintf(url, sizeof url,
             "http://127.0.0.1:%d/_mode/slow/intensity?token=" SECRET
             "-value&password=" SECRET "-pw",
             plain.port);
    q = secret_request(url);
    q.timeout_s = 1;
    ck_assert_status(llmc__http_get(&r, &q), LLMC_ETIMEDOUT);
    assert_no_secret();

    snprintf(url, sizeof url,
             "http://127.0.0.1:%d/_mode/truncate/intensity?key=" SECRET,
             plain.port);
    q = secret_request(url);
    ck_assert_status(llmc__http_get(&r, &q), LLMC_ENET);
    assert_no_secret();
}
END_TEST

START_TEST(test_http_redact_hides_secret_query_values)
{
    char buf[256], small[24];
    llmc__http_redact(buf, sizeof buf,
                      "https://api.example.com/v3/x?zone=DE&token=abc123&"
                      "TOKEN=t2&api_key=k&key=k2&password=p&auth=a&"
                      "securityToken=st&emissionFactorType=direct");
    ck_assert_str_eq(buf, "https://api.example.com/v3/x?zone=DE&token=***&"
                          "TOKEN=***&api_key=***&key=***&password=***&"
                          "auth=***&securityToken=***&"
                          "emissionFactorType=direct");
    llmc__http_redact(buf, sizeof buf, "http://me:pw@host:8080/p?zone=DE");
    ck_assert_str_eq(buf, "http://***@host:8080/p?zone=DE");
    llmc__http_redact(buf, sizeof buf, "https://h/intensity");
    ck_assert_str_eq(buf, "https://h/intensity");
    llmc__http_redact(buf, sizeof buf, "https://h/p?token=abc#frag");
    ck_assert_str_eq(buf, "https://h/p?token=***#...");
    llmc__http_redact(buf, sizeof buf, "https://h/p?flag&token&zone=DE");
    ck_assert_str_eq(buf, "https://h/p?flag&token&zone=DE");
    /* cut to the buffer, never past it, always terminated */
    llmc__http_redact(small, sizeof small,
                      "https://h/p?zone=DE&token=" SECRET SECRET);
    ck_assert_uint_lt(strlen(small), sizeof small);
    ck_assert_ptr_null(strstr(small, SECRET));
    llmc__http_redact(buf, sizeof buf, NULL);
    ck_assert_str_eq(buf, "");
    llmc__http_redact(buf, 0, "https://h/");
}
END_TEST

/* ---- threads ------------------------------------------------------------- */

struct worker {
    int ok;
    char url[256];
};

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 4; i++) {
        struct llmc__http_response r;
        struct llmc__http_request q = request(w->url);
        q.headers[0] = "auth-token: good-token";
        if (llmc__http_get(&r, &q) == LLMC_OK && r.status == 200 &&
            strstr(r.body, "\"carbonIntensity\":322"))
            w->ok++;
        llmc__http_response_free(&r);
    }
    return NULL;
}

START_TEST(test_http_many_threads_at_once)
{
    enum { N = 8 };
    pthread_t th[N];
    struct worker w[N];
    for (int i = 0; i < N; i++) {
        w[i].ok = 0;
        url_of(w[i].url, sizeof w[i].url, &plain, "http", EM_LATEST);
        ck_assert_int_eq(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        ck_assert_int_eq(w[i].ok, 4);
    }
}
END_TEST

/* ---- TLS ----------------------------------------------------------------- */

START_TEST(test_https_untrusted_certificate_is_etls)
{
    struct llmc__http_response r;
    struct llmc__http_request q;
    char url[512];
    need_openssl();
    url_of(url, sizeof url, &tls, "https", "/intensity?token=" SECRET);
    q = secret_request(url);
    q.what = "carbonintensity:GB";
    ck_assert_status(llmc__http_get(&r, &q), LLMC_ETLS);
    ck_assert_error_mentions("carbonintensity:GB");
    ck_assert_error_mentions("127.0.0.1");
    ck_assert_error_mentions("not trusted");
    ck_assert_error_mentions("ca_bundle");
    ck_assert_error_mentions("LLMC_CA_BUNDLE");
    ck_assert_msg(strstr(llmc_last_error(), "insecure") == NULL &&
                      strstr(llmc_last_error(), "disable") == NULL &&
                      strstr(llmc_last_error(), "verify=") == NULL,
                  "suggests turning verification off: %s", llmc_last_error());
    assert_no_secret();
    ck_assert_ptr_null(r.body);
}
END_TEST

START_TEST(test_https_with_the_ca_bundle_is_trusted)
{
    struct llmc__http_response r;
    struct llmc__http_request q;
    char url[512];
    need_openssl();
    url_of(url, sizeof url, &tls, "https", "/intensity");
    q = request(url);
    q.ca_bundle = cert_path;
    ck_assert_status(llmc__http_get(&r, &q), LLMC_OK);
    ck_assert_int_eq(r.status, 200);
    assert_has(r.body, "\"intensity\"");
    llmc__http_response_free(&r);
}
END_TEST

START_TEST(test_https_unreadable_ca_bundle_is_etls_naming_it)
{
    struct llmc__http_response r;
    struct llmc__http_request q;
    char url[512];
    need_openssl();
    url_of(url, sizeof url, &tls, "https", "/intensity");
    q = request(url);
    q.ca_bundle = "/nonexistent/ca.pem";
    ck_assert_status(llmc__http_get(&r, &q), LLMC_ETLS);
    ck_assert_error_mentions("/nonexistent/ca.pem");
    ck_assert_error_mentions("ca_bundle");
}
END_TEST

START_TEST(test_https_plain_http_port_is_an_error_not_a_hang)
{
    struct llmc__http_response r;
    struct llmc__http_request q;
    char url[512];
    need_openssl();
    /* https:// to the plain server: a failed handshake, quickly */
    url_of(url, sizeof url, &plain, "https", "/intensity");
    q = request(url);
    q.timeout_s = 3;
    ck_assert_status(llmc__http_get(&r, &q), LLMC_ETLS);
    ck_assert_error_mentions("test:http");
}
END_TEST

/* which: "plain", "tls", or NULL for both. */
static Suite *http_suite(const char *which)
{
    Suite *s = suite_create("http");
    TCase *tc;
    if (!which || strcmp(which, "plain") == 0) {
        tc = tcase_create("plain");
        tcase_set_timeout(tc, 30);
        tcase_add_unchecked_fixture(tc, setup_plain, teardown_plain);
        tcase_add_test(tc, test_http_200_has_body_content_type_and_nul);
        tcase_add_test(tc, test_http_empty_body_is_an_empty_string);
        tcase_add_test(tc, test_http_error_statuses_are_returned_not_failed);
        tcase_add_test(tc, test_http_retry_after_seconds_and_date);
        tcase_add_test(tc, test_http_redirect_is_returned_not_followed);
        tcase_add_test(tc, test_http_sends_auth_token_user_agent_and_accept);
        tcase_add_test(tc, test_http_basic_auth_logs_in);
        tcase_add_test(tc, test_http_proxy_comes_from_the_environment);
        tcase_add_test(tc, test_http_refused_is_enet_naming_what_and_host);
        tcase_add_test(tc, test_http_total_timeout_holds);
        tcase_add_test(tc, test_http_cancel_flag_ends_a_request_in_flight);
        tcase_add_test(tc, test_http_drop_is_enet);
        tcase_add_test(tc, test_http_truncated_body_is_enet_saying_how_much);
        tcase_add_test(tc, test_http_body_over_8_mib_is_eformat);
        tcase_add_test(tc, test_http_bad_arguments_are_einval);
        tcase_add_test(tc, test_http_secrets_never_reach_messages);
        tcase_add_test(tc, test_http_redact_hides_secret_query_values);
        tcase_add_test(tc, test_http_many_threads_at_once);
        suite_add_tcase(s, tc);
    }
    if (!which || strcmp(which, "tls") == 0) {
        tc = tcase_create("tls");
        tcase_set_timeout(tc, 30);
        tcase_add_unchecked_fixture(tc, setup_plain, teardown_plain);
        tcase_add_unchecked_fixture(tc, setup_tls, teardown_tls);
        tcase_add_test(tc, test_https_untrusted_certificate_is_etls);
        tcase_add_test(tc, test_https_with_the_ca_bundle_is_trusted);
        tcase_add_test(tc, test_https_unreadable_ca_bundle_is_etls_naming_it);
        tcase_add_test(tc, test_https_plain_http_port_is_an_error_not_a_hang);
        suite_add_tcase(s, tc);
    }
    return s;
}

/* The argument names the case to run (plain or tls), both without one.
 * Without the openssl command the TLS case is skipped, exit status 77,
 * which meson reports as SKIP: never as a pass. */
int main(int argc, char **argv)
{
    static const char *const proxies[] = {
        "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
        "all_proxy",  "ALL_PROXY",  "no_proxy",    "NO_PROXY"};
    const char *which = argc > 1 ? argv[1] : NULL;
    SRunner *sr;
    int failed;
    if ((!which || strcmp(which, "tls") == 0) &&
        system("openssl version >/dev/null 2>&1") != 0) {
        printf("test_http: SKIP: the TLS tests need the openssl command, "
               "which makes their certificate; install it (apt-get install "
               "openssl, as scripts/bootstrap does)\n");
        return 77;
    }
    sr = srunner_create(http_suite(which));
    /* the fake server is on 127.0.0.1: no proxy of the machine in between */
    for (size_t i = 0; i < sizeof proxies / sizeof proxies[0]; i++)
        unsetenv(proxies[i]);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    remove_scratch();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
