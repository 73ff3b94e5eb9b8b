/* AF_INET6 sockets that talk IPv4 (RFC 4291 §2.5.5.2 IPv4-mapped addresses,
 * RFC 3493 §3.7 and §5.3 IPV6_V6ONLY), as Linux has them: bound or connected
 * to ::ffff:a.b.c.d, or accepted off a dual-stack listener on [::], the
 * socket sends and takes IPv4 segments and reads its addresses back mapped. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "fixtures.h"
#include "tap.h"

static const uint8_t v6_local[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

/* f->local / f->remote are IPv4 (fx_init); these build AF_INET6 forms. */
static socklen_t mapped(const struct synack_addr *a, uint16_t port, struct sockaddr_in6 *out)
{
	memset(out, 0, sizeof(*out));
	out->sin6_family = AF_INET6;
	out->sin6_port = htons(port);
	out->sin6_addr.s6_addr[10] = out->sin6_addr.s6_addr[11] = 0xff;
	memcpy(&out->sin6_addr.s6_addr[12], a->bytes, 4);
	return sizeof(*out);
}

static socklen_t any6(uint16_t port, struct sockaddr_in6 *out)
{
	memset(out, 0, sizeof(*out));
	out->sin6_family = AF_INET6;
	out->sin6_port = htons(port);
	return sizeof(*out);
}

static bool is_mapped(const struct sockaddr_in6 *s, const struct synack_addr *a, uint16_t port)
{
	struct sockaddr_in6 want;
	mapped(a, port, &want);
	return s->sin6_family == AF_INET6 && s->sin6_port == want.sin6_port &&
	       !memcmp(&s->sin6_addr, &want.sin6_addr, 16);
}

static void init(struct fx *f, uint64_t seed)
{
	struct synack_profile p;
	synack_profile_linux(&p);
	fx_init(f, &p, seed);
	struct synack_addr v6 = { .family = 6 };
	memcpy(v6.bytes, v6_local, 16);
	synack_add_address(f->st, &v6);
}

static int listen6(struct fx *f, const struct sockaddr_in6 *sa, int v6only)
{
	int fd = synack_socket(f->st, AF_INET6, SOCK_STREAM, 0);
	if (v6only >= 0)
		synack_setsockopt(f->st, fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	int r = synack_bind(f->st, fd, (const struct sockaddr *)sa, sizeof(*sa));
	if (r < 0)
		return r;
	r = synack_listen(f->st, fd, 16);
	return r < 0 ? r : fd;
}

static void passive_mapped(bool wildcard)
{
	struct fx f;
	init(&f, wildcard ? 2 : 1);
	subtest(wildcard ? "a dual-stack listener on [::] takes an IPv4 SYN"
	                 : "a listener bound to ::ffff:a.b.c.d takes an IPv4 SYN");
	struct sockaddr_in6 sa;
	if (wildcard)
		any6(f.lport, &sa);
	else
		mapped(&f.local, f.lport, &sa);
	f.lfd = listen6(&f, &sa, -1);
	ok(f.lfd >= 0, "bind and listen");
	fx_send_syn(&f);
	struct synack_segment s;
	ok(expect_seg_out(&f, F_SA, 0, 1, 0, FX_ANY, &s), "SYN-ACK");
	is_int(s.src.family, 4, "over IPv4");
	is_int(s.opt.mss, 1460, "MSS for a 20-byte IP header (MTU 1500)");
	fx_send(&f, F_A, 0, 0, NULL, 0);
	struct sockaddr_in6 peer;
	socklen_t len = sizeof(peer);
	memset(&peer, 0, sizeof(peer));
	int c = synack_accept(f.st, f.lfd, (struct sockaddr *)&peer, &len);
	ok(c >= 0, "accept");
	is_int((int)len, (int)sizeof(struct sockaddr_in6), "accept: a sockaddr_in6");
	ok(is_mapped(&peer, &f.remote, f.rport), "the peer as ::ffff:192.0.2.2");
	struct sockaddr_in6 me;
	len = sizeof(me);
	synack_getsockname(f.st, c, (struct sockaddr *)&me, &len);
	ok(is_mapped(&me, &f.local, f.lport), "getsockname: ::ffff:192.0.2.1");
	is_int((int)synack_send(f.st, c, "hi", 2, 0), 2, "send");
	ok(expect_seg_out(&f, F_PA, 1, 1, 2, FX_ANY, &s), "data");
	is_int(s.dst.family, 4, "over IPv4");
	int tc = 0x20;
	is_int(synack_setsockopt(f.st, c, IPPROTO_IPV6, IPV6_TCLASS, &tc, sizeof(tc)), 0,
	       "IPV6_* options stay an AF_INET6 socket's");
	subtest_end();
	fx_free(&f);
}

static void v6only(void)
{
	struct fx f;
	init(&f, 3);
	subtest("IPV6_V6ONLY: no IPv4 on [::], no mapped bind, set only before bind");
	struct sockaddr_in6 sa;
	any6(f.lport, &sa);
	f.lfd = listen6(&f, &sa, 1);
	ok(f.lfd >= 0, "v6-only listener on [::]");
	int v = -1;
	socklen_t len = sizeof(v);
	synack_getsockopt(f.st, f.lfd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len);
	is_int(v, 1, "reads back 1");
	int zero = 0;
	is_int(synack_setsockopt(f.st, f.lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)),
	       -EINVAL, "once bound: EINVAL");
	fx_send_syn(&f);
	ok(expect_seg(&f, F_RA, FX_ANY, 1, 0, FX_ANY), "an IPv4 SYN finds no listener: RST");
	int fd = synack_socket(f.st, AF_INET6, SOCK_STREAM, 0);
	int one = 1;
	synack_setsockopt(f.st, fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	mapped(&f.local, 0, &sa);
	is_int(synack_bind(f.st, fd, (struct sockaddr *)&sa, sizeof(sa)), -EINVAL,
	       "bind to a mapped address: EINVAL");
	mapped(&f.remote, f.rport, &sa);
	is_int(synack_connect(f.st, fd, (struct sockaddr *)&sa, sizeof(sa)), -ENETUNREACH,
	       "connect to a mapped address: ENETUNREACH");
	expect_none(&f);
	int fd2 = synack_socket(f.st, AF_INET, SOCK_STREAM, 0);
	is_int(synack_setsockopt(f.st, fd2, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)),
	       -ENOPROTOOPT, "not an AF_INET socket's option");
	subtest_end();
	fx_free(&f);
}

static void ports(void)
{
	struct fx f;
	init(&f, 4);
	subtest("the port: [::] holds it for IPv4 too unless v6-only");
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9000) };
	int v4 = synack_socket(f.st, AF_INET, SOCK_STREAM, 0);
	is_int(synack_bind(f.st, v4, (struct sockaddr *)&sin, sizeof(sin)), 0, "0.0.0.0:9000");
	struct sockaddr_in6 sa;
	any6(9000, &sa);
	int dual = synack_socket(f.st, AF_INET6, SOCK_STREAM, 0);
	is_int(synack_bind(f.st, dual, (struct sockaddr *)&sa, sizeof(sa)), -EADDRINUSE,
	       "[::]:9000 dual-stack: EADDRINUSE");
	struct sockaddr_in6 back;
	socklen_t len = sizeof(back);
	synack_getsockname(f.st, dual, (struct sockaddr *)&back, &len);
	ok(back.sin6_family == AF_INET6 && back.sin6_port == 0, "the failed bind left it unbound");
	int one = 1;
	synack_setsockopt(f.st, dual, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	is_int(synack_bind(f.st, dual, (struct sockaddr *)&sa, sizeof(sa)), 0,
	       "[::]:9000 v6-only: fine");
	mapped(&f.local, 9000, &sa);
	int m = synack_socket(f.st, AF_INET6, SOCK_STREAM, 0);
	is_int(synack_bind(f.st, m, (struct sockaddr *)&sa, sizeof(sa)), -EADDRINUSE,
	       "::ffff:192.0.2.1:9000 against 0.0.0.0:9000: EADDRINUSE");
	subtest_end();
	fx_free(&f);
}

static void active_mapped(void)
{
	struct fx f;
	init(&f, 5);
	subtest("connect to ::ffff:a.b.c.d goes by IPv4");
	int fd = synack_socket(f.st, AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 sa;
	mapped(&f.remote, f.rport, &sa);
	is_int(synack_connect(f.st, fd, (struct sockaddr *)&sa, sizeof(sa)), -EINPROGRESS,
	       "connect");
	struct synack_segment s;
	ok(fx_pop(&f, &s) && s.flags == F_S, "SYN");
	is_int(s.src.family, 4, "over IPv4");
	ok(!memcmp(s.src.bytes, f.local.bytes, 4), "from the stack's IPv4 address");
	is_int(s.opt.mss, 1460, "MSS for a 20-byte IP header");
	struct sockaddr_in6 me;
	socklen_t len = sizeof(me);
	synack_getsockname(f.st, fd, (struct sockaddr *)&me, &len);
	ok(is_mapped(&me, &f.local, s.sport), "getsockname: ::ffff:192.0.2.1");
	f.lport = s.sport;
	struct synack_segment sa_seg;
	fx_mkseg(&f, &sa_seg, F_SA, 0, 0, NULL, 0);
	sa_seg.opt.has_mss = true;
	sa_seg.opt.mss = 1460;
	fx_inject(&f, &sa_seg);
	ok(expect_seg(&f, F_A, 1, 1, 0, FX_ANY), "the SYN-ACK over IPv4 completes it");
	struct sockaddr_in6 peer;
	len = sizeof(peer);
	is_int(synack_getpeername(f.st, fd, (struct sockaddr *)&peer, &len), 0, "getpeername");
	ok(is_mapped(&peer, &f.remote, f.rport), "the peer: ::ffff:192.0.2.2");
	/* A socket bound to a real IPv6 address is v6-only (Linux __inet6_bind). */
	int fd6 = synack_socket(f.st, AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 b = { .sin6_family = AF_INET6 };
	memcpy(&b.sin6_addr, v6_local, 16);
	is_int(synack_bind(f.st, fd6, (struct sockaddr *)&b, sizeof(b)), 0, "bind 2001:db8::1");
	int v = 0;
	len = sizeof(v);
	synack_getsockopt(f.st, fd6, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len);
	is_int(v, 1, "now v6-only");
	is_int(synack_connect(f.st, fd6, (struct sockaddr *)&sa, sizeof(sa)), -ENETUNREACH,
	       "so a mapped peer is unreachable");
	subtest_end();
	fx_free(&f);
}

/* RFC 9293 §3.7.1 MUST-15: no MSS option means 536 over IPv4, 1220 over
 * IPv6 — by the wire, so a dual-stack listener's IPv4 SYN gets 536. */
static void default_mss(bool v6)
{
	struct fx f;
	struct synack_profile p;
	synack_profile_linux(&p);
	if (v6)
		fx_init6(&f, &p, 6);
	else
		init(&f, 7);
	subtest(v6 ? "no MSS option over IPv6: 1220" : "no MSS option, IPv4 SYN on [::]: 536");
	struct sockaddr_in6 sa;
	any6(f.lport, &sa);
	f.lfd = listen6(&f, &sa, -1);
	f.p_mss = 0;    /* fx_send_syn: no MSS option */
	f.p_ts = false; /* the whole MSS for payload */
	fx_send_syn(&f);
	ok(expect_seg(&f, F_SA, 0, 1, 0, FX_ANY), "SYN-ACK");
	fx_send(&f, F_A, 0, 0, NULL, 0);
	int c = synack_accept(f.st, f.lfd, NULL, NULL);
	static char buf[3000];
	is_int((int)synack_send(f.st, c, buf, sizeof buf, 0), (int)sizeof buf, "send 3000");
	ok(expect_seg(&f, F_A, 1, 1, v6 ? 1220 : 536, FX_ANY), "the first segment");
	subtest_end();
	fx_free(&f);
}

int main(void)
{
	default_mss(true);
	default_mss(false);
	passive_mapped(false);
	passive_mapped(true);
	v6only();
	ports();
	active_mapped();
	done_testing();
}
