/*
 * The unit test runner: runs every suite listed in the generated
 * unit_suites.h (one per tests/unit/test_<module>.c). Each test runs in a
 * forked child (check's default), so a crash fails one test, not the run.
 *
 * Usage: unit_tests [SUITE]   (CK_RUN_SUITE / CK_RUN_CASE also work)
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "unit_suites.h"

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	SRunner *sr = NULL;
	size_t n = sizeof(unit_suites) / sizeof(unit_suites[0]);

	for (size_t i = 0; i < n; i++) {
		Suite *s = unit_suites[i]();
		if (!sr)
			sr = srunner_create(s);
		else
			srunner_add_suite(sr, s);
	}
	if (!sr)
		return EXIT_FAILURE; /* no suites at all is a broken build, not a pass */
	srunner_run(sr, only, NULL, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	int run = srunner_ntests_run(sr);
	srunner_free(sr);
	return (failed == 0 && run > 0) ? EXIT_SUCCESS : EXIT_FAILURE;
}
