/* testutil.h - what the Check suites share: assertions on status codes and
 * messages, a reader for the bundled CSV tables they check against,
 * removal of scratch directories, a fake RAPL package, and the fake grid
 * server on loopback. */
#ifndef LLMC_TESTS_TESTUTIL_H
#define LLMC_TESTS_TESTUTIL_H

#include <check.h>
#include <math.h>
#include <stddef.h>
#include <string.h>
#include <sys/types.h>

#include "llmcarbon.h"

#define ck_assert_error_mentions(text)                                        \
    ck_assert_msg(strstr(llmc_last_error(), (text)) != NULL,                  \
                  "'%s' not in message: %s", (text), llmc_last_error())

/* Evaluates the call once, so that its message is the one reported. */
#define ck_assert_status(call, want)                                          \
    do {                                                                      \
        int got_ = (call), want_ = (want);                                    \
        ck_assert_msg(got_ == want_, "%s: got %s (%d), want %s: %s", #call,   \
                      llmc_status_name(got_), got_, llmc_status_name(want_),  \
                      got_ == LLMC_OK ? "" : llmc_last_error());              \
    } while (0)

#define REL_OK(a, b, rel) (fabs((a) - (b)) <= (rel) * fmax(fabs(a), fabs(b)))
#define ck_assert_rel(a, b, rel)                                              \
    ck_assert_msg(REL_OK((a), (b), (rel)), "%s = %.17g, want %.17g", #a,      \
                  (double)(a), (double)(b))

/* An RFC 4180 table (quoted fields, "" escapes, LF line ends). */
struct csv {
    size_t nrows, ncols; /* data rows, without the header */
    char **header;
    char ***rows;        /* rows[row][col] */
};

/* Loads $LLMC_SOURCE_ROOT/relpath, failing the test when it cannot. */
void csv_load(struct csv *c, const char *relpath);
void csv_free(struct csv *c);
size_t csv_col(const struct csv *c, const char *name);
const char *csv_cell(const struct csv *c, size_t row, const char *column);

/* Sleeps ms milliseconds, the whole of them across signals. */
void sleep_ms(long ms);

/* Removes dir and all it holds, made writable first: 0, or -1 after
 * saying on stderr that it could not. */
int remove_tree(const char *dir);

/* A fresh directory /tmp/llmc-NAME-XXXXXX into dir (size bytes), which
 * also holds the tests' device locks (LLMC_RUNTIME_DIR set to it). */
void scratch_make(char *dir, size_t size, const char *name);
/* Removes it (asserting that it could) and unsets LLMC_RUNTIME_DIR. */
void scratch_remove(const char *dir);

/* A powercap tree under root (root/sys/class/powercap/intel-rapl:0) with
 * one package, package-0, whose counter reads 1 J; LLMC_SYSFS_ROOT is set
 * to root/sys. The counter's path, for the test to move, in counter. */
void fake_rapl_package(const char *root, char *counter, size_t size);

/* Starts $LLMC_SOURCE_ROOT/tests/fake_grid_server.py on 127.0.0.1 and
 * waits until it listens, failing the test when it does not within 10 s;
 * http_proxy and HTTP_PROXY are unset, so that requests reach it directly.
 * Returns its port, and its pid in *pid. */
int fake_grid_server_start(pid_t *pid);
/* Stops the server started in *pid, if any, and sets *pid to 0. */
void fake_grid_server_stop(pid_t *pid);

#endif
