/*
 * dnsfailover-aws: exercise the core's AWS clients from a shell, with the
 * `aws {}` section of a dnsfailover config (-C) or the environment.
 * Output goes to stdout, one record a line; errors to stderr, exit 1.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/internal.h"
#include "core.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dnsfailover-aws [-C FILE] [-v] [-R REGION] [-p "
		"PROFILE]\n"
		"         [-r ROLE_ARN [-x EXTERNAL_ID] [-s SESSION] [-d "
		"SECS]] COMMAND ...\n"
		"  (-R, -p, -r: a client derived from the config's, as a "
		"source of\n"
		"   awsdns; -r assumes the role through STS AssumeRole)\n"
		"  imds [-e URL] [-1] PATH [COUNT [INTERVAL]]  GET metadata\n"
		"  creds [COUNT [INTERVAL]]       the credentials' source and "
		"key id\n"
		"  region                         the region found\n"
		"  describe-instances [NAME=V[,V...]]...   one line per "
		"instance\n"
		"  attr ATTRIBUTE [NAME=V...]     id and ATTRIBUTE of each "
		"instance\n"
		"  zone-id ZONE                   the hosted zone id of ZONE\n"
		"  list-records ZONE_ID NAME TYPE\n"
		"  change ZONE_ID [-w SECS] ACTION NAME TYPE TTL V[,V...] "
		"[...]\n"
		"  wait CHANGE_ID SECS\n");
}

static int fail(const struct dfo_err *err)
{
	fprintf(stderr, "dnsfailover-aws: %s\n", err->msg);
	return 1;
}

static int cmd_imds(struct dfo_aws *aws, int argc, char **argv)
{
	const char *ep = NULL;
	bool v1 = false;
	int opt;
	optind = 1;
	while ((opt = getopt(argc, argv, "+e:1")) != -1) {
		if (opt == 'e')
			ep = optarg;
		else if (opt == '1')
			v1 = true;
		else
			return 2;
	}
	if (optind >= argc)
		return 2;
	const char *path = argv[optind];
	int count = optind + 1 < argc ? atoi(argv[optind + 1]) : 1;
	double interval = optind + 2 < argc ? atof(argv[optind + 2]) : 0;
	struct dfo_err err = {0};
	struct dfo_imds *m;
	/* Without -e: the config's aws { imds_endpoint }, as the daemon. */
	if (!ep && aws) {
		struct dfo_imds *core = dfo_aws_imds(aws, &err);
		if (!core)
			return fail(&err);
		ep = dfo_imds_endpoint(core);
	}
	if (dfo_imds_new(&m, ep, v1, 2, &err) < 0)
		return fail(&err);
	int rc = 0;
	for (int i = 0; i < count && rc == 0; i++) {
		char *body;
		if (i)
			aws_sleep(interval);
		if ((rc = dfo_imds_get(m, path, &body, &err)) < 0)
			break;
		printf("%s\n", body);
		free(body);
	}
	struct dfo_imds_stats st;
	dfo_imds_stats(m, &st);
	printf("tokens %u requests %u\n", st.tokens, st.requests);
	dfo_imds_free(m);
	return rc < 0 ? fail(&err) : 0;
}

static int cmd_creds(struct dfo_aws *aws, int argc, char **argv)
{
	int count = argc > 1 ? atoi(argv[1]) : 1;
	double interval = argc > 2 ? atof(argv[2]) : 0;
	struct dfo_err err = {0};
	for (int i = 0; i < count; i++) {
		const struct dfo_aws_creds *c;
		if (i)
			aws_sleep(interval);
		if (dfo_aws_credentials(aws, &c, &err) < 0)
			return fail(&err);
		printf("%s %s %s\n", c->source, c->access_key_id,
		       c->session_token ? "temporary" : "long-term");
	}
	return 0;
}

/* NAME=V1,V2 arguments to filters; the arrays point into argv. */
static int parse_filters(int argc, char **argv, struct dfo_ec2_filter *f,
			 const char **vals)
{
	size_t nv = 0;
	for (int i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq)
			return -1;
		*eq = '\0';
		f[i].name = argv[i];
		f[i].values = vals + nv;
		f[i].nvalues = 0;
		for (char *v = strtok(eq + 1, ","); v; v = strtok(NULL, ",")) {
			vals[nv++] = v;
			f[i].nvalues++;
		}
	}
	return 0;
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static int print_inst(const struct dfo_ec2_instance *i, void *ctx)
{
	const char *attr = ctx;
	if (attr) {
		printf("%s %s\n", i->id,
		       or_dash(dfo_ec2_instance_attr(i, attr)));
		return 0;
	}
	printf("%s %s %s %s %s %s %s %s", i->id, or_dash(i->state),
	       or_dash(i->type), or_dash(i->private_ip), or_dash(i->public_ip),
	       or_dash(i->key_name), or_dash(i->az), or_dash(i->vpc_id));
	printf(" ipv6=");
	for (size_t k = 0; k < i->nipv6; k++)
		printf("%s%s", k ? "," : "", i->ipv6[k]);
	for (size_t k = 0; k < i->ntags; k++)
		printf(" tag:%s=%s", i->tags[k].key, i->tags[k].value);
	printf("\n");
	return 0;
}

static int cmd_describe(struct dfo_aws *aws, int argc, char **argv,
			const char *attr)
{
	struct dfo_ec2_filter f[16];
	const char *vals[256];
	if (attr && !dfo_ec2_attr_valid(attr)) {
		fprintf(stderr,
			"dnsfailover-aws: unknown attribute '%s' (one of:",
			attr);
		for (const char *const *n = dfo_ec2_attr_names(); *n; n++)
			fprintf(stderr, " %s", *n);
		fprintf(stderr, ")\n");
		return 1;
	}
	if (argc > 16 || argc * 16 > 256 ||
	    parse_filters(argc, argv, f, vals) < 0)
		return 2;
	struct dfo_err err = {0};
	if (dfo_ec2_describe_instances(aws, f, (size_t)argc, print_inst,
				       (void *)attr, &err) < 0)
		return fail(&err);
	return 0;
}

static int cmd_change(struct dfo_aws *aws, int argc, char **argv)
{
	double wait = -1;
	int a = 2;
	if (argc > 3 && strcmp(argv[2], "-w") == 0) {
		wait = atof(argv[3]);
		a = 4;
	}
	if ((argc - a) % 5 || argc == a)
		return 2;
	size_t n = (size_t)(argc - a) / 5;
	struct dfo_r53_rrset sets[16];
	struct dfo_r53_change ch[16];
	char *vals[16][32];
	if (n > 16)
		return 2;
	for (size_t i = 0; i < n; i++) {
		char **x = argv + a + 5 * i;
		if (!strcmp(x[0], "CREATE"))
			ch[i].action = DFO_R53_CREATE;
		else if (!strcmp(x[0], "DELETE"))
			ch[i].action = DFO_R53_DELETE;
		else if (!strcmp(x[0], "UPSERT"))
			ch[i].action = DFO_R53_UPSERT;
		else
			return 2;
		memset(&sets[i], 0, sizeof(sets[i]));
		sets[i].name = x[1];
		snprintf(sets[i].type, sizeof(sets[i].type), "%s", x[2]);
		sets[i].ttl = (uint32_t)atoi(x[3]);
		sets[i].values = vals[i];
		for (char *v = strtok(x[4], ","); v && sets[i].nvalues < 32;
		     v = strtok(NULL, ","))
			vals[i][sets[i].nvalues++] = v;
		ch[i].set = &sets[i];
	}
	struct dfo_err err = {0};
	char *id;
	int rc = dfo_r53_change(aws, argv[1], ch, n, "dnsfailover-aws", &id,
				&err);
	if (rc < 0) {
		fail(&err);
		return rc == DFO_ESTALE ? 3 : 1;
	}
	printf("change %s\n", id);
	if (wait >= 0) {
		rc = dfo_r53_wait(aws, id, 0.2, wait, &err);
		if (rc == 0)
			printf("INSYNC\n");
	}
	free(id);
	return rc < 0 ? fail(&err) : 0;
}

/* list-records ZONE_ID NAME TYPE: one line per record set. */
static int cmd_list(struct dfo_aws *aws, char **argv)
{
	struct dfo_err err = {0};
	struct dfo_r53_rrset *sets;
	size_t n;
	if (dfo_r53_list(aws, argv[1], argv[2], argv[3], &sets, &n, &err) < 0)
		return fail(&err);
	for (size_t i = 0; i < n; i++) {
		printf("%s %s %u", sets[i].name, sets[i].type,
		       (unsigned)sets[i].ttl);
		if (sets[i].set_id)
			printf(" id=%s", sets[i].set_id);
		for (size_t v = 0; v < sets[i].nvalues; v++)
			printf(" %s", sets[i].values[v]);
		printf("\n");
		dfo_r53_rrset_free(&sets[i]);
	}
	free(sets);
	return 0;
}

/* Runs COMMAND (argv[0]) with its arguments; 2 for a usage error. */
static int run_command(struct dfo_aws *aws, bool with_conf, int argc,
		       char **argv)
{
	struct dfo_err err = {0};
	int rc = 2;
	if (strcmp(argv[0], "imds") == 0) {
		rc = cmd_imds(with_conf ? aws : NULL, argc, argv);
	} else if (strcmp(argv[0], "creds") == 0) {
		rc = cmd_creds(aws, argc, argv);
	} else if (strcmp(argv[0], "region") == 0) {
		const char *r = dfo_aws_region(aws, &err);
		rc = r ? (printf("%s\n", r), 0) : fail(&err);
	} else if (strcmp(argv[0], "describe-instances") == 0) {
		rc = cmd_describe(aws, argc - 1, argv + 1, NULL);
	} else if (strcmp(argv[0], "attr") == 0 && argc >= 2) {
		rc = cmd_describe(aws, argc - 2, argv + 2, argv[1]);
	} else if (strcmp(argv[0], "zone-id") == 0 && argc == 2) {
		char *id;
		rc = dfo_r53_zone_id(aws, argv[1], &id, &err) < 0
			     ? fail(&err)
			     : (printf("%s\n", id), free(id), 0);
	} else if (strcmp(argv[0], "list-records") == 0 && argc == 4) {
		rc = cmd_list(aws, argv);
	} else if (strcmp(argv[0], "change") == 0) {
		rc = cmd_change(aws, argc, argv);
	} else if (strcmp(argv[0], "wait") == 0 && argc == 3) {
		rc = dfo_r53_wait(aws, argv[1], 0.2, atof(argv[2]), &err) < 0
			     ? fail(&err)
			     : (printf("INSYNC\n"), 0);
	}
	return rc;
}

/* -C FILE: the providers define the rest of the file, so load its
 * plugin_dir first, as the daemon does (instances are checked, not created). */
static int load_config(const char *conf, struct dfo_registry *reg,
		       struct dfo_loader **loader, struct dfo_config **cf,
		       struct dfo_err *err)
{
	char **dirs = dfo_config_plugin_dir(conf, err);
	if (!dirs && err->code < 0)
		return -1;
	dfo_err_clear(err);
	int lr = dfo_loader_load_path(loader, reg, dirs, err);
	dfo_strv_free(dirs);
	if (lr < 0 || dfo_config_load(cf, reg, conf, false, err) < 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *conf = NULL;
	int verbose = 0, opt;
	struct dfo_aws_source src = {0};
	while ((opt = getopt(argc, argv, "+C:vhR:p:r:x:s:d:")) != -1) {
		switch (opt) {
		case 'C':
			conf = optarg;
			break;
		case 'R':
			src.region = optarg;
			break;
		case 'p':
			src.profile = optarg;
			break;
		case 'r':
			src.role_arn = optarg;
			break;
		case 'x':
			src.external_id = optarg;
			break;
		case 's':
			src.session_name = optarg;
			break;
		case 'd':
			src.duration = (unsigned)atoi(optarg);
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return 2;
	}
	dfo_log_setup(verbose > 1 ? DFO_LOG_DEBUG
		      : verbose	  ? DFO_LOG_INFO
				  : DFO_LOG_WARNING,
		      0, "dnsfailover-aws");
	struct dfo_err err = {0};
	struct dfo_registry *reg = dfo_registry_new();
	struct dfo_loader *loader = NULL;
	struct dfo_config *cf = NULL;
	int rc = 2;
	struct dfo_aws *aws = NULL, *derived = NULL;
	if (!reg) {
		fprintf(stderr, "dnsfailover-aws: out of memory\n");
		return 1;
	}
	if (conf && load_config(conf, reg, &loader, &cf, &err) < 0) {
		rc = fail(&err);
		goto out;
	}
	if (!(aws = dfo_aws_default(&err))) {
		rc = fail(&err);
		goto out;
	}
	if ((src.region || src.profile || src.role_arn || src.external_id ||
	     src.session_name || src.duration) &&
	    dfo_aws_derive(aws, &src, &derived, &err) < 0) {
		rc = fail(&err);
		goto out;
	}
	if (derived)
		aws = derived;
	rc = run_command(aws, conf != NULL, argc, argv);
	if (rc == 2)
		usage(stderr);
out:
	dfo_aws_free(derived);
	dfo_config_free(cf);
	dfo_loader_free(loader);
	dfo_registry_free(reg);
	dfo_aws_unconfigure();
	return rc;
}
