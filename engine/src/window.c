/* The receive window (Linux: tcp_select_initial_window, __tcp_select_window,
 * tcp_select_window, tcp_grow_window). */
#include "internal.h"

/* Linux: tcp_win_from_space — the share of a buffer offered as window,
 * tcp_adv_win_scale (1: half). */
uint32_t sa_win_from_space(const struct tcb *t, uint32_t space)
{
	int s = t->st->prof.tcp_adv_win_scale;
	if (s <= 0)
		return space >> (-s < 31 ? -s : 31);
	return space - (space >> (s < 31 ? s : 31));
}

uint32_t sa_full_space(const struct tcb *t)
{
	return sa_win_from_space(t, t->rcvbuf);
}

/* Linux: tcp_space — window left in the receive buffer. */
uint32_t sa_rcv_space(const struct tcb *t)
{
	uint32_t used = t->rcvq.len;
	/* The ring is sized once; a later, larger SO_RCVBUF cannot be offered. */
	uint32_t buf = t->rcvq.buf ? SA_MIN(t->rcvbuf, t->rcvq.cap) : t->rcvbuf;
	return sa_win_from_space(t, buf > used ? buf - used : 0);
}

/* RFC 7323 §2.3 / Linux tcp_select_initial_window: the shift that covers
 * the largest window the buffer may grow to (tcp_rmem[2], or the clamp when
 * SO_RCVBUF fixed the buffer): ilog2(space) - 15, at most 14. */
uint8_t sa_wscale_for(const struct synack_stack *st, uint32_t space)
{
	int l = 0;
	(void)st;
	while ((space >> l) > 1)
		l++;
	l -= 15;
	if (l < 0)
		l = 0;
	if (l > 14)
		l = 14; /* RFC 7323 §2.3: shift <= 14 */
	return (uint8_t)l;
}

/* Linux: tcp_select_initial_window (+ tcp_openreq_init_rwin's clamp for a
 * SO_RCVBUF-locked buffer). The MSS is what the peer may send us per
 * segment: advmss, less the timestamp option on the passive side. */
void sa_init_rcv_window(struct tcb *t, bool wscale_ok)
{
	uint32_t space = sa_full_space(t);
	uint32_t clamp = t->rcvbuf_locked ? space : 65535u << 14;
	uint32_t mss = t->advmss;
	if (t->state != SA_SYN_SENT && t->state != SA_CLOSED && t->ts_ok)
		mss -= 12;
	if (space > clamp)
		space = clamp;
	/* Quantize the offer to a multiple of the MSS. */
	if (space > mss)
		space = space / mss * mss;
	t->rcv_wnd = space;
	t->rcv_wscale = 0;
	if (wscale_ok) {
		uint32_t ws = SA_MAX(space, t->st->prof.rmem[2]);
		t->rcv_wscale = sa_wscale_for(t->st, SA_MIN(ws, clamp));
	}
	t->window_clamp = SA_MIN(65535u << t->rcv_wscale, clamp);
	/* Linux: tcp_init_buffer_space — the clamp is the full buffer's window. */
	if (t->window_clamp > sa_full_space(t))
		t->window_clamp = sa_full_space(t);
	t->rcv_ssthresh = SA_MIN(t->rcv_wnd, t->window_clamp);
}

/* Linux: __tcp_select_window. RFC 9293 MUST-39 receiver SWS avoidance: with
 * less than half the buffer free, offer nothing until a full MSS (or 1/16 of
 * the buffer) is free. */
static uint32_t raw_select(struct tcb *t)
{
	uint32_t mss = t->rcv_mss ? t->rcv_mss : t->advmss;
	uint32_t free_space = sa_rcv_space(t);
	uint32_t allowed = sa_full_space(t);
	uint32_t full = SA_MIN(t->window_clamp, allowed);
	uint32_t window;
	if (mss > full) {
		mss = full;
		if (!mss)
			return 0;
	}
	if (free_space < (full >> 1)) {
		free_space &= ~((1u << t->rcv_wscale) - 1);
		if (free_space < (allowed >> 4) || free_space < mss)
			return 0;
	}
	if (free_space > t->rcv_ssthresh)
		free_space = t->rcv_ssthresh;
	if (t->rcv_wscale) {
		uint32_t a = 1u << t->rcv_wscale;
		window = (free_space + a - 1) & ~(a - 1);
	} else {
		window = t->rcv_wnd;
		if (window + mss <= free_space || window > free_space)
			window = free_space / mss * mss;
		else if (mss == full && free_space > window + (full >> 1))
			window = free_space;
	}
	return window;
}

/* Linux: tcp_select_window — RFC 9293 §3.8.6.2.2: never shrink the window
 * already offered (the right edge RCV.WUP + RCV.WND stays put). */
uint16_t sa_select_window(struct tcb *t)
{
	uint32_t cur = 0;
	uint32_t right = t->rcv_wup + t->rcv_wnd;
	if (synack_seq_gt(right, t->rcv_nxt))
		cur = right - t->rcv_nxt;
	uint32_t w = raw_select(t);
	if (w < cur) {
		uint32_t a = 1u << t->rcv_wscale;
		w = (cur + a - 1) & ~(a - 1);
	}
	t->rcv_wnd = w;
	t->rcv_wup = t->rcv_nxt;
	if (w > (65535u << t->rcv_wscale))
		w = 65535u << t->rcv_wscale;
	return (uint16_t)(w >> t->rcv_wscale);
}

/* Linux: tcp_grow_window — the offered window opens by two segments per
 * data segment received, up to the clamp. */
void sa_grow_window(struct tcb *t, uint32_t len)
{
	(void)len;
	if (t->rcv_ssthresh < t->window_clamp && t->rcv_ssthresh < sa_rcv_space(t)) {
		t->rcv_ssthresh += 2u * t->advmss;
		if (t->rcv_ssthresh > t->window_clamp)
			t->rcv_ssthresh = t->window_clamp;
	}
}
