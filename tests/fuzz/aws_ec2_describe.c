/*
 * Fuzz target for the EC2 DescribeInstances parser (the expat handlers of
 * src/lib/aws/ec2.c, reached by including its source).  The answer
 * arrives in pieces, as libcurl hands them over: the first input byte
 * picks where the rest is cut in two (0: all in the second piece, 255:
 * all in the first).  The same document is then parsed again in one
 * piece, on the same reset parser as a retry would, and both parses
 * must agree.
 *
 * Built for libFuzzer by `make fuzz`, or as a corpus replayer (replay.h)
 * by `make check`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/ec2.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse xml in two pieces, cut at `cut`, as dfo_ec2_describe_instances()
 * does with each page. */
static void parse(struct page *pg, const char *xml, size_t len, size_t cut)
{
	page_restart(pg);
	if (page_sink(xml, cut, pg) == 0)
		page_sink(xml + cut, len - cut, pg);
	if (!pg->bad && XML_Parse(pg->xp, "", 0, 1) == XML_STATUS_ERROR)
		pg->bad = true;
}

static bool same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* What a caller may rely on for an instance of a good page. */
static void check_instance(const struct dfo_ec2_instance *i)
{
	static const char *const attrs[] = {
		"id",
		"state",
		"instance_type",
		"key_name",
		"image_id",
		"private_ip_address",
		"ip_address",
		"ipv6_address",
		"private_dns_name",
		"public_dns_name",
		"placement",
		"vpc_id",
		"subnet_id",
		"tag:Name",
		"nosuch",
	};
	for (size_t k = 0; k < sizeof(attrs) / sizeof(attrs[0]); k++) {
		const char *v = dfo_ec2_instance_attr(i, attrs[k]);
		if (v && strlen(v) > 64 * 1024)
			abort();
	}
	if (!same(dfo_ec2_instance_attr(i, "id"), i->id))
		abort();
	for (size_t k = 0; k < i->ntags; k++)
		if (!i->tags[k].key || !i->tags[k].value)
			abort();
	for (size_t k = 0; k < i->nipv6; k++)
		if (!i->ipv6[k])
			abort();
	if ((i->nipv6 == 0) != (i->ipv6 == NULL))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const char *xml = (const char *)data + 1;
	size_t len = size - 1, cut = len * data[0] / 255;
	struct page a = {0}, b = {0};
	if (!(a.xp = XML_ParserCreate(NULL)) ||
	    !(b.xp = XML_ParserCreate(NULL)))
		abort();

	parse(&a, xml, len, cut);
	/* b parses something else first, then the same in one piece: the
	 * reset must leave nothing behind. */
	static const char other[] =
		"<DescribeInstancesResponse><reservationSet>"
		"<item><instancesSet><item><instanceId>i-0"
		"</instanceId><tagSet><item><key>k</key>";
	parse(&b, other, sizeof(other) - 1, 30);
	parse(&b, xml, len, len);

	if (a.bad != b.bad)
		abort();
	if (!a.bad) {
		/* A document parsed whole leaves the path where it began. */
		if (a.path[0] || a.inst_at || b.path[0] || b.inst_at)
			abort();
		if (a.n != b.n || !same(a.next_token, b.next_token))
			abort();
		for (size_t i = 0; i < a.n; i++) {
			check_instance(&a.insts[i]);
			const struct dfo_ec2_instance *x = &a.insts[i],
						      *y = &b.insts[i];
			/* Text longer than the limit may be cut differently. */
			if (len < 60000 &&
			    (!same(x->id, y->id) || !same(x->state, y->state) ||
			     !same(x->private_ip, y->private_ip) ||
			     x->ntags != y->ntags || x->nipv6 != y->nipv6))
				abort();
		}
	} else if (!a.why[0]) {
		/* dfo_ec2_describe_instances() quotes why; the final parse
		 * above does not fill it in. */
		if (XML_GetErrorCode(a.xp) == XML_ERROR_NONE)
			abort();
	}

	page_reset(&a);
	page_reset(&b);
	free(a.insts);
	free(b.insts);
	free(a.text.s);
	free(b.text.s);
	XML_ParserFree(a.xp);
	XML_ParserFree(b.xp);
	return 0;
}

#define FUZZ_CORPUS "aws_ec2"
#include "replay.h"
