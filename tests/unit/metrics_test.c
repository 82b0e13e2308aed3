/* The core's metrics registry, shared between processes. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core.h"

/* Metrics registered in a child are seen, with their values, by the
 * parent; the same name and labels give the same metric. */
static void metrics_shared(void **unused)
{
	assert_int_equal(dfo_metrics_init(), 0);
	struct dfo_metric *g =
		dfo_metric_register(DFO_METRIC_GAUGE, "dnsfailover_unit_gauge",
				    "a gauge", "pool=\"www\"");
	assert_non_null(g);
	dfo_metric_set(g, 2.5);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct dfo_metric *c = dfo_metric_register(
			DFO_METRIC_COUNTER, "dnsfailover_unit_total",
			"a counter", NULL);
		dfo_metric_add(c, 3);
		dfo_metric_add(dfo_metric_register(DFO_METRIC_COUNTER,
						   "dnsfailover_unit_total",
						   "a counter", NULL),
			       4);
		_exit(c ? 0 : 1);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_null(dfo_metric_register(DFO_METRIC_GAUGE,
					"dnsfailover_unit_total",
					"same name, other type", NULL));
	assert_null(
		dfo_metric_register(DFO_METRIC_GAUGE, "bad name", NULL, NULL));
	assert_null(dfo_metric_register(DFO_METRIC_GAUGE, "x", NULL, "a=\"b"));
	struct dfo_sbuf out = {0};
	assert_int_equal(dfo_metrics_write(&out), 0);
	assert_non_null(strstr(out.s,
			       "# HELP dnsfailover_unit_gauge a gauge\n"
			       "# TYPE dnsfailover_unit_gauge gauge\n"
			       "dnsfailover_unit_gauge{pool=\"www\"} 2.5\n"));
	assert_non_null(strstr(out.s, "# TYPE dnsfailover_unit_total counter\n"
				      "dnsfailover_unit_total 7\n"));
	free(out.s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(metrics_shared),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
