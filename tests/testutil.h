/* testutil.h - what the Check suites share: assertions on status codes and
 * messages, and a reader for the bundled CSV tables they check against. */
#ifndef LLMC_TESTS_TESTUTIL_H
#define LLMC_TESTS_TESTUTIL_H

#include <check.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

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

#endif
