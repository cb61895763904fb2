/*
 * Booting the sandbox's processes: PID 1 (the sentry's own init, unless the
 * program itself is PID 1) and the program, and waiting for the program.
 *
 * Init reaps orphans and forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT that
 * the sentry receives to the program.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include "kernel/kernel_impl.h"
#include "syscalls/dispatch.h"
#include "util/log.h"
#include "vfs/vfs.h"

static const struct run_config *run_cfg;
static struct thread_group *prog_tg;
static int exec_status = -1; /* sentry exit status when the first exec failed */

static void interrupt_handler(int sig)
{
	(void)sig;
}

static struct task *task_alloc(struct thread_group *tg, int tid)
{
	struct task *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	pthread_mutex_init(&t->wait_lock, NULL);
	t->tid = tid;
	t->tg = tg;
	tg->leader = t;
	tg->nr_threads = 1;
	return t;
}

static void creds_init(struct creds *c)
{
	memset(c, 0, sizeof(*c));
	c->uid = c->euid = c->suid = c->fsuid = getuid();
	c->gid = c->egid = c->sgid = c->fsgid = getgid();
	if (c->euid == 0)
		c->cap_effective = c->cap_permitted = CAP_FULL_SET;
	c->cap_bounding = CAP_FULL_SET;
}

static const char *env_path(char **envp)
{
	for (char **e = envp; *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			return *e + 5;
	return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

/* execvp's search, in the sandbox. */
static int exec_search(struct task *t, const char *file, char **argv, char **envp, char *err,
		       size_t errlen)
{
	const char *p;
	int r, saw_eacces = 0;
	char path[4096];

	if (!*file)
		return -ENOENT;
	if (strchr(file, '/'))
		return task_exec(t, file, argv, envp, err, errlen);
	p = env_path(envp);
	for (;;) {
		const char *colon = strchrnul(p, ':');
		size_t dl = (size_t)(colon - p);
		if (dl + 1 + strlen(file) + 1 <= sizeof(path)) {
			if (dl == 0)
				snprintf(path, sizeof(path), "%s", file);
			else
				snprintf(path, sizeof(path), "%.*s/%s", (int)dl, p, file);
			r = task_exec(t, path, argv, envp, err, errlen);
			if (r == 0)
				return 0;
			if (r == -EACCES)
				saw_eacces = 1;
			else if (r != -ENOENT && r != -ENOTDIR)
				return r;
		}
		if (!*colon)
			break;
		p = colon + 1;
	}
	return saw_eacces ? -EACCES : -ENOENT;
}

static void *program_main(void *arg)
{
	struct task *t = arg;
	char err[512] = "";
	int r;

	task_set_current(t);
	t->thread = pthread_self();
	r = exec_search(t, run_cfg->path, run_cfg->argv, run_cfg->envp, err, sizeof(err));
	if (r < 0) {
		const char *why = strerror(-r);
		if (r == -ENOEXEC)
			why = "Exec format error";
		if (err[0])
			log_err("%s: %s (%s)", run_cfg->path, why, err);
		else
			log_err("%s: %s", run_cfg->path, why);
		exec_status = (r == -ENOENT || r == -ENOTDIR) ? 127 : 126;
		pthread_mutex_lock(&kernel.lock);
		tg_group_exit(t->tg, 0);
		pthread_mutex_unlock(&kernel.lock);
		task_exit_thread(t);
	}
	task_run_loop(t);
	return NULL;
}

static void *signal_forwarder(void *arg)
{
	sigset_t set;
	siginfo_t si;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	for (;;) {
		int sig = sigwaitinfo(&set, &si);
		if (sig < 0)
			continue;
		pthread_mutex_lock(&kernel.lock);
		if (prog_tg && !prog_tg->zombie)
			signal_send_tg(prog_tg, sig);
		pthread_mutex_unlock(&kernel.lock);
	}
	return NULL;
}

static int stdio_setup(struct fdtable *fdt)
{
	for (int fd = 0; fd < 3; fd++) {
		int hfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (hfd < 0)
			continue; /* the caller closed it: so is the program's */
		int fl = fcntl(hfd, F_GETFL);
		struct file *f = hostfd_file_new(hfd, fl < 0 ? O_RDWR : fl);
		if (!f) {
			close(hfd);
			return -ENOMEM;
		}
		int r = fd_install(fdt, f, false, fd);
		file_put(f);
		if (r != fd)
			return r < 0 ? r : -EBADF;
	}
	return 0;
}

int kernel_run(const struct run_config *cfg)
{
	struct thread_group *init_tg = NULL;
	struct sigaction sa;
	pthread_t fwd;
	sigset_t set;
	int r, status;

	run_cfg = cfg;
	kernel_init();
	kernel.strace = cfg->strace;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = interrupt_handler; /* no SA_RESTART: host waits end with EINTR */
	sigaction(SENTRY_INTERRUPT_SIGNAL, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	pthread_mutex_lock(&kernel.lock);
	if (!cfg->pid1) {
		int tid = kernel_alloc_tid();
		init_tg = tg_new(tid, NULL);
		struct task *it = init_tg ? task_alloc(init_tg, tid) : NULL;
		if (!it) {
			pthread_mutex_unlock(&kernel.lock);
			return 125;
		}
		snprintf(it->comm, sizeof(it->comm), "init");
		creds_init(&it->creds);
		kernel_add_tg(init_tg);
		kernel_add_task(it);
		kernel.init_tgid = tid;
	}
	int tid = kernel_alloc_tid();
	prog_tg = tg_new(tid, init_tg);
	struct task *t = prog_tg ? task_alloc(prog_tg, tid) : NULL;
	if (!t) {
		pthread_mutex_unlock(&kernel.lock);
		return 125;
	}
	if (cfg->pid1)
		kernel.init_tgid = tid;
	creds_init(&t->creds);
	t->strace = cfg->strace;
	snprintf(t->comm, sizeof(t->comm), "sentry-exec");
	kernel_add_tg(prog_tg);
	kernel_add_task(t);
	pthread_mutex_unlock(&kernel.lock);

	t->fdt = fdtable_new();
	t->fs = fs_context_new();
	if (!t->fdt || !t->fs)
		return 125;
	r = stdio_setup(t->fdt);
	if (r < 0) {
		log_err("cannot set up stdio: %s", strerror(-r));
		return 125;
	}
	if (cfg->cwd) {
		task_set_current(t);
		r = fs_context_chdir(t, cfg->cwd);
		task_set_current(NULL);
		if (r < 0)
			log_warn("cannot change to %s in the sandbox (%s); using /", cfg->cwd,
				 strerror(-r));
	}

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 8 << 20);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t->thread, &attr, program_main, t) != 0) {
		log_err("cannot start the program's thread");
		return 125;
	}
	pthread_create(&fwd, &attr, signal_forwarder, NULL);
	pthread_attr_destroy(&attr);

	/* Init: reap orphans, wait for the program. */
	pthread_mutex_lock(&kernel.lock);
	while (!prog_tg->zombie) {
		if (init_tg) {
			for (struct thread_group *c = init_tg->children, *next; c; c = next) {
				next = c->sibling;
				if (c->zombie && c != prog_tg)
					tg_reap(c);
			}
		}
		pthread_cond_wait(init_tg ? &init_tg->child_exit : &prog_tg->child_exit,
				  &kernel.lock);
	}
	status = prog_tg->exit_code;
	pthread_mutex_unlock(&kernel.lock);
	if (exec_status >= 0)
		return exec_status;
	if (status & 0x7f)
		return 128 + (status & 0x7f);
	return (status >> 8) & 0xff;
}
