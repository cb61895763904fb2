#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int log_verbosity = LOG_WARN;
static int log_fd = 2;

void log_set_fd(int fd)
{
	log_fd = fd;
}

void log_write(const char *buf, unsigned long len)
{
	while (len > 0) {
		ssize_t n = write(log_fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (unsigned long)n;
	}
}

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	char buf[1024];
	int n, m;

	if ((int)lvl > log_verbosity)
		return;
	n = snprintf(buf, sizeof(buf), "sentry: %s: ", names[lvl]);
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	log_write(buf, (unsigned long)n);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_ERROR, fmt, ap);
	va_end(ap);
	_exit(125);
}
