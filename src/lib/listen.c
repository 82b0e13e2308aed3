/* Listening addresses of the core's own servers ("ADDR:PORT"). */
#include "config.h"

#include "core.h"

socklen_t dfo_listen_parse(const char *text, struct sockaddr_storage *ss)
{
	char host[DFO_ADDR_STRLEN];
	unsigned port;
	bool v6;
	if (!text ||
	    dfo_hostport_parse(text, 0, host, sizeof(host), &port, &v6) < 0)
		return 0;
	struct dfo_addr a;
	if (dfo_addr_parse_family(&a, host, v6 ? AF_INET6 : AF_INET) < 0)
		return 0;
	return dfo_addr_to_sockaddr(&a, port, ss);
}
