/* The receive window (Linux: tcp_select_initial_window, __tcp_select_window,
 * tcp_select_window, tcp_grow_window). */
#include "internal.h"

/* Linux: tcp_win_from_space — the share of a buffer offered as window:
 * space * scaling_ratio / 256 (Linux >= 6.5), or tcp_adv_win_scale (1: half). */
uint32_t sa_win_from_space(const struct tcb *t, uint32_t space)
{
	if (t->st->prof.rcv_truesize)
		return (uint32_t)(((uint64_t)space * t->scaling_ratio) >> 8);
	int s = t->st->prof.tcp_adv_win_scale;
	if (s <= 0)
		return space >> (-s < 31 ? -s : 31);
	return space - (space >> (s < 31 ? s : 31));
}

uint32_t sa_full_space(const struct tcb *t)
{
	return sa_win_from_space(t, t->rcvbuf);
}

/* What the receive queue costs: skb truesize (sk_rmem_alloc: the
 * out-of-order queue's skbs too), or payload. */
static uint32_t rmem_used(const struct tcb *t)
{
	return t->st->prof.rcv_truesize ? t->rmem_alloc + t->rx.ooo_truesize : t->rcvq.len;
}

/* Linux: tcp_space — window left in the receive buffer. */
uint32_t sa_rcv_space(const struct tcb *t)
{
	uint32_t used = rmem_used(t);
	/* The ring is sized once; a later, larger SO_RCVBUF cannot be offered. */
	uint32_t buf = t->rcvq.buf ? SA_MIN(t->rcvbuf, t->rcvq.cap) : t->rcvbuf;
	return sa_win_from_space(t, buf > used ? buf - used : 0);
}

/* Sizes of Linux's skb layout on x86-64 (include/linux/skbuff.h). */
/* How the skb of a received packet of n bytes (IP header on) is laid out
 * on the CI kernel, measured with `ss -m` (skmem r) after single segments
 * and pairs: the allocation asks for n + 30 bytes — the head switches from
 * the small-head cache to 1024 bytes at 187 payload bytes without options,
 * to 2048 at 635 — and the IP header starts 16 bytes in, so a second
 * segment fits in the tailroom up to 100 bytes after a 100-byte one, 14
 * after a 634-byte one. The 30 and 16 are those of an Ethernet frame sent
 * through an AF_PACKET socket (LL_RESERVED_SPACE 16 + the 14-byte header,
 * pulled before TCP), as the Linux stack injects; a NIC driver differs. */
#define SKB_ALLOC_PAD  30u
#define SKB_HEADROOM   16u
#define SKB_ALIGN(x)   (((x) + 63u) & ~63u) /* SKB_DATA_ALIGN: cache lines */
#define SKB_SHINFO     320u                 /* SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) */
#define SKB_STRUCT     256u                 /* SKB_DATA_ALIGN(sizeof(struct sk_buff)) */
#define SKB_SMALL_HEAD 576u /* SKB_SMALL_HEAD_CACHE_SIZE: MAX_TCP_HEADER 256 + shinfo (measured) */

/* Linux: the truesize of the linear skb that carries a packet of `hdr`
 * header bytes and `len` payload bytes (sock_alloc_send_pskb → __alloc_skb
 * → kmalloc_reserve: the head from the small-head cache or a kmalloc
 * bucket; truesize = head + struct sk_buff, SKB_TRUESIZE). *tailroom: what
 * skb_try_coalesce may still copy in. */
uint32_t sa_skb_truesize(const struct tcb *t, uint32_t len, uint32_t hdr, uint32_t *tailroom)
{
	(void)t;
	uint32_t head = SKB_ALIGN(SKB_ALLOC_PAD + hdr + len) + SKB_SHINFO;
	if (head <= SKB_SMALL_HEAD) {
		head = SKB_SMALL_HEAD;
	} else {
		uint32_t b = 1024; /* kmalloc_size_roundup: power-of-two buckets */
		while (b < head)
			b <<= 1;
		head = b;
	}
	*tailroom = head - SKB_SHINFO - (SKB_HEADROOM + hdr + len);
	return head + SKB_STRUCT;
}

/* Linux: tcp_queue_rcv → tcp_try_coalesce (skb_try_coalesce copies a
 * segment into the tail skb's tailroom: no new charge) or skb_set_owner_r
 * (sk_rmem_alloc += truesize). An skb that starts before the tail's end
 * (part of it was received already) is never coalesced: it is queued whole.
 * The records are bounded by the buffer; if they run out, the bytes join
 * the tail skb. */
bool sa_rmem_charge(struct tcb *t, uint32_t len, uint32_t truesize, uint32_t tailroom,
                    bool overlaps)
{
	t->rcvq_in += len; /* counted even if no record can be kept */
	if (!t->rskb) {
		uint32_t cap = SA_MAX(t->rcvbuf, t->rcvq.cap) / 512 + 4;
		t->rskb = sa_alloc(t->st, cap * sizeof(*t->rskb));
		if (!t->rskb)
			return false;
		t->rskb_cap = cap;
		t->rskb_head = 0;
		t->rskb_n = 0;
	}
	if (t->rskb_n) {
		struct sa_rskb *tail = &t->rskb[(t->rskb_head + t->rskb_n - 1) % t->rskb_cap];
		if ((!overlaps && len <= tail->tailroom) || t->rskb_n == t->rskb_cap) {
			tail->end = t->rcvq_in;
			tail->tailroom = len <= tail->tailroom ? tail->tailroom - len : 0;
			return true;
		}
	}
	struct sa_rskb *r = &t->rskb[(t->rskb_head + t->rskb_n) % t->rskb_cap];
	r->end = t->rcvq_in;
	r->truesize = truesize;
	r->tailroom = tailroom;
	t->rskb_n++;
	t->rmem_alloc += truesize;
	return true;
}

/* Linux: tcp_queue_rcv — a FIN without data is an skb too: copied into the
 * tail skb if data is still queued (skb_try_coalesce, nothing to copy), else
 * queued on its own and charged until the read that reaches it frees it
 * (tcp_recvmsg found_fin_ok: the end of stream, or a read running past the
 * last data). Its truesize shows in the window its ACK offers. */
void sa_rmem_charge_fin(struct tcb *t, uint32_t hdr)
{
	if (!t->st->prof.rcv_truesize)
		return;
	uint32_t tailroom;
	uint32_t truesize = sa_skb_truesize(t, 0, hdr, &tailroom);
	sa_rmem_charge(t, 0, truesize, tailroom, false);
}

/* Linux: tcp_ofo_queue moves the out-of-order skbs, truesize and all, to
 * the receive queue. ooo.c keeps runs of bytes, not skbs: the run is
 * charged as segments of rcv_mss bytes with the usual headers. */
void sa_rmem_charge_run(struct tcb *t, uint32_t n)
{
	uint32_t mss = t->rcv_mss ? t->rcv_mss : t->advmss;
	uint32_t hdr = (t->family == 6 ? 40u : 20u) + 20u + (t->ts_ok ? 12u : 0u);
	while (n) {
		uint32_t len = SA_MIN(n, mss);
		uint32_t tailroom;
		uint32_t ts = sa_skb_truesize(t, len, hdr, &tailroom);
		sa_rmem_charge(t, len, ts, tailroom, false);
		n -= len;
	}
}

/* Linux: tcp_recvmsg → sk_eat_skb — an skb is freed (and its truesize
 * uncharged) only once all its bytes were read. */
void sa_rmem_uncharge(struct tcb *t, uint32_t n)
{
	t->rcvq_out += n;
	while (t->rskb_n && (int32_t)(t->rskb[t->rskb_head].end - t->rcvq_out) <= 0) {
		t->rmem_alloc -= t->rskb[t->rskb_head].truesize;
		t->rskb_head = (t->rskb_head + 1) % t->rskb_cap;
		t->rskb_n--;
	}
}

void sa_rmem_free(struct tcb *t)
{
	sa_free(t->st, t->rskb);
	t->rskb = NULL;
	t->rskb_cap = t->rskb_n = t->rskb_head = 0;
	t->rmem_alloc = 0;
}

/* Linux: tcp_set_window_clamp — at least SOCK_MIN_RCVBUF / 2 (2304 / 2 on
 * x86-64); a larger clamp lifts rcv_ssthresh to the window offered, a
 * smaller one caps it. */
void sa_set_window_clamp(struct tcb *t, uint32_t val)
{
	uint32_t old = t->window_clamp;
	uint32_t clamp = SA_MAX(val, 1152u); /* SOCK_MIN_RCVBUF / 2 */
	if (clamp == old)
		return;
	t->window_clamp = clamp;
	if (clamp < old)
		t->rcv_ssthresh = SA_MIN(t->rcv_ssthresh, clamp);
	else
		t->rcv_ssthresh = SA_MAX(SA_MIN(t->rcv_wnd, clamp), t->rcv_ssthresh);
}

/* Linux: tcp_measure_rcv_mss (its common case) — a segment at least as
 * large as the estimate becomes it; when its size changes, scaling_ratio is
 * re-measured as payload / truesize and the clamp follows the buffer. */
void sa_measure_rcv_mss(struct tcb *t, uint32_t len, uint32_t truesize)
{
	if (len < t->rcv_mss)
		return;
	if (t->st->prof.rcv_truesize && len != t->rcv_mss && truesize) {
		uint32_t r = (uint32_t)(((uint64_t)len << 8) / truesize);
		uint8_t old = t->scaling_ratio;
		t->scaling_ratio = (uint8_t)(r ? SA_MIN(r, 255u) : 1);
		if (old != t->scaling_ratio) {
			sa_set_window_clamp(t, sa_win_from_space(t, t->rcvbuf));
			if (t->window_clamp < t->rcv_ssthresh)
				t->rcv_ssthresh = t->window_clamp;
		}
	}
	t->rcv_mss = (uint16_t)SA_MIN(len, (uint32_t)t->advmss);
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

/* Linux: tcp_select_initial_window (+ tcp_openreq_init_rwin's and
 * tcp_connect_init's clamp for a SO_RCVBUF-locked buffer). The clamp starts
 * from the socket's (TCP_WINDOW_CLAMP, the listener's for a child, or what
 * an earlier connect() left), else the largest scaled window. `mss` is what
 * the offer is quantized to. */
void sa_init_rcv_window_mss(struct tcb *t, bool wscale_ok, uint32_t mss)
{
	uint32_t space = sa_full_space(t);
	uint32_t clamp = t->window_clamp ? t->window_clamp : 65535u << 14;
	if (t->rcvbuf_locked && clamp > space)
		clamp = space;
	if (space > clamp)
		space = clamp;
	/* Quantize the offer to a multiple of the MSS. */
	if (space > mss)
		space = space / mss * mss;
	t->rcv_wnd = space;
	t->rcv_wscale = 0;
	if (wscale_ok) {
		/* Linux 6.x: the shift covers the largest of the offer,
		 * tcp_rmem[2] and net.core.rmem_max, within the clamp (measured
		 * on 6.18: tcp_rmem "1088 1088 1088" with rmem_max 4 MiB gives
		 * wscale 7). */
		uint32_t ws = SA_MAX(space, t->st->prof.rmem[2]);
		ws = SA_MAX(ws, t->st->prof.rmem_max);
		t->rcv_wscale = sa_wscale_for(t->st, SA_MIN(ws, clamp));
	}
	t->window_clamp = SA_MIN(65535u << t->rcv_wscale, clamp);
	t->rcv_ssthresh = t->rcv_wnd;
}

/* Linux: tcp_init_buffer_space, on entering ESTABLISHED (with advmss less
 * the timestamp option by then): the clamp is the full buffer's window,
 * less 1/2^tcp_app_win of it, and one MSS is kept back ("force reservation
 * of one segment"); the receive-space estimate of autotuning starts at ten
 * segments at most (TCP_INIT_CWND). */
void sa_init_buffer_space(struct tcb *t)
{
	uint32_t maxwin = sa_full_space(t);
	uint8_t app_win = t->st->prof.tcp_app_win;
	if (t->window_clamp >= maxwin) {
		t->window_clamp = maxwin;
		if (app_win && maxwin > 4u * t->advmss)
			t->window_clamp = SA_MAX(maxwin - (maxwin >> app_win), 4u * t->advmss);
	}
	if (app_win && t->window_clamp > 2u * t->advmss && t->window_clamp + t->advmss > maxwin)
		t->window_clamp = SA_MAX(2u * t->advmss, maxwin - t->advmss);
	t->rcv_ssthresh = SA_MIN(t->rcv_ssthresh, t->window_clamp);
	t->rcvq_space = SA_MIN(SA_MIN(t->rcv_ssthresh, t->rcv_wnd), 10u * t->advmss);
	sa_autotune_init(t); /* autotune.c */
}

/* The MSS the peer may send us per segment: advmss, less the timestamp
 * option on the passive side (tcp_openreq_init_rwin); the active side
 * quantizes by advmss itself (tcp_connect_init). */
void sa_init_rcv_window(struct tcb *t, bool wscale_ok)
{
	uint32_t mss = t->advmss;
	if (t->state != SA_SYN_SENT && t->state != SA_CLOSED && t->ts_ok)
		mss -= 12;
	sa_init_rcv_window_mss(t, wscale_ok, mss);
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
		/* Linux: the buffer is filling, stop quick ACKs (icsk_ack.quick = 0). */
		t->rx.quick = 0;
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

/* Linux: __tcp_select_window(sk) >= tp->rcv_wnd (for delack.c). */
bool sa_window_wont_shrink(struct tcb *t)
{
	return raw_select(t) >= t->rcv_wnd;
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

/* Linux: tcp_grow_window (from tcp_event_data_recv for in-order segments
 * of at least 128 bytes, from tcp_data_queue_ofo for any held one) —
 * rcv_ssthresh, the ceiling of the window offered, opens
 * by two MSS per segment whose truesize overhead the buffer can carry, up
 * to min(clamp, free space); each step earns one quick ACK
 * (icsk_ack.quick |= 1). */
void sa_grow_window(struct tcb *t, uint32_t len, uint32_t truesize)
{
	if (!t->st->prof.rcv_truesize) {
		/* Payload accounting: grow by two segments per data segment. */
		if (t->rcv_ssthresh < t->window_clamp && t->rcv_ssthresh < sa_rcv_space(t)) {
			t->rcv_ssthresh += 2u * t->advmss;
			if (t->rcv_ssthresh > t->window_clamp)
				t->rcv_ssthresh = t->window_clamp;
		}
		return;
	}
	int64_t room = (int64_t)SA_MIN(t->window_clamp, sa_rcv_space(t)) - t->rcv_ssthresh;
	if (room <= 0)
		return;
	uint32_t incr = 0;
	if (sa_win_from_space(t, truesize) <= len) {
		incr = 2u * t->advmss;
	} else {
		/* __tcp_grow_window: halve truesize and tcp_rmem[2]'s window
		 * together while rcv_ssthresh stays below the latter. */
		uint32_t ts = sa_win_from_space(t, truesize) >> 1;
		uint32_t window = sa_win_from_space(t, t->st->prof.rmem[2]) >> 1;
		while (t->rcv_ssthresh <= window) {
			if (ts <= len) {
				incr = 2u * t->rcv_mss;
				break;
			}
			ts >>= 1;
			window >>= 1;
		}
	}
	if (incr) {
		incr = SA_MAX(incr, 2u * len);
		t->rcv_ssthresh += (uint32_t)SA_MIN((int64_t)incr, room);
		t->rx.quick |= 1;
	}
}
