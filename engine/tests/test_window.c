/* Flow control: the receive window (Linux tcp_select_initial_window,
 * __tcp_select_window), window scaling (RFC 7323 §2), receiver SWS
 * avoidance (RFC 9293 MUST-39), never shrinking the window, the peer's
 * window, sender SWS avoidance, Nagle, TCP_NODELAY, TCP_CORK. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "fixtures.h"
#include "tap.h"

static void scaled_ack_window(void)
{
	struct fx f;
	struct synack_segment s;
	subtest("ACK windows are scaled by our shift; SYN windows never");
	fx_init(&f, NULL, 600);
	fx_established(&f);
	fx_send(&f, F_PA, 0, 0, "abc", 3);
	/* rcv_ssthresh 64076 (tcp_init_buffer_space keeps one MSS back; a
	 * 3-byte segment does not grow it); the right edge offered in the
	 * SYN-ACK (65160) stays: 65157 rounded up to 1024, 64 << 10. */
	expect_seg_out(&f, F_A, 1, 4, 0, 64, &s);
	fx_free(&f);
	subtest_end();
}

static void rcvbuf_locks_wscale(void)
{
	struct fx f;
	struct synack_segment s;
	subtest("SO_RCVBUF before listen: small window, wscale 0 (Linux)");
	fx_init(&f, NULL, 601);
	fx_listen(&f);
	int v = 4096;
	is_int(synack_setsockopt(f.st, f.lfd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), 0, "set");
	socklen_t l = sizeof(v);
	synack_getsockopt(f.st, f.lfd, SOL_SOCKET, SO_RCVBUF, &v, &l);
	is_int(v, 8192, "Linux doubles SO_RCVBUF");
	fx_send_syn(&f);
	/* 8192 / 2 = 4096, rounded down to 1448: 2896. */
	expect_seg_out(&f, F_SA, 0, 1, 0, 2896, &s);
	is_int(s.opt.wscale, 0, "wscale 0");
	fx_free(&f);
	subtest_end();
}

/* Linux 6.x tcp_select_initial_window: the shift covers max(offer,
 * tcp_rmem[2], net.core.rmem_max) — a tiny tcp_rmem does not take it to 0. */
static void wscale_covers_rmem_max(void)
{
	struct fx f;
	struct synack_segment s;
	struct synack_profile p;
	subtest("wscale from net.core.rmem_max when tcp_rmem is tiny");
	synack_profile_linux(&p);
	is_int(synack_profile_sysctl(&p, "net.ipv4.tcp_rmem", "1088 1088 1088"), 0, "tcp_rmem");
	is_int(synack_profile_sysctl(&p, "net.core.rmem_max", "4194304"), 0, "rmem_max");
	fx_init(&f, &p, 602);
	fx_listen(&f);
	fx_send_syn(&f);
	/* 1088 / 2 = 544, below one MSS; ilog2(4194304) - 15 = 7. */
	expect_seg_out(&f, F_SA, 0, 1, 0, 544, &s);
	is_int(s.opt.wscale, 7, "wscale 7");
	fx_free(&f);
	synack_profile_linux(&p);
	synack_profile_sysctl(&p, "net.ipv4.tcp_rmem", "1088 1088 1088");
	fx_init(&f, &p, 603);
	fx_listen(&f);
	fx_send_syn(&f);
	expect_seg_out(&f, F_SA, 0, 1, 0, 544, &s);
	is_int(s.opt.wscale, 2, "default rmem_max 212992: wscale 2");
	fx_free(&f);
	subtest_end();
}

/* A listener with SO_RCVBUF 4096 (8192) and an accepted connection. */
static bool small_rcvbuf(struct fx *f, const struct synack_profile *p, uint64_t seed)
{
	fx_init(f, p, seed);
	fx_listen(f);
	int v = 4096;
	synack_setsockopt(f->st, f->lfd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	fx_send_syn(f);
	fx_drain(f);
	fx_send(f, F_A, 0, 0, NULL, 0);
	f->fd = synack_accept(f->st, f->lfd, NULL, NULL);
	return f->fd >= 0;
}

static void truesize_accounting(void)
{
	struct fx f;
	static const uint8_t z[1000];
	uint8_t b[4000];
	subtest("Linux: the buffer is charged by skb truesize (2304 per 1000 bytes)");
	ok(small_rcvbuf(&f, NULL, 610), "established, SO_RCVBUF 4096");
	/* truesize 2304: scaling_ratio 1000 * 256 / 2304 = 111; tcp_space =
	 * (8192 - 2304) * 111 / 256 = 2553, in rcv_mss units: 2000. */
	fx_send(&f, F_PA, 0, 0, z, 1000);
	expect_seg(&f, F_A, 1, 1001, 0, 2000);
	fx_send(&f, F_PA, 0, 0, z, 1000);
	fx_drain(&f);
	fx_send(&f, F_PA, 0, 0, z, 1000);
	fx_advance(&f, 200000);
	/* 3 skbs, 6912 bytes: (8192 - 6912) * 111 / 256 = 555 < rcv_mss: 0, at
	 * the right edge offered. */
	expect_seg(&f, F_A, 1, 3001, 0, 0);
	is_int(synack_recv(f.st, f.fd, b, 100, 0), 100, "read 100 bytes");
	expect_none(&f); /* the first skb is still charged in full */
	is_int(synack_recv(f.st, f.fd, b, sizeof(b), 0), 2900, "read the rest");
	expect_seg(&f, F_A, 1, 3001, 0, 2000); /* every skb freed: window update */
	fx_free(&f);
	subtest_end();

	subtest("Linux: small segments share an skb (tcp_try_coalesce into tailroom)");
	ok(small_rcvbuf(&f, NULL, 611), "established, SO_RCVBUF 4096");
	/* 88 bytes with their 52 bytes of headers take a 576-byte small head
	 * (832 truesize); the IP header starts 16 bytes in, which leaves 88
	 * bytes of tailroom (window.c, measured with ss -m on the Linux
	 * stack): one more such segment fits. 4 segments cost 1664, leaving
	 * (8192 - 1664) / 2 = 3264 of space, more than rcv_ssthresh: the
	 * window stays 2896. */
	for (int i = 0; i < 4; i++) {
		fx_advance(&f, 300000);
		fx_send(&f, F_PA, 0, 0, z, 88);
		fx_advance(&f, 200000);
		expect_seg(&f, F_A, 1, 88 * (uint32_t)i + 89, 0, 2896);
	}
	/* A fifth starts a third skb: (8192 - 2496) / 2 = 2848 < 2896. */
	fx_advance(&f, 300000);
	fx_send(&f, F_PA, 0, 0, z, 88);
	fx_advance(&f, 200000);
	expect_seg(&f, F_A, 1, 441, 0, 2808); /* the right edge stays at 3249 */
	fx_free(&f);
	subtest_end();

	subtest("Linux: a segment past the tailroom takes an skb of its own");
	ok(small_rcvbuf(&f, NULL, 613), "established, SO_RCVBUF 4096");
	/* 100 bytes with timestamps leave 256 - 16 - 152 = 88 bytes of
	 * tailroom: the next 100 do not fit (Linux on the CI kernel: skmem r
	 * 832 for 100 + 88, 1664 for 100 + 89). Every segment is an skb of
	 * 832, and the third brings the space, (8192 - 2496) / 2 = 2848, below
	 * the window: the right edge stays where it was (201 + 2896). */
	for (int i = 0; i < 3; i++) {
		fx_advance(&f, 300000);
		fx_send(&f, F_PA, 0, 0, z, 100);
		fx_advance(&f, 200000);
		expect_seg(&f, F_A, 1, 100 * (uint32_t)i + 101, 0, i < 2 ? 2896 : 2796);
	}
	fx_free(&f);
	subtest_end();

	struct synack_profile p;
	synack_profile_rfc(&p);
	subtest("rfc profile: the buffer counts payload bytes");
	ok(small_rcvbuf(&f, &p, 612), "established, SO_RCVBUF 4096");
	/* (8192 - 1000) / 2 = 3596 free: the 2896 offered stays. */
	fx_send(&f, F_PA, 0, 0, z, 1000);
	expect_seg(&f, F_A, 1, 1001, 0, 2896);
	fx_free(&f);
	subtest_end();
}

/* tcp_rmem 1088 (a 544-byte window), no timestamps or wscale from the peer. */
static bool tiny_rmem(struct fx *f, struct synack_profile *p, uint64_t seed)
{
	p->rmem[0] = p->rmem[1] = p->rmem[2] = 1088;
	fx_init(f, p, seed);
	f->p_ts = f->p_ws = false;
	fx_listen(f);
	fx_send_syn(f);
	fx_drain(f);
	fx_send(f, F_A, 0, 0, NULL, 0);
	f->fd = synack_accept(f->st, f->lfd, NULL, NULL);
	return f->fd >= 0;
}

/* Linux tcp_sequence / tcp_data_queue: an in-order segment whose text runs
 * past the right edge is queued whole into an empty receive queue, and
 * dropped with a duplicate ACK while the queue holds data; the rfc profile
 * keeps what its buffer holds (RFC 9293 §3.10.7.4). */
static void past_right_edge(void)
{
	struct fx f;
	struct synack_segment s;
	struct synack_profile p;
	static const uint8_t z[1448];
	uint8_t b[4000];
	subtest("Linux: text past the right edge is taken whole only into an empty queue");
	synack_profile_linux(&p);
	ok(tiny_rmem(&f, &p, 613), "established, tcp_rmem 1088");
	fx_send(&f, F_PA, 0, 0, z, 1448);
	expect_seg(&f, F_A, 1, 1449, 0, 0); /* all of it, against 544 */
	is_int(synack_recv(f.st, f.fd, b, sizeof(b), 0), 1448, "read 1448");
	expect_seg(&f, F_A, 1, 1449, 0, 544);
	fx_send(&f, F_PA, 0, 0, z, 200);
	fx_advance(&f, 200000);
	expect_seg(&f, F_A, 1, 1649, 0, 344);
	fx_mkseg(&f, &s, F_PA, 0, 0, z, 400); /* past 1993, 200 queued */
	fx_inject(&f, &s);
	expect_seg(&f, F_A, 1, 1649, 0, 344); /* dropped: duplicate ACK */
	is_int(synack_recv(f.st, f.fd, b, sizeof(b), 0), 200, "read 200");
	fx_send(&f, F_PA, 0, 0, z, 400); /* the queue is empty now */
	fx_advance(&f, 200000);
	expect_seg(&f, F_A, 1, 2049, 0, 0);
	fx_free(&f);
	subtest_end();

	subtest("rfc profile: what the buffer holds is kept");
	synack_profile_rfc(&p);
	ok(tiny_rmem(&f, &p, 614), "established, tcp_rmem 1088");
	fx_send(&f, F_PA, 0, 0, z, 1448);
	fx_advance(&f, 200000);
	expect_seg(&f, F_A, 1, 1089, 0, 0);
	fx_free(&f);
	subtest_end();
}

static void peer_window(void)
{
	struct fx f;
	char d[4000];
	memset(d, 'd', sizeof(d));
	subtest("the peer's window limits what is sent, scaled by its shift");
	fx_init(&f, NULL, 602);
	f.p_win = 10; /* << 7 = 1280, from the handshake's ACK */
	fx_established(&f);
	is_int(synack_send(f.st, f.fd, d, 3000, 0), 3000, "queued 3000");
	/* Linux tcp_bound_to_half_wnd: the largest window seen is 1280, so
	 * segments and skbs are at most 640 bytes; the second skb is past
	 * half that window since the last push mark, so it is pushed (Linux:
	 * forced_push, PSH), the first is not (tcp_push_one). */
	expect_seg(&f, F_A, 1, 1, 640, FX_ANY);
	expect_seg(&f, F_PA, 641, 1, 640, FX_ANY);
	expect_none(&f);
	f.p_win = 0;
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_none(&f);
	struct synack_tcp_info ti;
	synack_tcp_info(f.st, f.fd, &ti);
	is_int(ti.snd_wnd, 0, "zero window");
	f.p_win = 100; /* 12800 */
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_seg(&f, F_A, 1281, 1, 1448, FX_ANY);
	expect_seg(&f, F_PA, 2729, 1, 272, FX_ANY);
	/* Linux tcp_may_update_window: a duplicate ACK may open the window or
	 * close it to zero, but not shrink it otherwise. */
	fx_send(&f, F_A, 0, 0, NULL, 0); /* acks everything */
	f.p_win = 50;
	fx_send(&f, F_A, 0, 0, NULL, 0);
	synack_tcp_info(f.st, f.fd, &ti);
	is_int(ti.snd_wnd, 12800, "a duplicate ACK does not shrink the window");
	fx_free(&f);
	subtest_end();
}

static void peer_shrinks(void)
{
	struct fx f;
	char d[3000];
	memset(d, 's', sizeof(d));
	subtest("a peer that shrinks its window below what is in flight");
	fx_init(&f, NULL, 609);
	f.p_win = 100; /* 12800 */
	fx_established(&f);
	synack_send(f.st, f.fd, d, 3000, 0);
	fx_drain(&f);
	/* It acks 100 bytes and offers 10 bytes: the right edge moves left of
	 * SND.NXT (RFC 9293 §3.8.6.2.2: the sender must cope). */
	f.p_win = 0;
	fx_send(&f, F_A, 0, -2900, NULL, 0);
	f.p_win = 1;
	fx_send(&f, F_PA, 0, -2900, "x", 1);
	/* The ACK at the right edge (101 + 1 << 7), not SND.NXT, which is
	 * past it by more than one unit of our scale: Linux
	 * tcp_acceptable_seq, so that the peer accepts it. */
	expect_seg(&f, F_A, 229, 2, 0, FX_ANY);
	expect_none(&f);
	is_int(synack_send(f.st, f.fd, d, 100, 0), 100, "more data queues");
	expect_none(&f);
	/* Everything acked, window open: the rest goes. */
	f.p_win = 100;
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_seg(&f, F_PA, 3001, 2, 100, FX_ANY);
	fx_free(&f);
	subtest_end();
}

static void never_shrink(void)
{
	struct fx f;
	struct synack_segment s;
	char d[1448];
	memset(d, 'r', sizeof(d));
	subtest("filling the buffer: the right edge never moves left; SWS: window 0");
	fx_init(&f, NULL, 603);
	fx_established(&f);
	uint32_t right = 0;
	bool shrunk = false, zero = false;
	int sent = 0;
	for (int i = 0; i < 200 && !zero; i++) {
		/* A peer that keeps within the offered window: Linux drops text
		 * past the right edge while data is queued (tcp_sequence). */
		uint32_t len = sizeof(d);
		if (right && right - f.p_seq < len)
			len = right - f.p_seq;
		fx_send(&f, F_A, 0, 0, d, len);
		sent++;
		/* Past quick-ACK mode, with nothing read, Linux delays the ACK
		 * (delack.c): let the delayed-ACK timer send it. */
		if (!fx_pending(&f))
			fx_advance(&f, synack_next_deadline(f.st) - f.now);
		if (!fx_pop(&f, &s))
			break;
		uint32_t r = s.ack + ((uint32_t)s.window << 10);
		if (right && synack_seq_lt(r, right))
			shrunk = true;
		right = r;
		zero = s.window == 0;
	}
	ok(!shrunk, "the offered right edge never moved left");
	ok(zero, "the window closed (after %d segments)", sent);
	/* A segment into the zero window is dropped and ACKed. */
	fx_send(&f, F_A, 0, 0, d, 100);
	f.p_seq -= 100;
	expect_seg_out(&f, F_A, 1, FX_ANY, 0, 0, &s);
	is_hex(s.ack, f.p_seq, "not accepted");
	/* Reading frees the buffer: a window update is sent. */
	char big[65536];
	ssize_t n = synack_recv(f.st, f.fd, big, sizeof(big), 0);
	ok(n > 0, "read %zd", n);
	expect_seg_out(&f, F_A, 1, FX_ANY, 0, FX_ANY, &s);
	ok(s.window > 0, "window update: win %u", s.window);
	fx_free(&f);
	subtest_end();
}

static void nagle(void)
{
	struct fx f;
	subtest("Nagle: a second small segment waits for the first's ACK");
	fx_init(&f, NULL, 604);
	fx_established(&f);
	synack_send(f.st, f.fd, "aaaa", 4, 0);
	expect_seg(&f, F_PA, 1, 1, 4, FX_ANY);
	synack_send(f.st, f.fd, "bbbb", 4, 0);
	expect_none(&f);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_seg(&f, F_PA, 5, 1, 4, FX_ANY);
	fx_free(&f);
	subtest_end();

	subtest("TCP_NODELAY sends at once, and flushes what Nagle held");
	fx_init(&f, NULL, 605);
	fx_established(&f);
	synack_send(f.st, f.fd, "aaaa", 4, 0);
	synack_send(f.st, f.fd, "bbbb", 4, 0);
	expect_seg(&f, F_PA, 1, 1, 4, FX_ANY);
	expect_none(&f);
	int one = 1;
	synack_setsockopt(f.st, f.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	expect_seg(&f, F_PA, 5, 1, 4, FX_ANY);
	synack_send(f.st, f.fd, "cccc", 4, 0);
	expect_seg(&f, F_PA, 9, 1, 4, FX_ANY);
	fx_free(&f);
	subtest_end();

	subtest("TCP_CORK holds partial segments until uncorked; MSG_MORE likewise");
	fx_init(&f, NULL, 606);
	fx_established(&f);
	synack_setsockopt(f.st, f.fd, IPPROTO_TCP, TCP_CORK, &one, sizeof(one));
	synack_send(f.st, f.fd, "aaaa", 4, 0);
	synack_send(f.st, f.fd, "bbbb", 4, 0);
	expect_none(&f);
	int zero = 0;
	synack_setsockopt(f.st, f.fd, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero));
	expect_seg(&f, F_PA, 1, 1, 8, FX_ANY);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	synack_send(f.st, f.fd, "cc", 2, MSG_MORE);
	expect_none(&f);
	synack_send(f.st, f.fd, "dd", 2, 0);
	expect_seg(&f, F_PA, 9, 1, 4, FX_ANY);
	fx_free(&f);
	subtest_end();

	/* Linux TCP_NAGLE_PUSH: TCP_NODELAY pushes what is queued past a
	 * later TCP_CORK, until a send starts a new skb; MSG_MORE's push is
	 * TCP_NAGLE_CORK alone. */
	subtest("TCP_NODELAY pushes queued data past a later TCP_CORK, once");
	fx_init(&f, NULL, 607);
	f.p_win = 0;
	fx_established(&f);
	static char d[1545];
	is_int((int)synack_send(f.st, f.fd, d, sizeof d, 0), 1545, "1545 behind a zero window");
	synack_setsockopt(f.st, f.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	synack_setsockopt(f.st, f.fd, IPPROTO_TCP, TCP_CORK, &one, sizeof(one));
	expect_none(&f);
	f.p_win = 257;
	fx_send(&f, F_A, 0, 0, NULL, 0);
	ok(expect_seg(&f, F_A, 1, 1, 1448, FX_ANY), "the window opens: a full segment");
	ok(expect_seg(&f, F_PA, 1449, 1, 97, FX_ANY), "and the short tail, corked or not");
	fx_send(&f, F_A, 0, 0, NULL, 0);
	synack_send(f.st, f.fd, "ee", 2, 0);
	ok(expect_none(&f), "a new skb: the push is spent, the cork holds");
	synack_setsockopt(f.st, f.fd, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero));
	ok(expect_seg(&f, F_PA, 1546, 1, 2, FX_ANY), "uncorked");
	fx_send(&f, F_A, 0, 0, NULL, 0);
	synack_setsockopt(f.st, f.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	synack_setsockopt(f.st, f.fd, IPPROTO_TCP, TCP_CORK, &one, sizeof(one));
	synack_send(f.st, f.fd, "ff", 2, MSG_MORE);
	ok(expect_none(&f), "a new skb sent with MSG_MORE: held");
	fx_free(&f);
	subtest_end();
}

static void initial_window(void)
{
	struct fx f;
	static char d[30000];
	subtest("slow start from initcwnd 10 (RFC 5681 §3.1, RFC 6928)");
	fx_init(&f, NULL, 610);
	fx_established(&f);
	int one = 1;
	synack_setsockopt(f.st, f.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	int v = 100000;
	synack_setsockopt(f.st, f.fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	is_int(synack_send(f.st, f.fd, d, sizeof(d), 0), 30000, "queued");
	int n = 0;
	while (fx_pending(&f)) {
		fx_drain(&f);
		n++;
	}
	struct synack_tcp_info ti;
	synack_tcp_info(f.st, f.fd, &ti);
	is_int(ti.unacked, 10, "10 segments in flight");
	is_int(ti.snd_cwnd, 10, "cwnd 10");
	/* The peer acks two segments: cwnd 12, four more go. */
	fx_send(&f, F_A, 0, -(int32_t)(8 * 1448), NULL, 0);
	is_int((int)fx_pending(&f), 4, "four more segments");
	synack_tcp_info(f.st, f.fd, &ti);
	is_int(ti.snd_cwnd, 12, "cwnd 12");
	fx_free(&f);

	/* Linux tcp_is_cwnd_limited: an application-limited flow keeps its
	 * cwnd (request/response traffic stays at 10). */
	fx_init(&f, NULL, 612);
	fx_established(&f);
	for (int i = 0; i < 20; i++) {
		synack_send(f.st, f.fd, d, 100, 0);
		fx_drain(&f);
		fx_send(&f, F_A, 0, 0, NULL, 0);
	}
	synack_tcp_info(f.st, f.fd, &ti);
	is_int(ti.snd_cwnd, 10, "20 small exchanges: cwnd still 10");
	fx_free(&f);

	/* RFC 5681 §4.1 / tcp_slow_start_after_idle: after an idle RTO the
	 * window restarts at initcwnd. */
	fx_init(&f, NULL, 613);
	fx_established(&f);
	synack_setsockopt(f.st, f.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	synack_setsockopt(f.st, f.fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	for (int round = 0; round < 3; round++) {
		synack_send(f.st, f.fd, d, sizeof(d), 0);
		fx_drain(&f);
		fx_send(&f, F_A, 0, 0, NULL, 0);
	}
	fx_drain(&f);
	synack_tcp_info(f.st, f.fd, &ti);
	ok(ti.snd_cwnd > 10, "cwnd grew to %u", ti.snd_cwnd);
	fx_advance(&f, 5000000);
	synack_send(f.st, f.fd, d, sizeof(d), 0);
	synack_tcp_info(f.st, f.fd, &ti);
	is_int(ti.snd_cwnd, 10, "after 5 s idle: back to 10");
	is_int(ti.unacked, 10, "10 segments out");
	fx_free(&f);
	subtest_end();
}

static void maxseg(void)
{
	struct fx f;
	struct synack_segment s;
	subtest("TCP_MAXSEG clamps the advertised and the sending MSS");
	fx_init(&f, NULL, 607);
	fx_listen(&f);
	int v = 1000;
	is_int(synack_setsockopt(f.st, f.lfd, IPPROTO_TCP, TCP_MAXSEG, &v, sizeof(v)), 0, "set");
	v = 50;
	is_int(synack_setsockopt(f.st, f.lfd, IPPROTO_TCP, TCP_MAXSEG, &v, sizeof(v)), -EINVAL,
	       "below 88: EINVAL");
	fx_send_syn(&f);
	expect_seg_out(&f, F_SA, 0, 1, 0, FX_ANY, &s);
	is_int(s.opt.mss, 1000, "SYN-ACK mss 1000");
	fx_send(&f, F_A, 0, 0, NULL, 0);
	int fd = synack_accept(f.st, f.lfd, NULL, NULL);
	socklen_t l = sizeof(v);
	synack_getsockopt(f.st, fd, IPPROTO_TCP, TCP_MAXSEG, &v, &l);
	is_int(v, 988, "TCP_MAXSEG reads the effective MSS");
	fx_free(&f);
	subtest_end();

	subtest("the MSS is bounded by half the peer's largest window (tcp_bound_to_half_wnd)");
	fx_init(&f, NULL, 611);
	f.p_ws = false;
	f.p_ts = false;
	f.p_win = 1000;
	fx_established(&f);
	struct synack_tcp_info ti0;
	synack_tcp_info(f.st, f.fd, &ti0);
	is_int(ti0.snd_mss, 500, "window 1000: mss 500");
	f.p_win = 65535;
	fx_send(&f, F_A, 0, 0, NULL, 0);
	synack_tcp_info(f.st, f.fd, &ti0);
	is_int(ti0.snd_mss, 1460, "the window opens: mss 1460");
	fx_free(&f);
	subtest_end();

	struct synack_profile p;
	synack_profile_linux(&p);
	subtest("a tiny peer MSS is raised to tcp_min_snd_mss (48)");
	fx_init(&f, &p, 608);
	f.p_mss = 10;
	f.p_ts = false;
	fx_listen(&f);
	fx_send_syn(&f);
	fx_drain(&f);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	fd = synack_accept(f.st, f.lfd, NULL, NULL);
	struct synack_tcp_info ti;
	synack_tcp_info(f.st, fd, &ti);
	is_int(ti.snd_mss, 48, "snd_mss 48");
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	scaled_ack_window();
	rcvbuf_locks_wscale();
	wscale_covers_rmem_max();
	truesize_accounting();
	past_right_edge();
	peer_window();
	peer_shrinks();
	never_shrink();
	nagle();
	initial_window();
	maxseg();
	done_testing();
}
