/* Growing buffers and arrays, the clock, whole-file read and atomic replace. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core.h"

int dfo_sbuf_add(struct dfo_sbuf *b, const char *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + len + 1)
			cap *= 2;
		char *s = realloc(b->s, cap);
		if (!s)
			return -ENOMEM;
		b->s = s;
		b->cap = cap;
	}
	if (len) /* data may be NULL then */
		memcpy(b->s + b->len, data, len);
	b->len += len;
	b->s[b->len] = '\0';
	return 0;
}

void *dfo_grow(void *v, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return v;
	size_t n = *cap ? *cap : 8;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return NULL;
		n *= 2;
	}
	if (size && n > SIZE_MAX / size)
		return NULL;
	void *p = realloc(v, n * size);
	if (p)
		*cap = n;
	return p;
}

int dfo_sbuf_addf(struct dfo_sbuf *b, const char *fmt, ...)
{
	char *s;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	int rc = dfo_sbuf_add(b, s, (size_t)n);
	free(s);
	return rc;
}

double dfo_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* dfo_now() from which dfo_stopping() is true; +inf: not stopping. */
static _Atomic double stop_at = HUGE_VAL;

void dfo_stop_at(double when)
{
	stop_at = when;
}

bool dfo_stopping(void)
{
	sigset_t set;
	if (sigpending(&set) == 0 &&
	    (sigismember(&set, SIGTERM) == 1 || sigismember(&set, SIGINT) == 1))
		return true;
	double at = stop_at;
	return at != HUGE_VAL && dfo_now() >= at;
}

int dfo_file_read(const char *path, size_t max, char **data, size_t *len,
		  struct dfo_err *err)
{
	*data = NULL;
	*len = 0;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return dfo_err_set(err, -errno, "%s: %s", path,
				   strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int rc = dfo_err_set(err, -errno, "%s: %s", path,
				     strerror(errno));
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return dfo_err_set(err, -EINVAL, "%s: not a regular file",
				   path);
	}
	if ((unsigned long long)st.st_size > max) {
		close(fd);
		return dfo_err_set(err, -EFBIG, "%s: larger than %zu bytes",
				   path, max);
	}
	size_t cap = (size_t)st.st_size + 1, n = 0;
	char *buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return dfo_err_set(err, -ENOMEM, "%s: out of memory", path);
	}
	/* The file may grow while it is read: read until EOF, up to max. */
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				free(buf);
				close(fd);
				return dfo_err_set(err, -EFBIG,
						   "%s: larger than "
						   "%zu bytes",
						   path, max);
			}
			char *b = realloc(buf, cap * 2 + 1);
			if (!b) {
				free(buf);
				close(fd);
				return dfo_err_set(err, -ENOMEM,
						   "%s: out of "
						   "memory",
						   path);
			}
			buf = b;
			cap *= 2;
		}
		ssize_t got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int rc = dfo_err_set(err, -errno, "%s: %s", path,
					     strerror(errno));
			free(buf);
			close(fd);
			return rc;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	if (n > max) {
		free(buf);
		return dfo_err_set(err, -EFBIG, "%s: larger than %zu bytes",
				   path, max);
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int dfo_file_replace(const char *path, const void *data, size_t len,
		     mode_t mode, struct dfo_err *err)
{
	/* A symbolic link: replace its target, keep the link. */
	char target[PATH_MAX];
	struct stat st;
	bool exists = lstat(path, &st) == 0;
	if (exists && S_ISLNK(st.st_mode)) {
		if (!realpath(path, target))
			return dfo_err_set(err, -errno, "%s: %s", path,
					   strerror(errno));
		path = target;
		exists = stat(path, &st) == 0;
	}
	if (exists && !S_ISREG(st.st_mode))
		return dfo_err_set(err, -EINVAL, "%s: not a regular file",
				   path);

	size_t plen = strlen(path);
	char *tmp = malloc(plen + 16), *dir = strdup(path);
	if (!tmp || !dir) {
		free(tmp);
		free(dir);
		return dfo_err_set(err, -ENOMEM, "%s: out of memory", path);
	}
	/* FILE.tmp.XXXXXX beside it: rename() stays within one directory. */
	snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
	int rc = 0, fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = dfo_err_set(err, -errno,
				 "%s: cannot create a temporary "
				 "file beside it: %s",
				 path, strerror(errno));
		goto out;
	}
	mode_t m = mode != (mode_t)-1 ? mode
		   : exists	      ? st.st_mode & 07777
				      : 0644;
	if (fchmod(fd, m) < 0)
		rc = -errno;
	if (rc == 0 && mode == (mode_t)-1 && exists && geteuid() == 0 &&
	    fchown(fd, st.st_uid, st.st_gid) < 0)
		rc = -errno;
	if (rc == 0)
		rc = write_all(fd, data, len);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		dfo_err_set(err, rc, "%s: %s", path, strerror(-rc));
		unlink(tmp);
		goto out;
	}
	int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
out:
	free(tmp);
	free(dir);
	return rc;
}
