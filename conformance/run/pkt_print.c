/* Packets in script syntax (see pkt_print.h). */
#include "run/pkt_print.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct out {
	char *buf;
	size_t cap, n;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	if (o->n >= o->cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(o->buf + o->n, o->cap - o->n, fmt, ap);
	va_end(ap);
	if (w > 0)
		o->n += (size_t)w;
	if (o->n >= o->cap)
		o->n = o->cap - 1;
}

void run_flags_format(uint8_t flags, char *buf, size_t cap)
{
	static const struct {
		uint8_t bit;
		char c;
	} order[] = {
		{ SYNACK_TH_FIN, 'F' }, { SYNACK_TH_SYN, 'S' }, { SYNACK_TH_RST, 'R' },
		{ SYNACK_TH_PSH, 'P' }, { SYNACK_TH_ACK, '.' }, { SYNACK_TH_URG, 'U' },
		{ SYNACK_TH_ECE, 'E' }, { SYNACK_TH_CWR, 'W' },
	};
	size_t n = 0;
	for (size_t i = 0; i < sizeof order / sizeof order[0] && n + 1 < cap; i++)
		if (flags & order[i].bit)
			buf[n++] = order[i].c;
	if (n == 0 && cap > 1)
		buf[n++] = '-'; /* no flags at all */
	if (cap)
		buf[n] = '\0';
}

const char *run_opt_name(enum run_opt_kind kind)
{
	static const char *const names[] = {
		[RUN_OPT_EOL] = "eol",       [RUN_OPT_NOP] = "nop",
		[RUN_OPT_MSS] = "mss",       [RUN_OPT_WSCALE] = "wscale",
		[RUN_OPT_SACKOK] = "sackOK", [RUN_OPT_SACK] = "sack",
		[RUN_OPT_TS] = "TS",         [RUN_OPT_FO] = "FO",
		[RUN_OPT_FOEXP] = "FOEXP",   [RUN_OPT_MD5] = "md5",
		[RUN_OPT_EXP] = "exp",       [RUN_OPT_GENERIC] = "kind",
	};
	return names[kind];
}

static void opt_format(struct out *o, const struct run_opt *op)
{
	switch (op->kind) {
	case RUN_OPT_EOL:
		put(o, "eol");
		break;
	case RUN_OPT_NOP:
		put(o, "nop");
		break;
	case RUN_OPT_MSS:
		put(o, "mss %u", op->v1);
		break;
	case RUN_OPT_WSCALE:
		put(o, "wscale %u", op->v1);
		break;
	case RUN_OPT_SACKOK:
		put(o, "sackOK");
		break;
	case RUN_OPT_SACK:
		put(o, "sack");
		for (int i = 0; i < op->n_sack; i++)
			put(o, " %u:%u", op->sack[i].left, op->sack[i].right);
		break;
	case RUN_OPT_TS:
		put(o, "TS val %u ecr %u", op->v1, op->v2);
		break;
	case RUN_OPT_FO:
		put(o, "FO ");
		for (int i = 0; i < op->cookie_len; i++)
			put(o, "%02x", op->cookie[i]);
		break;
	case RUN_OPT_FOEXP:
		put(o, "FOEXP");
		if (op->cookie_len)
			put(o, " ");
		for (int i = 0; i < op->cookie_len; i++)
			put(o, "%02x", op->cookie[i]);
		break;
	case RUN_OPT_MD5:
		put(o, "md5");
		break;
	case RUN_OPT_EXP:
		put(o, "exp");
		break;
	case RUN_OPT_GENERIC:
		put(o, "kind %u len %u", op->v1, op->v2);
		break;
	}
}

void run_pkt_format(const struct run_pkt *p, char *buf, size_t cap)
{
	struct out o = { buf, cap, 0 };
	if (p->proto == RUN_PROTO_ICMP) {
		put(&o, "icmp type %u code %u", p->icmp_type, p->icmp_code);
		if (p->has_mtu)
			put(&o, " mtu %u", p->mtu);
		put(&o, " [%u:%u(%u)]", p->seq, p->seq + p->len, p->len);
		return;
	}
	char flags[12];
	if (cap)
		buf[0] = '\0';
	run_flags_format(p->flags, flags, sizeof flags);
	/* IP extras first, as the parser's printer writes them. */
	static const char *const ecn[] = { "", "noecn", "ect0", "ect1", "ce", "ect01" };
	if (p->ecn != RUN_ECN_UNSPEC)
		put(&o, "[%s] ", ecn[p->ecn]);
	if (p->has_tos || p->has_flowlabel || p->has_ttl) {
		const char *sep = "(";
		if (p->has_tos) {
			put(&o, "%stos 0x%02x", sep, p->tos);
			sep = ", ";
		}
		if (p->has_flowlabel) {
			put(&o, "%sflowlabel 0x%x", sep, p->flowlabel);
			sep = ", ";
		}
		if (p->has_ttl)
			put(&o, "%sttl %u", sep, p->ttl);
		put(&o, ") ");
	}
	if (p->has_ports)
		put(&o, "%u>%u ", p->sport, p->dport);
	put(&o, "%s %u:%u(%u)", flags, p->seq, p->seq + p->len, p->len);
	if (p->has_ack)
		put(&o, " ack %u", p->ack);
	if (p->has_win)
		put(&o, " win %u", p->win);
	if (p->has_urg)
		put(&o, " urg %u", p->urg);
	if (p->opts_any) {
		put(&o, " <...>");
	} else if (p->has_opts) {
		put(&o, " <");
		for (int i = 0; i < p->n_opts; i++) {
			if (i)
				put(&o, ",");
			opt_format(&o, &p->opts[i]);
		}
		put(&o, ">");
	}
}

static void live_opts(const struct synack_segment *seg, const struct run_conn *c, bool outbound,
                      struct run_pkt *out)
{
	/* Walk the wire order (raw[]) so the actual packet prints its options
	 * exactly as sent; values come from the decoded fields. */
	const struct synack_tcp_options *t = &seg->opt;
	/* SACK blocks are in the acked side's space, like the ack. */
	bool syn = seg->flags & SYNACK_TH_SYN;
	uint32_t sack_off = !c         ? 0
	                    : outbound ? run_conn_remote_off(c, syn)
	                               : run_conn_local_off(c, syn);
	for (int i = 0; i < t->n_raw && out->n_opts < RUN_MAX_OPTS; i++) {
		struct run_opt *op = &out->opts[out->n_opts++];
		memset(op, 0, sizeof *op);
		switch (t->raw[i].kind) {
		case SYNACK_OPT_EOL:
			op->kind = RUN_OPT_EOL;
			break;
		case SYNACK_OPT_NOP:
			op->kind = RUN_OPT_NOP;
			break;
		case SYNACK_OPT_MSS:
			op->kind = RUN_OPT_MSS;
			op->v1 = t->mss;
			break;
		case SYNACK_OPT_WSCALE:
			op->kind = RUN_OPT_WSCALE;
			op->v1 = t->wscale;
			break;
		case SYNACK_OPT_SACK_PERM:
			op->kind = RUN_OPT_SACKOK;
			break;
		case SYNACK_OPT_SACK:
			op->kind = RUN_OPT_SACK;
			op->n_sack = t->n_sack;
			for (int k = 0; k < t->n_sack; k++) {
				op->sack[k].left = t->sack[k].left - sack_off;
				op->sack[k].right = t->sack[k].right - sack_off;
			}
			break;
		case SYNACK_OPT_TS:
			op->kind = RUN_OPT_TS;
			op->v1 = t->ts_val;
			op->v2 = t->ts_ecr;
			/* In the script's numbering once it is known: our TSval
			 * outbound, the echo of it inbound. */
			if (c && c->ts_known) {
				if (outbound)
					op->v1 -= c->ts_offset;
				else
					op->v2 -= c->ts_offset;
			}
			break;
		case SYNACK_OPT_MD5:
			op->kind = RUN_OPT_MD5;
			break;
		case SYNACK_OPT_FASTOPEN:
			op->kind = RUN_OPT_FO;
			if (seg->options_raw && t->raw[i].len > 2) {
				op->cookie_len = (uint8_t)(t->raw[i].len - 2);
				if (op->cookie_len > sizeof op->cookie)
					op->cookie_len = sizeof op->cookie;
				memcpy(op->cookie, seg->options_raw + t->raw[i].offset - 20 + 2,
				       op->cookie_len);
			}
			break;
		default:
			op->kind = RUN_OPT_GENERIC;
			op->v1 = t->raw[i].kind;
			op->v2 = t->raw[i].len;
			break;
		}
	}
	out->has_opts = out->n_opts > 0;
}

void run_pkt_from_live(const struct synack_segment *seg, const struct run_conn *c, bool outbound,
                       struct run_pkt *out)
{
	memset(out, 0, sizeof *out);
	bool syn = seg->flags & SYNACK_TH_SYN;
	uint32_t loc = c ? run_conn_local_off(c, syn) : 0;
	uint32_t rem = c ? run_conn_remote_off(c, syn) : 0;
	out->outbound = outbound;
	out->flags = seg->flags;
	out->len = (uint32_t)seg->payload_len;
	out->seq = seg->seq - (outbound ? loc : rem);
	if (seg->flags & SYNACK_TH_ACK) {
		out->has_ack = true;
		out->ack = seg->ack - (outbound ? rem : loc);
	}
	out->has_win = true;
	out->win = seg->window;
	if (seg->flags & SYNACK_TH_URG) {
		out->has_urg = true;
		out->urg = seg->urg_ptr;
	}
	live_opts(seg, c, outbound, out);
	static const enum run_ecn ecn[] = { RUN_ECN_NOECN, RUN_ECN_ECT1, RUN_ECN_ECT0, RUN_ECN_CE };
	/* Only show ECN and TOS when set: the common case stays short. */
	if (seg->tos & 3)
		out->ecn = ecn[seg->tos & 3];
	if (seg->tos & ~3) {
		out->has_tos = true;
		out->tos = seg->tos;
	}
}
