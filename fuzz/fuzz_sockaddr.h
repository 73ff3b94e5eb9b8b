/* The socket address fuzz targets hand the engine for one of its addresses:
 * AF_INET, or AF_INET6 (the _inet6 targets), where an IPv4 address is
 * IPv4-mapped (::ffff:a.b.c.d) — the dual-stack paths. */
#ifndef SYNACK_FUZZ_SOCKADDR_H
#define SYNACK_FUZZ_SOCKADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "synack/engine.h"

/* wildcard: the unspecified address of the family. Returns the length. */
static inline socklen_t fuzz_sockaddr(bool inet6, const struct synack_addr *a, uint16_t port,
                                      bool wildcard, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (!inet6) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		if (!wildcard)
			memcpy(&sin->sin_addr, a->bytes, 4);
		return sizeof *sin;
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	if (wildcard)
		return sizeof *sin6;
	if (a->family == 6) {
		memcpy(&sin6->sin6_addr, a->bytes, 16);
	} else {
		sin6->sin6_addr.s6_addr[10] = sin6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&sin6->sin6_addr.s6_addr[12], a->bytes, 4);
	}
	return sizeof *sin6;
}

#endif
