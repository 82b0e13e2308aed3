/* The query builder (encoded, sorted: the one place every request's query
 * comes from) and the EC2 attribute lookup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dnsfailover/aws.h>

static void test_sorted_encoded(void **state)
{
	struct dfo_aws_query q;
	dfo_aws_query_init(&q);
	assert_int_equal(dfo_aws_query_add(&q, "type", "A"), 0);
	assert_int_equal(dfo_aws_query_add(&q, "name", "www.example.com"), 0);
	assert_int_equal(dfo_aws_query_add(&q, "maxitems", "1"), 0);
	assert_int_equal(dfo_aws_query_add(&q, "Filter.1.Value.1", "a b/c+d~é"),
			 0);
	assert_int_equal(dfo_aws_query_add(&q, "k", "2"), 0);
	assert_int_equal(dfo_aws_query_add(&q, "k", "1"), 0);
	assert_int_equal(dfo_aws_query_add(&q, "empty", ""), 0);
	char *s = dfo_aws_query_encode(&q);
	/* uppercase sorts before lowercase; repeated keys by value */
	assert_string_equal(s,
			    "Filter.1.Value.1=a%20b%2Fc%2Bd~%C3%A9&empty=&"
			    "k=1&k=2&maxitems=1&name=www.example.com&type=A");
	free(s);
	dfo_aws_query_clear(&q);
	s = dfo_aws_query_encode(&q);
	assert_string_equal(s, "");
	free(s);
	s = dfo_aws_uri_encode("/2013-04-01/a b", true);
	assert_string_equal(s, "/2013-04-01/a%20b");
	free(s);
}

static void test_attr(void **state)
{
	char *v6[] = {"2001:db8::1", "2001:db8::2"};
	struct dfo_aws_tag tags[] = {{"Name", "web1"}, {"Class", "web"}};
	struct dfo_ec2_instance i = {
		.id = "i-1",
		.type = "t3.micro",
		.private_ip = "10.0.0.1",
		.public_ip = "198.51.100.1",
		.key_name = "k",
		.az = "us-east-1a",
		.ipv6 = v6,
		.nipv6 = 2,
		.tags = tags,
		.ntags = 2,
	};
	assert_string_equal(dfo_ec2_instance_attr(&i, "id"), "i-1");
	assert_string_equal(dfo_ec2_instance_attr(&i, "instance_type"),
			    "t3.micro");
	assert_string_equal(dfo_ec2_instance_attr(&i, "private_ip_address"),
			    "10.0.0.1");
	assert_string_equal(dfo_ec2_instance_attr(&i, "ip_address"),
			    "198.51.100.1");
	assert_string_equal(dfo_ec2_instance_attr(&i, "placement"),
			    "us-east-1a");
	assert_string_equal(dfo_ec2_instance_attr(&i, "ipv6_address"),
			    "2001:db8::1");
	assert_string_equal(dfo_ec2_instance_attr(&i, "tag:Class"), "web");
	assert_null(dfo_ec2_instance_attr(&i, "tag:class"));
	assert_null(dfo_ec2_instance_attr(&i, "vpc_id"));
	assert_null(dfo_ec2_instance_attr(&i, "nonsense"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sorted_encoded),
		cmocka_unit_test(test_attr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
