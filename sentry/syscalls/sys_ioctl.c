/* ioctl: descriptor-level requests here, the rest to the file's ops. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <limits.h>
#include <sys/stat.h>

#include "fs/fasync.h"
#include "kernel/task.h"
#include "syscalls/sys_fs.h"

SYSCALL_DEFINE(ioctl)
{
	int fd = sys_fd(args->a[0]);
	unsigned cmd = (unsigned)args->a[1];
	uint64_t arg = args->a[2];
	struct file *f = sys_fget(t, fd);
	if (!f)
		return -EBADF;
	long r;
	if (file_flags(f) & O_PATH) {
		file_put(f);
		return -EBADF;
	}
	switch (cmd) {
	case FIOCLEX:
	case FIONCLEX:
		r = fd_set_cloexec(t->fdt, fd, cmd == FIOCLEX);
		break;
	case FIONBIO: {
		int on;
		if (copy_from_user(t, &on, arg, sizeof(on))) {
			r = -EFAULT;
			break;
		}
		pthread_mutex_lock(&f->flags_lock);
		f->flags = on ? (f->flags | O_NONBLOCK) : (f->flags & ~O_NONBLOCK);
		int nf = f->flags;
		pthread_mutex_unlock(&f->flags_lock);
		r = f->ops && f->ops->setfl ? f->ops->setfl(f, nf) : 0;
		break;
	}
	case FIOASYNC: {
		int on;
		r = copy_from_user(t, &on, arg, sizeof(on)) ? -EFAULT : fasync_set(f, fd, on != 0);
		break;
	}
	case FIOSETOWN:
	case SIOCSPGRP: {
		int who;
		if (copy_from_user(t, &who, arg, sizeof(who)))
			r = -EFAULT;
		else
			r = who == INT_MIN ? -EINVAL
					   : fasync_setown(f, who < 0 ? FASYNC_OWNER_PGRP
								  : FASYNC_OWNER_PID,
							   who < 0 ? -who : who);
		break;
	}
	case FIOGETOWN:
	case SIOCGPGRP: {
		int who = fasync_getown(f);
		r = copy_to_user(t, arg, &who, sizeof(who)) ? -EFAULT : 0;
		break;
	}
	case FIONREAD:
		if (S_ISREG(f->inode->mode) && !(f->ops && f->ops->ioctl && file_host_fd(f) >= 0 &&
						   !f->path.dentry)) {
			struct kstat st;
			r = vfs_fstat(f, &st);
			if (r == 0) {
				/* Linux: put_user(i_size - f_pos, (int *)arg), not
				 * clamped (negative past EOF), truncated to int. */
				int64_t pos = f->pos;
				int avail = (int)(uint32_t)(st.size - (uint64_t)pos);
				r = copy_to_user(t, arg, &avail, sizeof(avail));
			}
			break;
		}
		/* fallthrough */
	default:
		r = f->ops && f->ops->ioctl ? f->ops->ioctl(f, t, cmd, arg) : -ENOTTY;
		break;
	}
	file_put(f);
	return r;
}
