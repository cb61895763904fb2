/*
 * /proc/sys: the sysctls programs commonly read. Values are the sandbox's
 * own (hostname from the kernel's UTS state) or Linux's defaults; only
 * kernel/hostname and kernel/domainname are writable.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/procfs.h"
#include "kernel/kernel.h"
#include "vfs/vfs_impl.h"

static int show_hostname(struct inode *inode, struct seq_buf *s)
{
	char name[sizeof(kernel.hostname)];

	pthread_mutex_lock(&kernel.lock);
	memcpy(name, kernel.hostname, sizeof(name));
	pthread_mutex_unlock(&kernel.lock);
	name[sizeof(name) - 1] = '\0';
	seq_printf(s, "%s\n", name);
	return 0;
}

static int show_domainname(struct inode *inode, struct seq_buf *s)
{
	char name[sizeof(kernel.domainname)];

	pthread_mutex_lock(&kernel.lock);
	memcpy(name, kernel.domainname, sizeof(name));
	pthread_mutex_unlock(&kernel.lock);
	name[sizeof(name) - 1] = '\0';
	seq_printf(s, "%s\n", name);
	return 0;
}

/* proc_dostring: the value ends at the first newline or NUL and is cut to
 * the field's size; the whole write is consumed. */
static ssize_t store_uts(char *field, size_t size, const char *buf, size_t n)
{
	size_t len = 0;
	while (len < n && len < size - 1 && buf[len] != '\n' && buf[len] != '\0')
		len++;
	pthread_mutex_lock(&kernel.lock);
	memcpy(field, buf, len);
	memset(field + len, 0, size - len);
	pthread_mutex_unlock(&kernel.lock);
	return (ssize_t)n;
}

static ssize_t store_hostname(struct inode *inode, const char *buf, size_t n)
{
	return store_uts(kernel.hostname, sizeof(kernel.hostname), buf, n);
}

static ssize_t store_domainname(struct inode *inode, const char *buf, size_t n)
{
	return store_uts(kernel.domainname, sizeof(kernel.domainname), buf, n);
}

static int show_osrelease(struct inode *inode, struct seq_buf *s)
{
	seq_printf(s, "%s\n", procfs_release());
	return 0;
}

static int show_uuid(struct inode *inode, struct seq_buf *s)
{
	char u[37];
	procfs_new_uuid(u);
	seq_printf(s, "%s\n", u);
	return 0;
}

static int show_boot_id(struct inode *inode, struct seq_buf *s)
{
	seq_printf(s, "%s\n", procfs_host.boot_id);
	return 0;
}

/* Constant sysctls: the text is the entry's own, found by name. */
static const struct {
	const char *name, *value;
} constants[] = {
    {"ostype", "Linux\n"},
    {"pid_max", "4194304\n"},
    {"ngroups_max", "65536\n"},
    {"cap_last_cap", "40\n"},
    {"overcommit_memory", "0\n"},
    {"max_map_count", "65530\n"},
    {"file-max", "9223372036854775807\n"},
    {"nr_open", "1048576\n"},
    {"entropy_avail", "256\n"},
    {"poolsize", "256\n"},
};

/* All constant entries share this show(); the name picks the value. Each
 * entry's inode knows its entry through synth_i(inode)->entry. */
static int show_constant(struct inode *inode, struct seq_buf *s)
{
	const char *name = synth_i(inode)->entry->name;
	for (size_t i = 0; i < sizeof(constants) / sizeof(constants[0]); i++) {
		if (strcmp(constants[i].name, name) == 0) {
			seq_printf(s, "%s", constants[i].value);
			return 0;
		}
	}
	return -EIO;
}

#define SYS_CONST(n)                                                                               \
	{                                                                                          \
		.name = n, .mode = S_IFREG | 0444, .show = show_constant                           \
	}

static const struct synth_entry random_entries[] = {
    {.name = "uuid", .mode = S_IFREG | 0444, .show = show_uuid},
    {.name = "boot_id", .mode = S_IFREG | 0444, .show = show_boot_id},
    SYS_CONST("entropy_avail"),
    SYS_CONST("poolsize"),
    {.name = NULL},
};

static const struct synth_entry kernel_entries[] = {
    {.name = "hostname", .mode = S_IFREG | 0644, .show = show_hostname, .store = store_hostname},
    {.name = "domainname",
     .mode = S_IFREG | 0644,
     .show = show_domainname,
     .store = store_domainname},
    {.name = "osrelease", .mode = S_IFREG | 0444, .show = show_osrelease},
    SYS_CONST("ostype"),
    SYS_CONST("pid_max"),
    SYS_CONST("ngroups_max"),
    SYS_CONST("cap_last_cap"),
    {.name = "random", .mode = S_IFDIR | 0555, .children = random_entries},
    {.name = NULL},
};

static const struct synth_entry vm_entries[] = {
    SYS_CONST("overcommit_memory"),
    SYS_CONST("max_map_count"),
    {.name = NULL},
};

static const struct synth_entry fs_entries[] = {
    SYS_CONST("file-max"),
    SYS_CONST("nr_open"),
    {.name = NULL},
};

const struct synth_entry procfs_sys_entries[] = {
    {.name = "kernel", .mode = S_IFDIR | 0555, .children = kernel_entries},
    {.name = "vm", .mode = S_IFDIR | 0555, .children = vm_entries},
    {.name = "fs", .mode = S_IFDIR | 0555, .children = fs_entries},
    {.name = NULL},
};
