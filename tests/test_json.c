/*
 * test_json.c - the library's JSON writer and reader (lib/core/json.c) with
 * jansson's allocations failed one at a time: the text written is whole or
 * absent, the value read is the text's or absent, never one with a part
 * missing. jansson's own json_dumps and json_loadb are not exact then: the
 * first leaves out an object key it could not append, the second a byte of
 * a string or number it could not save.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "testutil.h"

static unsigned long calls, fail_at;

static void *failing_malloc(size_t size)
{
    if (++calls == fail_at)
        return NULL;
    return malloc(size);
}

/* jansson allocates through these; call 0 fails none. */
static void fail_jansson_allocation(unsigned long n)
{
    calls = 0;
    fail_at = n;
    json_set_alloc_funcs(failing_malloc, free);
}

static void restore_jansson_allocation(void)
{
    json_set_alloc_funcs(malloc, free);
}

/* A checkpoint-like text: long strings, escapes, numbers of every form,
 * nesting; each token long enough for jansson to grow its buffers. */
static const char sample[] =
    "{\"format\": \"llmcarbon-checkpoint\", \"version\": 1,\n"
    " \"identity\": {\"host\": \"gpu-node-0042.cluster.example.org\", "
    "\"job\": \"pretrain-7b-run-2026-12-04\", \"rank\": 17, \"pid\": 123456},\n"
    " \"totals\": {\"energy_j\": 123456789.12345678, \"operational_kgco2e\": "
    "7.5637086805555556e-08, \"duration_s\": 86400.000000000015, "
    "\"samples\": 86401, \"tokens\": 300000000000},\n"
    " \"note\": \"caf\\u00e9 \\ud83d\\ude00 \\\"quoted\\\" \\\\ tab\\t end "
    "of a rather long note that makes the lexer's buffer grow twice\",\n"
    " \"phases\": [{\"name\": \"warmup\", \"energy_j\": 1e3}, "
    "{\"name\": \"train\", \"energy_j\": -0.0, \"steps\": 0}, [], {}, null, "
    "true, false]}";

static unsigned long allocations_of_load(const char *text)
{
    json_error_t err;
    json_t *v;
    fail_jansson_allocation(0);
    v = json_loadb(text, strlen(text), 0, &err);
    restore_jansson_allocation();
    ck_assert_ptr_nonnull(v);
    json_decref(v);
    return calls;
}

START_TEST(test_json_load_is_the_text_or_nothing)
{
    json_error_t err;
    json_t *want = json_loads(sample, 0, &err);
    unsigned long total = allocations_of_load(sample), refused = 0;

    ck_assert_ptr_nonnull(want);
    ck_assert_uint_gt(total, 20);
    for (unsigned long n = 1; n <= total + 5; n++) {
        json_t *got;
        fail_jansson_allocation(n);
        got = llmc__json_loadb(sample, strlen(sample), 0, &err);
        restore_jansson_allocation();
        if (!got) {
            /* also where jansson itself calls it a syntax error */
            ck_assert_msg(json_error_code(&err) == json_error_out_of_memory,
                          "allocation %lu failed: refused as '%s', not as "
                          "out of memory", n, err.text);
            refused++;
            continue;
        }
        ck_assert_msg(json_equal(got, want),
                      "allocation %lu failed: a value that is not the text's",
                      n);
        json_decref(got);
    }
    ck_assert_uint_gt(refused, 0);
    json_decref(want);
}
END_TEST

START_TEST(test_json_text_is_whole_or_nothing)
{
    json_error_t err;
    json_t *v = json_loads(sample, 0, &err);
    size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                   JSON_REAL_PRECISION(15);
    char *want, *got;
    unsigned long total, refused = 0;

    ck_assert_ptr_nonnull(v);
    fail_jansson_allocation(0);
    want = llmc__json_text(v, flags);
    restore_jansson_allocation();
    total = calls;
    ck_assert_ptr_nonnull(want);
    ck_assert_ptr_nonnull(strstr(want, "\"operational_kgco2e\": "));
    for (unsigned long n = 1; n <= total + 5; n++) {
        fail_jansson_allocation(n);
        got = llmc__json_text(v, flags);
        restore_jansson_allocation();
        if (!got) {
            refused++;
            continue;
        }
        ck_assert_msg(strcmp(got, want) == 0,
                      "allocation %lu failed: the text differs:\n%s", n, got);
        free(got);
    }
    ck_assert_uint_gt(refused, 0);
    free(want);
    json_decref(v);
}
END_TEST

/* What jansson accepts, the check accepts as it is: repeated keys (the
 * last wins), escapes, surrogate pairs, every number form, any value at
 * the top with JSON_DECODE_ANY. */
static const struct {
    const char *text;
    size_t flags;
} valid[] = {
    {"{\"a\": 1, \"a\": 2}", 0},
    {"{\"a\": {\"x\": [1, {}]}, \"b\": 3, \"a\": []}", 0},
    {"{\"k\\u00e9y\": \"\\/\\b\\f\\n\\r\\t\\ud834\\udd1e\"}", 0},
    {" [ 0 , -0 , 1E5 , 1e-5 , 0.30000000000000004 , 9007199254740993 ] ", 0},
    {"[1, 2]", JSON_DECODE_INT_AS_REAL},
    {"[\"a\\u0000b\"]", JSON_ALLOW_NUL},
    {"12.5", JSON_DECODE_ANY},
    {"\"text\"", JSON_DECODE_ANY},
    {"null", JSON_DECODE_ANY},
    {"[] trailing", JSON_DISABLE_EOF_CHECK},
    {"{}", 0},
};

START_TEST(test_json_load_accepts_what_jansson_accepts)
{
    json_error_t err;
    const char *text = valid[_i].text;
    size_t flags = valid[_i].flags;
    json_t *want = json_loadb(text, strlen(text), flags, &err);
    json_t *got = llmc__json_loadb(text, strlen(text), flags, &err);

    ck_assert_ptr_nonnull(want);
    ck_assert_msg(got != NULL, "'%s' refused: %s", text, err.text);
    ck_assert(json_equal(got, want));
    json_decref(got);
    json_decref(want);
}
END_TEST

/* Malformed text is malformed, never "out of memory". */
static const char *const malformed[] = {
    "{\"a\": 1,}", "[1,]", "[01]", "[1.]", "[-]", "[.5]", "[+1]", "[1e]",
    "[tru]", "[truex]", "[NaN]", "[\"\\x\"]", "[\"\\ud800\"]",
    "[\"\\udc00\"]", "[\"\\ud800\\u0041\"]", "[\"\\u12G4\"]",
    "{\"a\" 1}", "{1: 2}", "{\"a\":}", "[\"a\nb\"]", "[1 2]", "[", "{",
    "[\"open", "1", "\"top\"", "",
};

START_TEST(test_json_load_refuses_what_jansson_refuses)
{
    json_error_t err;
    const char *text = malformed[_i];
    ck_assert_ptr_null(llmc__json_loadb(text, strlen(text), 0, &err));
    ck_assert_msg(json_error_code(&err) != json_error_out_of_memory,
                  "'%s' called out of memory", text);
}
END_TEST

START_TEST(test_json_load_refuses_duplicates_when_asked)
{
    json_error_t err;
    ck_assert_ptr_null(
        llmc__json_loadb("{\"a\": 1, \"a\": 2}", 16, JSON_REJECT_DUPLICATES,
                         &err));
    ck_assert_int_eq(json_error_code(&err), json_error_duplicate_key);
}
END_TEST

static Suite *json_suite(void)
{
    Suite *s = suite_create("json");
    TCase *t = tcase_create("json");
    tcase_add_test(t, test_json_load_is_the_text_or_nothing);
    tcase_add_test(t, test_json_text_is_whole_or_nothing);
    tcase_add_loop_test(t, test_json_load_accepts_what_jansson_accepts, 0,
                        (int)(sizeof valid / sizeof valid[0]));
    tcase_add_loop_test(t, test_json_load_refuses_what_jansson_refuses, 0,
                        (int)(sizeof malformed / sizeof malformed[0]));
    tcase_add_test(t, test_json_load_refuses_duplicates_when_asked);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(json_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
