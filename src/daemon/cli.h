/* The operator commands of the dnsfailover program. */
#ifndef DFO_CLI_H
#define DFO_CLI_H

#include "core.h"

/* --list-plugins: every provider of every kind, its module, its options. */
void cli_list_plugins(const struct dfo_registry *reg);

/* --try KIND/NAME [ARG...]: one operation of one instance, printed.
 * timeout < 0: not given.  Returns the exit status (0 ok, 1 not). */
int cli_try(struct dfo_config *conf, const char *what, int argc, char **argv,
	    double timeout);

/* A responder provider's own command (its table's `command`): when the
 * program runs under the name of a provider that has one, or its first
 * argument is `--NAME[-WORD]` (and not one of the core's long options,
 * `core_opts`), load the default plugin dir and hand it argv.  Returns
 * true with *status set when a provider's command ran; false (nothing
 * done) otherwise. */
struct option;
bool cli_provider_command(int argc, char **argv, const struct option *core_opts,
			  int *status);

#endif
