/* Closing: FIN both ways, half-close, simultaneous close, abort on unread
 * data, SO_LINGER {1,0}, orphaned FIN_WAIT_2 (RFC 9293 §3.6, §3.10.4). */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "fixtures.h"
#include "tap.h"

static void active_close(void)
{
	struct fx f;
	subtest("active close: FIN_WAIT1 -> FIN_WAIT2 -> TIME_WAIT");
	fx_init(&f, NULL, 10);
	fx_established(&f);
	is_int(synack_close(f.st, f.fd), 0, "close");
	expect_seg(&f, F_FA, 1, 1, 0, FX_ANY);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_none(&f);
	fx_send(&f, F_FA, 0, 0, NULL, 0);
	expect_seg(&f, F_A, 2, 2, 0, FX_ANY);
	is_int(synack_close(f.st, f.fd), -EBADF, "the descriptor is gone");
	ok(synack_next_deadline(f.st) == f.now + 60000000, "TIME_WAIT timer: 60 s");
	fx_free(&f);
	subtest_end();
}

static void passive_close(void)
{
	struct fx f;
	char b[8];
	subtest("passive close: CLOSE_WAIT -> LAST_ACK -> CLOSED");
	fx_init(&f, NULL, 11);
	fx_established(&f);
	fx_send(&f, F_FA, 0, 0, NULL, 0);
	fx_advance(&f, 0); /* tcp_fin's delayed ACK, ATO 0 before any data */
	expect_seg(&f, F_A, 1, 2, 0, FX_ANY);
	is_int(fx_state(&f, f.fd), 8, "CLOSE_WAIT");
	is_int(synack_recv(f.st, f.fd, b, sizeof(b), 0), 0, "recv: EOF");
	ok(synack_poll(f.st, f.fd) & POLLRDHUP, "poll: POLLRDHUP");
	is_int(synack_send(f.st, f.fd, "late", 4, 0), 4, "CLOSE_WAIT can still send");
	expect_seg(&f, F_PA, 1, 2, 4, FX_ANY);
	synack_close(f.st, f.fd);
	expect_seg(&f, F_FA, 5, 2, 0, FX_ANY);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_none(&f);
	is_int(synack_next_deadline(f.st), SYNACK_NEVER, "no timers left");
	/* The connection is gone: a segment now gets an RST. */
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_seg(&f, F_R, 6, 0, 0, 0);
	fx_free(&f);
	subtest_end();
}

static void half_close(void)
{
	struct fx f;
	char b[16];
	subtest("half-close: SHUT_WR, data keeps flowing the other way");
	fx_init(&f, NULL, 12);
	fx_established(&f);
	is_int(synack_shutdown(f.st, f.fd, SHUT_WR), 0, "shutdown(SHUT_WR)");
	expect_seg(&f, F_FA, 1, 1, 0, FX_ANY);
	is_int(synack_send(f.st, f.fd, "x", 1, 0), -EPIPE, "send after SHUT_WR: EPIPE");
	fx_send(&f, F_A, 0, 0, NULL, 0);
	is_int(fx_state(&f, f.fd), 5, "FIN_WAIT2");
	fx_send(&f, F_PA, 0, 0, "more", 4);
	expect_seg(&f, F_A, 2, 5, 0, FX_ANY);
	is_int(synack_recv(f.st, f.fd, b, sizeof(b), 0), 4, "data still arrives");
	is_int(synack_next_deadline(f.st), SYNACK_NEVER,
	       "a FIN_WAIT2 socket with a descriptor has no timeout (Linux)");
	fx_send(&f, F_FA, 0, 0, NULL, 0);
	expect_seg(&f, F_A, 2, 6, 0, FX_ANY);
	is_int(fx_state(&f, f.fd), 7, "the descriptor sees CLOSED; TIME_WAIT lives on");
	is_int(synack_recv(f.st, f.fd, b, sizeof(b), 0), 0, "recv: EOF");
	fx_free(&f);
	subtest_end();
}

static void simultaneous_close(void)
{
	struct fx f;
	subtest("simultaneous close: FIN_WAIT1 -> CLOSING -> TIME_WAIT");
	fx_init(&f, NULL, 13);
	fx_established(&f);
	synack_shutdown(f.st, f.fd, SHUT_WR);
	expect_seg(&f, F_FA, 1, 1, 0, FX_ANY);
	fx_send(&f, F_FA, 0, -1, NULL, 0); /* crosses our FIN */
	expect_seg(&f, F_A, 2, 2, 0, FX_ANY);
	is_int(fx_state(&f, f.fd), 11, "CLOSING");
	fx_send(&f, F_A, 0, 0, NULL, 0);
	is_int(fx_state(&f, f.fd), 7, "our FIN acked: TIME_WAIT (descriptor sees CLOSED)");
	ok(synack_next_deadline(f.st) == f.now + 60000000, "TIME_WAIT timer");
	fx_free(&f);
	subtest_end();
}

static void fin_with_data_queued(void)
{
	struct fx f;
	subtest("close with data queued: the FIN rides on the last segment");
	fx_init(&f, NULL, 14);
	fx_established(&f);
	f.p_win = 0; /* the peer's window closes */
	fx_send(&f, F_A, 0, 0, NULL, 0);
	is_int(synack_send(f.st, f.fd, "abc", 3, 0), 3, "queued behind a zero window");
	expect_none(&f);
	synack_close(f.st, f.fd);
	expect_none(&f);
	f.p_win = 1000;
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_seg(&f, F_P | F_FA, 1, 1, 3, FX_ANY);
	fx_free(&f);
	subtest_end();
}

static void unread_data_reset(void)
{
	struct fx f;
	subtest("close with unread data: RST (RFC 2525 §2.17)");
	fx_init(&f, NULL, 15);
	fx_established(&f);
	fx_send(&f, F_PA, 0, 0, "unread", 6);
	expect_seg(&f, F_A, 1, 7, 0, FX_ANY);
	synack_close(f.st, f.fd);
	expect_seg(&f, F_RA, 1, 7, 0, FX_ANY);
	is_uint(synack_stats(f.st)->aborts_on_close, 1, "counted");
	is_int(synack_next_deadline(f.st), SYNACK_NEVER, "no TIME_WAIT");
	fx_free(&f);
	subtest_end();
}

static void linger_abort(void)
{
	struct fx f;
	subtest("SO_LINGER {1, 0}: close aborts with RST");
	fx_init(&f, NULL, 16);
	fx_established(&f);
	struct linger lg = { 1, 0 };
	is_int(synack_setsockopt(f.st, f.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0,
	       "setsockopt SO_LINGER");
	synack_close(f.st, f.fd);
	expect_seg(&f, F_RA, 1, 1, 0, FX_ANY);
	expect_none(&f);
	is_uint(synack_stats(f.st)->aborts_on_linger, 1, "counted");
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_seg(&f, F_R, 1, 0, 0, 0);
	fx_free(&f);
	subtest_end();
}

static void orphan_fin_wait2_timeout(void)
{
	struct fx f;
	subtest("orphaned FIN_WAIT2 times out after tcp_fin_timeout");
	fx_init(&f, NULL, 17);
	fx_established(&f);
	synack_close(f.st, f.fd);
	expect_seg(&f, F_FA, 1, 1, 0, FX_ANY);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	is_uint(synack_next_deadline(f.st), f.now + 60000000, "fin_timeout 60 s");
	fx_advance(&f, 60000000);
	expect_none(&f);
	/* Gone: the peer's late FIN gets an RST. */
	fx_send(&f, F_FA, 0, 0, NULL, 0);
	expect_seg(&f, F_R, 2, 0, 0, 0);
	fx_free(&f);
	subtest_end();
}

/* An established connection under profile p (tcp_fin_timeout set), closed
 * and its FIN acknowledged: an orphan in FIN_WAIT2. *rto: tcpi_rto before. */
static void orphan_in_fin_wait2(struct fx *f, struct synack_profile *p, uint64_t fin_timeout_us,
                                uint64_t seed, uint32_t *rto)
{
	struct synack_tcp_info ti;
	p->fin_timeout_us = fin_timeout_us;
	fx_init(f, p, seed);
	fx_established(f);
	synack_tcp_info(f->st, f->fd, &ti);
	*rto = ti.rto;
	synack_close(f->st, f->fd);
	expect_seg(f, F_FA, 1, 1, 0, FX_ANY);
	fx_send(f, F_A, 0, 0, NULL, 0);
}

static void orphan_fin_wait2_lifetime(void)
{
	struct fx f;
	struct synack_profile p;
	subtest("an orphan's FIN_WAIT2 lifetime (fin_wait2.c: tcp_fin_time)");
	uint32_t rto;
	synack_profile_linux(&p);
	orphan_in_fin_wait2(&f, &p, 100000, 24, &rto);
	is_uint(synack_next_deadline(f.st) - f.now, (uint64_t)rto * 7 / 2,
	        "at least 3.5 RTO (%u us), not tcp_fin_timeout's 100 ms", rto);
	fx_free(&f);

	synack_profile_rfc(&p);
	orphan_in_fin_wait2(&f, &p, 100000, 25, &rto);
	is_uint(synack_next_deadline(f.st) - f.now, 100000, "rfc profile: tcp_fin_timeout as set");
	fx_free(&f);

	synack_profile_linux(&p);
	orphan_in_fin_wait2(&f, &p, 100000000, 26, &rto);
	is_uint(synack_next_deadline(f.st) - f.now, 40000000, "100 s: a first stage of 40 s");
	fx_send(&f, F_R, 5, 0, NULL, 0);
	expect_seg(&f, F_A, 2, 1, 0, FX_ANY);
	pass("a full socket still: an in-window RST off RCV.NXT is challenged");
	fx_advance(&f, 40000000);
	expect_none(&f);
	is_uint(synack_next_deadline(f.st) - f.now, 40000000, "then 40 s as a TIME_WAIT sock");
	fx_advance(&f, 39000000);
	fx_send(&f, F_R, 5, 0, NULL, 0);
	expect_none(&f);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_seg(&f, F_R, 2, 0, 0, 0);
	pass("which the same RST kills (tcp_timewait_state_process)");
	fx_free(&f);
	subtest_end();
}

static void orphan_data_after_close(void)
{
	struct fx f;
	subtest("data to an orphan in FIN_WAIT2: RST (Linux: TCPABORTONDATA)");
	fx_init(&f, NULL, 18);
	fx_fin_wait2(&f);
	synack_close(f.st, f.fd);
	fx_send(&f, F_PA, 0, 0, "zz", 2);
	expect_seg(&f, F_R, 2, 0, 0, 0);
	is_uint(synack_stats(f.st)->aborts_on_data, 1, "counted");
	fx_free(&f);
	subtest_end();
}

static void orphan_fin_wait2_segments(void)
{
	struct fx f;
	subtest("orphaned FIN_WAIT2 answers like Linux's FIN_WAIT2 timewait sock");
	fx_init(&f, NULL, 21);
	fx_fin_wait2(&f);
	synack_close(f.st, f.fd);
	fx_send(&f, F_R, 5, 0, NULL, 0);
	expect_none(&f);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_seg(&f, F_R, 2, 0, 0, 0);
	pass("an in-window RST (not exact) killed it: no RFC 5961 challenge");
	fx_free(&f);

	fx_init(&f, NULL, 22);
	fx_fin_wait2(&f);
	synack_close(f.st, f.fd);
	fx_send(&f, F_S, 0, 0, NULL, 0);
	expect_seg(&f, F_RA, FX_ANY, 2, 0, 0);
	pass("a SYN in window gets an RST");
	fx_free(&f);

	fx_init(&f, NULL, 23);
	fx_fin_wait2(&f);
	synack_close(f.st, f.fd);
	fx_send(&f, F_A, 0x40000000, 0, NULL, 0);
	expect_seg(&f, F_A, 2, 1, 0, FX_ANY);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_none(&f);
	fx_send(&f, F_FA, 0, 0, NULL, 0);
	expect_seg(&f, F_A, 2, 2, 0, FX_ANY);
	is_uint(synack_next_deadline(f.st) - f.now, 60000000, "TIME_WAIT");
	fx_free(&f);
	subtest_end();
}

static void close_in_syn_sent(void)
{
	struct fx f;
	subtest("close in SYN_SENT: nothing sent, the tuple is free");
	fx_init(&f, NULL, 19);
	fx_syn_sent(&f);
	synack_close(f.st, f.fd);
	expect_none(&f);
	fx_send(&f, F_SA, 0, 0, NULL, 0);
	expect_seg(&f, F_R, 1, 0, 0, 0);
	fx_free(&f);
	subtest_end();
}

static void fin_retransmission(void)
{
	struct fx f;
	subtest("an unacknowledged FIN is retransmitted");
	fx_init(&f, NULL, 20);
	fx_established(&f);
	synack_shutdown(f.st, f.fd, SHUT_WR);
	expect_seg(&f, F_FA, 1, 1, 0, FX_ANY);
	fx_advance(&f, synack_next_deadline(f.st) - f.now);
	expect_seg(&f, F_FA, 1, 1, 0, FX_ANY);
	is_uint(synack_stats(f.st)->retrans_segs, 1, "retrans_segs");
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	active_close();
	passive_close();
	half_close();
	simultaneous_close();
	fin_with_data_queued();
	unread_data_reset();
	linger_abort();
	orphan_fin_wait2_timeout();
	orphan_fin_wait2_lifetime();
	orphan_data_after_close();
	orphan_fin_wait2_segments();
	close_in_syn_sent();
	fin_retransmission();
	done_testing();
}
