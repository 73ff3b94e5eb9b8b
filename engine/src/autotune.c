/* Receive-buffer autotuning, as Linux does it (Dynamic Right-Sizing:
 * tcp_rcv_space_adjust, tcp_rcvbuf_grow). Once per receiver RTT
 * (rcv_rtt.c) the bytes the application read in that RTT are the demand;
 * when they exceed the last measure, the buffer grows to let a sender in
 * slow start double its rate, so that the window offered (RFC 7323 §2:
 * the receiver chooses it) is never what holds a bulk transfer back. Only
 * grows, only up to tcp_rmem[2], never a buffer SO_RCVBUF fixed. */
#include "internal.h"

/* Linux: tcp_space_from_win — the buffer a window needs (the inverse of
 * sa_win_from_space). */
uint64_t sa_space_from_win(const struct tcb *t, uint64_t win)
{
	if (t->st->prof.rcv_truesize)
		return (win << 8) / (t->scaling_ratio ? t->scaling_ratio : 1);
	int s = t->st->prof.tcp_adv_win_scale;
	if (s <= 0)
		return win << (-s < 31 ? -s : 31);
	s = s < 31 ? s : 31;
	return win * (1ull << s) / ((1ull << s) - 1);
}

/* Linux: tcp_init_buffer_space — the first measurement starts now. */
void sa_autotune_init(struct tcb *t)
{
	t->rcvq_space_seq = sa_copied_seq(t);
	t->rcvq_space_us = t->st->now_us;
}

/* Linux: tcp_rcvbuf_grow. newval: the new receive-space measure (the old
 * one again from the out-of-order path). DRS runs one RTT late: the window
 * the next ACK opens is used a round trip from now, by a sender that may
 * have doubled its rate twice by then — twice the demand, plus twice its
 * growth, plus what is held out of order. */
void sa_rcvbuf_grow(struct tcb *t, uint32_t newval)
{
	uint32_t oldval = t->rcvq_space;
	t->rcvq_space = newval;
	if (!t->st->prof.moderate_rcvbuf || t->rcvbuf_locked || !oldval)
		return;
	uint64_t rcvwin = (uint64_t)newval << 1;
	uint64_t grow = newval > oldval ? rcvwin * (newval - oldval) / oldval : 0;
	rcvwin += grow << 1;
	if (!sa_ooo_empty(t))
		rcvwin += sa_ooo_last_end(t) - t->rcv_nxt; /* ooo.c */
	uint64_t rcvbuf = SA_MIN(sa_space_from_win(t, rcvwin), (uint64_t)t->st->prof.rmem[2]);
	if (rcvbuf <= t->rcvbuf || !sa_rcvbuf_raise(t, (uint32_t)rcvbuf))
		return;
	t->window_clamp = sa_win_from_space(t, t->rcvbuf); /* the clamp follows */
}

/* The receive ring holds what the buffer may: it grows with it, at least
 * twofold (a buffer that creeps up must not copy the ring each time),
 * within tcp_rmem[2]; if it cannot (the engine's memory limit), neither does
 * the buffer. */
bool sa_rcvbuf_raise(struct tcb *t, uint32_t rcvbuf)
{
	if (rcvbuf <= t->rcvbuf)
		return false;
	if (t->rcvq.buf && rcvbuf > t->rcvq.cap) {
		uint64_t cap = SA_MAX((uint64_t)rcvbuf, 2ull * t->rcvq.cap);
		cap = SA_MIN(cap, SA_MAX((uint64_t)rcvbuf, (uint64_t)t->st->prof.rmem[2]));
		if (!sa_ring_grow(t->st, &t->rcvq, (uint32_t)cap))
			return false;
	}
	t->rcvbuf = rcvbuf;
	return true;
}

/* Linux: tcp_rcv_space_adjust, after each skb a read copies; copied_seq is
 * past it. The clock is the read's (6.18 measures at the read even with no
 * segment since the last one: window/receive-autotuning-drs.pkt). */
void sa_rcv_space_adjust(struct tcb *t, uint32_t copied_seq)
{
	uint32_t rtt8 = t->rx.rcv_rtt_us;
	if (!rtt8)
		return;
	uint64_t now = t->st->now_us;
	if (now - t->rcvq_space_us < (uint64_t)(rtt8 >> 3))
		return;
	/* Read in the last RTT, less what still waits to be read. */
	int32_t copied = (int32_t)(copied_seq - t->rcvq_space_seq);
	int32_t inq = (int32_t)(t->rcv_nxt - (t->rcv_fin ? 1u : 0u) - copied_seq);
	copied -= inq;
	if (copied > 0 && (uint32_t)copied > t->rcvq_space)
		sa_rcvbuf_grow(t, (uint32_t)copied);
	t->rcvq_space_seq = copied_seq;
	t->rcvq_space_us = now;
}

/* Linux: tcp_recvmsg_locked copies skb by skb and adjusts after each. A
 * read of n bytes from copied_seq0: the skb boundaries come from the
 * receive-memory records (window.c), still in place. */
void sa_autotune_read(struct tcb *t, uint32_t copied_seq0, uint32_t n)
{
	uint32_t done = 0;
	for (uint32_t i = 0; t->rskb && i < t->rskb_n && done < n; i++) {
		const struct sa_rskb *r = &t->rskb[(t->rskb_head + i) % t->rskb_cap];
		int32_t left = (int32_t)(r->end - (t->rcvq_out + done));
		if (left <= 0)
			continue;
		done += SA_MIN((uint32_t)left, n - done);
		sa_rcv_space_adjust(t, copied_seq0 + done);
	}
	if (done < n)
		sa_rcv_space_adjust(t, copied_seq0 + n);
}
