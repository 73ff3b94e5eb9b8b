/* Loss recovery with SACK: the scoreboard (RFC 2018 §3, blocks that count
 * and blocks that do not), RFC 6675's DupThresh and IsLost(), D-SACK
 * reception and undo (RFC 2883 §4, RFC 3708), across the sequence wrap. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "fixtures.h"
#include "tap.h"

#define S(f) ((f)->st)

static char buf[65536];

static struct synack_tcp_info info(struct fx *f)
{
	struct synack_tcp_info i;
	memset(&i, 0, sizeof(i));
	synack_tcp_info(S(f), f->fd, &i);
	return i;
}

/* Established with SACK and without timestamps, 100 ms RTT, Reno, then n
 * full segments sent, one write each; the peer's SYN comes `pre_us` after
 * the fixture's start (which moves the ISS, RFC 6528). */
static void setup_prof(struct fx *f, const struct synack_profile *p, uint64_t seed, int n,
                       uint64_t pre_us)
{
	fx_init(f, p, seed);
	fx_advance(f, pre_us);
	f->p_ts = false;
	f->p_sack = true;
	fx_listen(f);
	fx_send_syn(f);
	fx_drain(f);
	fx_advance(f, 100000);
	fx_send(f, F_A, 0, 0, NULL, 0);
	f->fd = synack_accept(S(f), f->lfd, NULL, NULL);
	synack_setsockopt(S(f), f->fd, IPPROTO_TCP, TCP_CONGESTION, "reno", 4);
	uint32_t mss = info(f).snd_mss;
	for (int k = 0; k < n; k++) {
		synack_send(S(f), f->fd, buf, mss, 0);
		expect_seg(f, F_PA, 1 + (int64_t)k * mss, 1, mss, FX_ANY);
	}
	fx_advance(f, 100000);
}

static void setup_at(struct fx *f, uint64_t seed, int n, uint64_t pre_us)
{
	setup_prof(f, NULL, seed, n, pre_us);
}

/* Segment k (0-based) as relative [left, right). */
#define SEG(k, mss) (1 + (k) * (mss)), (1 + ((k) + 1) * (mss))

static void dupthresh_body(struct fx *f)
{
	uint32_t mss = info(f).snd_mss;
	fx_ack_sack(f, 1, 1, (uint32_t[]){ SEG(1, mss) });
	fx_ack_sack(f, 1, 1, (uint32_t[]){ 1 + mss, 1 + 3 * mss });
	expect_none(f);
	struct synack_tcp_info i = info(f);
	is_uint(i.ca_state, 1, "two SACKed: Disorder");
	is_uint(i.sacked, 2, "tcpi_sacked 2");
	is_uint(i.lost, 0, "nothing lost yet");
	fx_ack_sack(f, 1, 1, (uint32_t[]){ 1 + mss, 1 + 4 * mss });
	expect_seg(f, F_PA, 1, 1, mss, FX_ANY);
	expect_none(f);
	i = info(f);
	is_uint(i.ca_state, 3, "third SACKed: Recovery");
	is_uint(i.sacked, 3, "tcpi_sacked 3");
	is_uint(i.lost, 1, "IsLost: only the hole with 3 SACKed above");
	is_uint(i.retrans, 1, "one retransmission out");
	is_uint(i.snd_ssthresh, 5, "ssthresh = cwnd / 2");
	fx_ack_sack(f, 1 + 10 * mss, 0, NULL);
	i = info(f);
	is_uint(i.ca_state, 0, "recover reached: Open (RFC 6675 §5, no NewReno hold)");
	is_uint(i.sacked + i.lost + i.retrans, 0, "scoreboard empty");
}

static void dupthresh(void)
{
	struct fx f;
	subtest("RFC 6675: three SACKed segments above a hole retransmit it, two do not");
	setup_at(&f, 701, 10, 0);
	dupthresh_body(&f);
	fx_free(&f);
	subtest_end();
}

static void blocks_that_do_not_count(void)
{
	struct fx f;
	subtest("blocks beyond SND.NXT, below SND.UNA or covering part of a segment mark nothing");
	setup_at(&f, 702, 10, 0);
	uint32_t mss = info(&f).snd_mss;
	/* RFC 2018 §5 / Linux tcp_is_sackblock_valid: beyond SND.NXT. */
	fx_ack_sack(&f, 1, 1, (uint32_t[]){ 1 + 10 * mss, 1 + 11 * mss });
	is_uint(info(&f).sacked, 0, "beyond SND.NXT: ignored");
	/* Half of segment 2: segments are never split here, it stays a hole. */
	fx_ack_sack(&f, 1, 1, (uint32_t[]){ 1 + mss, 1 + mss + mss / 2 });
	is_uint(info(&f).sacked, 0, "part of a segment: still a hole");
	/* An empty or inverted block. */
	fx_ack_sack(&f, 1, 1, (uint32_t[]){ 1 + 3 * mss, 1 + 2 * mss });
	is_uint(info(&f).sacked, 0, "inverted block: ignored");
	/* With SACK the state follows the scoreboard, not a dupack count
	 * (Linux: tcp_try_keep_open on left_out): nothing SACKed, Open. */
	is_uint(info(&f).ca_state, 0, "nothing SACKed: still Open");
	expect_none(&f);
	fx_free(&f);
	subtest_end();
}

static void dsack_undo(void)
{
	struct fx f;
	subtest(
	    "RFC 2883 §4.2 / RFC 3708: a D-SACK for the only retransmission undoes the reduction");
	setup_at(&f, 703, 10, 0);
	uint32_t mss = info(&f).snd_mss;
	fx_ack_sack(&f, 1, 1, (uint32_t[]){ 1 + mss, 1 + 4 * mss });
	expect_seg(&f, F_PA, 1, 1, mss, FX_ANY);
	is_uint(info(&f).snd_ssthresh, 5, "reduced");
	/* The original arrived late: the ACK of everything D-SACKs the
	 * retransmission (the queue is empty by the time the block is read). */
	fx_ack_sack(&f, 1 + 10 * mss, 1, (uint32_t[]){ SEG(0, mss) });
	struct synack_tcp_info i = info(&f);
	is_uint(i.ca_state, 0, "Open");
	is_uint(i.snd_ssthresh, 0x7fffffffu, "ssthresh restored (Linux: tcp_undo_cwnd_reduction)");
	/* max(cwnd, prior 10), then slow start by 7 acked + 1 D-SACKed. */
	is_uint(i.snd_cwnd, 18, "cwnd back to 10, grown by 8 delivered");
	fx_free(&f);
	subtest_end();

	subtest("a D-SACK for data never retransmitted undoes nothing");
	setup_at(&f, 704, 10, 0);
	fx_ack_sack(&f, 1 + 2 * mss, 0, NULL);
	fx_ack_sack(&f, 1 + 2 * mss, 1, (uint32_t[]){ SEG(0, mss) });
	i = info(&f);
	is_uint(i.snd_ssthresh, 0x7fffffffu, "no reduction to undo");
	is_uint(i.ca_state, 0, "Open");
	fx_free(&f);
	subtest_end();
}

static void seq_wrap(void)
{
	struct fx f;
	subtest("SACK recovery with 2^32 inside the SACKed segments");
	/* RFC 6528's clock term M (one tick per 64 ns) moves the ISS by
	 * 1000 / 64 per microsecond: the SYN's arrival time places it. */
	fx_init(&f, NULL, 705);
	f.p_ts = false;
	fx_listen(&f);
	fx_send_syn(&f);
	fx_drain(&f);
	uint32_t iss0 = f.iss;
	fx_free(&f);
	uint32_t want = 0xffffffffu - 2 * 1460u - 700u;
	setup_at(&f, 705, 10, (uint64_t)(want - iss0) * 64u / 1000u);
	ok(f.iss > want - 500 && f.iss < want + 500, "ISS %u: 2^32 falls in segment 3", f.iss);
	dupthresh_body(&f);
	fx_free(&f);
	subtest_end();
}

/* Advances to the next deadline until the stack sends something (at most
 * `fires` timers); true if it did. */
static bool timer_until_output(struct fx *f, int fires)
{
	for (int k = 0; k < fires && !fx_pending(f); k++) {
		uint64_t d = synack_next_deadline(S(f));
		if (d == SYNACK_NEVER)
			return false;
		fx_advance(f, d - f->now);
	}
	return fx_pending(f) > 0;
}

/* RFC 2018 §8 / Linux tcp_timeout_mark_lost: a SACKed head when the RTO
 * fires means the receiver reneged; the SACK marks are forgotten and the
 * segment is sent again. Before: skipped as SACKed, never sent again
 * (fuzz_network: corpora/regressions/network/
 * liveness-sack-reneging-head-sacked-never-retransmitted). */
static void reneged_segment_sent_at_every_rto(void)
{
	struct fx f;
	subtest("SACK reneging: a SACKed segment left alone is retransmitted at RTO");
	setup_at(&f, 21, 2, 0);
	uint32_t mss = info(&f).snd_mss;
	fx_ack_sack(&f, 1, 1, (uint32_t[]){ SEG(1, mss) });
	fx_ack_sack(&f, 1 + mss, 0, NULL); /* the first acknowledged, the second not */
	expect_none(&f);
	is_uint(info(&f).sacked, 1, "the outstanding segment is SACKed");
	ok(timer_until_output(&f, 3), "a timer sends something");
	expect_seg(&f, F_PA, 1 + mss, 1, mss, FX_ANY);
	/* That retransmission is lost too: the next RTO sends it again (before,
	 * it counted as an outstanding retransmission of a SACKed segment, and
	 * nothing was ever sent again). */
	ok(timer_until_output(&f, 1), "the next RTO sends it again");
	expect_seg(&f, F_PA, 1 + mss, 1, mss, FX_ANY);
	fx_free(&f);
	subtest_end();
}

/* Linux __tcp_retransmit_skb: a retransmission is cut to the peer's window
 * (whole MSSes), the rest waits for the next ACK; before, whole segments went
 * past a shrunken window and were dropped every time (fuzz_network:
 * corpora/regressions/network/liveness-retransmission-past-shrunken-window-
 * always-dropped). */
static void retransmit_within_window(void)
{
	struct fx f;
	subtest("a retransmission past a shrunken window is cut to the window");
	setup_at(&f, 22, 2, 0);
	uint32_t mss = info(&f).snd_mss;
	uint32_t scale = f.p_ws ? f.p_wscale : 0;
	f.p_win = (uint16_t)((mss / 2) >> scale); /* shrinks to about half a segment */
	uint32_t w = (uint32_t)f.p_win << scale;
	/* Linux tcp_may_update_window: the window shrinks with an ACK that
	 * acknowledges something — here the first segment. */
	fx_ack_sack(&f, 1 + mss, 0, NULL);
	expect_none(&f);
	is_uint(info(&f).snd_wnd, w, "peer window %u", w);
	ok(timer_until_output(&f, 3), "the RTO fires");
	expect_seg(&f, F_A, 1 + mss, 1, w, FX_ANY);
	expect_none(&f);
	f.p_win = (uint16_t)((4 * mss) >> scale);
	fx_ack_sack(&f, 1 + mss + w, 0, NULL); /* the cut part acknowledged, the window open */
	/* That was the tail loss probe: the rest is not marked lost and goes
	 * at the next timer, as on Linux 6.18 (the conformance script). */
	expect_none(&f);
	ok(timer_until_output(&f, 3), "the rest at the next timer");
	expect_seg(&f, F_PA, 1 + mss + w, 1, mss - w, FX_ANY);
	fx_free(&f);
	subtest_end();
}

/* RFC 8985 §6.2-6.3 as Linux: 100 ms RTT, every segment sent at once. */
static void rack_timer(void)
{
	struct fx f;
	subtest("RACK: below DupThresh the hole waits min_rtt/4 (+2 ms, in 4 ms ticks), "
	        "then is lost");
	setup_at(&f, 706, 10, 0);
	uint32_t mss = info(&f).snd_mss;
	fx_ack_sack(&f, 1, 1, (uint32_t[]){ SEG(1, mss) });
	fx_ack_sack(&f, 1, 1, (uint32_t[]){ 1 + mss, 1 + 3 * mss });
	expect_none(&f);
	/* RACK.rtt 100 ms + reo_wnd 25 ms - 100 ms since it left = 25 ms. */
	is_uint(synack_next_deadline(S(&f)) - f.now, 28000,
	        "reordering timer in 28 ms, not the RTO");
	fx_advance(&f, 27999);
	expect_none(&f);
	fx_advance(&f, 1);
	expect_seg(&f, F_PA, 1, 1, mss, FX_ANY);
	struct synack_tcp_info i = info(&f);
	is_uint(i.ca_state, 3, "Recovery");
	is_uint(i.lost, 1, "only the hole: segments 4-10 were sent with it, not before it");
	/* The RTO is back, counted from the retransmission of the head. */
	is_uint(synack_next_deadline(S(&f)) - f.now, i.rto, "RTO re-armed");
	fx_free(&f);
	subtest_end();

	struct synack_profile p;
	synack_profile_linux(&p);
	p.recovery = 0;
	p.early_retrans = 0; /* and no TLP timer */
	subtest("tcp_recovery=0: no reordering timer (RFC 6675 DupThresh only)");
	setup_prof(&f, &p, 707, 10, 0);
	fx_ack_sack(&f, 1, 1, (uint32_t[]){ SEG(1, mss) });
	fx_ack_sack(&f, 1, 1, (uint32_t[]){ 1 + mss, 1 + 3 * mss });
	i = info(&f);
	is_uint(synack_next_deadline(S(&f)) - f.now, i.rto - 100000,
	        "only the RTO, from the first send");
	fx_free(&f);
	subtest_end();
}

static void rack_reordering_seen(void)
{
	struct fx f;
	subtest("RACK: once reordering was seen, DupThresh no longer shortcuts the window");
	setup_at(&f, 708, 10, 0);
	uint32_t mss = info(&f).snd_mss;
	fx_ack_sack(&f, 1, 1, (uint32_t[]){ SEG(2, mss) });
	/* Segment 2 arrives after segment 3: reordering (Linux: reord_seen). */
	fx_ack_sack(&f, 1, 1, (uint32_t[]){ 1 + mss, 1 + 3 * mss });
	fx_ack_sack(&f, 1, 1, (uint32_t[]){ 1 + mss, 1 + 4 * mss });
	fx_ack_sack(&f, 1, 1, (uint32_t[]){ 1 + mss, 1 + 5 * mss });
	expect_none(&f);
	is_uint(info(&f).sacked, 4, "4 SACKed, above DupThresh");
	is_uint(info(&f).ca_state, 1, "still Disorder");
	is_uint(synack_next_deadline(S(&f)) - f.now, 28000, "the reordering window applies");
	fx_advance(&f, 28000);
	expect_seg(&f, F_PA, 1, 1, mss, FX_ANY);
	fx_free(&f);
	subtest_end();
}

static void reneging(void)
{
	struct fx f;
	subtest("RFC 2018 §8: an ACK that stops at a SACKed segment is reneging; the RTO "
	        "forgets "
	        "SACKs");
	setup_at(&f, 709, 10, 0);
	uint32_t mss = info(&f).snd_mss;
	fx_ack_sack(&f, 1, 1, (uint32_t[]){ SEG(1, mss) });
	is_uint(info(&f).sacked, 1, "segment 2 SACKed");
	/* Segment 1 arrives, but the ACK stops before segment 2: the peer
	 * dropped it (Linux: FLAG_SACK_RENEGING). */
	fx_ack_sack(&f, 1 + mss, 0, NULL);
	expect_none(&f);
	/* Linux: tcp_check_sack_reneging — max(SRTT / 2, 10 ms) in ticks. */
	is_uint(fx_until_next_us(&f), 52000, "a short timer, not the RTO or a probe");
	fx_advance(&f, 52000);
	expect_seg(&f, F_PA, 1 + (int64_t)mss, 1, mss, FX_ANY);
	struct synack_tcp_info i = info(&f);
	is_uint(i.ca_state, 4, "it is an RTO: Loss");
	is_uint(i.sacked, 0, "every SACK forgotten (tcp_timeout_mark_lost)");
	is_uint(i.lost, 9, "everything outstanding lost");
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	dupthresh();
	blocks_that_do_not_count();
	dsack_undo();
	seq_wrap();
	rack_timer();
	rack_reordering_seen();
	reneging();
	reneged_segment_sent_at_every_rto();
	retransmit_within_window();
	done_testing();
}
