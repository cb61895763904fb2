/*
 * exit / exit_group: the process's exit status. A process cannot observe its
 * own exit, so this binary only performs one exit per run, chosen by argv, and
 * exit_check.sh (run by ctest, natively and under the sentry) checks the status
 * and the output:
 *
 *   --exit-group N   fill a fully buffered stdout, then raw exit_group(N): the
 *                    status is N & 0xff and the buffered text never appears
 *   --exit N         raw exit(N) in a single-threaded process ends the process
 *   --return N       return N from main: stdio is flushed by libc's exit()
 *   --atexit N       exit(N) runs atexit handlers, which print
 */
#define HARNESS_NO_MAIN
#include "harness.h"

static void atexit_handler(void)
{
	printf("atexit handler ran\n");
}

int main(int argc, char **argv)
{
	static char buf[4096];
	int n;

	if (argc != 3) {
		fprintf(stderr, "usage: %s --exit-group|--exit|--return|--atexit N\n", argv[0]);
		return 2;
	}
	n = atoi(argv[2]);
	if (strcmp(argv[1], "--exit-group") == 0) {
		setvbuf(stdout, buf, _IOFBF, sizeof(buf));
		printf("this text is buffered and must never be written\n");
		syscall(SYS_exit_group, n);
	} else if (strcmp(argv[1], "--exit") == 0) {
		setvbuf(stdout, buf, _IOFBF, sizeof(buf));
		printf("this text is buffered and must never be written\n");
		syscall(SYS_exit, n);
	} else if (strcmp(argv[1], "--return") == 0) {
		setvbuf(stdout, buf, _IOFBF, sizeof(buf));
		printf("flushed at exit\n");
		return n;
	} else if (strcmp(argv[1], "--atexit") == 0) {
		atexit(atexit_handler);
		exit(n);
	}
	fprintf(stderr, "unknown mode %s\n", argv[1]);
	return 2;
}
