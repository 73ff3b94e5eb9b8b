/* Self-check of the engine's internal consistency, for fuzzing and tests.
 *
 * Each check is something that must hold between any two API calls, whatever
 * arrived from the network. A violation is a bug in the engine, never in the
 * input: the fuzz targets abort on one. Kept out of the hot path: nothing in
 * the engine calls this.
 */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

/* The checker runs after every fuzz step: keep coverage instrumentation out
 * of it, so it neither slows the fuzzer down nor feeds it features that say
 * nothing about the engine; and ASan's and UBSan's checks (it only reads what
 * the engine, which they do check, wrote: a sixth of the segment target's
 * time went here with ASan, then an eighth with UBSan's alignment checks). */
#if defined(__clang__)
#define NO_COVERAGE __attribute__((no_sanitize("coverage", "address", "undefined")))
#else
#define NO_COVERAGE
#endif

struct inv {
	char *why;
	size_t len;
	bool failed;
};

static bool fail(struct inv *v, const struct tcb *t, const char *fmt, ...)
{
	if (v->failed)
		return false;
	v->failed = true;
	int n = t ? snprintf(v->why, v->len, "tcb %u (fd %d, %s): ", t->id, t->fd,
	                     sa_state_name(t->state))
	          : 0;
	va_list ap;
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < v->len)
		vsnprintf(v->why + n, v->len - (size_t)n, fmt, ap);
	va_end(ap);
	return false;
}

NO_COVERAGE static bool synchronized(uint8_t s)
{
	return s == SA_ESTABLISHED || s == SA_FIN_WAIT1 || s == SA_FIN_WAIT2 ||
	       s == SA_CLOSE_WAIT || s == SA_CLOSING || s == SA_LAST_ACK || s == SA_TIME_WAIT;
}

NO_COVERAGE static bool ring_ok(const struct sa_ring *r)
{
	return r->len <= r->cap && (r->cap == 0 || r->head < r->cap) && (r->cap == 0 || r->buf);
}

NO_COVERAGE static void check_tcb(struct inv *v, const struct synack_stack *st, const struct tcb *t)
{
	if (t->dead)
		return;
	if (t->st != st)
		fail(v, t, "belongs to another stack");
	if (t->state < SA_ESTABLISHED || t->state > SA_CLOSING)
		fail(v, t, "state %u out of range", t->state);
	if (!ring_ok(&t->sndq) || !ring_ok(&t->rcvq))
		fail(v, t, "ring out of bounds (snd %u/%u, rcv %u/%u)", t->sndq.len, t->sndq.cap,
		     t->rcvq.len, t->rcvq.cap);
	/* Bounded memory: a buffer never exceeds the largest size the profile
	 * lets it take — tcp_[wr]mem[2] by growth, tcp_[wr]mem[1] at creation
	 * (Linux takes it even above [2]: tcp_init_sock), twice the core
	 * maximum by SO_SNDBUF/SO_RCVBUF — with the ring's growth slack. */
	uint64_t snd_max = SA_MAX(SA_MAX(st->prof.wmem[1], st->prof.wmem[2]), 2u * SA_WMEM_MAX);
	uint64_t rcv_max =
	    SA_MAX(SA_MAX(st->prof.rmem[1], st->prof.rmem[2]), 2ull * st->prof.rmem_max);
	if (t->sndq.cap > snd_max * 2 + 65536 || t->rcvq.cap > rcv_max * 2 + 65536)
		fail(v, t, "buffer beyond the profile's maximum (snd %u, rcv %u)", t->sndq.cap,
		     t->rcvq.cap);
	if (!sa_uskb_consistent(t))
		fail(v, t, "unsent skbs do not hold the %u unsent bytes", sa_unsent(t));
	if (t->snd_wscale > 14 || t->rcv_wscale > 14)
		fail(v, t, "window scale > 14 (RFC 7323 §2.3)");
	/* Receive memory (window.c): the skb records cover exactly rcvq and
	 * their truesizes add up to rmem_alloc. */
	if (t->rskb) {
		/* Ring walks step an index and wrap it (a division per element
		 * was most of the checker's time: the queues of a transfer in
		 * 36-byte segments hold thousands). */
		uint64_t sum = 0;
		const struct sa_rskb *rs = t->rskb;
		uint32_t cap = t->rskb_cap, n = t->rskb_n < cap ? t->rskb_n : cap;
		for (uint32_t i = 0, j = cap ? t->rskb_head % cap : 0; i < n; i++) {
			sum += rs[j].truesize;
			if (++j == cap)
				j = 0;
		}
		if (t->rskb_n > t->rskb_cap || sum != t->rmem_alloc)
			fail(v, t, "rmem_alloc %u != truesize of %u skbs (%llu)", t->rmem_alloc,
			     t->rskb_n, (unsigned long long)sum);
		if (t->rcvq_in - t->rcvq_out != t->rcvq.len)
			fail(v, t, "skb records hold %u bytes, rcvq %u", t->rcvq_in - t->rcvq_out,
			     t->rcvq.len);
	}
	if (synchronized(t->state)) {
		/* RFC 9293 §3.3.1: SND.UNA =< SND.NXT in sequence space. */
		if (SA_SEQ_LT(t->snd_nxt, t->snd_una))
			fail(v, t, "SND.UNA %u > SND.NXT %u", t->snd_una, t->snd_nxt);
		/* Unacknowledged bytes are bytes we still hold (+ SYN and FIN). */
		uint32_t flight = t->snd_nxt - t->snd_una;
		if (flight > t->sndq.len + 2)
			fail(v, t, "in flight %u but only %u bytes queued", flight, t->sndq.len);
		if (t->snd_mss == 0)
			fail(v, t, "zero send MSS (the zero-MSS loop)");
	}
	/* The scoreboard's counters are counts of the sent-segment queue's
	 * flags (Linux: tcp_verify_left_out); its segments are in order. */
	uint32_t n_sacked = 0, n_lost = 0, n_retrans = 0;
	const struct sa_txseg *txq = t->txq;
	uint32_t txq_len = txq ? t->txq_len : 0, txq_cap = t->txq_cap;
	if (txq_len > txq_cap) {
		fail(v, t, "sent-segment queue holds %u > its capacity %u", txq_len, txq_cap);
		txq_len = 0;
	}
	for (uint32_t i = 0, j = txq_cap ? t->txq_head % txq_cap : 0; i < txq_len; i++) {
		const struct sa_txseg *s = &txq[j];
		if (++j == txq_cap)
			j = 0;
		n_sacked += (s->flags & SA_TX_SACKED) != 0;
		n_lost += (s->flags & SA_TX_LOST) != 0;
		n_retrans += (s->flags & SA_TX_RETRANS) != 0;
		if (!SA_SEQ_LT(s->seq, s->end))
			fail(v, t, "sent segment %u is empty or inverted", i);
		if (i + 1 < txq_len && txq[j].seq != s->end)
			fail(v, t, "sent segments %u and %u are not contiguous", i, i + 1);
	}
	if (n_lost != t->lost_out || n_retrans != t->retrans_out ||
	    (t->sack_ok && n_sacked != t->sacked_out))
		fail(v, t,
		     "scoreboard counters (sacked %u, lost %u, retrans %u) != flags (%u, %u, %u)",
		     t->sacked_out, t->lost_out, t->retrans_out, n_sacked, n_lost, n_retrans);
	const char *ooo = sa_ooo_invariant(t); /* ooo.c */
	if (ooo)
		fail(v, t, "%s", ooo);
	if (t->state == SA_TIME_WAIT && !sa_timer_armed(t, SA_T_TIME_WAIT))
		fail(v, t, "TIME_WAIT without its timer: never freed");
	/* RFC 6298 §5.1: while data (or a SYN or FIN) is outstanding the
	 * retransmission timer runs — as the RTO, RACK's reordering timer or
	 * a loss probe (Linux: tcp_rearm_rto while packets_out). Without it a
	 * lost segment would never be resent. */
	if (t->state != SA_TIME_WAIT && t->state != SA_CLOSED && t->state != SA_LISTEN &&
	    t->snd_nxt != t->snd_una && !sa_timer_armed(t, SA_T_RTX))
		fail(v, t, "%u bytes in flight (SND.UNA %u) and no retransmission timer",
		     t->snd_nxt - t->snd_una, t->snd_una);
	/* RFC 9293 §3.8.6.1 (MUST-35): data or a FIN held back with nothing in
	 * flight — a zero window, or TCP_CORK or sender SWS avoidance, which
	 * Linux's probe timer also ends (tcp_check_probe_timer) — has the
	 * persist timer, or no ACK would ever come to let it out: the
	 * zero-window deadlock. */
	bool held = t->sndq.len > 0 || (t->fin_queued && !t->fin_sent);
	if (synchronized(t->state) && t->state != SA_TIME_WAIT && !t->fin_sent && held &&
	    t->snd_nxt == t->snd_una && !sa_timer_armed(t, SA_T_PERSIST) &&
	    !sa_timer_armed(t, SA_T_RTX))
		fail(v, t, "%u bytes%s held with nothing in flight and no persist timer",
		     t->sndq.len, t->fin_queued ? " and a FIN" : "");
	if (t->state == SA_LISTEN &&
	    (t->synq_len > st->prof.max_syn_backlog + 1 || t->acceptq_len > t->max_ack_backlog + 1))
		fail(v, t, "listen queues beyond their bounds (syn %u, accept %u/%u)", t->synq_len,
		     t->acceptq_len, t->max_ack_backlog);
	for (int k = 0; k < SA_T_COUNT; k++) {
		uint32_t i = t->t_heap[k];
		if (i == 0)
			continue;
		if (i > st->heap_len || st->heap[i - 1].tcb != t || st->heap[i - 1].kind != k)
			fail(v, t, "timer %d points at a wrong heap slot", k);
	}
}

/* True if the descriptor table holds t: checked there already, so the walks
 * of the hash chains and the timer heap need not check it again (the check
 * runs after every fuzz step; each TCB once keeps it cheap). */
NO_COVERAGE static bool by_fd(const struct synack_stack *st, const struct tcb *t)
{
	return t->fd >= 3 && (uint32_t)(t->fd - 3) < st->n_fds && st->fds[t->fd - 3] == t;
}

NO_COVERAGE static void check_heap(struct inv *v, const struct synack_stack *st)
{
	for (uint32_t i = 1; i < st->heap_len; i++) {
		const struct sa_timer *p = &st->heap[(i - 1) / 2], *c = &st->heap[i];
		if (c->deadline < p->deadline ||
		    (c->deadline == p->deadline && c->order > p->order))
			fail(v, NULL, "timer heap out of order at %u", i);
	}
	/* Each entry's TCB points back at it (check_tcb checks the other
	 * direction), and is one the descriptor table or the hash reaches. */
	for (uint32_t i = 0; i < st->heap_len; i++) {
		const struct sa_timer *e = &st->heap[i];
		if (e->kind >= SA_T_COUNT || e->tcb->t_heap[e->kind] != i + 1)
			fail(v, e->tcb, "heap slot %u not its timer's", i);
		else if (!e->tcb->dead && !by_fd(st, e->tcb))
			check_tcb(v, st, e->tcb);
	}
}

NO_COVERAGE int synack_check_invariants(const struct synack_stack *st, char *why, size_t len)
{
	struct inv v = { why, len, false };
	if (len)
		why[0] = '\0';
	if (st->n_tcbs > st->prof.max_sockets)
		fail(&v, NULL, "%u tcbs > max_sockets %u", st->n_tcbs, st->prof.max_sockets);
	/* Transitions only along RFC 9293's diagram (conn.c sa_set_state). */
	if (st->bad_state_change.seen)
		fail(&v, NULL, "tcb %u went from %s to %s: not a transition of RFC 9293 §3.3.2",
		     st->bad_state_change.tcb_id, sa_state_name(st->bad_state_change.from),
		     sa_state_name(st->bad_state_change.to));
	for (uint32_t i = 0; i < st->n_fds; i++)
		if (st->fds[i])
			check_tcb(&v, st, st->fds[i]);
	for (uint32_t b = 0; b <= st->hash_mask; b++) {
		uint32_t guard = 0;
		for (const struct tcb *t = st->conn_hash[b]; t; t = t->hnext) {
			if (!by_fd(st, t))
				check_tcb(&v, st, t);
			if (++guard > st->prof.max_sockets)
				return fail(&v, t, "cycle in the connection hash"), -1;
		}
		guard = 0;
		for (const struct tcb *t = st->bind_hash[b]; t; t = t->bnext) {
			if (!by_fd(st, t))
				check_tcb(&v, st, t);
			if (++guard > st->prof.max_sockets)
				return fail(&v, t, "cycle in the bind hash"), -1;
		}
	}
	check_heap(&v, st);
	return v.failed ? -1 : 0;
}
