/* Inbound packet building (see build_packet.h). */
#include "run/build_packet.h"

#include <stdio.h>
#include <string.h>

uint32_t run_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

uint16_t run_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Returns the option bytes written, or -1 if they exceed 40. */
static int build_opts(const struct run_pkt *p, const struct run_conn *c, uint8_t *o)
{
	uint8_t tmp[64];
	size_t n = 0;
	uint32_t off = run_conn_local_off(c, p->flags & SYNACK_TH_SYN);
	for (int i = 0; i < p->n_opts; i++) {
		const struct run_opt *op = &p->opts[i];
		uint8_t *q = tmp + n;
		size_t need;
		switch (op->kind) {
		case RUN_OPT_EOL:
		case RUN_OPT_NOP:
			need = 1;
			break;
		case RUN_OPT_MSS:
		case RUN_OPT_EXP:
			need = 4;
			break;
		case RUN_OPT_FOEXP:
			need = 4u + op->cookie_len;
			break;
		case RUN_OPT_WSCALE:
			need = 3;
			break;
		case RUN_OPT_SACKOK:
			need = 2;
			break;
		case RUN_OPT_SACK:
			need = 2 + 8u * op->n_sack;
			break;
		case RUN_OPT_TS:
			need = 10;
			break;
		case RUN_OPT_FO:
			need = 2u + op->cookie_len;
			break;
		case RUN_OPT_MD5:
			need = 18;
			break;
		case RUN_OPT_GENERIC:
			need = op->v2 < 2 ? 2u : op->v2; /* an illegal length: kind, length */
			break;
		default:
			need = op->v2 ? op->v2 : 1;
			break;
		}
		if (n + need > 40)
			return -1;
		memset(q, 0, need);
		switch (op->kind) {
		case RUN_OPT_EOL:
			q[0] = SYNACK_OPT_EOL;
			break;
		case RUN_OPT_NOP:
			q[0] = SYNACK_OPT_NOP;
			break;
		case RUN_OPT_MSS:
			q[0] = SYNACK_OPT_MSS;
			q[1] = 4;
			put16(q + 2, op->v1);
			break;
		case RUN_OPT_WSCALE:
			q[0] = SYNACK_OPT_WSCALE;
			q[1] = 3;
			q[2] = (uint8_t)op->v1;
			break;
		case RUN_OPT_SACKOK:
			q[0] = SYNACK_OPT_SACK_PERM;
			q[1] = 2;
			break;
		case RUN_OPT_SACK:
			/* The peer SACKs the stack's data: the stack's sequence
			 * space, mapped like the ack. */
			q[0] = SYNACK_OPT_SACK;
			q[1] = (uint8_t)need;
			for (int k = 0; k < op->n_sack; k++) {
				put32(q + 2 + 8 * k, op->sack[k].left + off);
				put32(q + 6 + 8 * k, op->sack[k].right + off);
			}
			break;
		case RUN_OPT_TS:
			q[0] = SYNACK_OPT_TS;
			q[1] = 10;
			put32(q + 2, op->v1);
			put32(q + 6, op->v2 + (c->ts_known ? c->ts_offset : 0));
			break;
		case RUN_OPT_FO:
			q[0] = SYNACK_OPT_FASTOPEN;
			q[1] = (uint8_t)need;
			memcpy(q + 2, op->cookie, op->cookie_len);
			break;
		case RUN_OPT_FOEXP:
		case RUN_OPT_EXP:
			/* RFC 6994 experimental option; 0xf989 is TFO's ExID.
			 * A client's cookie follows it, as in RFC 7413's
			 * option: without it the server sees a cookie request. */
			q[0] = SYNACK_OPT_EXP;
			q[1] = (uint8_t)need;
			put16(q + 2, 0xf989);
			if (op->kind == RUN_OPT_FOEXP)
				memcpy(q + 4, op->cookie, op->cookie_len);
			break;
		case RUN_OPT_MD5:
			q[0] = SYNACK_OPT_MD5;
			q[1] = 18;
			break;
		case RUN_OPT_GENERIC:
			q[0] = (uint8_t)op->v1;
			if (need > 1)
				q[1] = (uint8_t)op->v2;
			break;
		}
		n += need;
	}
	/* Pad to a 32-bit boundary with EOL (zero) bytes. */
	while (n % 4)
		tmp[n++] = 0;
	if (n > 40)
		return -1;
	memcpy(o, tmp, n);
	return (int)n;
}

/* An IP header (no options) from `src` to `dst`; returns its length. */
static size_t ip_header(uint8_t *b, bool v6, const struct synack_addr *src,
                        const struct synack_addr *dst, uint8_t proto, size_t payload, uint8_t ttl)
{
	if (v6) {
		put32(b, 6u << 28);
		put16(b + 4, (uint32_t)payload);
		b[6] = proto;
		b[7] = ttl;
		memcpy(b + 8, src->bytes, 16);
		memcpy(b + 24, dst->bytes, 16);
		return 40;
	}
	b[0] = 0x45;
	put16(b + 2, (uint32_t)(20 + payload));
	b[8] = ttl;
	b[9] = proto;
	memcpy(b + 12, src->bytes, 4);
	memcpy(b + 16, dst->bytes, 4);
	put16(b + 10, (uint16_t)~run_csum_fold(run_csum_add(0, b, 20)));
	return 20;
}

/* ICMPv4 type/code -> ICMPv6 (RFC 4443): unreachable codes, frag_needed is
 * Packet Too Big, time exceeded and parameter problem keep their codes. */
static void icmp6_numbers(uint8_t t4, uint8_t c4, uint8_t *t6, uint8_t *c6)
{
	*c6 = c4;
	if (t4 == 3 && c4 == 4) {
		*t6 = 2;
		*c6 = 0;
	} else if (t4 == 3) {
		*t6 = 1;
		*c6 = c4 == 3 ? 4 : c4 == 1 ? 3 : (c4 == 9 || c4 == 10 || c4 == 13) ? 1 : 0;
	} else if (t4 == 11) {
		*t6 = 3;
	} else {
		*t6 = 4;
	}
}

/* An ICMP error quoting the TCP segment the stack sent (seq relative to its
 * ISN, like an outbound line): the stack finds its connection from it. */
static size_t build_icmp(const struct run_pkt *p, const struct run_conn *c, uint8_t *buf,
                         size_t cap)
{
	bool v6 = c->local.family == 6;
	size_t iph = v6 ? 40 : 20;
	size_t quoted = iph + 20; /* the original IP header and TCP header */
	size_t total = iph + 8 + quoted;
	if (total > cap)
		return 0;
	memset(buf, 0, total);
	ip_header(buf, v6, &c->remote, &c->local, v6 ? 58 : 1, 8 + quoted, 64);
	uint8_t *icmp = buf + iph;
	if (v6)
		icmp6_numbers(p->icmp_type, p->icmp_code, &icmp[0], &icmp[1]);
	else {
		icmp[0] = p->icmp_type;
		icmp[1] = p->icmp_code;
	}
	if (p->has_mtu) {
		if (v6)
			put32(icmp + 4, p->mtu);
		else
			put16(icmp + 6, p->mtu);
	}
	uint8_t *q = icmp + 8;
	ip_header(q, v6, &c->local, &c->remote, 6, 20 + p->len, 64);
	uint8_t *t = q + iph;
	put16(t, c->lport);
	put16(t + 2, c->rport);
	put32(t + 4, p->seq + run_conn_local_off(c, false));
	t[12] = 5 << 4;
	t[13] = SYNACK_TH_ACK;
	uint32_t sum = 0;
	if (v6) {
		sum = run_csum_add(sum, c->remote.bytes, 16);
		sum = run_csum_add(sum, c->local.bytes, 16);
		sum += (uint32_t)(8 + quoted) + 58;
	}
	sum = run_csum_add(sum, icmp, 8 + quoted);
	put16(icmp + 2, (uint16_t)~run_csum_fold(sum));
	return total;
}

size_t run_build_inbound(const struct run_pkt *p, const struct run_conn *c, uint8_t *buf,
                         size_t cap, char *why, size_t whycap)
{
	if (p->proto == RUN_PROTO_ICMP) {
		size_t n = build_icmp(p, c, buf, cap);
		if (!n)
			snprintf(why, whycap, "ICMP packet too big");
		return n;
	}
	static const uint8_t ecn_bits[] = { 0, 0, 2, 1, 3, 0 };
	bool v6 = c->local.family == 6;
	if (v6 && p->ip_options) {
		snprintf(why, whycap, "ip_options: IPv4 only (IPv6 has extension headers)");
		return 0;
	}
	size_t iph = v6 ? 40 : 20u + (size_t)p->ip_options;
	uint8_t opts[40];
	int olen = build_opts(p, c, opts);
	if (olen < 0) {
		snprintf(why, whycap, "options exceed 40 bytes");
		return 0;
	}
	size_t tcph = 20 + (size_t)olen;
	size_t total = iph + tcph + p->len;
	if (total > cap || total > 65535) {
		snprintf(why, whycap, "packet too big (%zu bytes)", total);
		return 0;
	}
	memset(buf, 0, total);
	uint8_t tos = (uint8_t)((p->has_tos ? p->tos : 0) & ~3);
	tos |= ecn_bits[p->ecn];
	if (p->has_tos && p->ecn == RUN_ECN_UNSPEC)
		tos = p->tos;
	uint8_t ttl = p->has_ttl ? p->ttl : 64;
	if (v6) {
		uint32_t fl = p->has_flowlabel ? p->flowlabel & 0xfffff : 0;
		put32(buf, 6u << 28 | (uint32_t)tos << 20 | fl);
		put16(buf + 4, (uint32_t)(tcph + p->len));
		buf[6] = 6; /* TCP */
		buf[7] = ttl;
		memcpy(buf + 8, c->remote.bytes, 16);
		memcpy(buf + 24, c->local.bytes, 16);
	} else {
		buf[0] = (uint8_t)(0x40 | iph / 4);
		buf[1] = tos;
		put16(buf + 2, (uint32_t)total);
		buf[8] = ttl;
		buf[9] = 6;
		memcpy(buf + 12, c->remote.bytes, 4);
		memcpy(buf + 16, c->local.bytes, 4);
		memset(buf + 20, 1, iph - 20); /* IP options: NOPs (RFC 791) */
		put16(buf + 10, (uint16_t)~run_csum_fold(run_csum_add(0, buf, iph)));
	}
	uint8_t *t = buf + iph;
	put16(t, c->rport);
	put16(t + 2, c->lport);
	bool syn = p->flags & SYNACK_TH_SYN;
	put32(t + 4, p->seq + run_conn_remote_off(c, syn));
	put32(t + 8, p->has_ack ? p->ack + run_conn_local_off(c, syn) : 0);
	t[12] = (uint8_t)((tcph / 4) << 4);
	t[13] = p->flags;
	put16(t + 14, p->has_win ? p->win : 65535);
	put16(t + 18, p->has_urg ? p->urg : 0);
	memcpy(t + 20, opts, (size_t)olen);
	/* Payload: zero bytes, like packetdrill's. */
	uint32_t sum = 0;
	size_t alen = v6 ? 16 : 4;
	sum = run_csum_add(sum, c->remote.bytes, alen);
	sum = run_csum_add(sum, c->local.bytes, alen);
	sum += 6;
	sum += (uint32_t)(tcph + p->len);
	sum = run_csum_add(sum, t, tcph + p->len);
	uint16_t csum = (uint16_t)~run_csum_fold(sum);
	put16(t + 16, p->bad_checksum ? (uint16_t)(csum ^ 0x0001) : csum);
	return total;
}
