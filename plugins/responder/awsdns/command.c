/*
 * The awsdns command, the original awsdns's drop-in, and `dnsfailover
 * --awsdns-ini FILE`: the provider's own command line (its table's
 * `command`), which the core runs when the program is called awsdns or
 * given --awsdns... as its first argument.  It reads awsdns.ini (ini.c)
 * and either prints the equivalent config or runs the daemon on it.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <dnsfailover/addr.h>

#include "awsdns.h"

/* The file the original would read: ./awsdns.ini, /etc/awsdns.ini, then
 * ~/awsdns.ini, the first that exists.  Returns a malloc'd path, or NULL
 * (none found; `tried` then lists the paths, for the message). */
static char *ini_find(char *tried, size_t triedlen)
{
	const char *home = getenv("HOME");
	char paths[3][PATH_MAX];
	size_t n = 0;
	snprintf(paths[n++], PATH_MAX, "./awsdns.ini");
	snprintf(paths[n++], PATH_MAX, "/etc/awsdns.ini");
	if (home && *home)
		snprintf(paths[n++], PATH_MAX, "%s/awsdns.ini", home);
	if (tried && triedlen)
		tried[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (access(paths[i], F_OK) == 0)
			return strdup(paths[i]);
		if (tried) {
			size_t l = strlen(tried);
			snprintf(tried + l, triedlen - l, "%s%s", l ? ", " : "",
				 paths[i]);
		}
	}
	return NULL;
}

/* The default listen addresses: port 53 of every address, IPv6 too where
 * the kernel has it. */
static size_t default_listen(const char **listen)
{
	size_t n = 0;
	listen[n++] = "0.0.0.0:53";
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		close(fd);
		listen[n++] = "[::]:53";
	}
	return n;
}

/* `dnsfailover --awsdns-ini FILE`: print the config, its notes as
 * comments (the output passes -t as written, even with stderr in it:
 * nothing goes there unless the file is wrong); exit status. */
static int ini_print(const char *path)
{
	const char *listen[2];
	size_t nl = default_listen(listen);
	struct awsdns_ini_keys keys;
	if (awsdns_ini_convert(path, stdout, stdout, listen, nl, "nobody",
			       &keys) < 0)
		return 1;
	awsdns_ini_keys_wipe(&keys);
	return 0;
}

static void front_usage(FILE *out)
{
	fprintf(out,
		"usage: awsdns [-c FILE] [-l ADDRESS[:PORT]]... [-f]\n"
		"\n"
		"A DNS server naming the EC2 instances of an AWS account, "
		"configured by\n"
		"the original awsdns's awsdns.ini (./awsdns.ini, "
		"/etc/awsdns.ini, then\n"
		"~/awsdns.ini; or -c FILE).  It is dnsfailover's awsdns "
		"responder: for\n"
		"every option, use a dnsfailover config (dnsfailover "
		"--awsdns-ini FILE\n"
		"prints the equivalent one).\n"
		"\n"
		"  -c FILE              the ini file\n"
		"  -l ADDRESS[:PORT]    listen there (UDP and TCP), "
		"repeatable; default:\n"
		"                       port 53 of every address (0.0.0.0:53 "
		"and [::]:53)\n"
		"  -f                   stay in the foreground, log to stderr\n"
		"                       (otherwise: detach and log to syslog)\n"
		"  -h                   this text\n"
		"\n"
		"Clients outside loopback and the private networks are "
		"refused.\n");
}

/* The options of the awsdns command: -1 to go on, else the exit status. */
static int front_args(int argc, char **argv, const char **ini,
		      char listen_buf[][DFO_ADDR_STRLEN + 8],
		      const char **listen, size_t *nl, bool *fg)
{
	int c;
	optind = 1;
	while ((c = getopt(argc, argv, "+c:l:fh")) != -1) {
		switch (c) {
		case 'c':
			*ini = optarg;
			break;
		case 'l':
			if (*nl == 16) {
				fprintf(stderr, "awsdns: -l: at most 16 "
						"addresses\n");
				return 1;
			}
			if (awsdns_hostport_canon(
				    optarg, 53, false, listen_buf[*nl],
				    sizeof(listen_buf[*nl])) < 0) {
				fprintf(stderr,
					"awsdns: -l: '%s' is not ADDRESS, "
					"ADDRESS:PORT or [IPV6]:PORT\n",
					optarg);
				return 1;
			}
			listen[*nl] = listen_buf[*nl];
			(*nl)++;
			break;
		case 'f':
			*fg = true;
			break;
		case 'h':
			front_usage(stdout);
			return 0;
		default:
			front_usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "awsdns: unexpected argument '%s'\n",
			argv[optind]);
		return 1;
	}
	return -1;
}

/* The ini file converted into an anonymous file (its fd, or -1 said on
 * stderr), its keys put into the environment. */
static int front_conf(const char *ini, const char **listen, size_t nl)
{
	/* The config lives in an anonymous file that the daemon, exec'd
	 * by front_main, reads as /proc/self/fd/N (also on SIGHUP). */
	int fd = memfd_create("awsdns.conf", 0);
	FILE *out = fd >= 0 ? fdopen(dup(fd), "w") : NULL;
	if (!out) {
		fprintf(stderr, "awsdns: memfd: %s\n", strerror(errno));
		return -1;
	}
	struct awsdns_ini_keys keys;
	/* Like the original, it is started as root to bind port 53; unlike
	 * it, the server then runs as nobody. */
	const char *user =
		geteuid() == 0 && getpwnam("nobody") ? "nobody" : NULL;
	int rc = awsdns_ini_convert(ini, out, NULL, listen, nl, user, &keys);
	fclose(out);
	if (rc < 0)
		return -1;
	/* the keys of the file, for the daemon's credential chain: in its
	 * environment, never in a file or an argument */
	if (keys.access_key_id) {
		unsetenv("AWS_SESSION_TOKEN");
		rc = setenv("AWS_ACCESS_KEY_ID", keys.access_key_id, 1);
		if (rc == 0)
			rc = setenv(DFO_AWSDNS_SECRET_VAR, keys.secret, 1);
		awsdns_ini_keys_wipe(&keys);
		if (rc < 0) {
			fprintf(stderr, "awsdns: setenv: %s\n",
				strerror(errno));
			return -1;
		}
	}
	return fd;
}

/* The awsdns command: awsdns [-c FILE] [-l ADDRESS:PORT]... [-f]. */
static int front_main(int argc, char **argv)
{
	const char *ini = NULL;
	char *found = NULL;
	char listen_buf[16][DFO_ADDR_STRLEN + 8];
	const char *listen[16];
	size_t nl = 0;
	bool fg = false;
	int rc = front_args(argc, argv, &ini, listen_buf, listen, &nl, &fg);
	if (rc >= 0)
		return rc;
	if (nl == 0)
		nl = default_listen(listen);
	if (!ini) {
		char tried[3 * PATH_MAX + 8];
		found = ini_find(tried, sizeof(tried));
		if (!found) {
			fprintf(stderr,
				"awsdns: no awsdns.ini (looked for %s); "
				"give one with -c FILE\n",
				tried);
			return 1;
		}
		ini = found;
	}

	int fd = front_conf(ini, listen, nl);
	free(found);
	if (fd < 0)
		return 1;
	char conf[64];
	snprintf(conf, sizeof(conf), "/proc/self/fd/%d", fd);
	char name[] = "dnsfailover", copt[] = "-C", fopt[] = "-f";
	char *args[] = {name, copt, conf, fg ? fopt : NULL, NULL};
	execv("/proc/self/exe", args);
	fprintf(stderr, "awsdns: cannot run dnsfailover (/proc/self/exe): %s\n",
		strerror(errno));
	return 1;
}

int awsdns_command(int argc, char **argv)
{
	const char *slash = strrchr(argv[0], '/');
	const char *base =
		slash && strncmp(argv[0], "--", 2) != 0 ? slash + 1 : argv[0];
	if (strncmp(base, "--awsdns-ini", 12) == 0 &&
	    (base[12] == '\0' || base[12] == '=')) {
		const char *path = base[12] == '=' ? base + 13
				   : argc == 2	   ? argv[1]
						   : NULL;
		if (!path || !*path || (base[12] == '=' && argc != 1)) {
			fprintf(stderr,
				"usage: dnsfailover --awsdns-ini FILE\n");
			return 1;
		}
		return ini_print(path);
	}
	if (strcmp(base, "awsdns") == 0 || strcmp(base, "--awsdns") == 0)
		return front_main(argc, argv);
	fprintf(stderr,
		"dnsfailover: unknown option '%s' (see --help; the "
		"awsdns plugin's are --awsdns and --awsdns-ini)\n",
		base);
	return 1;
}
