/* Building and sending segments: flags, options in Linux's layout (through
 * synack_opts_build inside synack_seg_build), the window field, data and FIN
 * with Nagle and TCP_CORK. */
#include <string.h>

#include "internal.h"

void sa_emit(struct synack_stack *st, struct synack_segment *s)
{
	size_t n = synack_seg_build(s, st->obuf, st->obuf_cap);
	if (!n)
		return;
	st->stats.out_segs++;
	if (s->flags & SYNACK_TH_RST)
		st->stats.out_rsts++;
	if (st->env.emit)
		st->env.emit(st->env.ctx, st->obuf, n);
}

/* The TOS / traffic class and TTL / hop limit of what a socket sends
 * (RFC 9293 MUST-48, SHLD-22: the application's DiffServ value is passed
 * to IP unchanged; MUST-49: the TTL is configurable). Linux: inet->tos and
 * ip_select_ttl for IPv4 segments (a v4-mapped peer too), np->tclass and
 * ip6_sk_dst_hoplimit for IPv6. An embryonic connection is Linux's request
 * sock: its SYN-ACK carries the listener's values (tcp_v4_send_synack,
 * ip_build_and_send_pkt). A TIME_WAIT sock answers through the per-netns
 * control socket (tcp_v4_timewait_ack, ip_send_unicast_reply): tw_tos with
 * the ECN bits cleared and the default TTL — and tw_tclass is the same byte
 * (#define tw_tclass tw_tos), filled from np->tclass for an AF_INET6 socket,
 * so an IPv4-mapped one's TIME_WAIT ACKs carry its IPV6_TCLASS. */
static void ip_fields(const struct tcb *t, struct synack_segment *s)
{
	const struct tcb *o = t;
	if (t->state == SA_SYN_RECV && t->listener && !t->in_accept_queue)
		o = t->listener;
	bool v4 = s->src.family == 4;
	int ttl = v4 ? o->ip_ttl : o->ip6_hops;
	s->tos = v4 ? o->ip_tos : o->ip6_tclass;
	s->ttl = ttl < 0 ? SA_DEFAULT_TTL : (uint8_t)ttl;
	if (t->state == SA_TIME_WAIT) {
		if (t->sock_family == 6)
			s->tos = t->ip6_tclass;
		s->tos &= (uint8_t)~3u; /* INET_ECN_MASK */
		s->ttl = SA_DEFAULT_TTL;
	}
}

static void base(struct tcb *t, struct synack_segment *s, uint32_t seq, uint8_t flags)
{
	memset(s, 0, sizeof(*s));
	s->src = t->laddr;
	s->dst = t->raddr;
	ip_fields(t, s);
	s->df = true; /* Linux: IP_PMTUDISC_WANT sets DF on TCP */
	s->sport = t->lport;
	s->dport = t->rport;
	s->seq = seq;
	s->flags = flags;
	if (flags & SYNACK_TH_ACK)
		s->ack = t->rcv_nxt;
	if (!(flags & SYNACK_TH_SYN))
		sa_sack_fill(t, s); /* sack_gen.c: RFC 2018 / RFC 2883 blocks */
	sa_urg_fill(t, s);          /* urgent.c: URG and the urgent pointer */
}

/* RFC 7323 §3.2: TSval from our clock, TSecr echoes TS.Recent. */
static void add_ts(struct tcb *t, struct synack_segment *s)
{
	s->opt.has_ts = true;
	s->opt.ts_val = sa_tsval(t);
	s->opt.ts_ecr = t->ts_recent;
}

static void sent(struct tcb *t, const struct synack_segment *s)
{
	t->segs_out++;
	if (s->flags & SYNACK_TH_ACK) {
		t->last_ack_sent_us = t->st->now_us;
		sa_delack_sent_ack(t); /* delack.c: this segment carries the ACK */
	}
	if (s->payload_len) {
		t->data_segs_out++;
		t->last_data_sent_us = t->st->now_us;
	}
}

/* RFC 9293 §3.10.1 (active OPEN): <SEQ=ISS><CTL=SYN>. Linux: tcp_connect,
 * options mss, sackOK, TS, wscale (tcp_syn_options). RFC 7323 §2.2: the
 * window of a SYN is never scaled. */
void sa_send_syn(struct tcb *t)
{
	const struct synack_profile *p = &t->st->prof;
	struct synack_segment s;
	base(t, &s, t->iss, SYNACK_TH_SYN);
	s.flags |= sa_ecn_syn_flags(t); /* ecn.c: RFC 3168 §6.1.1 */
	s.window = (uint16_t)SA_MIN(t->rcv_wnd, 65535u);
	s.opt.has_mss = true;
	s.opt.mss = t->advmss;
	if (p->sack)
		s.opt.sack_permitted = true;
	if (p->timestamps) {
		s.opt.has_ts = true;
		s.opt.ts_val = sa_tsval(t);
		s.opt.ts_ecr = 0;
	}
	if (p->window_scaling) {
		s.opt.has_wscale = true;
		s.opt.wscale = t->rcv_wscale;
	}
	sa_emit(t->st, &s);
	sent(t, &s);
}

/* RFC 9293 §3.10.7.2: <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>, with the options
 * both sides agreed to (Linux: tcp_synack_options). A SYN-ACK for a cookie
 * carries the cookie's TSval (Linux: cookie_init_timestamp). */
void sa_send_synack(struct tcb *t)
{
	struct synack_segment s;
	base(t, &s, t->iss, SYNACK_TH_SYN | SYNACK_TH_ACK);
	/* RFC 3168 §6.1.1: ECE (without CWR) accepts ECN (Linux:
	 * tcp_ecn_make_synack, tcp_ecn_send_synack); the SYN-ACK is not-ECT. */
	if (t->ecn_flags & SA_ECN_OK)
		s.flags |= SYNACK_TH_ECE;
	s.window = (uint16_t)SA_MIN(t->rcv_wnd, 65535u);
	s.opt.has_mss = true;
	s.opt.mss = t->advmss;
	s.opt.sack_permitted = t->sack_ok;
	if (t->ts_ok)
		add_ts(t, &s);
	if (t->ws_ok) {
		s.opt.has_wscale = true;
		s.opt.wscale = t->rcv_wscale;
	}
	sa_emit(t->st, &s);
	sent(t, &s);
}

static uint16_t window_field(struct tcb *t)
{
	if (t->state == SA_TIME_WAIT)
		return (uint16_t)SA_MIN(t->rcv_wnd >> t->rcv_wscale,
		                        65535u); /* Linux: tcp_v4_timewait_ack */
	uint16_t w = sa_select_window(t);
	if (!w)
		sa_hp_off(t); /* Linux: tcp_select_window — "if we advertise zero
		               * window, disable fast path" (fastpath.c) */
	return w;
}

/* The sequence number of an ACK or RST of a synchronized connection. When
 * the peer's window shrank below SND.NXT, a segment at SND.NXT would fail
 * its acceptability test (RFC 9293 §3.10.7.4) and the ACK be lost; Linux's
 * tcp_acceptable_seq sends at the window's right edge then, unless SND.NXT
 * is past it by less than one unit of our window scale (the peer may not
 * have been able to say better). */
static uint32_t acceptable_seq(const struct tcb *t)
{
	uint32_t wnd_end = t->snd_una + t->snd_wnd;
	if (!t->st->prof.ack_seq_in_window || t->state == SA_TIME_WAIT ||
	    synack_seq_geq(wnd_end, t->snd_nxt) ||
	    (t->ws_ok && t->snd_nxt - wnd_end < (1u << t->rcv_wscale)))
		return t->snd_nxt;
	return wnd_end;
}

/* in: the segment answered by a control-socket ACK, or NULL. */
static void send_ack(struct tcb *t, const struct synack_segment *in)
{
	struct synack_segment s;
	/* A request sock answers at ISN + 1 (Linux tcp_v4_reqsk_send_ack). */
	base(t, &s, in ? t->snd_nxt : acceptable_seq(t), SYNACK_TH_ACK);
	if (in) {
		s.tos = in->tos & (uint8_t)~3u; /* INET_ECN_MASK */
		s.ttl = SA_DEFAULT_TTL;
	}
	s.window = window_field(t);
	if (t->ts_ok)
		add_ts(t, &s);
	sa_ecn_send(t, &s, false);
	sa_emit(t->st, &s);
	sent(t, &s);
}

void sa_send_ack(struct tcb *t)
{
	send_ack(t, NULL);
}

/* Linux: tcp_v4_reqsk_send_ack / tcp_v6_reqsk_send_ack answer through the
 * per-netns control socket with the TOS (traffic class) of the segment
 * answered, ECN bits cleared (ip_send_unicast_reply, tcp_v6_send_response),
 * and the default TTL. */
void sa_send_embryonic_ack(struct tcb *t, const struct synack_segment *in)
{
	send_ack(t, in);
}

/* Linux: tcp_send_active_reset — RST|ACK at tcp_acceptable_seq (SND.NXT
 * unless the window shrank below it), used for aborts (close with unread
 * data, SO_LINGER {1,0}, abort on overflow). */
void sa_send_rst_for(struct tcb *t)
{
	struct synack_segment s;
	base(t, &s, acceptable_seq(t), SYNACK_TH_RST | SYNACK_TH_ACK);
	s.window = window_field(t);
	if (t->ts_ok)
		add_ts(t, &s);
	sa_ecn_send(t, &s, false);
	sa_emit(t->st, &s);
	sent(t, &s);
}

/* RFC 9293 §3.10.7.1: a segment for no connection. If it has ACK,
 * <SEQ=SEG.ACK><CTL=RST>; else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
 * An RST is never answered. Linux: tcp_v4_send_reset (window 0, no options),
 * sent through the per-netns control socket: the TOS of the segment
 * answered without its ECN bits (ip_send_unicast_reply; IPv6:
 * tcp_v6_send_response) and the default TTL. */
void sa_send_reset_reply(struct synack_stack *st, const struct synack_segment *in)
{
	if (in->flags & SYNACK_TH_RST)
		return;
	struct synack_segment s;
	memset(&s, 0, sizeof(s));
	s.src = in->dst;
	s.dst = in->src;
	s.tos = in->tos & (uint8_t)~3u; /* INET_ECN_MASK */
	s.ttl = SA_DEFAULT_TTL;
	s.df = true;
	s.sport = in->dport;
	s.dport = in->sport;
	if (in->flags & SYNACK_TH_ACK) {
		s.seq = in->ack;
		s.flags = SYNACK_TH_RST;
	} else {
		s.seq = 0;
		s.ack = in->seq + sa_seg_len(in);
		s.flags = SYNACK_TH_RST | SYNACK_TH_ACK;
	}
	sa_emit(st, &s);
}

/* One data segment [seq, seq+len) from the send queue, with FIN if asked. */
void sa_send_data(struct tcb *t, uint32_t seq, uint32_t len, bool fin, bool rtx, bool gso_end)
{
	struct synack_segment s;
	uint8_t flags = SYNACK_TH_ACK;
	uint32_t off = seq - t->snd_una;
	if (len > 65536)
		len = 65536;
	/* Sized to the segment: under ASan a fixed 64 KiB frame cost a 8 KiB
	 * shadow memset per segment sent (docs/fuzzing.md, "Speed"). */
	uint8_t payload[len ? len : 1];
	len = sa_ring_peek(&t->sndq, off, payload, len);
	/* Linux: tcp_push marks PSH on the last skb of what was written, and
	 * forced_push on an skb a long write filled (sndbuf.c keeps the marks;
	 * without snd_truesize, the end of what is queued stands for it). */
	bool pushed =
	    t->st->prof.snd_truesize ? sa_uskb_ends_pushed(t, len) : off + len == t->sndq.len;
	if (len && (pushed || t->wakeup_one))
		flags |= SYNACK_TH_PSH;
	/* p2-tx: a retransmission keeps its PSH (Linux: the skb's flags), a
	 * lone FIN too when it once rode on pushed data (its skb was trimmed
	 * by the ACK of the data, tcp_trim_head, or was collapsed onto it). */
	if (rtx && (len || fin))
		flags =
		    (uint8_t)((flags & ~SYNACK_TH_PSH) |
		              (sa_tx_was_psh(t, seq + len + (len ? 0u : 1u)) ? SYNACK_TH_PSH : 0));
	if (fin && !len && !rtx && t->fin_psh)
		flags |= SYNACK_TH_PSH;
	if (fin)
		flags |= SYNACK_TH_FIN;
	/* tso.c: the PSH __tcp_transmit_skb forces on a GSO skb is the
	 * transmission's, not the skb's: the sent queue does not keep it. */
	uint8_t kept = flags;
	if (gso_end && len)
		flags |= SYNACK_TH_PSH;
	base(t, &s, seq, flags);
	s.window = window_field(t);
	if (t->ts_ok)
		add_ts(t, &s);
	s.payload = payload;
	s.payload_len = len;
	/* ecn.c: ECT(0) only on new data (Linux tcp_ecn_send: a payload, not
	 * before SND.NXT). */
	sa_ecn_send(t, &s, len && !rtx && synack_seq_geq(seq, t->snd_nxt));
	sa_emit(t->st, &s);
	sent(t, &s);
	/* Linux: tcp_event_data_sent runs for every data segment, a
	 * retransmission too (__tcp_transmit_skb). */
	if (len)
		sa_delack_data_sent(t); /* delack.c: interactive detection */
	t->bytes_sent += len;           /* Linux: __tcp_transmit_skb, retransmissions too */
	if (rtx) {
		t->st->stats.retrans_segs++;
		t->total_retrans++;
		t->bytes_retrans += len; /* Linux: __tcp_retransmit_skb */
	}
	sa_tx_sent(t, seq, len, kept, rtx); /* p2-tx: the sent-segment queue (rtx.c) */
}

/* Bytes queued but not yet sent from nxt on. */
static uint32_t unsent_from(const struct tcb *t, uint32_t nxt)
{
	uint32_t sent_data = nxt - t->snd_una;
	if (t->fin_sent)
		return 0;
	return t->sndq.len > sent_data ? t->sndq.len - sent_data : 0;
}

uint32_t sa_unsent(const struct tcb *t)
{
	return unsent_from(t, t->snd_nxt);
}

/* Linux: tcp_snd_wnd_test — the window the head skb needs before any of it
 * goes: one MSS of it, or all of it (its FIN's sequence number included)
 * when it is no longer. Sender SWS avoidance (RFC 9293 §3.8.6.2.1) in
 * Linux's form: a window smaller than that waits for the persist timer,
 * whose probe (tcp_write_wakeup) then sends what fits. */
static uint32_t snd_wnd_need(const struct tcb *t, uint32_t left, uint32_t mss)
{
	uint32_t skb = sa_uskb_head_left(t);
	if (skb > mss)
		return mss;
	bool fin = t->fin_queued && !t->fin_sent && skb == left;
	return skb + (fin ? 1u : 0u);
}

/* The length of the next new-data segment at nxt, or 0 to hold it back:
 * the peer's window, Nagle (RFC 9293 §3.7.4, Linux's Minshall variant in
 * tcp_nagle_check, against the short segment ending at sml) and TCP_CORK.
 * Sender SWS avoidance (RFC 9293 §3.8.6.2.1) as Linux does it in
 * tcp_mss_split_point: a window-limited segment is cut at an MSS boundary
 * unless Nagle would let a short one go. */
static uint32_t next_len(const struct tcb *t, uint32_t nxt, uint32_t sml)
{
	uint32_t left = unsent_from(t, nxt);
	uint32_t wnd_end = t->snd_una + t->snd_wnd;
	uint32_t avail = synack_seq_gt(wnd_end, nxt) ? wnd_end - nxt : 0;
	uint32_t mss = sa_cur_mss(t);
	uint32_t len = SA_MIN(left, mss);
	bool in_flight = nxt != t->snd_una;
	if (len > avail && avail == 0)
		return 0; /* part 2: the persist timer probes a zero window */
	if (t->st->prof.snd_truesize && nxt == t->snd_nxt && !t->wakeup_one &&
	    avail < snd_wnd_need(t, left, mss))
		return 0; /* Linux: tcp_snd_wnd_test; the persist timer probes */
	if (len > avail)
		len = avail;
	if (len < mss && !t->wakeup_one) {
		bool tail = len == left; /* the last bytes queued */
		/* Linux: tcp_nagle_test — neither Nagle nor TCP_CORK holds a
		 * segment back in urgent mode (urgent.c). */
		bool urg = t->snd_urg;
		/* TCP_CORK holds every partial segment (Linux: TCP_NAGLE_CORK)
		 * but the one carrying the FIN (tcp_nagle_test lets a FIN go:
		 * shutdown pushes corked data out). */
		bool fin_tail = tail && t->fin_queued;
		/* TCP_NAGLE_PUSH goes before both (tcp_nagle_test). */
		bool push = t->nagle_off || t->nagle_push;
		if (t->cork && !urg && !fin_tail && !push)
			return 0;
		/* Nagle, Minshall's variant (Linux: tcp_minshall_check): a short
		 * segment waits while another short one is unacknowledged. */
		bool sml_out = synack_seq_gt(sml, t->snd_una) && synack_seq_leq(sml, nxt);
		if (!t->nodelay && !push && in_flight && sml_out && !fin_tail && !urg)
			return 0;
		/* Window-limited, not the tail: wait for the window to open. */
		if (!tail && in_flight)
			return 0;
	}
	return len;
}

/* How many of the segments about to go leave in one skb (tso.c): as many
 * as the send loop would send, up to the TSO quota. One in urgent mode
 * (Linux: tcp_write_xmit splits at the MSS while tcp_urg_mode) and for a
 * window probe (tcp_write_wakeup sends one segment). */
static uint32_t gso_segments(const struct tcb *t)
{
	if (!t->st->prof.tso || t->snd_urg || t->wakeup_one)
		return 1;
	uint32_t quota = sa_tso_quota(t);
	uint32_t mss = sa_cur_mss(t);
	uint32_t n = 0, nxt = t->snd_nxt, sml = t->snd_sml;
	/* Linux: tcp_write_xmit sends skb by skb — never past the head one. */
	uint32_t skb_end = t->snd_nxt + sa_uskb_head_left(t);
	while (n < quota && synack_seq_lt(nxt, skb_end)) {
		uint32_t len = next_len(t, nxt, sml);
		if (!len)
			break;
		if (len < mss)
			sml = nxt + len;
		nxt += len;
		n++;
	}
	return n ? n : 1;
}

/* Sends what next_len allows, in transmissions of gso_segments; then the
 * FIN if the user shut down writing and all data is out (RFC 9293
 * §3.10.4: FIN after the queued sends). */
void sa_output(struct tcb *t)
{
	if (t->state != SA_ESTABLISHED && t->state != SA_CLOSE_WAIT && t->state != SA_FIN_WAIT1 &&
	    t->state != SA_CLOSING && t->state != SA_LAST_ACK)
		return;
	bool any = false, cwnd_limited = false;
	/* Lost segments go when an ACK, a timer or ICMP calls for them
	 * (sa_output_recovery and its kind), never from here: Linux's
	 * tcp_write_xmit sends new data only. */
	bool frto_new = t->frto_new;
	t->frto_new = false;
	/* Linux runs tcp_write_xmit only with a send head. */
	bool send_head = sa_unsent(t) || (t->fin_queued && !t->fin_sent);
	/* Linux: tcp_write_xmit sizes every segment of the call with the MSS
	 * of its start: one that carries SACK blocks (a D-SACK, sent once)
	 * makes the ones after it as short, though they carry none. */
	t->xmit_mss = (uint16_t)sa_cur_mss(t);
	uint32_t gso_left = 0; /* segments left in the current transmission */
	bool gso_many = false;
	for (;;) {
		uint32_t left = sa_unsent(t);
		if (t->fin_sent)
			break;
		if (left == 0) {
			/* Linux: tcp_send_fin queues the FIN like data; tcp_write_xmit
			 * holds it unless tcp_snd_wnd_test finds room for its
			 * sequence number (SND.NXT + 1 =< SND.UNA + SND.WND). */
			if (t->fin_queued && synack_seq_gt(t->snd_nxt + 1, t->snd_una + t->snd_wnd))
				break;
			/* A bare FIN waits for the congestion window like data
			 * (RFC 5681 §3.1: no more than cwnd in flight). Linux made
			 * the same choice in 6.10, when tcp_cwnd_test lost its
			 * "final FIN" exception. */
			if (t->fin_queued && !sa_cc_can_send(t)) {
				cwnd_limited = true;
				break;
			}
			if (t->fin_queued) {
				sa_send_data(t, t->snd_nxt, 0, true, false, false);
				t->fin_sent = true;
				t->fin_seq = t->snd_nxt;
				t->snd_nxt++;
				any = true;
			}
			break;
		}
		if (!sa_cc_can_send(t)) {
			cwnd_limited = true;
			break; /* RFC 5681: the congestion window is full */
		}
		uint32_t mss = sa_cur_mss(t);
		/* sndbuf.c: before the window and Nagle tests, the head skb takes
		 * what the next holds, up to what this transmission may carry
		 * (tcp_write_xmit → tcp_grow_skb). */
		if (!gso_left)
			sa_uskb_grow_head(t, sa_tso_quota(t) * mss);
		uint32_t len = next_len(t, t->snd_nxt, t->snd_sml);
		if (!len)
			break;
		if (!gso_left) {
			/* tso.c: a send of less than a full skb may wait for the
			 * ACK due soon (not a window probe: tcp_write_wakeup). */
			if (!t->wakeup_one && !t->push_one &&
			    sa_tso_should_defer(t, left, &cwnd_limited))
				break;
			gso_left = gso_segments(t);
			gso_many = gso_left > 1;
			sa_gso_sack_begin(t, gso_many); /* sack_gen.c */
		}
		bool gso_end = --gso_left == 0;
		/* The FIN rides on the last data only if the window has room
		 * for its sequence number too (RFC 9293 §3.8.6; Linux: the skb's
		 * end_seq in tcp_snd_wnd_test, tso_fragment / tcp_write_wakeup's
		 * tcp_fragment leaving it on the remainder). */
		bool fin = t->fin_queued && len == left &&
		           !synack_seq_gt(t->snd_nxt + len + 1, t->snd_una + t->snd_wnd);
		if (t->fin_queued && len == left && !fin)
			t->fin_psh = t->st->prof.snd_truesize ? sa_uskb_ends_pushed(t, len) : true;
		sa_send_data(t, t->snd_nxt, len, fin, false, gso_many && gso_end);
		sa_uskb_sent(t, len); /* sndbuf.c */
		if (!gso_end)
			sa_txq_join_last(t);
		if (len < mss)
			t->snd_sml = t->snd_nxt + len;
		t->snd_nxt += len;
		if (fin) {
			t->fin_sent = true;
			t->fin_seq = t->snd_nxt;
			t->snd_nxt++;
		}
		any = true;
		if (t->wakeup_one)
			break;
		/* Linux: tcp_push_one sends one skb (push_one: the loop's
		 * first transmission) and stops. */
		if (t->push_one && gso_end)
			break;
	}
	t->xmit_mss = 0;
	sa_gso_sack_begin(t, false);
	if (gso_left)
		sa_txq_unjoin(t, t->txq_len - 1); /* the transmission ended early */
	if (frto_new && !synack_seq_gt(t->snd_nxt, t->high_seq)) {
		/* No new data could go: conventional recovery (RFC 5682 §3.1
		 * step 2b, "otherwise"). */
		t->frto = false;
		sa_rec_xmit_lost(t);
	}
	/* Linux: tcp_write_xmit — cwnd-limited also when the last segment
	 * filled the window, then tcp_cwnd_validate if anything went or the
	 * window is full. */
	cwnd_limited = cwnd_limited || sa_packets_in_flight(t) >= t->snd_cwnd;
	if (send_head && (any || cwnd_limited))
		sa_cc_after_output(t, cwnd_limited);
	if (any && t->tlp_pending) {
		/* Linux: tcp_event_new_data_sent re-arms from a pending probe. */
		sa_timer_clear(t, SA_T_RTX);
		t->tlp_pending = false;
	}
	if (any || t->retrans_out)
		sa_rtx_arm(t);
	/* tlp.c: tcp_write_xmit schedules a loss probe; tcp_write_wakeup's
	 * segment (persist.c) does not go through it and gets none. */
	if (any && !t->wakeup_one)
		sa_tlp_schedule(t, false);
	sa_persist_check(t); /* persist.c: a zero window holds data back */
}

/* Linux: tcp_ack ends with tcp_xmit_recovery — the retransmissions an ACK
 * calls for in Recovery or Loss (and F-RTO's new data, RFC 5682 §3.1 step
 * 2b) leave while the ACK is processed, before the segment's text: they
 * carry the ACK number of before it. New data otherwise waits for the end
 * of the segment (tcp_data_snd_check after tcp_data_queue). */
void sa_output_recovery(struct tcb *t)
{
	if (t->frto_new) {
		/* Linux: tcp_xmit_recovery, REXMIT_NEW — F-RTO's new data
		 * goes with TCP_NAGLE_OFF (RFC 5682 §3.1 step 2b). */
		t->nagle_off = true;
		sa_output(t);
		t->nagle_off = false;
	} else if (t->ca_state == SA_CA_RECOVERY || t->ca_state == SA_CA_LOSS)
		sa_rec_xmit_lost(t);
}
