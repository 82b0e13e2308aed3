/* Logging to stderr or syslog, with a threshold. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core.h"

static int log_threshold = DFO_LOG_NOTICE;
static int log_to_syslog;

static const char *const level_names[] = {
	[DFO_LOG_ERR] = "error",     [DFO_LOG_WARNING] = "warning",
	[DFO_LOG_NOTICE] = "notice", [DFO_LOG_INFO] = "info",
	[DFO_LOG_DEBUG] = "debug",
};

int dfo_log_level_parse(const char *text)
{
	for (int i = DFO_LOG_ERR; i <= DFO_LOG_DEBUG; i++)
		if (strcmp(text, level_names[i]) == 0)
			return i;
	if (strcmp(text, "warn") == 0)
		return DFO_LOG_WARNING;
	if (strcmp(text, "err") == 0)
		return DFO_LOG_ERR;
	return -1;
}

const char *dfo_log_level_name(int level)
{
	if (level < DFO_LOG_ERR || level > DFO_LOG_DEBUG)
		return "?";
	return level_names[level];
}

void dfo_log_setup(int threshold, int use_syslog, const char *ident)
{
	if (threshold >= DFO_LOG_ERR && threshold <= DFO_LOG_DEBUG)
		log_threshold = threshold;
	if (use_syslog && !log_to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!use_syslog && log_to_syslog)
		closelog();
	log_to_syslog = use_syslog;
}

int dfo_log_enabled(int level)
{
	return level <= log_threshold;
}

void dfo_vlog(int level, const char *fmt, va_list ap)
{
	if (!dfo_log_enabled(level))
		return;
	if (log_to_syslog) {
		vsyslog(level, fmt, ap);
		return;
	}
	/* One write per line, so lines of several processes never mix. */
	char line[2048];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof(line),
			 "%04d-%02d-%02d %02d:%02d:%02d.%03ld [%d] %s: ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
			 (int)getpid(), dfo_log_level_name(level));
	if (n < 0)
		return;
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	size_t len = (size_t)n + (size_t)m;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}

void dfo_log(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dfo_vlog(level, fmt, ap);
	va_end(ap);
}
