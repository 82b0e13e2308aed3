/*
 * Test-only LD_PRELOAD library: watches every write of a file that is
 * replaced by rename() (as the hosts provider does), so that a test can
 * check an invariant at each write rather than by sampling.
 *
 * At each rename()/renameat() onto $DFO_WATCH_FILE, it counts the lines
 * of the new file (the rename's source) that name $DFO_WATCH_NAME, and
 * appends that number, a line, to $DFO_WATCH_LOG (O_APPEND: agents may
 * write it at once).  A write that leaves the name with no record shows
 * as a 0.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static bool same_file(const char *path, const char *watch)
{
	char a[PATH_MAX], b[PATH_MAX];
	if (strcmp(path, watch) == 0)
		return true;
	return realpath(path, a) && realpath(watch, b) && strcmp(a, b) == 0;
}

/* Lines of `src` with `name` among the names after the address. */
static int count_records(const char *src, const char *name)
{
	FILE *f = fopen(src, "re");
	if (!f)
		return -1;
	char line[8192];
	int n = 0;
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *w = strtok_r(line, " \t\r\n", &save);
		if (!w || w[0] == '#')
			continue;
		while ((w = strtok_r(NULL, " \t\r\n", &save))) {
			if (w[0] == '#')
				break;
			size_t l = strlen(w);
			if (l && w[l - 1] == '.')
				w[--l] = '\0';
			if (strcasecmp(w, name) == 0) {
				n++;
				break;
			}
		}
	}
	fclose(f);
	return n;
}

static void watch(const char *src, const char *dst)
{
	const char *file = getenv("DFO_WATCH_FILE"),
		   *name = getenv("DFO_WATCH_NAME"),
		   *log = getenv("DFO_WATCH_LOG");
	if (!file || !name || !log || !dst || !same_file(dst, file))
		return;
	int n = count_records(src, name);
	char buf[64];
	int len = snprintf(buf, sizeof(buf), "%d %d\n", n, (int)getpid());
	int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		ssize_t w = write(fd, buf, (size_t)len);
		(void)w;
		close(fd);
	}
}

int rename(const char *src, const char *dst)
{
	static int (*real)(const char *, const char *);
	if (!real)
		real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT,
								  "rename");
	watch(src, dst);
	return real(src, dst);
}

int renameat(int sfd, const char *src, int dfd, const char *dst)
{
	static int (*real)(int, const char *, int, const char *);
	if (!real)
		real = (int (*)(int, const char *, int, const char *))dlsym(
			RTLD_NEXT, "renameat");
	if ((sfd == AT_FDCWD || src[0] == '/') &&
	    (dfd == AT_FDCWD || dst[0] == '/'))
		watch(src, dst);
	return real(sfd, src, dfd, dst);
}
