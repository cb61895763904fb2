/* The ptrace platform: address spaces, injected mappings, copies, stops. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "platform/platform.h"

static struct platform_as *as;
static struct platform_thread *thr;

static void setup(void)
{
	ck_assert_int_eq(platform->init(), 0);
	ck_assert_int_eq(platform->as_new(&as, &thr), 0);
	platform_set_current(thr);
}

static void teardown(void)
{
	platform->as_release(as);
	platform->thread_release(thr);
}

static arch_regs regs_at(uint64_t rip)
{
	arch_regs r;

	memset(&r, 0, sizeof(r));
	r.rip = rip;
	r.cs = 0x33;
	r.ss = 0x2b;
	r.eflags = 0x202;
	r.orig_rax = (uint64_t)-1;
	return r;
}

START_TEST(test_syscall_stops)
{
	/* mov $39,%eax; syscall; mov %rax,%rdi; mov $60,%eax; syscall */
	static const unsigned char code[] = {0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0x48, 0x89, 0xc7,
					     0xb8, 60, 0, 0, 0, 0x0f, 0x05};
	const uint64_t base = 0x400000;
	struct platform_stop_info info;
	arch_regs r = regs_at(base);

	ck_assert_int_eq(platform->map_anon(as, base, 4096, PROT_READ | PROT_WRITE, 0), 0);
	ck_assert_int_eq(platform->write(as, base, code, sizeof(code)), sizeof(code));
	ck_assert_int_eq(platform->protect(as, base, 4096, PROT_READ | PROT_EXEC), 0);
	ck_assert_int_eq(platform->run(thr, &r, &info), 0);
	ck_assert_int_eq(info.kind, PSTOP_SYSCALL);
	ck_assert_int_eq(r.orig_rax, SYS_getpid);
	r.rax = 1234; /* the sentry's answer */
	ck_assert_int_eq(platform->run(thr, &r, &info), 0);
	ck_assert_int_eq(info.kind, PSTOP_SYSCALL);
	ck_assert_int_eq(r.orig_rax, SYS_exit);
	ck_assert_int_eq(r.rdi, 1234);
}
END_TEST

START_TEST(test_fault_reported)
{
	/* movq $0, 0x10 : a write to an unmapped address */
	static const unsigned char code[] = {0x48, 0xc7, 0x04, 0x25, 0x10, 0, 0, 0, 0, 0, 0, 0};
	const uint64_t base = 0x400000;
	struct platform_stop_info info;
	arch_regs r = regs_at(base);

	ck_assert_int_eq(platform->map_anon(as, base, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, 0),
			 0);
	ck_assert_int_eq(platform->write(as, base, code, sizeof(code)), sizeof(code));
	ck_assert_int_eq(platform->run(thr, &r, &info), 0);
	ck_assert_int_eq(info.kind, PSTOP_FAULT);
	ck_assert_int_eq(info.si.si_signo, SIGSEGV);
	ck_assert_ptr_eq(info.si.si_addr, (void *)0x10);
}
END_TEST

START_TEST(test_copy_faults)
{
	char buf[8192];
	const uint64_t base = 0x500000;

	memset(buf, 'x', sizeof(buf));
	/* Nothing is mapped in a fresh address space but the stub. */
	ck_assert_int_eq(platform->read(as, buf, base, 16), -EFAULT);
	ck_assert_int_eq(platform->read(as, buf, APP_ADDR_MAX, 16), -EFAULT);
	ck_assert_int_eq(platform->map_anon(as, base, 4096, PROT_READ | PROT_WRITE, 0), 0);
	/* A copy that runs off the end of the mapping is short. */
	ck_assert_int_eq(platform->write(as, base + 4000, buf, 200), 96);
	ck_assert_int_eq(platform->read(as, buf, base + 4000, 200), 96);
	ck_assert_int_eq(platform->unmap(as, base, 4096), 0);
	ck_assert_int_eq(platform->read(as, buf, base, 1), -EFAULT);
}
END_TEST

START_TEST(test_kick_interrupts)
{
	/* jmp . : spins until kicked */
	static const unsigned char code[] = {0xeb, 0xfe};
	const uint64_t base = 0x400000;
	struct platform_stop_info info;
	arch_regs r = regs_at(base);

	ck_assert_int_eq(platform->map_anon(as, base, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, 0),
			 0);
	ck_assert_int_eq(platform->write(as, base, code, sizeof(code)), sizeof(code));
	platform->kick(thr);
	ck_assert_int_eq(platform->run(thr, &r, &info), 0);
	ck_assert_int_eq(info.kind, PSTOP_INTERRUPT);
}
END_TEST

Suite *platform_suite(void)
{
	Suite *s = suite_create("platform");
	TCase *tc = tcase_create("ptrace");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_syscall_stops);
	tcase_add_test(tc, test_fault_reported);
	tcase_add_test(tc, test_copy_faults);
	tcase_add_test(tc, test_kick_interrupts);
	suite_add_tcase(s, tc);
	return s;
}
