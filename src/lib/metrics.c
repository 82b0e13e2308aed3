/*
 * The metrics registry.  One table in a shared anonymous mapping, made by
 * dfo_metrics_init() before the agent forks, so that what a responder
 * child registers and counts is seen by the agent.  Registration takes a
 * robust process-shared mutex (a child that dies holding it does not
 * block the others); updates are lock-free atomics on the value's bits.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core.h"

#define METRICS_MAX 512

struct dfo_metric {
	_Atomic uint64_t bits; /* the value, a double */
	int type;
	char name[96];
	char labels[192];
	char help[160];
};

struct metrics_table {
	pthread_mutex_t lock;
	_Atomic size_t n; /* slots in use; published after they are filled */
	struct dfo_metric m[METRICS_MAX];
};

static struct metrics_table *table;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void table_make(void)
{
	void *p =
		mmap(NULL, sizeof(struct metrics_table), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return;
	struct metrics_table *t = p;
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&t->lock, &a);
	pthread_mutexattr_destroy(&a);
	table = t;
}

int dfo_metrics_init(void)
{
	pthread_once(&table_once, table_make);
	return table ? 0 : -ENOMEM;
}

static bool name_ok(const char *s)
{
	if (!s || !*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == ':'))
			return false;
	return true;
}

/* name="value" pairs separated by commas; values without raw newlines
 * or unescaped quotes. */
static bool labels_ok(const char *s)
{
	while (*s) {
		const char *eq = strchr(s, '=');
		if (!eq || eq == s || eq[1] != '"')
			return false;
		for (const char *p = s; p < eq; p++)
			if (!((*p >= 'a' && *p <= 'z') ||
			      (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '_'))
				return false;
		const char *p = eq + 2;
		for (; *p && *p != '"'; p++) {
			if (*p == '\n')
				return false;
			if (*p == '\\' &&
			    (p[1] == '\\' || p[1] == '"' || p[1] == 'n'))
				p++;
			else if (*p == '\\')
				return false;
		}
		if (*p != '"')
			return false;
		s = p + 1;
		if (*s == ',')
			s++;
		else if (*s)
			return false;
	}
	return true;
}

static void table_lock(struct metrics_table *t)
{
	if (pthread_mutex_lock(&t->lock) == EOWNERDEAD)
		pthread_mutex_consistent(&t->lock);
}

struct dfo_metric *dfo_metric_register(enum dfo_metric_type type,
				       const char *name, const char *help,
				       const char *labels)
{
	if (!labels)
		labels = "";
	if ((type != DFO_METRIC_COUNTER && type != DFO_METRIC_GAUGE) ||
	    !name_ok(name) || strlen(name) >= sizeof(table->m[0].name) ||
	    strlen(labels) >= sizeof(table->m[0].labels) || !labels_ok(labels))
		return NULL;
	if (dfo_metrics_init() < 0)
		return NULL;
	struct metrics_table *t = table;
	struct dfo_metric *m = NULL;
	table_lock(t);
	size_t n = atomic_load(&t->n);
	for (size_t i = 0; i < n; i++) {
		struct dfo_metric *x = &t->m[i];
		if (strcmp(x->name, name) != 0)
			continue;
		if (x->type != (int)type)
			goto out; /* one name, one type */
		if (strcmp(x->labels, labels) == 0) {
			m = x;
			goto out;
		}
	}
	if (n < METRICS_MAX) {
		m = &t->m[n];
		m->type = (int)type;
		snprintf(m->name, sizeof(m->name), "%s", name);
		snprintf(m->labels, sizeof(m->labels), "%s", labels);
		/* HELP text: one line, backslashes and newlines escaped. */
		size_t k = 0;
		for (const char *p = help ? help : "";
		     *p && k + 3 < sizeof(m->help); p++) {
			if (*p == '\\' || *p == '\n') {
				m->help[k++] = '\\';
				m->help[k++] = *p == '\n' ? 'n' : '\\';
			} else {
				m->help[k++] = *p;
			}
		}
		m->help[k] = '\0';
		atomic_store(&m->bits, 0);
		atomic_store(&t->n, n + 1);
	}
out:
	pthread_mutex_unlock(&t->lock);
	return m;
}

static uint64_t to_bits(double v)
{
	uint64_t b;
	memcpy(&b, &v, sizeof(b));
	return b;
}

static double from_bits(uint64_t b)
{
	double v;
	memcpy(&v, &b, sizeof(v));
	return v;
}

void dfo_metric_add(struct dfo_metric *m, double v)
{
	if (!m || !(v >= 0))
		return;
	uint64_t old = atomic_load(&m->bits);
	while (!atomic_compare_exchange_weak(&m->bits, &old,
					     to_bits(from_bits(old) + v)))
		;
}

void dfo_metric_set(struct dfo_metric *m, double v)
{
	if (m)
		atomic_store(&m->bits, to_bits(v));
}

double dfo_metric_get(const struct dfo_metric *m)
{
	return m ? from_bits(atomic_load(&((struct dfo_metric *)m)->bits)) : 0;
}

static int by_name(const void *a, const void *b)
{
	const struct dfo_metric *x = *(struct dfo_metric *const *)a;
	const struct dfo_metric *y = *(struct dfo_metric *const *)b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->labels, y->labels);
}

int dfo_metrics_write(struct dfo_sbuf *out)
{
	if (!table)
		return 0;
	size_t n = atomic_load(&table->n);
	struct dfo_metric **v = malloc((n ? n : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = &table->m[i];
	qsort(v, n, sizeof(*v), by_name);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct dfo_metric *m = v[i];
		if (i == 0 || strcmp(v[i - 1]->name, m->name) != 0)
			rc = dfo_sbuf_addf(out, "# HELP %s %s\n# TYPE %s %s\n",
					   m->name, m->help, m->name,
					   m->type == DFO_METRIC_COUNTER
						   ? "counter"
						   : "gauge");
		if (rc == 0)
			rc = dfo_sbuf_addf(out, "%s%s%s%s %.15g\n", m->name,
					   m->labels[0] ? "{" : "", m->labels,
					   m->labels[0] ? "}" : "",
					   dfo_metric_get(m));
	}
	free(v);
	return rc;
}
