/* Addresses: the stack configuration a script describes (packetdrill's
 * defaults), and the sockaddrs `...` stands for in bind() and connect(). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "run/run.h"
#include "run/syscalls.h"

static int parse_addr(const char *s, int family, struct synack_addr *a)
{
	memset(a, 0, sizeof *a);
	a->family = (uint8_t)family;
	return inet_pton(family == 6 ? AF_INET6 : AF_INET, s, a->bytes) == 1 ? 0 : -1;
}

int run_stack_config(const struct run_config *cfg, const char *profile, struct stack_config *out,
                     char *why, size_t cap)
{
	memset(out, 0, sizeof *out);
	bool v6 = cfg->ip_version == RUN_IPV6;
	int fam = v6 ? 6 : 4;
	const char *l = cfg->local_ip[0] ? cfg->local_ip : v6 ? "fd3d:fa7b:d17d::1" : "192.168.0.1";
	const char *r = cfg->remote_ip[0] ? cfg->remote_ip : v6 ? "2001:db8::1" : "192.0.2.1";
	if (parse_addr(l, fam, &out->local_ip) < 0 || parse_addr(r, fam, &out->remote_ip) < 0) {
		snprintf(why, cap, "bad address: --local_ip=%s --remote_ip=%s", l, r);
		return -1;
	}
	out->ip_version = (int)cfg->ip_version;
	out->mtu = cfg->mtu ? cfg->mtu : 1500;
	out->tso_segments = cfg->tso_segments;
	out->profile = profile;
	out->seed = cfg->seed;
	out->verbose = cfg->verbose;
	return 0;
}

void run_sockaddrs_make(const struct run_config *cfg, const struct synack_addr *local,
                        const struct synack_addr *remote, struct run_sockaddrs *a)
{
	memset(a, 0, sizeof *a);
	const struct synack_addr *addr[2] = { local, remote };
	uint16_t port[2] = { cfg->bind_port, cfg->connect_port };
	struct sockaddr_storage *ss[2] = { &a->bind_addr, &a->connect_addr };
	socklen_t *len[2] = { &a->bind_len, &a->connect_len };
	a->domain = cfg->ip_version == RUN_IPV4 ? AF_INET : AF_INET6;
	for (int i = 0; i < 2; i++) {
		if (a->domain == AF_INET) {
			struct sockaddr_in sin = { .sin_family = AF_INET,
				                   .sin_port = htons(port[i]) };
			memcpy(&sin.sin_addr, addr[i]->bytes, 4);
			memcpy(ss[i], &sin, sizeof sin);
			*len[i] = sizeof sin;
		} else {
			struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
				                   .sin6_port = htons(port[i]) };
			if (addr[i]->family == 6) {
				memcpy(&s6.sin6_addr, addr[i]->bytes, 16);
			} else {
				/* IPv4-mapped IPv6 (RFC 4291 2.5.5.2). */
				s6.sin6_addr.s6_addr[10] = 0xff;
				s6.sin6_addr.s6_addr[11] = 0xff;
				memcpy(&s6.sin6_addr.s6_addr[12], addr[i]->bytes, 4);
			}
			memcpy(ss[i], &s6, sizeof s6);
			*len[i] = sizeof s6;
		}
	}
}
