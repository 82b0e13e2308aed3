/* The drop-in for the original awsdns: its awsdns.ini, read and turned
 * into the responder (and aws) sections of a dnsfailover config. */
#ifndef DFO_AWSDNS_INI_H
#define DFO_AWSDNS_INI_H

#include <stddef.h>
#include <stdio.h>

/* The name of the variable that the generated aws section takes the
 * secret key from: the secret itself is never written out. */
#define DFO_AWSDNS_SECRET_VAR "AWS_SECRET_ACCESS_KEY"

/* The file the original would read: ./awsdns.ini, /etc/awsdns.ini, then
 * ~/awsdns.ini, the first that exists.  Returns a malloc'd path, or NULL
 * (none found; `tried` then lists the paths, for the message). */
char *dfo_awsdns_ini_find(char *tried, size_t triedlen);

/*
 * Read the [awsdns] section of `path` and write the equivalent config to
 * `out`: an optional log_level, an aws section when the file names keys
 * or a region, and `responder "awsdns" { awsdns { ... } }` listening on
 * `listen` (nlisten entries, "ADDRESS:PORT" / "[V6]:PORT"), dropping
 * privileges to `user` when not NULL.  Problems go
 * to stderr as "FILE:LINE: message" (every one of them, values of secrets
 * never shown).  When the file holds a secret key, *secret receives a
 * malloc'd copy (the caller puts it in the environment or wipes it) and the
 * config refers to ${AWS_SECRET_ACCESS_KEY}.  Returns 0, or -1 on errors.
 */
int dfo_awsdns_ini_convert(const char *path, FILE *out,
			   const char *const *listen, size_t nlisten,
			   const char *user, char **secret);

/* `dnsfailover --awsdns-ini FILE`: print the config; exit status. */
int dfo_awsdns_ini_print(const char *path);

/* The `awsdns` command: awsdns [-c FILE] [-l ADDRESS:PORT]... [-f].
 * Returns an exit status, or does not return (runs the daemon). */
int dfo_awsdns_main(int argc, char **argv);

/* Whether argv[0] names the awsdns command. */
int dfo_awsdns_is_front(const char *argv0);

#endif
