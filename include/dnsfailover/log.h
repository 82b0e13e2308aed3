/*
 * Logging.  The core sends messages to stderr (foreground) or syslog;
 * plugins log through here only.  Never log secrets.
 */
#ifndef DNSFAILOVER_LOG_H
#define DNSFAILOVER_LOG_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Levels are syslog's. */
enum dfo_log_level {
	DFO_LOG_ERR = 3,
	DFO_LOG_WARNING = 4,
	DFO_LOG_NOTICE = 5,
	DFO_LOG_INFO = 6,
	DFO_LOG_DEBUG = 7,
};

void dfo_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void dfo_vlog(int level, const char *fmt, va_list ap);

/* True if a message at `level` would be emitted (to skip costly work). */
int dfo_log_enabled(int level);

#ifdef __cplusplus
}
#endif
#endif
