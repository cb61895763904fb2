/* /proc/PID files beyond the basics: fdinfo, smaps, ns, wchan. */
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/mman.h>

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
