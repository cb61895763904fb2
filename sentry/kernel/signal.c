/*
 * Signals: generation and default actions.
 *
 * A signal is queued (one instance per number) unless its action decides
 * its fate at once: SIGKILL, an ignored signal, or an unblocked signal whose
 * default action terminates or is ignored. Frames: kernel/signal_frame.c.
 */
#include <errno.h>
#include <signal.h>

#include "kernel/kernel_impl.h"
#include "util/log.h"

enum sig_default signal_default_action(int sig)
{
	switch (sig) {
	case SIGQUIT:
	case SIGILL:
	case SIGTRAP:
	case SIGABRT:
	case SIGBUS:
	case SIGFPE:
	case SIGSEGV:
	case SIGXCPU:
	case SIGXFSZ:
	case SIGSYS:
		return SIGDFL_CORE;
	case SIGCHLD:
	case SIGURG:
	case SIGWINCH:
		return SIGDFL_IGNORE;
	case SIGCONT:
		return SIGDFL_CONT;
	case SIGSTOP:
	case SIGTSTP:
	case SIGTTIN:
	case SIGTTOU:
		return SIGDFL_STOP;
	default:
		return SIGDFL_TERM;
	}
}

void tg_group_exit(struct thread_group *tg, int wait_status)
{
	if (tg->exiting)
		return;
	tg->exiting = true;
	tg->exit_code = wait_status;
	tg->stopped = false;
	pthread_cond_broadcast(&tg->stop_cond);
	for (struct task *t = tg->leader; t; t = t->next_in_tg)
		task_interrupt(t);
}

static bool blocked_everywhere(struct thread_group *tg, struct task *t, int sig)
{
	uint64_t bit = 1ULL << (sig - 1);

	if (t)
		return t->sigmask & bit;
	for (struct task *x = tg->leader; x; x = x->next_in_tg)
		if (!x->exited && !(x->sigmask & bit))
			return false;
	return true;
}

/* SIGCHLD for a stop or a continue, unless the parent asked for none. */
static void notify_parent_job(struct thread_group *tg, int code, int status)
{
	struct thread_group *p = tg->parent;

	if (!p)
		return;
	if (!(p->sigactions[SIGCHLD].flags & SA_NOCLDSTOP)) {
		struct pending_siginfo pi = {.code = code, .pid = tg->tgid, .status = status,
					     .uid = tg->leader ? (int)tg->leader->creds.uid : 0};
		signal_send_info(p, NULL, SIGCHLD, &pi);
	}
	pthread_cond_broadcast(&p->child_exit);
}

/* A stop signal's default action: every thread stops at its next chance. */
static void tg_stop(struct thread_group *tg, int sig)
{
	if (tg->stopped)
		return;
	/* POSIX: the terminal stop signals do not stop a process of an
	 * orphaned process group (nothing could continue it); discarded. */
	if (sig != SIGSTOP && pgrp_will_be_orphaned(tg->pgid, NULL))
		return;
	tg->stopped = true;
	tg->stop_sig = sig;
	tg->stop_to_report = true;
	tg->cont_to_report = false;
	for (struct task *x = tg->leader; x; x = x->next_in_tg)
		if (!x->exited)
			task_interrupt(x);
	notify_parent_job(tg, CLD_STOPPED, sig);
}

static void tg_continue(struct thread_group *tg)
{
	const uint64_t stops = (1ULL << (SIGSTOP - 1)) | (1ULL << (SIGTSTP - 1)) |
			       (1ULL << (SIGTTIN - 1)) | (1ULL << (SIGTTOU - 1));

	/* SIGCONT discards pending stops (and a stop discards pending SIGCONT). */
	tg->shared_pending &= ~stops;
	for (struct task *x = tg->leader; x; x = x->next_in_tg)
		x->pending &= ~stops;
	if (!tg->stopped)
		return;
	tg->stopped = false;
	tg->stop_to_report = false;
	tg->cont_to_report = true;
	pthread_cond_broadcast(&tg->stop_cond);
	notify_parent_job(tg, CLD_CONTINUED, SIGCONT);
}

static int signal_send(struct thread_group *tg, struct task *t, int sig,
		       const struct pending_siginfo *pi)
{
	struct k_sigaction *act;
	struct task *target;

	if (sig < 0 || sig >= KERNEL_NSIG)
		return -EINVAL;
	if (sig == 0)
		return 0;
	if (tg->exiting || tg->zombie)
		return 0;
	act = &tg->sigactions[sig];
	if (sig == SIGKILL) {
		tg_group_exit(tg, SIGKILL);
		return 0;
	}
	if (sig == SIGCONT)
		tg_continue(tg);
	if (signal_default_action(sig) == SIGDFL_STOP) {
		tg->shared_pending &= ~(1ULL << (SIGCONT - 1));
		for (struct task *x = tg->leader; x; x = x->next_in_tg)
			x->pending &= ~(1ULL << (SIGCONT - 1));
	}
	bool blocked = blocked_everywhere(tg, t, sig);
	if (act->handler == (uint64_t)(uintptr_t)SIG_IGN && !blocked)
		return 0;
	if (act->handler == (uint64_t)(uintptr_t)SIG_DFL && !blocked) {
		enum sig_default d = signal_default_action(sig);
		if (d == SIGDFL_IGNORE || d == SIGDFL_CONT)
			return 0;
		/* Linux's init ignores default-action signals it has no handler for. */
		if (tg->tgid == 1)
			return 0;
		if (d == SIGDFL_STOP) {
			tg_stop(tg, sig);
			return 0;
		}
		tg_group_exit(tg, sig | (d == SIGDFL_CORE ? 0x80 : 0));
		return 0;
	}
	target = t ? t : tg->leader;
	if (t)
		t->pending |= 1ULL << (sig - 1);
	else
		tg->shared_pending |= 1ULL << (sig - 1);
	if (target && pi)
		target->pending_info[sig] = *pi;
	signalfd_notify(tg);
	for (struct task *x = t ? t : tg->leader; x; x = t ? NULL : x->next_in_tg)
		if (!x->exited && !(x->sigmask & (1ULL << (sig - 1))))
			task_interrupt(x);
	return 0;
}

int signal_send_tg(struct thread_group *tg, int sig)
{
	return signal_send(tg, NULL, sig, NULL);
}

int signal_send_task(struct task *t, int sig)
{
	return signal_send(t->tg, t, sig, NULL);
}

int signal_send_info(struct thread_group *tg, struct task *t, int sig,
		     const struct pending_siginfo *pi)
{
	return signal_send(t ? t->tg : tg, t, sig, pi);
}

int signal_dequeue(struct task *t, sigset64_t set, struct pending_siginfo *pi)
{
	sigset64_t own = t->pending & set, shared = t->tg->shared_pending & set;
	sigset64_t which = own ? own : shared;

	if (!which)
		return 0;
	int sig = __builtin_ctzll(which) + 1;
	if (own)
		t->pending &= ~(1ULL << (sig - 1));
	else
		t->tg->shared_pending &= ~(1ULL << (sig - 1));
	*pi = (own ? t : t->tg->leader)->pending_info[sig];
	return sig;
}

void signal_stop_from_delivery(struct thread_group *tg, int sig)
{
	tg_stop(tg, sig);
}

struct pgrp_scan {
	int pgid;
	struct thread_group *ignored;
	bool connected, stopped;
	int sig;
};

/* Linux exempts a parent that is the *global* init (of the host's initial
 * PID namespace); the sandbox's PID 1, like a container's, is not one, so
 * only a missing parent counts. */
static bool is_init(struct thread_group *tg)
{
	return !tg;
}

static int pgrp_scan_one(struct thread_group *tg, void *arg)
{
	struct pgrp_scan *s = arg;
	struct thread_group *p = tg->parent;

	if (tg->pgid != s->pgid || tg == s->ignored || tg->zombie)
		return 0;
	if (tg->stopped)
		s->stopped = true;
	if (!is_init(p) && p->pgid != s->pgid && p->sid == tg->sid)
		s->connected = true;
	return 0;
}

/* will_become_orphaned_pgrp: no member (but ignored, zombies and children
 * of init) has a parent in another group of its session. kernel.lock held. */
bool pgrp_will_be_orphaned(int pgid, struct thread_group *ignored)
{
	struct pgrp_scan s = {.pgid = pgid, .ignored = ignored};

	kernel_for_each_tg(pgrp_scan_one, &s);
	return !s.connected;
}

static int pgrp_kill_one(struct thread_group *tg, void *arg)
{
	struct pgrp_scan *s = arg;

	if (tg->pgid == s->pgid && !tg->zombie && !tg->exiting) {
		struct pending_siginfo pi = {.code = 0x80 /* SI_KERNEL */};
		signal_send_info(tg, NULL, s->sig, &pi);
	}
	return 0;
}

/*
 * kill_orphaned_pgrp: tg's group pgid loses its last link to its session
 * through parent (tg exits, or tg is parent's child being reparented); if a
 * member is stopped, the group gets SIGHUP then SIGCONT, so that it is not
 * left stopped forever. kernel.lock held.
 */
void pgrp_orphan_check(struct thread_group *tg, struct thread_group *parent,
		       struct thread_group *ignored)
{
	struct pgrp_scan s = {.pgid = tg->pgid, .ignored = ignored};

	if (!parent || parent->pgid == tg->pgid || parent->sid != tg->sid)
		return;
	kernel_for_each_tg(pgrp_scan_one, &s);
	if (s.connected || !s.stopped)
		return;
	s.sig = SIGHUP;
	kernel_for_each_tg(pgrp_kill_one, &s);
	s.sig = SIGCONT;
	kernel_for_each_tg(pgrp_kill_one, &s);
}
