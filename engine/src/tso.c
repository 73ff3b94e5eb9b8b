/* Linux's TSO sizing of a transmission (net/ipv4/tcp_output.c).
 *
 * The engine sends segments one by one, as a capture sees them after
 * software GSO. What it takes from here is which of them left in one skb:
 * __tcp_transmit_skb sets PSH on every skb of more than one segment (since
 * 4.9, "to expedite GRO flush at receiver") and GSO leaves it on the last
 * segment, so a 10-MSS write leaves as `. P. . P. …` in 2-MSS skbs at a
 * 100 ms RTT, in 5-MSS ones (half the cwnd) at 1 ms.
 *
 * tcp_tso_should_defer holds back a send of less than a full skb when an
 * ACK is due soon; the engine does the same (sa_tso_should_defer).
 *
 * Not modelled: TCP Small Queues (the device's queue holding skbs back)
 * and pacing (on only with bbr or the fq qdisc). */
#include "internal.h"

/* Linux: sk_gso_max_size without BIG TCP — the device's 65536 less
 * MAX_TCP_HEADER + 1 (sk_setup_caps; MAX_TCP_HEADER is 320 on x86-64). */
#define GSO_MAX_BYTES (65536u - 321u)
/* Linux: sk_pacing_shift — an skb holds 1/1024 s of the pacing rate. */
#define PACING_SHIFT 10

/* Linux: tcp_update_pacing_rate — 200 % of cwnd * mss / srtt in slow start
 * (cwnd below half ssthresh), 120 % after; no RTT sample, no division. */
void sa_tso_update_pacing(struct tcb *t)
{
	const struct synack_profile *p = &t->st->prof;
	uint32_t mss = t->snd_mss ? t->snd_mss : 536;
	/* srtt_us is SRTT << 3 and the ratio a percentage: hence << 3 / 100. */
	uint64_t rate = (uint64_t)mss * ((1000000u / 100u) << 3);
	rate *= t->snd_cwnd < t->snd_ssthresh / 2 ? p->pacing_ss_ratio : p->pacing_ca_ratio;
	/* max(cwnd, packets_out), bounded so the product stays in 64 bits. */
	rate *= SA_MIN(SA_MAX(t->snd_cwnd, t->txq_len), 1u << 20);
	if (t->srtt_us)
		rate /= t->srtt_us;
	t->pacing_rate = rate;
}

/* Linux: tcp_tso_autosize, tcp_tso_segs — 1/1024 s of pacing, plus a share
 * of gso_max_size that halves with every 2^tcp_tso_rtt_log µs of min RTT,
 * at least tcp_min_tso_segs. */
uint32_t sa_tso_max_segs(const struct tcb *t)
{
	const struct synack_profile *p = &t->st->prof;
	uint32_t mss = sa_cur_mss(t);
	uint64_t bytes = t->pacing_rate >> PACING_SHIFT;
	uint32_t min_rtt = t->min_rtt_us ? t->min_rtt_us : UINT32_MAX; /* minmax: ~0U */
	/* x86 masks a shift count to 5 bits; Linux does not bound the sysctl. */
	uint32_t r = min_rtt >> (p->tso_rtt_log & 31u);
	if (r < 32)
		bytes += GSO_MAX_BYTES >> r;
	bytes = SA_MIN(bytes, (uint64_t)GSO_MAX_BYTES);
	uint32_t min_segs = p->min_tso_segs ? p->min_tso_segs : 1u;
	return SA_MAX((uint32_t)(bytes / mss), min_segs);
}

/* Linux: tcp_cwnd_test ("at least 2 GSO packets in flight": half the cwnd
 * at most), then the TSO budget (tcp_write_xmit's cwnd_quota). */
uint32_t sa_tso_quota(const struct tcb *t)
{
	uint32_t in_flight = sa_packets_in_flight(t), cwnd = t->snd_cwnd;
	if (in_flight >= cwnd)
		return 0;
	uint32_t quota = SA_MIN(SA_MAX(cwnd >> 1, 1u), cwnd - in_flight);
	return SA_MIN(quota, sa_tso_max_segs(t));
}

/* Linux: tcp_tso_should_defer (6.18: "tcp: fix tcp_tso_should_defer() vs
 * large RTT"), for the unsent bytes at SND.NXT as one skb — the engine
 * keeps no write boundaries, and tcp_grow_skb joins unsent skbs anyway.
 * Defers when less than a full TSO skb may go, the last transmission was
 * within 1 ms, less than 1/tcp_tso_win_divisor of the window is open and
 * the oldest outstanding segment's ACK is due within min(1 ms, SRTT/2):
 * that ACK will open more. A FIN on the data sends it. */
bool sa_tso_should_defer(const struct tcb *t, uint32_t unsent, bool *cwnd_limited)
{
	const struct synack_profile *p = &t->st->prof;
	uint32_t mss = t->snd_mss ? t->snd_mss : 536;
	uint64_t now = t->st->now_us;
	if (!p->tso || unsent <= mss || t->ca_state >= SA_CA_RECOVERY)
		return false;
	/* tcp_wstamp_ns: every segment this socket sent carried ACK. */
	if (now > t->last_ack_sent_us + 1000)
		return false;
	uint32_t in_flight = sa_packets_in_flight(t);
	if (in_flight >= t->snd_cwnd)
		return false;
	uint32_t wnd_end = t->snd_una + t->snd_wnd;
	uint64_t send_win = synack_seq_gt(wnd_end, t->snd_nxt) ? wnd_end - t->snd_nxt : 0;
	uint64_t cong_win = (uint64_t)(t->snd_cwnd - in_flight) * mss;
	uint64_t limit = SA_MIN(send_win, cong_win);
	if (limit >= (uint64_t)sa_tso_max_segs(t) * mss)
		return false;
	if (p->tso_win_divisor) {
		uint64_t chunk = SA_MIN((uint64_t)t->snd_wnd, (uint64_t)t->snd_cwnd * mss);
		if (limit >= chunk / p->tso_win_divisor)
			return false;
	} else if (limit > 3u * mss) { /* tcp_max_tso_deferred_mss */
		return false;
	}
	if (!t->txq_len)
		return false;
	/* When the head's ACK is due (its last transmission + SRTT). */
	uint64_t srtt = t->srtt_us >> 3;
	int64_t how_far = (int64_t)(sa_txq_at(t, 0)->xmit_us + srtt - now);
	if (how_far > (int64_t)SA_MIN(srtt / 2, 1000u))
		return false;
	if (cong_win < send_win) {
		if (cong_win <= unsent) {
			*cwnd_limited = true;
			return true;
		}
	} else if (send_win <= unsent) {
		return true;
	}
	return !t->fin_queued;
}
