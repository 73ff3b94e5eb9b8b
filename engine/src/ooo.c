/* The out-of-order queue: segments beyond RCV.NXT are kept for reassembly
 * (RFC 9293 §3.10.7.4: "segments with higher beginning sequence numbers
 * SHOULD be held for later processing"; RFC 1122 §4.2.2.20 (g) — Linux:
 * tcp_data_queue_ofo, tcp_ofo_queue).
 *
 * A sorted list of non-overlapping runs, one per skb that brought data
 * (pieces of one skb around held data after the first carry no truesize).
 * Under memory pressure (rmem.c) contiguous runs are collapsed into
 * page-sized ones and the highest pruned, as Linux does. Memory (run headers
 * + payload) plus the in-order queue never exceeds the receive buffer
 * either: the engine's own bound, beyond which a segment is dropped and the
 * sender retransmits. Bytes a new segment repeats
 * are reported as D-SACK (RFC 2883 §4; Linux: tcp_dsack_set/extend). Runs
 * beyond a held FIN are kept as Linux keeps them, and dropped with the rest
 * once the FIN is in order (Linux: tcp_fin purges the queue).
 */
#include <string.h>

#include "internal.h"

bool sa_ooo_empty(const struct tcb *t)
{
	return t->rx.ooo == NULL;
}

uint32_t sa_ooo_last_end(const struct tcb *t)
{
	const struct sa_ooo_seg *n = t->rx.ooo;
	if (!n)
		return t->rcv_nxt;
	while (n->next)
		n = n->next;
	return n->end + (n->fin ? 1u : 0u);
}

void sa_ooo_purge(struct tcb *t)
{
	struct sa_ooo_seg *n = t->rx.ooo;
	while (n) {
		struct sa_ooo_seg *next = n->next;
		sa_free(t->st, n);
		n = next;
	}
	t->rx.ooo = NULL;
	t->rx.ooo_mem = 0;
	t->rx.ooo_truesize = 0;
	t->rx.n_sack = 0;
}

/* A macro, not a function: the invariant checker below, built without
 * sanitizers, uses it too (a sanitized function is not inlined there). */
#define node_size(len) (sizeof(struct sa_ooo_seg) + (size_t)(len))

/* The receive memory: the buffer, or the ring if it was sized larger
 * before SO_RCVBUF shrank it. */
static uint32_t rmem(const struct tcb *t)
{
	return SA_MAX(t->rcvbuf, t->rcvq.cap);
}

/* Linux: tcp_prune_ofo_queue — in-order data has priority: drop held runs
 * from the highest sequence down until `need` more bytes fit; the SACK
 * blocks are reset (tcp_sack_reset). */
void sa_ooo_make_room(struct tcb *t, uint32_t need)
{
	bool pruned = false;
	while (t->rx.ooo && (uint64_t)t->rcvq.len + need + t->rx.ooo_mem > rmem(t)) {
		struct sa_ooo_seg **link = &t->rx.ooo;
		while ((*link)->next)
			link = &(*link)->next;
		t->rx.ooo_mem -= (uint32_t)node_size((*link)->end - (*link)->seq);
		t->rx.ooo_truesize -= (*link)->truesize;
		sa_free(t->st, *link);
		*link = NULL;
		pruned = true;
	}
	if (pruned)
		t->rx.n_sack = 0;
}

/* Linux: tcp_prune_ofo_queue(sk, in_skb) under memory pressure — held skbs
 * go from the highest sequence down, but never one the incoming segment
 * would land below (a segment that would land last stops it at once), in
 * steps of an eighth of the buffer until the segment fits; pruning resets
 * the SACK blocks (tcp_sack_reset). True if anything was pruned. */
bool sa_ooo_prune(struct tcb *t, uint32_t in_seq, uint32_t in_len)
{
	bool pruned = false;
	int64_t goal = t->rcvbuf >> 3;
	while (t->rx.ooo) {
		struct sa_ooo_seg **link = &t->rx.ooo;
		while ((*link)->next)
			link = &(*link)->next;
		struct sa_ooo_seg *n = *link;
		if (synack_seq_gt(in_seq, n->seq))
			break;
		pruned = true;
		goal -= n->truesize;
		t->rx.ooo_mem -= (uint32_t)node_size(n->end - n->seq);
		t->rx.ooo_truesize -= n->truesize;
		sa_free(t->st, n);
		*link = NULL;
		if (!t->rx.ooo || goal <= 0) {
			if (sa_rmem_can_ingest(t, in_len))
				break;
			goal = t->rcvbuf >> 3;
		}
	}
	if (pruned) {
		t->rx.n_sack = 0;
		t->rx.dsack = false;
	}
	return pruned;
}

/* Linux: alloc_skb(size) as tcp_collapse asks for it — a kmalloc'ed head
 * (the small-head cache up to 256 bytes of data, else a power-of-two
 * bucket) plus struct sk_buff. *room: the data it can hold. */
static uint32_t collapse_skb_truesize(uint32_t size, uint32_t *room)
{
	uint32_t head = ((size + 63u) & ~63u) + 320u; /* SKB_DATA_ALIGN + shinfo */
	if (head <= 576u) {
		head = 576u; /* SKB_SMALL_HEAD_CACHE_SIZE */
	} else {
		uint32_t b = 1024;
		while (b < head)
			b <<= 1;
		head = b;
	}
	*room = head - 320u;
	return head + 256u;
}

#define SKB_MAX_ORDER0 3776u /* SKB_WITH_OVERHEAD(PAGE_SIZE) */

/* Linux: tcp_collapse on the out-of-order queue, for the contiguous runs
 * from *first up to (not including) stop, covering [start, end): runs that
 * pay their way (not bloated: win_from_space(truesize) <= len) are skipped;
 * from the first that does not, the bytes are copied into new skbs of at
 * most a page (SKB_MAX_ORDER(0, 0)), the old ones freed, up to `end` or a
 * run that carries a FIN. */
static void collapse_range(struct tcb *t, struct sa_ooo_seg **first, const struct sa_ooo_seg *stop,
                           uint32_t start, uint32_t end)
{
	struct sa_ooo_seg **link = first;
	while (*link != stop) {
		struct sa_ooo_seg *n = *link;
		uint32_t len = n->end - n->seq;
		if (!n->fin && n->truesize && sa_win_from_space(t, n->truesize) > len)
			break;
		start = n->end + (n->fin ? 1u : 0u); /* Linux: end_seq */
		link = &n->next;
	}
	if (*link == stop || (*link)->fin || (*link)->seq != start)
		return;
	struct sa_ooo_seg *src = *link;
	while (synack_seq_lt(start, end)) {
		uint32_t room, copy = SA_MIN(SKB_MAX_ORDER0, end - start), alloc = copy;
		uint32_t truesize = collapse_skb_truesize(copy, &room);
		struct sa_ooo_seg *nn = sa_alloc(t->st, node_size(copy));
		if (!nn) {
			/* Linux keeps the skb it was copying, overlapping what
			 * was copied; runs do not overlap: trim its front. */
			if (synack_seq_lt(src->seq, start)) {
				uint32_t cut = start - src->seq;
				memmove(src->data, src->data + cut, src->end - start);
				src->seq = start;
				t->rx.ooo_mem -= cut;
			}
			break;
		}
		nn->seq = nn->end = start;
		nn->fin = false;
		nn->truesize = truesize;
		t->rx.ooo_truesize += truesize;
		t->rx.ooo_mem += (uint32_t)node_size(copy);
		bool done = false;
		while (copy) {
			uint32_t off = start - src->seq, size = src->end - start;
			if (size) {
				size = SA_MIN(copy, size);
				memcpy(nn->data + (nn->end - nn->seq), src->data + off, size);
				nn->end += size;
				copy -= size;
				start += size;
			}
			if (!synack_seq_lt(start, src->end)) {
				struct sa_ooo_seg *next = src->next;
				t->rx.ooo_mem -= (uint32_t)node_size(src->end - src->seq);
				t->rx.ooo_truesize -= src->truesize;
				sa_free(t->st, src);
				src = next;
				if (!src || src == stop || src->fin || src->seq != start) {
					done = true;
					break;
				}
			}
		}
		/* Sized for `alloc` bytes, it holds fewer when a FIN run
		 * ended the copy: counted by what it holds. */
		t->rx.ooo_mem -= (uint32_t)(node_size(alloc) - node_size(nn->end - nn->seq));
		nn->tailroom = room - (nn->end - nn->seq);
		nn->skb_seq = nn->seq; /* a new skb of its own */
		nn->skb_end = nn->end;
		*link = nn;
		link = &nn->next;
		if (done)
			break;
	}
	*link = src;
}

/* Linux: tcp_collapse_ofo_queue — each range of contiguous held skbs is
 * collapsed unless it is one skb smaller than a page; tiny ranges left
 * alone count, and past an eighth of the buffer of them it stops. */
void sa_ooo_collapse(struct tcb *t)
{
	uint32_t sum_tiny = 0;
	struct sa_ooo_seg **head = &t->rx.ooo;
	while (*head) {
		struct sa_ooo_seg *h = *head, *last = h;
		uint32_t start = h->seq, end = h->end + (h->fin ? 1u : 0u);
		uint32_t range_truesize = h->truesize;
		while (last->next && !synack_seq_gt(last->next->seq, end)) {
			last = last->next;
			range_truesize += last->truesize;
			uint32_t e = last->end + (last->fin ? 1u : 0u);
			if (synack_seq_gt(e, end))
				end = e;
		}
		struct sa_ooo_seg *stop = last->next;
		if (range_truesize != h->truesize || end - start >= SKB_MAX_ORDER0) {
			collapse_range(t, head, stop, start, end);
		} else {
			sum_tiny += range_truesize;
			if (sum_tiny > t->rcvbuf >> 3)
				return;
		}
		while (*head != stop)
			head = &(*head)->next;
	}
}

/* Links a new run [seq, seq+len) before *link; false if over the bound. */
static bool add_run(struct tcb *t, struct sa_ooo_seg **link, uint32_t seq, const uint8_t *p,
                    uint32_t len, bool fin, uint32_t *truesize, uint32_t tailroom, uint32_t skb_seq,
                    uint32_t skb_end)
{
	size_t sz = node_size(len);
	if (t->rcvq.len + t->rx.ooo_mem + sz > rmem(t))
		return false; /* bounded by the receive buffer */
	struct sa_ooo_seg *n = sa_alloc(t->st, sz);
	if (!n)
		return false;
	n->seq = seq;
	n->end = seq + len;
	n->skb_seq = skb_seq;
	n->skb_end = skb_end;
	n->fin = fin;
	/* The skb is charged once, with the first piece of it kept. */
	n->truesize = *truesize;
	n->tailroom = tailroom;
	t->rx.ooo_truesize += *truesize;
	*truesize = 0;
	memcpy(n->data, p, len);
	n->next = *link;
	*link = n;
	t->rx.ooo_mem += (uint32_t)sz;
	return true;
}

/* Linux: tcp_ooo_try_coalesce — a segment right after a held skb that fits
 * its tailroom is copied in (skb_try_coalesce): one skb, charged once, with
 * that much less room. The run *link is replaced by one holding both. */
static bool coalesce(struct tcb *t, struct sa_ooo_seg **link, const uint8_t *p, uint32_t len,
                     bool fin)
{
	struct sa_ooo_seg *o = *link;
	uint32_t have = o->end - o->seq;
	size_t old_sz = node_size(have), sz = node_size(have + len);
	if (t->rcvq.len + t->rx.ooo_mem - old_sz + sz > rmem(t))
		return false;
	struct sa_ooo_seg *n = sa_alloc(t->st, sz);
	if (!n)
		return false;
	*n = *o;
	memcpy(n->data, o->data, have);
	memcpy(n->data + have, p, len);
	n->end = o->end + len;
	n->skb_end = n->end; /* skb_try_coalesce: the skb grows */
	n->fin = fin;
	n->tailroom = o->tailroom - len;
	*link = n;
	t->rx.ooo_mem += (uint32_t)(sz - old_sz);
	sa_free(t->st, o);
	return true;
}

/* Whether [seq, end) is all held already, within one skb Linux keeps:
 * tcp_data_queue_ofo drops such a segment ("All the bits are present") and
 * neither grows the window for it nor charges it. Linux keeps a segment
 * that overlaps held data whole, so its extent counts, not only the run of
 * new bytes the engine kept of it. */
bool sa_ooo_holds(const struct tcb *t, uint32_t seq, uint32_t end)
{
	bool one_skb = false;
	for (const struct sa_ooo_seg *n = t->rx.ooo; n && !one_skb; n = n->next)
		one_skb = (synack_seq_leq(n->seq, seq) && synack_seq_geq(n->end, end)) ||
		          (synack_seq_leq(n->skb_seq, seq) && synack_seq_geq(n->skb_end, end));
	if (!one_skb)
		return false;
	/* And every byte of it is still here (pruning may have taken part of
	 * an skb's pieces): never drop what is missing. */
	uint32_t cur = seq;
	for (const struct sa_ooo_seg *n = t->rx.ooo; n && synack_seq_lt(cur, end); n = n->next)
		if (synack_seq_leq(n->seq, cur) && synack_seq_gt(n->end, cur))
			cur = n->end;
	return !synack_seq_lt(cur, end);
}

/* Linux: tcp_data_queue_ofo. truesize, tailroom: the skb's (truesize 0:
 * not charged); kept data charges it to the receive memory
 * (skb_set_owner_r). */
bool sa_ooo_insert(struct tcb *t, uint32_t seq, const uint8_t *p, uint32_t len, bool fin,
                   uint32_t truesize, uint32_t tailroom)
{
	uint32_t end = seq + len, cur = seq;
	bool any = false, dup = false, kept = true;
	struct sa_ooo_seg **link = &t->rx.ooo;
	if (len == 0) {
		/* A bare FIN: on the run it ends, or a run of its own in place;
		 * inside held data it is bogus and dropped. */
		while (*link && synack_seq_lt((*link)->seq, seq) &&
		       synack_seq_lt((*link)->end, seq))
			link = &(*link)->next;
		struct sa_ooo_seg *n = *link;
		if (n && n->end == seq) {
			n->fin = true;
		} else if (n && synack_seq_lt(n->seq, seq)) {
			return false;
		} else if (!add_run(t, link, seq, p, 0, true, &truesize, tailroom, seq, seq)) {
			return false;
		}
		sa_sack_on_ooo(t, seq, seq + 1);
		return true;
	}
	struct sa_ooo_seg *prev = NULL, **prev_link = NULL; /* the run before *link */
	while (*link && synack_seq_lt(cur, end)) {
		struct sa_ooo_seg *n = *link;
		if (synack_seq_leq(n->end, cur)) {
			prev = n;
			prev_link = link;
			link = &n->next;
			continue;
		}
		if (synack_seq_geq(n->seq, end))
			break;
		if (synack_seq_lt(cur, n->seq)) {
			if (!add_run(t, link, cur, p + (cur - seq), n->seq - cur, false, &truesize,
			             tailroom, seq, end))
				return any;
			any = true;
			link = &(*link)->next;
		}
		/* [max(cur, n->seq), min(end, n->end)) is already held. */
		uint32_t ds = synack_seq_gt(cur, n->seq) ? cur : n->seq;
		uint32_t de = synack_seq_lt(end, n->end) ? end : n->end;
		if (dup)
			sa_dsack_extend(t, ds, de);
		else
			sa_dsack_set(t, ds, de);
		dup = true;
		if (fin && de == end)
			n->fin = true;
		cur = n->end;
		link = &n->next;
	}
	if (cur == seq && prev && prev->end == seq && truesize && len <= prev->tailroom &&
	    !prev->fin && coalesce(t, prev_link, p, len, fin)) {
		any = true;
		sa_sack_on_ooo(t, seq, end + (fin ? 1u : 0u));
		return any;
	}
	if (synack_seq_lt(cur, end))
		kept = add_run(t, link, cur, p + (cur - seq), end - cur, fin, &truesize, tailroom,
		               seq, end);
	any = any || kept;
	if (any)
		sa_sack_on_ooo(t, seq, end + (fin ? 1u : 0u)); /* RFC 2018 §4; a FIN counts */
	return any;
}

/* Linux: tcp_ofo_queue — what RCV.NXT now reaches moves to the receive
 * queue; bytes received twice become D-SACK. */
uint32_t sa_ooo_drain(struct tcb *t, bool *fin)
{
	uint32_t moved = 0;
	*fin = false;
	while (t->rx.ooo && synack_seq_leq(t->rx.ooo->seq, t->rcv_nxt)) {
		struct sa_ooo_seg *n = t->rx.ooo;
		if (synack_seq_lt(n->seq, t->rcv_nxt)) {
			uint32_t de = synack_seq_lt(n->end, t->rcv_nxt) ? n->end : t->rcv_nxt;
			sa_dsack_extend(t, n->seq, de);
		}
		if (synack_seq_gt(n->end, t->rcv_nxt)) {
			uint32_t off = t->rcv_nxt - n->seq;
			uint32_t want = n->end - t->rcv_nxt;
			uint32_t took = sa_ring_write(&t->rcvq, n->data + off, want);
			/* Its skb moves to the receive queue, truesize and all
			 * (or is copied into the tail's tailroom if it starts
			 * right at the tail's end: window.c). */
			if (n->truesize && took == want) {
				t->rx.ooo_truesize -= n->truesize;
				sa_rmem_charge(t, took, n->truesize, n->tailroom, off != 0);
				n->truesize = 0;
			} else {
				sa_rmem_charge_run(t, took);
			}
			t->rcv_nxt += took;
			moved += took;
			if (took < want) {
				/* No room: keep the rest (cannot happen while the
				 * window is at most the buffer). */
				n->seq = t->rcv_nxt;
				memmove(n->data, n->data + off + took, want - took);
				t->rx.ooo_mem -= off + took; /* counted by what it holds */
				break;
			}
		}
		t->rx.ooo = n->next;
		t->rx.ooo_mem -= (uint32_t)node_size(n->end - n->seq);
		t->rx.ooo_truesize -= n->truesize; /* a duplicate: dropped (tcp_ofo_queue) */
		bool f = n->fin;
		sa_free(t->st, n);
		if (f) {
			*fin = true;
			sa_ooo_purge(t); /* nothing follows a FIN */
			break;
		}
	}
	return moved;
}

/* For synack_check_invariants: runs sorted, non-empty (but a bare FIN),
 * beyond RCV.NXT, within the memory bound, and SACK state consistent.
 * Read-only, after every fuzz step: built without ASan and UBSan, as the
 * rest of the checker is (invariants.c; coverage: fuzz/coverage-ignore.txt). */
#if defined(__clang__)
#define OOO_CHECKER __attribute__((no_sanitize("address", "undefined")))
#else
#define OOO_CHECKER
#endif
OOO_CHECKER const char *sa_ooo_invariant(const struct tcb *t)
{
	uint32_t mem = 0, truesize = 0;
	const struct sa_ooo_seg *prev = NULL;
	for (const struct sa_ooo_seg *n = t->rx.ooo; n; n = n->next) {
		if (SA_SEQ_LT(n->end, n->seq) || (n->seq == n->end && !n->fin))
			return "out-of-order run empty or inverted";
		if (SA_SEQ_LT(n->seq, t->rcv_nxt))
			return "out-of-order run below RCV.NXT";
		if (prev && SA_SEQ_LT(n->seq, prev->end))
			return "out-of-order runs overlap or unsorted";
		mem += (uint32_t)node_size(n->end - n->seq);
		truesize += n->truesize;
		prev = n;
	}
	if (mem != t->rx.ooo_mem)
		return "out-of-order memory count wrong";
	if (truesize != t->rx.ooo_truesize)
		return "out-of-order truesize count wrong";
	if (t->rx.ooo_mem && t->rx.ooo_mem + t->rcvq.len > rmem(t))
		return "out-of-order queue beyond the receive buffer";
	if (t->rx.n_sack > SA_OOO_MAX_SACK || (t->rx.n_sack && !t->sack_ok))
		return "SACK blocks without SACK or too many";
	return NULL;
}
