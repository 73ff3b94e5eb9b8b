/* The TCB: creation, state transitions, the end of a connection, buffers. */
#include <errno.h>
#include <string.h>

#include "internal.h"

static const char *const state_names[] = {
	"?",         "ESTABLISHED", "SYN_SENT",   "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
	"TIME_WAIT", "CLOSED",      "CLOSE_WAIT", "LAST_ACK", "LISTEN",    "CLOSING",
};

const char *sa_state_name(uint8_t s)
{
	return s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

/* RFC 9293 §3.7.1 (MUST-15): with no MSS option (or one of 0, which
 * tcp_parse_options ignores) the send MSS is 536 for IPv4 and 1220 for IPv6
 * (Linux: TCP_MSS_DEFAULT; IPV6_MIN_MTU less 60 in tcp_v6_connect and
 * tcp_request_sock_ipv6_ops). By the wire: a dual-stack listener's IPv4 SYN
 * gets 536 (tcp_v6_conn_request hands it to tcp_v4_conn_request). */
uint16_t sa_default_mss(const struct synack_stack *st, uint8_t family)
{
	return family == 6 ? 1280 - 60 : st->prof.default_mss;
}

/* A new socket's settings (Linux: tcp_init_sock); t is zeroed. */
void sa_tcb_defaults(struct synack_stack *st, struct tcb *t, uint8_t family)
{
	const struct synack_profile *p = &st->prof;
	t->st = st;
	t->fd = -1;
	t->state = SA_CLOSED;
	t->family = family;
	t->sock_family = family;
	t->laddr.family = family;
	t->raddr.family = family;
	t->sndbuf = p->wmem[1];
	t->rcvbuf = p->rmem[1];
	t->scaling_ratio = p->scaling_ratio_init ? p->scaling_ratio_init : 128;
	t->rto_us = (uint32_t)p->rto_init_us;
	t->cc = p->cc;
	t->snd_cwnd = p->initcwnd ? p->initcwnd : 1; /* RFC 6928 / Linux TCP_INIT_CWND */
	t->snd_ssthresh = 0x7fffffff;                /* TCP_INFINITE_SSTHRESH */
	t->rack_reo_wnd_steps = 1;                   /* Linux: tcp_init_sock */
	t->reordering = p->reordering;               /* sysctl tcp_reordering */
	t->mss_clamp = p->default_mss;
	t->keepidle_s = p->keepalive_time_s;
	t->keepintvl_s = p->keepalive_intvl_s;
	t->keepcnt = p->keepalive_probes;
	t->syncnt = 0;    /* 0: the profile's syn_retries */
	t->ip_ttl = -1;   /* Linux: inet->uc_ttl = -1 (inet_create) */
	t->ip6_hops = -1; /* Linux: np->hop_limit = -1 (inet6_create) */
	for (int k = 0; k < SA_T_COUNT; k++)
		t->t_deadline[k] = SYNACK_NEVER;
}

struct tcb *sa_tcb_new(struct synack_stack *st, uint8_t family)
{
	/* Bounded memory: every tcb counts against max_sockets. */
	if (st->n_tcbs >= st->prof.max_sockets)
		return NULL;
	struct tcb *t = sa_alloc(st, sizeof(*t));
	if (!t)
		return NULL;
	st->n_tcbs++;
	sa_tcb_defaults(st, t, family);
	t->id = st->next_id++;
	return t;
}

/* Unlinks t from everything and queues it for freeing at the end of the
 * current API call (callers up the stack may still hold it). */
void sa_tcb_free(struct tcb *t)
{
	struct synack_stack *st = t->st;
	if (t->dead)
		return;
	t->dead = true;
	if (t->state == SA_LISTEN)
		sa_listen_close(t);
	sa_timer_clear_all(t);
	sa_conn_hash_del(t);
	sa_bind_hash_del(t);
	if (t->listener)
		sa_listen_unlink_child(t);
	if (t->fd >= 0)
		sa_fd_release(st, t->fd);
	t->fd = -1;
	t->state = SA_CLOSED;
	st->n_tcbs--;
	t->qnext = st->graveyard;
	st->graveyard = t;
}

/* RFC 9293 §3.3.2 (Figure 5) and the event processing of §3.10 that the
 * figure leaves out, as bit masks of the states a state may move to; one bit
 * per enum sa_state. Every state may go to CLOSED (ABORT, a RST, a retry
 * limit: §3.10.4, §3.10.7, §3.8.3). Beyond the figure: SYN-RECEIVED to
 * CLOSE-WAIT and FIN-WAIT-1 to TIME-WAIT on one segment (§3.10.7.4, "eighth,
 * check the FIN bit"), SYN-RECEIVED to FIN-WAIT-1 on CLOSE (§3.10.4), CLOSED
 * to LISTEN or SYN-SENT again (a socket Linux disconnected or whose connect
 * failed). A state change against this table is an engine bug: sa_set_state
 * records the first one and synack_check_invariants reports it. */
#define TO(s) (1u << (s))
static const uint16_t state_successors[] = {
	[SA_CLOSED] = TO(SA_LISTEN) | TO(SA_SYN_SENT),
	[SA_LISTEN] = TO(SA_SYN_SENT) | TO(SA_CLOSED),
	[SA_SYN_SENT] = TO(SA_SYN_RECV) | TO(SA_ESTABLISHED) | TO(SA_CLOSED),
	[SA_SYN_RECV] = TO(SA_ESTABLISHED) | TO(SA_FIN_WAIT1) | TO(SA_CLOSE_WAIT) | TO(SA_CLOSED),
	[SA_ESTABLISHED] = TO(SA_FIN_WAIT1) | TO(SA_CLOSE_WAIT) | TO(SA_CLOSED),
	[SA_FIN_WAIT1] = TO(SA_FIN_WAIT2) | TO(SA_CLOSING) | TO(SA_TIME_WAIT) | TO(SA_CLOSED),
	[SA_FIN_WAIT2] = TO(SA_TIME_WAIT) | TO(SA_CLOSED),
	[SA_CLOSE_WAIT] = TO(SA_LAST_ACK) | TO(SA_CLOSED),
	[SA_CLOSING] = TO(SA_TIME_WAIT) | TO(SA_CLOSED),
	[SA_LAST_ACK] = TO(SA_CLOSED),
	[SA_TIME_WAIT] = TO(SA_CLOSED),
};
#undef TO

bool sa_state_change_allowed(uint8_t from, uint8_t to)
{
	if (from == to)
		return true;
	return from < sizeof(state_successors) / sizeof(state_successors[0]) && to < 16 &&
	       (state_successors[from] >> to & 1u);
}

void sa_set_state(struct tcb *t, uint8_t state)
{
	struct synack_stack *st = t->st;
	if (!st->bad_state_change.seen && !sa_state_change_allowed(t->state, state)) {
		st->bad_state_change.seen = true;
		st->bad_state_change.tcb_id = t->id;
		st->bad_state_change.from = t->state;
		st->bad_state_change.to = state;
	}
	t->state = state;
}

/* Linux: tcp_done — to CLOSED; a socket nobody holds is freed. */
void sa_tcb_done(struct tcb *t)
{
	if (t->dead)
		return;
	sa_timer_clear_all(t);
	sa_ooo_purge(t); /* ooo.c */
	/* Linux: tcp_write_queue_purge + tcp_clear_all_retrans_hints — the
	 * sent-segment queue and its scoreboard go with the connection. */
	sa_txq_free(t);
	t->sacked_out = t->lost_out = t->retrans_out = 0;
	sa_set_state(t, SA_CLOSED);
	sa_conn_hash_del(t);
	t->shut_rd = t->shut_wr = true;
	/* Linux: a child still in the accept queue is not orphaned; accept()
	 * returns it, closed, with its error. */
	if (t->in_accept_queue && !t->orphan)
		return;
	if (t->fd < 0 || t->orphan) {
		sa_tcb_free(t);
		return;
	}
	/* Linux: inet_put_port unless the user bound the port explicitly. */
	if (!t->user_bound)
		sa_bind_hash_del(t);
}

/* RFC 9293 §3.10.7.4 (RST in a synchronized state): outstanding calls get
 * "connection reset", the TCB is deleted. Linux: tcp_reset picks the errno
 * by state. */
void sa_reset_conn(struct tcb *t, int err)
{
	if (!err) {
		switch (t->state) {
		case SA_SYN_SENT:
			err = ECONNREFUSED;
			break;
		case SA_CLOSE_WAIT:
			err = EPIPE;
			break;
		case SA_CLOSED:
			err = 0;
			break;
		default:
			err = ECONNRESET;
		}
	}
	if (err)
		t->so_error = err;
	t->reset_seen = true;
	sa_ring_drop(&t->sndq, t->sndq.len);
	sa_uskb_clear(t);
	sa_tcb_done(t);
}

void sa_sync_mss(struct tcb *t)
{
	const struct synack_profile *p = &t->st->prof;
	uint32_t hdr = (t->family == 6 ? 40u : 20u) + 20u;
	/* Linux: tcp_sync_mss(sk, icsk_pmtu_cookie) — the path MTU (icmp.c). */
	uint32_t mtu = t->pmtu && t->pmtu < p->mtu ? t->pmtu : p->mtu;
	uint32_t mss = mtu > hdr ? mtu - hdr : p->min_snd_mss;
	if (mss > t->mss_clamp)
		mss = t->mss_clamp;
	if (t->user_mss && mss > t->user_mss)
		mss = t->user_mss;
	/* Linux: tcp_mtu_to_mss clamps to tcp_min_snd_mss (CVE-2019-11479). */
	if (mss < p->min_snd_mss)
		mss = p->min_snd_mss;
	if (t->ts_ok)
		mss -= 12; /* TCPOLEN_TSTAMP_ALIGNED */
	/* Linux: tcp_bound_to_half_wnd — never more than half the largest
	 * window the peer offered (all of it if that is at most 536). */
	uint32_t cutoff = t->max_snd_wnd > 536 ? t->max_snd_wnd >> 1 : t->max_snd_wnd;
	if (cutoff && mss > cutoff)
		mss = SA_MAX(cutoff, 68u - (t->ts_ok ? 32u : 20u));
	t->snd_mss = (uint16_t)mss;
}

/* Linux: tcp_current_mss — the data a segment sent now may carry: the MSS
 * less the SACK option it will carry (RFC 6691 §2: the options are
 * subtracted from the MSS; the timestamps option already is). */
uint32_t sa_cur_mss(const struct tcb *t)
{
	if (t->xmit_mss)
		return t->xmit_mss;
	uint32_t mss = t->snd_mss ? t->snd_mss : 536;
	uint32_t sack = sa_sack_opt_len(t); /* sack_gen.c */
	return mss > sack ? mss - sack : 1;
}

/* Enters ESTABLISHED (RFC 9293 §3.10.7.3/.4) and sizes what depends on the
 * negotiated options. */
void sa_established(struct tcb *t)
{
	sa_set_state(t, SA_ESTABLISHED);
	t->snd_sml = t->snd_una;
	t->cwnd_usage_seq = t->snd_una;
	t->pushed_seq = t->snd_una + t->sndq.len; /* Linux: pushed_seq = write_seq */
	/* Linux: the segments we take carry the timestamp option, so the MSS
	 * we advertised, less it, is what a full one holds from now on
	 * (tcp_rcv_synsent_state_process, tcp_rcv_state_process SYN_RECV;
	 * TCPOLEN_TSTAMP_ALIGNED). */
	if (t->ts_ok)
		t->advmss -= 12;
	sa_init_buffer_space(t); /* window.c */
	sa_sync_mss(t);
	/* Linux: tcp_initialize_rcv_mss — a guess of the peer's segment size,
	 * at most 536 until segments are measured (tcp_measure_rcv_mss). */
	uint32_t hint = SA_MIN(t->advmss, t->snd_mss);
	hint = SA_MIN(hint, t->rcv_wnd / 2);
	hint = SA_MIN(hint, 536u);
	t->rcv_mss = (uint16_t)SA_MAX(hint, 88u); /* TCP_MIN_MSS */
	sa_delack_established(t);                 /* delack.c */
	sa_sndbuf_expand(t);                      /* Linux: tcp_init_buffer_space */
	sa_tso_update_pacing(t);                  /* tso.c: Linux at SYN_RECV → ESTABLISHED */
	sa_keepalive_reset(t);                    /* keepalive.c */
	sa_wake(t);
}

/* RFC 9293 §3.10.7.4 / Linux tcp_time_wait: the connection moves into a
 * minimal TIME_WAIT sock; a descriptor still open sees CLOSED. */
void sa_enter_time_wait(struct tcb *t)
{
	struct synack_stack *st = t->st;
	struct tcb *tw = t;
	if (t->fd >= 0 && !t->orphan) {
		tw = sa_tcb_new(st, t->family);
		if (!tw) {
			/* Linux: "time wait bucket table overflow" — just close. */
			sa_tcb_done(t);
			return;
		}
		tw->laddr = t->laddr;
		tw->raddr = t->raddr;
		tw->lport = t->lport;
		tw->rport = t->rport;
		tw->iss = t->iss;
		tw->irs = t->irs;
		tw->snd_una = t->snd_una;
		tw->snd_nxt = t->snd_nxt;
		tw->snd_wnd = t->snd_wnd;
		tw->max_snd_wnd = t->max_snd_wnd;
		tw->rcv_nxt = t->rcv_nxt;
		tw->rcv_wnd = t->rcv_wnd;
		tw->rcv_wup = t->rcv_wup;
		tw->rcv_ssthresh = t->rcv_ssthresh;
		tw->window_clamp = t->window_clamp;
		tw->rcvbuf = t->rcvbuf;
		tw->scaling_ratio = t->scaling_ratio;
		tw->ws_ok = t->ws_ok;
		tw->sack_ok = t->sack_ok;
		tw->ts_ok = t->ts_ok;
		tw->snd_wscale = t->snd_wscale;
		tw->rcv_wscale = t->rcv_wscale;
		tw->ts_recent = t->ts_recent;
		tw->ts_recent_stamp_us = t->ts_recent_stamp_us;
		tw->ts_offset = t->ts_offset;
		tw->fin_sent = t->fin_sent;
		tw->fin_seq = t->fin_seq;
		tw->rcv_fin = true;
		tw->snd_mss = t->snd_mss;
		tw->mss_clamp = t->mss_clamp;
		tw->advmss = t->advmss;
		tw->reuseaddr = t->reuseaddr;
		tw->ip_tos = t->ip_tos; /* Linux: tw->tw_tos, tw->tw_tclass */
		tw->ip6_tclass = t->ip6_tclass;
		tw->sock_family = t->sock_family;
		/* The TIME_WAIT sock carries t's connection on: its state
		 * change is t's (FIN-WAIT-2 or CLOSING → TIME-WAIT). */
		tw->state = t->state;
		tw->orphan = true;
		sa_tcb_done(t);
		sa_conn_hash_add(tw);
		sa_bind_hash_add(tw);
	}
	/* Linux: inet_twsk_hashdance — the TIME_WAIT sock keeps the bind
	 * bucket (an accepted child inherited it: __inet_inherit_port), so
	 * bind() without SO_REUSEADDR conflicts (inet_csk_bind_conflict). */
	sa_bind_hash_add(tw);
	sa_timer_clear_all(tw);
	sa_set_state(tw, SA_TIME_WAIT);
	/* RFC 9293 §3.10.7.4: the timer is 2 MSL; Linux: TCP_TIMEWAIT_LEN. */
	sa_timer_set(tw, SA_T_TIME_WAIT, st->now_us + st->prof.time_wait_us);
}

/* ---- ring buffers ---- */

bool sa_ring_reserve(struct synack_stack *st, struct sa_ring *r, uint32_t cap)
{
	if (r->buf)
		return true;
	if (cap == 0)
		cap = 1;
	/* Not zeroed: a ring's bytes are read only after sa_ring_write wrote
	 * them (up to 128 KiB per connection; zeroing them was a tenth of the
	 * segment fuzz target's time, docs/fuzzing.md). */
	r->buf = sa_alloc_raw(st, cap);
	if (!r->buf)
		return false;
	r->cap = cap;
	r->head = 0;
	r->len = 0;
	return true;
}

/* Re-lays a ring out in a larger buffer (the send buffer grew). */
bool sa_ring_grow(struct synack_stack *st, struct sa_ring *r, uint32_t cap)
{
	if (!r->buf || cap <= r->cap)
		return true;
	uint8_t *nb = sa_alloc(st, cap);
	if (!nb)
		return false;
	sa_ring_peek(r, 0, nb, r->len);
	sa_free(st, r->buf);
	r->buf = nb;
	r->cap = cap;
	r->head = 0;
	return true;
}

/* Linux: tcp_sndbuf_expand — room for twice max(TCP_INIT_CWND, cwnd,
 * reordering + 1) segments, each an skb whose head is kmalloc'ed for
 * MSS + MAX_TCP_HEADER (256) + skb_shared_info (320), rounded to a power of
 * two, plus struct sk_buff (256); Reno and CUBIC ask for 2 (Linux's
 * ca_ops->sndbuf_expand, only BBR's differs). */
void sa_sndbuf_expand(struct tcb *t)
{
	const struct synack_profile *p = &t->st->prof;
	if (!p->sndbuf_expand || t->sndbuf_locked)
		return;
	uint32_t per_mss = SA_MAX((uint32_t)t->mss_clamp, (uint32_t)t->snd_mss) + 256u + 320u;
	uint32_t pow = 1;
	while (pow < per_mss)
		pow <<= 1;
	per_mss = pow + 256u;
	uint32_t nr = SA_MAX(10u, t->snd_cwnd); /* TCP_INIT_CWND */
	nr = SA_MAX(nr, t->reordering + 1u);
	uint64_t sndmem = 2ull * nr * per_mss;
	if (t->sndbuf < sndmem)
		t->sndbuf = (uint32_t)SA_MIN(sndmem, (uint64_t)p->wmem[2]);
}

/* Linux: tcp_check_space → tcp_new_space, after an incoming segment was
 * processed: if a writer found the buffer full, grow it while the
 * congestion window is not full (tcp_should_expand_sndbuf), and clear the
 * flag once writable again (sk_stream_write_space: free >= queued / 2). */
void sa_check_space(struct tcb *t)
{
	if (!t->nospace)
		return;
	if (sa_packets_in_flight(t) < t->snd_cwnd)
		sa_sndbuf_expand(t);
	if (sa_sndbuf_writable(t))
		t->nospace = false;
}

uint32_t sa_ring_write(struct sa_ring *r, const uint8_t *p, uint32_t n)
{
	uint32_t room = r->cap - r->len;
	if (n > room)
		n = room;
	for (uint32_t done = 0; done < n;) {
		uint32_t at = (r->head + r->len) % r->cap;
		uint32_t chunk = SA_MIN(n - done, r->cap - at);
		memcpy(r->buf + at, p + done, chunk);
		done += chunk;
		r->len += chunk;
	}
	return n;
}

uint32_t sa_ring_peek(const struct sa_ring *r, uint32_t off, uint8_t *p, uint32_t n)
{
	if (off >= r->len)
		return 0;
	if (n > r->len - off)
		n = r->len - off;
	for (uint32_t done = 0; done < n;) {
		uint32_t at = (r->head + off + done) % r->cap;
		uint32_t chunk = SA_MIN(n - done, r->cap - at);
		memcpy(p + done, r->buf + at, chunk);
		done += chunk;
	}
	return n;
}

void sa_ring_drop(struct sa_ring *r, uint32_t n)
{
	if (n > r->len)
		n = r->len;
	if (!r->cap)
		return;
	r->head = (r->head + n) % r->cap;
	r->len -= n;
}

void sa_ring_free(struct synack_stack *st, struct sa_ring *r)
{
	sa_free(st, r->buf);
	r->buf = NULL;
	r->cap = r->len = r->head = 0;
}
