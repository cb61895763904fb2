/*
 * rt_sigreturn restores the sigaltstack setting the frame's uc_stack holds,
 * unless the handler ran on the alternate stack (sigaltstack's EPERM while
 * on it, ignored).
 */
#include <signal.h>
#include <ucontext.h>

#include "harness.h"

static char stack1[65536], stack2[65536];
static int mode;

static void handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	(void)sig;
	(void)si;
	if (mode == 1) {
		uc->uc_stack.ss_flags = SS_DISABLE;
	} else if (mode == 2) {
		uc->uc_stack.ss_sp = stack2;
		uc->uc_stack.ss_size = sizeof(stack2);
		uc->uc_stack.ss_flags = 0;
	} else if (mode == 3) {
		uc->uc_stack.ss_sp = stack2;
		uc->uc_stack.ss_size = 100; /* too small: ignored */
		uc->uc_stack.ss_flags = 0;
	}
}

static void run(int m, int onstack)
{
	struct sigaction sa;
	stack_t ss = {.ss_sp = stack1, .ss_size = sizeof(stack1), .ss_flags = 0};

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | (onstack ? SA_ONSTACK : 0);
	sigaction(SIGUSR1, &sa, NULL);
	sigaltstack(&ss, NULL);
	mode = m;
	raise(SIGUSR1);
	signal(SIGUSR1, SIG_DFL);
}

TEST(sigreturn_with_ss_disable_disables_the_altstack)
{
	stack_t cur;

	run(1, 0);
	EXPECT_SYS(sigaltstack(NULL, &cur));
	EXPECT_EQ(cur.ss_flags, SS_DISABLE);
}

TEST(sigreturn_installs_the_frame_altstack)
{
	stack_t cur;

	run(2, 0);
	EXPECT_SYS(sigaltstack(NULL, &cur));
	EXPECT_EQ(cur.ss_flags, 0);
	EXPECT_TRUE(cur.ss_sp == stack2);
	EXPECT_EQ(cur.ss_size, sizeof(stack2));
	run(3, 0);
	EXPECT_SYS(sigaltstack(NULL, &cur));
	EXPECT_TRUE(cur.ss_sp == stack1);
	EXPECT_EQ(cur.ss_size, sizeof(stack1));
	stack_t off = {.ss_flags = SS_DISABLE};
	sigaltstack(&off, NULL);
}

TEST(sigreturn_keeps_the_altstack_when_the_frame_is_unchanged)
{
	stack_t cur;

	run(0, 0);
	EXPECT_SYS(sigaltstack(NULL, &cur));
	EXPECT_EQ(cur.ss_flags, 0);
	EXPECT_TRUE(cur.ss_sp == stack1);
	stack_t off = {.ss_flags = SS_DISABLE};
	sigaltstack(&off, NULL);
}

TEST(sigreturn_on_the_altstack_leaves_it_alone)
{
	stack_t cur;

	run(1, 1);
	EXPECT_SYS(sigaltstack(NULL, &cur));
	EXPECT_EQ(cur.ss_flags, 0);
	EXPECT_TRUE(cur.ss_sp == stack1);
	stack_t off = {.ss_flags = SS_DISABLE};
	sigaltstack(&off, NULL);
}
