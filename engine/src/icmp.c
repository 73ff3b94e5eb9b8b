/* ICMP errors for TCP (RFC 9293 §3.9.1 MUST-54..56, RFC 5927, RFC 1191,
 * RFC 8201), as Linux 6.x handles them: tcp_v4_err / tcp_v6_err.
 *
 * The engine has no IP layer beyond what TCP needs, so this file does the
 * part of icmp_rcv / icmpv6_rcv that matters: lengths, the ICMP checksum
 * (profile verify_checksums), then the quoted IP + TCP header — a packet
 * we sent, so its source is our address — names the connection. Every
 * message is counted once in the stack's statistics (icmp_*).
 *
 * Not modelled: the error queue of IP_RECVERR (MSG_ERRQUEUE; TCP queues
 * only errors of opening connections there), redirects (no routes), IPv6
 * extension headers inside the quote, TCP Fast Open.
 */
#include <errno.h>
#include <string.h>

#include "checksum.h"
#include "internal.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* What one message asks of TCP. */
struct icmp_err {
	int err;       /* errno for the socket */
	bool req_drop; /* Linux: tcp_req_err's abort (v4) / icmpv6_err_convert's fatal (v6) */
	bool pmtu;     /* fragmentation needed / packet too big */
	bool unreach;  /* net/host unreachable / no route: RFC 6069 candidate */
	uint32_t mtu;
};

int sa_timeout_error(const struct tcb *t)
{
	/* Linux: tcp_write_err — sk_err_soft ? : ETIMEDOUT. */
	return t->soft_err ? t->soft_err : ETIMEDOUT;
}

/* Linux keeps one skb per write burst (tcp_sendmsg fills a TSO skb up to
 * the size goal and tcp_push marks its end with PSH); the engine keeps one
 * entry per segment. Before a PMTU retransmission, which Linux does per
 * skb in new-MSS pieces (__tcp_retransmit_skb), the entries of a burst —
 * up to its PSH — become one again while none was retransmitted, SACKed
 * or lost. */
static void merge_bursts(struct tcb *t)
{
	const uint8_t busy = SA_TX_RETRANS | SA_TX_LOST | SA_TX_SACKED;
	for (uint32_t i = 0; i < t->txq_len; i++) {
		struct sa_txseg *a = sa_txq_at(t, i);
		uint32_t j = i;
		bool clean = !(a->flags & busy);
		while (clean && !(sa_txq_at(t, j)->flags & SA_TX_PSH) && j + 1 < t->txq_len) {
			struct sa_txseg *n = sa_txq_at(t, j + 1);
			if (n->seq != sa_txq_at(t, j)->end || (n->flags & busy))
				break;
			j++;
		}
		if (!clean || j == i)
			continue;
		struct sa_txseg *b = sa_txq_at(t, j);
		a->end = b->end;
		a->xmit_us = SA_MAX(a->xmit_us, b->xmit_us);
		for (uint32_t k = i + 1; k <= j; k++)
			a->flags |= sa_txq_at(t, k)->flags & (SA_TX_PSH | SA_TX_EVER_RETRANS);
		uint32_t gone = j - i;
		for (uint32_t k = j + 1; k < t->txq_len; k++)
			*sa_txq_at(t, k - gone) = *sa_txq_at(t, k);
		t->txq_len -= gone;
	}
}

/* Linux: tcp_simple_retransmit — every segment larger than the new MSS is
 * lost; enter Loss without touching cwnd ("units changed"), resend. */
static void simple_retransmit(struct tcb *t)
{
	uint32_t mss = t->snd_mss;
	merge_bursts(t);
	for (uint32_t i = 0; i < t->txq_len; i++) {
		struct sa_txseg *s = sa_txq_at(t, i);
		uint32_t len = s->end - s->seq;
		if (t->fin_sent && s->end == t->fin_seq + 1)
			len--;
		if (len > mss && !(s->flags & SA_TX_SACKED))
			sa_rec_mark_lost(t, s);
	}
	if (!t->lost_out)
		return;
	if (t->ca_state != SA_CA_LOSS) {
		t->high_seq = t->snd_nxt;
		t->snd_ssthresh = sa_rec_current_ssthresh(t);
		t->prior_ssthresh = 0;
		t->undo_marker = 0;
		t->ca_state = SA_CA_LOSS;
	}
	sa_rec_xmit_lost(t);
}

/* Linux: tcp_v4_mtu_reduced / tcp_v6_mtu_reduced with the route's
 * __ip_rt_update_pmtu (IPv4: below ip_rt_min_pmtu, 552, the MTU is 552 and
 * EMSGSIZE is kept as the soft error) — the path MTU only goes down. */
static void mtu_reduced(struct tcb *t, uint32_t mtu)
{
	uint32_t cur = t->pmtu ? t->pmtu : t->st->prof.mtu;
	if (t->family == 4 && mtu < 552) {
		mtu = SA_MIN(cur, 552u);
		t->soft_err = EMSGSIZE;
	}
	if (mtu >= cur)
		return;
	t->pmtu = (uint16_t)mtu;
	/* Before the handshake ends the MSS is sized at sa_established. */
	if (t->state == SA_SYN_SENT || t->state == SA_SYN_RECV)
		return;
	uint32_t old = t->snd_mss;
	sa_sync_mss(t);
	if (t->snd_mss < old)
		simple_retransmit(t);
}

/* RFC 6069 §2.2, Linux: tcp_ld_RTO_revert — a net/host unreachable
 * quoting SND.UNA while the RTO is backed off says the path is broken, not
 * congested: undo one backoff and rearm from the head's last transmission
 * (or retransmit now if that time has passed). */
static void rto_revert(struct tcb *t, uint32_t seq)
{
	if (seq != t->snd_una || !t->retransmits || !t->backoff || !t->txq_len)
		return;
	t->backoff--;
	t->rto_shift = t->backoff; /* icsk_rto = inet_csk_rto_backoff(icsk_backoff) */
	uint64_t rto = sa_rto_backed_off(t);
	uint64_t since = t->st->now_us - sa_txq_at(t, 0)->xmit_us;
	t->rack_reo = t->tlp_pending = false;
	sa_timer_clear(t, SA_T_RTX);
	if (since < rto)
		sa_timer_set(t, SA_T_RTX, t->st->now_us + (rto - since));
	else
		sa_rtx_fire(t); /* may end the connection (tcp_write_err) */
}

/* Linux: tcp_v4_err / tcp_v6_err once the connection is found. */
static void tcp_err(struct synack_stack *st, struct tcb *t, uint32_t seq, const struct icmp_err *e)
{
	if (t->state == SA_TIME_WAIT) {
		st->stats.icmp_ignored++;
		return;
	}
	if (t->state == SA_SYN_RECV && t->listener) {
		/* Linux: tcp_req_err — a request sock: the quote must be our
		 * SYN-ACK; hard errors drop the request. */
		if (seq != t->iss) {
			st->stats.icmp_out_of_window++;
		} else if (e->req_drop) {
			st->stats.listen_drops++;
			sa_tcb_free(t);
		}
		return;
	}
	if (t->state == SA_LISTEN) {
		st->stats.icmp_ignored++;
		return;
	}
	/* Linux: "if (sk->sk_state != TCP_LISTEN && !between(seq, snd_una,
	 * snd_nxt))" — OutOfWindowIcmps (RFC 5927 §4.1). */
	if (synack_seq_lt(seq, t->snd_una) || synack_seq_gt(seq, t->snd_nxt)) {
		st->stats.icmp_out_of_window++;
		return;
	}
	if (e->pmtu) {
		mtu_reduced(t, e->mtu);
		return;
	}
	if (e->unreach) {
		rto_revert(t, seq);
		if (t->state == SA_CLOSED)
			return;
	}
	switch (t->state) {
	case SA_SYN_SENT:
	case SA_SYN_RECV:
		/* Linux 6.x: tcp_done_with_error — any error aborts an opening
		 * connection (RFC 9293 §3.9.1 leaves it to the implementation). */
		t->so_error = e->err;
		sa_ring_drop(&t->sndq, t->sndq.len);
		sa_uskb_clear(t);
		sa_tcb_done(t);
		return;
	default:
		/* RFC 9293 MUST-56, RFC 5927 §4.1: a soft error; Linux keeps it
		 * in sk_err_soft for a timeout (or SO_ERROR) to report — or,
		 * with IP_RECVERR / IPV6_RECVERR, makes it sk_err at once
		 * (RFC 1122 4.2.3.9: report soft errors to the application),
		 * still without aborting. */
		if (t->family == 4 ? t->recverr : t->recverr6) {
			t->so_error = e->err;
			sa_wake(t);
		} else {
			t->soft_err = e->err;
		}
	}
}

/* Linux: icmp_err_convert (net/ipv4/icmp.c), errno per Destination
 * Unreachable code; codes > 15 (NR_ICMP_UNREACH) are ignored. */
static const uint8_t v4_unreach_err[16] = {
	ENETUNREACH,  EHOSTUNREACH, ENOPROTOOPT,  ECONNREFUSED, EMSGSIZE,     EOPNOTSUPP,
	ENETUNREACH,  EHOSTDOWN,    ENONET,       ENETUNREACH,  EHOSTUNREACH, ENETUNREACH,
	EHOSTUNREACH, EHOSTUNREACH, EHOSTUNREACH, EHOSTUNREACH,
};

/* Linux: icmpv6_err_convert's tab_unreach: errno and fatal per code. */
static const struct {
	uint8_t err;
	bool fatal;
} v6_unreach[7] = {
	{ ENETUNREACH, false }, { EACCES, true }, { EHOSTUNREACH, false }, { EHOSTUNREACH, false },
	{ ECONNREFUSED, true }, { EACCES, true }, { EACCES, true },
};

static void deliver(struct synack_stack *st, const struct synack_addr *laddr,
                    const struct synack_addr *raddr, const uint8_t *th, const struct icmp_err *e)
{
	uint16_t lport = get16(th), rport = get16(th + 2);
	struct tcb *t = sa_conn_lookup(st, laddr, lport, raddr, rport);
	if (!t) {
		st->stats.icmp_no_socket++;
		return;
	}
	tcp_err(st, t, get32(th + 4), e);
}

/* ICMPv4 (RFC 792) after a valid outer IPv4 header with protocol 1. */
static void icmp4(struct synack_stack *st, const uint8_t *pkt)
{
	size_t ihl = (size_t)(pkt[0] & 0x0f) * 4, total = get16(pkt + 2);
	const uint8_t *ic = pkt + ihl;
	size_t len = total - ihl;
	/* Linux: icmp_rcv — the 8-byte header and the checksum over the
	 * message; icmp_unreach / icmp_socket_deliver — the quoted header
	 * and 8 bytes of TCP (RFC 792, RFC 1812 §4.3.2.3). */
	if (len < 8 || (st->prof.verify_checksums && synack_inet_checksum(ic, len) != 0)) {
		st->stats.icmp_malformed++;
		return;
	}
	uint8_t type = ic[0], code = ic[1];
	struct icmp_err e = { 0 };
	switch (type) {
	case 3: /* Destination Unreachable */
		if (code > 15) {
			st->stats.icmp_ignored++;
			return;
		}
		e.err = v4_unreach_err[code];
		e.pmtu = code == 4;
		e.mtu = get16(ic + 6);
		e.unreach = code <= 1;
		e.req_drop = code <= 1; /* Linux: tcp_v4_err → tcp_req_err */
		break;
	case 11: /* Time Exceeded */
		e.err = EHOSTUNREACH;
		e.req_drop = true;
		break;
	case 12: /* Parameter Problem */
		e.err = EPROTO;
		e.req_drop = true;
		break;
	default:
		/* 4 Source Quench: RFC 9293 MUST-55, RFC 6633 — silently
		 * discarded (Linux: tcp_v4_err "goto out"); 5 Redirect: no
		 * routes here; queries and replies are not errors. */
		st->stats.icmp_ignored++;
		return;
	}
	const uint8_t *q = ic + 8;
	size_t qlen = len - 8;
	size_t qihl = qlen >= 20 ? (size_t)(q[0] & 0x0f) * 4 : 0;
	if (qlen < 20 || q[0] >> 4 != 4 || qihl < 20 || qlen < qihl + 8) {
		st->stats.icmp_malformed++;
		return;
	}
	if (q[9] != 6) {
		st->stats.icmp_ignored++;
		return;
	}
	struct synack_addr la = { .family = 4 }, ra = { .family = 4 };
	memcpy(la.bytes, q + 12, 4);
	memcpy(ra.bytes, q + 16, 4);
	deliver(st, &la, &ra, q + qihl, &e);
}

/* ICMPv6 (RFC 4443) directly after the IPv6 header. */
static void icmp6(struct synack_stack *st, const uint8_t *pkt)
{
	size_t len = get16(pkt + 4);
	const uint8_t *ic = pkt + 40;
	struct synack_addr src = { .family = 6 }, dst = { .family = 6 };
	memcpy(src.bytes, pkt + 8, 16);
	memcpy(dst.bytes, pkt + 24, 16);
	/* RFC 4443 §2.3: the checksum covers the pseudo-header. */
	if (len < 8 ||
	    (st->prof.verify_checksums && synack_icmp6_checksum(&src, &dst, ic, len) != 0)) {
		st->stats.icmp_malformed++;
		return;
	}
	uint8_t type = ic[0], code = ic[1];
	struct icmp_err e = { .err = EPROTO };
	/* Linux: icmpv6_err_convert, tcp_v6_err. */
	switch (type) {
	case 1: /* Destination Unreachable */
		e.req_drop = true;
		if (code < 7) {
			e.err = v6_unreach[code].err;
			e.req_drop = v6_unreach[code].fatal;
		}
		e.unreach = code == 0;
		break;
	case 2: /* Packet Too Big: below 1280 (RFC 8200 §5) ignored */
		e.err = EMSGSIZE;
		e.pmtu = true;
		e.mtu = get32(ic + 4);
		if (e.mtu < 1280) {
			st->stats.icmp_ignored++;
			return;
		}
		break;
	case 3: /* Time Exceeded */
		e.err = EHOSTUNREACH;
		break;
	case 4: /* Parameter Problem */
		e.req_drop = true;
		break;
	default: /* informational messages, redirects (137) */
		st->stats.icmp_ignored++;
		return;
	}
	const uint8_t *q = ic + 8;
	size_t qlen = len - 8;
	if (qlen < 48 || q[0] >> 4 != 6) {
		st->stats.icmp_malformed++;
		return;
	}
	if (q[6] != 6) {
		st->stats.icmp_ignored++;
		return;
	}
	struct synack_addr la = { .family = 6 }, ra = { .family = 6 };
	memcpy(la.bytes, q + 8, 16);
	memcpy(ra.bytes, q + 24, 16);
	deliver(st, &la, &ra, q + 40, &e);
}

/* Called for a datagram synack_seg_parse rejected as not TCP: its outer
 * header (lengths, IPv4 checksum, no fragment) is valid. */
bool sa_icmp_input(struct synack_stack *st, const uint8_t *pkt, size_t len)
{
	bool v4 = len >= 20 && pkt[0] >> 4 == 4 && pkt[9] == 1;
	bool v6 = len >= 40 && pkt[0] >> 4 == 6 && pkt[6] == 58;
	if (!v4 && !v6)
		return false;
	st->stats.icmp_in++;
	struct synack_addr dst = { .family = v4 ? 4 : 6 };
	memcpy(dst.bytes, pkt + (v4 ? 16 : 24), v4 ? 4 : 16);
	if (!sa_is_local_addr(st, &dst)) {
		st->stats.not_for_us++;
		return true;
	}
	if (v4)
		icmp4(st, pkt);
	else
		icmp6(st, pkt);
	return true;
}
