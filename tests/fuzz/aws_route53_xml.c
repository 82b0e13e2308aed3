/*
 * Fuzz target for the Route 53 answer parsers (src/lib/aws/route53.c,
 * reached by including its source): the XML walker and what reads
 * ListResourceRecordSets, ListHostedZonesByName and ChangeInfo (the
 * answer of ChangeResourceRecordSets and of GetChange).  The first input
 * byte picks the parser (modulo 3: record sets, hosted zones, change),
 * the rest is the answer.  The walker itself is checked against a plain
 * expat walk: it reports the end of every element whose path fits in
 * its buffer, with that path, in document order, and no other.
 *
 * Built for libFuzzer by `make fuzz`, or as a corpus replayer (replay.h)
 * by `make check`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/route53.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_rc(int rc)
{
	if (rc != 0 && rc != -EBADMSG && rc != -ENOMEM)
		abort();
}

/* As dfo_r53_list() reads one page, for www.example.com A. */
static void list(const char *xml, size_t len)
{
	struct dfo_err err = {0};
	struct listing l = {.name = "www.example.com", .type = "A"};
	int rc = xml_walk("list", xml, len, list_fn, &l, &err);
	check_rc(rc);
	for (size_t i = 0; i < l.n; i++) {
		const struct dfo_r53_rrset *s = &l.sets[i];
		/* only the sets asked for are kept, whole */
		if (!s->name || !name_eq(s->name, l.name) ||
		    strcasecmp(s->type, l.type) != 0 ||
		    strnlen(s->type, sizeof(s->type)) == sizeof(s->type))
			abort();
		for (size_t v = 0; v < s->nvalues; v++)
			if (!s->values[v])
				abort();
	}
	/* a good page leaves no set half-read */
	if (rc == 0 && (l.cur.name || l.cur.set_id || l.cur.nvalues))
		abort();
	for (size_t i = 0; i < l.n; i++)
		dfo_r53_rrset_free(&l.sets[i]);
	free(l.sets);
	dfo_r53_rrset_free(&l.cur);
	free(l.next_name);
	free(l.next_type);
	free(l.next_id);
}

/* As dfo_r53_zone_id() reads one page of its answer, for example.com. */
static void zones(const char *xml, size_t len)
{
	struct dfo_err err = {0};
	struct zones z = {.want = "example.com", .cur_private = -1};
	int rc = xml_walk("zones", xml, len, zones_fn, &z, &err);
	check_rc(rc);
	if (rc == 0 && (z.cur_id || z.cur_name))
		abort();
	/* every zone counted has its id kept, up to the cap */
	for (size_t i = 0; i < z.n && i < R53_ZONES_SAME_MAX; i++)
		if (!z.ids[i])
			abort();
	char said[200];
	zones_said(&z, said, sizeof(said));
	if (strnlen(said, sizeof(said)) >= sizeof(said))
		abort();
	zones_free(&z);
}

/* As dfo_r53_change() and dfo_r53_wait() read theirs. */
static void change(const char *xml, size_t len)
{
	struct dfo_err err = {0};
	struct change_info ci = {0};
	int rc = xml_walk("change", xml, len, change_fn, &ci, &err);
	check_rc(rc);
	if (rc < 0 && !err.msg[0])
		abort();
	free(ci.id);
	free(ci.status);
}

/* Every path the walker reports, one a line. */
static int record_fn(void *ctx, const char *path, const char *text)
{
	struct dfo_sbuf *b = ctx;
	if (dfo_sbuf_add(b, path, strlen(path)) < 0 ||
	    dfo_sbuf_add(b, "\n", 1) < 0)
		abort();
	return 0;
}

/* The reference: every element's full path, as expat ends it. */
struct ref {
	struct dfo_sbuf path, out;
};

static void ref_start(void *ud, const char *name, const char **attrs)
{
	struct ref *r = ud;
	if (dfo_sbuf_add(&r->path, "/", 1) < 0 ||
	    dfo_sbuf_add(&r->path, name, strlen(name)) < 0)
		abort();
}

static void ref_end(void *ud, const char *name)
{
	struct ref *r = ud;
	if (r->path.len < sizeof(((struct walk *)0)->path) &&
	    (dfo_sbuf_add(&r->out, r->path.s, r->path.len) < 0 ||
	     dfo_sbuf_add(&r->out, "\n", 1) < 0))
		abort();
	r->path.len -= strlen(name) + 1;
	r->path.s[r->path.len] = '\0';
}

static void walk_vs_expat(const char *xml, size_t len)
{
	struct dfo_err err = {0};
	struct dfo_sbuf got = {0};
	struct ref ref = {{0}, {0}};
	if (dfo_sbuf_add(&got, "", 0) < 0 || dfo_sbuf_add(&ref.out, "", 0) < 0)
		abort();
	check_rc(xml_walk("walk", xml, len, record_fn, &got, &err));
	XML_Parser xp = XML_ParserCreate(NULL);
	if (!xp)
		abort();
	XML_SetUserData(xp, &ref);
	XML_SetElementHandler(xp, ref_start, ref_end);
	XML_Parse(xp, xml, (int)len, 1);
	XML_ParserFree(xp);
	if (got.len != ref.out.len || memcmp(got.s, ref.out.s, got.len) != 0)
		abort();
	free(got.s);
	free(ref.path.s);
	free(ref.out.s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const char *xml = (const char *)data + 1;
	size_t len = size - 1;
	switch (data[0] % 3) {
	case 0:
		list(xml, len);
		break;
	case 1:
		zones(xml, len);
		break;
	default:
		change(xml, len);
		break;
	}
	walk_vs_expat(xml, len);
	return 0;
}

#define FUZZ_CORPUS "aws_route53"
#include "replay.h"
