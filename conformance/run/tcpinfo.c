/* TCP_INFO by name, and the native %{ assert }% evaluator: packetdrill runs
 * these blocks in Python; the common forms are simple enough to evaluate
 * here, so synack needs no Python. */
#include "run/tcpinfo.h"
#include "run/symbols.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define F(name, field)                                           \
	{                                                        \
		name, offsetof(struct synack_tcp_info, field),   \
		    sizeof(((struct synack_tcp_info *)0)->field) \
	}

static const struct {
	const char *name;
	size_t off, size;
} fields[] = {
	F("state", state),
	F("ca_state", ca_state),
	F("retransmits", retransmits),
	F("probes", probes),
	F("backoff", backoff),
	F("options", options),
	F("snd_wscale", snd_wscale),
	F("rcv_wscale", rcv_wscale),
	F("rto", rto),
	F("ato", ato),
	F("snd_mss", snd_mss),
	F("rcv_mss", rcv_mss),
	F("unacked", unacked),
	F("sacked", sacked),
	F("lost", lost),
	F("retrans", retrans),
	F("fackets", fackets),
	F("last_data_sent", last_data_sent),
	F("last_ack_sent", last_ack_sent),
	F("last_data_recv", last_data_recv),
	F("last_ack_recv", last_ack_recv),
	F("pmtu", pmtu),
	F("rcv_ssthresh", rcv_ssthresh),
	F("rtt", rtt),
	F("rttvar", rttvar),
	F("snd_ssthresh", snd_ssthresh),
	F("snd_cwnd", snd_cwnd),
	F("advmss", advmss),
	F("reordering", reordering),
	F("rcv_rtt", rcv_rtt),
	F("rcv_space", rcv_space),
	F("total_retrans", total_retrans),
	F("bytes_acked", bytes_acked),
	F("bytes_received", bytes_received),
	F("segs_out", segs_out),
	F("segs_in", segs_in),
	F("data_segs_in", data_segs_in),
	F("data_segs_out", data_segs_out),
	F("notsent_bytes", notsent_bytes),
	F("min_rtt", min_rtt),
	F("delivered", delivered),
	F("delivered_ce", delivered_ce),
	F("snd_wnd", snd_wnd),
	F("rcv_wnd", rcv_wnd),
	F("bytes_sent", bytes_sent),
	F("bytes_retrans", bytes_retrans),
	F("dsack_dups", dsack_dups),
	F("reord_seen", reord_seen),
	F("rcv_ooopack", rcv_ooopack),
	F("total_rto", total_rto),
	F("total_rto_recoveries", total_rto_recoveries),
	F("total_rto_time", total_rto_time),
};

bool run_tcpinfo_field(const struct synack_tcp_info *ti, const char *name, long long *out)
{
	if (strncmp(name, "tcpi_", 5) == 0)
		name += 5;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		if (strcmp(fields[i].name, name) != 0)
			continue;
		const unsigned char *p = (const unsigned char *)ti + fields[i].off;
		switch (fields[i].size) {
		case 1:
			*out = *p;
			break;
		case 4: {
			uint32_t v;
			memcpy(&v, p, 4);
			*out = v;
			break;
		}
		default: {
			uint64_t v;
			memcpy(&v, p, 8);
			*out = (long long)v;
			break;
		}
		}
		return true;
	}
	return false;
}

/* ---- a tiny expression evaluator ------------------------------------------ */

struct ev {
	const char *p;
	const struct synack_tcp_info *ti;
	char *why;
	size_t cap;
	bool err;
};

static void skip_ws(struct ev *e)
{
	while (*e->p == ' ' || *e->p == '\t')
		e->p++;
}

static bool accept_tok(struct ev *e, const char *tok)
{
	skip_ws(e);
	size_t n = strlen(tok);
	if (strncmp(e->p, tok, n) != 0)
		return false;
	/* Keywords must not run into an identifier ("and" vs "andx"). */
	if (isalpha((unsigned char)tok[0]) && (isalnum((unsigned char)e->p[n]) || e->p[n] == '_'))
		return false;
	e->p += n;
	return true;
}

static long long parse_or(struct ev *e);

/* Names the evaluator knows besides tcpi_* fields: Python's booleans, the
 * tcpi_options bits, and every symbol a syscall argument may use (TCP
 * states, CA states, ... — symbols.c, one table). */
static bool constant(const char *name, long long *v)
{
	static const struct {
		const char *n;
		int v;
	} c[] = {
		{ "True", 1 },
		{ "False", 0 },
		/* tcpi_options bits (include/uapi/linux/tcp.h TCPI_OPT_*) */
		{ "TCPI_OPT_TIMESTAMPS", 1 },
		{ "TCPI_OPT_SACK", 2 },
		{ "TCPI_OPT_WSCALE", 4 },
		{ "TCPI_OPT_ECN", 8 },
		{ "TCPI_OPT_ECN_SEEN", 16 },
		{ "TCPI_OPT_SYN_DATA", 32 },
		{ "TCPI_OPT_USEC_TS", 64 },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
		if (strcmp(c[i].n, name) == 0) {
			*v = c[i].v;
			return true;
		}
	return run_symbol(name, v);
}

static long long parse_atom(struct ev *e)
{
	skip_ws(e);
	if (accept_tok(e, "(")) {
		long long v = parse_or(e);
		if (!accept_tok(e, ")"))
			e->err = true;
		return v;
	}
	if (accept_tok(e, "-"))
		return -parse_atom(e);
	if (accept_tok(e, "not"))
		return !parse_atom(e);
	if (accept_tok(e, "~"))
		return ~parse_atom(e);
	if (isdigit((unsigned char)*e->p)) {
		char *end;
		long long v = strtoll(e->p, &end, 0);
		e->p = end;
		return v;
	}
	if (isalpha((unsigned char)*e->p) || *e->p == '_') {
		char name[64];
		size_t n = 0;
		while ((isalnum((unsigned char)*e->p) || *e->p == '_') && n + 1 < sizeof name)
			name[n++] = *e->p++;
		name[n] = '\0';
		long long v;
		if (run_tcpinfo_field(e->ti, name, &v) || constant(name, &v))
			return v;
		snprintf(e->why, e->cap, "unknown name %s", name);
	}
	e->err = true;
	return 0;
}

static long long parse_mul(struct ev *e)
{
	long long v = parse_atom(e);
	for (;;) {
		if (accept_tok(e, "*")) {
			v *= parse_atom(e);
		} else if (accept_tok(e, "//") || accept_tok(e, "/")) {
			long long d = parse_atom(e);
			v = d ? v / d : (e->err = true, 0);
		} else if (accept_tok(e, "%")) {
			long long d = parse_atom(e);
			v = d ? v % d : (e->err = true, 0);
		} else {
			return v;
		}
	}
}

static long long parse_add(struct ev *e)
{
	long long v = parse_mul(e);
	for (;;) {
		if (accept_tok(e, "+"))
			v += parse_mul(e);
		else if (accept_tok(e, "-"))
			v -= parse_mul(e);
		else
			return v;
	}
}

/* Bitwise and, xor, or: between arithmetic and comparisons, as in Python
 * (`tcpi_options & TCPI_OPT_SYN_DATA != 0` compares the masked value). */
static long long parse_band(struct ev *e)
{
	long long v = parse_add(e);
	while (accept_tok(e, "&"))
		v &= parse_add(e);
	return v;
}

static long long parse_bxor(struct ev *e)
{
	long long v = parse_band(e);
	while (accept_tok(e, "^"))
		v ^= parse_band(e);
	return v;
}

static long long parse_bor(struct ev *e)
{
	long long v = parse_bxor(e);
	while (accept_tok(e, "|"))
		v |= parse_bxor(e);
	return v;
}

static long long parse_cmp(struct ev *e)
{
	long long v = parse_bor(e);
	if (accept_tok(e, "=="))
		return v == parse_bor(e);
	if (accept_tok(e, "!="))
		return v != parse_bor(e);
	if (accept_tok(e, "<="))
		return v <= parse_bor(e);
	if (accept_tok(e, ">="))
		return v >= parse_bor(e);
	if (accept_tok(e, "<"))
		return v < parse_bor(e);
	if (accept_tok(e, ">"))
		return v > parse_bor(e);
	return v;
}

static long long parse_and(struct ev *e)
{
	long long v = parse_cmp(e);
	while (accept_tok(e, "and")) {
		long long r = parse_cmp(e);
		v = v && r;
	}
	return v;
}

static long long parse_or(struct ev *e)
{
	long long v = parse_and(e);
	while (accept_tok(e, "or")) {
		long long r = parse_and(e);
		v = v || r;
	}
	return v;
}

int run_tcpinfo_assert(const char *code, const struct synack_tcp_info *ti, char *why, size_t cap)
{
	char line[512];
	for (const char *p = code; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n >= sizeof line)
			n = sizeof line - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl ? nl + 1 : NULL;
		char *s = line;
		while (isspace((unsigned char)*s))
			s++;
		char *hash = strchr(s, '#');
		if (hash)
			*hash = '\0';
		size_t len = strlen(s);
		while (len && isspace((unsigned char)s[len - 1]))
			s[--len] = '\0';
		if (!*s)
			continue;
		if (strncmp(s, "assert", 6) != 0 || !isspace((unsigned char)s[6])) {
			snprintf(why, cap, "unsupported: python block: %.200s", s);
			return -1;
		}
		struct ev e = { s + 7, ti, why, cap, false };
		why[0] = '\0';
		long long v = parse_or(&e);
		skip_ws(&e);
		/* `assert X, "message"`: the message is for humans. */
		if (!e.err && *e.p == ',')
			e.p += strlen(e.p);
		if (e.err || *e.p) {
			char detail[128];
			snprintf(detail, sizeof detail, "%s", why);
			snprintf(why, cap, "unsupported: python block: %.200s%s%s", s,
			         detail[0] ? ": " : "", detail);
			return -1;
		}
		if (!v) {
			/* Show the values the assertion read, so the report says why. */
			int w = snprintf(why, cap, "assertion failed: %.200s (", s);
			const char *q = s;
			bool first = true;
			while ((q = strstr(q, "tcpi_")) && w > 0 && (size_t)w < cap) {
				char name[64];
				size_t k = 0;
				while ((isalnum((unsigned char)*q) || *q == '_') &&
				       k + 1 < sizeof name)
					name[k++] = *q++;
				name[k] = '\0';
				long long fv;
				if (run_tcpinfo_field(ti, name, &fv))
					w += snprintf(why + w, cap - (size_t)w, "%s%s = %lld",
					              first ? "" : ", ", name, fv);
				first = false;
			}
			if (w > 0 && (size_t)w < cap)
				snprintf(why + w, cap - (size_t)w, ")");
			return 1;
		}
	}
	return 0;
}
