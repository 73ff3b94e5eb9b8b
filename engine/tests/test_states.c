/* Every state's response to RST, SYN, ACK, FIN and data, in and out of
 * window (RFC 9293 §3.10.7, RFC 5961, with Linux's choices). One table:
 * a state fixture, a segment relative to the connection, the reply's flags
 * (0: nothing) and the state afterwards (0: not checked). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "fixtures.h"
#include "tap.h"

typedef bool (*fixture_fn)(struct fx *);

static bool fx_listen_b(struct fx *f)
{
	if (fx_listen(f) < 0)
		return false;
	f->fd = f->lfd;
	return true;
}

struct row {
	const char *state;
	fixture_fn fixture;
	const char *what;
	uint8_t flags;
	int32_t seq_off, ack_off;
	uint32_t len;
	uint8_t reply; /* 0: none */
	int after;     /* tcp_info state afterwards; 0: unchecked; -1: descriptor gone */
};

#define FAR 0x40000000 /* far outside any window */

static const struct row rows[] = {
	/* ESTABLISHED */
	{ "ESTABLISHED", fx_established, "RST at RCV.NXT resets", F_R, 0, 0, 0, 0, 7 },
	{ "ESTABLISHED", fx_established, "RST in window: challenge ACK", F_R, 1, 0, 0, F_A, 1 },
	{ "ESTABLISHED", fx_established, "RST out of window: dropped", F_R, FAR, 0, 0, 0, 1 },
	{ "ESTABLISHED", fx_established, "SYN in window: challenge ACK", F_S, 0, 0, 0, F_A, 1 },
	{ "ESTABLISHED", fx_established, "SYN out of window: challenge ACK", F_S, FAR, 0, 0, F_A,
	  1 },
	{ "ESTABLISHED", fx_established, "ACK out of window: ACK", F_A, FAR, 0, 0, F_A, 1 },
	{ "ESTABLISHED", fx_established, "ACK of unsent data: challenge ACK", F_A, 0, 100, 0, F_A,
	  1 },
	{ "ESTABLISHED", fx_established, "ACK below SND.UNA-MAX.SND.WND: challenge ACK", F_A, 0, -1,
	  0, F_A, 1 },
	{ "ESTABLISHED", fx_established, "data in sequence: ACK", F_PA, 0, 0, 10, F_A, 1 },
	{ "ESTABLISHED", fx_established, "data out of window: ACK", F_PA, FAR, 0, 10, F_A, 1 },
	{ "ESTABLISHED", fx_established, "data out of order: duplicate ACK", F_PA, 100, 0, 10, F_A,
	  1 },
	{ "ESTABLISHED", fx_established, "FIN: ACK, CLOSE_WAIT", F_FA, 0, 0, 0, F_A, 8 },
	{ "ESTABLISHED", fx_established, "FIN out of order: ACK, stays", F_FA, 5, 0, 0, F_A, 1 },
	{ "ESTABLISHED", fx_established, "no ACK bit: dropped", F_P, 0, 0, 5, 0, 1 },
	{ "ESTABLISHED", fx_established, "keepalive probe (SEQ=RCV.NXT-1): ACK", F_A, -1, 0, 0, F_A,
	  1 },
	{ "ESTABLISHED", fx_established, "bare ACK above RCV.NXT, in window: nothing", F_A, 100, 0,
	  0, 0, 1 },
	/* Active-open ESTABLISHED behaves the same. */
	{ "ESTABLISHED(active)", fx_established_active, "RST at RCV.NXT", F_R, 0, 0, 0, 0, 7 },
	{ "ESTABLISHED(active)", fx_established_active, "SYN: challenge ACK", F_S, 0, 0, 0, F_A,
	  1 },
	/* CLOSE_WAIT */
	{ "CLOSE_WAIT", fx_close_wait, "RST at RCV.NXT resets", F_R, 0, 0, 0, 0, 7 },
	{ "CLOSE_WAIT", fx_close_wait, "RST at RCV.NXT-1 resets (tcp_reset_check)", F_R, -1, 0, 0,
	  0, 7 },
	{ "CLOSE_WAIT", fx_close_wait, "RST in window: challenge ACK", F_R, 2, 0, 0, F_A, 8 },
	{ "CLOSE_WAIT", fx_close_wait, "SYN: challenge ACK", F_S, 0, 0, 0, F_A, 8 },
	{ "CLOSE_WAIT", fx_close_wait, "retransmitted FIN: ACK", F_FA, -1, 0, 0, F_A, 8 },
	{ "CLOSE_WAIT", fx_close_wait, "data after the FIN: ignored", F_PA, 0, 0, 4, 0, 8 },
	{ "CLOSE_WAIT", fx_close_wait, "ACK out of window: ACK", F_A, FAR, 0, 0, F_A, 8 },
	/* FIN_WAIT1 */
	{ "FIN_WAIT1", fx_fin_wait1, "RST at RCV.NXT resets", F_R, 0, 0, 0, 0, 7 },
	{ "FIN_WAIT1", fx_fin_wait1, "RST in window: challenge ACK", F_R, 3, 0, 0, F_A, 4 },
	{ "FIN_WAIT1", fx_fin_wait1, "SYN: challenge ACK", F_S, 0, 0, 0, F_A, 4 },
	{ "FIN_WAIT1", fx_fin_wait1, "ACK of our FIN: FIN_WAIT2", F_A, 0, 0, 0, 0, 5 },
	{ "FIN_WAIT1", fx_fin_wait1, "FIN not acking ours: CLOSING", F_FA, 0, -1, 0, F_A, 11 },
	{ "FIN_WAIT1", fx_fin_wait1, "FIN acking ours: TIME_WAIT", F_FA, 0, 0, 0, F_A, 7 },
	{ "FIN_WAIT1", fx_fin_wait1, "data: ACK", F_PA, 0, -1, 4, F_A, 4 },
	{ "FIN_WAIT1", fx_fin_wait1, "ACK of unsent data: challenge ACK", F_A, 0, 10, 0, F_A, 4 },
	/* FIN_WAIT2 */
	{ "FIN_WAIT2", fx_fin_wait2, "RST at RCV.NXT resets", F_R, 0, 0, 0, 0, 7 },
	{ "FIN_WAIT2", fx_fin_wait2, "RST in window: challenge ACK", F_R, 3, 0, 0, F_A, 5 },
	{ "FIN_WAIT2", fx_fin_wait2, "SYN: challenge ACK", F_S, 0, 0, 0, F_A, 5 },
	{ "FIN_WAIT2", fx_fin_wait2, "data: ACK", F_PA, 0, 0, 4, F_A, 5 },
	{ "FIN_WAIT2", fx_fin_wait2, "FIN: ACK, TIME_WAIT", F_FA, 0, 0, 0, F_A, 7 },
	{ "FIN_WAIT2", fx_fin_wait2, "data out of window: ACK", F_PA, FAR, 0, 4, F_A, 5 },
	/* CLOSING */
	{ "CLOSING", fx_closing, "RST at RCV.NXT resets", F_R, 0, 0, 0, 0, 7 },
	{ "CLOSING", fx_closing, "SYN: challenge ACK", F_S, 0, 0, 0, F_A, 11 },
	{ "CLOSING", fx_closing, "ACK of our FIN: TIME_WAIT", F_A, 0, 0, 0, 0, 7 },
	{ "CLOSING", fx_closing, "retransmitted FIN: ACK", F_FA, -1, -1, 0, F_A, 11 },
	/* LAST_ACK */
	{ "LAST_ACK", fx_last_ack, "RST at RCV.NXT resets", F_R, 0, 0, 0, 0, 7 },
	{ "LAST_ACK", fx_last_ack, "RST in window: challenge ACK", F_R, 5, 0, 0, F_A, 9 },
	{ "LAST_ACK", fx_last_ack, "SYN: challenge ACK", F_S, 0, 0, 0, F_A, 9 },
	{ "LAST_ACK", fx_last_ack, "ACK of our FIN: CLOSED", F_A, 0, 0, 0, 0, 7 },
	{ "LAST_ACK", fx_last_ack, "ACK not covering the FIN: stays", F_A, 0, -1, 0, 0, 9 },
	{ "LAST_ACK", fx_last_ack, "ACK out of window: ACK", F_A, FAR, 0, 0, F_A, 9 },
	/* SYN_SENT */
	{ "SYN_SENT", fx_syn_sent, "RST without ACK: ignored", F_R, 0, 0, 0, 0, 2 },
	{ "SYN_SENT", fx_syn_sent, "RST|ACK, good ACK: refused", F_RA, 0, 0, 0, 0, 7 },
	{ "SYN_SENT", fx_syn_sent, "RST|ACK, bad ACK: ignored", F_RA, 0, 7, 0, 0, 2 },
	{ "SYN_SENT", fx_syn_sent, "ACK, bad ACK: RST", F_A, 0, 7, 0, F_R, 2 },
	{ "SYN_SENT", fx_syn_sent, "ACK only, good ACK: dropped", F_A, 0, 0, 0, 0, 2 },
	{ "SYN_SENT", fx_syn_sent, "FIN: dropped", F_F, 0, 0, 0, 0, 2 },
	{ "SYN_SENT", fx_syn_sent, "SYN-ACK: ESTABLISHED", F_SA, 0, 0, 0, F_A, 1 },
	/* SYN_RECV (embryonic; the descriptor is the listener) */
	{ "SYN_RECV", fx_syn_recv, "RST in window: the request goes", F_R, 0, 0, 0, 0, 10 },
	{ "SYN_RECV", fx_syn_recv, "ACK with a bad ACK: RST", F_A, 0, 9, 0, F_R, 10 },
	{ "SYN_RECV", fx_syn_recv, "retransmitted SYN: SYN-ACK again", F_S, -1, 0, 0, F_SA, 10 },
	{ "SYN_RECV", fx_syn_recv, "ACK out of window: ACK", F_A, FAR, 0, 0, F_A, 10 },
	{ "SYN_RECV", fx_syn_recv, "SYN in window: RST (Linux embryonic_reset)", F_S, 5, 0, 0, F_RA,
	  10 },
	/* LISTEN */
	{ "LISTEN", fx_listen_b, "RST: ignored", F_R, 0, 0, 0, 0, 10 },
	{ "LISTEN", fx_listen_b, "ACK: RST", F_A, 0, 0, 0, F_R, 10 },
	{ "LISTEN", fx_listen_b, "SYN+FIN: dropped", F_S | F_F, 0, 0, 0, 0, 10 },
	{ "LISTEN", fx_listen_b, "FIN: dropped", F_F, 0, 0, 0, 0, 10 },
	{ "LISTEN", fx_listen_b, "data without ACK: dropped", F_P, 0, 0, 3, 0, 10 },
	{ "LISTEN", fx_listen_b, "SYN-ACK: RST", F_SA, 0, 0, 0, F_R, 10 },
};

static void run_row(const struct row *r, int i)
{
	struct fx f;
	struct synack_segment s;
	static const char data[16] = "0123456789abcdef";
	subtest("%s: %s", r->state, r->what);
	fx_init(&f, NULL, 100 + (uint64_t)i);
	if (!ok(r->fixture(&f), "fixture %s", r->state)) {
		fx_free(&f);
		subtest_end();
		return;
	}
	fx_mkseg(&f, &s, r->flags, r->seq_off, r->ack_off, r->len ? data : NULL, r->len);
	fx_inject(&f, &s);
	fx_advance(&f, 0); /* a delayed ACK with ATO 0 (a FIN before any data) */
	if (r->reply) {
		struct synack_segment out;
		ok(fx_pop(&f, &out), "a reply");
		char b[256];
		if (!is_hex(out.flags, r->reply, "reply flags"))
			tap_diag("got: %s", fx_fmt(&f, &out, b, sizeof(b)));
	}
	expect_none(&f);
	if (r->after)
		is_int(fx_state(&f, f.fd), r->after, "state afterwards");
	fx_free(&f);
	subtest_end();
}

/* Fills the stack's receive window to zero (the application never reads). */
static void close_window(struct fx *f)
{
	static char d[1448];
	struct synack_segment s;
	uint32_t right = 0;
	for (int i = 0; i < 200; i++) {
		/* Within the offered window: Linux drops text past the right
		 * edge while data is queued (tcp_sequence). */
		uint32_t len = sizeof(d);
		if (right && right - f->p_seq < len)
			len = right - f->p_seq;
		fx_send(f, F_A, 0, 0, d, len);
		/* Past quick-ACK mode, with nothing read, Linux delays the ACK
		 * (delack.c): let the delayed-ACK timer send it. */
		if (!fx_pending(f))
			fx_advance(f, synack_next_deadline(f->st) - f->now);
		if (!fx_pop(f, &s) || s.window == 0)
			break;
		right = s.ack + ((uint32_t)s.window << 10);
	}
}

static void four_cases(void)
{
	struct fx f;
	struct synack_segment s;
	subtest("RFC 9293 §3.10.7.4 acceptability: the four cases");
	fx_init(&f, NULL, 90);
	fx_established(&f);
	struct synack_tcp_info ti;
	synack_tcp_info(f.st, f.fd, &ti);
	uint32_t wnd = ti.rcv_wnd;
	/* case 2: length 0, window > 0: RCV.NXT =< SEG.SEQ =< RCV.NXT+RCV.WND
	 * (Linux's right edge is inclusive). */
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_none(&f);
	fx_send(&f, F_A, (int32_t)wnd, 0, NULL, 0);
	expect_none(&f);
	fx_send(&f, F_A, (int32_t)wnd + 1, 0, NULL, 0);
	expect_seg(&f, F_A, 1, 1, 0, FX_ANY);
	/* case 4: length > 0, window > 0: a segment overlapping RCV.NXT from
	 * the left is acceptable, its new part delivered. */
	fx_send(&f, F_PA, 0, 0, "abc", 3);
	expect_seg(&f, F_A, 1, 4, 0, FX_ANY);
	fx_send(&f, F_PA, -3, 0, "abcdef", 6);
	f.p_seq += 3;
	expect_seg(&f, F_A, 1, 7, 0, FX_ANY);
	char b[8];
	is_int(synack_recv(f.st, f.fd, b, sizeof(b), 0), 6, "abc + def, once each");
	ok(!memcmp(b, "abcdef", 6), "in order");
	/* Entirely old: a duplicate, re-ACKed. */
	fx_send(&f, F_PA, -6, 0, "abcdef", 6);
	f.p_seq -= 6;
	expect_seg(&f, F_A, 1, 7, 0, FX_ANY);
	fx_free(&f);

	fx_init(&f, NULL, 91);
	fx_established(&f);
	close_window(&f);
	fx_drain(&f);
	/* case 1: length 0, window 0: only SEG.SEQ = RCV.NXT. */
	fx_advance(&f, 600000);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_none(&f);
	fx_send(&f, F_A, 1, 0, NULL, 0);
	expect_seg_out(&f, F_A, 1, FX_ANY, 0, 0, &s);
	/* case 3: length > 0, window 0: the text is not acceptable (ACKed and
	 * dropped) but its ACK and RST are processed. */
	fx_send(&f, F_PA, 0, 0, "zz", 2);
	f.p_seq -= 2;
	expect_seg_out(&f, F_A, 1, FX_ANY, 0, 0, &s);
	is_hex(s.ack, f.p_seq, "not delivered");
	fx_send(&f, F_R, 0, 0, NULL, 0);
	is_int(fx_state(&f, f.fd), 7, "an RST at RCV.NXT still resets at window 0");
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	four_cases();
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i], (int)i);
	done_testing();
}
