/* The BSD socket calls with Linux's semantics and errnos (net/socket.c,
 * net/ipv4/af_inet.c, inet_connection_sock.c, tcp.c). Every call is
 * non-blocking: where Linux would sleep, -EAGAIN / -EINPROGRESS. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "internal.h"

#ifndef POLLRDHUP
#define POLLRDHUP 0x2000 /* Linux's value; <poll.h> hides it without _GNU_SOURCE */
#endif
#define SIOCINQ_    0x541B /* FIONREAD */
#define SIOCATMARK_ 0x8905 /* linux/sockios.h */
#define SIOCOUTQ_   0x5411 /* TIOCOUTQ */
#define SIOCOUTQNSD 0x894B

void sa_wake(struct tcb *t)
{
	(void)t; /* poll() is level-triggered: nothing to do */
}

int synack_socket(struct synack_stack *st, int domain, int type, int protocol)
{
	/* Linux: __sock_create / inet_create. */
	if (domain != AF_INET && domain != AF_INET6)
		return -EAFNOSUPPORT;
	int base = type & 0xf;
	if (type & ~(0xf | SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	if (base != SOCK_STREAM)
		return -ESOCKTNOSUPPORT; /* only TCP is modelled */
	if (protocol != 0 && protocol != IPPROTO_TCP)
		return -EPROTONOSUPPORT;
	struct tcb *t = sa_tcb_new(st, domain == AF_INET6 ? 6 : 4);
	if (!t)
		return -ENFILE;
	int fd = sa_fd_alloc(st, t);
	if (fd < 0) {
		sa_tcb_free(t);
		sa_reap(st);
		return fd;
	}
	t->ss = SA_SS_UNCONNECTED;
	return fd;
}

static const uint8_t v4mapped_prefix[12] = { [10] = 0xff, [11] = 0xff };

/* sockaddr <-> synack_addr. Returns 0 or -errno (Linux: inet_bind /
 * inet6_bind / tcp_v4_connect argument checks). An AF_INET6 socket's
 * IPv4-mapped address (RFC 4291 §2.5.5.2) comes out as the IPv4 address
 * (family 4) it stands for. */
static int from_sockaddr(const struct tcb *t, const struct sockaddr *sa, socklen_t len,
                         struct synack_addr *a, uint16_t *port, bool for_bind)
{
	memset(a, 0, sizeof(*a));
	if (!sa)
		return -EFAULT;
	if (t->sock_family == 4) {
		if (len < (socklen_t)sizeof(struct sockaddr_in))
			return -EINVAL;
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		if (in->sin_family != AF_INET) {
			/* AF_UNSPEC with INADDR_ANY is accepted by bind for
			 * compatibility (Linux: inet_bind). */
			if (!(for_bind && in->sin_family == AF_UNSPEC &&
			      in->sin_addr.s_addr == htonl(INADDR_ANY)))
				return -EAFNOSUPPORT;
		}
		a->family = 4;
		memcpy(a->bytes, &in->sin_addr, 4);
		*port = ntohs(in->sin_port);
		return 0;
	}
	if (len < (socklen_t)sizeof(struct sockaddr_in6))
		return -EINVAL;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
	if (in6->sin6_family != AF_INET6)
		return -EAFNOSUPPORT;
	*port = ntohs(in6->sin6_port);
	if (!memcmp(&in6->sin6_addr, v4mapped_prefix, 12)) {
		a->family = 4;
		memcpy(a->bytes, (const uint8_t *)&in6->sin6_addr + 12, 4);
		return 0;
	}
	a->family = 6;
	memcpy(a->bytes, &in6->sin6_addr, 16);
	return 0;
}

static int to_sockaddr(const struct tcb *t, const struct synack_addr *a, uint16_t port,
                       struct sockaddr *sa, socklen_t *len)
{
	if (!sa || !len)
		return -EFAULT;
	if ((int)*len < 0)
		return -EINVAL;
	union {
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u;
	memset(&u, 0, sizeof(u));
	socklen_t n;
	if (t->sock_family == 4) {
		u.in.sin_family = AF_INET;
		u.in.sin_port = htons(port);
		memcpy(&u.in.sin_addr, a->bytes, 4);
		n = sizeof(u.in);
	} else {
		u.in6.sin6_family = AF_INET6;
		u.in6.sin6_port = htons(port);
		if (a->family == 4) { /* ::ffff:a.b.c.d */
			memcpy(&u.in6.sin6_addr, v4mapped_prefix, 12);
			memcpy((uint8_t *)&u.in6.sin6_addr + 12, a->bytes, 4);
		} else {
			memcpy(&u.in6.sin6_addr, a->bytes, 16);
		}
		n = sizeof(u.in6);
	}
	memcpy(sa, &u, *len < n ? *len : n);
	*len = n;
	return 0;
}

static const struct synack_addr *first_addr(struct synack_stack *st, uint8_t family)
{
	for (int i = 0; i < st->n_addrs; i++)
		if (st->addrs[i].family == family)
			return &st->addrs[i];
	return NULL;
}

/* Linux: inet_csk_get_port with port 0 — bind() prefers odd ports,
 * connect() even ones (__inet_hash_connect), starting from a keyed hash. */
static uint16_t pick_port(struct synack_stack *st, struct tcb *t, const struct synack_addr *ra,
                          uint16_t rport, bool for_connect)
{
	uint32_t lo = st->prof.port_lo, hi = st->prof.port_hi;
	if (hi < lo)
		return 0;
	uint32_t range = hi - lo + 1;
	uint32_t off = sa_port_hash(st, &t->laddr, ra, rport) + st->port_offset_ctr;
	st->port_offset_ctr += 2;
	uint32_t parity = for_connect ? 0u : 1u;
	for (int pass = 0; pass < 2; pass++, parity ^= 1u) {
		for (uint32_t i = 0; i < range; i++) {
			uint32_t port = lo + (off + i) % range;
			if ((port & 1u) != parity)
				continue;
			if (sa_port_in_use(st, t, &t->laddr, (uint16_t)port, false))
				continue;
			if (for_connect && sa_conn_lookup(st, &t->laddr, (uint16_t)port, ra, rport))
				continue;
			return (uint16_t)port;
		}
	}
	return 0;
}

int synack_bind(struct synack_stack *st, int fd, const struct sockaddr *addr, socklen_t len)
{
	int err;
	struct tcb *t = sa_fd_get(st, fd, &err);
	if (!t)
		return err;
	struct synack_addr a;
	uint16_t port;
	if ((err = from_sockaddr(t, addr, len, &a, &port, true)))
		return err;
	/* Linux: __inet6_bind — a v4-mapped address on a v6-only socket makes
	 * no sense. */
	bool mapped = a.family != t->sock_family;
	if (mapped && t->v6only)
		return -EINVAL;
	/* Linux: inet_bind checks the address first (EADDRNOTAVAIL) ... */
	if (!sa_addr_any(&a) && !sa_is_local_addr(st, &a))
		return -EADDRNOTAVAIL;
	/* ... then that the socket is still unbound (EINVAL). */
	if (t->state != SA_CLOSED || t->lport)
		return -EINVAL;
	uint8_t family = t->family;
	t->laddr = a;
	t->family = a.family; /* a mapped address: IPv4 from now on */
	t->port_locked = port != 0;
	t->addr_locked = !sa_addr_any(&a);
	if (port == 0)
		port = pick_port(st, t, &a, 0, false);
	else if (sa_port_in_use(st, t, &a, port, t->reuseaddr))
		port = 0;
	if (!port) {
		t->port_locked = t->addr_locked = false;
		t->family = family;
		memset(&t->laddr, 0, sizeof(t->laddr));
		t->laddr.family = family;
		return -EADDRINUSE;
	}
	/* Linux: __inet6_bind — bound to a specific IPv6 address, the socket
	 * is IPv6-only. */
	if (t->sock_family == 6 && !mapped && !sa_addr_any(&a))
		t->v6only = true;
	t->lport = port;
	t->bound = true;
	t->user_bound = true;
	sa_bind_hash_add(t);
	return 0;
}

int synack_listen(struct synack_stack *st, int fd, int backlog)
{
	int err;
	struct tcb *t = sa_fd_get(st, fd, &err);
	if (!t)
		return err;
	/* Linux: inet_listen — only an unconnected socket in CLOSE or LISTEN. */
	if (t->ss != SA_SS_UNCONNECTED || (t->state != SA_CLOSED && t->state != SA_LISTEN))
		return -EINVAL;
	t->max_ack_backlog = (uint32_t)sa_backlog_of(st, backlog);
	if (t->state == SA_LISTEN)
		return 0;
	if (!t->lport) {
		/* Linux: inet_autobind. */
		uint16_t p = pick_port(st, t, &t->laddr, 0, false);
		if (!p)
			return -EAGAIN;
		t->lport = p;
		t->bound = true;
		sa_bind_hash_add(t);
	} else if (sa_port_in_use(st, t, &t->laddr, t->lport, false)) {
		/* Linux: inet_csk_listen_start re-checks the port: a listener
		 * may not share it even with SO_REUSEADDR. */
		for (struct tcb *o = st->bind_hash[t->lport & st->hash_mask]; o; o = o->bnext)
			if (o != t && o->lport == t->lport && o->state == SA_LISTEN &&
			    sa_families_overlap(o, t) &&
			    (sa_addr_any(&o->laddr) || sa_addr_any(&t->laddr) ||
			     sa_addr_eq(&o->laddr, &t->laddr)))
				return -EADDRINUSE;
	}
	sa_set_state(t, SA_LISTEN);
	return 0;
}

int synack_accept(struct synack_stack *st, int fd, struct sockaddr *addr, socklen_t *len)
{
	int err;
	struct tcb *l = sa_fd_get(st, fd, &err);
	if (!l)
		return err;
	if (l->state != SA_LISTEN)
		return -EINVAL;
	struct tcb *c = l->acceptq_head;
	if (!c)
		return -EAGAIN;
	if (addr && len && (int)*len < 0)
		return -EINVAL;
	int nfd = sa_fd_alloc(st, c);
	if (nfd < 0)
		return nfd;
	sa_listen_unlink_child(c);
	c->ss = SA_SS_CONNECTED;
	if (addr && len)
		to_sockaddr(c, &c->raddr, c->rport, addr, len);
	return nfd;
}

/* Multicast (224.0.0.0/4, ff00::/8) or the limited broadcast; subnet
 * broadcasts need a prefix the engine does not have (as segment.c). An
 * IPv4-mapped IPv6 address is judged as IPv4. */
static bool not_unicast(const struct synack_addr *a)
{
	const uint8_t *b = a->bytes;
	if (a->family == 6) {
		static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
		if (memcmp(b, mapped, 12))
			return b[0] == 0xff;
		b += 12;
	}
	uint32_t v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return v == 0xffffffffu || (v >> 28) == 0xe;
}

int synack_connect(struct synack_stack *st, int fd, const struct sockaddr *addr, socklen_t len)
{
	int err;
	struct tcb *t = sa_fd_get(st, fd, &err);
	if (!t)
		return err;
	/* Linux: __inet_stream_connect — AF_UNSPEC disconnects, in any state. */
	if (addr && len < (socklen_t)sizeof addr->sa_family)
		return -EINVAL;
	if (addr && addr->sa_family == AF_UNSPEC) {
		int r = sa_disconnect(t);
		t->ss = SA_SS_UNCONNECTED;
		sa_reap(st);
		return r;
	}
	/* ... then by sock->state. */
	switch (t->ss) {
	case SA_SS_CONNECTED:
		return -EISCONN;
	case SA_SS_CONNECTING:
		if (t->state == SA_SYN_SENT || t->state == SA_SYN_RECV)
			return -EALREADY;
		if (t->state == SA_CLOSED) {
			/* Refused, reset or timed out: report it once. */
			t->ss = SA_SS_UNCONNECTED;
			int e = t->so_error ? t->so_error : ECONNABORTED;
			t->so_error = 0;
			return -e;
		}
		t->ss = SA_SS_CONNECTED;
		return 0;
	default:
		break;
	}
	if (t->state != SA_CLOSED)
		return -EISCONN;
	struct synack_addr ra;
	uint16_t rport;
	if ((err = from_sockaddr(t, addr, len, &ra, &rport, false)))
		return err;
	/* Linux: tcp_v6_connect — a v4-mapped peer goes by IPv4 (tcp_v4_connect,
	 * ipv6_mapped), unless the socket is v6-only or bound to an address of
	 * the other family. */
	if (ra.family != t->family && (t->v6only || !sa_addr_any(&t->laddr)))
		return -ENETUNREACH;
	if (sa_addr_any(&ra)) {
		/* Linux connects to INADDR_ANY as loopback; there is none here. */
		return -ENETUNREACH;
	}
	if (not_unicast(&ra)) {
		/* RFC 9293 MUST-46 (RFC 1122 §4.2.3.14): an OPEN to a broadcast
		 * or multicast address is refused (Linux: tcp_v4_connect,
		 * RTCF_MULTICAST | RTCF_BROADCAST; tcp_v6_connect). */
		return -ENETUNREACH;
	}
	uint8_t family = t->family;
	struct synack_addr laddr = t->laddr;
	t->family = ra.family;
	if (sa_addr_any(&t->laddr)) {
		const struct synack_addr *la = first_addr(st, t->family);
		err = la ? 0 : -ENETUNREACH;
		if (la)
			t->laddr = *la;
	}
	if (!err && !t->lport) {
		uint16_t p = pick_port(st, t, &ra, rport, true);
		err = p ? 0 : -EADDRNOTAVAIL;
		if (p) {
			t->lport = p;
			t->bound = true;
		}
	} else if (!err && sa_conn_lookup(st, &t->laddr, t->lport, &ra, rport)) {
		err = -EADDRNOTAVAIL;
	}
	if (err) {
		/* Linux: tcp_v6_connect's failure path puts ipv6_specific back. */
		t->family = family;
		if (family != ra.family)
			t->laddr = laddr;
		return err;
	}
	t->raddr = ra;
	t->rport = rport;
	sa_bind_hash_add(t);
	sa_conn_hash_add(t);
	uint32_t hdr = t->family == 6 ? 60u : 40u;
	t->advmss = (uint16_t)(st->prof.mtu - hdr);
	if (t->user_mss && t->advmss > t->user_mss)
		t->advmss = t->user_mss;
	t->mss_clamp = t->user_mss ? t->user_mss : 65535;
	t->iss = sa_isn(st, &t->laddr, t->lport, &t->raddr, t->rport);
	t->snd_una = t->iss;
	t->snd_nxt = t->iss + 1;
	t->ts_offset = sa_ts_offset(st, &t->laddr, &t->raddr);
	t->so_error = 0;
	t->shut_rd = t->shut_wr = false;
	sa_init_rcv_window(t, st->prof.window_scaling);
	sa_set_state(t, SA_SYN_SENT);
	t->ss = SA_SS_CONNECTING;
	sa_send_syn(t);
	sa_rtx_arm(t);
	return -EINPROGRESS;
}

static bool can_send_state(uint8_t s)
{
	return s == SA_ESTABLISHED || s == SA_CLOSE_WAIT;
}

static uint32_t sndq_free(const struct tcb *t)
{
	uint32_t used = t->sndq.len;
	return t->sndbuf > used ? t->sndbuf - used : 0;
}

/* Room in the send ring for n more bytes: it grows as data is queued (by
 * doubling), up to SO_SNDBUF plus one skb's worth (a write may fill a new
 * skb while the buffer is not yet full). */
static bool sndq_room(struct tcb *t, uint32_t n)
{
	struct sa_ring *r = &t->sndq;
	uint32_t need = r->len + n, max = t->sndbuf + 65536u;
	if (!r->buf)
		return sa_ring_reserve(t->st, r, SA_MIN(SA_MAX(need, t->sndbuf), max));
	if (need <= r->cap)
		return true;
	return need <= max && sa_ring_grow(t->st, r, SA_MIN(SA_MAX(need, 2 * r->cap), max));
}

/* Linux: forced_push — more than half the largest window written since
 * the last push mark. */
static bool forced_push(const struct tcb *t)
{
	uint32_t write_seq = t->snd_una + t->sndq.len;
	return synack_seq_gt(write_seq, t->pushed_seq + (t->max_snd_wnd >> 1));
}

/* Linux: tcp_sendmsg_locked's loop (sndbuf.c) — append to the unsent tail
 * skb up to size_goal; a new skb only while sk_wmem_queued is below
 * SO_SNDBUF. A full skb leaves at once: pushed (PSH) when forced_push, else
 * by itself if it is the send head (tcp_push_one); what the window lets out
 * is cut off it, and the rest, shorter than size_goal again, takes more of
 * the write. Returns the bytes queued, or -ENOBUFS. */
static int queue_in_skbs(struct tcb *t, const void *buf, size_t len, int flags)
{
	uint32_t goal = sa_size_goal(t, !(flags & MSG_OOB));
	size_t copied = 0;
	while (copied < len) {
		uint32_t tail = sa_uskb_tail_len(t);
		uint32_t copy = t->uskb_n && tail < goal ? goal - tail : 0;
		if (!copy) {
			if (!sa_sndbuf_memory_free(t)) {
				t->nospace = true; /* wait_for_space: SOCK_NOSPACE */
				break;
			}
			if (!sa_uskb_new(t))
				return copied ? (int)copied : -ENOBUFS;
			t->nagle_push = false; /* tcp_skb_entail clears TCP_NAGLE_PUSH */
			copy = goal;
		}
		copy = (uint32_t)SA_MIN((size_t)copy, len - copied);
		if (!sndq_room(t, copy))
			break;
		uint32_t w = sa_ring_write(&t->sndq, (const uint8_t *)buf + copied, copy);
		sa_uskb_append(t, w);
		if (!copied)
			sa_uskb_mark_push(t, false);
		copied += w;
		if (w < copy)
			break;
		if (copied == len || sa_uskb_tail_len(t) < goal || (flags & MSG_OOB))
			continue;
		if (forced_push(t)) {
			sa_uskb_mark_push(t, true);
			bool push = t->nagle_push;
			t->nagle_push = true; /* __tcp_push_pending_frames(TCP_NAGLE_PUSH) */
			sa_output(t);
			t->nagle_push = push;
		} else if (t->uskb_n == 1) {
			t->push_one = true;
			sa_output(t);
			t->push_one = false;
		}
	}
	/* Linux: tcp_remove_empty_skb. */
	if (t->uskb_n && !sa_uskb_tail_len(t))
		sa_uskb_drop_tail(t);
	/* Linux: tcp_push marks the last skb written. */
	if (copied && (!(flags & MSG_MORE) || forced_push(t)))
		sa_uskb_mark_push(t, true);
	return (int)copied;
}

static int take_error(struct tcb *t)
{
	int e = t->so_error;
	t->so_error = 0;
	return e;
}

ssize_t synack_send(struct synack_stack *st, int fd, const void *buf, size_t len, int flags)
{
	int err;
	struct tcb *t = sa_fd_get(st, fd, &err);
	if (!t)
		return err;
	if (t->state == SA_LISTEN)
		return -EPIPE; /* Linux: sk_stream_wait_connect on a listener */
	/* Linux: tcp_sendmsg_locked → sk_stream_wait_connect. */
	if (!can_send_state(t->state)) {
		if (t->so_error)
			return -take_error(t);
		if (t->state == SA_SYN_SENT || t->state == SA_SYN_RECV)
			return -EAGAIN;
		return -EPIPE;
	}
	if (t->so_error)
		return -take_error(t);
	if (t->shut_wr || t->fin_queued)
		return -EPIPE;
	if (len == 0)
		return 0;
	if (!buf)
		return -EFAULT;
	uint32_t n;
	if (st->prof.snd_truesize) {
		int r = queue_in_skbs(t, buf, len, flags);
		if (r <= 0)
			return r ? r : -EAGAIN;
		n = (uint32_t)r;
	} else {
		uint32_t room = sa_sndbuf_memory_free(t) ? sndq_free(t) : 0;
		if (room < len)
			t->nospace = true; /* Linux: tcp_sendmsg wait_for_space, SOCK_NOSPACE */
		if (room == 0)
			return -EAGAIN;
		if (!sa_ring_reserve(st, &t->sndq, t->sndbuf) ||
		    !sa_ring_grow(st, &t->sndq, t->sndbuf))
			return -ENOBUFS;
		n = (uint32_t)SA_MIN(len, (size_t)room);
		if (!sa_unsent(t))
			t->nagle_push = false; /* a new skb (Linux: tcp_skb_entail) */
		n = sa_ring_write(&t->sndq, buf, n);
	}
	if (flags & MSG_OOB)
		sa_urg_mark(t); /* urgent.c; Linux: tcp_push → tcp_mark_urg */
	/* MSG_MORE: like TCP_CORK for this call (Linux: tcp_push's nonagle is
	 * TCP_NAGLE_CORK alone, without TCP_NAGLE_PUSH). */
	bool cork = t->cork, push = t->nagle_push;
	if (flags & MSG_MORE) {
		t->cork = true;
		t->nagle_push = false;
	}
	sa_output(t);
	t->cork = cork;
	t->nagle_push = push;
	sa_reap(st);
	return n;
}

/* Linux: tcp_cleanup_rbuf — after a read, ACK at once if the window we
 * can now offer is at least twice the one the peer sees. */
static void window_update(struct tcb *t)
{
	if (t->shut_rd || t->rcv_fin)
		return;
	uint32_t right = t->rcv_wup + t->rcv_wnd;
	uint32_t now_wnd = synack_seq_gt(right, t->rcv_nxt) ? right - t->rcv_nxt : 0;
	if (2 * now_wnd > t->window_clamp)
		return;
	uint32_t saved_wnd = t->rcv_wnd, saved_wup = t->rcv_wup;
	uint16_t w = sa_select_window(t);
	uint32_t new_wnd = (uint32_t)w << t->rcv_wscale;
	t->rcv_wnd = saved_wnd;
	t->rcv_wup = saved_wup;
	if (new_wnd && new_wnd >= 2 * now_wnd)
		sa_send_ack_now(t);
}

ssize_t synack_recv(struct synack_stack *st, int fd, void *buf, size_t len, int flags)
{
	int err;
	struct tcb *t = sa_fd_get(st, fd, &err);
	if (!t)
		return err;
	/* Linux: tcp_recvmsg_locked. */
	if (t->state == SA_LISTEN)
		return -ENOTCONN;
	if (flags & MSG_OOB)
		return sa_urg_recv(t, buf, len, flags); /* urgent.c */
	if (t->rcvq.len && len) {
		if (!buf)
			return -EFAULT;
		uint32_t want = (uint32_t)SA_MIN(len, (size_t)t->rcvq.len), skip = 0;
		/* Linux: tcp_recvmsg_locked — a read stops at the urgent mark;
		 * the urgent byte is skipped unless SO_OOBINLINE (urgent.c). */
		if (t->urg_data) {
			uint32_t uo = t->urg_seq - sa_copied_seq(t);
			if (uo == 0 && !t->oobinline)
				skip = 1;
			else if (uo && uo < want)
				want = uo;
			want = SA_MIN(want, t->rcvq.len - skip);
		}
		uint32_t n = want ? sa_ring_peek(&t->rcvq, skip, buf, want) : 0;
		if (!(flags & MSG_PEEK)) {
			sa_autotune_read(t, sa_copied_seq(t), skip + n); /* autotune.c */
			sa_ring_drop(&t->rcvq, skip + n);
			sa_rmem_uncharge(t, skip + n); /* window.c: skbs read to the end */
			if (t->urg_data && synack_seq_gt(sa_copied_seq(t), t->urg_seq)) {
				t->urg_data = 0; /* read past the mark */
				sa_hp_check(t);  /* fastpath.c */
			}
			if (t->state != SA_CLOSED && t->state != SA_SYN_SENT) {
				if (sa_delack_cleanup_rbuf(t, n)) /* delack.c */
					sa_send_ack_now(t);
				else
					window_update(t);
			}
		}
		sa_reap(st);
		if (n || !skip)
			return n;
		/* Only the urgent byte was there: as if nothing was. */
	}
	if (len == 0 && t->rcvq.len)
		return 0;
	if (t->rcv_fin) {
		if (!(flags & MSG_PEEK))
			sa_rmem_uncharge(t, 0); /* window.c: the FIN's own skb, if any */
		return 0;                       /* SOCK_DONE */
	}
	if (t->so_error)
		return -take_error(t);
	if (t->shut_rd)
		return 0;
	if (t->state == SA_CLOSED)
		return -ENOTCONN;
	return -EAGAIN;
}

/* Linux: tcp_close_state — the state after the user's CLOSE, and whether a
 * FIN goes out (RFC 9293 §3.10.4). */
static bool close_state(struct tcb *t)
{
	switch (t->state) {
	case SA_ESTABLISHED:
	case SA_SYN_RECV:
		sa_set_state(t, SA_FIN_WAIT1);
		return true;
	case SA_CLOSE_WAIT:
		sa_set_state(t, SA_LAST_ACK);
		return true;
	case SA_SYN_SENT:
		sa_tcb_done(t);
		return false;
	default:
		return false;
	}
}

static void queue_fin(struct tcb *t)
{
	t->fin_queued = true;
	t->shut_wr = true;
	sa_output(t);
}

int synack_shutdown(struct synack_stack *st, int fd, int how)
{
	int err;
	struct tcb *t = sa_fd_get(st, fd, &err);
	if (!t)
		return err;
	/* Linux: inet_shutdown. */
	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	bool rd = how != SHUT_WR, wr = how != SHUT_RD;
	int ret = 0;
	switch (t->state) {
	case SA_CLOSED:
		ret = -ENOTCONN;
		if (rd)
			t->shut_rd = true;
		if (wr)
			t->shut_wr = true;
		break;
	case SA_LISTEN:
		if (!rd)
			break;
		sa_listen_close(t);
		sa_set_state(t, SA_CLOSED);
		break;
	case SA_SYN_SENT:
		/* Linux: tcp_disconnect — no RST for SYN_SENT. */
		t->so_error = ECONNRESET;
		sa_tcb_done(t);
		t->ss = SA_SS_UNCONNECTED;
		t->so_error = 0;
		t->shut_rd = t->shut_wr = false;
		break;
	default:
		if (rd)
			t->shut_rd = true;
		if (wr && !t->fin_queued &&
		    (t->state == SA_ESTABLISHED || t->state == SA_SYN_RECV ||
		     t->state == SA_CLOSE_WAIT)) {
			if (close_state(t))
				queue_fin(t);
		}
		break;
	}
	sa_reap(st);
	return ret;
}

static bool need_reset(uint8_t s)
{
	/* Linux: tcp_need_reset. */
	return s == SA_ESTABLISHED || s == SA_CLOSE_WAIT || s == SA_FIN_WAIT1 ||
	       s == SA_FIN_WAIT2 || s == SA_SYN_RECV;
}

int synack_close(struct synack_stack *st, int fd)
{
	int err;
	struct tcb *t = sa_fd_get(st, fd, &err);
	if (!t)
		return err;
	/* Linux: tcp_close. */
	sa_fd_release(st, fd);
	t->fd = -1;
	t->orphan = true;
	t->shut_rd = true;
	if (t->state == SA_LISTEN) {
		sa_listen_close(t);
		sa_tcb_free(t);
		sa_reap(st);
		return 0;
	}
	uint32_t unread = t->rcvq.len;
	sa_ring_drop(&t->rcvq, unread);
	sa_rmem_uncharge(t, unread);
	if (t->state == SA_CLOSED) {
		sa_tcb_free(t);
	} else if (unread) {
		/* RFC 9293 §3.10.4 / RFC 2525 §2.17: closing with unread data
		 * resets the connection. */
		st->stats.aborts_on_close++;
		uint8_t s = t->state;
		if (s != SA_SYN_SENT)
			sa_send_rst_for(t);
		sa_tcb_done(t);
	} else if (t->linger_on && t->linger_s == 0) {
		/* SO_LINGER {1, 0}: abort (Linux: tcp_disconnect). */
		st->stats.aborts_on_linger++;
		if (need_reset(t->state) ||
		    (t->sndq.len && (t->state == SA_CLOSING || t->state == SA_LAST_ACK)))
			sa_send_rst_for(t);
		sa_tcb_done(t);
	} else {
		if (close_state(t))
			queue_fin(t);
		if (t->dead)
			;
		else if (t->state == SA_FIN_WAIT2 && !sa_fin_wait2_orphaned(t)) {
			/* Linux: tcp_close — TCP_LINGER2 < 0 in FIN_WAIT_2. */
			st->stats.aborts_on_linger++;
			sa_send_rst_for(t);
			sa_tcb_done(t);
		} else if (t->state == SA_CLOSED)
			sa_tcb_free(t);
	}
	sa_reap(st);
	return 0;
}

int synack_getsockname(struct synack_stack *st, int fd, struct sockaddr *addr, socklen_t *len)
{
	int err;
	struct tcb *t = sa_fd_get(st, fd, &err);
	if (!t)
		return err;
	return to_sockaddr(t, &t->laddr, t->lport, addr, len);
}

int synack_getpeername(struct synack_stack *st, int fd, struct sockaddr *addr, socklen_t *len)
{
	int err;
	struct tcb *t = sa_fd_get(st, fd, &err);
	if (!t)
		return err;
	/* Linux: inet_getname(peer=1). */
	if (!t->rport || t->state == SA_CLOSED || t->state == SA_SYN_SENT || t->state == SA_LISTEN)
		return -ENOTCONN;
	return to_sockaddr(t, &t->raddr, t->rport, addr, len);
}

/* Linux: tcp_epollin_ready — SO_RCVLOWAT's bytes are queued, or fewer
 * but the buffer is nearly full (tcp_rmem_pressure: over 7/8 of it) or
 * the window left is at most a segment: the sender cannot bring more. */
static bool readable(const struct tcb *t, uint32_t target)
{
	uint32_t avail = t->rcvq.len;
	if (!avail)
		return false;
	if (avail >= target)
		return true;
	uint32_t used = t->st->prof.rcv_truesize ? t->rmem_alloc + t->rx.ooo_truesize : avail;
	if (used > t->rcvbuf - (t->rcvbuf >> 3))
		return true;
	uint32_t right = t->rcv_wup + t->rcv_wnd;
	uint32_t wnd = synack_seq_gt(right, t->rcv_nxt) ? right - t->rcv_nxt : 0;
	return wnd <= (t->rcv_mss ? t->rcv_mss : 536u);
}

/* Linux: tcp_poll. */
int synack_poll(struct synack_stack *st, int fd)
{
	int err;
	struct tcb *t = sa_fd_get(st, fd, &err);
	if (!t)
		return err;
	if (t->state == SA_LISTEN)
		return t->acceptq_head ? (POLLIN | POLLRDNORM) : 0;
	int mask = 0;
	bool rcv_shut = t->shut_rd || t->rcv_fin || t->state == SA_CLOSED;
	bool all_shut = (rcv_shut && t->shut_wr) || t->state == SA_CLOSED;
	/* A fresh socket has no shutdown bits but is CLOSE: POLLHUP. */
	if (all_shut)
		mask |= POLLHUP;
	if (t->rcv_fin || t->shut_rd || (t->state == SA_CLOSED && t->reset_seen))
		mask |= POLLIN | POLLRDNORM | POLLRDHUP;
	if (t->state != SA_SYN_SENT && t->state != SA_SYN_RECV) {
		/* Linux: tcp_poll — an urgent byte next in line (not inline)
		 * does not make the socket readable; valid urgent data is
		 * POLLPRI (urgent.c). */
		uint32_t target = sa_rcvlowat(t);
		if (t->urg_data && t->urg_seq == sa_copied_seq(t) && !t->oobinline)
			target++;
		if (readable(t, target))
			mask |= POLLIN | POLLRDNORM;
		if (t->urg_data & SA_URG_VALID)
			mask |= POLLPRI;
		if (!t->shut_wr || t->state == SA_CLOSED) {
			if (sa_sndbuf_writable(t))
				mask |= POLLOUT | POLLWRNORM;
			else
				t->nospace = true; /* Linux: tcp_poll sets SOCK_NOSPACE */
		} else {
			mask |= POLLOUT | POLLWRNORM;
		}
	}
	if (t->so_error)
		mask |= POLLERR;
	return mask;
}

int synack_ioctl(struct synack_stack *st, int fd, unsigned long request, int *out)
{
	int err;
	struct tcb *t = sa_fd_get(st, fd, &err);
	if (!t)
		return err;
	if (!out)
		return -EFAULT;
	/* Linux: tcp_ioctl SIOCATMARK — the next byte read is the urgent one. */
	if (request == SIOCATMARK_) {
		*out = t->urg_data && t->urg_seq == sa_copied_seq(t);
		return 0;
	}
	/* Linux: tcp_ioctl — EINVAL on a listener. */
	if (t->state == SA_LISTEN)
		return -EINVAL;
	switch (request) {
	case SIOCINQ_:
		*out = (int)t->rcvq.len;
		/* Linux: tcp_inq — with the urgent byte ahead and not inline,
		 * only the bytes before it. */
		if (t->urg_data && !t->oobinline && synack_seq_geq(t->urg_seq, sa_copied_seq(t)) &&
		    synack_seq_lt(t->urg_seq, t->rcv_nxt))
			*out = (int)(t->urg_seq - sa_copied_seq(t));
		return 0;
	case SIOCOUTQ_:
		*out = (int)t->sndq.len;
		return 0;
	case SIOCOUTQNSD: {
		uint32_t sent_data = t->snd_nxt - t->snd_una - (t->fin_sent ? 1u : 0u);
		if (t->state == SA_SYN_SENT || t->state == SA_CLOSED)
			sent_data = 0;
		*out = (int)(t->sndq.len > sent_data ? t->sndq.len - sent_data : 0);
		return 0;
	}
	default:
		return -ENOTTY;
	}
}
