/* How long an orphan stays in FIN-WAIT-2. RFC 9293 §3.6 keeps FIN-WAIT-2 for
 * as long as the peer's half stays open; a connection nobody can read from
 * any more would then live forever on a silent peer, so Linux bounds it by
 * tcp_fin_time: TCP_LINGER2, else tcp_fin_timeout, and at least 3.5 RTO (a
 * retransmitted FIN gets its chance). Linux spends it in one of two ways:
 *
 * - up to TCP_TIMEWAIT_LEN, as a TIME_WAIT sock of substate FIN_WAIT2
 *   (tcp_time_wait, which floors it at 3.5 RTO again), answering segments as
 *   tcp_timewait_state_process does (input.c: orphan_fin_wait2_input);
 * - longer, the full socket first waits (lifetime - TCP_TIMEWAIT_LEN) on its
 *   keepalive timer (tcp_close, tcp_rcv_state_process), and then
 *   tcp_keepalive_timer makes it that TIME_WAIT sock for (lifetime -
 *   TCP_TIMEWAIT_LEN) once more: fin_timeout 61 s ends after 2 s, 120 s
 *   after 120 s.
 *
 * TCP_LINGER2 < 0 aborts instead of waiting (the callers do it: with an RST
 * in answer to the ACK of our FIN, or an active RST from close()). */
#include "internal.h"

/* Linux: (icsk_rto << 2) - (icsk_rto >> 1), the backed-off RTO (at most
 * TCP_RTO_MAX) times 3.5. */
static uint64_t rto_floor_us(const struct tcb *t)
{
	uint64_t rto = sa_rto_backed_off(t); /* rto.c */
	return (rto << 2) - (rto >> 1);
}

/* Linux: tcp_fin_time. */
uint64_t sa_fin_time_us(const struct tcb *t)
{
	const struct synack_profile *p = &t->st->prof;
	uint64_t tmo = t->linger2_s > 0 ? (uint64_t)t->linger2_s * 1000000u : p->fin_timeout_us;
	if (p->fin_time_linux && tmo < rto_floor_us(t))
		tmo = rto_floor_us(t);
	return tmo;
}

/* Linux: tcp_time_wait(sk, TCP_FIN_WAIT2, tmo). */
static void become_timewait_sock(struct tcb *t, uint64_t tmo)
{
	if (t->st->prof.fin_time_linux && tmo < rto_floor_us(t))
		tmo = rto_floor_us(t);
	t->fw2_timewait = true;
	sa_timer_clear(t, SA_T_KEEPALIVE);
	sa_timer_set(t, SA_T_FIN_WAIT2, t->st->now_us + tmo);
}

bool sa_fin_wait2_orphaned(struct tcb *t)
{
	const struct synack_profile *p = &t->st->prof;
	if (t->linger2_s < 0)
		return false;
	uint64_t tmo = sa_fin_time_us(t);
	if (p->fin_time_linux && tmo > p->time_wait_us) {
		sa_timer_clear(t, SA_T_KEEPALIVE);
		sa_timer_set(t, SA_T_FIN_WAIT2, t->st->now_us + tmo - p->time_wait_us);
	} else {
		become_timewait_sock(t, tmo);
	}
	return true;
}

void sa_fin_wait2_timeout(struct tcb *t)
{
	const struct synack_profile *p = &t->st->prof;
	if (!t->fw2_timewait) {
		/* Linux: tcp_keepalive_timer, the full socket's stage. */
		uint64_t tmo = sa_fin_time_us(t);
		if (tmo > p->time_wait_us) {
			become_timewait_sock(t, tmo - p->time_wait_us);
			return;
		}
		t->st->stats.aborts_on_timeout++;
		sa_send_rst_for(t);
		sa_tcb_done(t);
		return;
	}
	/* The TIME_WAIT sock's timer (inet_twsk_kill): gone without a word. */
	t->st->stats.aborts_on_timeout++;
	sa_tcb_done(t);
}
