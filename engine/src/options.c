/* TCP options: parse (RFC 9293 §3.1, RFC 7323, RFC 2018) and build in the
 * exact byte layout Linux uses, so the engine's segments and a Linux capture
 * can be compared byte for byte.
 */
#include <string.h>

#include "synack/segment.h"

enum {
	OPTLEN_MSS = 4,
	OPTLEN_WSCALE = 3,
	OPTLEN_SACK_PERM = 2,
	OPTLEN_SACK_BASE = 2,
	OPTLEN_SACK_BLOCK = 8,
	OPTLEN_TS = 10,
	OPT_SPACE = 40, /* RFC 9293 §3.1: data offset ≤ 15 words */
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

static uint8_t *put4(uint8_t *p, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	p[0] = a;
	p[1] = b;
	p[2] = c;
	p[3] = d;
	return p + 4;
}

/* Applies one well-framed option (olen bytes at o, 2 ≤ olen) to out. A known
 * kind with the wrong length is ignored but not an error: Linux's
 * tcp_parse_options only acts on "opsize == TCPOLEN_x" and otherwise steps
 * over the option by its length; we do the same so both stacks agree on
 * what such a segment negotiates. Later duplicates overwrite earlier ones,
 * also as in tcp_parse_options. */
static void apply_option(const uint8_t *o, uint8_t olen, struct synack_tcp_options *out)
{
	switch (o[0]) {
	case SYNACK_OPT_MSS:
		/* Linux: tcp_parse_options ignores an MSS of 0 ("if (in_mss)"),
		 * so a zero MSS leaves the default in place. */
		if (olen == OPTLEN_MSS && get16(o + 2) != 0) {
			out->has_mss = true;
			out->mss = get16(o + 2);
		}
		break;
	case SYNACK_OPT_WSCALE:
		/* RFC 7323 §2.3: the receiver clamps a shift > 14 and logs;
		 * that is the engine's job, so keep the value as sent. */
		if (olen == OPTLEN_WSCALE) {
			out->has_wscale = true;
			out->wscale = o[2];
		}
		break;
	case SYNACK_OPT_SACK_PERM:
		if (olen == OPTLEN_SACK_PERM)
			out->sack_permitted = true;
		break;
	case SYNACK_OPT_SACK:
		/* RFC 2018 §3: 2 + 8n bytes. n ≤ 4 follows from the 40-byte
		 * option space (2 + 8·5 = 42); Linux checks the same two
		 * conditions (opsize ≥ 10, (opsize - 2) % 8 == 0). */
		if (olen >= OPTLEN_SACK_BASE + OPTLEN_SACK_BLOCK &&
		    (olen - OPTLEN_SACK_BASE) % OPTLEN_SACK_BLOCK == 0) {
			uint8_t n = (uint8_t)((olen - OPTLEN_SACK_BASE) / OPTLEN_SACK_BLOCK);
			if (n > SYNACK_MAX_SACK_BLOCKS)
				break;
			out->n_sack = n;
			for (uint8_t i = 0; i < n; i++) {
				out->sack[i].left = get32(o + 2 + 8 * i);
				out->sack[i].right = get32(o + 6 + 8 * i);
			}
		}
		break;
	case SYNACK_OPT_TS:
		if (olen == OPTLEN_TS) {
			out->has_ts = true;
			out->ts_val = get32(o + 2);
			out->ts_ecr = get32(o + 6);
		}
		break;
	default:
		/* RFC 9293 §3.1: an option we do not implement is ignored
		 * without error, stepping over it by its length; it stays
		 * visible in raw[]. */
		break;
	}
}

static void record(struct synack_tcp_options *out, uint8_t kind, uint8_t len, size_t offset)
{
	/* At most 40 one-byte options fit in 40 bytes, so raw[] cannot
	 * overflow; the guard only protects against a future bigger len. */
	if (out->n_raw < SYNACK_MAX_OPTIONS) {
		out->raw[out->n_raw].kind = kind;
		out->raw[out->n_raw].len = len;
		out->raw[out->n_raw].offset = (uint8_t)(20 + offset);
		out->n_raw++;
	}
}

enum synack_seg_error synack_opts_parse(const uint8_t *p, size_t len,
                                        struct synack_tcp_options *out)
{
	memset(out, 0, sizeof *out);
	if (len > OPT_SPACE)
		return SYNACK_SEG_BAD_OPTION;
	size_t i = 0;
	while (i < len) {
		uint8_t kind = p[i];
		if (kind == SYNACK_OPT_EOL) {
			/* RFC 9293 §3.1: EOL ends the list; what follows is
			 * padding, not options, and is not inspected. */
			record(out, kind, 1, i);
			break;
		}
		if (kind == SYNACK_OPT_NOP) {
			record(out, kind, 1, i);
			i++;
			continue;
		}
		/* RFC 9293 §3.1: every other option has a length byte that
		 * counts kind and length. A length < 2 ("silly options") or one
		 * past the header ("don't parse partial options") is an error;
		 * `out` keeps the options before it, which Linux goes on with
		 * (tcp_parse_options) and the RFC would drop with the segment
		 * ("SHOULD be treated as an erroneous segment and dropped"): the
		 * stack's profile decides (stack.c, bad_option_keeps_segment). */
		if (len - i < 2)
			return SYNACK_SEG_BAD_OPTION;
		uint8_t olen = p[i + 1];
		if (olen < 2 || olen > len - i)
			return SYNACK_SEG_BAD_OPTION;
		record(out, kind, olen, i);
		apply_option(p + i, olen, out);
		i += olen;
	}
	return SYNACK_SEG_OK;
}

int synack_opts_build(const struct synack_tcp_options *opt, bool syn, uint8_t *buf, size_t cap)
{
	/* Linux: tcp_syn_options/tcp_synack_options set MSS, wscale and
	 * sackOK only on a SYN; tcp_established_options sets SACK blocks only
	 * on a non-SYN. Timestamps go on both. */
	bool mss = syn && opt->has_mss;
	bool ws = syn && opt->has_wscale;
	bool sackok = syn && opt->sack_permitted;
	uint8_t nsack = syn ? 0 : opt->n_sack;
	if (nsack > SYNACK_MAX_SACK_BLOCKS)
		return -1;
	size_t need = (mss ? 4u : 0u) + (opt->has_ts ? 12u : 0u) +
	              (sackok && !opt->has_ts ? 4u : 0u) + (ws ? 4u : 0u) +
	              (nsack ? 4u + 8u * nsack : 0u);
	/* Linux trims SACK blocks to fit (3 with timestamps); the caller
	 * decides which blocks to drop, so too many is an error here. */
	if (need > OPT_SPACE || need > cap)
		return -1;

	/* Linux: tcp_options_write() order — MSS, (sackOK+)TS, sackOK,
	 * wscale, SACK blocks — each padded to a 32-bit word with NOPs. */
	uint8_t *p = buf;
	if (mss)
		p = put4(p, SYNACK_OPT_MSS, OPTLEN_MSS, (uint8_t)(opt->mss >> 8),
		         (uint8_t)opt->mss);
	if (opt->has_ts) {
		if (sackok)
			p = put4(p, SYNACK_OPT_SACK_PERM, OPTLEN_SACK_PERM, SYNACK_OPT_TS,
			         OPTLEN_TS);
		else
			p = put4(p, SYNACK_OPT_NOP, SYNACK_OPT_NOP, SYNACK_OPT_TS, OPTLEN_TS);
		p = put32(p, opt->ts_val);
		p = put32(p, opt->ts_ecr);
	} else if (sackok) {
		p = put4(p, SYNACK_OPT_NOP, SYNACK_OPT_NOP, SYNACK_OPT_SACK_PERM, OPTLEN_SACK_PERM);
	}
	if (ws)
		p = put4(p, SYNACK_OPT_NOP, SYNACK_OPT_WSCALE, OPTLEN_WSCALE, opt->wscale);
	if (nsack) {
		p = put4(p, SYNACK_OPT_NOP, SYNACK_OPT_NOP, SYNACK_OPT_SACK,
		         (uint8_t)(OPTLEN_SACK_BASE + OPTLEN_SACK_BLOCK * nsack));
		for (uint8_t i = 0; i < nsack; i++) {
			p = put32(p, opt->sack[i].left);
			p = put32(p, opt->sack[i].right);
		}
	}
	return (int)(p - buf);
}

int synack_opts_build_raw(const struct synack_tcp_option_spec *list, size_t n, bool pad,
                          uint8_t *buf, size_t cap)
{
	size_t limit = cap < OPT_SPACE ? cap : OPT_SPACE;
	size_t at = 0;
	for (size_t k = 0; k < n; k++) {
		const struct synack_tcp_option_spec *o = &list[k];
		if (o->kind == SYNACK_OPT_EOL || o->kind == SYNACK_OPT_NOP) {
			if (at + 1 > limit)
				return -1;
			buf[at++] = o->kind;
			continue;
		}
		if (o->value_len > sizeof o->value || at + 2u + o->value_len > limit)
			return -1;
		buf[at] = o->kind;
		buf[at + 1] = o->len;
		memcpy(buf + at + 2, o->value, o->value_len);
		at += 2u + o->value_len;
	}
	if (at % 4 != 0) {
		/* packetdrill refuses an option list that leaves the TCP header
		 * unaligned; a caller that wants it padded gets zeros, which
		 * RFC 9293 §3.1 defines as the header padding (and as EOL). */
		if (!pad)
			return -2;
		size_t padded = (at + 3) & ~(size_t)3;
		if (padded > limit)
			return -1;
		memset(buf + at, SYNACK_OPT_EOL, padded - at);
		at = padded;
	}
	return (int)at;
}
