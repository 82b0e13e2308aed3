/*
 * dns "hosts": records kept in a local file in hosts(5) format, one
 * "ADDRESS NAME [NAME...]" per line, '#' comments kept as they are.
 * Several agents may share the file: every change holds an exclusive
 * flock(2) on FILE.lock, reads the file, checks the compare-and-set,
 * writes FILE.tmp.PID, fsyncs it and renames it over FILE, so a reader
 * sees the old file or the new one, never half of one.  Names compare
 * case-insensitively, with or without the final dot.  Hosts files carry
 * no TTL: records read have TTL 0.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dnsfailover/dnsfailover.h>

struct hosts {
	char *file;
	char *lock;
};

static cfg_opt_t hosts_opts[] = {
	CFG_STR("file", NULL, CFGF_NODEFAULT),
	CFG_END()};

static void hosts_destroy(void *state)
{
	struct hosts *h = state;
	if (!h)
		return;
	free(h->file);
	free(h->lock);
	free(h);
}

static int hosts_create(const char *instance, cfg_t *sec, void **state,
			struct dfo_err *err)
{
	const char *file = cfg_getstr(sec, "file");
	if (!file || !*file)
		return dfo_err_set(err, -EINVAL, "option 'file' is required");
	struct hosts *h = calloc(1, sizeof(*h));
	if (!h || !(h->file = strdup(file)) ||
	    asprintf(&h->lock, "%s.lock", file) < 0) {
		if (h)
			h->lock = NULL;
		hosts_destroy(h);
		return dfo_err_set(err, -ENOMEM, "out of memory");
	}
	*state = h;
	return 0;
}

/* Read the whole file; a missing file reads as empty. */
static int read_file(const char *path, char **data, struct dfo_err *err)
{
	*data = NULL;
	FILE *f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT) {
			*data = strdup("");
			return *data ? 0 : dfo_err_set(err, -ENOMEM, "out of memory");
		}
		return dfo_err_set(err, -errno, "%s: %s", path, strerror(errno));
	}
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	while (buf) {
		size_t r = fread(buf + len, 1, cap - len - 1, f);
		len += r;
		if (len + 1 < cap)
			break;
		cap *= 2;
		char *b = realloc(buf, cap);
		if (!b) {
			free(buf);
			buf = NULL;
		} else {
			buf = b;
		}
	}
	int ioerr = ferror(f);
	fclose(f);
	if (!buf)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	if (ioerr) {
		free(buf);
		return dfo_err_set(err, -EIO, "%s: read error", path);
	}
	buf[len] = '\0';
	*data = buf;
	return 0;
}

static bool name_eq(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	if (alen && a[alen - 1] == '.')
		alen--;
	if (blen && b[blen - 1] == '.')
		blen--;
	return alen == blen && strncasecmp(a, b, alen) == 0;
}

/* Call fn for each "ADDRESS NAME..." line that has an address; the rest
 * of the text stays where it is. */
struct line {
	const char *start, *end; /* the whole line, without its newline */
	struct dfo_addr addr;
	bool has_addr;
};

static const char *next_line(const char *p, struct line *l)
{
	if (!*p)
		return NULL;
	l->start = p;
	const char *nl = strchr(p, '\n');
	l->end = nl ? nl : p + strlen(p);
	l->has_addr = false;
	const char *q = p;
	while (q < l->end && (*q == ' ' || *q == '\t'))
		q++;
	const char *a = q;
	while (q < l->end && !isspace((unsigned char)*q) && *q != '#')
		q++;
	if (q > a && (size_t)(q - a) < DFO_ADDR_STRLEN) {
		char text[DFO_ADDR_STRLEN];
		memcpy(text, a, (size_t)(q - a));
		text[q - a] = '\0';
		l->has_addr = dfo_addr_parse(&l->addr, text) == 0;
	}
	return nl ? nl + 1 : l->end;
}

/* Iterate over the names of a line: returns the next name after *pos. */
static const char *next_name(const struct line *l, const char **pos,
			     size_t *len)
{
	const char *q = *pos;
	while (q < l->end && (*q == ' ' || *q == '\t'))
		q++;
	if (q >= l->end || *q == '#')
		return NULL;
	const char *n = q;
	while (q < l->end && !isspace((unsigned char)*q) && *q != '#')
		q++;
	*len = (size_t)(q - n);
	*pos = q;
	return n;
}

static const char *names_start(const struct line *l)
{
	const char *q = l->start;
	while (q < l->end && (*q == ' ' || *q == '\t'))
		q++;
	while (q < l->end && !isspace((unsigned char)*q))
		q++;
	return q;
}

static bool line_has_name(const struct line *l, const char *fqdn)
{
	const char *pos = names_start(l), *n;
	size_t len;
	while ((n = next_name(l, &pos, &len)))
		if (name_eq(n, len, fqdn))
			return true;
	return false;
}

static int parse_set(const char *data, const char *fqdn, struct dfo_rrset *out,
		     struct dfo_err *err)
{
	struct line l;
	for (const char *p = data; (p = next_line(p, &l));)
		if (l.has_addr && l.addr.family == out->family &&
		    line_has_name(&l, fqdn) && dfo_rrset_add(out, &l.addr) < 0)
			return dfo_err_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int hosts_list(void *state, const char *fqdn, struct dfo_rrset *out,
		      struct dfo_err *err)
{
	struct hosts *h = state;
	char *data;
	int rc = read_file(h->file, &data, err);
	if (rc < 0)
		return rc;
	rc = parse_set(data, fqdn, out, err);
	free(data);
	return rc;
}

/* Write data to FILE.tmp.PID, fsync, rename over FILE. */
static int replace_file(const char *path, const char *data, size_t len,
			struct dfo_err *err)
{
	char *tmp;
	if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	int rc = 0;
	mode_t mode = 0644;
	struct stat st;
	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = dfo_err_set(err, -errno, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return rc;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = dfo_err_set(err, -errno, "%s: %s", tmp, strerror(errno));
			break;
		}
		off += (size_t)w;
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = dfo_err_set(err, -errno, "%s: fsync: %s", tmp, strerror(errno));
	if (close(fd) < 0 && rc == 0)
		rc = dfo_err_set(err, -errno, "%s: %s", tmp, strerror(errno));
	if (rc == 0 && rename(tmp, path) < 0)
		rc = dfo_err_set(err, -errno, "rename %s: %s", path, strerror(errno));
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

struct out {
	char *buf;
	size_t len, cap;
};

static int out_put(struct out *o, const char *data, size_t len)
{
	if (o->len + len + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		while (cap < o->len + len + 1)
			cap *= 2;
		char *b = realloc(o->buf, cap);
		if (!b)
			return -ENOMEM;
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, data, len);
	o->len += len;
	o->buf[o->len] = '\0';
	return 0;
}

/* Rewrite `data` without `fqdn` on the lines of `addr`; a line left with
 * no name goes. */
static int without(const char *data, const char *fqdn,
		   const struct dfo_addr *addr, struct out *o)
{
	struct line l;
	for (const char *p = data, *next; (next = next_line(p, &l)); p = next) {
		size_t whole = (size_t)(next - l.start);
		if (!l.has_addr || !dfo_addr_equal(&l.addr, addr) ||
		    !line_has_name(&l, fqdn)) {
			if (out_put(o, l.start, whole) < 0)
				return -ENOMEM;
			continue;
		}
		/* Keep the address text and every other name and comment. */
		const char *ns = names_start(&l);
		char rebuilt[4096];
		size_t rl = 0;
		int kept = 0;
		if ((size_t)(ns - l.start) >= sizeof(rebuilt))
			return -E2BIG;
		memcpy(rebuilt, l.start, (size_t)(ns - l.start));
		rl = (size_t)(ns - l.start);
		const char *pos = ns, *n;
		size_t len;
		while ((n = next_name(&l, &pos, &len))) {
			if (name_eq(n, len, fqdn))
				continue;
			if (rl + len + 2 >= sizeof(rebuilt))
				return -E2BIG;
			rebuilt[rl++] = '\t';
			memcpy(rebuilt + rl, n, len);
			rl += len;
			kept++;
		}
		if (!kept)
			continue;
		const char *rest = pos; /* a trailing comment, if any */
		size_t restlen = (size_t)(l.end - rest);
		if (rl + restlen + 2 >= sizeof(rebuilt))
			return -E2BIG;
		memcpy(rebuilt + rl, rest, restlen);
		rl += restlen;
		if (*l.end == '\n')
			rebuilt[rl++] = '\n';
		if (out_put(o, rebuilt, rl) < 0)
			return -ENOMEM;
	}
	return 0;
}

enum op { OP_ADD, OP_DEL };

static int change(struct hosts *h, enum op op, const char *fqdn,
		  const struct dfo_addr *addr, const struct dfo_rrset *expected,
		  struct dfo_err *err)
{
	int lfd = open(h->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lfd < 0)
		return dfo_err_set(err, -errno, "%s: %s", h->lock, strerror(errno));
	while (flock(lfd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int rc = dfo_err_set(err, -errno, "%s: lock: %s", h->lock,
					     strerror(errno));
			close(lfd);
			return rc;
		}
	}
	char *data = NULL;
	struct out o = {0};
	struct dfo_rrset cur;
	dfo_rrset_init(&cur, addr->family);
	int rc = read_file(h->file, &data, err);
	if (rc == 0)
		rc = parse_set(data, fqdn, &cur, err);
	if (rc == 0 && expected && !dfo_rrset_same(&cur, expected)) {
		rc = dfo_err_set(err, DFO_ESTALE,
				 "%s changed since it was read (%zu record(s) now, "
				 "%zu expected)", fqdn, cur.count, expected->count);
		goto out;
	}
	if (rc < 0)
		goto out;
	bool present = dfo_rrset_contains(&cur, addr);
	if ((op == OP_ADD && present) || (op == OP_DEL && !present))
		goto out; /* nothing to do */
	if (op == OP_ADD) {
		char a[DFO_ADDR_STRLEN], line[DFO_ADDR_STRLEN + 300];
		size_t dlen = strlen(data);
		int n = snprintf(line, sizeof(line), "%s%s\t%s\n",
				 dlen && data[dlen - 1] != '\n' ? "\n" : "",
				 dfo_addr_format(addr, a, sizeof(a)), fqdn);
		if (n < 0 || (size_t)n >= sizeof(line)) {
			rc = dfo_err_set(err, -ENAMETOOLONG, "name too long");
			goto out;
		}
		if (out_put(&o, data, dlen) < 0 || out_put(&o, line, (size_t)n) < 0)
			rc = -ENOMEM;
	} else {
		rc = without(data, fqdn, addr, &o);
	}
	if (rc < 0) {
		dfo_err_set(err, rc, "%s: %s", h->file, strerror(-rc));
		goto out;
	}
	rc = replace_file(h->file, o.buf ? o.buf : "", o.len, err);
out:
	dfo_rrset_clear(&cur);
	free(o.buf);
	free(data);
	close(lfd); /* releases the lock */
	return rc;
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
};

static int hosts_init(struct dfo_registry *reg, struct dfo_err *err)
{
	return dfo_register_dns(reg, &hosts_provider);
}

DFO_MODULE("dns_hosts", hosts_init);
