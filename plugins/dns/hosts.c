/*
 * dns "hosts": records kept in a local file in hosts(5) format, one
 * "ADDRESS NAME [NAME...]" per line, '#' comments kept as they are.
 *
 * The file is handled as bytes: lines end at '\n', fields are separated
 * by blanks (space, tab, '\r', '\v', '\f'), and every byte the agent does
 * not mean to change -- other lines, other names, spacing, comments, '\r'
 * line ends, NUL or non-UTF-8 bytes -- is written back as it was read.
 * Removing a name removes only that name and the blanks before it; a line
 * left with no name goes.  Names compare case-insensitively (ASCII), with
 * or without the final dot.  Hosts files carry no TTL: records read have
 * TTL 0.
 *
 * Several agents may share the file.  A path that is a symlink is
 * followed: the file it names is the one read, locked and replaced (the
 * link stays).  Every change holds an exclusive flock(2) on TARGET.lock,
 * waiting at most `lock_timeout` seconds (and giving up at once when the
 * agent is stopping, dfo_stopping()), reads the file, checks the
 * compare-and-set (and refuses to delete the last record of a name and
 * family), writes TARGET.tmp.PID, fsyncs it, renames it over
 * TARGET and fsyncs the directory, so a reader sees the old file or the
 * new one, never half of one.  Temporary files are only ever written under
 * the lock, so one found while holding it is the leftover of a writer
 * that died: it is removed.  The path must be a regular file (or not exist
 * yet); a FIFO or device is refused, and at most 16 MiB are read.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <dnsfailover/dnsfailover.h>

#define HOSTS_MAX_SIZE (16u << 20)

struct hosts {
	char *file;
	double lock_timeout;
};

static cfg_opt_t hosts_opts[] = {CFG_STR("file", NULL, CFGF_NODEFAULT),
				 CFG_FLOAT("lock_timeout", 10, CFGF_NONE),
				 CFG_END()};

static void hosts_destroy(void *state)
{
	struct hosts *h = state;
	if (!h)
		return;
	free(h->file);
	free(h);
}

static int hosts_create(const char *instance, cfg_t *sec, void **state,
			struct dfo_err *err)
{
	(void)instance;
	const char *file = cfg_getstr(sec, "file");
	if (!file || !*file)
		return dfo_err_set(err, -EINVAL, "option 'file' is required");
	double lt = cfg_getfloat(sec, "lock_timeout");
	if (!(lt > 0 && lt <= 3600))
		return dfo_err_set(
			err, -EINVAL,
			"lock_timeout must be more than 0 and at most "
			"3600 seconds, not %g",
			lt);
	/* What cannot work is refused now: a FIFO, a device, a directory, a
	 * symlink to nothing.  (A missing file or directory may be created
	 * before the agent starts.) */
	struct stat st;
	if (stat(file, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return dfo_err_set(err, -EINVAL,
					   "file %s is not a regular file",
					   file);
	} else if (lstat(file, &st) == 0) {
		return dfo_err_set(err, -ENOENT,
				   "file %s is a symlink to a file that does "
				   "not exist",
				   file);
	}
	/* Written through a temporary file and a lock beside it: a
	 * directory this user cannot write (a read-only /etc under
	 * dnsfailover.service) would fail every round. */
	char dir[4096];
	const char *slash = strrchr(file, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - file) : 1,
		 slash ? (slash == file ? "/" : file) : ".");
	if (stat(dir, &st) == 0 && access(dir, W_OK) < 0)
		return dfo_err_set(err, -EACCES,
				   "file %s: directory %s is not writable by "
				   "uid %u: %s",
				   file, dir, (unsigned)getuid(),
				   strerror(errno));
	struct hosts *h = calloc(1, sizeof(*h));
	if (!h || !(h->file = strdup(file))) {
		free(h);
		return dfo_err_set(err, -ENOMEM, "out of memory");
	}
	h->lock_timeout = lt;
	*state = h;
	return 0;
}

/* ---- the file as bytes ---- */

struct text {
	char *p;
	size_t len;
};

/* Read the whole regular file at `path` (a missing file reads as empty,
 * *st zeroed).  Never blocks on a FIFO or reads a device. */
static int read_file(const char *path, struct text *t, struct stat *st,
		     struct dfo_err *err)
{
	t->p = NULL;
	t->len = 0;
	memset(st, 0, sizeof(*st));
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return dfo_err_set(err, -errno, "%s: %s", path,
				   strerror(errno));
	}
	int rc = 0;
	if (fstat(fd, st) < 0) {
		rc = dfo_err_set(err, -errno, "%s: %s", path, strerror(errno));
	} else if (!S_ISREG(st->st_mode)) {
		rc = dfo_err_set(err, -EINVAL, "%s: not a regular file", path);
	} else if ((unsigned long long)st->st_size > HOSTS_MAX_SIZE) {
		rc = dfo_err_set(err, -EFBIG, "%s: larger than %u bytes", path,
				 HOSTS_MAX_SIZE);
	}
	size_t cap = rc == 0 ? (size_t)st->st_size + 1 : 0;
	char *buf = rc == 0 ? malloc(cap) : NULL;
	if (rc == 0 && !buf)
		rc = dfo_err_set(err, -ENOMEM, "out of memory");
	size_t len = 0;
	while (rc == 0) {
		if (len == cap) { /* it grew while being read */
			if (cap > HOSTS_MAX_SIZE) {
				rc = dfo_err_set(err, -EFBIG,
						 "%s: larger than %u bytes",
						 path, HOSTS_MAX_SIZE);
				break;
			}
			char *b = realloc(buf, cap *= 2);
			if (!b) {
				rc = dfo_err_set(err, -ENOMEM, "out of memory");
				break;
			}
			buf = b;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			rc = dfo_err_set(err, -errno, "%s: %s", path,
					 strerror(errno));
		else if (r == 0)
			break;
		else
			len += (size_t)r;
	}
	close(fd);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	t->p = buf;
	t->len = len;
	return 0;
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' ||
	       ch == '\f';
}

static unsigned char ascii_lower(unsigned char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (unsigned char)(ch - 'A' + 'a') : ch;
}

/* A name of the file (bytes, any of them) against a valid fqdn. */
static bool name_eq(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	if (alen && a[alen - 1] == '.')
		alen--;
	if (blen && b[blen - 1] == '.')
		blen--;
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (ascii_lower((unsigned char)a[i]) !=
		    ascii_lower((unsigned char)b[i]))
			return false;
	return true;
}

struct line {
	const char *start, *end; /* the line, without its '\n' */
	const char *next;	 /* the byte after its '\n' (or end) */
	const char *names;	 /* just after the address field */
	struct dfo_addr addr;
	bool has_addr;
};

/* A field: non-blank bytes up to a blank, a '#' or the end of the line. */
static const char *field_end(const char *q, const char *end)
{
	while (q < end && !is_blank(*q) && *q != '#')
		q++;
	return q;
}

static const char *skip_blanks(const char *q, const char *end)
{
	while (q < end && is_blank(*q))
		q++;
	return q;
}

/* The line at p (p < limit). */
static void line_at(const char *p, const char *limit, struct line *l)
{
	const char *nl = memchr(p, '\n', (size_t)(limit - p));
	l->start = p;
	l->end = nl ? nl : limit;
	l->next = nl ? nl + 1 : limit;
	l->has_addr = false;
	const char *a = skip_blanks(p, l->end);
	const char *q = field_end(a, l->end);
	l->names = q;
	size_t n = (size_t)(q - a);
	if (n > 0 && n < DFO_ADDR_STRLEN && !memchr(a, '\0', n)) {
		char text[DFO_ADDR_STRLEN];
		memcpy(text, a, n);
		text[n] = '\0';
		l->has_addr = dfo_addr_parse(&l->addr, text) == 0;
	}
}

/* The next line of t into *l, from *p (t->p at first), *p moved past it;
 * false at the end of the text. */
static bool line_next(const struct text *t, const char **p, struct line *l)
{
	const char *limit = t->p + t->len;
	if (*p >= limit)
		return false;
	line_at(*p, limit, l);
	*p = l->next;
	return true;
}

/* The next name of a line from *pos: its start and length, *pos moved
 * past it; NULL at the end of the names (end of line or a comment). */
static const char *next_name(const struct line *l, const char **pos,
			     size_t *len)
{
	const char *n = skip_blanks(*pos, l->end);
	if (n >= l->end || *n == '#')
		return NULL;
	const char *q = field_end(n, l->end); /* q > n: *n is not a stop */
	*len = (size_t)(q - n);
	*pos = q;
	return n;
}

static bool line_has_name(const struct line *l, const char *fqdn)
{
	const char *pos = l->names, *n;
	size_t len;
	while ((n = next_name(l, &pos, &len)))
		if (name_eq(n, len, fqdn))
			return true;
	return false;
}

/* The parsers of a read: the text's records of a name into `out`. */
typedef int parse_fn(const struct text *t, const char *name, void *out,
		     struct dfo_err *err);

/* `name`'s addresses of out's family (a struct dfo_rrset). */
static int parse_set(const struct text *t, const char *fqdn, void *set,
		     struct dfo_err *err)
{
	struct dfo_rrset *out = set;
	struct line l;
	for (const char *p = t->p; line_next(t, &p, &l);) {
		if (l.has_addr && l.addr.family == out->family &&
		    line_has_name(&l, fqdn) && dfo_rrset_add(out, &l.addr) < 0)
			return dfo_err_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

static int check_name(const char *fqdn, struct dfo_err *err)
{
	char why[160];
	if (!dfo_fqdn_valid(fqdn, why, sizeof(why)))
		return dfo_err_set(err, -EINVAL, "invalid name: %s", why);
	return 0;
}

/* Read the file and parse `name`'s records (a valid name) into out. */
static int read_parse(struct hosts *h, const char *name, parse_fn *parse,
		      void *out, struct dfo_err *err)
{
	struct text t;
	struct stat st;
	int rc = check_name(name, err);
	if (rc == 0)
		rc = read_file(h->file, &t, &st, err);
	if (rc < 0)
		return rc;
	rc = parse(&t, name, out, err);
	free(t.p);
	return rc;
}

static int hosts_list(void *state, const char *fqdn, struct dfo_rrset *out,
		      struct dfo_err *err)
{
	return read_parse(state, fqdn, parse_set, out, err);
}

/* A line of `parts` (NULL-ended) at the end of o, on a line of its own:
 * eol first if o's last line has none. */
static int add_line(struct dfo_sbuf *o, const char *eol,
		    const char *const *parts)
{
	if (o->len && o->s[o->len - 1] != '\n' &&
	    dfo_sbuf_add(o, eol, strlen(eol)) < 0)
		return -ENOMEM;
	for (; *parts; parts++)
		if (dfo_sbuf_add(o, *parts, strlen(*parts)) < 0)
			return -ENOMEM;
	return dfo_sbuf_add(o, eol, strlen(eol)) < 0 ? -ENOMEM : 0;
}

/* ---- output ---- */

/* The text without `fqdn` on the lines of `addr`: each such name goes with
 * the blanks before it; a line left with no name goes whole. */
static int without(const struct text *t, const char *fqdn,
		   const struct dfo_addr *addr, struct dfo_sbuf *o)
{
	struct line l;
	for (const char *p = t->p; line_next(t, &p, &l);) {
		if (!l.has_addr || !dfo_addr_equal(&l.addr, addr) ||
		    !line_has_name(&l, fqdn)) {
			if (dfo_sbuf_add(o, l.start,
					 (size_t)(l.next - l.start)) < 0)
				return -ENOMEM;
			continue;
		}
		size_t mark = o->len;
		const char *copied = l.start, *pos = l.names, *n;
		size_t len;
		int kept = 0;
		while ((n = next_name(&l, &pos, &len))) {
			if (!name_eq(n, len, fqdn)) {
				kept++;
				continue;
			}
			/* Copy up to the blanks before this name. */
			const char *cut = n;
			while (cut > copied && is_blank(cut[-1]))
				cut--;
			if (dfo_sbuf_add(o, copied, (size_t)(cut - copied)) < 0)
				return -ENOMEM;
			copied = n + len;
		}
		if (!kept) {
			o->len = mark; /* the line goes */
			continue;
		}
		if (dfo_sbuf_add(o, copied, (size_t)(l.next - copied)) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* ---- the change ---- */

/* The file a change edits: the path with its symlinks resolved (the
 * path itself if it does not exist yet). */
static int resolve(const char *path, char **target, struct dfo_err *err)
{
	char *r = realpath(path, NULL);
	if (r) {
		*target = r;
		return 0;
	}
	if (errno != ENOENT)
		return dfo_err_set(err, -errno, "%s: %s", path,
				   strerror(errno));
	struct stat st;
	if (lstat(path, &st) == 0)
		return dfo_err_set(err, -ENOENT,
				   "%s: symlink to a file that does not exist",
				   path);
	if (!(*target = strdup(path)))
		return dfo_err_set(err, -ENOMEM, "out of memory");
	return 0;
}

/* Lock `lock` exclusively within `timeout` seconds: the descriptor that
 * holds it, or negative. */
static int lock_take(const char *lock, double timeout, struct dfo_err *err)
{
	int fd = open(lock,
		      O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK |
			      O_NOCTTY,
		      0644);
	if (fd < 0)
		return dfo_err_set(err, -errno, "%s: %s", lock,
				   strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return dfo_err_set(err, -EINVAL, "%s: not a regular file",
				   lock);
	}
	double deadline = dfo_now() + timeout;
	long wait_us = 1000;
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		int e = errno;
		if (e != EWOULDBLOCK && e != EINTR) {
			close(fd);
			return dfo_err_set(err, -e, "%s: lock: %s", lock,
					   strerror(e));
		}
		if (dfo_stopping()) {
			close(fd);
			return dfo_err_set(err, -EINTR,
					   "%s: gave up waiting for the lock: "
					   "stopping",
					   lock);
		}
		double left = deadline - dfo_now();
		if (left <= 0) {
			close(fd);
			return dfo_err_set(
				err, -ETIMEDOUT,
				"%s: still locked by another process "
				"after %g s",
				lock, timeout);
		}
		long us = wait_us;
		if (us > (long)(left * 1e6) + 1)
			us = (long)(left * 1e6) + 1;
		struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
		nanosleep(&ts, NULL);
		if (wait_us < 50000)
			wait_us *= 2;
	}
}

/* Remove "BASE.tmp.DIGITS" files of `target`'s directory: written only
 * under the lock, which the caller holds, they are leftovers of a writer
 * that died. */
static void remove_stale_temps(const char *target)
{
	char *dcopy = strdup(target), *bcopy = strdup(target);
	if (!dcopy || !bcopy)
		goto out;
	const char *dir = dirname(dcopy), *base = basename(bcopy);
	size_t blen = strlen(base);
	DIR *d = opendir(dir);
	if (!d)
		goto out;
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		if (strncmp(n, base, blen) != 0 ||
		    strncmp(n + blen, ".tmp.", 5))
			continue;
		const char *digits = n + blen + 5;
		if (!*digits || strspn(digits, "0123456789") != strlen(digits))
			continue;
		if (unlinkat(dirfd(d), n, 0) == 0)
			dfo_log(DFO_LOG_NOTICE,
				"removed %s/%s, left by a writer that died",
				dir, n);
	}
	closedir(d);
out:
	free(dcopy);
	free(bcopy);
}

/* Write data to TARGET.tmp.PID (mode and owner of the file it replaces),
 * fsync, rename over TARGET, fsync the directory. */
static int replace_file(const char *target, const struct stat *old,
			const char *data, size_t len, struct dfo_err *err)
{
	char *tmp;
	if (asprintf(&tmp, "%s.tmp.%d", target, (int)getpid()) < 0)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	int rc = 0;
	mode_t mode = old->st_mode ? old->st_mode & 07777 : 0644;
	int fd =
		open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		     mode);
	if (fd < 0) {
		rc = dfo_err_set(err, -errno, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return rc;
	}
	if (old->st_mode) {
		/* Keep the owner when allowed (root); else it is ours. */
		if ((old->st_uid != geteuid() || old->st_gid != getegid()) &&
		    fchown(fd, old->st_uid, old->st_gid) < 0)
			dfo_log(DFO_LOG_DEBUG, "%s: cannot keep the owner: %s",
				target, strerror(errno));
		if (fchmod(fd, mode) < 0) /* whatever the umask */
			rc = dfo_err_set(err, -errno, "%s: %s", tmp,
					 strerror(errno));
	}
	size_t off = 0;
	while (rc == 0 && off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			rc = dfo_err_set(err, -errno, "%s: %s", tmp,
					 strerror(errno));
		else
			off += (size_t)w;
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = dfo_err_set(err, -errno, "%s: fsync: %s", tmp,
				 strerror(errno));
	if (close(fd) < 0 && rc == 0)
		rc = dfo_err_set(err, -errno, "%s: %s", tmp, strerror(errno));
	if (rc == 0 && rename(tmp, target) < 0)
		rc = dfo_err_set(err, -errno, "rename %s: %s", target,
				 strerror(errno));
	if (rc < 0) {
		unlink(tmp);
	} else {
		char *dcopy = strdup(target);
		int dfd = dcopy ? open(dirname(dcopy),
				       O_RDONLY | O_DIRECTORY | O_CLOEXEC)
				: -1;
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
		free(dcopy);
	}
	free(tmp);
	return rc;
}

enum op { OP_ADD, OP_DEL };

/* Resolve the file and take its lock: the lock's descriptor (close it to
 * release) and *target (free it), or negative. */
static int lock_file(struct hosts *h, char **target, struct dfo_err *err)
{
	char *lock = NULL;
	int rc = resolve(h->file, target, err);
	if (rc < 0)
		return rc;
	if (asprintf(&lock, "%s.lock", *target) < 0) {
		free(*target);
		return dfo_err_set(err, -ENOMEM, "out of memory");
	}
	int lfd = lock_take(lock, h->lock_timeout, err);
	free(lock);
	if (lfd < 0) {
		free(*target);
		return lfd;
	}
	remove_stale_temps(*target);
	return lfd;
}

/* An edit of the file's text t (read under the lock from target) into
 * o; *changed when the file is to be replaced by o. */
typedef int edit_fn(const struct text *t, const char *target, void *arg,
		    struct dfo_sbuf *o, bool *changed, struct dfo_err *err);

/* Under the file's lock: read it, edit it, replace it if changed. */
static int edit_file(struct hosts *h, edit_fn *edit, void *arg,
		     struct dfo_err *err)
{
	char *target = NULL;
	int lfd = lock_file(h, &target, err);
	if (lfd < 0)
		return lfd;
	struct text t = {0};
	struct stat st;
	struct dfo_sbuf o = {0};
	bool changed = false;
	int rc = read_file(target, &t, &st, err);
	if (rc == 0)
		rc = edit(&t, target, arg, &o, &changed, err);
	if (rc == 0 && changed)
		rc = replace_file(target, &st, o.s ? o.s : "", o.len, err);
	free(o.s);
	free(t.p);
	free(target);
	close(lfd); /* releases the lock */
	return rc;
}

struct change {
	enum op op;
	const char *fqdn;
	const struct dfo_addr *addr;
	const struct dfo_rrset *expected;
};

static int change_edit(const struct text *t, const char *target, void *arg,
		       struct dfo_sbuf *o, bool *changed, struct dfo_err *err)
{
	const struct change *c = arg;
	const char *fqdn = c->fqdn;
	const struct dfo_addr *addr = c->addr;
	struct dfo_rrset cur;
	dfo_rrset_init(&cur, addr->family);
	int rc = parse_set(t, fqdn, &cur, err);
	if (rc < 0)
		goto out;
	if (c->expected && !dfo_rrset_same(&cur, c->expected)) {
		rc = dfo_err_set(
			err, DFO_ESTALE,
			"%s changed since it was read (%zu record(s) now, "
			"%zu expected)",
			fqdn, cur.count, c->expected->count);
		goto out;
	}
	bool present = dfo_rrset_contains(&cur, addr);
	if ((c->op == OP_ADD && present) || (c->op == OP_DEL && !present))
		goto out; /* nothing to do */
	char a[DFO_ADDR_STRLEN];
	dfo_addr_format(addr, a, sizeof(a));
	/* Never the last record, even when asked (an operator's --try): the
	 * name would vanish.  Read under the lock, so this also stops the
	 * second of two agents that each took the other for dead. */
	if (c->op == OP_DEL && cur.count == 1) {
		rc = dfo_err_set(err, DFO_ELAST,
				 "not deleting %s: it is the last "
				 "%s record of %s",
				 a, addr->family == AF_INET6 ? "AAAA" : "A",
				 fqdn);
		goto out;
	}
	if (c->op == OP_ADD) {
		/* Append a line, in the file's own line ending. */
		const char *eol = "\n";
		const char *nl = t->len ? memrchr(t->p, '\n', t->len) : NULL;
		if (nl && nl > t->p && nl[-1] == '\r')
			eol = "\r\n";
		rc = dfo_sbuf_add(o, t->p, t->len) < 0
			     ? -ENOMEM
			     : add_line(o, eol,
					(const char *const[]){a, "\t", fqdn,
							      NULL});
	} else {
		rc = without(t, fqdn, addr, o);
	}
	if (rc < 0)
		dfo_err_set(err, rc, "%s: %s", target, strerror(-rc));
	*changed = rc == 0;
out:
	dfo_rrset_clear(&cur);
	return rc;
}

static int change(struct hosts *h, enum op op, const char *fqdn,
		  const struct dfo_addr *addr, const struct dfo_rrset *expected,
		  struct dfo_err *err)
{
	int rc = check_name(fqdn, err);
	if (rc < 0)
		return rc;
	struct change c = {op, fqdn, addr, expected};
	return edit_file(h, change_edit, &c, err);
}

static int hosts_add(void *state, const char *fqdn, const struct dfo_addr *addr,
		     const struct dfo_rrset *expected, struct dfo_err *err)
{
	return change(state, OP_ADD, fqdn, addr, expected, err);
}

static int hosts_del(void *state, const char *fqdn, const struct dfo_addr *addr,
		     const struct dfo_rrset *expected, struct dfo_err *err)
{
	return change(state, OP_DEL, fqdn, addr, expected, err);
}

/* ---- state records: "#dfo-txt NAME TEXT" comment lines ---- */

#define TXT_TAG "#dfo-txt "

/* If the line is a state record of `name`, its text (up to l->end). */
static const char *state_text(const struct line *l, const char *name,
			      size_t *len)
{
	size_t tag = strlen(TXT_TAG);
	if ((size_t)(l->end - l->start) <= tag ||
	    memcmp(l->start, TXT_TAG, tag) != 0)
		return NULL;
	const char *n = l->start + tag;
	const char *q = n;
	while (q < l->end && *q != ' ')
		q++;
	if (q >= l->end || !name_eq(n, (size_t)(q - n), name))
		return NULL;
	*len = (size_t)(l->end - (q + 1));
	return q + 1;
}

static bool text_is(const char *t, size_t len, const char *text)
{
	return text && strlen(text) == len && memcmp(t, text, len) == 0;
}

/* `name`'s state texts (a struct dfo_txtset). */
static int parse_state(const struct text *t, const char *name, void *set,
		       struct dfo_err *err)
{
	struct dfo_txtset *out = set;
	struct line l;
	for (const char *p = t->p; line_next(t, &p, &l);) {
		size_t len;
		const char *x = state_text(&l, name, &len);
		if (!x || len == 0 || len > DFO_TXT_MAX)
			continue;
		char buf[DFO_TXT_MAX + 1];
		memcpy(buf, x, len);
		buf[len] = '\0';
		int rc = dfo_txt_valid(buf) ? dfo_txtset_add(out, buf) : 0;
		if (rc < 0)
			return dfo_err_set(err, rc, "out of memory");
	}
	return 0;
}

static int hosts_state_list(void *state, const char *name,
			    struct dfo_txtset *out, struct dfo_err *err)
{
	return read_parse(state, name, parse_state, out, err);
}

struct state_change {
	const char *name, *del, *add;
};

/* The text without the first state record `del` of `name`, and with
 * `add` appended unless present.  *changed tells if anything did. */
static int state_edit(const struct text *t, const char *target, void *arg,
		      struct dfo_sbuf *o, bool *changed, struct dfo_err *err)
{
	const struct state_change *c = arg;
	struct line l;
	bool deleted = false, present = false;
	int rc = 0;
	*changed = false;
	for (const char *p = t->p; rc == 0 && line_next(t, &p, &l);) {
		size_t len;
		const char *x = state_text(&l, c->name, &len);
		if (x && !deleted && text_is(x, len, c->del)) {
			deleted = *changed = true;
			continue;
		}
		present |= x && text_is(x, len, c->add);
		if (dfo_sbuf_add(o, l.start, (size_t)(l.next - l.start)) < 0)
			rc = -ENOMEM;
	}
	if (rc == 0 && c->add && !present) {
		*changed = true;
		rc = add_line(o, "\n",
			      (const char *const[]){TXT_TAG, c->name, " ",
						    c->add, NULL});
	}
	if (rc < 0)
		dfo_err_set(err, rc, "%s: %s", target, strerror(-rc));
	return rc;
}

/* One record out, one in, under the lock.  `expected` is not needed: the
 * change touches only the records named. */
static int hosts_state_change(void *state, const char *name, const char *del,
			      const char *add,
			      const struct dfo_txtset *expected, uint32_t ttl,
			      struct dfo_err *err)
{
	(void)expected;
	(void)ttl; /* hosts files carry no TTL */
	int rc = check_name(name, err);
	if (rc < 0)
		return rc;
	if ((del && !dfo_txt_valid(del)) || (add && !dfo_txt_valid(add)))
		return dfo_err_set(err, -EINVAL, "not a valid state text");
	struct state_change c = {name, del, add};
	return edit_file(state, state_edit, &c, err);
}

static const struct dfo_dns_provider hosts_provider = {
	.size = sizeof(struct dfo_dns_provider),
	.name = "hosts",
	.description = "records in a local hosts(5) file (offline default)",
	.options = hosts_opts,
	.create = hosts_create,
	.destroy = hosts_destroy,
	.flags = DFO_DNS_CAS,
	.list = hosts_list,
	.add = hosts_add,
	.del = hosts_del,
	.state_list = hosts_state_list,
	.state_change = hosts_state_change,
};

static int hosts_init(struct dfo_registry *reg, struct dfo_err *err)
{
	(void)err;
	return dfo_register_dns(reg, &hosts_provider);
}

DFO_MODULE("dns_hosts", hosts_init);
