/*
 * Small services of the core that plugins may use: growing buffers and
 * arrays, the monotonic clock, whole-file read and atomic replace.  Every
 * function here is safe to call from any thread.
 */
#ifndef DNSFAILOVER_UTIL_H
#define DNSFAILOVER_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct dfo_err;

/* A malloc'd buffer that bytes are appended to, always NUL-terminated
 * once anything was added (the NUL is not counted in `len`; the data may
 * hold NULs of its own).  Start it zeroed; free(b.s) when done. */
struct dfo_sbuf {
	char *s;
	size_t len, cap;
};

/* Append `len` bytes; 0 or -ENOMEM (the buffer is then unchanged). */
int dfo_sbuf_add(struct dfo_sbuf *b, const char *data, size_t len);
/* Append printf-formatted text; 0 or -ENOMEM. */
int dfo_sbuf_addf(struct dfo_sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Room for at least `need` (1 or more) elements of `size` bytes in the
 * malloc'd array `v` of *cap elements (NULL and 0 at first): `v` itself
 * when it has it, else `v` reallocated, *cap doubled (from 8) until it
 * holds `need`.  NULL if out of memory: `v` and *cap are then unchanged,
 * and `v` still the caller's to free. */
void *dfo_grow(void *v, size_t *cap, size_t need, size_t size);

/* CLOCK_MONOTONIC, in seconds. */
double dfo_now(void);

/* Whether this process is stopping: SIGTERM or SIGINT is pending (the
 * core blocks both and reads them between operations), or the core has
 * read one and the time it gives the last operations of a stopping agent
 * (withdraw_on_exit) is up.  A provider's long wait (a retry loop, a
 * lock, a server that does not answer) asks at least every 100 ms and
 * gives up with -EINTR, so that SIGTERM takes effect within a second at
 * any moment.  One system call; safe from any thread. */
bool dfo_stopping(void);

/* Read the whole regular file `path`, at most `max` bytes, into a
 * malloc'd buffer (*data, NUL-terminated after *len bytes; free() it).
 * Anything but a regular file (a FIFO, a device) is refused with
 * -EINVAL without blocking; a larger file is -EFBIG.  0 or negative with
 * err naming the path. */
int dfo_file_read(const char *path, size_t max, char **data, size_t *len,
		  struct dfo_err *err);

/* Replace the file `path` atomically with `len` bytes of `data`: write a
 * temporary file in the same directory, fsync it, rename it over the
 * file and fsync the directory, so a reader sees the old file or the new
 * one, whole, even after a crash.  When `path` is a symbolic link its
 * target is replaced and the link kept.  The new file gets `mode`, or the
 * old file's mode and owner when it exists and `mode` is (mode_t)-1.  0
 * or negative with err naming the path; on failure the temporary file is
 * removed and the old one is untouched. */
int dfo_file_replace(const char *path, const void *data, size_t len,
		     mode_t mode, struct dfo_err *err);

/* Whether `name` is a usable DNS name (RFC 1035 lengths, host-name
 * characters): labels of 1..63 bytes made of ASCII letters, digits, '-'
 * (not first or last in a label) and '_' (service labels such as
 * "_acme-challenge"), separated by single dots; at most 253 bytes without
 * the one optional final dot; the last label not all digits (an address
 * is not a name).  No wildcard, no whitespace, no control or non-ASCII
 * byte.  On false, `why` (if not NULL) says what is wrong, with any
 * offending byte escaped. */
bool dfo_fqdn_valid(const char *name, char *why, size_t whylen);

/* A name in text ("www.Example.com", with or without the final dot; ""
 * or "." is the root) to its canonical wire form: lower case, labels of 1
 * to 63 bytes, at most 255 bytes in all, no byte at or below ' ', no '\\'
 * or DEL and above (no escapes are read).  *outlen: the bytes written to
 * out.  0, or -EINVAL. */
int dfo_name_wire(const char *text, uint8_t out[256], size_t *outlen);

#ifdef __cplusplus
}
#endif
#endif
