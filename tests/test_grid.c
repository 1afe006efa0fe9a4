/* test_grid.c - placeholder while the suite is being written. */
#include <check.h>
#include <stdlib.h>

START_TEST(test_grid_placeholder)
{
    ck_assert_int_eq(0, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("grid");
    TCase *tc = tcase_create("grid");
    SRunner *sr;
    int failed;
    tcase_add_test(tc, test_grid_placeholder);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
