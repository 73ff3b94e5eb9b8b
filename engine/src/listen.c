/* Passive open like Linux: RFC 9293 §3.10.7.2 (LISTEN), a SYN queue of
 * embryonic connections and an accept queue, both bounded by the listen
 * backlog (Linux: inet_csk_reqsk_queue_is_full / sk_acceptq_is_full, both
 * "len > backlog"), SYN cookies per tcp_syncookies (RFC 4987), and the
 * embryonic state machine of tcp_check_req. */
#include <errno.h>
#include <string.h>

#include "internal.h"

int sa_backlog_of(struct synack_stack *st, int backlog)
{
	/* Linux: __sys_listen — (unsigned)backlog > somaxconn → somaxconn. */
	if ((unsigned int)backlog > st->prof.somaxconn)
		return (int)st->prof.somaxconn;
	return backlog;
}

static void q_unlink(struct tcb **head, struct tcb **tail, struct tcb *c)
{
	if (c->qprev)
		c->qprev->qnext = c->qnext;
	else
		*head = c->qnext;
	if (c->qnext)
		c->qnext->qprev = c->qprev;
	else if (tail)
		*tail = c->qprev;
	c->qnext = c->qprev = NULL;
}

void sa_listen_unlink_child(struct tcb *c)
{
	struct tcb *l = c->listener;
	if (!l)
		return;
	if (c->in_accept_queue) {
		q_unlink(&l->acceptq_head, &l->acceptq_tail, c);
		l->acceptq_len--;
		c->in_accept_queue = false;
	} else {
		q_unlink(&l->synq_head, NULL, c);
		l->synq_len--;
	}
	c->listener = NULL;
}

/* Linux: sk_clone_lock copies inet->tos, uc_ttl, np->tclass and hop_limit
 * into the child. The clone happens on the handshake's last ACK; until then
 * the SYN-ACK uses the listener's values (output.c), so the copy is made
 * again when the child is established. */
static void ip_inherit(struct tcb *c, const struct tcb *l)
{
	c->ip_tos = l->ip_tos;
	c->ip_ttl = l->ip_ttl;
	c->ip6_tclass = l->ip6_tclass;
	c->ip6_hops = l->ip6_hops;
}

/* The embryonic connection completed: SYN queue → accept queue. */
void sa_child_established(struct tcb *c)
{
	struct tcb *l = c->listener;
	q_unlink(&l->synq_head, NULL, c);
	l->synq_len--;
	c->qprev = l->acceptq_tail;
	c->qnext = NULL;
	if (l->acceptq_tail)
		l->acceptq_tail->qnext = c;
	else
		l->acceptq_head = c;
	l->acceptq_tail = c;
	l->acceptq_len++;
	c->in_accept_queue = true;
	ip_inherit(c, l);
	c->ss = SA_SS_CONNECTED;
}

/* Linux: inet_csk_listen_stop — embryonic connections vanish silently,
 * accepted-but-not-yet-accept()ed ones are disconnected with an RST. */
void sa_listen_close(struct tcb *l)
{
	while (l->synq_head)
		sa_tcb_free(l->synq_head);
	while (l->acceptq_head) {
		struct tcb *c = l->acceptq_head;
		if (c->state == SA_ESTABLISHED || c->state == SA_CLOSE_WAIT ||
		    c->state == SA_SYN_RECV) {
			sa_send_rst_for(c);
			c->st->stats.aborts_on_close++;
		}
		sa_tcb_free(c);
	}
}

static bool acceptq_full(const struct tcb *l)
{
	return l->acceptq_len > l->max_ack_backlog;
}

/* Linux 6.x: inet_csk_reqsk_queue_is_full ("len > backlog"). We also bound
 * it by tcp_max_syn_backlog (Linux only consults that without cookies) so
 * embryonic memory per listener never exceeds the profile's limit. */
static bool synq_full(const struct tcb *l)
{
	return l->synq_len > l->max_ack_backlog || l->synq_len >= l->st->prof.max_syn_backlog;
}

/* A new connection off the listener with the segment's tuple. Options that
 * a socket inherits from its listener (Linux: sk_clone_lock) come along. */
static struct tcb *new_child(struct tcb *l, const struct synack_segment *seg)
{
	struct synack_stack *st = l->st;
	struct tcb *c = sa_tcb_new(st, seg->dst.family);
	if (!c)
		return NULL;
	c->laddr = seg->dst;
	c->raddr = seg->src;
	c->lport = seg->dport;
	c->rport = seg->sport;
	c->bound = true;
	c->port_locked = l->port_locked; /* sk_clone_lock copies sk_userlocks */
	c->addr_locked = l->addr_locked;
	c->sock_family = l->sock_family; /* an IPv4 SYN on a dual-stack listener */
	c->v6only = l->v6only;
	c->sndbuf = l->sndbuf;
	c->rcvbuf = l->rcvbuf;
	c->rcvbuf_locked = l->rcvbuf_locked;
	c->sndbuf_locked = l->sndbuf_locked;
	c->nodelay = l->nodelay;
	c->cork = l->cork;
	c->keepalive = l->keepalive;
	c->rcvlowat = l->rcvlowat;
	c->keepidle_s = l->keepidle_s;
	c->keepintvl_s = l->keepintvl_s;
	c->keepcnt = l->keepcnt;
	c->user_timeout_ms = l->user_timeout_ms;
	c->user_mss = l->user_mss;
	c->linger_on = l->linger_on;
	c->linger_s = l->linger_s;
	c->linger2_s = l->linger2_s;
	c->window_clamp = l->window_clamp; /* TCP_WINDOW_CLAMP (tcp_openreq_init_rwin) */
	c->oobinline = l->oobinline;       /* Linux: SOCK_URGINLINE, a socket flag */
	c->cc = l->cc;
	c->defer_accept = l->defer_accept;
	c->syncnt = l->syncnt;
	c->notsent_lowat = l->notsent_lowat; /* a tcp_sock field sk_clone_lock copies */
	ip_inherit(c, l);
	uint32_t hdr = seg->dst.family == 6 ? 60u : 40u;
	c->advmss = (uint16_t)(st->prof.mtu - hdr);
	if (c->user_mss && c->advmss > c->user_mss)
		c->advmss = c->user_mss;
	c->ts_offset = sa_ts_offset(st, &c->laddr, &c->raddr);
	c->state = SA_SYN_RECV;
	return c;
}

/* Linux: tcp_openreq_init + tcp_parse_options on the SYN. */
static void negotiate_syn(struct tcb *c, const struct synack_segment *syn, bool cookie)
{
	const struct synack_profile *p = &c->st->prof;
	c->mss_clamp = (syn->opt.has_mss && syn->opt.mss) ? syn->opt.mss
	                                                  : sa_default_mss(c->st, syn->dst.family);
	if (c->user_mss && c->mss_clamp > c->user_mss)
		c->mss_clamp = c->user_mss;
	c->ts_ok = p->timestamps && syn->opt.has_ts;
	c->sack_ok = p->sack && syn->opt.sack_permitted;
	c->ws_ok = p->window_scaling && syn->opt.has_wscale;
	/* Linux: a cookie without timestamps cannot carry SACK or wscale, so
	 * they are not offered (tcp_clear_options). */
	if (cookie && !c->ts_ok)
		c->sack_ok = c->ws_ok = false;
	/* RFC 7323 §2.3: a shift above 14 is used as 14. */
	c->snd_wscale = c->ws_ok ? SA_MIN(syn->opt.wscale, 14) : 0;
	if (c->ts_ok) {
		c->ts_recent = syn->opt.ts_val;
		c->ts_recent_stamp_us = c->st->now_us;
	}
	c->irs = syn->seq;
	c->rcv_nxt = syn->seq + 1;
	c->rcv_wup = c->rcv_nxt;
	c->snd_wnd = syn->window; /* RFC 7323 §2.2: a SYN's window is unscaled */
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = syn->seq;
	sa_init_rcv_window(c, c->ws_ok);
}

/* SYN cookie SYN-ACK: nothing is kept (RFC 4987 §3.6). */
static void send_cookie_synack(struct tcb *l, const struct synack_segment *syn)
{
	struct synack_stack *st = l->st;
	struct tcb tmp;
	memset(&tmp, 0, sizeof(tmp));
	tmp.st = st;
	tmp.family = syn->dst.family;
	tmp.laddr = syn->dst;
	tmp.raddr = syn->src;
	tmp.lport = syn->dport;
	tmp.rport = syn->sport;
	tmp.rcvbuf = l->rcvbuf;
	tmp.scaling_ratio = l->scaling_ratio;
	tmp.rcvbuf_locked = l->rcvbuf_locked;
	tmp.state = SA_SYN_RECV;
	tmp.user_mss = l->user_mss;
	uint32_t hdr = tmp.family == 6 ? 60u : 40u;
	tmp.advmss = (uint16_t)(st->prof.mtu - hdr);
	if (tmp.user_mss && tmp.advmss > tmp.user_mss)
		tmp.advmss = tmp.user_mss;
	negotiate_syn(&tmp, syn, true);
	/* Linux: tcp_conn_request — without timestamps a cookie cannot keep
	 * ECN, so the SYN-ACK does not offer it; with them the TSval carries it
	 * (cookie_init_timestamp). */
	if (tmp.ts_ok && sa_ecn_syn_ok(st, syn))
		tmp.ecn_flags = SA_ECN_OK;
	uint16_t mss;
	tmp.iss = sa_cookie_make(st, syn, &mss);
	tmp.snd_nxt = tmp.iss + 1;
	/* Linux: the TSval is cookie_init_timestamp + the connection's offset. */
	tmp.ts_offset =
	    sa_ts_offset(st, &tmp.laddr, &tmp.raddr) + sa_cookie_ts(st, syn) - sa_now_ms(st);
	sa_send_synack(&tmp);
	st->stats.syncookies_sent++;
	l->last_synq_overflow_us = st->now_us;
	l->synq_overflowed = true;
}

/* Linux: cookie_v4_check — an ACK to the listener that may complete a
 * cookie handshake. Returns true if it did. */
static bool cookie_ack(struct tcb *l, struct synack_segment *seg)
{
	struct synack_stack *st = l->st;
	/* Linux: tcp_synq_no_recent_overflow — cookies are only checked within
	 * two minutes of the last one sent. */
	if (!st->prof.syncookies || !l->synq_overflowed ||
	    st->now_us - l->last_synq_overflow_us > 120000000u)
		return false;
	uint16_t mss = sa_cookie_check(st, seg);
	if (!mss) {
		st->stats.syncookies_failed++;
		return false;
	}
	const struct synack_profile *p = &st->prof;
	bool ts_ok = p->timestamps && seg->opt.has_ts;
	bool ws_ok = false, sack_ok = false, ecn_ok = false;
	uint8_t wscale = 0;
	uint32_t ts_off = sa_ts_offset(st, &seg->dst, &seg->src);
	if (ts_ok) {
		sa_cookie_ts_decode(seg->opt.ts_ecr - ts_off, &ws_ok, &wscale, &sack_ok, &ecn_ok);
		if ((sack_ok && !p->sack) || (ws_ok && !p->window_scaling))
			return false;
	}
	st->stats.syncookies_recv++;
	if (acceptq_full(l)) {
		st->stats.accept_queue_overflows++;
		st->stats.listen_drops++;
		return true; /* dropped: Linux's syn_recv_sock fails the same way */
	}
	struct tcb *c = new_child(l, seg);
	if (!c) {
		st->stats.socket_limit_drops++;
		return true;
	}
	c->ts_ok = ts_ok;
	c->ws_ok = ws_ok;
	c->sack_ok = sack_ok;
	/* Linux: cookie_ecn_ok — the TSecr's ECN bit, if tcp_ecn is not 0. */
	c->ecn_flags = ecn_ok && p->ecn ? SA_ECN_OK : 0;
	c->snd_wscale = wscale;
	c->mss_clamp = mss;
	if (c->user_mss && c->mss_clamp > c->user_mss)
		c->mss_clamp = c->user_mss;
	c->ts_offset = ts_off;
	if (ts_ok) {
		c->ts_recent = seg->opt.ts_val;
		c->ts_recent_stamp_us = st->now_us;
	}
	c->irs = seg->seq - 1;
	c->rcv_nxt = seg->seq;
	c->rcv_wup = c->rcv_nxt;
	c->iss = seg->ack - 1;
	c->snd_una = c->iss;
	c->snd_nxt = seg->ack;
	c->snd_wl1 = seg->seq;
	/* Linux: cookie_v4_check redoes the SYN-ACK's window choice with the
	 * cookie's MSS (req->mss, no timestamp allowance), not advmss — on
	 * 6.18 a cookie for MSS 536 gives the child a 65392-byte window
	 * (122 * 536) where the SYN-ACK offered 64240. */
	sa_init_rcv_window_mss(c, ws_ok, mss);
	c->listener = l;
	c->qnext = l->synq_head;
	c->qprev = NULL;
	if (l->synq_head)
		l->synq_head->qprev = c;
	l->synq_head = c;
	l->synq_len++;
	sa_conn_hash_add(c);
	/* The ACK now completes the handshake through the common path. */
	sa_sync_input(c, seg);
	return true;
}

void sa_listen_input(struct tcb *l, struct synack_segment *seg)
{
	sa_listen_input_isn(l, seg, 0);
}

/* RFC 9293 §3.10.7.2 LISTEN; Linux: tcp_v4_rcv → tcp_conn_request. */
void sa_listen_input_isn(struct tcb *l, struct synack_segment *seg, uint32_t isn)
{
	struct synack_stack *st = l->st;
	const struct synack_profile *p = &st->prof;
	uint8_t f = seg->flags;
	/* first: an RST is ignored */
	if (f & SYNACK_TH_RST)
		return;
	/* second: an ACK is bad — unless it returns a SYN cookie (RFC 4987) —
	 * <SEQ=SEG.ACK><CTL=RST> */
	if (f & SYNACK_TH_ACK) {
		if (!(f & SYNACK_TH_SYN) && cookie_ack(l, seg))
			return;
		st->stats.no_socket++;
		sa_send_reset_reply(st, seg);
		return;
	}
	/* third: SYN (Linux drops SYN+FIN: SKB_DROP_REASON_TCP_FLAGS) */
	if (!(f & SYNACK_TH_SYN) || (f & SYNACK_TH_FIN))
		return;

	bool want_cookie = false;
	if ((p->syncookies == 2 || synq_full(l)) && !isn) {
		if (synq_full(l))
			st->stats.syn_queue_overflows++;
		if (!p->syncookies) {
			st->stats.listen_drops++;
			return;
		}
		want_cookie = true;
	}
	if (acceptq_full(l)) {
		/* Linux: LINUX_MIB_LISTENOVERFLOWS — the SYN is dropped. */
		st->stats.accept_queue_overflows++;
		st->stats.listen_drops++;
		return;
	}
	if (!want_cookie && !p->syncookies &&
	    p->max_syn_backlog - SA_MIN(l->synq_len, p->max_syn_backlog) <
	        (p->max_syn_backlog >> 2)) {
		/* Linux: without cookies the last quarter of tcp_max_syn_backlog
		 * is kept for proven peers; we have none. */
		st->stats.syn_queue_overflows++;
		st->stats.listen_drops++;
		return;
	}
	if (want_cookie) {
		send_cookie_synack(l, seg);
		return;
	}
	struct tcb *c = new_child(l, seg);
	if (!c) {
		st->stats.socket_limit_drops++;
		st->stats.listen_drops++;
		return;
	}
	negotiate_syn(c, seg, false);
	sa_ecn_create_request(c, seg); /* ecn.c: RFC 3168 §6.1.1 */
	/* RFC 6528; Linux reuses tw_snd_nxt + 65537 after TIME_WAIT. */
	c->iss = isn ? isn : sa_isn(st, &c->laddr, c->lport, &c->raddr, c->rport);
	c->snd_una = c->iss;
	c->snd_nxt = c->iss + 1;
	c->listener = l;
	c->qnext = l->synq_head;
	if (l->synq_head)
		l->synq_head->qprev = c;
	l->synq_head = c;
	l->synq_len++;
	sa_conn_hash_add(c);
	sa_send_synack(c);
	sa_rtx_arm(c);
}

/* Linux: tcp_v4_reqsk_send_ack — <SEQ=ISS+1><ACK=RCV.NXT>. */
static void embryonic_ack(struct tcb *c, const struct synack_segment *seg)
{
	sa_send_embryonic_ack(c, seg);
}

/* Linux: tcp_check_req — segments for a connection still in the SYN queue. */
void sa_embryonic_input(struct tcb *c, struct synack_segment *seg)
{
	struct synack_stack *st = c->st;
	struct tcb *l = c->listener;
	uint8_t f = seg->flags;
	bool paws = sa_paws_reject(c, seg);

	/* A retransmitted SYN: send the SYN-ACK again (rate-limited). */
	if (seg->seq == c->irs &&
	    (f & (SYNACK_TH_SYN | SYNACK_TH_ACK | SYNACK_TH_RST)) == SYNACK_TH_SYN && !paws) {
		if (!sa_oow_rate_limited(c, seg))
			sa_send_synack(c);
		return;
	}
	/* An ACK for something else than our SYN: the listener answers it with
	 * an RST (RFC 9293 §3.10.7.4, SYN-RECEIVED). */
	if ((f & SYNACK_TH_ACK) && seg->ack != c->iss + 1) {
		st->stats.no_socket++;
		sa_send_reset_reply(st, seg);
		return;
	}
	/* Linux: tcp_in_window against the window offered in the SYN-ACK. */
	uint32_t end = seg->seq + sa_seg_len(seg);
	uint32_t s_win = c->rcv_nxt, e_win = c->rcv_nxt + c->rcv_wnd;
	bool in_window = seg->seq == s_win ||
	                 (synack_seq_gt(end, s_win) && synack_seq_lt(seg->seq, e_win)) ||
	                 (seg->seq == e_win && seg->seq == end);
	if (paws || !in_window) {
		if (paws)
			st->stats.paws_drops++;
		else
			st->stats.out_of_window++;
		if (!(f & SYNACK_TH_RST) && !sa_oow_rate_limited(c, seg))
			embryonic_ack(c, seg);
		return;
	}
	if (seg->seq == c->irs)
		f &= (uint8_t)~SYNACK_TH_SYN;
	/* An in-window RST or SYN ends the embryonic connection (Linux:
	 * embryonic_reset answers a SYN with an RST). */
	if (f & (SYNACK_TH_RST | SYNACK_TH_SYN)) {
		if (!(f & SYNACK_TH_RST))
			sa_send_reset_reply(st, seg);
		sa_tcb_free(c);
		return;
	}
	if (!(f & SYNACK_TH_ACK))
		return;
	/* TCP_DEFER_ACCEPT: a bare ACK does not complete the handshake. */
	if (l->defer_accept && end == c->irs + 1 && c->retransmits < l->defer_accept) {
		c->acked_on_overflow = true;
		return;
	}
	if (acceptq_full(l)) {
		/* Linux with tcp_abort_on_overflow=0: drop the ACK, remember it
		 * was acked; the SYN-ACK timer resends and the peer retries. */
		st->stats.accept_queue_overflows++;
		st->stats.listen_drops++;
		if (st->prof.abort_on_overflow) {
			sa_send_reset_reply(st, seg);
			sa_tcb_free(c);
			return;
		}
		c->acked_on_overflow = true;
		return;
	}
	sa_sync_input(c, seg);
}
