/* Loading plugin modules with libltdl. */
#include "config.h"

#include <dirent.h>
#include <elf.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ltdl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"

struct dfo_loader {
	lt_dlhandle *h;
	char **path; /* path[i] is the file of h[i] */
	size_t n, cap;
};

const char *dfo_default_plugin_dir(void)
{
	const char *env = getenv("DNSFAILOVER_PLUGIN_DIR");
	return env && *env ? env : PLUGINDIR;
}

static bool is_module_name(const char *name)
{
	size_t len = strlen(name);
	return name[0] != '.' && len > 3 && strcmp(name + len - 3, ".so") == 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Open one module, check its ABI and let it register. */
static bool is_loaded(const struct dfo_loader *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->path[i], path) == 0)
			return true;
	return false;
}

/* A shared object cut short (a copy interrupted, a full disk) makes
 * dlopen() map pages past its end and die of SIGBUS: check that every
 * segment and the header tables lie within the file first. */
static int elf_check(const char *path, struct dfo_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return dfo_err_set(err, -errno, "%s: %s", path,
				   strerror(errno));
	struct stat st;
	Elf64_Ehdr eh;
	const char *bad = NULL;
	unsigned long long end = 0, size = 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		bad = "not a regular file";
	else if ((size = (unsigned long long)st.st_size) < sizeof(eh) ||
		 pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
		 memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
		 eh.e_ident[EI_CLASS] != ELFCLASS64)
		bad = "not a 64-bit ELF shared object";
	else if (eh.e_phentsize != sizeof(Elf64_Phdr) ||
		 (end = eh.e_phoff + (unsigned long long)eh.e_phnum *
					     sizeof(Elf64_Phdr)) > size)
		bad = "program headers beyond the end of the file";
	else if (eh.e_shoff &&
		 (end = eh.e_shoff +
			(unsigned long long)eh.e_shnum * eh.e_shentsize) > size)
		bad = "section headers beyond the end of the file";
	for (unsigned i = 0; !bad && i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof(ph),
			  (off_t)(eh.e_phoff + i * sizeof(ph))) !=
		    (ssize_t)sizeof(ph))
			bad = "unreadable program header";
		else if (ph.p_type == PT_LOAD &&
			 (end = ph.p_offset + ph.p_filesz) > size)
			bad = "a segment ends beyond the end of the file";
	}
	close(fd);
	if (!bad)
		return 0;
	if (end > size)
		return dfo_err_set(err, -ENOEXEC,
				   "%s: cannot load: truncated "
				   "or corrupt (%s: byte %llu of %llu)",
				   path, bad, end, size);
	return dfo_err_set(err, -ENOEXEC, "%s: cannot load: %s", path, bad);
}

/* While a module is opened and initialised, a crash names it: on stderr,
 * and as a record "\1PATH\0" on the descriptor set with
 * dfo_loader_crash_fd() (a checking child's pipe to its parent). */
static const char *volatile loading;
static int crash_fd = -1;
static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};

void dfo_loader_crash_fd(int fd)
{
	crash_fd = fd;
}

static void put(int fd, const char *s)
{
	ssize_t w = write(fd, s, strlen(s));
	(void)w;
}

static void crash_handler(int sig)
{
	const char *path = loading;
	if (path) {
		put(STDERR_FILENO, "dnsfailover: module ");
		put(STDERR_FILENO, path);
		put(STDERR_FILENO, " crashed while loading (");
		put(STDERR_FILENO,
		    sigabbrev_np(sig) ? sigabbrev_np(sig) : "signal");
		put(STDERR_FILENO, ")\n");
		if (crash_fd >= 0) {
			put(crash_fd, "\1");
			ssize_t w = write(crash_fd, path, strlen(path) + 1);
			(void)w;
		}
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void crash_guard(const char *path, struct sigaction *old)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = crash_handler;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	loading = path;
	for (size_t i = 0; i < sizeof(crash_signals) / sizeof(*crash_signals);
	     i++)
		sigaction(crash_signals[i], &sa, &old[i]);
}

static void crash_unguard(const struct sigaction *old)
{
	for (size_t i = 0; i < sizeof(crash_signals) / sizeof(*crash_signals);
	     i++)
		sigaction(crash_signals[i], &old[i], NULL);
	loading = NULL;
}

/* Open one module, check its ABI and let it register. */
static int load_one(struct dfo_loader *l, struct dfo_registry *reg,
		    const char *path, struct dfo_err *err)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		lt_dlhandle *v = realloc(l->h, cap * sizeof(*v));
		if (v)
			l->h = v;
		char **p = v ? realloc(l->path, cap * sizeof(*p)) : NULL;
		if (!p)
			return dfo_err_set(err, -ENOMEM, "%s: out of memory",
					   path);
		l->path = p;
		l->cap = cap;
	}
	int rc = elf_check(path, err);
	if (rc < 0)
		return rc;
	char *copy = strdup(path);
	if (!copy)
		return dfo_err_set(err, -ENOMEM, "%s: out of memory", path);
	struct sigaction old[sizeof(crash_signals) / sizeof(*crash_signals)];
	crash_guard(path, old);
	lt_dlhandle h = lt_dlopen(path);
	char why[512];
	if (!h) {
		/* libltdl tries several loaders and reports the last one's
		 * failure: "file not found" for a file that is there but
		 * could not be mapped (prlimit --as, a missing library).  The
		 * system loader says why. */
		const char *lt = lt_dlerror();
		snprintf(why, sizeof(why), "%s", lt ? lt : "unknown error");
		dlerror();
		void *d = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		const char *de = d ? NULL : dlerror();
		if (d)
			dlclose(d);
		if (de && *de)
			snprintf(why, sizeof(why), "%s", de);
	}
	crash_unguard(old);
	if (!h) {
		free(copy);
		return dfo_err_set(err, -ENOEXEC, "%s: cannot load: %s", path,
				   why);
	}
	l->h[l->n] = h;
	l->path[l->n++] = copy;

	const struct dfo_module *mod = lt_dlsym(h, DFO_MODULE_SYMBOL);
	if (!mod)
		return dfo_err_set(
			err, -ENOEXEC,
			"%s: not a dnsfailover plugin (no symbol %s)", path,
			DFO_MODULE_SYMBOL);
	if (mod->abi != DFO_PLUGIN_ABI)
		return dfo_err_set(err, -ENOEXEC,
				   "%s: plugin ABI %u, this dnsfailover speaks "
				   "ABI %u: rebuild the plugin against this "
				   "version's headers",
				   path, mod->abi, DFO_PLUGIN_ABI);
	if (!mod->init)
		return dfo_err_set(err, -ENOEXEC, "%s: module has no init",
				   path);
	struct dfo_err e;
	dfo_err_clear(&e);
	dfo_registry_set_module(reg, path);
	crash_guard(path, old);
	rc = mod->init(reg, &e);
	crash_unguard(old);
	dfo_registry_set_module(reg, NULL);
	if (rc < 0) {
		if (!e.msg[0])
			snprintf(e.msg, sizeof(e.msg), "%s",
				 dfo_registry_why(reg)[0]
					 ? dfo_registry_why(reg)
					 : strerror(-rc));
		return dfo_err_set(err, rc,
				   "%s: module '%s' failed to register: %s",
				   path, mod->name ? mod->name : "?", e.msg);
	}
	dfo_log(DFO_LOG_DEBUG, "loaded plugin %s (%s)", path,
		mod->name ? mod->name : "?");
	return 0;
}

static struct dfo_loader *loader_get(struct dfo_loader **loaderp,
				     struct dfo_err *err)
{
	if (*loaderp)
		return *loaderp;
	if (lt_dlinit() != 0) {
		dfo_err_set(err, -EIO, "libltdl: %s", lt_dlerror());
		return NULL;
	}
	struct dfo_loader *l = calloc(1, sizeof(*l));
	if (!l) {
		lt_dlexit();
		dfo_err_set(err, -ENOMEM, "out of memory");
	}
	return *loaderp = l;
}

int dfo_loader_load_files(struct dfo_loader **loaderp, struct dfo_registry *reg,
			  char *const *paths, size_t n, struct dfo_err *err)
{
	struct dfo_loader *l = loader_get(loaderp, err);
	if (!l)
		return err ? err->code : -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (is_loaded(l, paths[i]))
			continue;
		int rc = load_one(l, reg, paths[i], err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Load the modules of one directory, in name order; *found counts them.
 * A missing directory is skipped if `optional`. */
static int load_dir(struct dfo_loader *l, struct dfo_registry *reg,
		    const char *dir, bool optional, size_t *found,
		    struct dfo_err *err)
{
	DIR *d = opendir(dir);
	if (!d) {
		if (optional && errno == ENOENT)
			return 0;
		return dfo_err_set(err, -errno, "plugin_dir %s: %s", dir,
				   strerror(errno));
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!is_module_name(de->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **v = realloc(names, cap * sizeof(*v));
			if (!v) {
				rc = dfo_err_set(err, -ENOMEM, "out of memory");
				break;
			}
			names = v;
		}
		if (!(names[n] = strdup(de->d_name))) {
			rc = dfo_err_set(err, -ENOMEM, "out of memory");
			break;
		}
		n++;
	}
	closedir(d);
	if (rc == 0 && n > 1) /* names is NULL in an empty directory */
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char path[4096];
		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >=
		    (int)sizeof(path)) {
			rc = dfo_err_set(err, -ENAMETOOLONG,
					 "%s/%s: path too long", dir, names[i]);
			break;
		}
		if (is_loaded(l, path))
			continue;
		rc = load_one(l, reg, path, err);
	}
	*found += n;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int dfo_loader_load_dir(struct dfo_loader **loaderp, struct dfo_registry *reg,
			const char *dir, struct dfo_err *err)
{
	struct dfo_loader *l = loader_get(loaderp, err);
	if (!l)
		return err ? err->code : -ENOMEM;
	size_t found = 0;
	int rc = load_dir(l, reg, dir, false, &found, err);
	if (rc == 0 && found == 0)
		rc = dfo_err_set(err, -ENOENT,
				 "plugin_dir %s: no plugin (*.so) in it", dir);
	return rc;
}

/* The default path: $DNSFAILOVER_PLUGIN_DIR (a list, split on ':') if
 * set, else the stock directory then the drop-in one (optional). */
static char **default_path(bool *optional_last)
{
	const char *env = getenv("DNSFAILOVER_PLUGIN_DIR");
	char **v = calloc(env && *env ? strlen(env) / 2 + 2 : 3, sizeof(*v));
	if (!v)
		return NULL;
	*optional_last = !(env && *env);
	if (!(env && *env)) {
		v[0] = strdup(PLUGINDIR);
		v[1] = strdup(DROPINDIR);
		if (v[0] && v[1])
			return v;
		dfo_strv_free(v);
		return NULL;
	}
	size_t n = 0;
	for (const char *p = env; *p;) {
		size_t len = strcspn(p, ":");
		if (len && !(v[n++] = strndup(p, len))) {
			dfo_strv_free(v);
			return NULL;
		}
		p += len + (p[len] == ':');
	}
	return v;
}

int dfo_loader_load_path(struct dfo_loader **loaderp, struct dfo_registry *reg,
			 char *const *dirs, struct dfo_err *err)
{
	struct dfo_loader *l = loader_get(loaderp, err);
	if (!l)
		return err ? err->code : -ENOMEM;
	bool optional_last = false;
	char **def = dirs ? NULL : default_path(&optional_last);
	if (!dirs && !def)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	char *const *v = dirs ? dirs : def;
	size_t found = 0, n = 0;
	int rc = 0;
	for (; rc == 0 && v[n]; n++)
		rc = load_dir(l, reg, v[n], optional_last && !v[n + 1], &found,
			      err);
	if (rc == 0 && found == 0) {
		char list[1024] = "";
		for (size_t i = 0; i < n; i++)
			snprintf(list + strlen(list),
				 sizeof(list) - strlen(list), "%s%s",
				 i ? ", " : "", v[i]);
		if (n == 1)
			rc = dfo_err_set(
				err, -ENOENT,
				"plugin_dir %s: no plugin (*.so) in it", list);
		else
			rc = dfo_err_set(err, -ENOENT,
					 "plugin_dir: no plugin (*.so) in %s",
					 list);
	}
	dfo_strv_free(def);
	return rc;
}

void dfo_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void dfo_loader_free(struct dfo_loader *l)
{
	if (!l)
		return;
	for (size_t i = l->n; i > 0; i--) {
		lt_dlclose(l->h[i - 1]);
		free(l->path[i - 1]);
	}
	free(l->h);
	free(l->path);
	free(l);
	lt_dlexit();
}
