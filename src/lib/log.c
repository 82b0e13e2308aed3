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

size_t dfo_utf8_len(const unsigned char *p, size_t left, unsigned *cp)
{
	if (!left)
		return 0;
	unsigned c = p[0], n, min;
	if (c < 0x80) {
		n = 1, min = 0;
	} else if (c >= 0xc2 && c <= 0xdf) {
		n = 2, min = 0x80, c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3, min = 0x800, c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4, min = 0x10000, c &= 0x07;
	} else {
		return 0;
	}
	if (left < n)
		return 0;
	for (unsigned i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	if (cp)
		*cp = c;
	return n;
}

/* Copy `in` to out (size > 0, always terminated) with every byte that
 * could act on a terminal or forge a line escaped: control bytes as \n,
 * \r, \t or \xNN, C1 controls and bytes that are not UTF-8 as \xNN.
 * Well-formed printable UTF-8 is kept. */
static void log_escape(const char *in, size_t inlen, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0;
	for (size_t i = 0; i < inlen;) {
		unsigned cp = 0;
		size_t n = dfo_utf8_len(p + i, inlen - i, &cp);
		char esc[16];
		size_t elen = 0;
		if (n && cp >= 0x20 && cp != 0x7f &&
		    !(cp >= 0x80 && cp < 0xa0)) {
			if (o + n >= size)
				break;
			memcpy(out + o, p + i, n);
			o += n;
			i += n;
			continue;
		}
		if (n == 0)
			n = 1; /* one byte that is not UTF-8 */
		for (size_t k = 0; k < n; k++) {
			unsigned char b = p[i + k];
			esc[elen++] = '\\';
			if (b == '\n') {
				esc[elen++] = 'n';
			} else if (b == '\r') {
				esc[elen++] = 'r';
			} else if (b == '\t') {
				esc[elen++] = 't';
			} else {
				esc[elen++] = 'x';
				esc[elen++] = hex[b >> 4];
				esc[elen++] = hex[b & 15];
			}
		}
		if (o + elen >= size)
			break;
		memcpy(out + o, esc, elen);
		o += elen;
		i += n;
	}
	out[o] = '\0';
}

void dfo_vlog(int level, const char *fmt, va_list ap)
{
	if (!dfo_log_enabled(level))
		return;
	char msg[2048], safe[2048];
	int m = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (m < 0)
		return;
	size_t mlen = (size_t)m < sizeof(msg) ? (size_t)m : sizeof(msg) - 1;
	log_escape(msg, mlen, safe, sizeof(safe));
	if (log_to_syslog) {
		syslog(level, "%s", safe);
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
	m = snprintf(line + n, sizeof(line) - (size_t)n - 1, "%s", safe);
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
