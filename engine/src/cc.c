/* Congestion control behind a small ops interface (Linux: struct
 * tcp_congestion_ops), selected per socket by TCP_CONGESTION or the
 * profile's default: Reno (RFC 5681, cc_reno.c) and CUBIC (RFC 9438,
 * cc_cubic.c). cwnd counts segments, as Linux does.
 */
#include "internal.h"

const struct sa_cc_ops *sa_cc_ops_of(const struct tcb *t)
{
	return t->cc == SYNACK_CC_CUBIC ? &sa_cc_cubic : &sa_cc_reno;
}

/* RFC 5681 §3.1: at most cwnd segments in the pipe (Linux:
 * tcp_cwnd_test with tcp_packets_in_flight). */
bool sa_cc_can_send(const struct tcb *t)
{
	return sa_packets_in_flight(t) < t->snd_cwnd;
}

/* Linux: tcp_is_cwnd_limited — in slow start, grow while cwnd < 2 * the
 * most segments out recently; otherwise only if the last send was
 * cwnd-limited (RFC 7661 §4.3: no growth while application-limited). */
bool sa_cc_is_cwnd_limited(const struct tcb *t)
{
	if (t->snd_cwnd < t->snd_ssthresh)
		return t->snd_cwnd < 2 * t->max_packets_out;
	return t->is_cwnd_limited;
}

/* Linux: tcp_cwnd_validate. */
void sa_cc_after_output(struct tcb *t, bool cwnd_limited)
{
	uint32_t packets_out = t->txq_len;
	if (!synack_seq_lt(t->snd_una, t->cwnd_usage_seq) || cwnd_limited ||
	    (!t->is_cwnd_limited && packets_out > t->max_packets_out)) {
		t->is_cwnd_limited = cwnd_limited;
		t->max_packets_out = packets_out;
		t->cwnd_usage_seq = t->snd_nxt;
	}
}

/* A data segment is about to leave with nothing in flight (Linux:
 * tcp_event_data_sent → CA_EVENT_TX_START, tcp_cwnd_restart): RFC 5681 §4.1 /
 * RFC 7661 — after an idle period longer than the RTO, restart from the
 * initial window, halving per RTO idle but not below it. */
void sa_cc_data_sent(struct tcb *t)
{
	if (t->txq_len || !t->lsndtime_us)
		return;
	int64_t idle = (int64_t)(t->st->now_us - t->lsndtime_us);
	const struct sa_cc_ops *ops = sa_cc_ops_of(t);
	if (ops->tx_start)
		ops->tx_start(t, (uint64_t)idle);
	int64_t rto = (int64_t)sa_rto_backed_off(t);
	if (!t->st->prof.slow_start_after_idle || idle <= rto)
		return;
	uint32_t restart = SA_MIN(t->st->prof.initcwnd ? t->st->prof.initcwnd : 1, t->snd_cwnd);
	uint32_t cwnd = t->snd_cwnd;
	/* Linux: tcp_current_ssthresh — max(ssthresh, 3/4 cwnd). */
	if (t->ca_state != SA_CA_RECOVERY && t->ca_state != SA_CA_CWR)
		t->snd_ssthresh = SA_MAX(t->snd_ssthresh, (cwnd >> 1) + (cwnd >> 2));
	while ((idle -= rto) > 0 && cwnd > restart)
		cwnd >>= 1;
	t->snd_cwnd = SA_MAX(cwnd, restart);
}

/* RFC 5681 §3.1 slow start with RFC 3465 ABC (L = unbounded, as Linux's
 * tcp_slow_start: cwnd grows by the segments acknowledged, up to ssthresh),
 * the rest by additive increase of one segment per w acknowledged (Linux:
 * tcp_cong_avoid_ai). */
uint32_t sa_cc_slow_start(struct tcb *t, uint32_t acked)
{
	uint32_t cwnd = SA_MIN(t->snd_cwnd + acked, t->snd_ssthresh);
	acked -= cwnd - t->snd_cwnd;
	t->snd_cwnd = SA_MIN(cwnd, 65535u);
	return acked;
}

void sa_cc_ai(struct tcb *t, uint32_t w, uint32_t acked)
{
	if (!w)
		return;
	if (t->snd_cwnd_cnt >= w) {
		t->snd_cwnd_cnt = 0;
		t->snd_cwnd++;
	}
	t->snd_cwnd_cnt += acked;
	if (t->snd_cwnd_cnt >= w) {
		uint32_t delta = t->snd_cwnd_cnt / w;
		t->snd_cwnd_cnt -= delta * w;
		t->snd_cwnd += delta;
	}
	t->snd_cwnd = SA_MIN(t->snd_cwnd, 65535u); /* Linux: snd_cwnd_clamp */
}

void sa_cc_on_ack(struct tcb *t, uint32_t acked_segs)
{
	if (!acked_segs || !sa_cc_is_cwnd_limited(t))
		return;
	sa_cc_ops_of(t)->cong_avoid(t, acked_segs);
}
