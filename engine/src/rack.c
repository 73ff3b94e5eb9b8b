/* RACK loss detection (RFC 8985 §6) as Linux's tcp_recovery.c does it, for
 * SACK connections when the profile's tcp_recovery has bit 1 (the linux
 * profile; Linux 6.18 was measured to use RACK whatever tcp_recovery says).
 *
 * - A segment is lost once a segment sent after it has been delivered
 *   (SACKed or ACKed) and RACK.rtt + reo_wnd has passed since it was sent
 *   (§6.2 step 5; Linux: tcp_rack_detect_loss).
 * - reo_wnd is min_rtt / 4, capped at SRTT; 0 while no reordering has been
 *   seen and either recovery is under way or DupThresh segments are SACKed
 *   (Linux: tcp_rack_reo_wnd, the RFC 6675 DupThresh rule folded in).
 * - A segment that is not yet due arms the reordering timer (§6.3; Linux:
 *   ICSK_TIME_REO_TIMEOUT, which takes the retransmission timer's slot).
 *
 * - It runs in the Loss state too, and the RTO leaves segments sent within
 *   RACK.rtt unmarked for it (recovery.c, tcp_timeout_mark_lost).
 *
 * - reo_wnd grows a step of min_rtt / 4 per round trip with a D-SACK
 *   (§6.2 step 4, sa_rack_update_reo_wnd).
 *
 * Not modelled: the timestamp-based spurious-retransmission check. TLP (§7)
 * is tlp.c.
 */
#include "internal.h"

#define TCP_TIMEOUT_MIN_US 2000u /* Linux: TCP_TIMEOUT_MIN_US */

bool sa_rack_on(const struct tcb *t)
{
	return t->sack_ok && (t->st->prof.recovery & 1);
}

/* Linux: tcp_rack_sent_after — later, or at the same time and higher. */
static bool sent_after(uint64_t t1, uint64_t t2, uint32_t seq1, uint32_t seq2)
{
	return t1 > t2 || (t1 == t2 && synack_seq_gt(seq1, seq2));
}

/* RFC 8985 §6.2 steps 2-3 (Linux: tcp_rack_advance), and reordering seen
 * when a never-retransmitted segment below the highest SACKed one is
 * delivered (Linux: tcp_sacktag_one / tcp_clean_rtx_queue →
 * tcp_check_sack_reordering).
 *
 * RACK.rtt follows every delivered segment, not only the most recently
 * sent one (Linux since 4.18, "evaluate packet losses upon RTT change"):
 * the last one Linux looks at wins, and Linux tags SACKs before it
 * cleans the cumulatively ACKed segments, while the engine does the
 * opposite — so a SACK does not overwrite an RTT the cumulative part of
 * the same ACK gave (a->cum_rack_rtt). */
void sa_rack_delivered(struct tcb *t, const struct sa_txseg *s, uint32_t prior_fack,
                       struct sa_ack *a)
{
	if (!t->sack_ok)
		return;
	/* Linux: tcp_rate_skb_delivered — the sample is the last-sent one. */
	if (!a->prior_delivered ||
	    sent_after(s->xmit_us, a->sample_xmit_us, s->end, a->sample_end)) {
		a->prior_delivered = s->delivered;
		a->sample_xmit_us = s->xmit_us;
		a->sample_end = s->end;
	}
	if (!(s->flags & SA_TX_EVER_RETRANS) && synack_seq_lt(s->seq, prior_fack) &&
	    (!a->have_reord || synack_seq_lt(s->seq, a->reord))) {
		a->have_reord = true;
		a->reord = s->seq;
	}
	uint64_t rtt = t->st->now_us - s->xmit_us;
	/* A retransmission ACKed sooner than min_rtt: maybe the original. */
	if ((s->flags & SA_TX_EVER_RETRANS) && t->min_rtt_us && rtt < t->min_rtt_us)
		return;
	bool sacked = !synack_seq_leq(s->end, t->snd_una);
	if (!(sacked && a->cum_rack_rtt))
		t->rack_rtt_us = (uint32_t)SA_MIN(rtt, (uint64_t)UINT32_MAX);
	if (!sacked)
		a->cum_rack_rtt = true;
	t->rack_advanced = true;
	if (!t->rack_xmit_us || sent_after(s->xmit_us, t->rack_xmit_us, s->end, t->rack_end_seq)) {
		t->rack_xmit_us = s->xmit_us;
		t->rack_end_seq = s->end;
	}
}

/* Linux: tcp_rack_reo_wnd. */
static uint64_t reo_wnd(const struct tcb *t)
{
	if (!t->reord_seen) {
		if (t->ca_state >= SA_CA_RECOVERY)
			return 0;
		/* tcp_recovery bit 4 (TCP_RACK_NO_DUPTHRESH) turns this off. */
		if (t->sacked_out >= t->reordering && !(t->st->prof.recovery & 4))
			return 0;
	}
	uint64_t min_rtt = t->min_rtt_us ? t->min_rtt_us : UINT32_MAX;
	return SA_MIN((min_rtt >> 2) * t->rack_reo_wnd_steps, (uint64_t)(t->srtt_us >> 3));
}

/* Linux: tcp_check_sack_reordering, once an ACK's SACKs and cumulative part
 * are in — a hole that was not lost filled in: reordering seen (RFC 8985
 * §6.2 step 4), and DupThresh (RFC 6675's, Linux's tp->reordering) grows
 * to the distance in segments, up to tcp_max_reordering. */
void sa_rack_check_reordering(struct tcb *t, const struct sa_ack *a)
{
	uint32_t fack = t->sacked_out ? t->fack : t->snd_una;
	uint32_t mss = t->snd_mss;
	if (!a->have_reord || !synack_seq_lt(a->reord, fack))
		return;
	uint32_t metric = fack - a->reord;
	if (mss && metric > t->reordering * mss)
		t->reordering = SA_MIN((metric + mss - 1) / mss, SA_MAX_REORDERING);
	t->reord_seen++;
}

/* RFC 8985 §6.2 step 4 (Linux: tcp_rack_update_reo_wnd, after the ACK's
 * SACKs and cumulative part): a D-SACK seen since — at most one step per
 * round trip, judged by the delivered count — widens reo_wnd by min_rtt / 4
 * and keeps it for 16 recoveries; without, it falls back to one step. */
void sa_rack_update_reo_wnd(struct tcb *t, const struct sa_ack *a)
{
	if ((t->st->prof.recovery & 2) || !a->prior_delivered) /* TCP_RACK_STATIC_REO_WND */
		return;
	if (synack_seq_lt(a->prior_delivered, t->rack_last_delivered))
		t->rack_dsack_seen = false;
	if (t->rack_dsack_seen) {
		if (t->rack_reo_wnd_steps < 0xff)
			t->rack_reo_wnd_steps++;
		t->rack_dsack_seen = false;
		t->rack_last_delivered = t->delivered;
		t->rack_reo_wnd_persist = SA_RACK_RECOVERY_THRESH;
	} else if (!t->rack_reo_wnd_persist) {
		t->rack_reo_wnd_steps = 1;
	}
}

/* RFC 8985 §6.2 step 5 (Linux: tcp_rack_detect_loss). Returns the segments
 * newly marked lost; *timeout the longest wait of those not yet due. */
static uint32_t detect_loss(struct tcb *t, uint64_t *timeout)
{
	uint64_t now = t->st->now_us, wnd = reo_wnd(t);
	uint32_t newly = 0;
	*timeout = 0;
	for (uint32_t i = 0; i < t->txq_len; i++) {
		struct sa_txseg *s = sa_txq_at(t, i);
		if (s->flags & SA_TX_SACKED)
			continue;
		/* Marked lost, not yet retransmitted. */
		if ((s->flags & SA_TX_LOST) && !(s->flags & SA_TX_RETRANS))
			continue;
		if (!sent_after(t->rack_xmit_us, s->xmit_us, t->rack_end_seq, s->end))
			continue;
		int64_t remaining =
		    (int64_t)t->rack_rtt_us + (int64_t)wnd - (int64_t)(now - s->xmit_us);
		if (remaining <= 0) {
			sa_rec_mark_lost(t, s);
			newly++;
		} else if ((uint64_t)remaining > *timeout) {
			*timeout = (uint64_t)remaining;
		}
	}
	return newly;
}

/* Linux: tcp_rack_mark_lost — after an ACK that delivered something. */
uint32_t sa_rack_mark_lost(struct tcb *t)
{
	if (!t->rack_advanced)
		return 0;
	t->rack_advanced = false;
	uint32_t prior_lost = t->lost_out;
	uint64_t timeout;
	detect_loss(t, &timeout);
	if (timeout) {
		/* usecs_to_jiffies(timeout + TCP_TIMEOUT_MIN_US): rounded up
		 * to the clock tick. */
		uint64_t g = t->st->prof.clock_granularity_us;
		uint64_t d = timeout + TCP_TIMEOUT_MIN_US;
		if (g > 1)
			d = (d + g - 1) / g * g;
		sa_timer_set(t, SA_T_RTX, t->st->now_us + d);
		t->rack_reo = true;
	}
	return t->lost_out > prior_lost ? t->lost_out - prior_lost : 0;
}

/* Linux: tcp_rearm_rto from a REO timer — the RTO counts from the head's
 * transmission (tcp_rto_delta_us). */
static void rearm_rto(struct tcb *t)
{
	t->rack_reo = false;
	if (!t->txq_len || t->snd_nxt == t->snd_una) {
		sa_timer_clear(t, SA_T_RTX);
		return;
	}
	uint64_t at = sa_txq_at(t, 0)->xmit_us + sa_rto_backed_off(t);
	sa_timer_set(t, SA_T_RTX, SA_MAX(at, t->st->now_us + 1));
}

/* RFC 8985 §6.3 (Linux: tcp_rack_reo_timeout): the wait for reordering is
 * over; what is now lost starts recovery and is retransmitted. */
void sa_rack_reo_timeout(struct tcb *t)
{
	t->rack_reo = false;
	uint32_t prior_in_flight = sa_packets_in_flight(t);
	uint64_t timeout;
	detect_loss(t, &timeout);
	if (prior_in_flight != sa_packets_in_flight(t)) {
		if (t->ca_state != SA_CA_RECOVERY) {
			sa_rec_enter_recovery(t);
			sa_rec_cwnd_reduction(t, 1, false, 0);
		}
		sa_rec_xmit_lost(t);
	}
	/* tcp_xmit_retransmit_queue restarts the RTO when it resends the
	 * head; otherwise tcp_rearm_rto. */
	if (t->txq_len && (sa_txq_at(t, 0)->flags & SA_TX_RETRANS) &&
	    sa_txq_at(t, 0)->xmit_us == t->st->now_us)
		sa_timer_set(t, SA_T_RTX, t->st->now_us + sa_rto_backed_off(t));
	else
		rearm_rto(t);
}
