/*
 * systrap security check: jump into the stub's "syscall; int3" with
 * registers of our choosing, as a hostile application can. Run in the
 * sandbox under --platform=systrap by trampoline_check.sh:
 *
 *   ok        munmap of one of our own pages: allowed (the filter lets the
 *             stub's code change the application's range), then the int3
 *             is a SIGTRAP we catch: prints "trapped", exits 0
 *   unmap     munmap of the stub's code page
 *   map       mmap MAP_FIXED over the stub's code page
 *   protect   mprotect of a range crossing APP_ADDR_MAX
 *   remap     mremap of our page onto the stub's region
 *   clone     clone(SIGCHLD) without the sentry's secret
 *   thread    clone of a thread without the secret
 *   getpid    a call the stub never makes
 *   slots     mmap over the slots with a descriptor other than 1
 *
 * Every case but "ok" must kill the process before the call runs: the
 * driver checks it dies of SIGKILL and never prints "returned".
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define STUB_BASE 0x7ff000000000UL

static long tramp(unsigned long at, long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	long r;
	register long r10 __asm__("r10") = a3;
	register long r8 __asm__("r8") = a4;
	register long r9 __asm__("r9") = a5;

	/* Push a return address, then jump: the int3 after the syscall traps. */
	__asm__ volatile("lea 1f(%%rip), %%rcx\n\t"
			 "push %%rcx\n\t"
			 "jmp *%[at]\n"
			 "1:"
			 : "=a"(r)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9), [at] "r"(at)
			 : "rcx", "r11", "memory");
	return r;
}

static void on_trap(int sig, siginfo_t *si, void *uc)
{
	static const char msg[] = "trapped\n";
	write(1, msg, sizeof(msg) - 1);
	_exit(0);
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_sigaction = on_trap, .sa_flags = SA_SIGINFO};
	const char *c = argc > 1 ? argv[1] : "";
	unsigned long at;
	char *p;

	/* The stub's code starts after its ELF headers: find "syscall; int3". */
	for (at = STUB_BASE; at < STUB_BASE + 0x1000; at++)
		if (memcmp((void *)at, "\x0f\x05\xcc", 3) == 0)
			break;
	if (at == STUB_BASE + 0x1000) {
		printf("no stub\n");
		return 2;
	}
	sigaction(SIGTRAP, &sa, NULL);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 2;
	if (!strcmp(c, "ok"))
		tramp(at, 11, (long)p, 4096, 0, 0, 0, 0);
	else if (!strcmp(c, "unmap"))
		tramp(at, 11, STUB_BASE, 4096, 0, 0, 0, 0);
	else if (!strcmp(c, "map"))
		tramp(at, 9, STUB_BASE, 4096, 7, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	else if (!strcmp(c, "protect"))
		tramp(at, 10, STUB_BASE - 0x10000, 0x20000, 7, 0, 0, 0);
	else if (!strcmp(c, "remap"))
		tramp(at, 25, (long)p, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED,
		      (long)STUB_BASE + 0x10000, 0);
	else if (!strcmp(c, "clone"))
		tramp(at, 56, SIGCHLD, 0, 0, 0, 0, 0);
	else if (!strcmp(c, "thread"))
		tramp(at, 56, 0x50f00, 0, 0, 0, 0, 0);
	else if (!strcmp(c, "getpid"))
		tramp(at, 39, 0, 0, 0, 0, 0, 0);
	else if (!strcmp(c, "slots"))
		tramp(at, 9, STUB_BASE + 0x100000, 0x2000000, 3, MAP_SHARED | MAP_FIXED, 0, 0);
	else
		return 2;
	printf("returned\n");
	return 1;
}
