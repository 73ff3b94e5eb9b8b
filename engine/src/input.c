/* RFC 9293 §3.10.7 "SEGMENT ARRIVES", in the RFC's order: §3.10.7.1 CLOSED
 * (no socket), §3.10.7.2 LISTEN (listen.c), §3.10.7.3 SYN-SENT, §3.10.7.4
 * the other states — first the sequence number (with RFC 7323 PAWS before
 * it), second RST (RFC 5961 §3), fourth SYN (RFC 5961 §4), fifth ACK (RFC
 * 5961 §5), sixth URG, seventh the text, eighth FIN. Where Linux refines the
 * RFC (the default profile behaves like Linux 6.x) the Linux function is
 * named beside the RFC section.
 */
#include <errno.h>

#include "internal.h"

/* ---- acknowledgements ----------------------------------------------------- */

/* A duplicate to re-ACK: immediate, and quick-ACK mode (delack.c; Linux:
 * tcp_data_queue out_of_window). In-order data goes through
 * sa_rx_data_ack / sa_delack_check instead. */
void sa_ack_needed(struct tcb *t)
{
	sa_delack_ack_needed(t);
}

void sa_send_ack_now(struct tcb *t)
{
	sa_timer_clear(t, SA_T_DELACK);
	sa_send_ack(t);
}

/* Linux: __tcp_oow_rate_limited — one out-of-window or challenge ACK per
 * tcp_invalid_ratelimit per socket (RFC 5961 §7 asks for a limit). */
static bool ratelimit(struct tcb *t)
{
	uint64_t now = t->st->now_us;
	uint64_t gap = (uint64_t)t->st->prof.invalid_ratelimit_ms * 1000u;
	if (t->oow_ack_sent && now - t->last_oow_ack_us < gap)
		return true;
	t->oow_ack_sent = true;
	t->last_oow_ack_us = now;
	return false;
}

/* Linux: tcp_oow_rate_limited — segments that occupy sequence space (text
 * or FIN) without SYN are never limited: they are not part of an ACK loop. */
static bool oow_limited(struct tcb *t, const struct synack_segment *seg)
{
	if (sa_seg_len(seg) && !(seg->flags & SYNACK_TH_SYN))
		return false;
	return ratelimit(t);
}

bool sa_oow_rate_limited(struct tcb *t, const struct synack_segment *seg)
{
	return oow_limited(t, seg);
}

/* RFC 5961 §3.2, §4.2, §5.2 challenge ACK; Linux: tcp_send_challenge_ack —
 * per-socket rate limit, then the stack-wide per-second limit. */
static void challenge_ack(struct tcb *t)
{
	struct synack_stack *st = t->st;
	if (ratelimit(t)) {
		st->stats.challenge_acks_limited++;
		return;
	}
	if (st->prof.challenge_ack_limit < 0x7fffffffu) {
		uint64_t sec = st->now_us / 1000000u;
		if (sec != st->chal_sec) {
			st->chal_sec = sec;
			st->chal_count = 0;
		}
		if (++st->chal_count > st->prof.challenge_ack_limit) {
			st->stats.challenge_acks_limited++;
			return;
		}
	}
	st->stats.challenge_acks++;
	sa_send_ack_now(t);
}

/* Linux: tcp_send_dupack — the ACK for a segment dropped unread (out of
 * window, or PAWS). An old one is reported as D-SACK (RFC 2883), its FIN's
 * sequence number included (end_seq), and means our ACK was lost: quick-ACK
 * mode (LINUX_MIB_DELAYEDACKLOST). */
static void send_dupack(struct tcb *t, const struct synack_segment *seg)
{
	uint32_t len = sa_seg_len(seg);
	if (len && synack_seq_lt(seg->seq, t->rcv_nxt)) {
		sa_delack_ack_lost(t); /* delack.c */
		uint32_t end = seg->seq + len;
		sa_dsack_set(t, seg->seq, synack_seq_gt(end, t->rcv_nxt) ? t->rcv_nxt : end);
	}
	sa_send_ack_now(t);
}

static void oow_ack(struct tcb *t, const struct synack_segment *seg)
{
	t->st->stats.out_of_window++;
	if (seg->flags & SYNACK_TH_RST)
		return;
	if (oow_limited(t, seg)) {
		t->st->stats.out_of_window_acks_limited++;
		return;
	}
	send_dupack(t, seg);
}

/* ---- SYN-SENT (RFC 9293 §3.10.7.3) ----------------------------------------- */

static void negotiate_from_synack(struct tcb *t, const struct synack_segment *seg)
{
	const struct synack_profile *p = &t->st->prof;
	/* RFC 9293 §3.7.1: without the option, 536 or 1220 (sa_default_mss). */
	t->mss_clamp =
	    (seg->opt.has_mss && seg->opt.mss) ? seg->opt.mss : sa_default_mss(t->st, t->family);
	if (t->user_mss && t->mss_clamp > t->user_mss)
		t->mss_clamp = t->user_mss;
	t->sack_ok = p->sack && seg->opt.sack_permitted;
	t->ts_ok = p->timestamps && seg->opt.has_ts;
	if (t->ts_ok) {
		t->ts_recent = seg->opt.ts_val;
		t->ts_recent_stamp_us = t->st->now_us;
	}
	/* RFC 7323 §2.2: scaling only if both sides sent the option; §2.3: a
	 * shift above 14 is used as 14. */
	t->ws_ok = p->window_scaling && seg->opt.has_wscale;
	if (t->ws_ok) {
		t->snd_wscale = SA_MIN(seg->opt.wscale, 14);
	} else {
		t->snd_wscale = 0;
		t->rcv_wscale = 0;
		t->window_clamp = SA_MIN(t->window_clamp, 65535u);
		t->rcv_ssthresh = SA_MIN(t->rcv_ssthresh, 65535u);
		t->rcv_wnd = SA_MIN(t->rcv_wnd, 65535u);
	}
}

static void syn_sent_input(struct tcb *t, struct synack_segment *seg)
{
	uint8_t f = seg->flags;
	/* first: the ACK bit */
	if (f & SYNACK_TH_ACK) {
		if (synack_seq_leq(seg->ack, t->iss) || synack_seq_gt(seg->ack, t->snd_nxt)) {
			/* Linux: tcp_rcv_synsent_state_process — "previous FIN/ACK
			 * or RST/ACK might be ignored": before any retransmission,
			 * the SYN timer is rearmed to TCP_TIMEOUT_MIN (2 jiffies,
			 * 8 ms at HZ=250). */
			if (!t->retransmits)
				sa_timer_set(t, SA_T_RTX, t->st->now_us + 8000u);
			/* <SEQ=SEG.ACK><CTL=RST> unless this is an RST. */
			sa_send_reset_reply(t->st, seg);
			return;
		}
		/* RFC 7323 §5.3 applies PAWS to synchronized states only; Linux
		 * also wants a SYN-ACK's non-zero TSecr to echo a TSval sent
		 * since the first SYN (tcp_rcv_synsent_state_process,
		 * PAWSActiveRejected): else an RST, or nothing for an RST. */
		if (t->st->prof.timestamps && seg->opt.has_ts && seg->opt.ts_ecr) {
			uint32_t first = (uint32_t)(t->first_tx_us / 1000u) + t->ts_offset;
			if (seg->opt.ts_ecr - first > sa_tsval(t) - first) {
				t->st->stats.paws_drops++;
				sa_send_reset_reply(t->st, seg);
				return;
			}
		}
	}
	/* second: RST — only with an acceptable ACK (RFC 5961 §3.2 changes
	 * nothing here; Linux: tcp_rcv_synsent_state_process). */
	if (f & SYNACK_TH_RST) {
		if (f & SYNACK_TH_ACK)
			sa_reset_conn(t, ECONNREFUSED);
		return;
	}
	/* fourth: SYN */
	if (!(f & SYNACK_TH_SYN))
		return;
	t->irs = seg->seq;
	t->rcv_nxt = seg->seq + 1;
	t->rcv_wup = t->rcv_nxt;
	negotiate_from_synack(t, seg);
	/* RFC 7323 §2.2: the window in a SYN is not scaled. */
	t->snd_wnd = seg->window;
	t->max_snd_wnd = t->snd_wnd;
	t->snd_wl1 = seg->seq;
	t->snd_wl2 = seg->ack;
	if (f & SYNACK_TH_ACK) {
		sa_ecn_rcv_synack(t, seg); /* ecn.c: RFC 3168 §6.1.1 */
		t->snd_una = seg->ack;
		sa_rtx_on_ack(t, seg, NULL);
		sa_rto_time_update(t); /* rtx.c: the SYN's RTO episode is over */
		t->last_ack_recv_us = t->st->now_us;
		sa_established(t);
		/* Linux: tcp_finish_connect predicts headers only without window
		 * scaling (fastpath.c); else from the first window change. */
		if (!t->snd_wscale)
			sa_hp_on(t, seg->window);
		else
			sa_hp_off(t);
		/* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (Linux: tcp_send_ack, no
		 * delay when the application has nothing to send). */
		sa_send_ack_now(t);
		sa_output(t);
		return;
	}
	/* Simultaneous open: SYN-RECEIVED, <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>. */
	sa_ecn_rcv_syn(t, seg); /* ecn.c */
	sa_set_state(t, SA_SYN_RECV);
	sa_send_synack(t);
	sa_rtx_arm(t);
}

/* ---- synchronized states (RFC 9293 §3.10.7.4) -------------------------------- */

static uint32_t rcv_window(const struct tcb *t)
{
	uint32_t right = t->rcv_wup + t->rcv_wnd;
	return synack_seq_gt(right, t->rcv_nxt) ? right - t->rcv_nxt : 0;
}

/* First check: is the segment acceptable? The four cases of RFC 9293
 * §3.10.7.4, with Linux's edges (tcp_sequence): the window's left edge is
 * RCV.WUP (so a segment ending exactly there is a duplicate to re-ACK, not
 * out of window), the right edge is inclusive, and a zero window still
 * accepts a segment at RCV.NXT so its ACK and RST are processed (the RFC's
 * "special allowance ... to accept valid ACKs, URGs, and RSTs"); its text is
 * then dropped in the seventh step. */
static bool acceptable(const struct tcb *t, const struct synack_segment *seg)
{
	uint32_t len = sa_seg_len(seg);
	uint32_t wnd = rcv_window(t);
	uint32_t end = seg->seq + len;
	if (len == 0 && wnd == 0) /* case 1 */
		return seg->seq == t->rcv_nxt ||
		       (synack_seq_geq(end, t->rcv_wup) && synack_seq_leq(seg->seq, t->rcv_nxt));
	/* cases 2-4 */
	if (!synack_seq_geq(end, t->rcv_wup) || !synack_seq_leq(seg->seq, t->rcv_nxt + wnd))
		return false;
	/* Linux: tcp_sequence (TCP_INVALID_END_SEQUENCE) — text running past the
	 * right edge is accepted only while the receive queue is empty (a FIN
	 * alone past it is let through); otherwise the segment is dropped. */
	uint32_t text_end = end - ((seg->flags & SYNACK_TH_FIN) ? 1u : 0u);
	if (t->st->prof.rcv_past_window_if_empty && synack_seq_gt(text_end, t->rcv_nxt + wnd) &&
	    t->rcvq.len)
		return false;
	return true;
}

/* Linux: tcp_reset_check — after the peer's FIN, an RST at RCV.NXT-1 (it did
 * not count its FIN) also resets. */
static bool reset_check(const struct tcb *t, const struct synack_segment *seg)
{
	return seg->seq == t->rcv_nxt - 1 &&
	       (t->state == SA_CLOSE_WAIT || t->state == SA_LAST_ACK || t->state == SA_CLOSING);
}

static void fin_acked(struct tcb *t, const struct synack_segment *seg)
{
	switch (t->state) {
	case SA_FIN_WAIT1:
		/* RFC 9293: FIN-WAIT-1 → FIN-WAIT-2 when our FIN is acknowledged. */
		sa_set_state(t, SA_FIN_WAIT2);
		t->shut_wr = true;
		sa_timer_clear(t, SA_T_RTX);
		/* Linux: tcp_rcv_state_process — only an orphan times out in
		 * FIN_WAIT_2 (fin_wait2.c); an open socket waits forever. With
		 * TCP_LINGER2 < 0 the orphan goes at once, and the segment that
		 * acknowledged the FIN gets an RST (the caller's reset path). */
		if (t->orphan && !sa_fin_wait2_orphaned(t)) {
			t->st->stats.aborts_on_data++;
			sa_tcb_done(t);
			sa_send_reset_reply(t->st, seg);
		}
		break;
	case SA_CLOSING:
		sa_enter_time_wait(t);
		break;
	case SA_LAST_ACK:
		/* RFC 9293: LAST-ACK — our FIN acknowledged: delete the TCB. */
		sa_tcb_done(t);
		break;
	default:
		break;
	}
}

/* Fifth check: the ACK field. Returns false if the segment must be dropped. */
static bool process_ack(struct tcb *t, struct synack_segment *seg)
{
	uint32_t ack = seg->ack;
	if (t->state == SA_SYN_RECV) {
		/* RFC 9293: SND.UNA < SEG.ACK =< SND.NXT → ESTABLISHED, else
		 * <SEQ=SEG.ACK><CTL=RST>. */
		if (!synack_seq_gt(ack, t->snd_una) || synack_seq_gt(ack, t->snd_nxt)) {
			sa_send_reset_reply(t->st, seg);
			return false;
		}
		t->snd_una = ack;
		if (t->listener && t->retransmits) {
			/* Linux: tcp_create_openreq_child — the request's SYN-ACK
			 * timeouts become the child's RTO statistics, timed from
			 * the first SYN-ACK (snt_synack). */
			t->total_rto = t->retransmits;
			t->total_rto_recoveries = 1;
			t->total_rto_time_ms =
			    (uint32_t)(t->st->now_us / 1000u - t->first_tx_us / 1000u);
		}
		sa_rtx_on_ack(t, seg, NULL);
		sa_rto_time_update(t);       /* rtx.c: the handshake's RTO episode is over */
		sa_ts_update_recent(t, seg); /* Linux: tcp_check_req */
		t->snd_wnd = (uint32_t)seg->window << t->snd_wscale;
		/* Linux: tcp_create_openreq_child — the child is made from the
		 * ACK: max_window is this ACK's window, not the SYN's. */
		if (t->listener)
			t->max_snd_wnd = t->snd_wnd;
		t->max_snd_wnd = SA_MAX(t->max_snd_wnd, t->snd_wnd);
		t->snd_wl1 = seg->seq;
		t->snd_wl2 = ack;
		if (t->listener)
			sa_child_established(t);
		sa_established(t);
		sa_hp_on(t, seg->window); /* Linux: tcp_rcv_state_process → tcp_fast_path_on */
		t->last_ack_recv_us = t->st->now_us;
		return true;
	}
	/* RFC 5961 §5.2: acceptable only in [SND.UNA - MAX.SND.WND, SND.NXT].
	 * Linux (tcp_ack) bounds MAX.SND.WND by the bytes acked so far. */
	uint32_t max_wnd = t->max_snd_wnd;
	if (max_wnd > t->bytes_acked)
		max_wnd = (uint32_t)t->bytes_acked;
	if (synack_seq_lt(ack, t->snd_una - max_wnd)) {
		challenge_ack(t);
		return false;
	}
	if (synack_seq_gt(ack, t->snd_nxt)) {
		/* RFC 9293: ACK of data not yet sent → send an ACK, drop. Linux
		 * (tcp_ack → tcp_send_challenge_ack, RFC 5961 §5.2) sends a
		 * rate-limited challenge ACK in every synchronized state. */
		challenge_ack(t);
		return false;
	}
	if (synack_seq_lt(ack, t->snd_una)) {
		/* Linux: tcp_ack old_ack — only its SACK blocks count (a
		 * D-SACK, tcp_sacktag_write_queue + tcp_fastretrans_alert); no
		 * window update, TS.Recent, probe reset or rcv_tstamp. */
		struct sa_ack none = { 0 };
		if (seg->opt.n_sack) {
			sa_rec_on_ack(t, seg, t->snd_una, false, &none);
			sa_output_recovery(t);
		}
		return true;
	}
	t->last_ack_recv_us = t->st->now_us;
	/* Linux: tcp_ack — "we passed data and got it acked, remove any soft
	 * error log": sk_err_soft = 0 (icmp.c). */
	t->soft_err = 0;
	sa_ecn_accept_cwr(t, seg); /* ecn.c: Linux tcp_ack */
	uint32_t prior_in_flight = sa_in_flight(t);
	/* RFC 7323 §4.3 (Linux: tcp_ack → tcp_replace_ts_recent). */
	sa_ts_update_recent(t, seg);
	/* Window update (RFC 9293 §3.10.7.4; Linux tcp_may_update_window, judged
	 * against SND.UNA before this ACK): the field is scaled, never for a
	 * SYN (RFC 7323 §2.2). */
	uint32_t nwin = (uint32_t)seg->window << t->snd_wscale;
	bool update = sa_may_update_window(t, ack, seg->seq, nwin);
	/* p2-tx: duplicate ACK test before the window update (recovery.c). */
	bool dupack = sa_rec_is_dupack(t, seg, nwin);
	uint32_t prior_una = t->snd_una;
	struct sa_ack a = { 0 };
	if (synack_seq_gt(ack, t->snd_una)) {
		uint32_t acked = ack - t->snd_una;
		uint32_t data = acked;
		if (t->fin_sent && synack_seq_gt(ack, t->fin_seq))
			data--; /* the FIN's sequence number */
		sa_ring_drop(&t->sndq, data);
		t->snd_una = ack;
		sa_urg_acked(t); /* urgent.c */
		t->bytes_acked += data;
		sa_rtx_on_ack(t, seg, &a);
	} else if (seg->opt.n_sack) {
		sa_rtx_on_sack(t, seg, &a); /* rtx.c: a SACK's RTT sample */
	}
	if (update) {
		bool changed = nwin != t->snd_wnd;
		t->snd_wnd = nwin;
		t->snd_wl1 = seg->seq;
		t->snd_wl2 = ack;
		if (changed) {
			/* Linux: tcp_ack_update_window — "the only place where fast
			 * path is recovered for sending TCP" (fastpath.c). */
			sa_hp_off(t);
			sa_hp_check(t);
		}
		if (nwin > t->max_snd_wnd) {
			t->max_snd_wnd = nwin;
			sa_sync_mss(t); /* Linux: tcp_ack_update_window */
		}
	}
	sa_persist_on_ack(t, prior_in_flight);    /* persist.c, keepalive: an answer */
	sa_tlp_on_ack(t, seg, prior_una, dupack); /* tlp.c: tcp_process_tlp_ack */
	/* p2-tx: fast retransmit / NewReno / cwnd (recovery.c). */
	sa_rec_on_ack(t, seg, prior_una, dupack, &a);
	/* Linux: tcp_cong_control ends with tcp_update_pacing_rate (tso.c),
	 * for an ACK that found something in flight (prior_packets). */
	if (prior_in_flight)
		sa_tso_update_pacing(t);
	/* Linux: tcp_set_xmit_timer — after data is ACKed (FLAG_ACKED: a
	 * whole segment), the probe timer unless RACK armed its own. */
	if ((a.acked_any || a.sack_rearmed) && !t->rack_reo && !sa_rec_sack_reneged(t))
		sa_tlp_schedule(t, true);
	sa_output_recovery(t); /* output.c: tcp_xmit_recovery */
	if (t->fin_sent && synack_seq_gt(ack, t->fin_seq))
		fin_acked(t, seg);
	return true;
}

/* IP + TCP header bytes of a received segment (for its skb truesize). */
static uint32_t seg_hdr_len(const struct tcb *t, const struct synack_segment *seg)
{
	uint32_t opt = seg->options_len;
	if (!seg->options_raw && seg->opt.has_ts)
		opt = 12; /* built, not parsed: NOP, NOP, TS */
	return (t->family == 6 ? 40u : 20u) + 20u + opt;
}

/* Seventh: the segment text (ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2). Returns
 * true if the segment's FIN is now in sequence. */
static bool process_text(struct tcb *t, struct synack_segment *seg)
{
	uint32_t seq = seg->seq;
	const uint8_t *p = seg->payload;
	uint32_t len = (uint32_t)seg->payload_len;
	if (seg->flags & SYNACK_TH_SYN)
		seq++;
	/* Linux: tcp_data_queue — a segment with no text and no FIN occupies no
	 * sequence space: nothing to queue, nothing to acknowledge. */
	if (len == 0 && !(seg->flags & SYNACK_TH_FIN))
		return false;
	/* Trim what was received already; the skb stays whole (Linux queues
	 * it with an offset): its length and truesize are the segment's. */
	uint32_t skb_len = len;
	if (synack_seq_lt(seq, t->rcv_nxt)) {
		uint32_t dup = t->rcv_nxt - seq;
		if (dup >= len) {
			bool fin = (seg->flags & SYNACK_TH_FIN) && dup == len;
			/* RFC 2883 §4 / Linux tcp_data_queue: report the duplicate. */
			sa_dsack_set(t, seq, seq + len);
			if (len || !fin)
				sa_ack_needed(t); /* a duplicate: re-ACK (Linux: tcp_data_queue) */
			return fin;
		}
		sa_dsack_set(t, seq, t->rcv_nxt); /* Linux: partial packet, D-SACK the old part */
		p += dup;
		len -= dup;
		seq = t->rcv_nxt;
	}
	if (seq != t->rcv_nxt) {
		/* Out of order: held for reassembly, SACKed (ooo.c, sack_gen.c);
		 * beyond the window it is dropped (Linux: tcp_data_queue
		 * out_of_window). Either way an immediate duplicate ACK (RFC 5681
		 * §4.2, RFC 9293 §3.10.7.4). */
		if (synack_seq_lt(seq, t->rcv_nxt + rcv_window(t))) {
			sa_ecn_check_ce(t, seg); /* Linux: tcp_data_queue_ofo */
			/* Receive memory (rmem.c): a segment the buffer cannot
			 * take is dropped unacknowledged (TCPOFODrop). */
			if (!sa_rmem_schedule(t, seq, len)) {
				t->st->stats.ofo_drops++;
				return false;
			}
			t->st->stats.ofo_queued++; /* Linux: TCPOFOQueue */
			t->rcv_ooopack++;
			sa_hp_off(t); /* fastpath.c: no prediction across a hole */
			/* The held skb costs its truesize, and with SACK it may
			 * grow the window first (tcp_grow_window; without SACK
			 * not, to force duplicate ACKs). */
			uint32_t tailroom = 0, truesize = 0;
			if (t->st->prof.rcv_truesize && len) {
				truesize = sa_skb_truesize(t, len, seg_hdr_len(t, seg), &tailroom);
				/* Linux 6.17+: tcp_data_queue_ofo measures rcv_mss
				 * and scaling_ratio too ("tcp: call
				 * tcp_measure_rcv_mss() for ooo packets"). */
				sa_measure_rcv_mss(t, len, truesize);
				if (t->sack_ok && !sa_ooo_holds(t, seq, seq + len))
					sa_grow_window(t, len, truesize);
			}
			sa_ooo_insert(t, seq, p, len, (seg->flags & SYNACK_TH_FIN) != 0, truesize,
			              tailroom);
			/* Linux 6.17+: tcp_data_queue_ofo makes room for what
			 * is held out of order too (autotune.c); not for a
			 * connection not accepted yet, or orphaned. */
			if (t->fd >= 0)
				sa_rcvbuf_grow(t, t->rcvq_space);
		}
		sa_rx_ooo_ack(t);
		return false;
	}
	if (len == 0) {
		if (!(seg->flags & SYNACK_TH_FIN))
			return false;
		sa_rmem_charge_fin(t, seg_hdr_len(t, seg)); /* window.c */
		sa_hp_check(t);
		return true;
	}
	if (rcv_window(t) == 0) {
		/* Linux: tcp_data_queue out_of_window — zero window, drop, ACK. */
		sa_send_ack_now(t);
		return false;
	}
	if (!sa_ring_reserve(t->st, &t->rcvq, t->rcvbuf)) {
		sa_send_ack_now(t);
		return false;
	}
	/* Receive memory (rmem.c), on Linux's slow path, which held data
	 * forces (header prediction takes in-order data unchecked): a
	 * segment the buffer cannot take is dropped if data is queued,
	 * with an ACK at once (tcp_data_queue: ICSK_ACK_NOW, TCPRcvQDrop);
	 * else it is taken anyway (sk_forced_mem_schedule). */
	if (!sa_ooo_empty(t) && !sa_rmem_schedule(t, seq, len) && t->rcvq.len) {
		t->st->stats.rcvq_drops++;
		sa_send_ack_now(t);
		return false;
	}
	sa_ooo_make_room(t, len); /* ooo.c: in-order data first (Linux: tcp_prune_ofo_queue) */
	/* Linux: tcp_data_queue queues an in-order skb whole, even past the
	 * window (tcp_sequence let it in: the receive queue is empty). */
	if (t->st->prof.rcv_past_window_if_empty && t->rcvq.len == 0 && t->rcvq.cap < len &&
	    !sa_ring_grow(t->st, &t->rcvq, len)) {
		sa_send_ack_now(t);
		return false;
	}
	uint32_t took = sa_ring_write(&t->rcvq, p, len);
	/* Linux: tcp_queue_rcv charges the skb's truesize (window.c). */
	uint32_t tailroom;
	uint32_t truesize = sa_skb_truesize(t, skb_len, seg_hdr_len(t, seg), &tailroom);
	if (took)
		sa_rmem_charge(t, took, truesize, tailroom, skb_len != len);
	t->rcv_nxt += took;
	t->bytes_received += took;
	t->data_segs_in++;
	t->last_data_recv_us = t->st->now_us;
	/* Linux: tcp_event_data_recv, for this skb (old part and all), in its
	 * order: rcv_mss, the receiver's RTT, the ACK owed and the quick-ACK
	 * credit (delack.c), CE, then the window's growth, whose quick ACK
	 * adds to that credit. The held data that now follows moves in after. */
	uint32_t measured = took == len ? skb_len : took;
	sa_measure_rcv_mss(t, measured, truesize); /* window.c: rcv_mss, scaling_ratio */
	if (took)
		sa_rcv_rtt_measure(t);      /* rcv_rtt.c */
	sa_rx_data_ack(t, measured, false); /* delack.c: now or later */
	sa_ecn_check_ce(t, seg);            /* ecn.c */
	if (measured >= 128 || !t->st->prof.rcv_truesize)
		sa_grow_window(t, measured, truesize);
	bool fin = took == len && (seg->flags & SYNACK_TH_FIN);
	if (!sa_ooo_empty(t)) {
		/* ooo.c: what the hole held is now in order (Linux: tcp_ofo_queue). */
		bool ofin;
		uint32_t moved = sa_ooo_drain(t, &ofin);
		t->bytes_received += moved;
		fin = fin || ofin;
		sa_sack_on_advance(t);
		if (sa_ooo_empty(t))
			sa_delack_ack_now(t); /* RFC 5681 §4.2: the gap is filled */
	}
	sa_hp_check(t); /* fastpath.c: Linux's tcp_data_queue ends with it */
	sa_wake(t);
	return fin;
}

/* Eighth: FIN (RFC 9293 §3.10.7.4). */
static void process_fin(struct tcb *t)
{
	t->rcv_nxt++;
	t->rcv_fin = true;
	/* Linux: tcp_fin purges the out-of-order queue (ooo.c) and its SACK
	 * blocks after its state switch — after the ACK it sends there at once
	 * in FIN-WAIT-1 and FIN-WAIT-2, which still reports them. */
	switch (t->state) {
	case SA_SYN_RECV:
	case SA_ESTABLISHED:
		sa_set_state(t, SA_CLOSE_WAIT);
		sa_ooo_purge(t);
		if (sa_delack_fin(t)) { /* delack.c: sa_delack_check decides */
			sa_wake(t);
			return;
		}
		break;
	case SA_FIN_WAIT1:
		/* Our FIN not yet acknowledged (else we would be in FIN-WAIT-2):
		 * simultaneous close. */
		sa_send_ack_now(t);
		sa_ooo_purge(t);
		sa_set_state(t, SA_CLOSING);
		sa_wake(t);
		return;
	case SA_FIN_WAIT2:
		sa_send_ack_now(t);
		sa_ooo_purge(t);
		sa_enter_time_wait(t);
		return;
	default:
		sa_ooo_purge(t);
		break;
	}
	sa_send_ack_now(t);
	sa_wake(t);
}

/* An orphan in FIN_WAIT_2. Linux turns it into a TIME_WAIT sock with
 * substate FIN_WAIT2 (tcp_close / tcp_rcv_state_process → tcp_time_wait)
 * and answers segments as tcp_timewait_state_process does: no RFC 5961
 * challenge here — an in-window RST kills it, a SYN or new data gets an RST,
 * the FIN moves it to TIME_WAIT. */
static void orphan_fin_wait2_input(struct tcb *t, struct synack_segment *seg)
{
	uint8_t f = seg->flags;
	uint32_t end = seg->seq + sa_seg_len(seg);
	uint32_t s_win = t->rcv_nxt, e_win = t->rcv_nxt + t->rcv_wnd;
	bool in_window = seg->seq == s_win ||
	                 (synack_seq_gt(end, s_win) && synack_seq_lt(seg->seq, e_win)) ||
	                 (seg->seq == e_win && seg->seq == end);
	if (sa_paws_reject(t, seg) || !in_window) {
		t->st->stats.out_of_window++;
		if (f & SYNACK_TH_RST)
			return;
		if (oow_limited(t, seg)) {
			t->st->stats.out_of_window_acks_limited++;
			return;
		}
		sa_send_ack(t);
		return;
	}
	if (f & SYNACK_TH_RST) {
		sa_tcb_done(t);
		return;
	}
	if ((f & SYNACK_TH_SYN) && synack_seq_geq(seg->seq, t->rcv_nxt)) {
		sa_send_reset_reply(t->st, seg);
		sa_tcb_done(t);
		return;
	}
	if (!(f & SYNACK_TH_ACK) || !synack_seq_gt(end, t->rcv_nxt) || end == seg->seq)
		return; /* a duplicate or a bare ACK */
	if (!(f & SYNACK_TH_FIN) || end != t->rcv_nxt + 1) {
		/* New data after the close (RFC 9293 §3.10.7.4 / RFC 1122: reset). */
		t->st->stats.aborts_on_data++;
		sa_send_reset_reply(t->st, seg);
		sa_tcb_done(t);
		return;
	}
	sa_ts_update_recent(t, seg);
	t->rcv_nxt = end;
	t->rcv_fin = true;
	sa_send_ack(t);
	sa_enter_time_wait(t);
}

static void time_wait_input(struct tcb *t, struct synack_segment *seg);

static void sync_input(struct tcb *t, struct synack_segment *seg)
{
	uint8_t f = seg->flags;

	/* RFC 7323 §5.3: PAWS before the sequence check; never for an RST. A
	 * SYN that fails PAWS gets the challenge ACK (Linux: syn_challenge);
	 * a reordered duplicate ACK passes, an old pure ACK is dropped without
	 * an answer (timestamps.c: sa_paws_disordered). */
	enum sa_paws_verdict paws = SA_PAWS_ACCEPT;
	if (sa_paws_reject(t, seg) && (paws = sa_paws_disordered(t, seg)) != SA_PAWS_ACCEPT) {
		t->st->stats.paws_drops++;
		if (f & SYNACK_TH_SYN) {
			challenge_ack(t);
		} else if (paws == SA_PAWS_DROP_SILENT) {
			/* Linux 6.15+: old ACKs are common, no dupack. */
		} else if (!oow_limited(t, seg)) {
			send_dupack(t, seg); /* Linux: tcp_validate_incoming, PAWS */
		} else {
			t->st->stats.out_of_window_acks_limited++;
		}
		return;
	}

	/* first: sequence number */
	if (!acceptable(t, seg)) {
		if (f & SYNACK_TH_RST) {
			if (reset_check(t, seg))
				sa_reset_conn(t, 0);
			else
				t->st->stats.out_of_window++;
			return;
		}
		if (f & SYNACK_TH_SYN) {
			/* RFC 5961 §4.2: any SYN → challenge ACK (Linux: syn_challenge). */
			challenge_ack(t);
			return;
		}
		oow_ack(t, seg); /* RFC 9293: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> */
		return;
	}

	/* second: RST (RFC 5961 §3.2) */
	if (f & SYNACK_TH_RST) {
		if (seg->seq == t->rcv_nxt || reset_check(t, seg)) {
			if (t->state == SA_SYN_RECV && t->listener) {
				/* RFC 9293: from a passive OPEN, back to LISTEN — the
				 * embryonic connection just goes away. */
				sa_tcb_free(t);
				return;
			}
			sa_reset_conn(t, 0);
			return;
		}
		challenge_ack(t);
		return;
	}

	/* fourth: SYN (RFC 5961 §4.2: challenge ACK in every synchronized state).
	 * Linux: tcp_validate_incoming — except the peer's SYN-ACK completing a
	 * simultaneous open (SYN-RECEIVED from SYN-SENT, RFC 9293 §3.5 figure 7):
	 * it goes on to the ACK check, then is re-ACKed as a duplicate. */
	bool simopen_synack = (f & SYNACK_TH_SYN) && (f & SYNACK_TH_ACK) &&
	                      t->state == SA_SYN_RECV && !t->listener && sa_seg_len(seg) == 1 &&
	                      seg->seq + 1 == t->rcv_nxt && seg->ack == t->snd_nxt;
	if ((f & SYNACK_TH_SYN) && !simopen_synack) {
		challenge_ack(t);
		return;
	}

	/* fifth: ACK */
	if (!(f & SYNACK_TH_ACK))
		return;
	bool established = t->state == SA_ESTABLISHED; /* Linux: tcp_rcv_established */
	if (established)
		sa_ecn_received(t, seg); /* ecn.c */
	if (sa_hp_skips_ack(t, seg, rcv_window(t))) {
		/* fastpath.c: Linux's header prediction queues the data without
		 * tcp_ack; the window's bookkeeping follows the segment
		 * (tcp_update_wl), TS.Recent as on the slow path. */
		sa_ts_update_recent(t, seg);
		t->snd_wl1 = seg->seq;
	} else if (!process_ack(t, seg)) {
		return;
	}
	if (established)
		sa_rcv_rtt_measure_ts(t, seg); /* rcv_rtt.c */
	if (simopen_synack) {
		/* Linux: tcp_data_queue — its sequence space is old: ACK at once. */
		sa_send_ack_now(t);
		sa_output(t);
		return;
	}
	if (t->state == SA_CLOSED || t->state == SA_TIME_WAIT)
		return; /* LAST-ACK done, or CLOSING → TIME-WAIT */

	/* Linux: an orphan that can no longer read gets new data answered
	 * with an RST (tcp_rcv_state_process, LINUX_MIB_TCPABORTONDATA). */
	if ((t->state == SA_FIN_WAIT1 || t->state == SA_FIN_WAIT2) && t->shut_rd &&
	    seg->payload_len && synack_seq_gt(seg->seq + (uint32_t)seg->payload_len, t->rcv_nxt)) {
		t->st->stats.aborts_on_data++;
		sa_reset_conn(t, ECONNRESET);
		sa_send_reset_reply(t->st, seg);
		return;
	}

	/* sixth: URG (urgent.c; Linux: tcp_urg) */
	sa_urg_input(t, seg);

	/* seventh: text */
	bool fin_in_seq = false;
	switch (t->state) {
	case SA_ESTABLISHED:
	case SA_FIN_WAIT1:
	case SA_FIN_WAIT2:
		fin_in_seq = process_text(t, seg);
		break;
	default:
		/* CLOSE-WAIT, CLOSING, LAST-ACK: the peer's FIN was received; text
		 * is ignored (RFC 9293). Linux (tcp_rcv_state_process, step 7)
		 * ignores a segment from RCV.NXT on; one starting before goes on as
		 * in FIN-WAIT: text past the FIN resets (RCV_SHUTDOWN,
		 * LINUX_MIB_TCPABORTONDATA), a duplicate is re-ACKed with a D-SACK
		 * of it, its FIN included (tcp_data_queue). */
		if (synack_seq_lt(seg->seq, t->rcv_nxt) && sa_seg_len(seg)) {
			uint32_t end = seg->seq + sa_seg_len(seg);
			if (synack_seq_gt(end - ((f & SYNACK_TH_FIN) ? 1u : 0u), t->rcv_nxt)) {
				t->st->stats.aborts_on_data++;
				sa_reset_conn(t, 0);
				sa_send_reset_reply(t->st, seg);
				return;
			}
			if (!synack_seq_gt(end, t->rcv_nxt)) {
				sa_dsack_set(t, seg->seq, end); /* sack_gen.c */
				sa_ack_needed(t);
			}
		}
		break;
	}

	/* eighth: FIN */
	if (fin_in_seq && !t->rcv_fin)
		process_fin(t);
	if (t->state != SA_CLOSED && t->state != SA_TIME_WAIT) {
		sa_output(t);
		sa_check_space(t);  /* conn.c: Linux tcp_data_snd_check → tcp_check_space */
		sa_delack_check(t); /* delack.c: the ACK owed, now or delayed */
	}
}

/* TIME-WAIT (RFC 9293 §3.10.7.4 with Linux's tcp_timewait_state_process). */
static void time_wait_input(struct tcb *t, struct synack_segment *seg)
{
	uint8_t f = seg->flags;
	bool paws = sa_paws_reject(t, seg);
	if (!paws && seg->seq == t->rcv_nxt && (sa_seg_len(seg) == 0 || (f & SYNACK_TH_RST))) {
		if (f & SYNACK_TH_RST) {
			/* RFC 1337 "TIME-WAIT assassination": Linux kills the
			 * TIME_WAIT unless tcp_rfc1337. */
			if (!t->st->prof.rfc1337) {
				t->st->stats.time_wait_killed++;
				sa_tcb_done(t);
			}
			return;
		}
		sa_timer_set(t, SA_T_TIME_WAIT, t->st->now_us + t->st->prof.time_wait_us);
		if (seg->opt.has_ts && t->ts_ok) {
			t->ts_recent = seg->opt.ts_val;
			t->ts_recent_stamp_us = t->st->now_us;
		}
		return;
	}
	/* RFC 6191 / Linux: a new SYN with a higher sequence number, or a newer
	 * timestamp, reopens the 4-tuple through the listener. */
	if ((f & SYNACK_TH_SYN) && !(f & (SYNACK_TH_RST | SYNACK_TH_ACK)) && !paws &&
	    (synack_seq_gt(seg->seq, t->rcv_nxt) ||
	     (seg->opt.has_ts && t->ts_ok && (int32_t)(t->ts_recent - seg->opt.ts_val) < 0))) {
		struct tcb *l = sa_listener_lookup(t->st, &seg->dst, seg->dport, seg->dst.family);
		if (l) {
			/* Linux: isn = tw_snd_nxt + 65535 + 2. */
			uint32_t isn = t->snd_nxt + 65537u;
			if (isn == 0)
				isn++;
			t->st->stats.time_wait_recycled++;
			sa_tcb_done(t);
			sa_listen_input_isn(l, seg, isn);
			return;
		}
	}
	if (paws)
		t->st->stats.paws_drops++;
	if (!(f & SYNACK_TH_RST)) {
		/* Everything else is ACKed (a retransmitted FIN among it) and the
		 * timer restarts (RFC 9293: "restart the 2 MSL timeout"). */
		if (paws || (f & SYNACK_TH_ACK))
			sa_timer_set(t, SA_T_TIME_WAIT, t->st->now_us + t->st->prof.time_wait_us);
		if (oow_limited(t, seg)) {
			t->st->stats.out_of_window_acks_limited++;
			return;
		}
		sa_send_ack(t);
	}
}

void sa_tcp_input(struct synack_stack *st, struct synack_segment *seg)
{
	struct tcb *t = sa_conn_lookup(st, &seg->dst, seg->dport, &seg->src, seg->sport);
	if (!t) {
		struct tcb *l = sa_listener_lookup(st, &seg->dst, seg->dport, seg->dst.family);
		if (l) {
			sa_listen_input(l, seg);
			return;
		}
		/* RFC 9293 §3.10.7.1: CLOSED — answer with an RST. */
		st->stats.no_socket++;
		sa_send_reset_reply(st, seg);
		return;
	}
	t->segs_in++;
	switch (t->state) {
	case SA_SYN_SENT:
		syn_sent_input(t, seg);
		break;
	case SA_TIME_WAIT:
		time_wait_input(t, seg);
		break;
	case SA_FIN_WAIT2:
		if (t->orphan && t->fw2_timewait) /* fin_wait2.c */
			orphan_fin_wait2_input(t, seg);
		else
			sync_input(t, seg);
		break;
	case SA_SYN_RECV:
		if (t->listener) {
			sa_embryonic_input(t, seg);
			break;
		}
		sync_input(t, seg);
		break;
	case SA_CLOSED:
	case SA_LISTEN:
		st->stats.no_socket++;
		sa_send_reset_reply(st, seg);
		break;
	default:
		sync_input(t, seg);
		break;
	}
}

/* For listen.c: the generic path once an embryonic connection is complete. */
void sa_sync_input(struct tcb *t, struct synack_segment *seg)
{
	sync_input(t, seg);
}
