/*
 * test_security.c - what another local user or a careless server can do
 * to a run.
 *
 * The device locks: a lock directory planted by someone else, or with
 * room for others to plant files, is refused with a message saying what to
 * do, and the devices are still counted (never 0 J in silence); a symlink
 * named like a lock never makes the library write through it.
 *
 * Credentials: a token or password in a grid spec, and the values a server
 * echoes back (tests/fake_grid_server.py, modes echo and echo500), never
 * reach llmc_last_error(), the log callback, the disk cache, a tracker's
 * JSON report, or what the command-line tool prints; "***" stands there.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

static char scratch[256];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    fputs(text, f);
    fclose(f);
}

/* The whole file, NUL-terminated, in a static buffer ("" when missing). */
static const char *read_file(const char *path)
{
    static char buf[1 << 16];
    FILE *f = fopen(path, "r");
    size_t n = 0;
    buf[0] = '\0';
    if (f) {
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
    return buf;
}

static void in_scratch(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", scratch, name);
}

/* A directory of mode 0700 in the scratch directory; its path in buf. */
static void mkdir_in_scratch(char *buf, size_t size, const char *name)
{
    in_scratch(buf, size, name);
    ck_assert_int_eq(mkdir(buf, 0700), 0);
}

static void make_scratch(void)
{
    snprintf(scratch, sizeof scratch, "/tmp/llmc-security-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(scratch));
}

static void remove_scratch(void)
{
    remove_tree(scratch);
}

/* ---- device locks ---------------------------------------------------- */

#define BOOT_ID "boot-id-of-the-test"
#define LOCK_NAME BOOT_ID "-rapl-package-0.lock"

static char rapl_counter[500];

/* A node with one RAPL package counter and a known boot id, so that the
 * name of its lock file is known. */
static void fake_node(void)
{
    char dir[400], path[600];
    static const char *const dirs[] = {"proc", "proc/sys", "proc/sys/kernel",
                                       "proc/sys/kernel/random"};
    fake_rapl_package(scratch, rapl_counter, sizeof rapl_counter);
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        in_scratch(dir, sizeof dir, dirs[i]);
        ck_assert_int_eq(mkdir(dir, 0755), 0);
    }
    in_scratch(path, sizeof path, "proc/sys/kernel/random/boot_id");
    write_file(path, BOOT_ID "\n");
    in_scratch(path, sizeof path, "proc");
    setenv("LLMC_PROCFS_ROOT", path, 1);
    unsetenv("LLMC_RUNTIME_DIR");
}

/* The fixture of the lock tests: a scratch directory holding the node. */
static void node_start(void)
{
    make_scratch();
    fake_node();
}

struct outcome {
    double energy_j;
    char report[1 << 15];
};

/* Tracks the fake node with its locks in dir while it uses 5 J; what it
 * counted, until the next call. */
static const struct outcome *track_node(const char *dir)
{
    static struct outcome out;
    struct outcome *o = &out;
    char config[800];
    llmc_tracker *t;
    llmc_totals tot;
    char *report = NULL;

    snprintf(config, sizeof config,
             "meters=rapl; grid=const:100; interval=100ms; runtime_dir=%s",
             dir);
    ck_assert_status(llmc_tracker_new(&t), LLMC_OK);
    ck_assert_status(llmc_tracker_configure(t, config), LLMC_OK);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    sleep_ms(250);
    write_file(rapl_counter, "6000000\n"); /* 5 J */
    sleep_ms(250);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    llmc_totals_init(&tot, sizeof tot);
    ck_assert_status(llmc_tracker_totals(&tot, t, NULL), LLMC_OK);
    o->energy_j = tot.energy_j;
    ck_assert_status(llmc_tracker_report_json(&report, t), LLMC_OK);
    snprintf(o->report, sizeof o->report, "%s", report);
    llmc_free(report);
    llmc_tracker_free(t);
    return o;
}

#define ck_assert_report_mentions(o, text)                                    \
    ck_assert_msg(strstr((o)->report, (text)) != NULL,                        \
                  "'%s' not in the report:\n%s", (text), (o)->report)

/* A directory that belongs to someone else: as root, one given to nobody
 * (65534); otherwise "/", which is root's. */
static void foreign_dir(char *buf, size_t size)
{
    if (geteuid() == 0) {
        mkdir_in_scratch(buf, size, "planted");
        ck_assert_int_eq(chown(buf, 65534, 65534), 0);
    } else {
        snprintf(buf, size, "/");
    }
}

START_TEST(test_lock_symlink_leaves_the_victim_file_unchanged)
{
    char dir[400], victim[400], link[600];
    const struct outcome *o;

    mkdir_in_scratch(dir, sizeof dir, "locks");
    in_scratch(victim, sizeof victim, "victim");
    write_file(victim, "precious contents\n");
    snprintf(link, sizeof link, "%s/%s", dir, LOCK_NAME);
    ck_assert_int_eq(symlink(victim, link), 0);

    o = track_node(dir);
    ck_assert_str_eq(read_file(victim), "precious contents\n");
    ck_assert_report_mentions(o, "is a symbolic link");
    ck_assert_report_mentions(o, "counted without a node lock");
    ck_assert_double_eq_tol(o->energy_j, 5.0, 1e-6);
}
END_TEST

START_TEST(test_lock_dir_of_another_user_is_refused_and_the_node_counted)
{
    char dir[400], want[600], lock[600];
    const struct outcome *o;

    foreign_dir(dir, sizeof dir);
    o = track_node(dir);
    snprintf(want, sizeof want, "'%s' is owned by uid %u, not you", dir,
             geteuid() == 0 ? 65534u : 0u);
    ck_assert_report_mentions(o, want);
    ck_assert_report_mentions(o, "remove it or set runtime_dir");
    ck_assert_double_eq_tol(o->energy_j, 5.0, 1e-6);
    snprintf(lock, sizeof lock, "%s/%s", dir, LOCK_NAME);
    ck_assert_int_ne(access(lock, F_OK), 0); /* nothing written there */
}
END_TEST

/* Someone else's directory with our lock in it, held: as root, a planted
 * directory and lock given to nobody (65534); otherwise /tmp, root's, with
 * the lock made there by this process. */
START_TEST(test_lock_held_in_a_foreign_dir_does_not_give_0_j)
{
    char dir[400], lock[600], want[600];
    const struct outcome *o;
    int root = geteuid() == 0, fd;

    if (root) {
        mkdir_in_scratch(dir, sizeof dir, "planted");
        ck_assert_int_eq(chmod(dir, 01777), 0);
    } else {
        snprintf(dir, sizeof dir, "/tmp");
    }
    snprintf(lock, sizeof lock, "%s/%s", dir, LOCK_NAME);
    fd = open(lock, O_RDWR | O_CREAT, 0644);
    ck_assert_int_ge(fd, 0);
    if (root) {
        ck_assert_int_eq(fchown(fd, 65534, 65534), 0);
        ck_assert_int_eq(chown(dir, 65534, 65534), 0);
    }
    ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0); /* the squatter */

    o = track_node(dir);
    ck_assert_double_eq_tol(o->energy_j, 5.0, 1e-6);
    snprintf(want, sizeof want, "'%s' is owned by uid %u, not you", dir,
             root ? 65534u : 0u);
    ck_assert_report_mentions(o, want);
    ck_assert_report_mentions(o, "counted without a node lock");
    close(fd);
    if (!root)
        unlink(lock);
}
END_TEST

START_TEST(test_lock_dir_open_to_others_is_refused)
{
    char dir[400], want[600];
    const struct outcome *o;

    mkdir_in_scratch(dir, sizeof dir, "open");
    ck_assert_int_eq(chmod(dir, 0777), 0);
    o = track_node(dir);
    snprintf(want, sizeof want, "'%s' has mode 0777, not 0700", dir);
    ck_assert_report_mentions(o, want);
    ck_assert_double_eq_tol(o->energy_j, 5.0, 1e-6);
}
END_TEST

START_TEST(test_lock_dir_that_is_a_symlink_is_refused)
{
    char dir[400], link[400];
    const struct outcome *o;

    mkdir_in_scratch(dir, sizeof dir, "real");
    in_scratch(link, sizeof link, "link");
    ck_assert_int_eq(symlink(dir, link), 0);
    o = track_node(link);
    ck_assert_report_mentions(o, "is a symbolic link, not a directory");
    ck_assert_double_eq_tol(o->energy_j, 5.0, 1e-6);
}
END_TEST

START_TEST(test_lock_dir_is_made_0700_whatever_the_umask)
{
    char dir[400], lock[600];
    const struct outcome *o;
    struct stat st;
    mode_t old;

    in_scratch(dir, sizeof dir, "fresh");
    old = umask(0277); /* mkdir(0700) alone would give 0500 */
    o = track_node(dir);
    umask(old);
    ck_assert_int_eq(lstat(dir, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert_uint_eq(st.st_mode & 07777, 0700);
    ck_assert_uint_eq(st.st_uid, geteuid());
    snprintf(lock, sizeof lock, "%s/%s", dir, LOCK_NAME);
    ck_assert_int_eq(lstat(lock, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_msg(strstr(o->report, "without a node lock") == NULL,
                  "a good directory was refused:\n%s", o->report);
    ck_assert_double_eq_tol(o->energy_j, 5.0, 1e-6);
}
END_TEST

/* ---- credentials ------------------------------------------------------ */

#define TOKEN "SECRETX-token-9f8e7d6c5b4a"
#define PASSWORD "SECRETX-password-0a1b2c3d"

#ifdef LLMC_TEST_LIVE

static pid_t server;
static int port;
static char cache_dir[400];

static void server_start(void)
{
    make_scratch();
    mkdir_in_scratch(cache_dir, sizeof cache_dir, "cache");
    setenv("LLMC_CACHE_DIR", cache_dir, 1);
    port = fake_grid_server_start(&server);
    unsetenv("ELECTRICITYMAPS_API_TOKEN");
    unsetenv("WATTTIME_USERNAME");
    unsetenv("WATTTIME_PASSWORD");
}

static void server_stop(void)
{
    fake_grid_server_stop(&server);
    remove_scratch();
}

/* Every line the library logs, for the whole test. */
static char logged[1 << 16];

static void collect(int level, const char *message, void *userdata)
{
    size_t used = strlen(logged);
    (void)level;
    (void)userdata;
    snprintf(logged + used, sizeof logged - used, "%s\n", message);
}

/* base64("wt-user:" PASSWORD), as an Authorization: Basic header has it;
 * written out (python3 -c 'import base64; print(base64.b64encode(
 * b"wt-user:SECRETX-password-0a1b2c3d"))'), not computed by the code that
 * is tested */
#define BASIC_VALUE "d3QtdXNlcjpTRUNSRVRYLXBhc3N3b3JkLTBhMWIyYzNk"

/* No secret, nor a start of one long enough to matter, in text. */
static void ck_assert_no_secret(const char *where, const char *text)
{
    static const char *const secrets[] = {"SECRETX", "token-9f8e7d",
                                          "password-0a1b2c"};
    for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++)
        ck_assert_msg(strstr(text, secrets[i]) == NULL,
                      "%s holds a secret ('%s'):\n%s", where, secrets[i],
                      text);
    ck_assert_msg(strstr(text, BASIC_VALUE) == NULL &&
                      strstr(text, "LXBhc3N3b3JkLTBhMWIyYzNk") == NULL,
                  "%s holds the Basic credentials:\n%s", where, text);
}

#define ck_assert_redacted(where, text)                                       \
    do {                                                                      \
        ck_assert_no_secret((where), (text));                                 \
        ck_assert_msg(strstr((text), "***") != NULL,                          \
                      "%s does not show where a secret was:\n%s", (where),    \
                      (text));                                                \
    } while (0)

/* Every file of the disk cache, concatenated. */
static const char *cache_contents(void)
{
    static char all[1 << 17];
    DIR *d = opendir(cache_dir);
    struct dirent *e;
    all[0] = '\0';
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL) {
        char path[800];
        size_t used = strlen(all);
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", cache_dir, e->d_name);
        snprintf(all + used, sizeof all - used, "%s\n%s\n", e->d_name,
                 read_file(path));
    }
    closedir(d);
    return all;
}

static int intensity_now(const char *spec)
{
    llmc_grid *g = NULL;
    llmc_intensity ci;
    int rc = llmc_grid_new(&g, spec);
    if (rc != LLMC_OK)
        return rc;
    llmc_intensity_init(&ci, sizeof ci);
    rc = llmc_grid_intensity_at(&ci, g, (int64_t)time(NULL));
    llmc_grid_free(g);
    return rc;
}

START_TEST(test_token_echoed_by_a_server_never_reaches_messages)
{
    static const char *const modes[] = {"echo", "echo500"};
    char spec[600];

    llmc_log_set(collect, NULL);
    for (size_t i = 0; i < 2; i++) {
        snprintf(spec, sizeof spec,
                 "electricitymaps:DE?token=" TOKEN
                 "&base_url=http://127.0.0.1:%d/_mode/%s",
                 port, modes[i]);
        ck_assert_int_ne(intensity_now(spec), LLMC_OK);
        ck_assert_error_mentions("electricitymaps:DE");
        ck_assert_redacted("llmc_last_error()", llmc_last_error());
    }
    /* the same token from the environment, echoed as a JSON value */
    setenv("ELECTRICITYMAPS_API_TOKEN", TOKEN, 1);
    snprintf(spec, sizeof spec,
             "electricitymaps:FR?base_url=http://127.0.0.1:%d/_mode/echo500",
             port);
    ck_assert_int_eq(intensity_now(spec), LLMC_EHTTP);
    ck_assert_redacted("llmc_last_error()", llmc_last_error());
    llmc_log_set(NULL, NULL);
    ck_assert_redacted("the log", logged);
    ck_assert_no_secret("the disk cache", cache_contents());
}
END_TEST

START_TEST(test_basic_password_echoed_by_a_server_never_reaches_messages)
{
    char spec[600];

    llmc_log_set(collect, NULL);
    snprintf(spec, sizeof spec,
             "watttime:CAISO_NORTH?username=wt-user&password=" PASSWORD
             "&base_url=http://127.0.0.1:%d/_mode/echo",
             port);
    ck_assert_int_eq(intensity_now(spec), LLMC_EAUTH);
    ck_assert_redacted("llmc_last_error()", llmc_last_error());
    llmc_log_set(NULL, NULL);
    ck_assert_redacted("the log", logged);
}
END_TEST

START_TEST(test_credentials_in_a_bad_spec_never_reach_messages)
{
    char spec[5000];
    llmc_grid *g = NULL;

    /* the canonical spec, which reports record, holds no option */
    ck_assert_status(llmc_grid_new(&g, "watttime:CAISO_NORTH?username=wt-user"
                                       "&password=" PASSWORD
                                       ",electricitymaps:DE?token=" TOKEN),
                     LLMC_OK);
    ck_assert_str_eq(llmc_grid_spec(g),
                     "watttime:CAISO_NORTH,electricitymaps:DE");
    llmc_grid_free(g);

    /* an option written where the zone goes */
    ck_assert_int_eq(intensity_now("electricitymaps:DE&token=" TOKEN),
                     LLMC_EPARSE);
    ck_assert_redacted("llmc_last_error()", llmc_last_error());
    /* a spec too long to take, quoted in part */
    snprintf(spec, sizeof spec, "watttime:X?password=" PASSWORD "&x=%04500d",
             0);
    ck_assert_int_eq(intensity_now(spec), LLMC_EPARSE);
    ck_assert_redacted("llmc_last_error()", llmc_last_error());
    /* user info in a base URL that is refused */
    ck_assert_int_eq(intensity_now("ukci:national?base_url=ftp://me:" PASSWORD
                                   "@example.com/"),
                     LLMC_EINVAL);
    ck_assert_redacted("llmc_last_error()", llmc_last_error());
}
END_TEST

START_TEST(test_tracker_report_and_cache_hold_no_token)
{
    char config[1200], log[300], ckpt[300];
    llmc_tracker *t;
    char *report = NULL;

    make_scratch();
    in_scratch(log, sizeof log, "run.jsonl");
    in_scratch(ckpt, sizeof ckpt, "run.ckpt");
    snprintf(config, sizeof config,
             "meters=const:100W; interval=100ms; log=%s; checkpoint=%s; "
             "grid=electricitymaps:DE?token=" TOKEN
             "&base_url=http://127.0.0.1:%d/_mode/echo",
             log, ckpt, port);
    ck_assert_status(llmc_tracker_new(&t), LLMC_OK);
    ck_assert_status(llmc_tracker_configure(t, config), LLMC_OK);
    ck_assert_status(llmc_tracker_start(t), LLMC_OK);
    sleep_ms(350);
    ck_assert_status(llmc_tracker_stop(t), LLMC_OK);
    ck_assert_status(llmc_tracker_report_json(&report, t), LLMC_OK);
    ck_assert_msg(strstr(report, "electricitymaps:DE") != NULL, "%s", report);
    ck_assert_redacted("the tracker's JSON report", report);
    llmc_free(report);
    llmc_tracker_free(t);
    ck_assert_no_secret("the disk cache", cache_contents());
    /* the log and the checkpoint were written, and hold no secret */
    ck_assert_msg(strstr(read_file(log), "\"energy_j\"") != NULL, "log: %s",
                  read_file(log));
    ck_assert_no_secret("the log file", read_file(log));
    ck_assert_msg(strstr(read_file(ckpt), "llmcarbon-checkpoint") != NULL,
                  "checkpoint: %s", read_file(ckpt));
    ck_assert_no_secret("the checkpoint", read_file(ckpt));
    remove_scratch();
}
END_TEST

/* The cache a good fetch writes holds the values, never the token. */
START_TEST(test_disk_cache_holds_no_token)
{
    char spec[300];
    snprintf(spec, sizeof spec,
             "electricitymaps:DE?token=good-token&base_url=http://127.0.0.1:%d",
             port);
    ck_assert_status(intensity_now(spec), LLMC_OK);
    ck_assert_msg(strstr(cache_contents(), "llmcarbon-grid-cache") != NULL,
                  "no cache written: %s", cache_contents());
    ck_assert_msg(strstr(cache_contents(), "good-token") == NULL, "%s",
                  cache_contents());
}
END_TEST

/* Runs the command-line tool; stdout and stderr together in out. */
static int run_cli(char *out, size_t size, const char *const argv[])
{
    const char *cli = getenv("LLMC_CLI");
    char path[500];
    const char *full[16];
    size_t n = 0;
    int status, fd;
    pid_t pid;

    ck_assert_msg(cli && *cli, "LLMC_CLI is not set");
    in_scratch(path, sizeof path, "cli-output");
    full[n++] = cli;
    for (size_t i = 0; argv[i] && n + 1 < sizeof full / sizeof *full; i++)
        full[n++] = argv[i];
    full[n] = NULL;
    fflush(NULL);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(126);
        execv(cli, (char *const *)full);
        _exit(127);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    snprintf(out, size, "%s", read_file(path));
    ck_assert_msg(WIFEXITED(status), "the CLI was killed: %s", out);
    return WEXITSTATUS(status);
}

START_TEST(test_cli_never_prints_a_token)
{
    char spec[600], out[1 << 15];

    snprintf(spec, sizeof spec,
             "electricitymaps:DE?token=" TOKEN
             "&base_url=http://127.0.0.1:%d/_mode/echo",
             port);
    ck_assert_int_eq(run_cli(out, sizeof out,
                             (const char *const[]){"grid", "get", spec, NULL}),
                     1);
    ck_assert_redacted("`grid get` output", out);
    ck_assert_int_eq(run_cli(out, sizeof out,
                             (const char *const[]){"grid", "get", "--json",
                                                   spec, NULL}),
                     1);
    ck_assert_redacted("`grid get --json` output", out);
    ck_assert_int_eq(run_cli(out, sizeof out,
                             (const char *const[]){"grid", "show", spec,
                                                   NULL}),
                     1);
    ck_assert_redacted("`grid show` output", out);
    ck_assert_int_eq(run_cli(out, sizeof out,
                             (const char *const[]){"estimate", "--energy",
                                                   "1kWh", "--grid", spec,
                                                   NULL}),
                     1);
    ck_assert_redacted("`estimate --grid` output", out);
    ck_assert_int_eq(run_cli(out, sizeof out,
                             (const char *const[]){"grid", "get",
                                                   "electricitymaps:DE&token="
                                                   TOKEN, NULL}),
                     1);
    ck_assert_redacted("`grid get` of a bad spec", out);
}
END_TEST

#endif /* LLMC_TEST_LIVE */

int main(void)
{
    Suite *s = suite_create("security");
    TCase *locks = tcase_create("locks");
    SRunner *sr;
    int failed;

    tcase_set_timeout(locks, 30);
    tcase_add_checked_fixture(locks, node_start, remove_scratch);
    tcase_add_test(locks, test_lock_symlink_leaves_the_victim_file_unchanged);
    tcase_add_test(locks,
                   test_lock_dir_of_another_user_is_refused_and_the_node_counted);
    tcase_add_test(locks, test_lock_held_in_a_foreign_dir_does_not_give_0_j);
    tcase_add_test(locks, test_lock_dir_open_to_others_is_refused);
    tcase_add_test(locks, test_lock_dir_that_is_a_symlink_is_refused);
    tcase_add_test(locks, test_lock_dir_is_made_0700_whatever_the_umask);
    suite_add_tcase(s, locks);
#ifdef LLMC_TEST_LIVE
    {
        TCase *secrets = tcase_create("credentials");
        tcase_add_checked_fixture(secrets, server_start, server_stop);
        tcase_set_timeout(secrets, 60);
        tcase_add_test(secrets,
                       test_token_echoed_by_a_server_never_reaches_messages);
        tcase_add_test(secrets,
                       test_basic_password_echoed_by_a_server_never_reaches_messages);
        tcase_add_test(secrets, test_credentials_in_a_bad_spec_never_reach_messages);
        tcase_add_test(secrets, test_tracker_report_and_cache_hold_no_token);
        tcase_add_test(secrets, test_disk_cache_holds_no_token);
        tcase_add_test(secrets, test_cli_never_prints_a_token);
        suite_add_tcase(s, secrets);
    }
#endif
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
