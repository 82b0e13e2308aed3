/*
 * The generated instances of the small awsdns indexes that the fuzz
 * targets answer from (awsdns_query.c, awsdns_xfr.c), included after
 * responder/awsdns/index.c.
 */
#ifndef DFO_FUZZ_AWSDNS_INDEX_H
#define DFO_FUZZ_AWSDNS_INDEX_H

/* Adds N instances to IX under C: i-0000, i-0001, ... at
 * 10.0.(i / PER).(i % PER + 1), each with the two tags TAGS, the first
 * also with the NV6 IPv6 addresses V6.  Aborts if one is refused. */
static void fuzz_add_instances(struct awsdns_index *ix,
			       const struct index_conf *c, int n, int per,
			       struct dfo_aws_tag *tags, char **v6, size_t nv6)
{
	for (int i = 0; i < n; i++) {
		char ip[32], id[32];
		snprintf(ip, sizeof(ip), "10.0.%d.%d", i / per, i % per + 1);
		snprintf(id, sizeof(id), "i-%04d", i);
		struct dfo_ec2_instance inst = {.id = id,
						.private_ip = ip,
						.ipv6 = i == 0 ? v6 : NULL,
						.nipv6 = i == 0 ? nv6 : 0,
						.tags = tags,
						.ntags = 2};
		if (index_add(ix, c, &inst) < 0)
			abort();
	}
}

#endif
