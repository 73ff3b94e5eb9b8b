/* Keepalive (RFC 1122 §4.2.3.6), as Linux does it (tcp_keepalive_timer,
 * tcp_set_keepalive, tcp_sock_set_keepidle_locked).
 *
 * - Off unless SO_KEEPALIVE; KEEPIDLE / KEEPINTVL / KEEPCNT per socket,
 *   defaulting to the profile (Linux: 7200 / 75 / 9).
 * - Idle is measured from the last segment heard: the later of the last
 *   in-sequence data (Linux: icsk_ack.lrcvtime) and the last acceptable ACK
 *   (Linux: tp->rcv_tstamp) — keepalive_time_elapsed().
 * - While data is in flight or queued the connection is "alive without
 *   keepalive": no probe, the timer just waits another KEEPIDLE.
 * - The probe is an ACK with SEQ = SND.NXT - 1 and no data (RFC 1122
 *   §4.2.3.6 allows a garbage octet; Linux sends none: tcp_xmit_probe_skb
 *   with SND.UNA - 1, and SND.UNA = SND.NXT when idle).
 * - Any acceptable ACK clears the probe count (Linux: tcp_ack sets
 *   icsk_probes_out = 0). After KEEPCNT unanswered probes — or, with
 *   TCP_USER_TIMEOUT, once that long idle with a probe out — the connection
 *   is reset: Linux sends an RST (tcp_send_active_reset) and reports
 *   ETIMEDOUT (tcp_write_err).
 */
#include <errno.h>

#include "internal.h"

static uint64_t keepidle_us(const struct tcb *t)
{
	return (uint64_t)t->keepidle_s * 1000000u;
}

static uint64_t keepintvl_us(const struct tcb *t)
{
	return (uint64_t)t->keepintvl_s * 1000000u;
}

/* Linux: keepalive_time_elapsed — time since the last segment heard. */
static uint64_t elapsed_us(const struct tcb *t)
{
	uint64_t last = SA_MAX(t->last_data_recv_us, t->last_ack_recv_us);
	uint64_t now = t->st->now_us;
	return now > last ? now - last : 0;
}

/* States where the keepalive timer runs: Linux skips CLOSE, LISTEN and
 * SYN_SENT (tcp_keepalive_timer); TIME_WAIT and an orphan in FIN_WAIT_2 are
 * minisocks there (own timers). An embryonic child has no timer yet (Linux
 * arms it in tcp_create_openreq_child). */
static bool runs_in(const struct tcb *t)
{
	switch (t->state) {
	case SA_ESTABLISHED:
	case SA_FIN_WAIT1:
	case SA_CLOSE_WAIT:
	case SA_CLOSING:
	case SA_LAST_ACK:
		return true;
	case SA_FIN_WAIT2:
		return !t->orphan;
	case SA_SYN_RECV:
		return !t->listener;
	default:
		return false;
	}
}

/* Linux: inet_csk_reset_keepalive_timer(sk, keepalive_time_when(tp)) on
 * entering ESTABLISHED with SOCK_KEEPOPEN (tcp_finish_connect,
 * tcp_create_openreq_child). */
void sa_keepalive_reset(struct tcb *t)
{
	if (t->keepalive && runs_in(t))
		sa_timer_set(t, SA_T_KEEPALIVE, t->st->now_us + keepidle_us(t));
}

/* Linux: tcp_set_keepalive — nothing in CLOSE or LISTEN; turning it on arms
 * the timer at KEEPIDLE from now, turning it off stops it. */
void sa_keepalive_set(struct tcb *t, bool on)
{
	bool was = t->keepalive;
	t->keepalive = on;
	if (t->state == SA_CLOSED || t->state == SA_LISTEN)
		return;
	if (on && !was && (runs_in(t) || t->state == SA_SYN_SENT))
		sa_timer_set(t, SA_T_KEEPALIVE, t->st->now_us + keepidle_us(t));
	else if (!on)
		sa_timer_clear(t, SA_T_KEEPALIVE);
}

/* Linux: tcp_sock_set_keepidle_locked — a new KEEPIDLE on a live socket
 * re-arms the timer for what is left of it since the last segment heard. */
void sa_keepalive_idle_changed(struct tcb *t)
{
	if (!t->keepalive || t->state == SA_CLOSED || t->state == SA_LISTEN)
		return;
	uint64_t el = elapsed_us(t), idle = keepidle_us(t);
	sa_timer_set(t, SA_T_KEEPALIVE, t->st->now_us + (idle > el ? idle - el : 0));
}

/* The probe: <SEQ=SND.UNA-1><ACK=RCV.NXT><CTL=ACK>, no data (Linux:
 * tcp_xmit_probe_skb(sk, 0, LINUX_MIB_TCPKEEPALIVE)). */
static void send_probe(struct tcb *t)
{
	uint32_t nxt = t->snd_nxt;
	t->snd_nxt = t->snd_una - 1;
	sa_send_ack(t);
	t->snd_nxt = nxt;
}

/* Linux: tcp_keepalive_timer. */
void sa_keepalive_fire(struct tcb *t)
{
	const struct synack_stack *st = t->st;
	if (!t->keepalive || !runs_in(t))
		return; /* Linux: SYN_SENT — not re-armed; tcp_finish_connect arms it */
	uint64_t next = keepidle_us(t);
	/* "It is alive without keepalive 8)": data in flight or unsent. */
	if (sa_in_flight(t) == 0 && t->sndq.len == 0 && !(t->fin_queued && !t->fin_sent)) {
		uint64_t el = elapsed_us(t);
		if (el >= keepidle_us(t)) {
			uint64_t ut = (uint64_t)t->user_timeout_ms * 1000u;
			if ((ut && el >= ut && t->rx.probes_out > 0) ||
			    (!ut && t->rx.probes_out >= t->keepcnt)) {
				/* Linux: tcp_send_active_reset + tcp_write_err. */
				sa_send_rst_for(t);
				t->st->stats.aborts_on_timeout++;
				t->timed_out = true;
				t->so_error = sa_timeout_error(t);
				sa_tcb_done(t);
				return;
			}
			send_probe(t);
			if (t->rx.probes_out < 255)
				t->rx.probes_out++;
			next = keepintvl_us(t);
		} else {
			next = keepidle_us(t) - el; /* rcv_tstamp + keepalive_time */
		}
	}
	sa_timer_set(t, SA_T_KEEPALIVE, st->now_us + next);
}
