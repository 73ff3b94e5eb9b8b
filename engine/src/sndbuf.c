/* The send buffer as Linux charges it (profile snd_truesize).
 *
 * Linux queues written data in skbs (tcp_sendmsg_locked): it appends to the
 * unsent tail skb up to size_goal, and starts a new skb only while the
 * queued truesize (sk_wmem_queued) is below SO_SNDBUF — so a write may take
 * up to a whole skb more than the buffer. Every skb costs its payload plus
 * its head (SA_SKB_HEAD); a transmission that sends part of an skb splits
 * it (tso_fragment), which costs another head. An skb never leaves in a
 * transmission with the next one (tcp_write_xmit goes skb by skb).
 *
 * The engine keeps the bytes in a ring; here are the unsent skbs' lengths,
 * oldest first, and the sent ones are the sent-segment queue's skbs (rtx.c:
 * SA_TX_JOINED links the segments of one). Measured on Linux 6.18 by
 * bisecting SO_SNDBUF (docs/engine.md). */
#include "internal.h"

/* Linux: sk_gso_max_size — the device's 65536 less MAX_TCP_HEADER + 1
 * (sk_dst_gso_max_size). */
#define SA_GSO_MAX_SIZE (65536u - 257u)

/* Linux: tcp_xmit_size_goal — a multiple of the MSS of at most half the
 * largest window the peer offered (tcp_bound_to_half_wnd), at least one
 * MSS; an MSG_OOB write is cut at the MSS. */
uint32_t sa_size_goal(const struct tcb *t, bool large)
{
	uint32_t mss = sa_cur_mss(t);
	if (!large)
		return mss;
	uint32_t goal = SA_GSO_MAX_SIZE;
	uint32_t cutoff = t->max_snd_wnd > 536 ? t->max_snd_wnd >> 1 : t->max_snd_wnd;
	if (cutoff && goal > cutoff)
		goal = SA_MAX(cutoff, 68u - (t->ts_ok ? 32u : 20u));
	goal = goal / mss * mss;
	return SA_MAX(goal, mss);
}

/* An entry: the skb's length, and USKB_PSH if it is marked for PSH. */
#define USKB_PSH    0x80000000u
#define USKB_LEN(e) ((e) & ~USKB_PSH)

static uint32_t *uskb_at(const struct tcb *t, uint32_t i)
{
	uint32_t k = t->uskb_head + i;
	if (k >= t->uskb_cap)
		k -= t->uskb_cap;
	return &t->uskb[k];
}

/* Skbs in the sent-segment queue: a segment not joined to the next ends one. */
static uint32_t sent_skbs(const struct tcb *t)
{
	if (!t->txq_len)
		return 0;
	/* A walk with a wrapping index: this runs on every poll and write. */
	uint32_t n = 1, j = t->txq_head;
	for (uint32_t i = 0; i + 1 < t->txq_len; i++) {
		if (!(t->txq[j].flags & SA_TX_JOINED))
			n++;
		if (++j == t->txq_cap)
			j = 0;
	}
	return n;
}

/* Linux: sk_wmem_queued. A FIN queued with no unsent skb to ride on has
 * one of its own (tcp_send_fin). */
uint32_t sa_wmem_queued(const struct tcb *t)
{
	if (!t->st->prof.snd_truesize)
		return t->sndq.len;
	uint32_t skbs = sent_skbs(t) + t->uskb_n;
	if (t->fin_queued && !t->fin_sent && !t->uskb_n)
		skbs++;
	return t->sndq.len + skbs * SA_SKB_HEAD;
}

/* Linux: tcp_stream_memory_free — TCP_NOTSENT_LOWAT: fewer unsent bytes
 * than the mark (twice as few to wake a writer: wake = 1). */
static bool below_lowat(const struct tcb *t, unsigned wake)
{
	uint32_t lowat = t->notsent_lowat ? t->notsent_lowat : t->st->prof.notsent_lowat;
	return ((uint64_t)sa_unsent(t) << wake) < lowat;
}

/* Linux: __sk_stream_memory_free (wake = 0): room for a new skb. */
bool sa_sndbuf_memory_free(const struct tcb *t)
{
	return sa_wmem_queued(t) < t->sndbuf && below_lowat(t, 0);
}

/* Linux: __sk_stream_is_writeable(sk, 1) — free space at least half of
 * what is queued, something free, and the unsent bytes well below
 * TCP_NOTSENT_LOWAT. */
bool sa_sndbuf_writable(const struct tcb *t)
{
	uint32_t q = sa_wmem_queued(t);
	return t->sndbuf > q && t->sndbuf - q >= q / 2 && below_lowat(t, 1);
}

/* A new, empty unsent skb at the tail. The list grows by doubling; it is
 * bounded because a new skb needs sk_wmem_queued below SO_SNDBUF and each
 * costs at least SA_SKB_HEAD + 1. */
bool sa_uskb_new(struct tcb *t)
{
	if (t->uskb_n == t->uskb_cap) {
		uint32_t cap = t->uskb_cap ? 2 * t->uskb_cap : 16;
		uint32_t *n = sa_alloc_raw(t->st, cap * sizeof(*n));
		if (!n)
			return false;
		for (uint32_t i = 0; i < t->uskb_n; i++)
			n[i] = *uskb_at(t, i);
		if (t->uskb)
			sa_free(t->st, t->uskb);
		t->uskb = n;
		t->uskb_cap = cap;
		t->uskb_head = 0;
	}
	t->uskb_n++;
	*uskb_at(t, t->uskb_n - 1) = 0;
	return true;
}

uint32_t sa_uskb_tail_len(const struct tcb *t)
{
	return t->uskb_n ? USKB_LEN(*uskb_at(t, t->uskb_n - 1)) : 0;
}

/* Linux: tcp_mark_push (on: PSH on the tail skb, pushed_seq = write_seq);
 * a write clears the mark of the skb it first appends to. */
void sa_uskb_mark_push(struct tcb *t, bool on)
{
	if (!t->uskb_n)
		return;
	uint32_t *e = uskb_at(t, t->uskb_n - 1);
	*e = on ? *e | USKB_PSH : USKB_LEN(*e);
	if (on)
		t->pushed_seq = t->snd_una + t->sndq.len;
}

/* Whether sending len bytes from the unsent head ends a PSH-marked skb
 * (tso_fragment leaves the mark on the part not sent). */
bool sa_uskb_ends_pushed(const struct tcb *t, uint32_t len)
{
	if (!t->uskb_n)
		return false;
	uint32_t e = *uskb_at(t, 0);
	return (e & USKB_PSH) && len >= USKB_LEN(e);
}

void sa_uskb_append(struct tcb *t, uint32_t n)
{
	if (t->uskb_n)
		*uskb_at(t, t->uskb_n - 1) += n;
}

void sa_uskb_drop_tail(struct tcb *t)
{
	if (t->uskb_n)
		t->uskb_n--;
}

/* Bytes left in the unsent head skb (where a transmission must stop);
 * without the model, all that is unsent. */
uint32_t sa_uskb_head_left(const struct tcb *t)
{
	if (!t->st->prof.snd_truesize || !t->uskb_n)
		return sa_unsent(t);
	return USKB_LEN(*uskb_at(t, 0));
}

/* Linux: tcp_grow_skb (6.11+) — before a transmission, the head skb takes
 * up to `want` bytes' worth from the next one (what cwnd and TSO sizing
 * would let it carry); a next skb emptied is freed and its PSH kept. */
void sa_uskb_grow_head(struct tcb *t, uint32_t want)
{
	if (!t->st->prof.snd_truesize || t->uskb_n < 2)
		return;
	uint32_t *h = uskb_at(t, 0), *n = uskb_at(t, 1);
	uint32_t hl = USKB_LEN(*h), nl = USKB_LEN(*n);
	if (want <= hl)
		return;
	uint32_t k = SA_MIN(want - hl, nl);
	if (k < nl) {
		*h += k;
		*n -= k;
		return;
	}
	*n = (hl + nl) | (*h & USKB_PSH) | (*n & USKB_PSH);
	t->uskb_head = t->uskb_head + 1 == t->uskb_cap ? 0 : t->uskb_head + 1;
	t->uskb_n--;
}

/* n new bytes went out from the head of the unsent data. */
void sa_uskb_sent(struct tcb *t, uint32_t n)
{
	while (n && t->uskb_n) {
		uint32_t *h = uskb_at(t, 0);
		uint32_t k = SA_MIN(n, USKB_LEN(*h));
		*h -= k;
		n -= k;
		if (USKB_LEN(*h) == 0) {
			t->uskb_head = t->uskb_head + 1 == t->uskb_cap ? 0 : t->uskb_head + 1;
			t->uskb_n--;
		}
	}
}

/* Everything unsent is gone (a reset, an abort, a disconnect). */
void sa_uskb_clear(struct tcb *t)
{
	t->uskb_n = 0;
	t->uskb_head = 0;
}

void sa_uskb_free(struct tcb *t)
{
	if (t->uskb)
		sa_free(t->st, t->uskb);
	t->uskb = NULL;
	t->uskb_cap = t->uskb_n = t->uskb_head = 0;
}

/* Self-check (invariants.c): the unsent skbs hold exactly the unsent bytes. */
bool sa_uskb_consistent(const struct tcb *t)
{
	if (!t->st->prof.snd_truesize)
		return true;
	uint64_t sum = 0;
	for (uint32_t i = 0; i < t->uskb_n; i++)
		sum += USKB_LEN(*uskb_at(t, i));
	return sum == sa_unsent(t);
}
