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
	(void)acked;
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
		if (t->retransmits >= limit) {
			if (t->listener) {
				sa_tcb_free(t); /* Linux: the request sock is dropped */
				return;
			}
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
	t->retransmits++;
	t->backoff++;
	uint32_t data_out = sa_in_flight(t) - (t->fin_sent ? 1u : 0u);
	uint32_t len = SA_MIN(data_out, (uint32_t)(t->snd_mss ? t->snd_mss : 536));
	bool fin = t->fin_sent && len == data_out;
	sa_send_data(t, t->snd_una, len, fin, true);
	sa_timer_set(t, SA_T_RTX, t->st->now_us + backed_off(t));
}
