/* Error values and the kind names of the plugin ABI. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core.h"

int dfo_err_set(struct dfo_err *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

void dfo_err_clear(struct dfo_err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}

static const char *const kind_names[DFO_KIND_COUNT] = {
	[DFO_KIND_DNS] = "dns",
	[DFO_KIND_IPSOURCE] = "ipsource",
	[DFO_KIND_CHECK] = "check",
	[DFO_KIND_TIMER] = "timer",
	[DFO_KIND_RESPONDER] = "responder",
};

const char *dfo_kind_name(enum dfo_kind kind)
{
	if ((unsigned)kind >= DFO_KIND_COUNT)
		return NULL;
	return kind_names[kind];
}

int dfo_kind_parse(const char *text)
{
	for (int k = 0; k < DFO_KIND_COUNT; k++)
		if (strcmp(text, kind_names[k]) == 0)
			return k;
	return -1;
}
