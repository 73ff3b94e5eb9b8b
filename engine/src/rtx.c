/* Retransmission: the hook part 2 widens into RFC 6298 RTO estimation,
 * SACK recovery and congestion control.
 *
 * Part 1 keeps one timer per connection (SA_T_RTX) with Linux's initial RTO
 * and exponential backoff, enough for the handshake and the close:
 *   - SYN: tcp_syn_retries (+ tcp_syn_linear_timeouts linear ones), then
 *     ETIMEDOUT without an RST (Linux: tcp_write_timeout → tcp_write_err);
 *   - SYN-ACK of an embryonic connection: tcp_synack_retries, then it is
 *     dropped silently (Linux: reqsk_timer_handler);
 *   - data / FIN: the first unacknowledged segment, tcp_retries2 times
 *     (tcp_orphan_retries for orphans), then ETIMEDOUT.
 * The RTO itself stays at rto_init_us (no RTT samples yet): part 2 replaces
 * rto_us with SRTT/RTTVAR (sa_rtx_on_ack is where samples arrive).
 */
#include <errno.h>

#include "internal.h"

uint32_t sa_in_flight(const struct tcb *t)
{
	return t->snd_nxt - t->snd_una;
}

static uint64_t backed_off(const struct tcb *t)
{
	uint64_t rto = t->rto_us;
	for (int i = 0; i < t->backoff && rto < t->st->prof.rto_max_us; i++)
		rto <<= 1;
	return SA_MIN(rto, t->st->prof.rto_max_us);
}

static uint32_t mss_of(const struct tcb *t)
{
	return t->snd_mss ? t->snd_mss : 536;
}

/* Segments in flight (Linux: packets_out), from the bytes. */
static uint32_t segs_in_flight(const struct tcb *t)
{
	uint32_t mss = mss_of(t);
	return (sa_in_flight(t) + mss - 1) / mss;
}

/* RFC 5681 §3.1: at most cwnd segments in flight. Part 1 has slow start
 * only (from the profile's initcwnd, RFC 6928); part 2 replaces this with
 * the cc ops (Reno, CUBIC) selected by t->cc. */
bool sa_cc_can_send(const struct tcb *t)
{
	return segs_in_flight(t) < t->snd_cwnd;
}

/* RFC 5681 §3.1 slow start (Linux tcp_slow_start: cwnd += packets acked,
 * up to ssthresh), then one segment per window (congestion avoidance). */
void sa_cc_before_send(struct tcb *t)
{
	const struct synack_profile *p = &t->st->prof;
	uint64_t rto = backed_off(t);
	if (!p->slow_start_after_idle || sa_in_flight(t) || !t->last_data_sent_us)
		return;
	uint64_t idle = t->st->now_us - t->last_data_sent_us;
	if (idle <= rto)
		return;
	/* Linux: tcp_cwnd_restart — halve per RTO idle, down to the restart
	 * window min(initcwnd, cwnd). */
	uint32_t restart = SA_MIN(p->initcwnd ? p->initcwnd : 1u, t->snd_cwnd);
	uint32_t cwnd = t->snd_cwnd;
	int64_t delta = (int64_t)idle;
	while ((delta -= (int64_t)rto) > 0 && cwnd > restart)
		cwnd >>= 1;
	t->snd_cwnd = SA_MAX(cwnd, restart);
}

void sa_cc_sent(struct tcb *t, bool cwnd_limited)
{
	uint32_t po = segs_in_flight(t);
	if (!synack_seq_lt(t->snd_una, t->cwnd_usage_seq) || cwnd_limited ||
	    po > t->max_packets_out) {
		t->is_cwnd_limited = cwnd_limited;
		t->max_packets_out = po;
		t->cwnd_usage_seq = t->snd_nxt;
	}
}

/* Linux: tcp_is_cwnd_limited — cwnd only grows while it is what limits
 * the sender (in slow start: while under twice the most used lately). */
static bool cwnd_limited(const struct tcb *t)
{
	if (t->is_cwnd_limited)
		return true;
	if (t->snd_cwnd < t->snd_ssthresh)
		return t->snd_cwnd < 2 * t->max_packets_out;
	return false;
}

static void cc_on_ack(struct tcb *t, uint32_t acked)
{
	if (!cwnd_limited(t))
		return;
	uint32_t segs = (acked + mss_of(t) - 1) / mss_of(t);
	if (t->snd_cwnd < t->snd_ssthresh)
		t->snd_cwnd = SA_MIN(t->snd_cwnd + segs, SA_MAX(t->snd_ssthresh, t->snd_cwnd));
	else if (segs)
		t->snd_cwnd += segs >= t->snd_cwnd ? 1u : 0u;
	if (t->snd_cwnd > 65535)
		t->snd_cwnd = 65535; /* Linux: snd_cwnd_clamp */
}

/* RFC 5681 §3.1 eq. 4 and the loss window: after an RTO, ssthresh =
 * max(FlightSize / 2, 2), cwnd = 1 (Linux: tcp_enter_loss). */
static void cc_on_rto(struct tcb *t)
{
	t->snd_ssthresh = SA_MAX(segs_in_flight(t) / 2, 2u);
	t->snd_cwnd = 1;
}

/* Arms the timer if something is outstanding and it is not running. */
void sa_rtx_arm(struct tcb *t)
{
	if (sa_timer_armed(t, SA_T_RTX))
		return;
	if (t->snd_nxt == t->snd_una)
		return;
	if (!t->retransmits)
		t->first_tx_us = t->st->now_us;
	sa_timer_set(t, SA_T_RTX, t->st->now_us + backed_off(t));
}

/* New data acknowledged (RFC 6298 §5.2/5.3): restart or stop the timer. */
void sa_rtx_on_ack(struct tcb *t, uint32_t acked)
{
	if (t->state != SA_SYN_SENT && t->state != SA_SYN_RECV && acked > 1)
		cc_on_ack(t, acked);
	t->retransmits = 0;
	t->backoff = 0;
	sa_timer_clear(t, SA_T_RTX);
	sa_rtx_arm(t);
}

static void give_up(struct tcb *t)
{
	/* Linux: tcp_write_err — sk_err = ETIMEDOUT, tcp_done, no RST. */
	t->st->stats.aborts_on_timeout++;
	t->timed_out = true;
	t->so_error = ETIMEDOUT;
	sa_tcb_done(t);
}

void sa_rtx_fire(struct tcb *t)
{
	const struct synack_profile *p = &t->st->prof;
	switch (t->state) {
	case SA_SYN_SENT: {
		uint32_t limit = (t->syncnt ? t->syncnt : p->syn_retries) + p->syn_linear_timeouts;
		if (t->retransmits >= limit) {
			give_up(t);
			return;
		}
		t->retransmits++;
		/* Linux: the first syn_linear_timeouts retries keep the initial RTO. */
		if (t->retransmits > p->syn_linear_timeouts)
			t->backoff++;
		t->total_retrans++;
		t->st->stats.retrans_segs++;
		sa_send_syn(t);
		sa_timer_set(t, SA_T_RTX, t->st->now_us + backed_off(t));
		return;
	}
	case SA_SYN_RECV: {
		uint32_t limit = t->syncnt ? t->syncnt : p->synack_retries;
		if (t->listener) {
			/* Linux: reqsk_timer_handler / syn_ack_recalc — with
			 * TCP_DEFER_ACCEPT an acked request waits (silently) until
			 * the deferral is over. */
			uint32_t defer = t->listener->defer_accept;
			bool acked = t->acked_on_overflow;
			bool expire = t->retransmits >= limit &&
			              (!defer || !acked || t->retransmits >= defer);
			bool resend = !defer || !acked || (uint32_t)t->retransmits + 1 >= defer;
			if (expire) {
				sa_tcb_free(t); /* the request sock is dropped */
				return;
			}
			if (resend) {
				t->total_retrans++;
				t->st->stats.retrans_segs++;
				sa_send_synack(t);
			}
			t->retransmits++;
			t->backoff++;
			sa_timer_set(t, SA_T_RTX, t->st->now_us + backed_off(t));
			return;
		}
		if (t->retransmits >= limit) {
			give_up(t);
			return;
		}
		t->retransmits++;
		t->backoff++;
		t->total_retrans++;
		t->st->stats.retrans_segs++;
		sa_send_synack(t);
		sa_timer_set(t, SA_T_RTX, t->st->now_us + backed_off(t));
		return;
	}
	default:
		break;
	}
	if (t->snd_nxt == t->snd_una)
		return;
	uint32_t limit = p->retries2;
	if (t->orphan)
		limit = p->orphan_retries ? p->orphan_retries : 8; /* Linux: 0 means 8 */
	if (t->retransmits >= limit) {
		give_up(t);
		return;
	}
	if (!t->retransmits)
		cc_on_rto(t);
	t->retransmits++;
	t->backoff++;
	uint32_t data_out = sa_in_flight(t) - (t->fin_sent ? 1u : 0u);
	uint32_t len = SA_MIN(data_out, (uint32_t)(t->snd_mss ? t->snd_mss : 536));
	bool fin = t->fin_sent && len == data_out;
	sa_send_data(t, t->snd_una, len, fin, true);
	sa_timer_set(t, SA_T_RTX, t->st->now_us + backed_off(t));
}
