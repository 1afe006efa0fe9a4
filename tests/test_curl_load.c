/*
 * test_curl_load.c - libcurl is loaded at the first live request, not
 * with the library: a process that only estimates, reads static grids and
 * tracks with constant meters maps no libcurl (nor its TLS, Kerberos and
 * LDAP chain); the first live request loads it, once, also when several
 * threads make it at the same moment; a libcurl that cannot be loaded
 * (LLMC_CURL_LIBRARY=/nonexistent, or a file that is not libcurl) is
 * LLMC_ENOTSUP with a message naming it and the remedy, never a crash, and
 * a chain falls back past it.
 *
 * Check runs each test in a process of its own, so each starts with
 * libcurl not loaded. The live cases (LLMC_TEST_LIVE: built with libcurl)
 * ask a closed port on 127.0.0.1, so they need no server.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testutil.h"

/* Whether this process maps a file whose name holds "libcurl". */
static int maps_libcurl(void)
{
    char line[4096];
    int found = 0;
    FILE *f = fopen("/proc/self/maps", "r");
    ck_assert_msg(f != NULL, "cannot read /proc/self/maps");
    while (fgets(line, sizeof line, f)) {
        const char *path = strchr(line, '/');
        const char *base = path ? strrchr(path, '/') : NULL;
        if (base && strncmp(base + 1, "libcurl", 7) == 0)
            found = 1;
    }
    fclose(f);
    return found;
}

START_TEST(test_estimate_static_grid_and_const_tracker_map_no_libcurl)
{
    llmc_estimate *e = NULL;
    llmc_estimate_result r;
    llmc_grid *g = NULL;
    llmc_intensity ci;
    llmc_tracker *t = NULL;
    llmc_totals o;

    /* the loader has not brought libcurl in with libllmcarbon.so.0 */
    ck_assert_msg(!maps_libcurl(), "libcurl is mapped before any call");

    /* an estimate with the bundled data: hardware, hours, zone */
    ck_assert_status(llmc_estimate_new(&e), LLMC_OK);
    ck_assert_status(llmc_estimate_set(e, "hardware", "NVIDIA H100 SXM5 80GB"),
                     LLMC_OK);
    ck_assert_status(llmc_estimate_set(e, "count", "8"), LLMC_OK);
    ck_assert_status(llmc_estimate_set(e, "hours", "24h"), LLMC_OK);
    ck_assert_status(llmc_estimate_set(e, "zone", "DE"), LLMC_OK);
    llmc_estimate_result_init(&r, sizeof r);
    ck_assert_status(llmc_estimate_compute(&r, e), LLMC_OK);
    ck_assert_double_gt(r.total_kgco2e, 0.0);
    llmc_estimate_free(e);

    /* a static grid */
    ck_assert_status(llmc_grid_new(&g, "static:FR"), LLMC_OK);
    llmc_intensity_init(&ci, sizeof ci);
    ck_assert_status(llmc_grid_intensity_at(&ci, g, (int64_t)time(NULL)),
                     LLMC_OK);
    ck_assert_str_eq(ci.source, "static");
    ck_assert_double_gt(ci.gco2e_per_kwh, 0.0);
    llmc_grid_free(g);

    /* a tracker with a constant meter and grid, started and stopped */
    ck_assert_status(llmc_tracker_new(&t), LLMC_OK);
    ck_assert_status(llmc_tracker_configure(t, "meters=const:1W;grid=const:1"),
                     LLMC_OK);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    llmc_totals_init(&o, sizeof o);
    ck_assert_status(llmc_tracker_totals(&o, t, NULL), LLMC_OK);
    ck_assert(o.measured);
    llmc_tracker_free(t);

    ck_assert_msg(!maps_libcurl(),
                  "libcurl was mapped by a process that asked no live source");
}
END_TEST

#ifdef LLMC_TEST_LIVE

static void closed_port(void)
{
    /* port 1 on loopback: nothing listens, the connection is refused */
    setenv("LLMC_ELECTRICITYMAPS_URL", "http://127.0.0.1:1", 1);
    setenv("ELECTRICITYMAPS_API_TOKEN", "test-token", 1);
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("all_proxy");
    unsetenv("ALL_PROXY");
    unsetenv("LLMC_CURL_LIBRARY");
}

/* One request of a live source that has no fallback: its status. */
static int live_status(void)
{
    llmc_grid *g = NULL;
    llmc_intensity ci;
    int rc;
    ck_assert_status(llmc_grid_new(&g, "electricitymaps:DE"), LLMC_OK);
    llmc_intensity_init(&ci, sizeof ci);
    rc = llmc_grid_intensity_at(&ci, g, (int64_t)time(NULL));
    llmc_grid_free(g);
    return rc;
}

START_TEST(test_first_live_request_loads_libcurl)
{
    closed_port();
    ck_assert(!maps_libcurl());
    /* creating the source asks nothing yet */
    {
        llmc_grid *g = NULL;
        ck_assert_status(llmc_grid_new(&g, "electricitymaps:DE"), LLMC_OK);
        ck_assert(!maps_libcurl());
        llmc_grid_free(g);
    }
    ck_assert_status(live_status(), LLMC_ENET);
    ck_assert_error_mentions("refused");
    ck_assert_msg(maps_libcurl(), "a live request did not load libcurl");
}
END_TEST

START_TEST(test_a_missing_libcurl_is_enotsup_naming_it_and_the_remedy)
{
    llmc_grid *g = NULL;
    llmc_intensity ci;

    closed_port();
    setenv("LLMC_CURL_LIBRARY", "/nonexistent/libcurl.so.4", 1);
    ck_assert_status(live_status(), LLMC_ENOTSUP);
    ck_assert_error_mentions("LLMC_CURL_LIBRARY=/nonexistent/libcurl.so.4");
    ck_assert_error_mentions("cannot be loaded");
    ck_assert_error_mentions("libcurl.so.4");
    ck_assert_error_mentions("electricitymaps");
    /* a second request says the same, without trying again */
    ck_assert_status(live_status(), LLMC_ENOTSUP);
    ck_assert_error_mentions("LLMC_CURL_LIBRARY=/nonexistent/libcurl.so.4");
    ck_assert(!maps_libcurl());

    /* a chain falls back to its static source and says why */
    ck_assert_status(llmc_grid_new(&g, "electricitymaps:DE,static:DE"),
                     LLMC_OK);
    llmc_intensity_init(&ci, sizeof ci);
    ck_assert_status(llmc_grid_intensity_at(&ci, g, (int64_t)time(NULL)),
                     LLMC_OK);
    ck_assert_str_eq(ci.source, "static");
    ck_assert_msg(strstr(ci.fallback, "LLMC_CURL_LIBRARY") != NULL,
                  "fallback: %s", ci.fallback);
    llmc_grid_free(g);
}
END_TEST

START_TEST(test_a_library_that_is_not_libcurl_is_enotsup_naming_a_symbol)
{
    closed_port();
    /* loads (every process has it), but has no curl_* function */
    setenv("LLMC_CURL_LIBRARY", "libc.so.6", 1);
    ck_assert_status(live_status(), LLMC_ENOTSUP);
    ck_assert_error_mentions("libc.so.6 is not libcurl");
    ck_assert_error_mentions("curl_global_init");
    ck_assert_error_mentions("LLMC_CURL_LIBRARY");
}
END_TEST

START_TEST(test_the_default_library_unset_is_used)
{
    closed_port();
    /* an empty LLMC_CURL_LIBRARY is unset: the default libcurl.so.4 */
    setenv("LLMC_CURL_LIBRARY", "", 1);
    ck_assert_status(live_status(), LLMC_ENET);
    ck_assert(maps_libcurl());
}
END_TEST

#define THREADS 8

static pthread_barrier_t start_line;

static void *first_request(void *arg)
{
    int *rc = arg;
    pthread_barrier_wait(&start_line);
    *rc = live_status();
    return NULL;
}

/* Eight threads make the process's first live request at once: one loads
 * libcurl and runs curl_global_init, the others wait for it; each gets its
 * own answer. */
static void first_requests_at_once(int want)
{
    pthread_t th[THREADS];
    int rc[THREADS];
    ck_assert_int_eq(pthread_barrier_init(&start_line, NULL, THREADS), 0);
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, first_request, &rc[i]),
                         0);
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    pthread_barrier_destroy(&start_line);
    for (int i = 0; i < THREADS; i++)
        ck_assert_msg(rc[i] == want, "thread %d: %s, want %s", i,
                      llmc_status_name(rc[i]), llmc_status_name(want));
}

START_TEST(test_threads_making_the_first_request_at_once)
{
    closed_port();
    first_requests_at_once(LLMC_ENET);
    ck_assert(maps_libcurl());
}
END_TEST

START_TEST(test_threads_finding_no_libcurl_at_once)
{
    closed_port();
    setenv("LLMC_CURL_LIBRARY", "/nonexistent/libcurl.so.4", 1);
    first_requests_at_once(LLMC_ENOTSUP);
    ck_assert(!maps_libcurl());
}
END_TEST

#endif /* LLMC_TEST_LIVE */

int main(void)
{
    Suite *s = suite_create("curl_load");
    TCase *tc = tcase_create("load");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_estimate_static_grid_and_const_tracker_map_no_libcurl);
#ifdef LLMC_TEST_LIVE
    tcase_add_test(tc, test_first_live_request_loads_libcurl);
    tcase_add_test(tc, test_a_missing_libcurl_is_enotsup_naming_it_and_the_remedy);
    tcase_add_test(tc, test_a_library_that_is_not_libcurl_is_enotsup_naming_a_symbol);
    tcase_add_test(tc, test_the_default_library_unset_is_used);
    tcase_add_test(tc, test_threads_making_the_first_request_at_once);
    tcase_add_test(tc, test_threads_finding_no_libcurl_at_once);
#endif
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    /* each test needs a process of its own: libcurl, once loaded, stays */
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
