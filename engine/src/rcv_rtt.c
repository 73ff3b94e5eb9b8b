/* The receiver's RTT estimate (Linux: tp->rcv_rtt_est, tcp_rcv_rtt_measure,
 * tcp_rcv_rtt_measure_ts, tcp_rcv_rtt_update). A receiver that sends no
 * data has no ACKs of its own to time, so it times the sender instead:
 *
 * - with timestamps (RFC 7323 §4: TSecr echoes our clock, so it times a
 *   round trip from either end), each full-sized segment whose TSecr is
 *   new gives a sample;
 * - without, the time the sender takes to fill the window we last offered
 *   (Dynamic Right-Sizing: one window per round trip at most) bounds it from
 *   above, so only a smaller value is taken.
 *
 * It feeds tcpi_rcv_rtt and the SACK-compression delay (delack.c). Kept as
 * Linux keeps it: microseconds << 3. */
#include "internal.h"

/* Linux: tcp_rcv_rtt_update. A smaller sample is taken as is; a larger
 * one is averaged in (gain 1/8) only when it is a timestamp sample and the
 * application has read everything, so that a stalled reader does not
 * inflate it. */
static void update(struct tcb *t, uint32_t sample_us, bool win_dep)
{
	uint32_t old = t->rx.rcv_rtt_us;
	uint64_t m = (uint64_t)sample_us << 3;
	if (old == 0 || m < old) {
		t->rx.rcv_rtt_us = (uint32_t)SA_MIN(m, UINT32_MAX);
		return;
	}
	if (win_dep || t->rcvq.len)
		return;
	t->rx.rcv_rtt_us = old - (old >> 3) + sample_us;
}

/* Linux: tcp_rcv_rtt_measure, from tcp_event_data_recv — in-order data,
 * RCV.NXT already past it. A measurement ends when RCV.NXT reaches the
 * right edge of the window offered when it began. */
void sa_rcv_rtt_measure(struct tcb *t)
{
	uint64_t now = t->st->now_us;
	if (t->rx.rcv_rtt_timing) {
		if (synack_seq_lt(t->rcv_nxt, t->rx.rcv_rtt_seq))
			return;
		uint64_t d = now - t->rx.rcv_rtt_time_us;
		update(t, d ? (uint32_t)SA_MIN(d, UINT32_MAX >> 3) : 1, true);
	}
	t->rx.rcv_rtt_timing = true;
	t->rx.rcv_rtt_seq = t->rcv_nxt + t->rcv_wnd;
	t->rx.rcv_rtt_time_us = now;
}

/* Linux: tcp_rcv_rtt_measure_ts, from tcp_rcv_established after the ACK
 * was processed and before the text (so rcv_mss is the estimate before
 * this segment). Every segment that gets that far records its TSecr, pure
 * ACKs too: a TSecr times one round trip, once. A TSecr equal to our clock
 * now (less than a tick ago) or ahead of it gives nothing. */
void sa_rcv_rtt_measure_ts(struct tcb *t, const struct synack_segment *seg)
{
	if (!t->ts_ok || !seg->opt.has_ts || seg->opt.ts_ecr == t->rx.rcv_rtt_last_tsecr)
		return;
	t->rx.rcv_rtt_last_tsecr = seg->opt.ts_ecr;
	if (sa_seg_len(seg) < t->rcv_mss) /* end_seq - seq: a FIN counts */
		return;
	uint32_t ms = sa_tsval(t) - seg->opt.ts_ecr; /* tcp_rtt_tsopt_us */
	if (ms == 0 || ms >= INT32_MAX / 1000)
		return;
	update(t, ms * 1000, false);
}
