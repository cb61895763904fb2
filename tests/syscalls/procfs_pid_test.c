/* /proc/PID files beyond the basics: fdinfo, smaps, ns, wchan, auxv, task/TID/children,
 * io, personality, loginuid, sessionid. */
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "harness.h"

static ssize_t slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	size_t len = 0;
	ssize_t n;
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = 0;
	return (ssize_t)len;
}

static int count_lines_starting(const char *text, const char *prefix)
{
	int n = 0;
	size_t plen = strlen(prefix);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, prefix, plen) == 0)
			n++;
	return n;
}

TEST(fdinfo_shows_position_and_flags)
{
	char path[64], buf[512];
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);

	EXPECT_SYS(fd);
	EXPECT_EQ(lseek(fd, 3, SEEK_SET), 3);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	EXPECT_GT(slurp(path, buf, sizeof(buf)), 0);
	EXPECT_TRUE(strstr(buf, "pos:\t3\n") != NULL);
	unsigned flags = 0;
	char *f = strstr(buf, "flags:\t");
	EXPECT_TRUE(f != NULL);
	if (f)
		EXPECT_EQ(sscanf(f, "flags:\t%o", &flags), 1);
	EXPECT_TRUE(flags & O_CLOEXEC);
	EXPECT_EQ(flags & O_ACCMODE, O_RDONLY);
	EXPECT_TRUE(strstr(buf, "mnt_id:\t") != NULL);
	EXPECT_TRUE(strstr(buf, "ino:\t") != NULL);
	close(fd);

	/* A closed descriptor has no fdinfo; the directory lists open ones. */
	EXPECT_ERRNO(open(path, O_RDONLY), ENOENT);
	DIR *d = opendir("/proc/self/fdinfo");
	EXPECT_TRUE(d != NULL);
	int seen0 = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		if (strcmp(e->d_name, "0") == 0)
			seen0 = e->d_type == DT_REG || e->d_type == DT_UNKNOWN;
	if (d)
		closedir(d);
	EXPECT_TRUE(seen0);
}

TEST(smaps_has_one_block_per_mapping)
{
	static char maps[1 << 16], smaps[1 << 20];
	void *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	EXPECT_TRUE(p != MAP_FAILED);
	EXPECT_GT(slurp("/proc/self/smaps", smaps, sizeof(smaps)), 0);
	EXPECT_GT(slurp("/proc/self/maps", maps, sizeof(maps)), 0);
	int nmaps = count_lines_starting(maps, "");
	EXPECT_GT(nmaps, 3);
	/* Linux may split or merge between the two reads only if we map. */
	EXPECT_EQ(count_lines_starting(smaps, "Size:"), nmaps);
	EXPECT_EQ(count_lines_starting(smaps, "VmFlags:"), nmaps);
	char head[64];
	snprintf(head, sizeof(head), "%lx-%lx rw-s", (unsigned long)p, (unsigned long)p + 3 * 4096);
	char *blk = strstr(smaps, head);
	EXPECT_TRUE(blk != NULL);
	if (blk) {
		unsigned long kb = 0;
		EXPECT_EQ(sscanf(strchr(blk, '\n') + 1, "Size: %lu kB", &kb), 1);
		EXPECT_EQ(kb, 12);
		char *vf = strstr(blk, "VmFlags:");
		EXPECT_TRUE(vf && strncmp(vf, "VmFlags: rd wr sh", 17) == 0);
	}
	munmap(p, 3 * 4096);
}

TEST(ns_links_name_their_kind)
{
	char buf[128];
	const char *kinds[] = {"pid", "mnt", "net", "uts", "ipc", "user"};

	for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/ns/%s", kinds[i]);
		ssize_t n = readlink(path, buf, sizeof(buf) - 1);
		EXPECT_GT(n, 0);
		buf[n > 0 ? n : 0] = 0;
		EXPECT_TRUE(strncmp(buf, kinds[i], strlen(kinds[i])) == 0 &&
			    buf[strlen(kinds[i])] == ':');
	}
	/* A thread's children are in the same PID namespace as it. */
	char a[128] = "", b[128] = "";
	EXPECT_GT(readlink("/proc/self/ns/pid", a, sizeof(a) - 1), 0);
	EXPECT_GT(readlink("/proc/self/ns/pid_for_children", b, sizeof(b) - 1), 0);
	EXPECT_STREQ(a, b);
}

TEST(wchan_is_readable)
{
	char buf[64];
	EXPECT_GE(slurp("/proc/self/wchan", buf, sizeof(buf)), 1);
}

TEST(stopped_process_shows_state_T)
{
	char path[64], buf[1024];
	pid_t child = fork();

	if (child == 0) {
		for (;;)
			pause();
	}
	EXPECT_GT(child, 0);
	EXPECT_SYS(kill(child, SIGSTOP));
	int status = 0;
	EXPECT_EQ(waitpid(child, &status, WUNTRACED), child);
	EXPECT_TRUE(WIFSTOPPED(status));
	snprintf(path, sizeof(path), "/proc/%d/stat", child);
	EXPECT_GT(slurp(path, buf, sizeof(buf)), 0);
	char *rp = strrchr(buf, ')');
	EXPECT_TRUE(rp && rp[1] == ' ' && rp[2] == 'T');
	snprintf(path, sizeof(path), "/proc/%d/status", child);
	EXPECT_GT(slurp(path, buf, sizeof(buf)), 0);
	EXPECT_TRUE(strstr(buf, "State:\tT (stopped)\n") != NULL);
	kill(child, SIGKILL);
	EXPECT_EQ(waitpid(child, &status, 0), child);
}

TEST(auxv_matches_getauxval)
{
	uint64_t aux[128];
	int fd = EXPECT_SYS(open("/proc/self/auxv", O_RDONLY));
	if (fd < 0)
		return;
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(aux) && (n = read(fd, (char *)aux + len, sizeof(aux) - len)) > 0)
		len += (size_t)n;
	close(fd);
	EXPECT_EQ(len % 16, 0);
	if (!EXPECT_GE(len, 32))
		return;
	size_t words = len / 8;
	uint64_t pagesz = 0, uid = ~0ull, entry = 0;
	bool has_null = false;
	for (size_t i = 0; i + 1 < words; i += 2) {
		if (aux[i] == AT_NULL) {
			has_null = true;
			EXPECT_EQ(i + 2, words); /* AT_NULL ends it */
			break;
		}
		if (aux[i] == AT_PAGESZ)
			pagesz = aux[i + 1];
		if (aux[i] == AT_UID)
			uid = aux[i + 1];
		if (aux[i] == AT_ENTRY)
			entry = aux[i + 1];
	}
	EXPECT_TRUE(has_null);
	EXPECT_EQ(pagesz, getauxval(AT_PAGESZ));
	EXPECT_EQ(uid, getauxval(AT_UID));
	EXPECT_EQ(entry, getauxval(AT_ENTRY));
	EXPECT_NE(entry, 0);
}

TEST(auxv_is_inherited_by_fork)
{
	int p[2];
	if (EXPECT_SYS(pipe(p)) < 0)
		return;
	pid_t pid = EXPECT_SYS(fork());
	if (pid == 0) {
		uint64_t aux[128];
		int fd = open("/proc/self/auxv", O_RDONLY);
		ssize_t n = fd < 0 ? -1 : read(fd, aux, sizeof(aux));
		uint64_t v = 0;
		for (ssize_t i = 0; i + 1 < n / 8; i += 2)
			if (aux[i] == AT_ENTRY)
				v = aux[i + 1];
		_exit(write(p[1], &v, sizeof(v)) == sizeof(v) ? 0 : 1);
	}
	uint64_t v = 0;
	EXPECT_EQ(read(p[0], &v, sizeof(v)), (ssize_t)sizeof(v));
	EXPECT_EQ(v, getauxval(AT_ENTRY));
	int st;
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(p[0]);
	close(p[1]);
}

TEST(children_lists_forked_children)
{
	char path[96], buf[256];
	pid_t kids[2];
	for (int i = 0; i < 2; i++) {
		kids[i] = EXPECT_SYS(fork());
		if (kids[i] == 0) {
			pause();
			_exit(0);
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", getpid(), getpid());
	ssize_t n = slurp(path, buf, sizeof(buf));
	if (EXPECT_GT(n, 0)) {
		EXPECT_EQ(buf[n - 1], ' '); /* "pid pid " without a newline */
		for (int i = 0; i < 2; i++) {
			char want[24];
			snprintf(want, sizeof(want), "%d ", kids[i]);
			bool found = false;
			for (char *p = buf; p && *p; p = strchr(p, ' '), p = p ? p + 1 : NULL)
				if (strncmp(p, want, strlen(want)) == 0)
					found = true;
			EXPECT_TRUE(found);
		}
	}
	/* /proc/self/task/TID/children only: not in /proc/PID itself. */
	EXPECT_ERRNO(open("/proc/self/children", O_RDONLY), ENOENT);
	for (int i = 0; i < 2; i++) {
		kill(kids[i], SIGKILL);
		EXPECT_EQ(waitpid(kids[i], NULL, 0), kids[i]);
	}
	/* Reaped: no longer listed. */
	n = slurp(path, buf, sizeof(buf));
	EXPECT_EQ(n, 0);
}

TEST(io_personality_loginuid_sessionid_parse)
{
	char buf[512];
	ssize_t n = slurp("/proc/self/io", buf, sizeof(buf));
	if (EXPECT_GT(n, 0)) {
		const char *keys[] = {"rchar", "wchar", "syscr", "syscw", "read_bytes", "write_bytes",
				      "cancelled_write_bytes"};
		char *p = buf;
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			char key[32];
			unsigned long long v;
			int used = 0;
			if (!EXPECT_EQ(sscanf(p, "%31[^:]: %llu\n%n", key, &v, &used), 2))
				break;
			EXPECT_STREQ(key, keys[i]);
			p += used;
		}
		EXPECT_EQ(*p, '\0');
	}
	n = slurp("/proc/self/personality", buf, sizeof(buf));
	EXPECT_EQ(n, 9);
	EXPECT_STREQ(buf, "00000000\n");
	n = slurp("/proc/self/loginuid", buf, sizeof(buf));
	if (EXPECT_GT(n, 0)) {
		char *end;
		unsigned long v = strtoul(buf, &end, 10);
		EXPECT_EQ(*end, '\0');
		(void)v;
	}
	n = slurp("/proc/self/sessionid", buf, sizeof(buf));
	if (EXPECT_GT(n, 0)) {
		char *end;
		strtoul(buf, &end, 10);
		EXPECT_EQ(*end, '\0');
	}
}

TEST(status_shows_no_new_privs)
{
	pid_t child = fork();
	if (child == 0) {
		char buf[4096];
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
			_exit(2);
		if (slurp("/proc/self/status", buf, sizeof(buf)) <= 0)
			_exit(3);
		_exit(strstr(buf, "\nNoNewPrivs:\t1\n") ? 0 : 1);
	}
	int status = -1;
	EXPECT_EQ(waitpid(child, &status, 0), child);
	EXPECT_EQ(status, 0);
	char buf[4096];
	EXPECT_GT(slurp("/proc/self/status", buf, sizeof(buf)), 0);
	EXPECT_TRUE(strstr(buf, "\nNoNewPrivs:\t0\n") != NULL);
}
