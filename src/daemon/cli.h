/* The operator commands of the dnsfailover program. */
#ifndef DFO_CLI_H
#define DFO_CLI_H

#include "core.h"

/* --list-plugins: every provider of every kind, its module, its options. */
void dfo_cli_list_plugins(const struct dfo_registry *reg);

/* --try KIND/NAME [ARG...]: one operation of one instance, printed.
 * timeout < 0: not given.  Returns the exit status (0 ok, 1 not). */
int dfo_cli_try(struct dfo_config *conf, const char *what, int argc,
		char **argv, double timeout);

#endif
