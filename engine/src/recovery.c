/* Loss recovery without SACK: fast retransmit on the third duplicate ACK
 * (RFC 5681 §3.2), NewReno partial ACKs (RFC 6582 §3.2), the loss state
 * after an RTO, and Linux's Proportional Rate Reduction (RFC 6937) for the
 * window during recovery — following tcp_fastretrans_alert / tcp_ack for a
 * connection without SACK (tcp_is_reno), where Linux counts duplicate ACKs
 * in sacked_out and neither RACK nor TLP applies.
 *
 * After an RTO, F-RTO (RFC 5682) decides whether the timeout was spurious
 * and undoes it if so (process_loss).
 *
 * Limited transmit (RFC 3042) falls out of the accounting as in Linux: each
 * duplicate ACK takes a segment out of the pipe (sacked_out), so new data may
 * go while cwnd allows.
 */
#include "internal.h"

/* RFC 5681 §2 "DUPLICATE ACKNOWLEDGMENT": data outstanding, no data, no
 * SYN/FIN, SEG.ACK = SND.UNA, the advertised window unchanged (Linux: not
 * FLAG_NOT_DUP). */
bool sa_rec_is_dupack(const struct tcb *t, const struct synack_segment *seg, uint32_t nwin)
{
	return t->snd_nxt != t->snd_una && seg->ack == t->snd_una && !seg->payload_len &&
	       !(seg->flags & (SYNACK_TH_SYN | SYNACK_TH_FIN)) && nwin == t->snd_wnd;
}

void sa_rec_mark_lost(struct tcb *t, struct sa_txseg *s)
{
	/* Linux: tcp_mark_skb_lost — a lost retransmission is lost again. */
	if (s->flags & SA_TX_LOST) {
		if (s->flags & SA_TX_RETRANS) {
			s->flags &= (uint8_t)~SA_TX_RETRANS;
			t->retrans_out--;
		}
		return;
	}
	s->flags |= SA_TX_LOST;
	t->lost_out++;
}

/* Linux: tcp_newreno_mark_lost — the head is lost. Returns the segments
 * newly marked. */
static uint32_t mark_head_lost(struct tcb *t)
{
	if (!t->txq_len)
		return 0;
	struct sa_txseg *s = sa_txq_at(t, 0);
	if (s->flags & SA_TX_LOST)
		return 0;
	sa_rec_mark_lost(t, s);
	return 1;
}

/* Linux: tcp_limit_reno_sacked — no more "sacked" than outstanding.
 * Returns whether it had to cut: more duplicate ACKs than segments out
 * means reordering (tcp_check_reno_reordering), and DupThresh grows to
 * what is outstanding plus what the ACK acknowledged. */
static void limit_reno_sacked(struct tcb *t, uint32_t addend)
{
	uint32_t holes = SA_MIN(t->lost_out ? t->lost_out : 1, t->txq_len);
	if (t->sacked_out + holes <= t->txq_len)
		return;
	t->sacked_out = t->txq_len - holes;
	t->reordering = SA_MIN(t->txq_len + addend, SA_MAX_REORDERING);
	t->reord_seen++;
}

static void add_reno_sack(struct tcb *t)
{
	t->sacked_out++;
	limit_reno_sacked(t, 0);
}

/* Linux: tcp_end_cwnd_reduction — back to ssthresh after recovery. */
static void end_cwnd_reduction(struct tcb *t)
{
	if (t->snd_ssthresh < 0x7fffffff)
		t->snd_cwnd = t->snd_ssthresh;
}

/* Linux: tcp_init_cwnd_reduction — one reduction starts (RFC 6937 PRR);
 * with ECN the next new segment carries CWR (RFC 3168 §6.1.2). */
static void init_cwnd_reduction(struct tcb *t)
{
	t->high_seq = t->snd_nxt; /* "recover" */
	t->tlp_out = false;       /* Linux: clears tlp_high_seq */
	t->snd_cwnd_cnt = 0;
	t->prior_cwnd = t->snd_cwnd;
	t->prr_delivered = 0;
	t->prr_out = 0;
	t->snd_ssthresh = sa_cc_ops_of(t)->ssthresh(t);
	sa_ecn_queue_cwr(t);
}

/* Linux: tcp_current_ssthresh — inside a reduction its target, else
 * max(ssthresh, 3/4 cwnd). */
uint32_t sa_rec_current_ssthresh(const struct tcb *t)
{
	if (t->ca_state == SA_CA_CWR || t->ca_state == SA_CA_RECOVERY)
		return t->snd_ssthresh;
	return SA_MAX(t->snd_ssthresh, (t->snd_cwnd >> 1) + (t->snd_cwnd >> 2));
}

/* Linux: tcp_init_undo — D-SACKs for every retransmission undo. */
static void init_undo(struct tcb *t)
{
	t->undo_marker = t->snd_una ? t->snd_una : 1;
	t->undo_retrans = t->retrans_out ? (int32_t)t->retrans_out : -1;
}

/* RFC 6582 §3.2 step 2 / Linux tcp_enter_recovery: from CWR (an ECN
 * reduction under way) the window is not reduced again. */
static void enter_recovery(struct tcb *t, bool ece)
{
	init_undo(t);
	t->prior_ssthresh = 0;
	if (t->ca_state != SA_CA_CWR && t->ca_state != SA_CA_RECOVERY) {
		if (!ece)
			t->prior_ssthresh = sa_rec_current_ssthresh(t);
		init_cwnd_reduction(t);
	}
	t->ca_state = SA_CA_RECOVERY;
}

void sa_rec_enter_recovery(struct tcb *t)
{
	enter_recovery(t, false);
}

/* Linux: tcp_enter_cwr — RFC 3168 §6.1.2: an ECE halves the window once
 * per window of data (the CWR state lasts until SND.NXT at entry is ACKed),
 * and no undo. */
static void enter_cwr(struct tcb *t)
{
	t->prior_ssthresh = 0;
	if (t->ca_state < SA_CA_CWR) {
		t->undo_marker = 0;
		init_cwnd_reduction(t);
		t->ca_state = SA_CA_CWR;
	}
}

/* RFC 6937 PRR as Linux 6.x's tcp_cwnd_reduction computes it (the
 * RFC 6937bis variant: SSRB's extra segment only when SND.UNA advances
 * without a new loss, never above ssthresh). */
void sa_rec_cwnd_reduction(struct tcb *t, uint32_t delivered, bool una_advanced,
                           uint32_t newly_lost)
{
	if (!delivered || !t->prior_cwnd)
		return;
	int64_t in_flight = sa_packets_in_flight(t);
	int64_t delta = (int64_t)t->snd_ssthresh - in_flight;
	int64_t sndcnt;
	t->prr_delivered += delivered;
	if (delta < 0) {
		uint64_t dividend =
		    (uint64_t)t->snd_ssthresh * t->prr_delivered + t->prior_cwnd - 1;
		sndcnt = (int64_t)(dividend / t->prior_cwnd) - t->prr_out;
	} else {
		/* Packet conservation; when SND.UNA advances without a new
		 * loss, one more (slow start up to ssthresh). */
		sndcnt = SA_MAX((int64_t)t->prr_delivered - t->prr_out, (int64_t)delivered);
		if (una_advanced && !newly_lost)
			sndcnt++;
		sndcnt = SA_MIN(delta, sndcnt);
	}
	/* Force a fast retransmit upon entering fast recovery. */
	sndcnt = SA_MAX(sndcnt, (int64_t)(t->prr_out ? 0 : 1));
	t->snd_cwnd = (uint32_t)(in_flight + sndcnt);
}

/* Linux: tcp_may_raise_cwnd — RFC 5681 grows cwnd on in-order delivery;
 * once reordering was found above tcp_reordering, on any delivery
 * (FLAG_FORWARD_PROGRESS: SACKs count). */
static bool may_raise_cwnd(const struct tcb *t, const struct sa_ack *a)
{
	if (t->reordering > t->st->prof.reordering)
		return a->acked_any || a->newly_sacked;
	return a->acked_any;
}

static void try_keep_open(struct tcb *t)
{
	t->ca_state =
	    (t->sacked_out || t->lost_out || t->retrans_out) ? SA_CA_DISORDER : SA_CA_OPEN;
}

/* Linux: tcp_try_to_open — an ECE starts the CWR reduction; CWR holds. */
static void try_to_open(struct tcb *t, bool ece)
{
	if (ece)
		enter_cwr(t);
	if (t->ca_state != SA_CA_CWR)
		try_keep_open(t);
}

/* Linux: tcp_fastretrans_alert step D for CWR — held until something above
 * high_seq is ACKed, so the CWR flag has reached the receiver. */
static void cwr_exit(struct tcb *t)
{
	if (t->ca_state == SA_CA_CWR && synack_seq_gt(t->snd_una, t->high_seq)) {
		end_cwnd_reduction(t);
		t->ca_state = SA_CA_OPEN;
	}
}

/* Linux: tcp_undo_cwnd_reduction — the reduction was spurious (RFC 2883
 * §4 / RFC 3708: every retransmission was D-SACKed; RFC 3522 / RFC 5682:
 * the original segments arrived). After an RTO the segments it marked
 * lost are not (unmark_loss). cwnd comes back only where the reduction
 * saved ssthresh (prior_ssthresh: none after an ECE). */
static void undo_cwnd_reduction(struct tcb *t, bool unmark_loss)
{
	if (unmark_loss) {
		for (uint32_t i = 0; i < t->txq_len; i++)
			sa_txq_at(t, i)->flags &= (uint8_t)~SA_TX_LOST;
		t->lost_out = 0;
	}
	if (t->prior_ssthresh) {
		t->snd_cwnd = SA_MAX(t->snd_cwnd, t->prior_cwnd); /* tcp_reno_undo_cwnd */
		if (t->prior_ssthresh > t->snd_ssthresh) {
			t->snd_ssthresh = t->prior_ssthresh;
			t->ecn_flags &= (uint8_t)~SA_ECN_QUEUE_CWR; /* tcp_ecn_withdraw_cwr */
		}
	}
	t->undo_marker = 0;
}

/* Linux: tcp_may_undo — every retransmission D-SACKed, or (RFC 3522) the
 * ACK echoes a timestamp older than the first retransmission. */
static bool may_undo(const struct tcb *t, const struct sa_ack *a)
{
	return t->undo_marker && (!t->undo_retrans || a->ts_delayed);
}

/* Linux: tcp_is_non_sack_preventing_reopen — without SACK the state holds
 * until something above "recover" is ACKed (RFC 6582 §3.2 step 3). */
static bool non_sack_preventing_reopen(const struct tcb *t)
{
	return !t->sack_ok && t->snd_una == t->high_seq;
}

/* Linux: tcp_try_undo_loss — the RTO was spurious: back to Open with the
 * window from before it. */
static bool try_undo_loss(struct tcb *t, const struct sa_ack *a, bool frto_undo)
{
	if (!frto_undo && !may_undo(t, a))
		return false;
	undo_cwnd_reduction(t, true);
	t->retransmits = 0;
	if (non_sack_preventing_reopen(t))
		return true;
	if (frto_undo || t->sack_ok)
		t->ca_state = SA_CA_OPEN;
	return true;
}

/* Linux: tcp_try_undo_recovery's undo half: a recovery that was real
 * counts down how long a widened RACK reo_wnd lasts (RFC 8985 §6.2). */
static void undo_recovery(struct tcb *t, const struct sa_ack *a)
{
	if (may_undo(t, a))
		undo_cwnd_reduction(t, false);
	else if (t->rack_reo_wnd_persist)
		t->rack_reo_wnd_persist--;
}

/* Linux: tcp_try_undo_dsack — every retransmission D-SACKed: the
 * reduction was spurious, and a widened reo_wnd lasts one more recovery. */
static void undo_dsack(struct tcb *t)
{
	if (t->rack_reo_wnd_persist < SA_RACK_RECOVERY_THRESH)
		t->rack_reo_wnd_persist++;
	undo_cwnd_reduction(t, false);
}

/* Linux: tcp_try_undo_recovery, for the Loss state reaching "recover". */
static void loss_recovered(struct tcb *t, const struct sa_ack *a)
{
	undo_recovery(t, a);
	if (non_sack_preventing_reopen(t))
		return;
	t->ca_state = SA_CA_OPEN;
}

/* RFC 5682 F-RTO in Linux's SACK-enhanced form (tcp_process_loss), for an
 * ACK in the Loss state. Step 2b: the first ACK that advances SND.UNA
 * (below "recover") lets new data go instead of the next retransmission;
 * step 3b: an ACK or SACK of never-retransmitted data sent before the RTO
 * means the RTO was spurious — undo it; a duplicate ACK or new SACK after
 * the new data means the loss was real (3a). */
static void process_loss(struct tcb *t, const struct sa_ack *a, bool advanced, bool dup)
{
	bool recovered = synack_seq_geq(t->snd_una, t->high_seq);
	if (advanced && try_undo_loss(t, a, false))
		return;
	if (t->frto) {
		if (a->orig_acked && try_undo_loss(t, a, true))
			return;
		if (synack_seq_gt(t->snd_nxt, t->high_seq)) {
			if (a->newly_sacked || dup)
				t->frto = false; /* step 3a */
		} else if (advanced && !recovered) {
			t->high_seq = t->snd_nxt;
			bool have_new =
			    !t->fin_sent && (t->sndq.len > sa_in_flight(t) || t->fin_queued);
			if (have_new && synack_seq_gt(t->snd_una + t->snd_wnd, t->snd_nxt)) {
				t->frto_new = true; /* sa_output: new data first */
				return;
			}
			t->frto = false;
		}
	}
	if (recovered) {
		if (!t->sack_ok)
			t->sacked_out = 0;
		loss_recovered(t, a);
		return;
	}
	if (!t->sack_ok) {
		/* A Reno duplicate ACK after F-RTO's new data: that data
		 * arrived, one segment fewer in flight. */
		if (synack_seq_gt(t->snd_nxt, t->high_seq) && dup)
			add_reno_sack(t);
		else if (advanced)
			t->sacked_out = 0;
	}
}

/* With SACK (Linux tcp_fastretrans_alert): losses come from RACK (RFC 8985,
 * rack.c; tcp_recovery bit 1) or else RFC 6675 — enter recovery when
 * DupThresh segments are SACKed above a hole, mark holes lost by IsLost();
 * either way retransmit them first and leave when SND.UNA reaches
 * "recover" (RFC 6675 §5: no NewReno hold). */
static void on_ack_sack(struct tcb *t, uint32_t prior_una, bool dup, uint32_t delivered,
                        bool advanced, bool ece, const struct sa_ack *a)
{
	uint32_t newly_lost = 0;
	bool rack = sa_rack_on(t);
	(void)dup;
	if (advanced && sa_rec_sack_reneged(t)) {
		/* RFC 2018 §8 / Linux tcp_check_sack_reneging: the ACK stops
		 * at a segment the peer had SACKed — it dropped what it held.
		 * Wait a moment for an ACK beyond it, then time out (the RTO
		 * forgets the SACKs): max(SRTT / 2, 10 ms), in ticks. */
		uint64_t g = t->st->prof.clock_granularity_us;
		uint64_t d = SA_MAX((uint64_t)(t->srtt_us >> 4), 10000u);
		if (g > 1)
			d = (d + g - 1) / g * g;
		t->rack_reo = t->tlp_pending = false;
		sa_timer_set(t, SA_T_RTX, t->st->now_us + d);
		return;
	}
	if (t->ca_state == SA_CA_RECOVERY && synack_seq_geq(t->snd_una, t->high_seq)) {
		if (!may_undo(t, a))
			end_cwnd_reduction(t);
		undo_recovery(t, a);
		t->ca_state = SA_CA_OPEN;
	} else if (t->ca_state == SA_CA_LOSS) {
		process_loss(t, a, advanced, dup); /* may leave it for Open */
		if (t->ca_state != SA_CA_LOSS)
			sa_rto_time_update(t); /* rtx.c */
	}
	cwr_exit(t);
	(void)prior_una;
	switch (t->ca_state) {
	case SA_CA_RECOVERY:
		if (t->undo_marker && !t->undo_retrans) {
			/* Linux: tcp_try_undo_dsack, then tcp_try_to_open. */
			undo_dsack(t);
			try_to_open(t, ece);
			break;
		}
		/* Linux: tcp_identify_packet_loss — RACK, or RFC 6675's
		 * IsLost() through tcp_update_scoreboard without it. */
		newly_lost = rack ? sa_rack_mark_lost(t) : sa_sack_update_scoreboard(t, false);
		break;
	case SA_CA_LOSS:
		/* Linux: tcp_fastretrans_alert — RACK runs in the Loss state
		 * too (tcp_identify_packet_loss); a retransmission it finds
		 * lost starts Recovery (FLAG_LOST_RETRANS, tcp_time_to_recover). */
		if (rack) {
			uint32_t prior_retrans = t->retrans_out;
			newly_lost = sa_rack_mark_lost(t);
			if (t->retrans_out < prior_retrans)
				enter_recovery(t, ece);
		}
		break;
	default:
		if (t->ca_state == SA_CA_DISORDER && t->undo_marker && !t->undo_retrans)
			undo_dsack(t);
		if (rack)
			newly_lost = sa_rack_mark_lost(t);
		/* Linux: tcp_time_to_recover — a known loss; without RACK
		 * also DupThresh SACKed segments (RFC 6675 §5). */
		if (t->lost_out || (!rack && t->sacked_out >= t->reordering)) {
			enter_recovery(t, ece);
			if (!rack)
				newly_lost = sa_sack_update_scoreboard(t, true);
		} else {
			try_to_open(t, ece);
		}
		break;
	}
	if (t->ca_state == SA_CA_RECOVERY || t->ca_state == SA_CA_CWR)
		sa_rec_cwnd_reduction(t, delivered, advanced, newly_lost);
	else if (may_raise_cwnd(t, a))
		sa_cc_on_ack(t, delivered);
	if (t->ca_state == SA_CA_OPEN && !t->retrans_out)
		t->retrans_stamped = false;
}

void sa_rec_on_ack(struct tcb *t, const struct synack_segment *seg, uint32_t prior_una, bool dup,
                   struct sa_ack *a)
{
	uint32_t acked_segs = a->acked_segs;
	bool advanced = synack_seq_gt(t->snd_una, prior_una);
	/* Linux: tcp_ack — FLAG_ECE (not on an old ACK); step A of
	 * tcp_fastretrans_alert: the reduction it asks for is never undone. */
	bool ece = synack_seq_geq(seg->ack, prior_una) && sa_ecn_echo(t, seg);
	if (ece)
		t->prior_ssthresh = 0;
	if (t->sack_ok) {
		uint32_t sacked = sa_sack_tag(t, seg, prior_una, a);
		t->delivered += acked_segs + sacked; /* Linux: tcp_count_delivered */
		sa_rack_check_reordering(t, a);      /* rack.c */
		sa_rack_update_reo_wnd(t, a);        /* rack.c */
		on_ack_sack(t, prior_una, dup, acked_segs + sacked, advanced, ece, a);
		return;
	}
	t->delivered += acked_segs;
	uint32_t delivered = 0, newly_lost = 0;
	if (advanced) {
		/* Linux: tcp_remove_reno_sacks. */
		delivered = acked_segs > t->sacked_out ? acked_segs - t->sacked_out : 1;
		if (acked_segs - 1 >= t->sacked_out || !acked_segs)
			t->sacked_out = acked_segs ? 0 : t->sacked_out;
		else
			t->sacked_out -= acked_segs - 1;
		limit_reno_sacked(t, acked_segs);
	}
	/* Linux: tcp_ack_is_dubious — FLAG_ECE is a FLAG_CA_ALERT. */
	bool dubious = dup || !advanced || ece || t->ca_state != SA_CA_OPEN;
	if (dubious && (advanced || dup || ece)) {
		/* D: exit conditions (Linux: tcp_fastretrans_alert). */
		if (t->ca_state == SA_CA_RECOVERY && synack_seq_geq(t->snd_una, t->high_seq)) {
			t->sacked_out = 0;
			/* Linux: tcp_try_undo_recovery — NewReno holds the state
			 * until something above "recover" is ACKed (RFC 6582 §3.2
			 * step 3 / RFC 2582's false fast retransmits). */
			if (t->snd_una == t->high_seq) {
				sa_rec_cwnd_reduction(t, delivered, advanced, 0);
				return;
			}
			t->ca_state = SA_CA_OPEN;
			end_cwnd_reduction(t);
		}
		cwr_exit(t);
		if (t->ca_state == SA_CA_LOSS) {
			process_loss(t, a, advanced, dup); /* may leave it for Open */
			if (t->ca_state != SA_CA_LOSS)
				sa_rto_time_update(t); /* rtx.c */
		}
		switch (t->ca_state) {
		case SA_CA_RECOVERY:
			if (dup) {
				add_reno_sack(t);
				delivered++;
			} else if (advanced) {
				/* RFC 6582 §3.2 step 4: a partial ACK — retransmit the
				 * first unacknowledged segment. */
				newly_lost = mark_head_lost(t);
			}
			break;
		case SA_CA_LOSS:
			break;
		default:
			if (advanced)
				t->sacked_out = 0;
			if (dup) {
				add_reno_sack(t);
				delivered++;
			}
			/* RFC 5681 §3.2: the third duplicate ACK (Linux:
			 * tcp_time_to_recover, dupthresh = tcp_reordering). */
			if (t->sacked_out >= t->reordering && t->txq_len) {
				enter_recovery(t, ece);
				newly_lost = mark_head_lost(t);
			} else {
				try_to_open(t, ece);
			}
			break;
		}
	}
	/* Linux: tcp_cong_control. */
	if (t->ca_state == SA_CA_RECOVERY || t->ca_state == SA_CA_CWR)
		sa_rec_cwnd_reduction(t, delivered, advanced, newly_lost);
	else if (may_raise_cwnd(t, a))
		sa_cc_on_ack(t, delivered);
	if (t->ca_state == SA_CA_OPEN && !t->retrans_out)
		t->retrans_stamped = false;
}

/* RFC 5681 §3.1 / Linux tcp_enter_loss: after an RTO every outstanding
 * segment is lost, ssthresh shrinks once per episode, cwnd = 1. */
void sa_rec_enter_loss(struct tcb *t)
{
	bool new_recovery = t->ca_state < SA_CA_RECOVERY;
	if (t->ca_state <= SA_CA_DISORDER || !synack_seq_gt(t->high_seq, t->snd_una) ||
	    (t->ca_state == SA_CA_LOSS && !t->retransmits)) {
		/* What an undo restores (RFC 5682 §3.1 / Linux). */
		t->prior_ssthresh = sa_rec_current_ssthresh(t);
		t->prior_cwnd = t->snd_cwnd;
		t->snd_ssthresh = sa_cc_ops_of(t)->ssthresh(t);
		const struct sa_cc_ops *ops = sa_cc_ops_of(t);
		if (ops->on_loss)
			ops->on_loss(t);
		init_undo(t);
	}
	if (!t->sack_ok)
		t->sacked_out = 0;
	if (sa_rec_sack_reneged(t)) {
		/* Linux: tcp_timeout_mark_lost — the head is SACKed, so the
		 * peer reneged: forget every SACK (RFC 2018 §8). */
		for (uint32_t i = 0; i < t->txq_len; i++)
			sa_txq_at(t, i)->flags &= (uint8_t)~SA_TX_SACKED;
		t->sacked_out = 0;
	}
	/* Linux: tcp_enter_loss — after tcp_timeout_mark_lost's resets, a
	 * timeout with DupThresh SACKs still held says the
	 * reordering degree was overestimated. */
	if (t->ca_state <= SA_CA_DISORDER && t->sacked_out >= t->st->prof.reordering)
		t->reordering = SA_MIN(t->reordering, (uint32_t)t->st->prof.reordering);
	/* Linux: tcp_timeout_mark_lost — with RACK, a segment other than the
	 * head sent within RACK.rtt of now is not lost yet (RFC 8985 §6.2:
	 * too recent to judge); RACK marks it later if it is. */
	bool rack = sa_rack_on(t);
	for (uint32_t i = 0; i < t->txq_len; i++) {
		struct sa_txseg *s = sa_txq_at(t, i);
		if (s->flags & SA_TX_SACKED)
			continue;
		if (rack && i && t->rack_rtt_us > t->st->now_us - s->xmit_us)
			continue;
		sa_rec_mark_lost(t, s);
	}
	t->snd_cwnd = sa_packets_in_flight(t) + 1;
	t->snd_cwnd_cnt = 0;
	t->ca_state = SA_CA_LOSS;
	t->high_seq = t->snd_nxt;
	t->tlp_out = false;  /* Linux: tcp_enter_loss */
	sa_ecn_queue_cwr(t); /* tcp_enter_loss: RFC 3168 §6.1.2 */
	/* RFC 5682 §3.1 step 1 (Linux: tcp_enter_loss): F-RTO unless another
	 * recovery is under way, but on each repeated timeout of the same
	 * SND.UNA (§3.2). */
	t->frto = t->st->prof.frto && (new_recovery || t->retransmits);
	t->frto_new = false;
}

/* The oldest unacknowledged segment is marked SACKed: the receiver
 * reneged (Linux: FLAG_SACK_RENEGING in tcp_clean_rtx_queue). */
bool sa_rec_sack_reneged(const struct tcb *t)
{
	return t->sack_ok && t->txq_len && (sa_txq_at(t, 0)->flags & SA_TX_SACKED);
}

/* Linux: __tcp_retransmit_skb — a retransmission stays inside the peer's
 * window: beyond it nothing goes but the head, one MSS as a zero-window
 * probe; a segment reaching past it is cut at the window (whole MSSes) and
 * the rest stays queued, lost, for the next ACK. Sending it whole past a
 * shrunken window got it dropped every time (found by fuzz_network,
 * liveness: a 1 KiB receive buffer under 1448-byte segments). */
static void rtx_cut(struct tcb *t, uint32_t i, uint32_t *len, bool *fin)
{
	struct sa_txseg *s = sa_txq_at(t, i);
	uint32_t seq = s->seq;
	uint32_t mss = sa_cur_mss(t);
	int32_t avail = (int32_t)(t->snd_una + t->snd_wnd - seq);
	if (avail <= 0)
		avail = (int32_t)mss; /* the head (sa_rec_xmit_lost stops others) */
	if (*len > (uint32_t)avail) {
		uint32_t cut = (uint32_t)avail / mss * mss;
		if (!cut)
			cut = (uint32_t)avail;
		if (sa_txq_split(t, i, seq + cut)) {
			*len = cut;
			*fin = false;
		}
	}
	/* RFC 9293 §3.7.1: no segment beyond the send MSS — an entry merged at
	 * the queue's bound (sa_tx_sent) spans many (Linux: __tcp_retransmit_skb
	 * fragments to cur_mss). Found by fuzz_network: a 2671-byte
	 * retransmission under MSS 48. */
	if (*len > mss) {
		(void)sa_txq_split(t, i, seq + mss);
		*len = mss;
		*fin = false;
	} else if (*len < SA_MIN((uint32_t)avail, mss) && !(s->flags & SA_TX_JOINED)) {
		/* A one-segment skb short of an MSS and of the window: take
		 * what follows (sa_txq_collapse). */
		sa_txq_collapse(t, i, SA_MIN((uint32_t)avail, mss));
		*len = s->end - seq;
		*fin = t->fin_sent && s->end == t->fin_seq + 1;
		if (*fin)
			(*len)--;
	}
}

/* Entries from i that leave as one retransmission (tso.c): Linux's
 * tcp_xmit_retransmit_queue resends up to cwnd - in_flight segments of a
 * lost skb at once (tso-autosized, __tcp_retransmit_skb), so the lost rest
 * of i's skb goes along while each entry is a whole segment inside the
 * peer's window. */
static uint32_t rtx_piece(const struct tcb *t, uint32_t i)
{
	if (!t->st->prof.tso)
		return 1;
	uint32_t in_flight = sa_packets_in_flight(t);
	uint32_t quota = t->snd_cwnd > in_flight ? t->snd_cwnd - in_flight : 1;
	quota = SA_MIN(quota, sa_tso_max_segs(t));
	uint32_t mss = sa_cur_mss(t);
	uint32_t wnd_end = t->snd_una + t->snd_wnd;
	uint32_t n = 1;
	while (n < quota && i + n < t->txq_len) {
		const struct sa_txseg *prev = sa_txq_at(t, i + n - 1), *s = sa_txq_at(t, i + n);
		uint32_t end = s->end;
		if (t->fin_sent && end == t->fin_seq + 1)
			end--; /* the FIN takes no room in the window */
		if (!(prev->flags & SA_TX_JOINED) ||
		    (s->flags & (SA_TX_LOST | SA_TX_RETRANS | SA_TX_SACKED)) != SA_TX_LOST ||
		    end - s->seq > mss || synack_seq_gt(end, wnd_end))
			break;
		n++;
	}
	return n;
}

/* Linux: tcp_xmit_retransmit_queue — lost, not yet retransmitted segments,
 * oldest first, while the window allows (RFC 6582 / RFC 5681 go-back). */
void sa_rec_xmit_lost(struct tcb *t)
{
	if (!t->lost_out)
		return;
	uint32_t piece_left = 0; /* entries left in the current retransmission */
	bool piece_many = false;
	for (uint32_t i = 0; i < t->txq_len; i++) {
		struct sa_txseg *s = sa_txq_at(t, i);
		/* Linux: tcp_xmit_retransmit_queue stops once as many segments
		 * are out again as are marked lost — counting a retransmission
		 * an undo unmarked (F-RTO, RFC 5682 §3.1 step 3b), whose segment
		 * is still in flight (retrans_out, not lost_out). */
		if (t->retrans_out >= t->lost_out)
			break;
		if (!(s->flags & SA_TX_LOST) || (s->flags & (SA_TX_RETRANS | SA_TX_SACKED)))
			continue;
		if (sa_packets_in_flight(t) >= t->snd_cwnd)
			break;
		/* Linux: __tcp_retransmit_skb — nothing that starts beyond the
		 * peer's window, except the head (it probes a zero window). */
		if (!synack_seq_lt(s->seq, t->snd_una + t->snd_wnd) && s->seq != t->snd_una)
			break;
		uint32_t seq = s->seq, len = s->end - s->seq;
		bool fin = t->fin_sent && s->end == t->fin_seq + 1;
		if (fin)
			len--;
		if (!piece_left) {
			if (len != sa_cur_mss(t) && (s->flags & SA_TX_JOINED)) {
				sa_txq_regroup(t, i, sa_cur_mss(t)); /* rtx.c */
				len = s->end - seq;
				fin = t->fin_sent && s->end == t->fin_seq + 1;
				if (fin)
					len--;
			}
			rtx_cut(t, i, &len, &fin);
			piece_left = rtx_piece(t, i);
			piece_many = piece_left > 1;
			sa_gso_sack_begin(t, piece_many); /* sack_gen.c */
			if (i)
				sa_txq_unjoin(t, i - 1); /* the piece starts an skb */
		}
		bool piece_end = --piece_left == 0;
		if (piece_end)
			sa_txq_unjoin(t, i); /* and ends one: tcp_fragment */
		sa_send_data(t, seq, len, fin, true, piece_many && piece_end);
		/* sa_send_data → sa_tx_sent marked it retransmitted. */
	}
	sa_gso_sack_begin(t, false);
}
