/* Listening addresses of the core's own servers ("ADDR:PORT"). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core.h"

socklen_t dfo_listen_parse(const char *text, struct sockaddr_storage *ss)
{
	char host[64];
	const char *port;
	if (!text)
		return 0;
	if (text[0] == '[') {
		const char *end = strchr(text, ']');
		if (!end || end[1] != ':' || (size_t)(end - text - 1) >= sizeof(host))
			return 0;
		memcpy(host, text + 1, (size_t)(end - text - 1));
		host[end - text - 1] = '\0';
		port = end + 2;
	} else {
		const char *colon = strrchr(text, ':');
		if (!colon || strchr(text, ':') != colon ||
		    (size_t)(colon - text) >= sizeof(host))
			return 0;
		memcpy(host, text, (size_t)(colon - text));
		host[colon - text] = '\0';
		port = colon + 1;
	}
	char *end;
	if (port[0] < '0' || port[0] > '9')
		return 0;
	unsigned long p = strtoul(port, &end, 10);
	if (*end || p < 1 || p > 65535)
		return 0;
	struct dfo_addr a;
	if (dfo_addr_parse_family(&a, host, text[0] == '[' ? AF_INET6 : AF_INET) < 0)
		return 0;
	return dfo_addr_to_sockaddr(&a, (unsigned)p, ss);
}
