/* Helpers shared by the gofer tests (test_gofer*.c). */
#ifndef TESTS_UNIT_TEST_GOFER_H
#define TESTS_UNIT_TEST_GOFER_H

#include <stddef.h>

/* Create a temporary tree (files, dirs, symlinks to /etc/shadow and
 * ../../.., a FIFO, a directory of many files); out gets its path. */
void gofer_test_make_tree(char *out, size_t size);
void gofer_test_remove_tree(const char *path);

#endif
