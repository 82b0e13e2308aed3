/*
 * Driver of tests/integration/aws_clone.sh: a client and its clone
 * (dfo_aws_clone) call DescribeInstances at the same time, one from a
 * thread, one from the main thread, LOOPS times each.  Prints per client
 * the calls that succeeded, the instances of the last call and the
 * connections its libcurl handle opened.
 *
 *   aws_threads ENDPOINT LOOPS
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <dnsfailover/aws.h>

struct run {
	struct dfo_aws *aws;
	int loops, ok, insts;
	char why[256];
};

static int count(const struct dfo_ec2_instance *i, void *ctx)
{
	(void)i;
	(*(int *)ctx)++;
	return 0;
}

static void *describe(void *arg)
{
	struct run *r = arg;
	for (int i = 0; i < r->loops; i++) {
		struct dfo_err err = {0};
		int n = 0;
		if (dfo_ec2_describe_instances(r->aws, NULL, 0, count, &n,
					       &err) < 0) {
			snprintf(r->why, sizeof(r->why), "%s", err.msg);
			continue;
		}
		r->ok++;
		r->insts = n;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: aws_threads ENDPOINT LOOPS\n");
		return 2;
	}
	struct dfo_aws_settings s = {
		.region = "us-east-1",
		.access_key_id = "AKIDTEST",
		.secret_access_key = "secrettest",
		.ec2_endpoint = argv[1],
		.timeout = 5,
		.max_retries = 0,
	};
	struct dfo_err err = {0};
	struct run main_run = {.loops = atoi(argv[2])}, thr = main_run;
	if (dfo_aws_new(&main_run.aws, &s, &err) < 0 ||
	    dfo_aws_clone(main_run.aws, &thr.aws, &err) < 0) {
		fprintf(stderr, "aws_threads: %s\n", err.msg);
		return 1;
	}
	pthread_t t;
	if (pthread_create(&t, NULL, describe, &thr) != 0)
		return 1;
	describe(&main_run);
	pthread_join(t, NULL);
	const struct run *r[] = {&main_run, &thr};
	const char *names[] = {"main", "clone"};
	for (int i = 0; i < 2; i++) {
		unsigned long conns, reqs;
		dfo_aws_http_stats(r[i]->aws, &conns, &reqs);
		printf("%s ok %d instances %d requests %lu connections "
		       "%lu%s%s\n",
		       names[i], r[i]->ok, r[i]->insts, reqs, conns,
		       r[i]->why[0] ? " last error: " : "", r[i]->why);
	}
	dfo_aws_free(thr.aws);
	dfo_aws_free(main_run.aws);
	return main_run.ok == main_run.loops && thr.ok == thr.loops ? 0 : 1;
}
