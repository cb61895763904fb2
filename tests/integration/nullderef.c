/* Dereferences NULL: the process must die of SIGSEGV (shell status 139),
 * natively and in the sandbox. Built without sanitizers so ASan does not
 * turn the signal into exit(1). */
#include <stdio.h>

int main(void)
{
	volatile int *p = NULL;

	fputs("about to dereference NULL\n", stderr);
	*p = 1;
	return 0;
}
