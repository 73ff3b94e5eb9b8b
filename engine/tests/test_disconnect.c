/* connect(AF_UNSPEC): Linux's tcp_disconnect (RFC 9293 §3.10.5 ABORT, the
 * socket kept) — from every state, what survives and what does not. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "fixtures.h"
#include "tap.h"

static int disconnect(struct fx *f, int fd)
{
	struct sockaddr unspec;
	memset(&unspec, 0, sizeof unspec);
	unspec.sa_family = AF_UNSPEC;
	return synack_connect(f->st, fd, &unspec, sizeof unspec);
}

static int so_error(struct fx *f, int fd)
{
	int v = -1;
	socklen_t len = sizeof v;
	synack_getsockopt(f->st, fd, SOL_SOCKET, SO_ERROR, &v, &len);
	return v;
}

static uint16_t local_port(struct fx *f, int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	memset(&sin, 0, sizeof sin);
	if (synack_getsockname(f->st, fd, (struct sockaddr *)&sin, &len) != 0)
		return 0xffff;
	return ntohs(sin.sin_port);
}

static void invariants_hold(struct fx *f)
{
	char why[256] = "";
	is_int(synack_check_invariants(f->st, why, sizeof why), 0, "invariants hold");
	if (why[0])
		tap_diag("%s", why);
}

struct from_state {
	const char *name;
	bool (*reach)(struct fx *);
	bool rst;  /* tcp_need_reset */
	int error; /* sk_err after */
};

static void from_every_state(void)
{
	static const struct from_state states[] = {
		{ "SYN_SENT", fx_syn_sent, false, ECONNRESET },
		{ "ESTABLISHED", fx_established, true, ECONNRESET },
		{ "ESTABLISHED (active)", fx_established_active, true, ECONNRESET },
		{ "CLOSE_WAIT", fx_close_wait, true, ECONNRESET },
		{ "FIN_WAIT1", fx_fin_wait1, true, ECONNRESET },
		{ "FIN_WAIT2", fx_fin_wait2, true, ECONNRESET },
		{ "CLOSING", fx_closing, false, 0 },
		{ "LAST_ACK", fx_last_ack, false, 0 },
	};
	for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
		const struct from_state *s = &states[i];
		struct fx f;
		subtest("from %s: RST %s, error %d", s->name, s->rst ? "yes" : "no", s->error);
		fx_init(&f, NULL, 40 + i);
		if (!ok(s->reach(&f), "reached %s", s->name)) {
			fx_free(&f);
			subtest_end();
			continue;
		}
		fx_drain(&f);
		is_int(disconnect(&f, f.fd), 0, "connect(AF_UNSPEC) = 0");
		if (s->rst)
			expect_seg(&f, F_RA, FX_ANY, FX_ANY, 0, FX_ANY);
		expect_none(&f);
		is_int(fx_state(&f, f.fd), 7, "CLOSE");
		is_int(so_error(&f, f.fd), s->error, "SO_ERROR");
		is_int(synack_next_deadline(f.st), SYNACK_NEVER, "no timer left");
		char b[8];
		is_int(synack_recv(f.st, f.fd, b, sizeof b, 0), -ENOTCONN, "recv: ENOTCONN");
		invariants_hold(&f);
		/* The peer's next segment finds no connection. */
		fx_send(&f, F_A, 0, 0, NULL, 0);
		ok(fx_pending(&f) <= 1, "at most a RST for the old tuple");
		fx_free(&f);
		subtest_end();
	}
}

static void listener(void)
{
	struct fx f;
	subtest("a listener stops listening and keeps its port");
	fx_init(&f, NULL, 50);
	fx_syn_recv(&f); /* a child in the SYN queue */
	fx_drain(&f);
	is_int(disconnect(&f, f.lfd), 0, "connect(AF_UNSPEC) = 0");
	is_int(fx_state(&f, f.lfd), 7, "CLOSE");
	is_int(synack_accept(f.st, f.lfd, NULL, NULL), -EINVAL, "accept: EINVAL");
	is_int(local_port(&f, f.lfd), f.lport, "bound port kept");
	is_int(synack_listen(f.st, f.lfd, 8), 0, "listen again");
	invariants_hold(&f);
	fx_free(&f);
	subtest_end();
}

static void settings_survive(void)
{
	struct fx f;
	subtest("options survive, connection state does not");
	fx_init(&f, NULL, 51);
	fx_established_active(&f);
	int one = 1, sndbuf = 10000, mss = 1000, v;
	socklen_t len = sizeof v;
	synack_setsockopt(f.st, f.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	synack_setsockopt(f.st, f.fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
	synack_setsockopt(f.st, f.fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
	synack_setsockopt(f.st, f.fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof mss);
	synack_send(f.st, f.fd, "data", 4, 0);
	fx_drain(&f);
	uint16_t port = local_port(&f, f.fd);
	ok(port != 0, "connected from port %u", port);
	is_int(disconnect(&f, f.fd), 0, "connect(AF_UNSPEC) = 0");
	synack_getsockopt(f.st, f.fd, IPPROTO_TCP, TCP_NODELAY, &v, &len);
	is_int(v, 1, "TCP_NODELAY kept");
	synack_getsockopt(f.st, f.fd, SOL_SOCKET, SO_KEEPALIVE, &v, &len);
	is_int(v, 1, "SO_KEEPALIVE kept");
	synack_getsockopt(f.st, f.fd, SOL_SOCKET, SO_SNDBUF, &v, &len);
	is_int(v, 2 * sndbuf, "SO_SNDBUF kept");
	struct synack_tcp_info ti;
	synack_tcp_info(f.st, f.fd, &ti);
	is_int(ti.snd_cwnd, 10, "cwnd back to TCP_INIT_CWND");
	is_int((int64_t)ti.bytes_sent, 0, "bytes_sent cleared");
	is_int(ti.rtt, 0, "no RTT estimate");
	/* connect() without bind(): the ephemeral port is given back. */
	is_int(local_port(&f, f.fd), 0, "ephemeral port released");
	invariants_hold(&f);
	fx_free(&f);
	subtest_end();
}

static void bound_port_kept(void)
{
	struct fx f;
	subtest("a port named in bind() is kept, and the socket connects again");
	fx_init(&f, NULL, 52);
	int fd = synack_socket(f.st, AF_INET, SOCK_STREAM, 0);
	uint8_t sa[sizeof(struct sockaddr_in6)];
	int salen = fx_sockaddr(&f, &f.local, 40000, sa);
	is_int(synack_bind(f.st, fd, (struct sockaddr *)sa, (socklen_t)salen), 0, "bind :40000");
	salen = fx_sockaddr(&f, &f.remote, f.rport, sa);
	is_int(synack_connect(f.st, fd, (struct sockaddr *)sa, (socklen_t)salen), -EINPROGRESS,
	       "connect");
	fx_drain(&f);
	is_int(disconnect(&f, fd), 0, "connect(AF_UNSPEC) = 0");
	is_int(local_port(&f, fd), 40000, "port kept");
	is_int(synack_connect(f.st, fd, (struct sockaddr *)sa, (socklen_t)salen), -EINPROGRESS,
	       "connect again");
	struct synack_segment s;
	ok(fx_pop(&f, &s) && s.flags == F_S && s.sport == 40000, "a SYN from port 40000");
	invariants_hold(&f);
	fx_free(&f);
	subtest_end();
}

static void short_address(void)
{
	struct fx f;
	subtest("an address shorter than its family: EINVAL");
	fx_init(&f, NULL, 53);
	fx_established(&f);
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	is_int(synack_connect(f.st, f.fd, &unspec, 1), -EINVAL, "connect(AF_UNSPEC, 1)");
	is_int(fx_state(&f, f.fd), 1, "still ESTABLISHED");
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	from_every_state();
	listener();
	settings_survive();
	bound_port_kept();
	short_address();
	done_testing();
}
