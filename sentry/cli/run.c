/*
 * sentry run: boot a sandbox and run one program in it.
 *
 * Boot order: platform (stub image), gofer for the root, procfs snapshot of
 * host facts, VFS mounts, self-confinement, then the kernel runs the program.
 * Nothing opens a host path after confinement.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/network.h"
#include "cli/tty_bridge.h"
#if __has_include("cli/confine.h")
#include "cli/confine.h"
#define HAVE_CONFINE 1
#endif
#include "fs/fs.h"
#include "fs/gofer_client.h"
#include "kernel/kernel_impl.h"
#include "netstack/netstack.h"
#include "platform/platform.h"
#include "util/log.h"
#include "vfs/vfs.h"

extern char **environ;

/*
 * glibc loads libgcc_s the first time a thread exits (for unwinding), which
 * would be after confinement, when no host path can be opened. Exit one
 * thread at boot so the library is already there.
 */
static void *exit_once(void *arg)
{
	pthread_exit(arg);
}

static void preload_thread_exit(void)
{
	pthread_t th;

	if (pthread_create(&th, NULL, exit_once, NULL) == 0)
		pthread_join(th, NULL);
}

static void run_usage(FILE *out)
{
	fprintf(out,
		"Usage: sentry run [OPTIONS] -- PROGRAM [ARGS...]\n\n"
		"Run PROGRAM in a fresh sandbox. By default the host's root is visible\n"
		"read-only through the gofer with an in-memory overlay on top (writes\n"
		"succeed but never reach the host), and the network is loopback only.\n\n"
		"Options:\n"
		"  --root DIR          use DIR as the sandbox's root (default /)\n"
		"  --rw                make the root writable (no overlay; writes reach DIR)\n"
		"  --volume HOST:SANDBOX[:ro]\n"
		"                      mount host directory HOST at SANDBOX, writable (or\n"
		"                      read-only with :ro) through its own gofer; the mount\n"
		"                      point is created if missing (repeatable)\n"
		"  --cwd DIR           working directory in the sandbox (default: the current one)\n"
		"  --env K=V           set an environment variable (repeatable)\n"
		"  --clear-env         start from an empty environment instead of the caller's\n"
		"  --strace            print each syscall of the program on stderr\n"
		"  --pid1              run the program as PID 1 (as containers do)\n"
		"  --platform=NAME     systrap (default where the host supports it; seccomp\n"
		"                      traps and shared memory) or ptrace\n"
		"  --network=MODE      none (default; loopback only) or sandbox (take over the\n"
		"                      Ethernet interface of the network namespace the sentry\n"
		"                      is started in: its addresses are served by the sentry)\n"
		"  --hostname NAME     the sandbox's hostname (default: sandbox)\n"
		"  --dns IP            a nameserver for /etc/resolv.conf (repeatable; default:\n"
		"                      none, or with --network=sandbox the namespace's own)\n"
		"  --debug             verbose sentry log\n"
		"  -h, --help          this help\n");
}

static char *gofer_path(char *buf, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *env = getenv("SENTRY_GOFER");

	if (env && *env) {
		if (snprintf(buf, size, "%s", env) >= (int)size)
			return NULL;
		return buf;
	}
	if (n <= 0)
		return NULL;
	self[n] = 0;
	char *slash = strrchr(self, '/');
	if (!slash)
		return NULL;
	*slash = 0;
	/* Installed side by side, or the build tree's layout. */
	if (snprintf(buf, size, "%s/gofer", self) < (int)size && access(buf, X_OK) == 0)
		return buf;
	if (snprintf(buf, size, "%s/../gofer/gofer", self) < (int)size && access(buf, X_OK) == 0)
		return buf;
	return NULL;
}

/* Build the environment: the caller's (unless cleared) with --env applied. */
static char **build_env(char **extra, int nextra, int clear)
{
	int n = 0;
	for (char **e = environ; !clear && *e; e++)
		n++;
	char **env = calloc((size_t)(n + nextra + 1), sizeof(*env));
	int k = 0;

	if (!env)
		return NULL;
	for (char **e = environ; !clear && *e; e++)
		env[k++] = *e;
	for (int i = 0; i < nextra; i++) {
		size_t kl = strcspn(extra[i], "=");
		int j;
		for (j = 0; j < k; j++)
			if (strncmp(env[j], extra[i], kl) == 0 && env[j][kl] == '=')
				break;
		env[j] = extra[i];
		if (j == k)
			k++;
	}
	env[k] = NULL;
	return env;
}

int cmd_run(int argc, char **argv)
{
	enum { OPT_ROOT = 256, OPT_RW, OPT_CWD, OPT_ENV, OPT_STRACE, OPT_PID1, OPT_PLATFORM,
	       OPT_NETWORK, OPT_DEBUG, OPT_CLEARENV, OPT_VOLUME, OPT_HOSTNAME, OPT_DNS };
	static const struct option opts[] = {
		{"root", required_argument, NULL, OPT_ROOT},
		{"rw", no_argument, NULL, OPT_RW},
		{"volume", required_argument, NULL, OPT_VOLUME},
		{"cwd", required_argument, NULL, OPT_CWD},
		{"env", required_argument, NULL, OPT_ENV},
		{"clear-env", no_argument, NULL, OPT_CLEARENV},
		{"strace", no_argument, NULL, OPT_STRACE},
		{"pid1", no_argument, NULL, OPT_PID1},
		{"platform", required_argument, NULL, OPT_PLATFORM},
		{"network", required_argument, NULL, OPT_NETWORK},
		{"debug", no_argument, NULL, OPT_DEBUG},
		{"hostname", required_argument, NULL, OPT_HOSTNAME},
		{"dns", required_argument, NULL, OPT_DNS},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *root = "/", *cwd = NULL;
	char **extra_env = calloc((size_t)argc + 1, sizeof(char *));
	int nextra = 0, clear_env = 0, rw = 0, c, r;
	bool net_sandbox = false; /* --network=sandbox (cli/network.c) */
	struct network_sandbox nsb = {0};
	struct run_config cfg = {0};
	char cwdbuf[PATH_MAX], gpath[PATH_MAX], err[512] = "";

	struct volume_spec *vols = calloc((size_t)argc + 1, sizeof(*vols));
	struct vfs_volume *vvols = calloc((size_t)argc + 1, sizeof(*vvols));
	int nvols = 0;
	/* --hostname / --dns: /etc/{hosts,hostname,resolv.conf} (fs/etc_files.c) */
	const char *hostname = NULL;
	const char **dns = calloc((size_t)argc + 1, sizeof(*dns));
	int ndns = 0;

	if (!extra_env || !vols || !vvols || !dns)
		return 125;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_ROOT:
			root = optarg;
			break;
		case OPT_RW:
			rw = 1;
			break;
		case OPT_VOLUME:
			if (volume_parse(optarg, &vols[nvols], err, sizeof(err)) < 0) {
				fprintf(stderr, "sentry run: %s\n", err);
				volumes_stop(vols, nvols);
				free(vols);
				free(vvols);
				free(extra_env);
				return 2;
			}
			nvols++;
			break;
		case OPT_CWD:
			cwd = optarg;
			break;
		case OPT_ENV:
			if (!strchr(optarg, '=')) {
				fprintf(stderr, "sentry run: --env needs K=V, got '%s'\n", optarg);
				return 2;
			}
			extra_env[nextra++] = optarg;
			break;
		case OPT_CLEARENV:
			clear_env = 1;
			break;
		case OPT_STRACE:
			cfg.strace = true;
			break;
		case OPT_PID1:
			cfg.pid1 = true;
			break;
		case OPT_PLATFORM:
			if (platform_select(optarg) < 0) {
				fprintf(stderr, "sentry run: unknown platform '%s'\n", optarg);
				return 2;
			}
			break;
		case OPT_NETWORK:
			net_sandbox = strcmp(optarg, "sandbox") == 0;
			if (strcmp(optarg, "none") != 0 && !net_sandbox) {
				fprintf(stderr, "sentry run: network mode '%s' is not supported yet\n",
					optarg);
				return 2;
			}
			break;
		case OPT_DEBUG:
			log_verbosity = LOG_DEBUG;
			break;
		case OPT_HOSTNAME:
			if (!etc_hostname_valid(optarg)) {
				fprintf(stderr, "sentry run: invalid hostname '%s' (1 to %d of "
						"A-Z a-z 0-9 . - _)\n", optarg, ETC_HOSTNAME_MAX);
				return 2;
			}
			hostname = optarg;
			break;
		case OPT_DNS:
			if (!etc_dns_valid(optarg)) {
				fprintf(stderr, "sentry run: --dns needs an IP address, got '%s'\n",
					optarg);
				return 2;
			}
			dns[ndns++] = optarg;
			break;
		case 'h':
			run_usage(stdout);
			return 0;
		default:
			run_usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "sentry run: no program given\n");
		run_usage(stderr);
		return 2;
	}
	if (!cwd) {
		/* The caller's directory, when it exists in the sandbox's view. */
		if (strcmp(root, "/") == 0 && getcwd(cwdbuf, sizeof(cwdbuf)))
			cwd = cwdbuf;
		else
			cwd = "/";
	}
	cfg.path = argv[optind];
	cfg.argv = &argv[optind];
	cfg.envp = build_env(extra_env, nextra, clear_env);
	cfg.cwd = cwd;
	if (!cfg.envp)
		return 125;

	/* The sentry holds host descriptors for the sandbox's open and cached
	 * files: allow as many as the host lets it. */
	{
		struct rlimit rl;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	r = platform_init();
	if (r < 0) {
		log_err("platform %s: %s", platform->name, strerror(-r));
		return 125;
	}
	if (!gofer_path(gpath, sizeof(gpath))) {
		log_err("cannot find the gofer executable (set SENTRY_GOFER)");
		return 125;
	}
	pid_t gpid;
	struct gofer_client *gc = gofer_spawn(gpath, root, rw, &gpid, err, sizeof(err));
	if (!gc) {
		log_err("cannot start the gofer for %s: %s", root, err);
		return 125;
	}
	if (volumes_start(gpath, vols, nvols, vvols, err, sizeof(err)) < 0) {
		log_err("%s", err);
		volumes_stop(vols, nvols);
		return 125;
	}
	procfs_boot_snapshot();
	preload_thread_exit();
	struct vfs_boot_config vcfg = {.gofer = gc, .overlay = !rw, .rw = rw, .cwd = cwd,
				       .volumes = vvols, .nvolumes = nvols};
	r = vfs_boot(&vcfg);
	if (r < 0) {
		log_err("cannot mount the sandbox's filesystems: %s", strerror(-r));
		return 125;
	}
	if (net_sandbox) {
		if ((r = network_sandbox_boot(&nsb, err, sizeof(err))) < 0) {
			log_err("--network=sandbox: %s", err);
			return 125;
		}
		if (ndns == 0) { /* the namespace's nameservers */
			dns = nsb.dns;
			ndns = nsb.ndns;
		}
	}
	if (hostname) {
		memset(kernel.hostname, 0, sizeof(kernel.hostname));
		memcpy(kernel.hostname, hostname, strlen(hostname));
	}
	{
		struct etc_files_config ecfg = {.hostname = kernel.hostname,
						.hostname_addr = nsb.addr4[0] ? nsb.addr4
									      : "127.0.0.1",
						.dns = dns, .ndns = ndns, .create_missing = !rw};
		if ((r = etc_files_mount(&ecfg)) < 0) {
			log_err("cannot provide /etc/hosts, hostname, resolv.conf: %s",
				strerror(-r));
			return 125;
		}
	}
#ifdef HAVE_CONFINE
	{
		struct confine_config ccfg = {.network_none = !net_sandbox};
		if (sentry_confine(&ccfg, err, sizeof(err)) < 0) {
			log_err("cannot confine the sentry: %s", err);
			return 125;
		}
	}
#endif
	/* Sandbox mode: lwIP answers on the interface from now on, not only
	 * from the first socket (netif_packet.c starts with it). */
	if (net_sandbox && (r = netstack_start()) < 0) {
		log_err("--network=sandbox: cannot start the network stack: %s", strerror(-r));
		return 125;
	}
	tty_bridge_start(); /* on a terminal: the sandbox's own pty as console */
	r = kernel_run(&cfg);
	tty_bridge_finish();
	/* Leave nothing behind: the gofer exits when its socket closes; make
	 * sure of it and reap it before the sentry goes. Processes the program
	 * left behind (daemons) may still be inside a gofer request on their
	 * task threads: shut the connection down (their requests fail) rather
	 * than free it under them; the sentry's exit ends them. */
	gofer_client_shutdown(gc);
	kill(gpid, SIGKILL);
	while (waitpid(gpid, NULL, 0) < 0 && errno == EINTR)
		;
	volumes_stop(vols, nvols);
	return r;
}
