/* Every deadline of every connection in one binary min-heap.
 *
 * Entries are ordered by (deadline, order) where order is a stack-wide
 * insertion counter, and equal deadlines fire last armed first, as Linux's
 * timer wheel has them: a timer armed later for the same instant is no
 * longer, so it sits in the same slot (whose list runs newest first) or a
 * finer one, while a long one is rounded up to its coarser slot (a delayed
 * ACK and an RTO due together: the ACK goes alone first; compare --fuzz
 * seed 34). Deterministic, and independent of memory addresses. Each tcb remembers
 * where its entries sit (t_heap[kind]), so re-arming or cancelling is
 * O(log n) and advancing costs O(k log n) for k due timers — never a scan of
 * all connections. The heap is allocated once, sized max_sockets * kinds.
 */
#include "internal.h"

static bool before(const struct sa_timer *a, const struct sa_timer *b)
{
	if (a->deadline != b->deadline)
		return a->deadline < b->deadline;
	return a->order > b->order;
}

static void place(struct synack_stack *st, uint32_t i, const struct sa_timer *e)
{
	st->heap[i] = *e;
	e->tcb->t_heap[e->kind] = i + 1;
}

static void sift_up(struct synack_stack *st, uint32_t i)
{
	struct sa_timer e = st->heap[i];
	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (!before(&e, &st->heap[p]))
			break;
		place(st, i, &st->heap[p]);
		i = p;
	}
	place(st, i, &e);
}

static void sift_down(struct synack_stack *st, uint32_t i)
{
	struct sa_timer e = st->heap[i];
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		const struct sa_timer *best = &e;
		if (l < st->heap_len && before(&st->heap[l], best)) {
			m = l;
			best = &st->heap[l];
		}
		if (r < st->heap_len && before(&st->heap[r], best))
			m = r;
		if (m == i)
			break;
		place(st, i, &st->heap[m]);
		i = m;
	}
	place(st, i, &e);
}

static void heap_remove(struct synack_stack *st, uint32_t i)
{
	struct tcb *t = st->heap[i].tcb;
	t->t_heap[st->heap[i].kind] = 0;
	st->heap_len--;
	if (i == st->heap_len)
		return;
	place(st, i, &st->heap[st->heap_len]);
	if (i > 0 && before(&st->heap[i], &st->heap[(i - 1) / 2]))
		sift_up(st, i);
	else
		sift_down(st, i);
}

/* Linux's timer wheel (kernel/time/timer.c: calc_wheel_index, calc_index):
 * a timer delta jiffies ahead goes to level L, the first whose range holds
 * it (LVL_START(L + 1) = 63 << 3L), in a slot of 8^L jiffies, rounded up
 * to the next slot — so it fires up to 8^L jiffies after its expiry, never
 * before. The latest such instant, taking the delay's rounding up to
 * jiffies (usecs_to_jiffies) and a call at the very start of a jiffy, and
 * then WHEEL_LAG_JIFFIES more: on a busy machine the timer softirq runs a
 * tick or two behind (traced on CI's kind of VM: a FIN's delayed ACK armed
 * for jiffies + 0 sent 7 ms later, a 300 ms RTO 39.7 ms late). The
 * compressed-SACK timer is an hrtimer, exact. */
#define WHEEL_LAG_JIFFIES 2u

uint64_t synack_timer_wheel_slack_us(uint32_t hz, uint64_t len_us)
{
	if (!hz || hz > 1000000u)
		return 0;
	uint64_t jiffy = 1000000u / hz;
	if (len_us > UINT64_MAX / 2)
		return 0; /* "never" and the like */
	uint64_t delta = len_us / jiffy + (len_us % jiffy != 0), gran = 1;
	for (uint64_t start = 63; delta >= start && gran < (1u << 24); start <<= 3)
		gran <<= 3;
	return (delta + gran) * jiffy - len_us;
}

static uint64_t wheel_latest(const struct synack_stack *st, int kind, uint64_t deadline)
{
	uint32_t hz = st->prof.timer_wheel_hz;
	if (!hz || kind == SA_T_COMP_SACK || deadline == SYNACK_NEVER || deadline < st->now_us)
		return deadline;
	uint64_t len = deadline - st->now_us;
	uint64_t late =
	    deadline + synack_timer_wheel_slack_us(hz, len) + WHEEL_LAG_JIFFIES * (1000000u / hz);
	return late < deadline ? SYNACK_NEVER : late; /* overflow: never */
}

void sa_timer_set(struct tcb *t, int kind, uint64_t deadline)
{
	struct synack_stack *st = t->st;
	if (t->t_heap[kind])
		heap_remove(st, t->t_heap[kind] - 1);
	if (t->dead || st->heap_len == st->heap_cap)
		return; /* cannot happen: cap = max_sockets * SA_T_COUNT */
	struct sa_timer e = { wheel_latest(st, kind, deadline), st->now_us, st->timer_order++, t,
		              (uint8_t)kind };
	t->t_deadline[kind] = deadline;
	uint32_t i = st->heap_len++;
	place(st, i, &e);
	sift_up(st, i);
}

void sa_timer_clear(struct tcb *t, int kind)
{
	if (t->t_heap[kind])
		heap_remove(t->st, t->t_heap[kind] - 1);
	t->t_deadline[kind] = SYNACK_NEVER;
}

void sa_timer_clear_all(struct tcb *t)
{
	for (int k = 0; k < SA_T_COUNT; k++)
		sa_timer_clear(t, k);
}

bool sa_timer_armed(const struct tcb *t, int kind)
{
	return t->t_heap[kind] != 0;
}

int64_t synack_firing_timer_len(const struct synack_stack *st)
{
	return st->firing_len_us ? (int64_t)(st->firing_len_us - 1) : -1;
}

uint64_t sa_timers_next(const struct synack_stack *st)
{
	return st->heap_len ? st->heap[0].deadline : SYNACK_NEVER;
}

static void fire(struct tcb *t, int kind)
{
	switch (kind) {
	case SA_T_RTX:
		sa_rtx_fire(t);
		break;
	case SA_T_FIN_WAIT2:
		sa_fin_wait2_timeout(t); /* fin_wait2.c */
		break;
	case SA_T_TIME_WAIT:
		/* RFC 9293 §3.10.8: when the time-wait timeout expires, delete the TCB. */
		sa_tcb_done(t);
		break;
	case SA_T_DELACK:
		sa_delack_fire(t); /* delack.c */
		break;
	case SA_T_COMP_SACK:
		sa_delack_comp_sack_fire(t); /* delack.c */
		break;
	case SA_T_PERSIST:
		sa_persist_fire(t); /* persist.c */
		break;
	case SA_T_KEEPALIVE:
		sa_keepalive_fire(t); /* keepalive.c */
		break;
	default:
		break;
	}
}

/* Fires every timer due by `now`, by deadline, ties last armed first. Each fires at
 * its own deadline — the clock steps there first — so a timer that re-arms
 * itself (a backed-off retransmission) counts from when it fired, however
 * large the caller's jump. */
void sa_timers_run(struct synack_stack *st, uint64_t now)
{
	sa_timers_run_before_input(st, now, false);
}

/* before_input: something happens at `now` next (a packet, a harness's
 * call) and goes before the timers due at that very instant. Linux's timer
 * fires at a tick at or after its deadline — one armed for jiffies + 0 at
 * the next tick, a long one up to a wheel slot late — so a packet of the
 * same instant is processed first (compare --fuzz seeds 20 and 23: a FIN's
 * delayed ACK due at once, an RTO due exactly when the peer's ACK came).
 * Heap order is (deadline, order): stopping at the first timer due at `now`
 * skips nothing due before it. */
void sa_timers_run_before_input(struct synack_stack *st, uint64_t now, bool before_input)
{
	while (st->heap_len && st->heap[0].deadline <= now) {
		struct sa_timer e = st->heap[0];
		/* Profile linux-late: the compressed-SACK hrtimer, exact, has
		 * fired by the time a busy kernel takes in a packet of the
		 * same instant (script time; ~50 us later on the wire). */
		if (before_input && e.deadline == now &&
		    !(st->prof.timer_wheel_hz && e.kind == SA_T_COMP_SACK))
			break;
		if (e.deadline > st->now_us)
			st->now_us = e.deadline;
		heap_remove(st, 0);
		e.tcb->t_deadline[e.kind] = SYNACK_NEVER;
		st->firing_len_us = e.deadline - SA_MIN(e.armed, e.deadline) + 1;
		fire(e.tcb, e.kind);
		st->firing_len_us = 0;
	}
	if (now > st->now_us)
		st->now_us = now;
}
