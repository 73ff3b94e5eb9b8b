/* Delayed ACK (RFC 1122 §4.2.3.2, RFC 5681 §4.2, RFC 9293 §3.8.6.3), as
 * Linux does it (tcp_event_data_recv, __tcp_ack_snd_check,
 * tcp_send_delayed_ack, tcp_delack_timer_handler, tcp_event_ack_sent,
 * tcp_cleanup_rbuf, TCP_QUICKACK):
 *
 * - ATO between delack_min (40 ms) and delack_max (200 ms), adapted to the
 *   gap between data segments, bounded by the RTO.
 * - Quick-ACK mode: the first data of a connection (and a long pause, or a
 *   duplicate) earns up to 16 immediate ACKs (Linux: TCP_MAX_QUICKACKS,
 *   at most rcv_wnd / (2 * rcv_mss)); not in interactive ("pingpong") mode.
 * - An ACK at least every second full-sized segment (RFC 5681 §4.2: more
 *   than one full segment unacknowledged).
 * - Out-of-order data and data that fills a gap are ACKed at once (RFC 5681
 *   §4.2; input.c / ooo.c call sa_rx_ooo_ack and pass gap_filled).
 * - Any segment we send carries the ACK and cancels the pending one.
 */
#include "internal.h"

#define TCP_MAX_QUICKACKS 16u

enum {
	SA_ACK_SCHED = 1,   /* an ACK is owed (Linux: ICSK_ACK_SCHED) */
	SA_ACK_TIMER = 2,   /* the delayed-ACK timer is running */
	SA_ACK_PUSHED = 4,  /* a short segment arrived (Linux: ICSK_ACK_PUSHED) */
	SA_ACK_PUSHED2 = 8, /* ... twice */
	SA_ACK_NOW = 16,    /* a one-time immediate ACK (gap filled) */
};

static uint64_t ato_min(const struct tcb *t)
{
	return t->st->prof.delack_min_us;
}

static uint64_t ato_max(const struct tcb *t)
{
	return t->st->prof.delack_max_us;
}

static bool pingpong(const struct tcb *t)
{
	return t->rx.pingpong; /* Linux: tcp_pingpong_thresh 1 */
}

static bool in_quickack_mode(const struct tcb *t)
{
	return t->rx.quick && !pingpong(t);
}

/* Linux: tcp_incr_quickack. */
static void incr_quickack(struct tcb *t, uint32_t max)
{
	uint32_t mss = t->rcv_mss ? t->rcv_mss : 536;
	uint32_t q = t->rcv_wnd / (2 * mss);
	if (q == 0)
		q = 2;
	q = SA_MIN(q, max);
	if (q > t->rx.quick)
		t->rx.quick = (uint16_t)q;
}

/* Linux: tcp_enter_quickack_mode. */
static void enter_quickack_mode(struct tcb *t, uint32_t max)
{
	incr_quickack(t, max);
	t->rx.pingpong = false;
	t->rx.ato_us = (uint32_t)ato_min(t);
}

void sa_delack_enter_quickack(struct tcb *t, uint32_t max)
{
	enter_quickack_mode(t, max);
}

void sa_delack_ack_now(struct tcb *t)
{
	t->rx.ack_pending |= SA_ACK_NOW;
}

void sa_delack_established(struct tcb *t)
{
	t->rx.lrcv_us = t->st->now_us;
}

/* Linux: tcp_event_data_recv — in-order data arrived. */
void sa_delack_data_in(struct tcb *t, uint32_t len, bool gap_filled)
{
	uint64_t now = t->st->now_us;
	t->rx.ack_pending |= SA_ACK_SCHED;
	/* Linux: tcp_measure_rcv_mss — a segment shorter than the estimate
	 * marks the ACK "pushed" (tcp_cleanup_rbuf may then ACK on read). */
	if (len < t->rcv_mss) {
		if (t->rx.ack_pending & SA_ACK_PUSHED)
			t->rx.ack_pending |= SA_ACK_PUSHED2;
		t->rx.ack_pending |= SA_ACK_PUSHED;
	}
	if (!t->rx.ato_us) {
		/* The first data: start in quick-ACK mode. */
		incr_quickack(t, TCP_MAX_QUICKACKS);
		t->rx.ato_us = (uint32_t)ato_min(t);
	} else {
		uint64_t m = now - t->rx.lrcv_us;
		if (m <= ato_min(t) / 2) {
			t->rx.ato_us = (uint32_t)((t->rx.ato_us >> 1) + ato_min(t) / 2);
		} else if (m < t->rx.ato_us) {
			t->rx.ato_us = (uint32_t)((t->rx.ato_us >> 1) + m);
			if (t->rx.ato_us > sa_rto_backed_off(t)) /* icsk_rto */
				t->rx.ato_us = (uint32_t)sa_rto_backed_off(t);
		} else if (m > sa_rto_backed_off(t)) {
			/* A long pause: the sender restarts, ACK quickly. */
			incr_quickack(t, TCP_MAX_QUICKACKS);
		}
	}
	t->rx.lrcv_us = now;
	if (gap_filled)
		t->rx.ack_pending |= SA_ACK_NOW; /* RFC 5681 §4.2 */
}

/* Linux: tcp_send_dupack for old data — the peer resent it, so our ACK
 * was lost (LINUX_MIB_DELAYEDACKLOST): quick-ACK mode. */
void sa_delack_ack_lost(struct tcb *t)
{
	enter_quickack_mode(t, TCP_MAX_QUICKACKS);
}

/* Text received already, in an acceptable segment: quick-ACK mode and an
 * ACK scheduled (Linux: tcp_data_queue, "a retransmit"), which quick-ACK
 * mode sends once the segment is processed (sa_delack_check, as
 * tcp_ack_snd_check after tcp_data_snd_check) — unless data the segment let
 * go (a window opened) carried it, with the D-SACK. An unacceptable segment
 * is answered at once instead (input.c: send_dupack). */
void sa_delack_ack_needed(struct tcb *t)
{
	enter_quickack_mode(t, TCP_MAX_QUICKACKS);
	t->rx.ack_pending |= SA_ACK_SCHED;
}

/* Linux: tcp_fin — the FIN that moves ESTABLISHED to CLOSE_WAIT schedules
 * an ACK (inet_csk_schedule_ack) and enters pingpong mode
 * (inet_csk_enter_pingpong_mode), hoping the application's reply or FIN
 * carries it; __tcp_ack_snd_check then arms the delayed-ACK timer even in
 * quick-ACK mode. The rfc profile ACKs at once (RFC 9293 §3.10.7.4). */
bool sa_delack_fin(struct tcb *t)
{
	if (!t->st->prof.fin_pingpong)
		return false;
	t->rx.ack_pending |= SA_ACK_SCHED;
	t->rx.pingpong = true;
	return true;
}

void sa_rx_ooo_ack(struct tcb *t)
{
	/* RFC 5681 §4.2: a duplicate ACK (it counts against the quick-ACK
	 * credit, as Linux's does: inet_csk_schedule_ack first), decided once
	 * the segment is processed (sa_delack_check after sa_output, as Linux's
	 * tcp_ack_snd_check after tcp_data_snd_check): data or a FIN the
	 * segment let go carries it instead; from the fourth per RCV.NXT on it
	 * may be compressed (compress()). */
	t->rx.ack_pending |= SA_ACK_SCHED;
}

void sa_rx_data_ack(struct tcb *t, uint32_t len, bool gap_filled)
{
	sa_delack_data_in(t, len, gap_filled);
}

/* Linux: tcp_send_delayed_ack. */
static void send_delayed(struct tcb *t)
{
	uint64_t now = t->st->now_us;
	uint64_t ato = t->rx.ato_us;
	if (ato > ato_min(t)) {
		uint64_t max = 500000; /* HZ / 2 */
		if (pingpong(t) || (t->rx.ack_pending & SA_ACK_PUSHED))
			max = ato_max(t);
		ato = SA_MIN(ato, max);
	}
	ato = SA_MIN(ato, ato_max(t));
	uint64_t timeout = now + ato;
	if (t->rx.ack_pending & SA_ACK_TIMER) {
		uint64_t cur = t->t_deadline[SA_T_DELACK];
		if (cur <= now + (ato >> 2)) {
			sa_send_ack_now(t); /* about to expire anyway */
			return;
		}
		if (timeout > cur)
			timeout = cur;
	}
	t->rx.ack_pending |= SA_ACK_SCHED | SA_ACK_TIMER;
	sa_timer_set(t, SA_T_DELACK, timeout);
}

/* Linux: __tcp_ack_snd_check with data held out of order — the first three
 * ACKs per RCV.NXT go at once (the sender's duplicate ACKs, RFC 5681 §4.2);
 * with SACK, later ones are compressed (up to tcp_comp_sack_nr) into one
 * sent when the timer fires, or sooner by whatever ACK goes first. */
static uint64_t comp_sack_delay_us(const struct tcb *t)
{
	/* 5 % of min(the receiver's RTT estimate, SRTT), both << 3, at most
	 * tcp_comp_sack_delay_ns; with no estimate, 0. An hrtimer started with
	 * tcp_comp_sack_slack_ns of slack fires at the end of that range when
	 * nothing else wakes the CPU first. */
	uint64_t rtt = t->rx.rcv_rtt_us;
	if (t->srtt_us && t->srtt_us < rtt)
		rtt = t->srtt_us;
	uint64_t ns = SA_MIN(t->st->prof.comp_sack_delay_ns, rtt * (1000 >> 3) / 20);
	ns += t->st->prof.comp_sack_slack_ns;
	return (ns + 999) / 1000;
}

static void compress(struct tcb *t)
{
	if (!t->sack_ok || t->rx.compressed_ack >= t->st->prof.comp_sack_nr) {
		sa_send_ack_now(t);
		return;
	}
	if (t->rx.comp_rcv_nxt != t->rcv_nxt) {
		t->rx.comp_rcv_nxt = t->rcv_nxt;
		t->rx.dup_ack_counter = 0;
	}
	if (t->rx.dup_ack_counter < 3) { /* TCP_FASTRETRANS_THRESH */
		t->rx.dup_ack_counter++;
		sa_send_ack_now(t);
		return;
	}
	t->rx.compressed_ack++;
	if (!sa_timer_armed(t, SA_T_COMP_SACK))
		sa_timer_set(t, SA_T_COMP_SACK, t->st->now_us + comp_sack_delay_us(t));
}

/* Linux: tcp_compressed_ack_kick. */
void sa_delack_comp_sack_fire(struct tcb *t)
{
	if (t->rx.compressed_ack) {
		t->rx.compressed_ack--;
		sa_send_ack_now(t);
	}
}

/* Linux: __tcp_ack_snd_check — after a segment's data was queued (and
 * data we had was sent, which carried the ACK). */
void sa_delack_check(struct tcb *t)
{
	if (!(t->rx.ack_pending & SA_ACK_SCHED))
		return;
	uint32_t mss = t->rcv_mss ? t->rcv_mss : 536;
	/* Linux: __tcp_ack_snd_check — more than a segment unacknowledged, and
	 * the reader is still short of SO_RCVLOWAT (it will not read and ACK
	 * soon) or the window moves right. */
	bool full = t->rcv_nxt - t->rcv_wup > mss &&
	            (t->rcvq.len < sa_rcvlowat(t) || sa_window_wont_shrink(t));
	if (full || in_quickack_mode(t) || (t->rx.ack_pending & SA_ACK_NOW)) {
		sa_send_ack_now(t);
		return;
	}
	if (sa_ooo_empty(t)) {
		send_delayed(t);
		return;
	}
	compress(t);
}

/* Linux: tcp_event_ack_sent — every segment we send acknowledges. */
void sa_delack_sent_ack(struct tcb *t)
{
	if (t->rx.quick) {
		uint32_t pkts = (t->rx.ack_pending & SA_ACK_SCHED) ? 1 : 0;
		if (pkts >= t->rx.quick) {
			t->rx.quick = 0;
			t->rx.ato_us = (uint32_t)ato_min(t);
		} else {
			t->rx.quick = (uint16_t)(t->rx.quick - pkts);
		}
	}
	t->rx.ack_pending = 0;
	sa_timer_clear(t, SA_T_DELACK);
	t->rx.compressed_ack = 0; /* tcp_event_ack_sent */
	sa_timer_clear(t, SA_T_COMP_SACK);
}

/* Linux: tcp_event_data_sent — a reply within ATO of the last data
 * received makes the connection interactive (pingpong). */
void sa_delack_data_sent(struct tcb *t)
{
	if (t->st->now_us - t->rx.lrcv_us < t->rx.ato_us)
		t->rx.pingpong = true;
}

/* Linux: tcp_delack_timer_handler. */
void sa_delack_fire(struct tcb *t)
{
	if (!(t->rx.ack_pending & SA_ACK_SCHED))
		return;
	if (!pingpong(t)) {
		/* Delayed ACK missed: inflate ATO. */
		t->rx.ato_us = (uint32_t)SA_MIN((uint64_t)t->rx.ato_us << 1, sa_rto_backed_off(t));
	} else {
		/* Delayed ACK missed: leave pingpong mode, deflate ATO. */
		t->rx.pingpong = false;
		t->rx.ato_us = (uint32_t)ato_min(t);
	}
	sa_send_ack_now(t);
}

/* Linux: __tcp_sock_set_quickack. */
void sa_delack_quickack(struct tcb *t, bool on)
{
	if (!on) {
		t->rx.pingpong = true;
		return;
	}
	t->rx.pingpong = false;
	if ((t->state == SA_ESTABLISHED || t->state == SA_CLOSE_WAIT) &&
	    (t->rx.ack_pending & SA_ACK_SCHED)) {
		t->rx.ack_pending |= SA_ACK_PUSHED;
		if (sa_delack_cleanup_rbuf(t, 1))
			sa_send_ack_now(t);
	}
}

bool sa_delack_quickack_get(const struct tcb *t)
{
	return !pingpong(t);
}

/* Linux: tcp_cleanup_rbuf, its first half — after the user read `copied`
 * bytes, an owed ACK goes now if two segments are unacknowledged or the
 * read emptied the queue behind a short segment. */
bool sa_delack_cleanup_rbuf(struct tcb *t, uint32_t copied)
{
	if (!(t->rx.ack_pending & SA_ACK_SCHED))
		return false;
	uint32_t mss = t->rcv_mss ? t->rcv_mss : 536;
	if (t->rcv_nxt - t->rcv_wup > mss)
		return true;
	/* "The user drained the receive buffer": nothing charged to it
	 * (sk_rmem_alloc: an unread FIN's skb and held out-of-order data
	 * count, window.c), or without skb accounting no byte queued. */
	bool drained =
	    t->st->prof.rcv_truesize ? t->rmem_alloc + t->rx.ooo_truesize == 0 : t->rcvq.len == 0;
	return copied > 0 &&
	       ((t->rx.ack_pending & SA_ACK_PUSHED2) ||
	        ((t->rx.ack_pending & SA_ACK_PUSHED) && !pingpong(t))) &&
	       drained;
}

/* Linux: tcpi_ato. */
uint32_t sa_delack_ato(const struct tcb *t)
{
	return t->rx.ato_us;
}
