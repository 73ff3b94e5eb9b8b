/* The send buffer charged as Linux charges it (sndbuf.c): how much a
 * non-blocking write takes, against figures measured on Linux 6.18 with
 * the same exchange (docs/engine.md: MSS 1000, no timestamps, the peer's
 * window unscaled, SO_SNDBUF = X so the buffer is 2X). */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include "fixtures.h"
#include "tap.h"

static uint8_t big[200000];

/* Established with the peer's window `win`, SO_SNDBUF x: what one write of
 * 200000 bytes takes. */
static long accepted(uint16_t win, int x, struct fx *f, uint64_t seed)
{
	fx_init(f, NULL, seed);
	f->p_ts = false;
	f->p_wscale = 0;
	f->p_mss = 1000;
	f->p_win = win;
	/* The handshake's ACK 100 ms after the SYN-ACK, as in the scripts
	 * measured: the RTT sets the pacing rate, so TSO autosizing. */
	if (!fx_syn_recv(f))
		return -1;
	fx_advance(f, 100000);
	fx_send(f, F_A, 0, 0, NULL, 0);
	f->fd = synack_accept(f->st, f->lfd, NULL, NULL);
	if (f->fd < 0)
		return -1;
	fx_drain(f);
	synack_setsockopt(f->st, f->fd, SOL_SOCKET, SO_SNDBUF, &x, sizeof x);
	return (long)synack_send(f->st, f->fd, big, sizeof big, 0);
}

struct measured {
	uint16_t win;
	int x;
	long linux_took;
};

static void as_linux(void)
{
	static const struct measured m[] = {
		/* size_goal 2000: skbs of 2832, a new one while below 2X. */
		{ 4000, 3000, 6000 },
		{ 4000, 7080, 10000 },
		{ 4000, 7081, 12000 },
		{ 4000, 8497, 14000 },
		{ 4000, 20000, 30000 },
		/* No window yet: one whole 65000-byte skb, whatever X. */
		{ 0, 3000, 65000 },
		{ 0, 20000, 65000 },
		/* size_goal 30000: the first skb leaves as it fills, cwnd's
		 * 10000 cut off it, and the rest takes 10000 more. */
		{ 60000, 3000, 40000 },
		{ 60000, 20000, 40000 },
		{ 6000, 8497, 15000 },
		/* size_goal 3000, TSO autosizing sends 2000 of a full skb
		 * (tcp_push_one: one transmission), so the write refills it. */
		{ 6000, 3000, 5000 },
		/* Window 1000: MSS and size_goal 500; each forced push lets the
		 * head skb take the next one whole (tcp_grow_skb), freeing its
		 * head charge. */
		{ 1000, 3000, 3000 },
		{ 1000, 5000, 4500 },
		{ 1000, 8496, 7000 },
	};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
		struct fx f;
		long got = accepted(m[i].win, m[i].x, &f, 900 + i);
		is_int(got, m[i].linux_took, "window %u, SO_SNDBUF %d: Linux takes %ld", m[i].win,
		       m[i].x, m[i].linux_took);
		char why[256] = "";
		is_int(synack_check_invariants(f.st, why, sizeof why), 0, "invariants hold %s",
		       why);
		fx_free(&f);
	}
}

static void full_buffer_then_space(void)
{
	struct fx f;
	subtest("a full buffer is not writable until ACKs free half of it");
	long took = accepted(4000, 7081, &f, 950);
	is_int(took, 12000, "12000 queued, 4000 of them sent");
	ok(!(synack_poll(f.st, f.fd) & POLLOUT), "no POLLOUT");
	is_int((int)synack_send(f.st, f.fd, big, 1, 0), -EAGAIN, "a write: EAGAIN");
	fx_drain(&f);
	/* Each ACK frees the two skbs sent and lets two more out. */
	fx_send(&f, F_A, 0, 0, NULL, 0);
	fx_drain(&f);
	ok(!(synack_poll(f.st, f.fd) & POLLOUT), "four skbs left (11328 of 14162): no POLLOUT");
	fx_send(&f, F_A, 0, 0, NULL, 0);
	fx_drain(&f);
	ok(synack_poll(f.st, f.fd) & POLLOUT, "two left (5664): POLLOUT");
	fx_free(&f);
	subtest_end();
}

static void rfc_counts_bytes(void)
{
	struct fx f;
	struct synack_profile p;
	subtest("the rfc profile counts SO_SNDBUF payload bytes");
	synack_profile_rfc(&p);
	fx_init(&f, &p, 960);
	f.p_ts = false;
	f.p_mss = 1000;
	f.p_wscale = 0;
	f.p_win = 4000;
	fx_established(&f);
	int x = 7081;
	synack_setsockopt(f.st, f.fd, SOL_SOCKET, SO_SNDBUF, &x, sizeof x);
	is_int((long)synack_send(f.st, f.fd, big, sizeof big, 0), 2 * x, "2X");
	fx_free(&f);
	subtest_end();
}

static int lowat_of(struct fx *f, int fd)
{
	int v = -1;
	socklen_t l = sizeof v;
	synack_getsockopt(f->st, fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &v, &l);
	return v;
}

static void notsent_lowat(void)
{
	struct fx f;
	subtest("TCP_NOTSENT_LOWAT: read back, inherited, 0 is the default");
	fx_init(&f, NULL, 970);
	f.p_ts = false;
	f.p_mss = 1000;
	f.p_wscale = 0;
	f.p_win = 4000;
	fx_listen(&f);
	is_int(lowat_of(&f, f.lfd), 0, "0 by default (the sysctl's, unlimited)");
	int v = 3000;
	synack_setsockopt(f.st, f.lfd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &v, sizeof v);
	fx_send_syn(&f);
	fx_drain(&f);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	f.fd = synack_accept(f.st, f.lfd, NULL, NULL);
	is_int(lowat_of(&f, f.fd), 3000, "the accepted socket has the listener's");
	is_int((long)synack_send(f.st, f.fd, big, sizeof big, 0), 8000,
	       "4000 unsent reach the mark: no fifth skb (Linux: 8000)");
	ok(!(synack_poll(f.st, f.fd) & POLLOUT), "not writable");
	v = 0;
	synack_setsockopt(f.st, f.fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &v, sizeof v);
	ok(synack_poll(f.st, f.fd) & POLLOUT, "0: the default again, writable");
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	as_linux();
	notsent_lowat();
	full_buffer_then_space();
	rfc_counts_bytes();
	done_testing();
}
