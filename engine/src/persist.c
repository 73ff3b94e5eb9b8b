/* The persist timer: zero-window probes (RFC 9293 §3.8.6.1; RFC 1122
 * §4.2.2.17), as Linux does them (tcp_check_probe_timer, tcp_probe_timer,
 * tcp_send_probe0, tcp_ack_probe).
 *
 * - Armed when data waits, nothing is in flight and the peer's window is
 *   zero, at the current RTO (Linux: tcp_probe0_base = max(RTO, RTO min)).
 * - Each probe backs off exponentially (icsk_backoff, shared with the
 *   retransmission timer as in Linux), the interval capped at RTO max.
 * - The probe is Linux's: an ACK with SEQ = SND.UNA - 1 and no data
 *   (tcp_write_wakeup → tcp_xmit_probe_skb); once the window has opened the
 *   probe sends real data instead.
 * - RFC 9293 MUST-36: never abort while probes are answered — every
 *   acceptable ACK clears the probe count (Linux: tcp_ack). Unanswered, the
 *   connection gives up after tcp_retries2 probes (orphans: orphan_retries)
 *   with ETIMEDOUT and no RST (tcp_write_err). TCP_USER_TIMEOUT bounds the
 *   whole zero-window period, answered or not (Linux: icsk_probes_tstamp,
 *   reset only when the window opens).
 */
#include <errno.h>

#include "internal.h"

#define TCP_TIMEOUT_MIN_US 8000u /* Linux: TCP_TIMEOUT_MIN, 2 jiffies at HZ=250 */

static uint32_t unsent(const struct tcb *t)
{
	uint32_t out = sa_in_flight(t);
	if (t->fin_sent)
		return 0;
	return t->sndq.len > out ? t->sndq.len - out : 0;
}

/* A FIN queued behind all the data but not sent (Linux: tcp_send_fin
 * queues it as the send head, like data). */
static bool fin_waiting(const struct tcb *t)
{
	return t->fin_queued && !t->fin_sent && !unsent(t);
}

/* Something queued that the window does not let out (Linux: a send head
 * beyond tcp_wnd_end; a lone FIN needs room for its sequence number,
 * tcp_snd_wnd_test). */
static bool window_blocked(const struct tcb *t)
{
	uint32_t wnd_end = t->snd_una + t->snd_wnd;
	if (fin_waiting(t))
		return synack_seq_gt(t->snd_nxt + 1, wnd_end);
	if (!unsent(t))
		return false;
	return !synack_seq_gt(wnd_end, t->snd_nxt);
}

/* Linux: tcp_probe0_base (max(icsk_rto, rto_min)) / tcp_probe0_when
 * (<< icsk_backoff, capped at tcp_rto_max). icsk_rto is the retransmission
 * timer's own backed-off RTO; the probes' backoff comes on top. */
uint64_t sa_probe0_when(const struct tcb *t)
{
	const struct synack_profile *p = &t->st->prof;
	uint64_t base = SA_MAX(sa_rto_backed_off(t), p->rto_min_us);
	uint64_t when = base;
	for (int i = 0; i < t->backoff && when < p->rto_max_us; i++)
		when <<= 1;
	return SA_MIN(when, p->rto_max_us);
}

/* Linux: tcp_clamp_probe0_to_user_timeout. */
static uint64_t clamp_to_user_timeout(const struct tcb *t, uint64_t when)
{
	if (!t->user_timeout_ms || !t->rx.probes_tstamp_set)
		return when;
	uint64_t ut = (uint64_t)t->user_timeout_ms * 1000u;
	uint64_t el = t->st->now_us - t->rx.probes_tstamp_us;
	uint64_t remaining = ut > el ? ut - el : 0;
	remaining = SA_MAX(remaining, (uint64_t)TCP_TIMEOUT_MIN_US);
	return SA_MIN(remaining, when);
}

/* Linux: tcp_check_probe_timer — after output, with nothing in flight and
 * no retransmission timer pending, anything still queued starts the timer:
 * tcp_write_xmit reports a held queue whatever held it — a closed window,
 * TCP_CORK, sender SWS avoidance — and the probe's tcp_write_wakeup then
 * sends past the latter two (TCP_CORK's "200 ms ceiling" is this timer). */
void sa_persist_check(struct tcb *t)
{
	if (sa_in_flight(t) || sa_timer_armed(t, SA_T_RTX) || sa_timer_armed(t, SA_T_PERSIST))
		return;
	if (!unsent(t) && !fin_waiting(t))
		return;
	sa_timer_set(t, SA_T_PERSIST,
	             t->st->now_us + SA_MAX(sa_rto_backed_off(t), t->st->prof.rto_min_us));
}

/* An acceptable ACK (Linux: tcp_ack). Any ACK is an answer: the probe count
 * goes back to 0 (RFC 9293 MUST-36). With nothing in flight before it
 * (Linux: tcp_ack_probe): an opened window stops the timer and resets the
 * backoff; a still-closed one re-arms it, from now, at the current backoff. */
void sa_persist_on_ack(struct tcb *t, uint32_t prior_in_flight)
{
	t->rx.probes_out = 0;
	if (prior_in_flight || (!unsent(t) && !fin_waiting(t)))
		return;
	uint32_t mss = sa_cur_mss(t);
	/* A lone FIN occupies one sequence number. */
	uint32_t head = fin_waiting(t) ? 1u : SA_MIN(unsent(t), mss);
	uint32_t wnd_end = t->snd_una + t->snd_wnd;
	if (!synack_seq_gt(t->snd_nxt + head, wnd_end)) {
		t->backoff = 0;
		t->rx.probes_tstamp_set = false;
		sa_timer_clear(t, SA_T_PERSIST);
		return;
	}
	if (sa_timer_armed(t, SA_T_PERSIST) || window_blocked(t))
		sa_timer_set(t, SA_T_PERSIST,
		             t->st->now_us + clamp_to_user_timeout(t, sa_probe0_when(t)));
}

static void give_up(struct tcb *t)
{
	/* Linux: tcp_write_err — ETIMEDOUT, tcp_done, no RST. */
	t->st->stats.aborts_on_timeout++;
	t->timed_out = true;
	t->so_error = sa_timeout_error(t);
	sa_tcb_done(t);
}

/* Linux: tcp_write_wakeup — one segment of data (at most an MSS and what
 * the window allows, with PSH, whatever TCP_CORK or Nagle would say) if
 * the window has room, else the probe. */
static void write_wakeup(struct tcb *t)
{
	if (!window_blocked(t)) {
		t->wakeup_one = true;
		sa_output(t);
		t->wakeup_one = false;
		return;
	}
	uint32_t nxt = t->snd_nxt;
	/* Urgent data waiting within 64 KiB of SND.UNA: first a probe at
	 * SND.UNA itself (Linux: tcp_xmit_probe_skb(sk, 1), "use a previous
	 * sequence" only for the second), both carrying the urgent pointer. */
	if (t->snd_urg && synack_seq_leq(t->snd_up, t->snd_una + 0xFFFFu)) {
		t->snd_nxt = t->snd_una;
		sa_send_ack(t);
	}
	t->snd_nxt = t->snd_una - 1; /* Linux: tcp_xmit_probe_skb, SND.UNA - 1 */
	sa_send_ack(t);
	t->snd_nxt = nxt;
}

/* Linux: tcp_probe_timer + tcp_send_probe0. */
void sa_persist_fire(struct tcb *t)
{
	const struct synack_profile *p = &t->st->prof;
	if (sa_in_flight(t) || (!unsent(t) && !fin_waiting(t))) {
		t->rx.probes_out = 0;
		t->rx.probes_tstamp_set = false;
		return;
	}
	if (!t->rx.probes_tstamp_set) {
		t->rx.probes_tstamp_set = true;
		t->rx.probes_tstamp_us = t->st->now_us;
	} else if (t->user_timeout_ms &&
	           t->st->now_us - t->rx.probes_tstamp_us >= (uint64_t)t->user_timeout_ms * 1000u) {
		give_up(t);
		return;
	}
	uint32_t max_probes = p->retries2;
	if (t->orphan) {
		/* Linux: tcp_orphan_retries — 0 means 8 while the backed-off
		 * RTO is below the RTO max ("alive": inet_csk_rto_backoff(icsk,
		 * tcp_rto_max(sk)), the per-socket maximum since Linux 6.15),
		 * else 0. */
		uint64_t rto = sa_rto_backed_off(t);
		for (int i = 0; i < t->backoff && rto < p->rto_max_us; i++)
			rto <<= 1;
		bool alive = rto < p->rto_max_us;
		max_probes = p->orphan_retries;
		if (max_probes == 0 && alive)
			max_probes = 8;
		if (!alive && t->backoff >= max_probes) {
			give_up(t);
			return;
		}
	}
	if (t->rx.probes_out >= max_probes) {
		give_up(t);
		return;
	}
	write_wakeup(t);
	if (sa_in_flight(t) || (!unsent(t) && !fin_waiting(t))) {
		/* The window opened: data went out, the RTO timer takes over. */
		t->rx.probes_out = 0;
		t->backoff = 0;
		t->rx.probes_tstamp_set = false;
		return;
	}
	if (t->rx.probes_out < 255)
		t->rx.probes_out++;
	if (t->backoff < p->retries2)
		t->backoff++;
	sa_timer_set(t, SA_T_PERSIST, t->st->now_us + clamp_to_user_timeout(t, sa_probe0_when(t)));
}
