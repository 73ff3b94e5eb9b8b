/* Retransmission: the timer (RFC 6298 §5), the queue of sent segments and
 * the giving up (RFC 1122 §4.2.3.5).
 *
 *   - SYN: tcp_syn_retries (+ tcp_syn_linear_timeouts linear ones), then
 *     ETIMEDOUT without an RST (Linux: tcp_write_timeout → tcp_write_err);
 *   - SYN-ACK of an embryonic connection: tcp_synack_retries, then it is
 *     dropped silently (Linux: reqsk_timer_handler);
 *   - data / FIN: Linux's tcp_retransmit_timer — enter Loss, retransmit the
 *     head, back off; give up when the time since the first retransmission
 *     passes the model of tcp_retries2 (tcp_orphan_retries for orphans) or
 *     TCP_USER_TIMEOUT (rto.c), with ETIMEDOUT and no RST.
 *
 * Sent segments are remembered (sa_txseg: bounds, last transmission time,
 * flags) so an ACK yields an RTT sample (Karn's rule) and recovery can
 * retransmit by segment. The queue is bounded: when full, a new segment is
 * merged into the last one.
 */
#include <errno.h>

#include "internal.h"

#define TXQ_CAP 1024u

uint32_t sa_in_flight(const struct tcb *t)
{
	return t->snd_nxt - t->snd_una;
}

struct sa_txseg *sa_txq_at(const struct tcb *t, uint32_t i)
{
	/* i < txq_len <= txq_cap and txq_head < txq_cap: one wrap at most
	 * (no division: loss recovery walks the queue per segment sent). */
	uint32_t j = t->txq_head + i;
	return &t->txq[j >= t->txq_cap ? j - t->txq_cap : j];
}

/* Linux: tcp_fragment (TCP_FRAG_IN_RTX_QUEUE) — segment i becomes [seq, at)
 * and [at, end), both with its marks. False if the queue is full. */
bool sa_txq_split(struct tcb *t, uint32_t i, uint32_t at)
{
	if (i >= t->txq_len || t->txq_len == t->txq_cap)
		return false;
	struct sa_txseg *s = sa_txq_at(t, i);
	if (!synack_seq_gt(at, s->seq) || !synack_seq_lt(at, s->end))
		return false;
	for (uint32_t k = t->txq_len; k > i + 1; k--)
		*sa_txq_at(t, k) = *sa_txq_at(t, k - 1);
	t->txq_len++;
	struct sa_txseg *tail = sa_txq_at(t, i + 1);
	*tail = *s;
	tail->seq = at;
	s->end = at;
	/* The push mark stays on the last byte; the halves are two skbs. */
	s->flags &= (uint8_t) ~(SA_TX_PSH | SA_TX_JOINED);
	if (tail->flags & SA_TX_LOST)
		t->lost_out++;
	if (tail->flags & SA_TX_RETRANS)
		t->retrans_out++;
	if (tail->flags & SA_TX_SACKED)
		t->sacked_out++;
	return true;
}

/* Payload bytes of a sent-queue entry (its FIN takes a sequence number,
 * not a byte). */
static uint32_t txseg_data(const struct tcb *t, const struct sa_txseg *s)
{
	uint32_t len = s->end - s->seq;
	return t->fin_sent && s->end == t->fin_seq + 1 ? len - 1 : len;
}

/* Linux: tcp_retrans_try_collapse, with tcp_retrans_collapse set. A
 * retransmission (RFC 6298 §5.4 resends "the earliest segment"; what it
 * carries is the sender's choice) of entry i, `room` bytes (the MSS, or
 * less where the peer's window ends) with space to spare, absorbs the sent
 * entries after it while their data fits whole: none SACKed or longer than
 * an MSS, none ending past the window. Their PSH, FIN and
 * ever-retransmitted marks move onto it (tcp_collapse_retrans), so a bare
 * FIN sent after data rides on the data's retransmission. */
void sa_txq_collapse(struct tcb *t, uint32_t i, uint32_t room)
{
	if (!t->st->prof.retrans_collapse || i >= t->txq_len)
		return;
	struct sa_txseg *to = sa_txq_at(t, i);
	uint32_t mss = sa_cur_mss(t);
	uint32_t have = txseg_data(t, to);
	if (have >= room)
		return;
	int64_t space = (int64_t)room - have;
	uint32_t wnd_end = t->snd_una + t->snd_wnd;
	while (i + 1 < t->txq_len) {
		struct sa_txseg *n = sa_txq_at(t, i + 1);
		uint32_t len = txseg_data(t, n);
		if ((n->flags & SA_TX_SACKED) || len > mss)
			break;
		space -= len;
		if (space < 0 || synack_seq_gt(n->end, wnd_end))
			break;
		to->end = n->end;
		to->flags |= n->flags & (SA_TX_PSH | SA_TX_EVER_RETRANS);
		to->flags = (uint8_t)((to->flags & ~SA_TX_JOINED) | (n->flags & SA_TX_JOINED));
		if (n->flags & SA_TX_LOST)
			t->lost_out--;
		if (n->flags & SA_TX_RETRANS)
			t->retrans_out--;
		for (uint32_t k = i + 1; k + 1 < t->txq_len; k++)
			*sa_txq_at(t, k) = *sa_txq_at(t, k + 1);
		t->txq_len--;
	}
}

/* The marks an skb's segments share (tcp_fragment cuts where they differ). */
#define TX_MARKS (SA_TX_LOST | SA_TX_RETRANS | SA_TX_SACKED | SA_TX_EVER_RETRANS)

/* How many entries the skb starting at entry i spans: joined, with its marks. */
static uint32_t skb_entries(const struct tcb *t, uint32_t i)
{
	uint8_t marks = sa_txq_at(t, i)->flags & TX_MARKS;
	uint32_t n = 1;
	while (i + n < t->txq_len && (sa_txq_at(t, i + n - 1)->flags & SA_TX_JOINED) &&
	       (sa_txq_at(t, i + n)->flags & TX_MARKS) == marks)
		n++;
	return n;
}

/* Entries i .. i + segs - 1 become one skb's [seq, end) in whole `mss`
 * pieces, each a copy of proto (its marks, send time, delivered stamp); the
 * last keeps last_flags' push mark and join. */
static void lay_out(struct tcb *t, uint32_t i, uint32_t segs, uint32_t seq, uint32_t end,
                    uint32_t mss, const struct sa_txseg *proto, uint8_t last_flags)
{
	for (uint32_t k = 0; k < segs; k++) {
		struct sa_txseg *e = sa_txq_at(t, i + k);
		*e = *proto;
		e->seq = seq + k * mss;
		e->end = k + 1 < segs ? e->seq + mss : end;
		e->flags = (uint8_t)((proto->flags & TX_MARKS) | SA_TX_JOINED);
	}
	struct sa_txseg *tail = sa_txq_at(t, i + segs - 1);
	tail->flags =
	    (uint8_t)((tail->flags & ~SA_TX_JOINED) | (last_flags & (SA_TX_PSH | SA_TX_JOINED)));
}

/* Linux: __tcp_retransmit_skb cuts an skb at whole multiples of the
 * current MSS (tcp_fragment, tcp_set_skb_tso_segs), not where its segments
 * were cut when it was first sent: the MSS may have grown since (no SACK
 * blocks to carry any more: tcp_current_mss). The skb that starts at
 * entry i (it runs through the joined entries) is re-cut into `mss`
 * pieces, still joined; the marks are entry i's. Only when that takes no
 * more entries than it has (the MSS grew): the same number are cut anew
 * too (seed 29: 524 + 524 bytes resent as 536 + 512). */
void sa_txq_regroup(struct tcb *t, uint32_t i, uint32_t mss)
{
	if (i >= t->txq_len || !mss)
		return;
	uint32_t have = skb_entries(t, i), j = i + have - 1;
	struct sa_txseg first = *sa_txq_at(t, i), last = *sa_txq_at(t, j);
	bool fin = t->fin_sent && last.end == t->fin_seq + 1;
	uint32_t data = last.end - first.seq - (fin ? 1u : 0u);
	uint32_t need = (data + mss - 1) / mss;
	if (!need)
		return;
	if (need > have) {
		/* The MSS shrank: the skb holds more segments now (Linux:
		 * tcp_set_skb_tso_segs), so a SACK block later covers them
		 * at the new boundaries. */
		uint32_t more = need - have;
		if (t->txq_len + more > t->txq_cap)
			return;
		for (uint32_t k = t->txq_len; k-- > j + 1;)
			*sa_txq_at(t, k + more) = *sa_txq_at(t, k);
		t->txq_len += more;
		if (first.flags & SA_TX_LOST)
			t->lost_out += more;
		if (first.flags & SA_TX_RETRANS)
			t->retrans_out += more;
		lay_out(t, i, need, first.seq, last.end, mss, &first, last.flags);
		return;
	}
	if (first.flags & SA_TX_LOST)
		t->lost_out -= have - need;
	if (first.flags & SA_TX_RETRANS)
		t->retrans_out -= have - need;
	lay_out(t, i, need, first.seq, last.end, mss, &first, last.flags);
	for (uint32_t k = j + 1; k < t->txq_len; k++)
		*sa_txq_at(t, k - (have - need)) = *sa_txq_at(t, k);
	t->txq_len -= have - need;
}

/* Entries i to the last become one (what tcp_fragment leaves of an skb):
 * entry i's marks, the push mark and ever-retransmitted of any. */
void sa_txq_merge_tail(struct tcb *t, uint32_t i)
{
	if (i >= t->txq_len)
		return;
	struct sa_txseg *to = sa_txq_at(t, i);
	to->end = sa_txq_at(t, t->txq_len - 1)->end;
	while (t->txq_len > i + 1) {
		const struct sa_txseg *n = sa_txq_at(t, t->txq_len - 1);
		if (n->flags & SA_TX_LOST)
			t->lost_out--;
		if (n->flags & SA_TX_RETRANS)
			t->retrans_out--;
		if (n->flags & SA_TX_SACKED)
			t->sacked_out--;
		to->flags |= n->flags & (SA_TX_PSH | SA_TX_EVER_RETRANS);
		t->txq_len--;
	}
	to->flags &= (uint8_t)~SA_TX_JOINED;
}

/* The segment just sent and the next one leave in one skb (tso.c). */
void sa_txq_join_last(struct tcb *t)
{
	if (t->txq_len)
		sa_txq_at(t, t->txq_len - 1)->flags |= SA_TX_JOINED;
}

/* Linux: tcp_fragment — entry i ends its skb: it goes out without the
 * entry after it from now on. */
void sa_txq_unjoin(struct tcb *t, uint32_t i)
{
	if (i < t->txq_len)
		sa_txq_at(t, i)->flags &= (uint8_t)~SA_TX_JOINED;
}

void sa_txq_free(struct tcb *t)
{
	if (t->txq)
		sa_free(t->st, t->txq);
	t->txq = NULL;
	t->txq_cap = t->txq_len = t->txq_head = 0;
}

/* Linux: tcp_packets_in_flight = packets_out - (sacked_out + lost_out) +
 * retrans_out. */
uint32_t sa_packets_in_flight(const struct tcb *t)
{
	uint32_t left = t->sacked_out + t->lost_out;
	uint32_t out = t->txq_len > left ? t->txq_len - left : 0;
	return out + t->retrans_out;
}

bool sa_tx_was_psh(const struct tcb *t, uint32_t end)
{
	for (uint32_t i = 0; i < t->txq_len; i++) {
		const struct sa_txseg *s = sa_txq_at(t, i);
		if (s->end == end || (s->end == end + 1 && t->fin_sent && s->end == t->fin_seq + 1))
			return (s->flags & SA_TX_PSH) != 0;
		if (synack_seq_gt(s->end, end))
			break;
	}
	return false;
}

void sa_tx_sent(struct tcb *t, uint32_t seq, uint32_t len, uint8_t flags, bool rtx)
{
	bool fin = (flags & SYNACK_TH_FIN) != 0;
	uint32_t end = seq + len + (fin ? 1u : 0u);
	uint64_t now = t->st->now_us;
	if (len && !rtx)
		sa_cc_data_sent(t);
	if (len)
		t->lsndtime_us = now;
	/* Linux: tcp_write_xmit / tcp_xmit_retransmit_queue count prr_out while
	 * tcp_in_cwnd_reduction (Recovery or CWR). */
	if (t->ca_state == SA_CA_RECOVERY || t->ca_state == SA_CA_CWR)
		t->prr_out++;
	if (rtx && t->tlp_sending) {
		/* A loss probe (Linux: __tcp_retransmit_skb from
		 * tcp_send_loss_probe): ever retransmitted, not in retrans_out,
		 * and no retrans_stamp — only tcp_retransmit_skb sets that, so
		 * Eifel detection (RFC 3522 §2) after a later RTO compares the
		 * echo with the RTO's retransmission, not the probe. */
		for (uint32_t i = 0; i < t->txq_len; i++) {
			struct sa_txseg *s = sa_txq_at(t, i);
			if (synack_seq_geq(s->seq, end))
				break;
			if (synack_seq_gt(s->end, seq)) {
				s->flags |= SA_TX_EVER_RETRANS;
				s->xmit_us = now;
				s->delivered = t->delivered;
			}
		}
		return;
	}
	if (rtx) {
		if (!t->retrans_stamped) {
			t->retrans_stamped = true;
			t->retrans_stamp_us = now;
		}
		for (uint32_t i = 0; i < t->txq_len; i++) {
			struct sa_txseg *s = sa_txq_at(t, i);
			if (synack_seq_geq(s->seq, end))
				break;
			if (synack_seq_leq(s->end, seq))
				continue;
			if (!(s->flags & SA_TX_RETRANS))
				t->retrans_out++;
			if (t->undo_retrans < 0)
				t->undo_retrans = 0;
			t->undo_retrans++; /* Linux: __tcp_retransmit_skb */
			s->flags |= SA_TX_RETRANS | SA_TX_EVER_RETRANS;
			s->xmit_us = now;
			s->delivered = t->delivered;
		}
		return;
	}
	if (end == seq)
		return;
	if (!t->txq) {
		t->txq = sa_alloc(t->st, TXQ_CAP * sizeof(*t->txq));
		if (!t->txq)
			return;
		t->txq_cap = TXQ_CAP;
	}
	if (t->txq_len == t->txq_cap) {
		sa_txq_at(t, t->txq_len - 1)->end = end; /* bounded: merge */
		return;
	}
	struct sa_txseg *s = sa_txq_at(t, t->txq_len++);
	s->seq = seq;
	s->end = end;
	s->xmit_us = now;
	s->delivered = t->delivered;
	s->flags = (flags & SYNACK_TH_PSH) ? SA_TX_PSH : 0;
}

/* Linux: tcp_update_rto_stats — every RTO counts (SYN ones too); the
 * first of an episode (icsk_retransmits still 0) starts one and its clock
 * (rto_stamp, in ms as tcp_time_stamp_ms). */
void sa_rto_stats(struct tcb *t)
{
	if (!t->retransmits) {
		t->total_rto_recoveries++;
		t->rto_stamp_ms = SA_MAX(t->st->now_us / 1000u, 1u);
	}
	t->total_rto++;
}

/* Linux: tcp_update_rto_time — the episode ends when the Loss state does. */
void sa_rto_time_update(struct tcb *t)
{
	if (!t->rto_stamp_ms)
		return;
	t->total_rto_time_ms += (uint32_t)(t->st->now_us / 1000u - t->rto_stamp_ms);
	t->rto_stamp_ms = 0;
}

/* tcpi_total_rto_time: an unfinished episode counts up to now. */
uint32_t sa_rto_time_ms(const struct tcb *t)
{
	uint32_t ms = t->total_rto_time_ms;
	if (t->rto_stamp_ms)
		ms += (uint32_t)(t->st->now_us / 1000u - t->rto_stamp_ms);
	return ms;
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
	t->rack_reo = t->tlp_pending = false;
	sa_timer_set(t, SA_T_RTX, t->st->now_us + sa_rto_backed_off(t));
}

/* Linux: tcp_tso_acked — the ACK ends inside the first of the n entries
 * that left as one skb: trimmed, the skb holds ceil(rest / mss) segments,
 * and the ones it lost count as acknowledged, with an RTT sample from its
 * transmission unless it was retransmitted. The rest is laid out again in
 * whole MSSes from SND.UNA, as the trimmed skb is resent, even when the
 * count did not fall. False when nothing was acknowledged: a one-segment
 * skb (the caller moves its start), or a count that did not fall. */
static bool tso_acked(struct tcb *t, uint32_t prior_fack, struct sa_ack *a, uint64_t *first,
                      bool *have, bool *rtx)
{
	struct sa_txseg head = *sa_txq_at(t, 0);
	uint32_t n = skb_entries(t, 0);
	if (n < 2 || (head.flags & SA_TX_SACKED))
		return false;
	const struct sa_txseg *last = sa_txq_at(t, n - 1);
	bool fin = t->fin_sent && last->end == t->fin_seq + 1;
	uint32_t data_end = last->end - (fin ? 1u : 0u);
	/* tcp_skb_mss: the segment size the skb was sent with, its first's. */
	uint32_t mss = head.end - head.seq;
	uint32_t rest = synack_seq_gt(data_end, t->snd_una) ? data_end - t->snd_una : 0;
	uint32_t segs = rest ? (rest + mss - 1) / mss : 1;
	if (segs > n)
		return false; /* entries merged at the queue's bound: not an skb's layout */
	uint32_t acked = n - segs;
	uint8_t last_flags = last->flags;
	struct sa_txseg whole = head;
	whole.end = last->end;
	if (acked) {
		sa_rack_delivered(t, &whole, prior_fack, a); /* rack.c: tcp_rack_advance */
		if (head.flags & SA_TX_EVER_RETRANS) {
			*rtx = true;
		} else if (!*have) {
			*have = true;
			*first = head.xmit_us;
		}
		if (head.flags & SA_TX_RETRANS)
			t->retrans_out -= acked;
		if (head.flags & SA_TX_LOST)
			t->lost_out -= acked;
		if (!(head.flags & SA_TX_EVER_RETRANS) && synack_seq_leq(last->end, t->high_seq))
			a->orig_acked = true;
		a->acked_segs += acked;
		a->acked_any = true;
		t->txq_head = (t->txq_head + acked) % t->txq_cap;
		t->txq_len -= acked;
	}
	lay_out(t, 0, segs, t->snd_una, whole.end, mss, &head, last_flags);
	return acked > 0;
}

/* Removes acknowledged segments; returns the RTT sample (-1: none) by the
 * ACK's timing, Karn's rule (RFC 6298 §3): none if any acknowledged segment
 * was retransmitted (Linux: tcp_clean_rtx_queue, FLAG_RETRANS_DATA_ACKED). */
static int64_t clean_txq(struct tcb *t, struct sa_ack *a)
{
	uint64_t first = 0;
	bool have = false, rtx = false;
	/* Linux: prior_fack, the highest SACKed sequence (else SND.UNA). */
	uint32_t prior_fack = t->sacked_out ? t->fack : (t->txq_len ? sa_txq_at(t, 0)->seq : 0);
	while (t->txq_len) {
		struct sa_txseg *s = sa_txq_at(t, 0);
		if (synack_seq_leq(s->end, t->snd_una)) {
			if (!(s->flags & SA_TX_SACKED))
				sa_rack_delivered(t, s, prior_fack, a); /* rack.c */
			if (s->flags & SA_TX_EVER_RETRANS)
				rtx = true;
			else if (!have) {
				have = true;
				first = s->xmit_us;
			}
			if (s->flags & SA_TX_RETRANS)
				t->retrans_out--;
			if (s->flags & SA_TX_LOST)
				t->lost_out--;
			if (s->flags & SA_TX_SACKED)
				t->sacked_out--; /* delivered when it was SACKed */
			else
				a->acked_segs++;
			/* Linux: tcp_clean_rtx_queue — never retransmitted, never
			 * SACKed, sent before the RTO or recovery began. */
			if (!(s->flags & (SA_TX_SACKED | SA_TX_EVER_RETRANS)) &&
			    synack_seq_leq(s->end, t->high_seq))
				a->orig_acked = true;
			t->txq_head = (t->txq_head + 1) % t->txq_cap;
			t->txq_len--;
			a->acked_any = true;
			continue;
		}
		/* Partly acknowledged: Linux's tcp_clean_rtx_queue stops at an
		 * skb of one segment the ACK ends inside — no RTT sample, and
		 * nothing counts as acknowledged (no FLAG_DATA_ACKED: the timer
		 * is not restarted). An skb of several (tso.c) is trimmed
		 * instead, and what that takes off its segment count is
		 * acknowledged (tcp_tso_acked). */
		if (synack_seq_gt(t->snd_una, s->seq) &&
		    !tso_acked(t, prior_fack, a, &first, &have, &rtx))
			s->seq = t->snd_una;
		break;
	}
	if (!t->txq_len && t->txq)
		sa_txq_free(t);
	/* Linux: tcp_clean_rtx_queue — without SACK, a cumulative ACK that
	 * covers any retransmission cannot show that the original of the rest
	 * arrived (no SACKed bits to tell), so it is no F-RTO evidence
	 * (RFC 5682 §3, step 3b needs never-retransmitted data acknowledged). */
	if (rtx && !t->sack_ok)
		a->orig_acked = false;
	if (!have || rtx)
		return -1;
	return (int64_t)(t->st->now_us - first);
}

/* New data acknowledged (RFC 6298 §5.2/5.3): sample the RTT, restart or stop
 * the timer, feed congestion control and recovery. */
void sa_rtx_on_ack(struct tcb *t, const struct synack_segment *seg, struct sa_ack *a)
{
	int64_t rtt = -1;
	struct sa_ack syn = { .acked_any = true }; /* the SYN: FLAG_SYN_ACKED */
	if (!a)
		a = &syn;
	if (t->state == SA_SYN_SENT || t->state == SA_SYN_RECV) {
		/* The SYN (or our SYN-ACK, simultaneous open) is acknowledged:
		 * Karn's rule — a sample only if it was sent once. */
		if (!t->retransmits && !t->total_retrans)
			rtt = (int64_t)(t->st->now_us - t->first_tx_us);
		else
			t->syn_rtx_no_sample = true;
	} else {
		uint64_t sfirst = 0, slast = 0;
		bool sacked =
		    seg && sa_sack_rtt_times(t, seg, &sfirst, &slast); /* before cleaning */
		rtt = clean_txq(t, a);
		/* Linux: tcp_ack_update_rtt — the ACK's own timing first, then
		 * the SACKed segments' (RFC 6298 §3 allows either: none was
		 * retransmitted). */
		if (rtt < 0 && sacked)
			rtt = (int64_t)(t->st->now_us - sfirst);
	}
	/* RFC 7323 §4.1: without a sample from the ACK's timing, TSecr of an
	 * ACK that acknowledges new data gives one (Linux: tcp_ack_update_rtt). */
	if (rtt < 0 && a->acked_any && seg && t->ts_ok && seg->opt.has_ts && seg->opt.ts_ecr) {
		uint32_t d = sa_tsval(t) - seg->opt.ts_ecr;
		if (d < 0x80000000u)
			rtt = (int64_t)d * 1000;
	}
	if (rtt >= 0)
		sa_rto_sample(t, rtt);
	else if (t->syn_rtx_no_sample && !t->srtt_us &&
	         (t->state == SA_SYN_SENT || t->state == SA_SYN_RECV)) {
		/* RFC 6298 §5.7: the SYN was lost and no sample — 3 s
		 * (Linux: tcp_init_metrics, TCP_TIMEOUT_FALLBACK). */
		t->rto_us = (uint32_t)t->st->prof.rto_fallback_us;
		t->rttvar_us = t->mdev_us = t->mdev_max_us = (uint32_t)t->st->prof.rto_fallback_us;
		t->rto_shift = 0;
	}
	/* RFC 3522 §2 (Eifel detection; Linux: tcp_packet_delayed) — read
	 * before the stamp may be cleared below. */
	a->ts_delayed =
	    t->retrans_stamped && seg && t->ts_ok && seg->opt.has_ts && seg->opt.ts_ecr &&
	    synack_seq_lt(seg->opt.ts_ecr - t->ts_offset, (uint32_t)(t->retrans_stamp_us / 1000u));
	/* Linux: icsk_retransmits is cleared by any ACK of new data, the
	 * backoff only with a valid RTT sample (tcp_ack_update_rtt, RFC 6298
	 * §5.7 / Karn: keep the backed-off RTO until a sample). */
	t->retransmits = 0;
	if (rtt >= 0)
		t->backoff = 0;
	if (!t->retrans_out)
		t->retrans_stamped = false;
	if (!a->acked_any)
		return; /* Linux: no FLAG_SET_XMIT_TIMER, the timer runs on */
	sa_timer_clear(t, SA_T_RTX);
	t->rack_reo = t->tlp_pending = false;
	sa_rtx_arm(t);
}

/* Linux: tcp_clean_rtx_queue for an ACK that cleans nothing: newly SACKed
 * segments give the RTT sample (tcp_ack_update_rtt, backoff reset), and the
 * timer restarts with the new RTO only if that sample is longer than the
 * head has been out (else, in loss recovery, each SACK would push the RTO
 * further away). */
void sa_rtx_on_sack(struct tcb *t, const struct synack_segment *seg, struct sa_ack *a)
{
	uint64_t first, last;
	if (!t->txq_len || !sa_sack_rtt_times(t, seg, &first, &last))
		return;
	uint64_t now = t->st->now_us, rtt = now - first;
	sa_rto_sample(t, (int64_t)rtt);
	t->backoff = 0;
	if (rtt > now - sa_txq_at(t, 0)->xmit_us) {
		sa_timer_clear(t, SA_T_RTX);
		t->rack_reo = t->tlp_pending = false;
		sa_rtx_arm(t);
		a->sack_rearmed = true;
	}
}

static void give_up(struct tcb *t)
{
	/* Linux: tcp_write_err — sk_err = ETIMEDOUT, tcp_done, no RST. */
	t->st->stats.aborts_on_timeout++;
	t->timed_out = true;
	t->so_error = sa_timeout_error(t);
	sa_tcb_done(t);
}

static void stamp(struct tcb *t)
{
	if (!t->retrans_stamped) {
		t->retrans_stamped = true;
		t->retrans_stamp_us = t->st->now_us;
	}
}

/* Linux: tcp_rtx_probe0_timed_out — a connection whose peer keeps its
 * window at zero times out only when nothing was heard for 2 x TCP_RTO_MAX
 * (or TCP_USER_TIMEOUT, which also bounds the time since the first
 * retransmission) and the retransmissions have gone on as long. */
static bool probe0_timed_out(const struct tcb *t, uint64_t rtx_delta_ms)
{
	uint64_t timeout = 2u * t->st->prof.rto_max_us / 1000u;
	if (t->user_timeout_ms) {
		if (rtx_delta_ms > t->user_timeout_ms)
			return true;
		timeout = SA_MIN(timeout, (uint64_t)t->user_timeout_ms);
	}
	uint64_t rcv_delta_ms = (t->st->now_us - t->last_ack_recv_us) / 1000u;
	return rcv_delta_ms > timeout && rtx_delta_ms > timeout;
}

/* Linux: tcp_retransmit_timer's "receiver dastardly shrinks window" case.
 * Data is outstanding but SND.WND is 0: the retransmissions are zero-window
 * probes (RFC 9293 §3.8.6.1: a zero window must not end the connection
 * while the peer answers), so they count neither toward tcp_retries2 nor
 * as retransmission attempts; only probe0_timed_out ends it. The timer
 * still backs off (out_reset_timer). Orphans take the ordinary path. */
static void zero_window_rto(struct tcb *t)
{
	/* retrans_stamp, else when the head was sent (tcp_skb_timestamp_ts). */
	uint64_t since = t->st->now_us;
	if (t->retrans_stamped)
		since = t->retrans_stamp_us;
	else if (t->txq_len && t->txq)
		since = sa_txq_at(t, 0)->xmit_us;
	uint64_t rtx_delta_ms = t->st->now_us / 1000u - since / 1000u;
	if (probe0_timed_out(t, rtx_delta_ms)) {
		give_up(t);
		return;
	}
	sa_rec_enter_loss(t);
	stamp(t);
	sa_rto_back_off(t);
	sa_rec_xmit_lost(t);
	sa_timer_set(t, SA_T_RTX,
	             t->st->now_us + sa_rto_clamp_user_timeout(t, sa_rto_backed_off(t)));
}

void sa_rtx_fire(struct tcb *t)
{
	const struct synack_profile *p = &t->st->prof;
	if (t->rack_reo) {
		/* The slot held RACK's reordering timer (Linux: icsk_pending
		 * ICSK_TIME_REO_TIMEOUT). */
		sa_rack_reo_timeout(t);
		return;
	}
	if (t->tlp_pending) {
		sa_tlp_fire(t); /* ICSK_TIME_LOSS_PROBE (tlp.c) */
		return;
	}
	switch (t->state) {
	case SA_SYN_SENT: {
		uint32_t limit = (t->syncnt ? t->syncnt : p->syn_retries) + p->syn_linear_timeouts;
		if (t->retransmits >= limit ||
		    (t->user_timeout_ms && sa_rto_timed_out(t, limit, t->user_timeout_ms, true))) {
			give_up(t);
			return;
		}
		stamp(t);
		sa_rto_stats(t);
		t->retransmits++;
		/* Linux: the first syn_linear_timeouts retries keep the initial RTO. */
		if (t->retransmits > p->syn_linear_timeouts)
			sa_rto_back_off(t);
		t->total_retrans++;
		t->st->stats.retrans_segs++;
		/* Linux: tcp_retransmit_timer → tcp_enter_loss queues CWR, so the
		 * first data after a lost SYN carries it (RFC 3168 §6.1.2). */
		sa_ecn_queue_cwr(t);
		sa_send_syn(t);
		sa_timer_set(t, SA_T_RTX,
		             t->st->now_us + sa_rto_clamp_user_timeout(t, sa_rto_backed_off(t)));
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
			sa_rto_back_off(t);
			sa_timer_set(t, SA_T_RTX, t->st->now_us + sa_rto_backed_off(t));
			return;
		}
		if (t->retransmits >= limit) {
			give_up(t);
			return;
		}
		stamp(t);
		sa_rto_stats(t);
		t->retransmits++;
		sa_rto_back_off(t);
		t->total_retrans++;
		t->st->stats.retrans_segs++;
		sa_ecn_queue_cwr(t); /* tcp_retransmit_timer → tcp_enter_loss */
		sa_send_synack(t);
		sa_timer_set(t, SA_T_RTX, t->st->now_us + sa_rto_backed_off(t));
		return;
	}
	default:
		break;
	}
	if (t->snd_nxt == t->snd_una)
		return;
	if (!t->snd_wnd && !t->orphan) {
		zero_window_rto(t);
		return;
	}
	/* Linux: tcp_write_timeout. An orphan uses tcp_orphan_retries: 0
	 * means 8 while icsk_rto is below the RTO max ("alive"), else 0. */
	uint32_t limit = p->retries2;
	if (t->orphan) {
		bool alive = sa_rto_backed_off(t) < p->rto_max_us;
		limit = p->orphan_retries;
		if (!limit && alive)
			limit = 8;
	}
	if (sa_rto_timed_out(t, limit, t->user_timeout_ms, false)) {
		give_up(t);
		return;
	}
	/* Linux: tcp_retransmit_timer → tcp_enter_loss, retransmit the head
	 * (RFC 6298 §5.4), back off (§5.5), restart the timer (§5.6). The
	 * head goes (tcp_retransmit_skb) even if it is still counted as
	 * retransmitted, which an F-RTO undo leaves it (unmarked lost): the
	 * walk of lost segments would skip it and send the next one instead
	 * (Linux then counts the head twice in retrans_out; the engine once). */
	struct sa_txseg *h = t->txq_len ? sa_txq_at(t, 0) : NULL;
	if (h && (h->flags & SA_TX_RETRANS) && !(h->flags & SA_TX_SACKED)) {
		h->flags &= (uint8_t)~SA_TX_RETRANS;
		t->retrans_out--;
	}
	sa_rec_enter_loss(t);
	sa_rto_stats(t);
	t->retransmits++;
	sa_rto_back_off(t);
	sa_rec_xmit_lost(t);
	if (!t->retrans_out) {
		/* Nothing went (no queue memory): retransmit the head anyway. */
		uint32_t data_out = sa_in_flight(t) - (t->fin_sent ? 1u : 0u);
		uint32_t len = SA_MIN(data_out, sa_cur_mss(t));
		bool fin = t->fin_sent && len == data_out;
		sa_send_data(t, t->snd_una, len, fin, true, false);
	}
	sa_timer_set(t, SA_T_RTX,
	             t->st->now_us + sa_rto_clamp_user_timeout(t, sa_rto_backed_off(t)));
}
