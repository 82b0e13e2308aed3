/*
 * awsdns: the DNS message header (RFC 1035 section 4.1.1) and the fixed
 * fields of an OPT RR (RFC 6891 section 6.1.2), read and written through
 * named accessors instead of bare offsets.  Every accessor takes a
 * pointer to the first byte of the message (or of the OPT RR) and trusts
 * the caller to have checked that DNS_HDR_LEN (or DNS_OPT_LEN) bytes are
 * there; none of them allocates or fails.
 *
 *   byte 0-1  ID
 *   byte 2    QR(0x80) OPCODE(0x78) AA(0x04) TC(0x02) RD(0x01)
 *   byte 3    RA(0x80) Z AD CD(0x70)  RCODE(0x0f)
 *   byte 4-11 QDCOUNT ANCOUNT NSCOUNT ARCOUNT
 */
#ifndef AWSDNS_DNSHDR_H
#define AWSDNS_DNSHDR_H

#include <stdbool.h>
#include <stdint.h>

#define DNS_HDR_LEN 12

#define DNS_FLAG_QR	 0x80u /* byte 2 */
#define DNS_MASK_OPCODE	 0x78u
#define DNS_SHIFT_OPCODE 3
#define DNS_FLAG_AA	 0x04u
#define DNS_FLAG_TC	 0x02u
#define DNS_FLAG_RD	 0x01u
#define DNS_FLAG_RA	 0x80u /* byte 3 */
#define DNS_MASK_RCODE	 0x0fu

enum { DNS_OPCODE_QUERY = 0, DNS_OPCODE_NOTIFY = 4, DNS_OPCODE_UPDATE = 5 };

/* Big-endian loads and stores. */
static inline uint16_t dns_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t dns_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void dns_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void dns_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The header's fields. */
static inline uint16_t dns_id(const uint8_t *m)
{
	return dns_get16(m);
}
static inline void dns_set_id(uint8_t *m, uint16_t id)
{
	dns_put16(m, id);
}

static inline bool dns_qr(const uint8_t *m)
{
	return m[2] & DNS_FLAG_QR;
}
static inline bool dns_aa(const uint8_t *m)
{
	return m[2] & DNS_FLAG_AA;
}
static inline bool dns_tc(const uint8_t *m)
{
	return m[2] & DNS_FLAG_TC;
}
static inline bool dns_rd(const uint8_t *m)
{
	return m[2] & DNS_FLAG_RD;
}
static inline bool dns_ra(const uint8_t *m)
{
	return m[3] & DNS_FLAG_RA;
}

static inline unsigned dns_opcode(const uint8_t *m)
{
	return (m[2] & DNS_MASK_OPCODE) >> DNS_SHIFT_OPCODE;
}

static inline unsigned dns_rcode(const uint8_t *m)
{
	return m[3] & DNS_MASK_RCODE;
}

/* Set (on) or clear (off) one flag of byte 2 (QR AA TC RD) or 3 (RA). */
static inline void dns_flag2(uint8_t *m, unsigned flag, bool on)
{
	m[2] = (uint8_t)(on ? m[2] | flag : m[2] & ~flag);
}

static inline void dns_flag3(uint8_t *m, unsigned flag, bool on)
{
	m[3] = (uint8_t)(on ? m[3] | flag : m[3] & ~flag);
}

static inline void dns_set_opcode(uint8_t *m, unsigned opcode)
{
	m[2] = (uint8_t)((m[2] & ~DNS_MASK_OPCODE) |
			 (opcode << DNS_SHIFT_OPCODE & DNS_MASK_OPCODE));
}

static inline void dns_set_rcode(uint8_t *m, unsigned rcode)
{
	m[3] = (uint8_t)((m[3] & ~DNS_MASK_RCODE) | (rcode & DNS_MASK_RCODE));
}

static inline uint16_t dns_qdcount(const uint8_t *m)
{
	return dns_get16(m + 4);
}
static inline uint16_t dns_ancount(const uint8_t *m)
{
	return dns_get16(m + 6);
}
static inline uint16_t dns_nscount(const uint8_t *m)
{
	return dns_get16(m + 8);
}
static inline uint16_t dns_arcount(const uint8_t *m)
{
	return dns_get16(m + 10);
}
static inline void dns_set_qdcount(uint8_t *m, uint16_t n)
{
	dns_put16(m + 4, n);
}
static inline void dns_set_ancount(uint8_t *m, uint16_t n)
{
	dns_put16(m + 6, n);
}
static inline void dns_set_nscount(uint8_t *m, uint16_t n)
{
	dns_put16(m + 8, n);
}
static inline void dns_set_arcount(uint8_t *m, uint16_t n)
{
	dns_put16(m + 10, n);
}

/*
 * An OPT RR without options (owner the root): the fields after its one
 * name byte.  `o` points at the root byte.
 *
 *   byte 0    owner (0, the root)
 *   byte 1-2  TYPE (41)        byte 3-4  CLASS: the UDP payload size
 *   byte 5    extended RCODE   byte 6    VERSION
 *   byte 7-8  flags (DO 0x8000) byte 9-10 RDLENGTH
 */
#define DNS_OPT_LEN 11
#define DNS_OPT_DO  0x8000u

static inline uint16_t dns_opt_size(const uint8_t *o)
{
	return dns_get16(o + 3);
}
static inline uint8_t dns_opt_ercode(const uint8_t *o)
{
	return o[5];
}
static inline uint8_t dns_opt_version(const uint8_t *o)
{
	return o[6];
}
static inline bool dns_opt_do(const uint8_t *o)
{
	return dns_get16(o + 7) & DNS_OPT_DO;
}

/* Write an OPT RR of no options advertising `size`, with the extended
 * rcode's upper bits and the DO bit. */
static inline void dns_opt_write(uint8_t *o, uint16_t size, unsigned rcode,
				 bool do_bit)
{
	o[0] = 0;
	dns_put16(o + 1, 41);
	dns_put16(o + 3, size);
	o[5] = (uint8_t)(rcode >> 4);
	o[6] = 0;
	dns_put16(o + 7, do_bit ? DNS_OPT_DO : 0);
	dns_put16(o + 9, 0);
}

#endif
