/*
 * The stub factory: a process forked from the sentry at platform start-up,
 * before the sentry confines itself, that starts every systrap stub.
 *
 * Why: seccomp filters are inherited and the most restrictive verdict of
 * all of a process's filters wins. A stub forked from the confined sentry
 * would carry the sentry's filter, whose default is to kill, so an
 * application syscall the sentry itself does not make would kill the stub
 * instead of trapping to the sentry. Under ptrace (PTRACE_SYSEMU) the
 * application's syscalls never reach seccomp, so it does not matter there.
 *
 * The factory holds no capabilities and nothing of the sentry but its own
 * socket and the stub image. A request is one byte carrying (SCM_RIGHTS)
 * the stub's end of its descriptor socket; the factory vforks, the child
 * makes that socket its descriptor 0 and execs the stub, and the factory
 * answers with the new pid. Stubs die with the factory (PR_SET_PDEATHSIG),
 * the factory with the sentry, and the factory reaps them (SIGCHLD ignored).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/systrap/systrap_impl.h"

static int factory_sock = -1;
static pthread_mutex_t factory_lock = PTHREAD_MUTEX_INITIALIZER;

static void drop_all_caps(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];

	/* As root, exec would hand the stub every capability back. */
	prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
					 SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED,
	      0, 0, 0);
	for (int cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno == EINVAL)
			break;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	memset(d, 0, sizeof(d));
	syscall(SYS_capset, &h, d);
}

static int recv_fd(int sock)
{
	char byte, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&byte, 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -2;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static _Noreturn void factory_main(int sock, int memfd)
{
	char *const argv[] = {"sentry-systrap-stub", NULL};
	char *const envp[] = {NULL};
	struct sigaction ign = {.sa_handler = SIG_IGN};

	sigaction(SIGCHLD, &ign, NULL);
	setsid();
	drop_all_caps();
	for (;;) {
		int fd = recv_fd(sock);
		int32_t reply;
		pid_t pid;

		if (fd == -1)
			_exit(0); /* the sentry is gone */
		if (fd < 0)
			continue;
		pid = vfork();
		if (pid == 0) {
			syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
			syscall(SYS_dup3, fd, SYSTRAP_SOCK_FD, 0);
			syscall(SYS_close_range, SYSTRAP_SOCK_FD + 1, ~0U, CLOSE_RANGE_CLOEXEC);
			syscall(SYS_execveat, memfd, "", argv, envp, AT_EMPTY_PATH);
			syscall(SYS_exit_group, 127);
		}
		close(fd);
		reply = pid < 0 ? -errno : pid;
		if (send(sock, &reply, sizeof(reply), MSG_NOSIGNAL) != sizeof(reply))
			_exit(0);
	}
}

int systrap_factory_start(int stub_memfd)
{
	int sv[2];
	pid_t parent = getpid(), pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (getppid() != parent)
			_exit(0);
		/* Keep only the socket (3) and the stub image (4); 0-2 hold the
		 * socket too, so that received descriptors never land there. */
		int s = fcntl(sv[1], F_DUPFD_CLOEXEC, 100), m = fcntl(stub_memfd, F_DUPFD_CLOEXEC, 100);
		if (s < 0 || m < 0 || dup3(s, 3, 0) < 0 || dup3(m, 4, O_CLOEXEC) < 0)
			_exit(1);
		syscall(SYS_close_range, 5, ~0U, 0);
		for (int fd = 0; fd < 3; fd++)
			dup3(3, fd, O_CLOEXEC);
		factory_main(3, 4);
	}
	close(sv[1]);
	factory_sock = sv[0];
	return 0;
}

/* Start a stub whose descriptor 0 is stub_sock; returns its pid or -errno. */
pid_t systrap_factory_spawn(int stub_sock)
{
	char byte = 0, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&byte, 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;
	int32_t reply = -EIO;
	ssize_t n;

	if (factory_sock < 0)
		return -ENOSYS;
	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &stub_sock, sizeof(int));
	pthread_mutex_lock(&factory_lock);
	if (sendmsg(factory_sock, &mh, MSG_NOSIGNAL) == 1) {
		do
			n = recv(factory_sock, &reply, sizeof(reply), 0);
		while (n < 0 && errno == EINTR);
		if (n != sizeof(reply))
			reply = -EIO;
	}
	pthread_mutex_unlock(&factory_lock);
	return reply;
}
