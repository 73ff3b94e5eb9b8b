/* Tail loss probe (RFC 8985 §7) as Linux does it (tcp_schedule_loss_probe,
 * tcp_send_loss_probe, tcp_process_tlp_ack), for SACK connections when the
 * profile's tcp_early_retrans is 3 or 4 (the linux profile: 3).
 *
 * - In Open or CWR with data in flight, the probe timer takes the
 *   retransmission timer's slot: PTO = 2 SRTT + 2 ms (+ RTO min instead of
 *   2 ms with one segment out, for a delayed ACK), 1 s without an RTT
 *   sample, never later than the RTO would fire (§7.2).
 * - The probe is one new segment if the peer's window allows (sent even if
 *   cwnd does not), else the last segment again (§7.3); at most one probe
 *   is outstanding, and the RTO restarts after it.
 * - An ACK beyond the probe's SND.NXT after a retransmitted probe means the
 *   probe repaired a loss: cwnd is reduced once (CWR); a D-SACK for it, or
 *   a pure duplicate ACK, means nothing was lost (§7.4).
 */
#include "internal.h"

#define TCP_TIMEOUT_MIN_US 2000u /* Linux: TCP_TIMEOUT_MIN_US */

static uint64_t ticks(const struct tcb *t, uint64_t us)
{
	uint64_t g = t->st->prof.clock_granularity_us;
	return g > 1 ? (us + g - 1) / g * g : us;
}

/* Linux: tcp_rto_delta_us — how far the RTO is, from the head's send. */
static int64_t rto_delta(const struct tcb *t)
{
	if (!t->txq_len)
		return (int64_t)sa_rto_backed_off(t);
	uint64_t at = sa_txq_at(t, 0)->xmit_us + sa_rto_backed_off(t);
	return (int64_t)at - (int64_t)t->st->now_us;
}

/* Linux: tcp_schedule_loss_probe. */
bool sa_tlp_schedule(struct tcb *t, bool advancing_rto)
{
	uint8_t er = t->st->prof.early_retrans;
	if ((er != 3 && er != 4) || !t->sack_ok || !t->txq_len || t->snd_nxt == t->snd_una ||
	    (t->ca_state != SA_CA_OPEN && t->ca_state != SA_CA_CWR))
		return false;
	uint64_t timeout;
	if (t->srtt_us) {
		uint64_t us = t->srtt_us >> 2; /* 2 SRTT: srtt_us is SRTT << 3 */
		us += t->txq_len == 1 ? t->st->prof.rto_min_us : TCP_TIMEOUT_MIN_US;
		timeout = ticks(t, us);
	} else {
		timeout = t->st->prof.rto_init_us; /* TCP_TIMEOUT_INIT */
	}
	int64_t rd = advancing_rto ? (int64_t)sa_rto_backed_off(t) : rto_delta(t);
	if (rd > 0)
		timeout = SA_MIN(timeout, ticks(t, (uint64_t)rd));
	t->rack_reo = false;
	sa_timer_set(t, SA_T_RTX, t->st->now_us + timeout);
	t->tlp_pending = true;
	return true;
}

/* Linux: tcp_rearm_rto with the probe timer pending — from the head. */
static void rearm_rto_from_head(struct tcb *t)
{
	t->tlp_pending = false;
	if (t->snd_nxt == t->snd_una) {
		sa_timer_clear(t, SA_T_RTX);
		return;
	}
	int64_t d = rto_delta(t);
	sa_timer_set(t, SA_T_RTX, t->st->now_us + (d > 0 ? (uint64_t)d : 1u));
}

/* Linux: tcp_send_loss_probe — a tail skb of several segments (entries
 * joined, tso.c) is cut at (pcount - 1) * mss, the MSS of now
 * (tcp_current_mss: less a SACK option than when it was sent), and what
 * follows the cut is one skb again: the probe. */
static void tail_skb_cut(struct tcb *t, uint32_t mss)
{
	uint32_t last = t->txq_len - 1, first = last;
	while (first && (sa_txq_at(t, first - 1)->flags & SA_TX_JOINED))
		first--;
	uint32_t n = last - first + 1;
	if (n < 2)
		return;
	const struct sa_txseg *tail = sa_txq_at(t, last);
	uint32_t data_end = tail->end - (t->fin_sent && tail->end == t->fin_seq + 1 ? 1u : 0u);
	uint32_t cut = sa_txq_at(t, first)->seq + (n - 1) * mss;
	if (!synack_seq_lt(cut, data_end))
		return;
	uint32_t k = first;
	while (!synack_seq_lt(cut, sa_txq_at(t, k)->end))
		k++;
	if (synack_seq_gt(cut, sa_txq_at(t, k)->seq)) {
		if (!sa_txq_split(t, k, cut))
			return;
		k++;
	}
	sa_txq_merge_tail(t, k);
}

/* Linux: tcp_send_loss_probe. */
void sa_tlp_fire(struct tcb *t)
{
	t->tlp_pending = false;
	if (t->tlp_out || !t->txq_len) {
		rearm_rto_from_head(t); /* at most one outstanding probe */
		return;
	}
	t->tlp_retrans = false;
	uint32_t nxt = t->snd_nxt;
	uint32_t unsent = t->fin_sent ? 0 : t->sndq.len - (t->snd_nxt - t->snd_una);
	uint32_t mss = sa_cur_mss(t);
	uint32_t len = SA_MIN(unsent, mss);
	if (len && !synack_seq_gt(t->snd_nxt + len, t->snd_una + t->snd_wnd)) {
		/* New data, cwnd or not (tcp_write_xmit push_one = 2). */
		bool fin = t->fin_queued && len == unsent;
		sa_send_data(t, t->snd_nxt, len, fin, false, false);
		sa_uskb_sent(t, len); /* sndbuf.c */
		if (len < mss)
			t->snd_sml = t->snd_nxt + len; /* tcp_write_xmit: tcp_minshall_update */
		t->snd_nxt += len;
		if (fin) {
			t->fin_sent = true;
			t->fin_seq = t->snd_nxt;
			t->snd_nxt++;
		}
	} else {
		/* The last segment again (__tcp_retransmit_skb: counted in
		 * total_retrans, not in retrans_out) — also when new data
		 * waits but the peer's window holds it back (the send head
		 * fails tcp_snd_wnd_test: Linux falls through to the tail). */
		tail_skb_cut(t, mss);
		uint32_t idx = t->txq_len - 1;
		struct sa_txseg *s = sa_txq_at(t, idx);
		uint32_t slen = s->end - s->seq;
		bool fin = t->fin_sent && s->end == t->fin_seq + 1;
		bool cut_at_window = false;
		if (fin)
			slen--;
		/* __tcp_retransmit_skb: cut to the peer's window (avail_wnd,
		 * tcp_fragment); beyond it only the head goes, as a zero-window
		 * probe (fuzz_network: a retransmission past a shrunken window
		 * was dropped every time; rto-retransmission-cut-to-window.pkt). */
		int32_t avail = (int32_t)(t->snd_una + t->snd_wnd - s->seq);
		if (avail <= 0 && s->seq == t->snd_una)
			avail = (int32_t)mss;
		if (avail > 0 && slen > (uint32_t)avail) {
			uint32_t cut = (uint32_t)avail / mss * mss;
			if (!cut)
				cut = (uint32_t)avail;
			if (sa_txq_split(t, idx, s->seq + cut)) {
				slen = cut;
				fin = false;
				cut_at_window = true;
			}
		}
		/* RFC 9293 §3.7.1: at most one MSS — the probe is the last MSS
		 * of the tail (Linux: tcp_send_loss_probe fragments the tail
		 * skb at len - mss); an entry merged at the queue's bound can
		 * span many. Cut at the window or queue full: its first MSS. */
		if (slen > mss) {
			if (!cut_at_window && sa_txq_split(t, idx, s->seq + (slen - mss)))
				s = sa_txq_at(t, ++idx);
			else
				fin = false;
			if (cut_at_window)
				(void)sa_txq_split(t, idx, s->seq + mss);
			slen = mss;
		}
		if (avail > 0) {
			/* tcp_send_loss_probe fragments the tail skb before its
			 * last MSS: the probe is a transmission of its own. */
			if (idx)
				sa_txq_unjoin(t, idx - 1);
			t->tlp_sending = true;
			sa_send_data(t, s->seq, slen, fin, true, false);
			t->tlp_sending = false;
			t->tlp_retrans = true;
		}
	}
	if (t->snd_nxt == nxt && !t->tlp_retrans) {
		rearm_rto_from_head(t); /* nothing could go */
		return;
	}
	t->tlp_out = true;
	t->tlp_high_seq = t->snd_nxt;
	t->st->stats.tlp_probes++;
	sa_timer_set(t, SA_T_RTX, t->st->now_us + sa_rto_backed_off(t));
}

/* Linux: tcp_process_tlp_ack, after the ACK's loss recovery. */
void sa_tlp_on_ack(struct tcb *t, const struct synack_segment *seg, uint32_t prior_una, bool dup)
{
	if (!t->tlp_out || synack_seq_lt(seg->ack, t->tlp_high_seq))
		return;
	bool dsack_tlp = seg->opt.n_sack && synack_seq_lt(seg->opt.sack[0].left, seg->ack) &&
	                 synack_seq_leq(seg->opt.sack[0].right, t->tlp_high_seq);
	if (!t->tlp_retrans || dsack_tlp) {
		t->tlp_out = false; /* new data acknowledged, or original and probe both arrived */
	} else if (synack_seq_gt(seg->ack, t->tlp_high_seq)) {
		/* The probe repaired a loss: one reduction (tcp_init_cwnd_reduction,
		 * CWR, tcp_end_cwnd_reduction, tcp_try_keep_open). */
		t->tlp_out = false;
		t->high_seq = t->snd_nxt;
		t->snd_cwnd_cnt = 0;
		t->prior_cwnd = t->snd_cwnd;
		t->prr_delivered = t->prr_out = 0;
		t->snd_ssthresh = sa_cc_ops_of(t)->ssthresh(t);
		sa_ecn_queue_cwr(t); /* tcp_init_cwnd_reduction */
		t->snd_cwnd = t->snd_ssthresh;
		t->ca_state = (t->sacked_out || t->lost_out || t->retrans_out || t->undo_marker)
		                  ? SA_CA_DISORDER
		                  : SA_CA_OPEN;
	} else if (dup && !synack_seq_gt(t->snd_una, prior_una) && !seg->opt.n_sack) {
		t->tlp_out = false; /* a pure duplicate: no loss */
	}
}
