/* setsockopt / getsockopt / TCP_INFO with Linux's checks and values
 * (net/core/sock.c sk_setsockopt, net/ipv4/tcp.c do_tcp_setsockopt,
 * tcp_get_info). Part-1 options take effect; part-2 ones (keepalive, user
 * timeout, quickack, congestion control) are stored for part 2. */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

/* Linux constants not in the profile. */
/* include/net/sock.h on x86-64: TCP_SKB_MIN_TRUESIZE is 2048 + the aligned
 * struct sk_buff (256); a send buffer is at least two of them. */
#define SOCK_MIN_RCVBUF   2304
#define SOCK_MIN_SNDBUF   4608
#define TCP_MIN_MSS       88
#define MAX_TCP_WINDOW    32767
#define MAX_KEEPIDLE      32767
#define MAX_KEEPINTVL     32767
#define MAX_KEEPCNT       127
#define MAX_SYNCNT        127
#define FIN_TIMEOUT_MAX_S 120 /* TCP_FIN_TIMEOUT_MAX / HZ */

static int get_int(const void *val, socklen_t len, int *out)
{
	if (!val)
		return -EFAULT;
	if (len < (socklen_t)sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

/* Linux: secs_to_retrans / retrans_to_secs, with the initial RTO (1 s)
 * doubling up to the maximum. */
static uint8_t secs_to_retrans(const struct synack_stack *st, int seconds)
{
	int timeout = (int)(st->prof.rto_init_us / 1000000),
	    max = (int)(st->prof.rto_max_us / 1000000);
	uint8_t res = 0;
	if (timeout < 1)
		timeout = 1;
	if (seconds > 0) {
		int period = timeout;
		res = 1;
		while (seconds > period && res < 255) {
			res++;
			timeout <<= 1;
			if (timeout > max)
				timeout = max;
			period += timeout;
		}
	}
	return res;
}

static int retrans_to_secs(const struct synack_stack *st, uint8_t retrans)
{
	int timeout = (int)(st->prof.rto_init_us / 1000000),
	    max = (int)(st->prof.rto_max_us / 1000000);
	int period = 0;
	if (timeout < 1)
		timeout = 1;
	if (retrans > 0) {
		period = timeout;
		while (--retrans) {
			timeout <<= 1;
			if (timeout > max)
				timeout = max;
			period += timeout;
		}
	}
	return period;
}

static int sol_socket_set(struct tcb *t, int name, const void *val, socklen_t len)
{
	int v, err;
	if (name == SO_LINGER) {
		struct linger lg;
		if (!val)
			return -EFAULT;
		if (len < (socklen_t)sizeof(lg))
			return -EINVAL;
		memcpy(&lg, val, sizeof(lg));
		t->linger_on = lg.l_onoff != 0;
		t->linger_s = lg.l_linger < 0 ? 0 : lg.l_linger;
		return 0;
	}
	if ((err = get_int(val, len, &v)))
		return err;
	switch (name) {
	case SO_REUSEADDR:
		t->reuseaddr = v != 0;
		return 0;
	case SO_OOBINLINE: /* urgent.c: the urgent byte stays in the stream */
		t->oobinline = v != 0;
		return 0;
	case SO_KEEPALIVE:
		sa_keepalive_set(t, v != 0); /* keepalive.c */
		return 0;
	case SO_RCVBUF: {
		/* Linux: sk_setsockopt doubles the value, bounded by rmem_max
		 * and SOCK_MIN_RCVBUF (__sock_set_rcvbuf; measured on 6.18:
		 * SO_RCVBUF 1024 reads back 2304). */
		uint32_t u = v < 0 ? 0u : (uint32_t)v;
		u = SA_MIN(u, t->st->prof.rmem_max);
		uint32_t rcvbuf = SA_MAX(u * 2, (uint32_t)SOCK_MIN_RCVBUF);
		/* A ring sized already grows to a larger buffer (bounded by
		 * rmem_max); if it cannot, the window stays within it. */
		if (t->rcvq.buf && rcvbuf > t->rcvq.cap)
			(void)sa_ring_grow(t->st, &t->rcvq, rcvbuf);
		t->rcvbuf = rcvbuf;
		t->rcvbuf_locked = true;
		sa_ooo_make_room(t, 0); /* ooo.c: held data within the new bound */
		return 0;
	}
	case SO_RCVLOWAT: {
		/* Linux: sk_setsockopt (< 0: INT_MAX) → tcp_set_rcvlowat — at
		 * most half the buffer (tcp_rmem[2] unless SO_RCVBUF fixed it),
		 * 0 is 1, and an unfixed buffer grows to hold it as window. */
		uint64_t lowat = v < 0 ? (uint64_t)INT_MAX : (uint64_t)v;
		uint32_t cap = (t->rcvbuf_locked ? t->rcvbuf : t->st->prof.rmem[2]) >> 1;
		lowat = SA_MIN(lowat, (uint64_t)cap);
		t->rcvlowat = lowat ? (uint32_t)lowat : 1u;
		if (t->rcvbuf_locked)
			return 0;
		/* Linux does not bound the growth: a scaling_ratio measured on
		 * tiny segments (truesize many times the payload) asks for many
		 * times tcp_rmem[2]. The engine's ring follows the buffer, and
		 * its memory bound is twice tcp_rmem[2] (invariants.c): capped
		 * there, which only a ratio below 1/4 reaches. */
		uint64_t space = SA_MIN(sa_space_from_win(t, lowat), 2ull * t->st->prof.rmem[2]);
		if (space > t->rcvbuf && space <= UINT32_MAX &&
		    sa_rcvbuf_raise(t, (uint32_t)space) && t->window_clamp &&
		    t->window_clamp < lowat)
			t->window_clamp = (uint32_t)lowat;
		return 0;
	}
	case SO_SNDBUF: {
		uint32_t u = v < 0 ? 0u : (uint32_t)v;
		u = SA_MIN(u, (uint32_t)SA_WMEM_MAX);
		uint32_t nb = SA_MAX(u * 2, (uint32_t)SOCK_MIN_SNDBUF);
		/* The send ring is sized once; it can only shrink logically. */
		if (t->sndq.buf && nb > t->sndq.cap)
			nb = t->sndq.cap;
		t->sndbuf = nb;
		t->sndbuf_locked = true;
		return 0;
	}
	case SO_ERROR:
	case SO_TYPE:
	case SO_ACCEPTCONN:
		return -ENOPROTOOPT;
	default:
		return -ENOPROTOOPT;
	}
}

static int tcp_set(struct tcb *t, int name, const void *val, socklen_t len)
{
	if (name == TCP_CONGESTION) {
		char n[16];
		if (!val)
			return -EFAULT;
		if (len < 1)
			return -EINVAL;
		size_t k = SA_MIN((size_t)len, sizeof(n) - 1);
		memcpy(n, val, k);
		n[k] = 0;
		if (!strcmp(n, "reno"))
			t->cc = SYNACK_CC_RENO;
		else if (!strcmp(n, "cubic"))
			t->cc = SYNACK_CC_CUBIC;
		else
			return -ENOENT; /* Linux: tcp_set_congestion_control */
		return 0;
	}
	int v, err;
	if ((err = get_int(val, len, &v)))
		return err;
	switch (name) {
	case TCP_NODELAY:
		/* Linux: __tcp_sock_set_nodelay — TCP_NAGLE_OFF | TCP_NAGLE_PUSH,
		 * then tcp_push_pending_frames. */
		t->nodelay = v != 0;
		if (t->nodelay)
			t->nagle_push = true;
		sa_output(t);
		return 0;
	case TCP_CORK:
		/* Linux: __tcp_sock_set_cork — off, with TCP_NODELAY on, pushes
		 * what is queued (TCP_NAGLE_PUSH). */
		t->cork = v != 0;
		if (!t->cork) {
			if (t->nodelay)
				t->nagle_push = true;
			sa_output(t);
		}
		return 0;
	case TCP_MAXSEG:
		/* Linux: 0 clears; else TCP_MIN_MSS..MAX_TCP_WINDOW. */
		if (v && (v < TCP_MIN_MSS || v > MAX_TCP_WINDOW))
			return -EINVAL;
		t->user_mss = (uint16_t)v;
		return 0;
	case TCP_KEEPIDLE:
		if (v < 1 || v > MAX_KEEPIDLE)
			return -EINVAL;
		t->keepidle_s = (uint32_t)v;
		sa_keepalive_idle_changed(t); /* keepalive.c */
		return 0;
	case TCP_KEEPINTVL:
		if (v < 1 || v > MAX_KEEPINTVL)
			return -EINVAL;
		t->keepintvl_s = (uint32_t)v;
		return 0;
	case TCP_KEEPCNT:
		if (v < 1 || v > MAX_KEEPCNT)
			return -EINVAL;
		t->keepcnt = (uint32_t)v;
		return 0;
	case TCP_WINDOW_CLAMP:
		/* Linux: tcp_set_window_clamp — 0 only before a connection
		 * (back to the default), else at least SOCK_MIN_RCVBUF / 2; the
		 * window offered never shrinks for it (window.c), and a change
		 * of scaling_ratio or autotuning later resets it. */
		if (!v) {
			if (t->state != SA_CLOSED)
				return -EINVAL;
			t->window_clamp = 0;
			return 0;
		}
		sa_set_window_clamp(t, v < 0 ? 0u : (uint32_t)v);
		return 0;
	case TCP_LINGER2:
		/* Linux: do_tcp_setsockopt — < 0 aborts at FIN_WAIT_2, 0 follows
		 * tcp_fin_timeout, at most TCP_FIN_TIMEOUT_MAX (fin_wait2.c). */
		t->linger2_s = v < 0 ? -1 : v > FIN_TIMEOUT_MAX_S ? FIN_TIMEOUT_MAX_S : v;
		return 0;
	case TCP_USER_TIMEOUT:
		if (v < 0)
			return -EINVAL;
		t->user_timeout_ms = (uint32_t)v;
		return 0;
	case TCP_NOTSENT_LOWAT:
		/* Linux: stored as given (0: tcp_notsent_lowat), writers woken. */
		t->notsent_lowat = (uint32_t)v;
		return 0;
	case TCP_QUICKACK:
		t->quickack = v != 0;
		sa_delack_quickack(t, v != 0); /* delack.c */
		return 0;
	case TCP_SYNCNT:
		if (v < 1 || v > MAX_SYNCNT)
			return -EINVAL;
		t->syncnt = (uint8_t)v;
		return 0;
	case TCP_DEFER_ACCEPT:
		/* Linux stores it as SYN-ACK retransmissions (secs_to_retrans). */
		t->defer_accept = secs_to_retrans(t->st, v);
		return 0;
	case TCP_INFO:
		return -ENOPROTOOPT;
	default:
		return -ENOPROTOOPT;
	}
}

/* Linux: __ip_sock_set_tos / IPV6_TCLASS — on a stream socket the ECN
 * bits (INET_ECN_MASK) stay what TCP made them; the rest is the user's. */
static uint8_t tos_keep_ecn(uint8_t old, int v)
{
	return (uint8_t)(((unsigned)v & ~3u) | (old & 3u));
}

/* Linux: do_ip_setsockopt. An int, or a single byte when optlen is 1-3;
 * optlen 0 is the value 0. */
static int ip_set(struct tcb *t, int name, const void *val, socklen_t len)
{
	int v = 0;
	if (len >= (socklen_t)sizeof(int) || len >= 1) {
		if (!val)
			return -EFAULT;
		if (len >= (socklen_t)sizeof(int))
			memcpy(&v, val, sizeof(int));
		else
			v = *(const uint8_t *)val;
	}
	switch (name) {
	case IP_TOS: /* RFC 9293 MUST-48, SHLD-21; Linux keeps the low 8 bits */
		t->ip_tos = tos_keep_ecn(t->ip_tos, v);
		return 0;
	case IP_RECVERR: /* Linux: inet->recverr (icmp.c reports soft errors at once) */
		t->recverr = v != 0;
		return 0;
	case IP_TTL: /* RFC 9293 MUST-49; -1 restores the default */
		if (len < 1)
			return -EINVAL;
		if (v != -1 && (v < 1 || v > 255))
			return -EINVAL;
		t->ip_ttl = (int16_t)v;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

/* Linux: do_ipv6_setsockopt (IPV6_TCLASS, IPV6_UNICAST_HOPS): a full int,
 * -1 restores the default (traffic class 0, RFC 3542 §6.5). */
static int ipv6_set(struct tcb *t, int name, const void *val, socklen_t len)
{
	int v = 0;
	if (name != IPV6_TCLASS && name != IPV6_UNICAST_HOPS && name != IPV6_RECVERR &&
	    name != IPV6_V6ONLY)
		return -ENOPROTOOPT;
	if (len < (socklen_t)sizeof(int))
		return -EINVAL;
	if (!val)
		return -EFAULT;
	memcpy(&v, val, sizeof(int));
	if (name == IPV6_V6ONLY) {
		/* RFC 3493 §5.3; Linux: only before the socket has a port. */
		if (t->lport)
			return -EINVAL;
		t->v6only = v != 0;
		return 0;
	}
	if (name == IPV6_RECVERR) { /* Linux: np->recverr (icmp.c) */
		t->recverr6 = v != 0;
		return 0;
	}
	if (v < -1 || v > 255)
		return -EINVAL;
	if (name == IPV6_TCLASS)
		t->ip6_tclass = tos_keep_ecn(t->ip6_tclass, v < 0 ? 0 : v);
	else
		t->ip6_hops = (int16_t)v;
	return 0;
}

int synack_setsockopt(struct synack_stack *st, int fd, int level, int name, const void *val,
                      socklen_t len)
{
	int err;
	struct tcb *t = sa_fd_get(st, fd, &err);
	if (!t)
		return err;
	if (level == SOL_SOCKET)
		err = sol_socket_set(t, name, val, len);
	else if (level == IPPROTO_TCP)
		err = tcp_set(t, name, val, len);
	else if (level == IPPROTO_IP) /* IPv6 sockets too (Linux: ipv6_setsockopt) */
		err = ip_set(t, name, val, len);
	else if (level == IPPROTO_IPV6 && t->sock_family == 6)
		err = ipv6_set(t, name, val, len);
	else
		err = -ENOPROTOOPT;
	sa_reap(st);
	return err;
}

static int put(void *val, socklen_t *len, const void *v, socklen_t n)
{
	if (!val || !len)
		return -EFAULT;
	if ((int)*len < 0)
		return -EINVAL;
	if (*len < n)
		n = *len;
	memcpy(val, v, n);
	*len = n;
	return 0;
}

static int put_int(void *val, socklen_t *len, int v)
{
	return put(val, len, &v, sizeof(v));
}

/* Linux: do_ip_getsockopt — a value 0..255 asked for with fewer than 4
 * bytes comes back as one byte. */
static int ip_get(struct tcb *t, int name, void *val, socklen_t *len)
{
	int v;
	switch (name) {
	case IP_TOS:
		v = t->ip_tos;
		break;
	case IP_TTL:
		v = t->ip_ttl < 0 ? SA_DEFAULT_TTL : t->ip_ttl;
		break;
	case IP_RECVERR:
		v = t->recverr;
		break;
	default:
		return -ENOPROTOOPT;
	}
	if (*len > 0 && *len < (socklen_t)sizeof(int)) {
		uint8_t b = (uint8_t)v;
		return put(val, len, &b, 1);
	}
	return put_int(val, len, v);
}

/* Linux: do_ipv6_getsockopt (an unset hop limit reads as the default). */
static int ipv6_get(struct tcb *t, int name, void *val, socklen_t *len)
{
	if (name == IPV6_TCLASS)
		return put_int(val, len, t->ip6_tclass);
	if (name == IPV6_UNICAST_HOPS)
		return put_int(val, len, t->ip6_hops < 0 ? SA_DEFAULT_TTL : t->ip6_hops);
	if (name == IPV6_RECVERR)
		return put_int(val, len, t->recverr6);
	if (name == IPV6_V6ONLY)
		return put_int(val, len, t->v6only);
	return -ENOPROTOOPT;
}

static void fill_info(struct tcb *t, struct synack_tcp_info *i)
{
	const struct synack_stack *st = t->st;
	uint64_t now = st->now_us;
	memset(i, 0, sizeof(*i));
	i->state = t->state;
	i->retransmits = t->retransmits;
	i->backoff = t->backoff;
	i->probes = t->rx.probes_out;
	if (t->ts_ok)
		i->options |= TCPI_OPT_TIMESTAMPS;
	if (t->sack_ok)
		i->options |= TCPI_OPT_SACK;
	if (t->ecn_flags & SA_ECN_OK)
		i->options |= TCPI_OPT_ECN; /* Linux: tcp_get_info */
	if (t->ecn_flags & SA_ECN_SEEN)
		i->options |= TCPI_OPT_ECN_SEEN;
	if (t->ws_ok) {
		i->options |= TCPI_OPT_WSCALE;
		i->snd_wscale = t->snd_wscale;
		i->rcv_wscale = t->rcv_wscale;
	}
	i->rto = (uint32_t)sa_rto_backed_off(t); /* Linux: icsk_rto */
	i->ato = sa_delack_ato(t);               /* delack.c */
	i->snd_mss = t->snd_mss ? t->snd_mss : t->st->prof.default_mss;
	i->rcv_mss = t->rcv_mss ? t->rcv_mss : t->st->prof.default_mss;
	if (t->state != SA_LISTEN && t->state != SA_CLOSED) {
		uint32_t segs = 0, mss = i->snd_mss ? i->snd_mss : 536;
		uint32_t fl = sa_in_flight(t);
		segs = (fl + mss - 1) / mss;
		i->unacked = segs;
	} else if (t->state == SA_LISTEN) {
		i->unacked = t->acceptq_len; /* Linux: sk_ack_backlog */
		i->sacked = t->max_ack_backlog;
	}
	i->retrans = 0;
	if (t->state != SA_LISTEN) {
		/* p2-tx: Linux tcp_get_info — rtt = srtt >> 3, rttvar = mdev >> 2. */
		i->ca_state = t->ca_state;
		i->rtt = t->srtt_us >> 3;
		i->rttvar = t->mdev_us >> 2;
		i->min_rtt = t->min_rtt_us ? t->min_rtt_us : 0xffffffffu;
		i->lost = t->lost_out;
		i->retrans = t->retrans_out;
		i->sacked = t->sacked_out;
		if (t->txq_len)
			i->unacked = t->txq_len;
	}
	i->last_data_sent = (uint32_t)((now - t->last_data_sent_us) / 1000);
	i->last_ack_sent = 0; /* Linux: "not remembered" */
	i->last_data_recv = (uint32_t)((now - t->last_data_recv_us) / 1000);
	i->last_ack_recv = (uint32_t)((now - t->last_ack_recv_us) / 1000);
	i->pmtu = st->prof.mtu;
	i->rcv_ssthresh = t->rcv_ssthresh;
	i->snd_ssthresh = t->snd_ssthresh;
	i->snd_cwnd = t->snd_cwnd;
	i->advmss = t->advmss;
	i->reordering = t->reordering;
	i->rcv_space = t->rcvq_space;
	i->rcv_rtt = t->rx.rcv_rtt_us >> 3;
	i->total_retrans = t->total_retrans;
	i->bytes_acked = t->bytes_acked;
	i->bytes_received = t->bytes_received;
	i->segs_out = t->segs_out;
	i->segs_in = t->segs_in;
	i->data_segs_in = t->data_segs_in;
	i->data_segs_out = t->data_segs_out;
	uint32_t sent_data = sa_in_flight(t);
	i->notsent_bytes = t->sndq.len > sent_data ? t->sndq.len - sent_data : 0;
	i->snd_wnd = t->snd_wnd;
	i->rcv_wnd = t->rcv_wnd;
	i->bytes_sent = t->bytes_sent;
	i->bytes_retrans = t->bytes_retrans;
	i->dsack_dups = t->dsack_dups;
	i->reord_seen = t->reord_seen;
	i->rcv_ooopack = t->rcv_ooopack;
	i->total_rto = t->total_rto;
	i->total_rto_recoveries = t->total_rto_recoveries;
	i->total_rto_time = sa_rto_time_ms(t); /* rtx.c */
}

int synack_tcp_info(struct synack_stack *st, int fd, struct synack_tcp_info *info)
{
	int err;
	struct tcb *t = sa_fd_get(st, fd, &err);
	if (!t)
		return err;
	if (!info)
		return -EFAULT;
	fill_info(t, info);
	return 0;
}

/* The kernel's struct tcp_info as far as tcpi_rcv_wnd (6.2), in its ABI
 * layout: glibc's <netinet/tcp.h> stops at tcpi_total_retrans, and a
 * caller of getsockopt(TCP_INFO) (the packetdrill shared-object interface)
 * reads the rest at the kernel's offsets. Fields the engine does not keep
 * (pacing, busy time, ...) read 0. */
struct kernel_tcp_info {
	struct tcp_info base;
	uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
	uint32_t segs_out, segs_in, notsent_bytes, min_rtt, data_segs_in, data_segs_out;
	uint64_t delivery_rate, busy_time, rwnd_limited, sndbuf_limited;
	uint32_t delivered, delivered_ce;
	uint64_t bytes_sent, bytes_retrans;
	uint32_t dsack_dups, reord_seen, rcv_ooopack, snd_wnd, rcv_wnd, rehash;
	uint16_t total_rto, total_rto_recoveries;
	uint32_t total_rto_time;
};
_Static_assert(offsetof(struct kernel_tcp_info, pacing_rate) == 104, "tcpi_pacing_rate");
_Static_assert(offsetof(struct kernel_tcp_info, bytes_acked) == 120, "tcpi_bytes_acked");
_Static_assert(offsetof(struct kernel_tcp_info, delivered) == 192, "tcpi_delivered");
_Static_assert(offsetof(struct kernel_tcp_info, snd_wnd) == 228, "tcpi_snd_wnd");
_Static_assert(offsetof(struct kernel_tcp_info, total_rto) == 240, "tcpi_total_rto");
_Static_assert(offsetof(struct kernel_tcp_info, total_rto_time) == 244, "tcpi_total_rto_time");

static int tcp_info_get(struct tcb *t, void *val, socklen_t *len)
{
	struct synack_tcp_info i;
	struct kernel_tcp_info k;
	struct tcp_info o;
	fill_info(t, &i);
	memset(&o, 0, sizeof(o));
	o.tcpi_state = i.state;
	o.tcpi_ca_state = i.ca_state;
	o.tcpi_retransmits = i.retransmits;
	o.tcpi_probes = i.probes;
	o.tcpi_backoff = i.backoff;
	o.tcpi_options = i.options;
	o.tcpi_snd_wscale = i.snd_wscale & 0xf;
	o.tcpi_rcv_wscale = i.rcv_wscale & 0xf;
	o.tcpi_rto = i.rto;
	o.tcpi_ato = i.ato;
	o.tcpi_snd_mss = i.snd_mss;
	o.tcpi_rcv_mss = i.rcv_mss;
	o.tcpi_unacked = i.unacked;
	o.tcpi_sacked = i.sacked;
	o.tcpi_lost = i.lost;
	o.tcpi_retrans = i.retrans;
	o.tcpi_fackets = i.fackets;
	o.tcpi_last_data_sent = i.last_data_sent;
	o.tcpi_last_ack_sent = i.last_ack_sent;
	o.tcpi_last_data_recv = i.last_data_recv;
	o.tcpi_last_ack_recv = i.last_ack_recv;
	o.tcpi_pmtu = i.pmtu;
	o.tcpi_rcv_ssthresh = i.rcv_ssthresh;
	o.tcpi_rtt = i.rtt;
	o.tcpi_rttvar = i.rttvar;
	o.tcpi_snd_ssthresh = i.snd_ssthresh;
	o.tcpi_snd_cwnd = i.snd_cwnd;
	o.tcpi_advmss = i.advmss;
	o.tcpi_reordering = i.reordering;
	o.tcpi_rcv_rtt = i.rcv_rtt;
	o.tcpi_rcv_space = i.rcv_space;
	o.tcpi_total_retrans = i.total_retrans;
	memset(&k, 0, sizeof(k));
	k.base = o;
	k.bytes_acked = i.bytes_acked;
	k.bytes_received = i.bytes_received;
	k.segs_out = i.segs_out;
	k.segs_in = i.segs_in;
	k.notsent_bytes = i.notsent_bytes;
	k.min_rtt = i.min_rtt;
	k.data_segs_in = i.data_segs_in;
	k.data_segs_out = i.data_segs_out;
	k.delivered = i.delivered;
	k.delivered_ce = i.delivered_ce;
	k.snd_wnd = i.snd_wnd;
	k.rcv_wnd = i.rcv_wnd;
	k.bytes_sent = i.bytes_sent;
	k.bytes_retrans = i.bytes_retrans;
	k.dsack_dups = i.dsack_dups;
	k.reord_seen = i.reord_seen;
	k.rcv_ooopack = i.rcv_ooopack;
	k.total_rto = (uint16_t)i.total_rto;
	k.total_rto_recoveries = (uint16_t)i.total_rto_recoveries;
	k.total_rto_time = i.total_rto_time;
	return put(val, len, &k, sizeof(k));
}

int synack_getsockopt(struct synack_stack *st, int fd, int level, int name, void *val,
                      socklen_t *len)
{
	int err;
	struct tcb *t = sa_fd_get(st, fd, &err);
	if (!t)
		return err;
	if (!len)
		return -EFAULT;
	if ((int)*len < 0)
		return -EINVAL;
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_REUSEADDR:
			return put_int(val, len, t->reuseaddr);
		case SO_OOBINLINE:
			return put_int(val, len, t->oobinline);
		case SO_KEEPALIVE:
			return put_int(val, len, t->keepalive);
		case SO_RCVBUF:
			return put_int(val, len, (int)t->rcvbuf);
		case SO_RCVLOWAT:
			return put_int(val, len, (int)sa_rcvlowat(t));
		case SO_SNDBUF:
			return put_int(val, len, (int)t->sndbuf);
		case SO_TYPE:
			return put_int(val, len, SOCK_STREAM);
		case SO_ACCEPTCONN:
			return put_int(val, len, t->state == SA_LISTEN);
		case SO_ERROR: {
			int e = t->so_error;
			t->so_error = 0;
			/* Linux: sk_getsockopt SO_ERROR — with no sk_err, the
			 * soft error (ICMP, icmp.c) is reported and cleared
			 * (xchg(&sk->sk_err_soft, 0)). */
			if (!e) {
				e = t->soft_err;
				t->soft_err = 0;
			}
			return put_int(val, len, e);
		}
		case SO_LINGER: {
			struct linger lg = { t->linger_on, t->linger_s };
			return put(val, len, &lg, sizeof(lg));
		}
		default:
			return -ENOPROTOOPT;
		}
	}
	if (level == IPPROTO_IP) /* IPv6 sockets too (Linux: ipv6_getsockopt) */
		return ip_get(t, name, val, len);
	if (level == IPPROTO_IPV6 && t->sock_family == 6)
		return ipv6_get(t, name, val, len);
	if (level != IPPROTO_TCP)
		return -EOPNOTSUPP;
	switch (name) {
	case TCP_NODELAY:
		return put_int(val, len, t->nodelay);
	case TCP_CORK:
		return put_int(val, len, t->cork);
	case TCP_MAXSEG: {
		/* Linux: mss_cache, or user_mss before the connection. */
		int v = t->snd_mss ? t->snd_mss : t->st->prof.default_mss;
		if (t->user_mss && (t->state == SA_CLOSED || t->state == SA_LISTEN))
			v = t->user_mss;
		return put_int(val, len, v);
	}
	case TCP_KEEPIDLE:
		return put_int(val, len, (int)t->keepidle_s);
	case TCP_KEEPINTVL:
		return put_int(val, len, (int)t->keepintvl_s);
	case TCP_KEEPCNT:
		return put_int(val, len, (int)t->keepcnt);
	case TCP_WINDOW_CLAMP:
		return put_int(val, len, (int)t->window_clamp);
	case TCP_LINGER2:
		if (t->linger2_s)
			return put_int(val, len, t->linger2_s);
		return put_int(val, len, (int)(t->st->prof.fin_timeout_us / 1000000u));
	case TCP_USER_TIMEOUT:
		return put_int(val, len, (int)t->user_timeout_ms);
	case TCP_NOTSENT_LOWAT:
		return put_int(val, len, (int)t->notsent_lowat);
	case TCP_QUICKACK:
		return put_int(val, len, sa_delack_quickack_get(t)); /* delack.c */
	case TCP_SYNCNT:
		return put_int(val, len, t->syncnt ? t->syncnt : t->st->prof.syn_retries);
	case TCP_DEFER_ACCEPT:
		return put_int(val, len, retrans_to_secs(t->st, t->defer_accept));
	case TCP_INFO:
		return tcp_info_get(t, val, len);
	case TCP_CONGESTION: {
		char n[16] = { 0 };
		strcpy(n, t->cc == SYNACK_CC_RENO ? "reno" : "cubic");
		return put(val, len, n, sizeof(n));
	}
	default:
		return -ENOPROTOOPT;
	}
}
