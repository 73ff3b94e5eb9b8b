/* connect(AF_UNSPEC): Linux's tcp_disconnect.
 *
 * RFC 9293 §3.10.5's ABORT for a connection (a RST where it is
 * synchronized), and a listener stops listening; either way the descriptor
 * stays open, CLOSED, free to connect or listen again. What the socket was
 * told survives (its options, its buffer sizes, a port or an address bound
 * by hand); what the connection learned goes. tcp_disconnect resets the
 * connection's fields one by one; here a fresh TCB takes the settings over,
 * so a field added to struct tcb starts fresh unless it is carried below. */
#include "internal.h"
#include <errno.h>
#include <string.h>

/* Linux: tcp_need_reset. */
static bool need_reset(uint8_t s)
{
	return s == SA_ESTABLISHED || s == SA_CLOSE_WAIT || s == SA_FIN_WAIT1 ||
	       s == SA_FIN_WAIT2 || s == SA_SYN_RECV;
}

/* What tcp_disconnect leaves alone: the socket's options and what lives
 * outside struct tcp_sock's connection state (sk_sndbuf, sk_rcvbuf, the
 * error, the RTO statistics, reordering, the min RTT filter). Not carried,
 * as tcp_disconnect clears them: TCP_MAXSEG (rx_opt.user_mss),
 * TCP_WINDOW_CLAMP, TCP_QUICKACK's mode (inet_csk_delack_init). */
static void carry_settings(struct tcb *to, const struct tcb *from)
{
	to->id = from->id;
	to->fd = from->fd;
	to->v6only = from->v6only;
	to->port_locked = from->port_locked;
	to->addr_locked = from->addr_locked;
	to->reuseaddr = from->reuseaddr;
	to->linger_on = from->linger_on;
	to->linger_s = from->linger_s;
	to->linger2_s = from->linger2_s;
	to->keepalive = from->keepalive;
	to->nodelay = from->nodelay;
	to->cork = from->cork;
	to->nagle_push = from->nagle_push; /* tp->nonagle keeps TCP_NAGLE_PUSH */
	to->rcvlowat = from->rcvlowat;
	to->keepidle_s = from->keepidle_s;
	to->keepintvl_s = from->keepintvl_s;
	to->keepcnt = from->keepcnt;
	to->user_timeout_ms = from->user_timeout_ms;
	to->defer_accept = from->defer_accept;
	to->syncnt = from->syncnt;
	to->notsent_lowat = from->notsent_lowat;
	to->cc = from->cc;
	to->ip_tos = from->ip_tos;
	to->ip6_tclass = from->ip6_tclass;
	to->ip_ttl = from->ip_ttl;
	to->ip6_hops = from->ip6_hops;
	to->recverr = from->recverr;
	to->recverr6 = from->recverr6;
	to->oobinline = from->oobinline;
	to->sndbuf = from->sndbuf;
	to->rcvbuf = from->rcvbuf;
	to->sndbuf_locked = from->sndbuf_locked;
	to->rcvbuf_locked = from->rcvbuf_locked;
	to->scaling_ratio = from->scaling_ratio;
	to->so_error = from->so_error;
	to->soft_err = from->soft_err;
	to->pmtu = from->pmtu; /* the route's learned PMTU outlives the socket's use of it */
	to->reordering = from->reordering;
	to->min_rtt_us = from->min_rtt_us;
	to->pacing_rate = from->pacing_rate;
	to->total_rto = from->total_rto;
	to->total_rto_recoveries = from->total_rto_recoveries;
	to->total_rto_time_ms = from->total_rto_time_ms;
	/* Storage, emptied: reused rather than freed and allocated again. */
	to->sndq = from->sndq;
	to->rcvq = from->rcvq;
	to->sndq.head = to->sndq.len = 0;
	to->rcvq.head = to->rcvq.len = 0;
	to->rskb = from->rskb;
	to->rskb_cap = from->rskb_cap;
	to->uskb = from->uskb;
	to->uskb_cap = from->uskb_cap;
}

int sa_disconnect(struct tcb *t)
{
	struct synack_stack *st = t->st;
	uint8_t old = t->state;
	if (old == SA_LISTEN) {
		sa_listen_close(t);
	} else if (need_reset(old) || ((old == SA_CLOSING || old == SA_LAST_ACK) && sa_unsent(t))) {
		sa_send_rst_for(t);
		t->so_error = ECONNRESET;
	} else if (old == SA_SYN_SENT) {
		t->so_error = ECONNRESET;
	}
	sa_timer_clear_all(t);
	uint32_t unread = t->rcvq.len;
	sa_ring_drop(&t->rcvq, unread);
	sa_rmem_uncharge(t, unread);
	sa_ring_drop(&t->sndq, t->sndq.len);
	sa_uskb_clear(t);
	sa_ooo_purge(t);
	sa_txq_free(t);
	sa_conn_hash_del(t);
	/* Linux: tcp_set_state(TCP_CLOSE) → inet_put_port without
	 * SOCK_BINDPORT_LOCK; inet_bhash2_reset_saddr without
	 * SOCK_BINDADDR_LOCK. */
	bool keep_port = t->port_locked && t->lport;
	if (!keep_port)
		sa_bind_hash_del(t);

	struct tcb fresh;
	memset(&fresh, 0, sizeof fresh);
	sa_tcb_defaults(st, &fresh, t->sock_family);
	carry_settings(&fresh, t);
	if (keep_port) {
		fresh.lport = t->lport;
		fresh.bound = t->bound;
		fresh.user_bound = t->user_bound;
		fresh.in_bind_hash = t->in_bind_hash;
		fresh.bnext = t->bnext;
	}
	if (t->addr_locked) {
		fresh.family = t->family;
		fresh.laddr = t->laddr;
	}
	*t = fresh;
	return 0;
}
