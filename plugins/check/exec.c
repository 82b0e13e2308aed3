/*
 * check "exec": run `command` (a program and its arguments, no shell)
 * with the target address appended as its last argument, the Nagios
 * plugin way: exit status 0 is healthy, anything else unhealthy, and the
 * first line of its standard output is the reason.  A shell is used only
 * when asked for, as in
 *
 *     command = {"/bin/sh", "-c", "check-web \"$1\"", "sh"}
 *
 * The program also finds the address in $DFO_ADDRESS and the pool's name
 * in $DFO_FQDN (when there is one).  Its standard input is /dev/null; its
 * standard error is inherited.  The program runs in the check's process
 * group, which the core kills at the deadline: a command that hangs is
 * killed with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dnsfailover/dnsfailover.h>

struct exec {
	char **argv; /* command, a free slot for the address, NULL */
	size_t argc; /* words of command */
};

static cfg_opt_t exec_opts[] = {CFG_STR_LIST("command", NULL, CFGF_NODEFAULT),
				CFG_END()};

static void exec_destroy(void *state)
{
	struct exec *x = state;
	if (!x)
		return;
	for (size_t i = 0; x->argv && i < x->argc; i++)
		free(x->argv[i]);
	free(x->argv);
	free(x);
}

/* Whether `path` is an executable regular file; else errno set. */
static bool is_program(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return false;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EACCES;
		return false;
	}
	return access(path, X_OK) == 0;
}

/* The program must exist and be executable now: as execvp() will look
 * for it, in $PATH when its name has no '/'. */
static int program_check(const char *prog, struct dfo_err *err)
{
	if (strchr(prog, '/')) {
		if (is_program(prog))
			return 0;
		return dfo_err_set(err, -errno, "command: program %s: %s", prog,
				   errno == EACCES ? "not executable"
						   : strerror(errno));
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path;;) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		char *full;
		if (asprintf(&full, "%.*s/%s", (int)len, len ? p : ".", prog) <
		    0)
			return dfo_err_set(err, -ENOMEM, "out of memory");
		bool ok = is_program(full);
		free(full);
		if (ok)
			return 0;
		if (!colon)
			break;
		p = colon + 1;
	}
	return dfo_err_set(err, -ENOENT,
			   "command: program '%s' not found in PATH (%s) or "
			   "not executable",
			   prog, path);
}

static int exec_create(const char *instance, cfg_t *sec, void **state,
		       struct dfo_err *err)
{
	size_t n = cfg_size(sec, "command");
	if (n == 0)
		return dfo_err_set(err, -EINVAL,
				   "option 'command' is required "
				   "(a program and its arguments)");
	if (!*cfg_getnstr(sec, "command", 0))
		return dfo_err_set(err, -EINVAL, "command: empty program name");
	int rc = program_check(cfg_getnstr(sec, "command", 0), err);
	if (rc < 0)
		return rc;
	struct exec *x = calloc(1, sizeof(*x));
	if (!x || !(x->argv = calloc(n + 2, sizeof(*x->argv)))) {
		free(x);
		return dfo_err_set(err, -ENOMEM, "out of memory");
	}
	for (x->argc = 0; x->argc < n; x->argc++) {
		const char *w = cfg_getnstr(sec, "command", (unsigned)x->argc);
		if (!(x->argv[x->argc] = strdup(w))) {
			exec_destroy(x);
			return dfo_err_set(err, -ENOMEM, "out of memory");
		}
	}
	*state = x;
	return 0;
}

/* Nagios names of the usual exit statuses. */
static const char *nagios_state(int status)
{
	static const char *const names[] = {"OK", "WARNING", "CRITICAL",
					    "UNKNOWN"};
	return status >= 0 && status < 4 ? names[status] : "failed";
}

/* In the new process: stdin from /dev/null, stdout to `out`, exec.
 * On failure, write errno to `report` and exit. */
static void run_child(struct exec *x, int out, int report, pid_t parent)
{
	/* Die with the check process (which dies with the agent). */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != parent)
		_exit(127);
	int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nul < 0 || dup2(nul, 0) < 0 || dup2(out, 1) < 0)
		goto fail;
	execvp(x->argv[0], x->argv);
fail:;
	int e = errno;
	ssize_t w = write(report, &e, sizeof(e));
	(void)w;
	_exit(127);
}

/* Read the first line of fd into line (NUL-terminated, at most len - 1
 * bytes), and drain the rest until EOF. */
static void read_first_line(int fd, char *line, size_t len)
{
	char buf[512];
	size_t n = 0;
	bool done = false;
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r && !done; i++) {
			if (buf[i] == '\n' || n + 1 >= len)
				done = true;
			else
				line[n++] = buf[i];
		}
	}
	line[n] = '\0';
}

static int exec_check(void *state, const struct dfo_check_target *target,
		      struct dfo_err *err)
{
	struct exec *x = state;
	char addr[DFO_ADDR_STRLEN];
	int out[2], report[2];

	dfo_addr_format(&target->addr, addr, sizeof(addr));
	x->argv[x->argc] = addr; /* our own copy of the state: we are a child */
	setenv("DFO_ADDRESS", addr, 1);
	if (target->fqdn)
		setenv("DFO_FQDN", target->fqdn, 1);
	else
		unsetenv("DFO_FQDN");

	if (pipe2(out, O_CLOEXEC) < 0)
		return dfo_err_set(err, -errno, "pipe: %s", strerror(errno));
	if (pipe2(report, O_CLOEXEC) < 0) {
		int e = errno;
		close(out[0]);
		close(out[1]);
		return dfo_err_set(err, -e, "pipe: %s", strerror(e));
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		close(out[0]);
		close(report[0]);
		run_child(x, out[1], report[1], parent);
	}
	int fork_errno = errno;
	close(out[1]);
	close(report[1]);
	if (pid < 0) {
		close(out[0]);
		close(report[0]);
		return dfo_err_set(err, -fork_errno, "fork: %s",
				   strerror(fork_errno));
	}

	char line[200];
	read_first_line(out[0], line, sizeof(line));
	close(out[0]);
	int e = 0;
	ssize_t r;
	while ((r = read(report[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(report[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r == (ssize_t)sizeof(e))
		return dfo_err_set(err, -e, "cannot run %s: %s", x->argv[0],
				   strerror(e));
	if (WIFSIGNALED(status))
		return dfo_err_set(err, -EIO, "%s killed by signal %d (%s)%s%s",
				   x->argv[0], WTERMSIG(status),
				   strsignal(WTERMSIG(status)),
				   line[0] ? ": " : "", line);
	if (!WIFEXITED(status))
		return dfo_err_set(err, -EIO, "%s ended oddly", x->argv[0]);
	int code = WEXITSTATUS(status);
	if (code == 0)
		return 0;
	return dfo_err_set(err, -EIO, "exit %d (%s)%s%s", code,
			   nagios_state(code), line[0] ? ": " : "", line);
}

static const struct dfo_check_provider exec_provider = {
	.size = sizeof(struct dfo_check_provider),
	.name = "exec",
	.description = "run a command with the address (Nagios plugin "
		       "convention)",
	.options = exec_opts,
	.create = exec_create,
	.destroy = exec_destroy,
	.check = exec_check,
};

static int exec_init(struct dfo_registry *reg, struct dfo_err *err)
{
	return dfo_register_check(reg, &exec_provider);
}

DFO_MODULE("check_exec", exec_init);
