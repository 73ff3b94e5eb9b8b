/* Receive memory under pressure (Linux: tcp_try_rmem_schedule,
 * tcp_prune_queue, tcp_clamp_window). The window the receiver offers keeps
 * in-order payload within the buffer, but Linux charges skbs by truesize:
 * held segments of a few bytes each cost hundreds, and can outgrow the
 * buffer before the window closes. Linux then admits a segment only while
 * rmem + its length fits the buffer (tcp_can_ingest), and when it does not
 * it first clamps the window's growth, then copies contiguous held skbs into
 * page-sized ones (tcp_collapse_ofo_queue, ooo.c), then drops held data from
 * the top (tcp_prune_ofo_queue, ooo.c), and drops the segment if even that
 * is not enough. RFC 2018 §8 lets a receiver discard data it SACKed, RFC
 * 9293 §3.10.7.4 any segment it cannot hold. Only with the profile's
 * truesize accounting (rcv_truesize); the rfc profile counts payload, which
 * the window bounds. */
#include "internal.h"

bool sa_rmem_can_ingest(const struct tcb *t, uint32_t len)
{
	return (uint64_t)t->rmem_alloc + t->rx.ooo_truesize + len <= t->rcvbuf;
}

/* Linux: tcp_clamp_window — no quick ACKs; an autotuned buffer grows to
 * what is charged (up to tcp_rmem[2]; the ring must follow, autotune.c);
 * if still over it, the window's growth is held to two segments. */
static void clamp_window(struct tcb *t)
{
	uint32_t rmem = t->rmem_alloc + t->rx.ooo_truesize;
	t->rx.quick = 0;
	if (t->rcvbuf < t->st->prof.rmem[2] && !t->rcvbuf_locked)
		sa_rcvbuf_raise(t, SA_MIN(rmem, t->st->prof.rmem[2])); /* autotune.c */
	if (rmem > t->rcvbuf)
		t->rcv_ssthresh = SA_MIN(t->window_clamp, 2u * t->advmss);
}

bool sa_rmem_schedule(struct tcb *t, uint32_t seq, uint32_t len)
{
	if (!t->st->prof.rcv_truesize || sa_rmem_can_ingest(t, len))
		return true;
	/* Linux: tcp_prune_queue. */
	if (t->rmem_alloc + t->rx.ooo_truesize >= t->rcvbuf)
		clamp_window(t);
	if (sa_rmem_can_ingest(t, len))
		return true;
	sa_ooo_collapse(t); /* ooo.c */
	if (sa_rmem_can_ingest(t, len))
		return true;
	/* "Collapsing did not help, destructive actions follow." */
	sa_ooo_prune(t, seq, len); /* ooo.c */
	if (sa_rmem_can_ingest(t, len))
		return true;
	t->st->stats.rcv_pruned++; /* Linux: RcvPruned */
	return false;
}
