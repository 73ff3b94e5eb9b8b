/* The socket calls: Linux's errnos, descriptors, options, poll, ioctl. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "fixtures.h"
#include "tap.h"

#define S(f) ((f)->st)

static void descriptors(void)
{
	struct fx f;
	subtest("socket(): lowest free descriptor from 3; errors");
	fx_init(&f, NULL, 800);
	is_int(synack_socket(S(&f), AF_INET, SOCK_STREAM, 0), 3, "3");
	is_int(synack_socket(S(&f), AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TCP), 4, "4");
	is_int(synack_socket(S(&f), AF_INET6, SOCK_STREAM, 0), 5, "5");
	is_int(synack_close(S(&f), 4), 0, "close 4");
	is_int(synack_socket(S(&f), AF_INET, SOCK_STREAM, 0), 4, "4 again");
	is_int(synack_socket(S(&f), AF_UNIX, SOCK_STREAM, 0), -EAFNOSUPPORT, "AF_UNIX");
	is_int(synack_socket(S(&f), AF_INET, SOCK_DGRAM, 0), -ESOCKTNOSUPPORT, "SOCK_DGRAM");
	is_int(synack_socket(S(&f), AF_INET, SOCK_STREAM, IPPROTO_UDP), -EPROTONOSUPPORT, "UDP");
	is_int(synack_close(S(&f), 42), -EBADF, "close(42): EBADF");
	is_int(synack_close(S(&f), 1), -ENOTSOCK, "close(1): not one of ours");
	is_int(synack_listen(S(&f), -1, 1), -EBADF, "listen(-1): EBADF");
	fx_free(&f);
	subtest_end();
}

static void bind_errors(void)
{
	struct fx f;
	struct sockaddr_storage ss;
	struct sockaddr_in in;
	subtest("bind(): EINVAL, EADDRNOTAVAIL, EADDRINUSE, EAFNOSUPPORT, port 0");
	fx_init(&f, NULL, 801);
	int a = synack_socket(S(&f), AF_INET, SOCK_STREAM, 0);
	int n = fx_sockaddr(&f, &f.local, 80, &ss);
	is_int(synack_bind(S(&f), a, (struct sockaddr *)&ss, 4), -EINVAL, "short address");
	struct synack_addr other = f.remote;
	int m = fx_sockaddr(&f, &other, 80, &in);
	is_int(synack_bind(S(&f), a, (struct sockaddr *)&in, (socklen_t)m), -EADDRNOTAVAIL,
	       "not our address");
	in.sin_family = AF_INET6;
	is_int(synack_bind(S(&f), a, (struct sockaddr *)&in, (socklen_t)m), -EAFNOSUPPORT,
	       "wrong family");
	is_int(synack_bind(S(&f), a, (struct sockaddr *)&ss, (socklen_t)n), 0, "bind :80");
	is_int(synack_bind(S(&f), a, (struct sockaddr *)&ss, (socklen_t)n), -EINVAL, "bound twice");
	int b = synack_socket(S(&f), AF_INET, SOCK_STREAM, 0);
	is_int(synack_bind(S(&f), b, (struct sockaddr *)&ss, (socklen_t)n), -EADDRINUSE,
	       "EADDRINUSE");
	int one = 1;
	synack_setsockopt(S(&f), a, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	synack_setsockopt(S(&f), b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	is_int(synack_bind(S(&f), b, (struct sockaddr *)&ss, (socklen_t)n), 0,
	       "both SO_REUSEADDR, neither listening: shared");
	synack_close(S(&f), b);
	is_int(synack_listen(S(&f), a, 5), 0, "listen");
	b = synack_socket(S(&f), AF_INET, SOCK_STREAM, 0);
	synack_setsockopt(S(&f), b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	is_int(synack_bind(S(&f), b, (struct sockaddr *)&ss, (socklen_t)n), -EADDRINUSE,
	       "not with a listener");
	int c = synack_socket(S(&f), AF_INET, SOCK_STREAM, 0);
	n = fx_sockaddr(&f, &f.local, 0, &ss);
	is_int(synack_bind(S(&f), c, (struct sockaddr *)&ss, (socklen_t)n), 0, "port 0");
	socklen_t l = sizeof(in);
	synack_getsockname(S(&f), c, (struct sockaddr *)&in, &l);
	uint16_t port = ntohs(in.sin_port);
	ok(port >= 32768 && port <= 60999 && (port & 1), "ephemeral, odd for bind: %u", port);
	fx_free(&f);
	subtest_end();
}

static void call_errors(void)
{
	struct fx f;
	char b[8];
	struct sockaddr_in in;
	socklen_t l = sizeof(in);
	subtest("connect/send/recv/accept/listen/shutdown on the wrong socket");
	fx_init(&f, NULL, 802);
	int s = synack_socket(S(&f), AF_INET, SOCK_STREAM, 0);
	is_int(synack_send(S(&f), s, "x", 1, 0), -EPIPE, "send unconnected: EPIPE");
	is_int(synack_recv(S(&f), s, b, 1, 0), -ENOTCONN, "recv unconnected: ENOTCONN");
	is_int(synack_accept(S(&f), s, NULL, NULL), -EINVAL, "accept non-listener: EINVAL");
	is_int(synack_getpeername(S(&f), s, (struct sockaddr *)&in, &l), -ENOTCONN,
	       "getpeername: ENOTCONN");
	is_int(synack_shutdown(S(&f), s, SHUT_WR), -ENOTCONN, "shutdown unconnected: ENOTCONN");
	is_int(synack_shutdown(S(&f), s, 7), -EINVAL, "shutdown(7): EINVAL");
	is_int(synack_poll(S(&f), s), POLLOUT | POLLWRNORM | POLLHUP, "fresh socket: OUT|HUP");
	/* RFC 9293 MUST-46: no OPEN to a multicast or broadcast address. */
	static const char *const bad4[] = { "224.0.0.1", "239.255.0.1", "255.255.255.255" };
	for (size_t i = 0; i < sizeof bad4 / sizeof bad4[0]; i++) {
		struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(80) };
		inet_pton(AF_INET, bad4[i], &to.sin_addr);
		is_int(synack_connect(S(&f), s, (struct sockaddr *)&to, sizeof to), -ENETUNREACH,
		       "connect to %s: ENETUNREACH", bad4[i]);
	}
	expect_none(&f);
	int s6 = synack_socket(S(&f), AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 to6 = { .sin6_family = AF_INET6, .sin6_port = htons(80) };
	inet_pton(AF_INET6, "ff02::1", &to6.sin6_addr);
	is_int(synack_connect(S(&f), s6, (struct sockaddr *)&to6, sizeof to6), -ENETUNREACH,
	       "connect to ff02::1: ENETUNREACH");
	inet_pton(AF_INET6, "::ffff:224.0.0.5", &to6.sin6_addr);
	is_int(synack_connect(S(&f), s6, (struct sockaddr *)&to6, sizeof to6), -ENETUNREACH,
	       "connect to ::ffff:224.0.0.5: ENETUNREACH");
	fx_free(&f);

	fx_init(&f, NULL, 803);
	fx_listen(&f);
	is_int(synack_recv(S(&f), f.lfd, b, 1, 0), -ENOTCONN, "recv listener: ENOTCONN");
	is_int(synack_poll(S(&f), f.lfd), 0, "listener, empty queue: 0");
	struct sockaddr_storage ss;
	int n = fx_sockaddr(&f, &f.remote, 1, &ss);
	is_int(synack_connect(S(&f), f.lfd, (struct sockaddr *)&ss, (socklen_t)n), -EISCONN,
	       "connect on a listener: EISCONN");
	fx_send_syn(&f);
	fx_drain(&f);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	is_int(synack_poll(S(&f), f.lfd), POLLIN | POLLRDNORM, "listener with a connection: IN");
	int c = synack_accept(S(&f), f.lfd, NULL, NULL);
	is_int(synack_listen(S(&f), c, 5), -EINVAL, "listen on a connection: EINVAL");
	is_int(synack_recv(S(&f), c, b, sizeof(b), 0), -EAGAIN, "no data: EAGAIN");
	is_int(synack_poll(S(&f), c), POLLOUT | POLLWRNORM, "established: OUT");
	f.fd = c;
	fx_send(&f, F_PA, 0, 0, "peekaboo", 8);
	fx_drain(&f);
	is_int(synack_poll(S(&f), c), POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM, "data: IN|OUT");
	int q = 0;
	is_int(synack_ioctl(S(&f), c, FIONREAD, &q), 0, "SIOCINQ");
	is_int(q, 8, "8 bytes queued");
	is_int(synack_recv(S(&f), c, b, 4, MSG_PEEK), 4, "MSG_PEEK 4");
	is_int(synack_recv(S(&f), c, b, 8, 0), 8, "then all 8");
	ok(!memcmp(b, "peekaboo", 8), "in order");
	is_int(synack_getpeername(S(&f), c, (struct sockaddr *)&in, &l), 0, "getpeername");
	is_int(ntohs(in.sin_port), f.rport, "peer port");
	/* After an RST. */
	fx_send(&f, F_R, 0, 0, NULL, 0);
	int m = synack_poll(S(&f), c);
	ok((m & (POLLERR | POLLHUP | POLLIN)) == (POLLERR | POLLHUP | POLLIN),
	   "after RST: ERR|HUP|IN (0x%x)", m);
	int err = -1;
	socklen_t el = sizeof(err);
	synack_getsockopt(S(&f), c, SOL_SOCKET, SO_ERROR, &err, &el);
	is_int(err, ECONNRESET, "SO_ERROR ECONNRESET, cleared");
	is_int(synack_recv(S(&f), c, b, 1, 0), 0, "recv: EOF once the error is read");
	fx_free(&f);
	subtest_end();
}

static void options(void)
{
	struct fx f;
	int v;
	socklen_t l = sizeof(v);
	subtest("socket options: stored, checked, read back like Linux");
	fx_init(&f, NULL, 804);
	int s = synack_socket(S(&f), AF_INET, SOCK_STREAM, 0);
#define SET(lvl, name, val) (v = (val), synack_setsockopt(S(&f), s, lvl, name, &v, sizeof(v)))
#define GET(lvl, name)      (l = sizeof(v), synack_getsockopt(S(&f), s, lvl, name, &v, &l), v)
	is_int(GET(SOL_SOCKET, SO_SNDBUF), 16384, "SO_SNDBUF default tcp_wmem[1]");
	is_int(GET(SOL_SOCKET, SO_RCVBUF), 131072, "SO_RCVBUF default tcp_rmem[1]");
	SET(SOL_SOCKET, SO_SNDBUF, 10000);
	is_int(GET(SOL_SOCKET, SO_SNDBUF), 20000, "SO_SNDBUF doubled");
	SET(SOL_SOCKET, SO_SNDBUF, 1);
	is_int(GET(SOL_SOCKET, SO_SNDBUF), 4608, "at least SOCK_MIN_SNDBUF");
	SET(SOL_SOCKET, SO_RCVBUF, 1 << 30);
	is_int(GET(SOL_SOCKET, SO_RCVBUF), 425984, "capped at 2 * rmem_max");
	SET(SOL_SOCKET, SO_RCVBUF, 1024);
	is_int(GET(SOL_SOCKET, SO_RCVBUF), 2304,
	       "at least SOCK_MIN_RCVBUF (2304, not the send side's 4608)");
	SET(SOL_SOCKET, SO_KEEPALIVE, 1);
	is_int(GET(SOL_SOCKET, SO_KEEPALIVE), 1, "SO_KEEPALIVE");
	is_int(GET(IPPROTO_TCP, TCP_KEEPIDLE), 7200, "TCP_KEEPIDLE default");
	is_int(GET(IPPROTO_TCP, TCP_KEEPINTVL), 75, "TCP_KEEPINTVL default");
	is_int(GET(IPPROTO_TCP, TCP_KEEPCNT), 9, "TCP_KEEPCNT default");
	is_int(SET(IPPROTO_TCP, TCP_KEEPIDLE, 0), -EINVAL, "TCP_KEEPIDLE 0: EINVAL");
	is_int(SET(IPPROTO_TCP, TCP_KEEPIDLE, 32768), -EINVAL, "TCP_KEEPIDLE 32768: EINVAL");
	is_int(SET(IPPROTO_TCP, TCP_KEEPCNT, 128), -EINVAL, "TCP_KEEPCNT 128: EINVAL");
	SET(IPPROTO_TCP, TCP_KEEPIDLE, 60);
	is_int(GET(IPPROTO_TCP, TCP_KEEPIDLE), 60, "TCP_KEEPIDLE 60");
	SET(IPPROTO_TCP, TCP_USER_TIMEOUT, 5000);
	is_int(GET(IPPROTO_TCP, TCP_USER_TIMEOUT), 5000, "TCP_USER_TIMEOUT");
	is_int(SET(IPPROTO_TCP, TCP_USER_TIMEOUT, -1), -EINVAL, "negative: EINVAL");
	is_int(GET(IPPROTO_TCP, TCP_SYNCNT), 6, "TCP_SYNCNT default");
	is_int(SET(IPPROTO_TCP, TCP_SYNCNT, 0), -EINVAL, "TCP_SYNCNT 0: EINVAL");
	SET(IPPROTO_TCP, TCP_SYNCNT, 2);
	is_int(GET(IPPROTO_TCP, TCP_SYNCNT), 2, "TCP_SYNCNT 2");
	SET(IPPROTO_TCP, TCP_QUICKACK, 1);
	is_int(GET(IPPROTO_TCP, TCP_QUICKACK), 1, "TCP_QUICKACK");
	SET(IPPROTO_TCP, TCP_DEFER_ACCEPT, 5);
	is_int(GET(IPPROTO_TCP, TCP_DEFER_ACCEPT), 7,
	       "TCP_DEFER_ACCEPT 5 reads back 7 (Linux: 3 retransmissions = 1+2+4 s)");
	is_int(GET(IPPROTO_TCP, TCP_MAXSEG), 536, "TCP_MAXSEG unconnected: 536");
	is_int(GET(SOL_SOCKET, SO_TYPE), SOCK_STREAM, "SO_TYPE");
	is_int(SET(SOL_SOCKET, 9999, 1), -ENOPROTOOPT, "unknown option: ENOPROTOOPT");
	char cc[16];
	l = sizeof(cc);
	synack_getsockopt(S(&f), s, IPPROTO_TCP, TCP_CONGESTION, cc, &l);
	is_str(cc, "cubic", "TCP_CONGESTION default cubic");
	is_int(synack_setsockopt(S(&f), s, IPPROTO_TCP, TCP_CONGESTION, "reno", 4), 0, "reno");
	l = sizeof(cc);
	synack_getsockopt(S(&f), s, IPPROTO_TCP, TCP_CONGESTION, cc, &l);
	is_str(cc, "reno", "reads back reno");
	is_int(synack_setsockopt(S(&f), s, IPPROTO_TCP, TCP_CONGESTION, "bbr", 3), -ENOENT,
	       "bbr: ENOENT");
	struct tcp_info ti;
	l = sizeof(ti);
	is_int(synack_getsockopt(S(&f), s, IPPROTO_TCP, TCP_INFO, &ti, &l), 0, "TCP_INFO");
	is_int(ti.tcpi_state, 7, "tcpi_state CLOSE");
	fx_free(&f);
	subtest_end();
}

static void tcp_info_connected(void)
{
	struct fx f;
	struct tcp_info ti;
	socklen_t l = sizeof(ti);
	subtest("TCP_INFO on a connection");
	fx_init(&f, NULL, 805);
	fx_established(&f);
	synack_send(S(&f), f.fd, "abcdef", 6, 0);
	fx_drain(&f);
	synack_getsockopt(S(&f), f.fd, IPPROTO_TCP, TCP_INFO, &ti, &l);
	is_int(ti.tcpi_state, 1, "ESTABLISHED");
	is_int(ti.tcpi_options & 7, 7, "TS, SACK, WSCALE");
	is_int(ti.tcpi_snd_wscale, 7, "snd_wscale");
	is_int(ti.tcpi_rcv_wscale, 10, "rcv_wscale");
	is_int(ti.tcpi_snd_mss, 1448, "snd_mss");
	is_int(ti.tcpi_unacked, 1, "one segment unacked");
	is_int(ti.tcpi_rto, 204000, "rto: the SYN-ACK sample + 200 ms, whole 4 ms ticks");
	is_int(ti.tcpi_rcv_mss, 536, "rcv_mss starts at 536 (tcp_initialize_rcv_mss)");

	int q = 0;
	synack_ioctl(S(&f), f.fd, TIOCOUTQ, &q);
	is_int(q, 6, "SIOCOUTQ 6");
	static char d[1000];
	fx_send(&f, F_PA, 0, 0, d, sizeof(d));
	fx_drain(&f);
	l = sizeof(ti);
	synack_getsockopt(S(&f), f.fd, IPPROTO_TCP, TCP_INFO, &ti, &l);
	is_int(ti.tcpi_rcv_mss, 1000, "then measured (tcp_measure_rcv_mss)");
	fx_free(&f);
	subtest_end();
}

static void ephemeral_ports(void)
{
	struct fx f;
	uint16_t p[3];
	subtest("ephemeral ports come from the seed, even for connect");
	for (int i = 0; i < 3; i++) {
		fx_init(&f, NULL, i == 2 ? 999 : 806);
		fx_connect(&f);
		p[i] = f.lport;
		fx_free(&f);
	}
	is_int(p[0], p[1], "same seed, same port");
	ok(p[0] != p[2], "another seed, another port");
	ok(!(p[0] & 1), "even (Linux __inet_hash_connect)");
	fx_init(&f, NULL, 807);
	fx_connect(&f);
	uint16_t first = f.lport;
	fx_connect(&f);
	ok(f.lport != first, "a second connect to the same peer picks another port");
	fx_free(&f);
	subtest_end();
}

static int sndbuf_of(struct fx *f)
{
	int v = 0;
	socklen_t l = sizeof(v);
	synack_getsockopt(S(f), f->fd, SOL_SOCKET, SO_SNDBUF, &v, &l);
	return v;
}

static void sndbuf_expand(void)
{
	struct fx f;
	static uint8_t big[200000];
	subtest("Linux tcp_sndbuf_expand: at ESTABLISHED, then as cwnd grows");
	fx_init(&f, NULL, 810);
	fx_established(&f);
	/* 2 * 10 segments * (2048 + 256): MSS 1460 + 256 + 320 rounded up. */
	is_int(sndbuf_of(&f), 46080, "SO_SNDBUF 46080 after the handshake");
	/* What Linux 6.18 accepts in this exchange (data/sndbuf-charged-by-skb
	 * .pkt): skbs of 64 KB less a little, charged 832 bytes each besides
	 * their payload; the first is pushed as it fills, the window's worth
	 * cut off it, and the rest takes more. */
	is_int((int)synack_send(S(&f), f.fd, big, sizeof(big), 0), 79640, "a full buffer");
	fx_drain(&f); /* the initial window, 10 segments */
	fx_advance(&f, 10000);
	fx_send(&f, F_A, 0, 0, NULL, 0); /* cwnd 20: 20 more, cwnd full */
	is_int(sndbuf_of(&f), 46080, "cwnd full: no growth (tcp_should_expand_sndbuf)");
	fx_drain(&f);
	fx_advance(&f, 10000);
	fx_send(&f, F_A, 0, 0, NULL, 0); /* cwnd 40, 2 segments left to send */
	is_int(sndbuf_of(&f), 2 * 40 * 2304, "room for 2 * cwnd segments (tcp_new_space)");
	is_int((int)synack_send(S(&f), f.fd, big, sizeof(big), 0), 152040,
	       "the larger buffer is usable (Linux: the same)");
	fx_free(&f);
	subtest_end();

	struct synack_profile p;
	synack_profile_rfc(&p);
	subtest("rfc profile: SO_SNDBUF stays tcp_wmem[1]");
	fx_init(&f, &p, 811);
	fx_established(&f);
	is_int(sndbuf_of(&f), 16384, "16384");
	fx_free(&f);
	subtest_end();
}

static int getint(struct fx *f, int fd, int level, int name, socklen_t *l)
{
	int v = -12345;
	*l = sizeof(v);
	int r = synack_getsockopt(S(f), fd, level, name, &v, l);
	return r < 0 ? r : v;
}

static void ip_options(void)
{
	struct fx f;
	struct synack_segment s;
	socklen_t l;
	int v;
	subtest("IP_TOS / IP_TTL (Linux ip_setsockopt): ranges, ECN bits, on the wire");
	fx_init(&f, NULL, 809);
	int a = synack_socket(S(&f), AF_INET, SOCK_STREAM, 0);
	is_int(getint(&f, a, IPPROTO_IP, IP_TOS, &l), 0, "TOS 0 by default");
	is_int(getint(&f, a, IPPROTO_IP, IP_TTL, &l), 64, "TTL 64 by default");
	v = 0;
	is_int(synack_setsockopt(S(&f), a, IPPROTO_IP, IP_TTL, &v, sizeof(v)), -EINVAL, "TTL 0");
	v = 256;
	is_int(synack_setsockopt(S(&f), a, IPPROTO_IP, IP_TTL, &v, sizeof(v)), -EINVAL, "TTL 256");
	is_int(synack_setsockopt(S(&f), a, IPPROTO_IP, IP_TTL, &v, 0), -EINVAL, "TTL optlen 0");
	uint8_t b = 9;
	is_int(synack_setsockopt(S(&f), a, IPPROTO_IP, IP_TTL, &b, 1), 0, "a one-byte TTL");
	is_int(getint(&f, a, IPPROTO_IP, IP_TTL, &l), 9, "reads 9");
	uint8_t one = 0xff;
	l = 1;
	is_int(synack_getsockopt(S(&f), a, IPPROTO_IP, IP_TTL, &one, &l), 0, "one-byte get");
	ok(l == 1 && one == 9, "one byte back: %u (len %u)", one, (unsigned)l);
	v = -1;
	is_int(synack_setsockopt(S(&f), a, IPPROTO_IP, IP_TTL, &v, sizeof(v)), 0, "TTL -1");
	is_int(getint(&f, a, IPPROTO_IP, IP_TTL, &l), 64, "the default again");
	v = 0x1ff;
	is_int(synack_setsockopt(S(&f), a, IPPROTO_IP, IP_TOS, &v, sizeof(v)), 0, "TOS 0x1ff");
	is_int(getint(&f, a, IPPROTO_IP, IP_TOS, &l), 0xfc, "low 8 bits, ECN bits not taken");
	is_int(synack_setsockopt(S(&f), a, IPPROTO_IP, IP_TOS, NULL, 0), 0, "optlen 0: TOS 0");
	is_int(getint(&f, a, IPPROTO_IP, IP_TOS, &l), 0, "TOS 0");
	is_int(synack_setsockopt(S(&f), a, IPPROTO_IP, IP_TOS, NULL, 4), -EFAULT, "NULL: EFAULT");
	is_int(synack_setsockopt(S(&f), a, IPPROTO_IP, IP_MTU_DISCOVER + 100, &v, 4), -ENOPROTOOPT,
	       "unknown IP option");
	is_int(synack_setsockopt(S(&f), a, IPPROTO_IPV6, IPV6_TCLASS, &v, 4), -ENOPROTOOPT,
	       "IPv6 option on an IPv4 socket");
	is_int(getint(&f, a, IPPROTO_IPV6, IPV6_TCLASS, &l), -EOPNOTSUPP, "get: EOPNOTSUPP");
	synack_close(S(&f), a);

	/* The listener's values reach the SYN-ACK and the accepted socket. */
	fx_listen(&f);
	v = 0xb8;
	synack_setsockopt(S(&f), f.lfd, IPPROTO_IP, IP_TOS, &v, sizeof(v));
	v = 17;
	synack_setsockopt(S(&f), f.lfd, IPPROTO_IP, IP_TTL, &v, sizeof(v));
	fx_send_syn(&f);
	if (expect_seg_out(&f, F_SA, 0, 1, 0, FX_ANY, &s))
		ok(s.tos == 0xb8 && s.ttl == 17, "SYN-ACK: tos 0x%02x ttl %u", s.tos, s.ttl);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	int c = synack_accept(S(&f), f.lfd, NULL, NULL);
	ok(c >= 0, "accepted");
	is_int(getint(&f, c, IPPROTO_IP, IP_TOS, &l), 0xb8, "inherited TOS");
	is_int(getint(&f, c, IPPROTO_IP, IP_TTL, &l), 17, "inherited TTL");
	v = 0x28;
	synack_setsockopt(S(&f), c, IPPROTO_IP, IP_TOS, &v, sizeof(v));
	synack_send(S(&f), c, "x", 1, 0);
	if (expect_seg_out(&f, F_PA, 1, 1, 1, FX_ANY, &s))
		ok(s.tos == 0x28 && s.ttl == 17, "data: tos 0x%02x ttl %u", s.tos, s.ttl);
	fx_free(&f);
	subtest_end();

	subtest("IPV6_TCLASS / IPV6_UNICAST_HOPS (Linux do_ipv6_setsockopt)");
	fx_init6(&f, NULL, 810);
	a = synack_socket(S(&f), AF_INET6, SOCK_STREAM, 0);
	is_int(getint(&f, a, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &l), 64, "hop limit 64");
	v = 256;
	is_int(synack_setsockopt(S(&f), a, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, 4), -EINVAL, "256");
	v = -2;
	is_int(synack_setsockopt(S(&f), a, IPPROTO_IPV6, IPV6_TCLASS, &v, 4), -EINVAL, "-2");
	v = 0x2b;
	is_int(synack_setsockopt(S(&f), a, IPPROTO_IPV6, IPV6_TCLASS, &v, 2), -EINVAL, "short");
	is_int(synack_setsockopt(S(&f), a, IPPROTO_IPV6, IPV6_TCLASS, &v, 4), 0, "0x2b");
	is_int(getint(&f, a, IPPROTO_IPV6, IPV6_TCLASS, &l), 0x28, "ECN bits kept TCP's");
	v = 5;
	is_int(synack_setsockopt(S(&f), a, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, 4), 0, "hops 5");
	is_int(synack_setsockopt(S(&f), a, IPPROTO_IP, IP_TOS, &v, 4), 0,
	       "IP_TOS on an IPv6 socket (for v4-mapped peers)");
	synack_close(S(&f), a);
	fx_listen(&f);
	v = 0x48;
	synack_setsockopt(S(&f), f.lfd, IPPROTO_IPV6, IPV6_TCLASS, &v, 4);
	v = 5;
	synack_setsockopt(S(&f), f.lfd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, 4);
	fx_send_syn(&f);
	if (expect_seg_out(&f, F_SA, 0, 1, 0, FX_ANY, &s))
		ok(s.tos == 0x48 && s.ttl == 5, "SYN-ACK: tclass 0x%02x hops %u", s.tos, s.ttl);
	fx_free(&f);
	subtest_end();

	subtest("replies through the control socket: answered TOS without ECN, TTL 64");
	fx_init(&f, NULL, 811);
	fx_listen(&f);
	v = 0x28;
	synack_setsockopt(S(&f), f.lfd, IPPROTO_IP, IP_TOS, &v, sizeof(v));
	v = 3;
	synack_setsockopt(S(&f), f.lfd, IPPROTO_IP, IP_TTL, &v, sizeof(v));
	fx_mkseg(&f, &s, F_A, 0, 1000, NULL, 0);
	s.tos = 0x4b;
	fx_inject(&f, &s);
	if (expect_seg_out(&f, F_R, FX_ANY, FX_ANY, 0, FX_ANY, &s))
		ok(s.tos == 0x48 && s.ttl == 64, "RST: tos 0x%02x ttl %u", s.tos, s.ttl);
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	descriptors();
	bind_errors();
	call_errors();
	options();
	tcp_info_connected();
	ephemeral_ports();
	sndbuf_expand();
	ip_options();
	done_testing();
}
