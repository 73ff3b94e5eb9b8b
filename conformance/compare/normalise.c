/* Normalising an observed trace (compare.h): what legitimately differs
 * between two stacks is taken out before diffing.
 *   - ISNs: outbound seq and inbound ack are made relative to the stack's
 *     ISN on that connection (its first SYN, else its first segment).
 *   - Ephemeral ports: connections are numbered by first appearance.
 *   - TS val: each stack's clock is its own; the value is shown relative to
 *     the stack's first TSval but not compared (TS ecr is).
 *   - Times stay as observed; cmp_event_diff compares them with a tolerance.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/compare.h"
#include "synack/segment.h"

#define MAX_CONNS 64

struct nconn {
	struct synack_addr stack_addr, peer_addr;
	uint16_t stack_port, peer_port;
	bool isn_known, ts_known;
	uint32_t isn, ts0;
};

struct nstate {
	struct nconn c[MAX_CONNS];
	int n;
	int fds[256]; /* stack descriptors in order of appearance */
	int nfds;
};

static bool addr_eq(const struct synack_addr *a, const struct synack_addr *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, 16) == 0;
}

static int conn_of(struct nstate *st, const struct synack_segment *seg, bool outbound)
{
	const struct synack_addr *sa = outbound ? &seg->src : &seg->dst;
	const struct synack_addr *pa = outbound ? &seg->dst : &seg->src;
	uint16_t sp = outbound ? seg->sport : seg->dport;
	uint16_t pp = outbound ? seg->dport : seg->sport;
	for (int i = 0; i < st->n; i++)
		if (st->c[i].stack_port == sp && st->c[i].peer_port == pp &&
		    addr_eq(&st->c[i].stack_addr, sa) && addr_eq(&st->c[i].peer_addr, pa))
			return i;
	if (st->n == MAX_CONNS)
		return MAX_CONNS - 1;
	struct nconn *c = &st->c[st->n];
	memset(c, 0, sizeof *c);
	c->stack_addr = *sa;
	c->peer_addr = *pa;
	c->stack_port = sp;
	c->peer_port = pp;
	return st->n++;
}

static void flags_text(uint8_t f, char *buf)
{
	static const struct {
		uint8_t bit;
		char c;
	} map[] = { { SYNACK_TH_SYN, 'S' }, { SYNACK_TH_FIN, 'F' }, { SYNACK_TH_RST, 'R' },
		    { SYNACK_TH_PSH, 'P' }, { SYNACK_TH_URG, 'U' }, { SYNACK_TH_ECE, 'E' },
		    { SYNACK_TH_CWR, 'W' } };
	size_t n = 0;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (f & map[i].bit)
			buf[n++] = map[i].c;
	if (f & SYNACK_TH_ACK)
		buf[n++] = '.';
	buf[n] = 0;
}

static void append(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(buf);
	if (n + 1 >= cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + n, cap - n, fmt, ap);
	va_end(ap);
}

/* The options in wire order; `shown` has TS val (relative), `key` not. */
static void options_text(const struct synack_segment *seg, const struct nconn *c, bool outbound,
                         char *key, size_t kcap, char *shown, size_t scap)
{
	key[0] = shown[0] = 0;
	const struct synack_tcp_options *o = &seg->opt;
	int sack_i = 0;
	for (int i = 0; i < o->n_raw; i++) {
		char k[96] = "", s[96] = "";
		switch (o->raw[i].kind) {
		case SYNACK_OPT_EOL:
			snprintf(k, sizeof k, "eol");
			break;
		case SYNACK_OPT_NOP:
			snprintf(k, sizeof k, "nop");
			break;
		case SYNACK_OPT_MSS:
			snprintf(k, sizeof k, "mss %u", o->mss);
			break;
		case SYNACK_OPT_WSCALE:
			snprintf(k, sizeof k, "wscale %u", o->wscale);
			break;
		case SYNACK_OPT_SACK_PERM:
			snprintf(k, sizeof k, "sackOK");
			break;
		case SYNACK_OPT_SACK: {
			/* An inbound packet's blocks are in the stack's sequence
			 * space: relative to its ISN, as its ack. An outbound
			 * packet's are the peer's, the script's own numbers. */
			uint32_t base = !outbound && c && c->isn_known ? c->isn : 0;
			snprintf(k, sizeof k, "sack");
			for (; sack_i < o->n_sack; sack_i++)
				append(k, sizeof k, " %u:%u", o->sack[sack_i].left - base,
				       o->sack[sack_i].right - base);
			break;
		}
		case SYNACK_OPT_TS: {
			uint32_t val = o->ts_val, ecr = o->ts_ecr;
			if (outbound && c && c->ts_known)
				val -= c->ts0;
			if (!outbound && c && c->ts_known && ecr)
				ecr -= c->ts0;
			snprintf(k, sizeof k, "TS ecr %u", ecr);
			snprintf(s, sizeof s, "TS val %s%u ecr %u", outbound ? "+" : "", val, ecr);
			break;
		}
		default:
			snprintf(k, sizeof k, "kind %u len %u", o->raw[i].kind, o->raw[i].len);
			break;
		}
		append(key, kcap, "%s%s", key[0] ? "," : "", k);
		append(shown, scap, "%s%s", shown[0] ? "," : "", s[0] ? s : k);
	}
}

static void packet(struct nstate *st, const struct run_obs *o, struct cmp_event *e)
{
	bool outbound = o->kind == RUN_OBS_OUTBOUND;
	struct synack_segment seg;
	e->is_pkt = true;
	if (synack_seg_parse(o->pkt, o->len, false, &seg) != SYNACK_SEG_OK) {
		/* ICMP and the like: compared by the executor's text. */
		snprintf(e->text, sizeof e->text, "%s %.250s", outbound ? ">" : "<", o->text);
		snprintf(e->opts, sizeof e->opts, "%.150s", o->text);
		e->conn = -1;
		return;
	}
	e->parsed = true;
	e->conn = conn_of(st, &seg, outbound);
	struct nconn *c = &st->c[e->conn];
	if (outbound && !c->isn_known) {
		/* The first SYN, else the first segment: relative 0 or 1. */
		c->isn_known = true;
		c->isn = seg.seq - ((seg.flags & SYNACK_TH_SYN) ? 0 : 1);
	}
	if (outbound && seg.opt.has_ts && !c->ts_known) {
		c->ts_known = true;
		c->ts0 = seg.opt.ts_val;
	}
	e->flags = seg.flags;
	e->has_ack = (seg.flags & SYNACK_TH_ACK) != 0;
	e->len = (uint32_t)seg.payload_len;
	e->win = seg.window;
	uint32_t isn = c->isn_known ? c->isn : 0;
	if (outbound) {
		e->seq = seg.seq - isn;
		e->ack = seg.ack;
	} else {
		e->seq = seg.seq;
		e->ack = seg.ack - isn;
	}
	if (!e->has_ack)
		e->ack = 0;
	char shown[200];
	options_text(&seg, c, outbound, e->opts, sizeof e->opts, shown, sizeof shown);
	char fl[12];
	flags_text(seg.flags, fl);
	snprintf(e->text, sizeof e->text, "%s %s %u:%u(%u)", outbound ? ">" : "<", fl, e->seq,
	         e->seq + e->len, e->len);
	if (e->has_ack)
		append(e->text, sizeof e->text, " ack %u", e->ack);
	append(e->text, sizeof e->text, " win %u", e->win);
	if (shown[0])
		append(e->text, sizeof e->text, " <%s>", shown);
	if (e->conn > 0) /* the first connection goes without saying */
		append(e->text, sizeof e->text, " [conn %d]", e->conn + 1);
}

/* A call that returns a new descriptor ("accept(3, ..., ...) = 6"): each
 * stack numbers its own, so the result becomes the order of appearance
 * counted from 3 ("= 4" for the second descriptor), as a script would see. */
static void renumber_fd(struct nstate *st, char *text, size_t cap)
{
	static const char *const calls[] = { "socket(", "accept(", "accept4(", "epoll_create(",
		                             "epoll_create1(" };
	bool fd_call = false;
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
		if (strncmp(text, calls[i], strlen(calls[i])) == 0)
			fd_call = true;
	char *eq = strrchr(text, '=');
	if (!fd_call || !eq || eq[1] != ' ' || eq[2] < '0' || eq[2] > '9')
		return;
	int fd = atoi(eq + 2);
	int k = 0;
	while (k < st->nfds && st->fds[k] != fd)
		k++;
	if (k == st->nfds && st->nfds < 256)
		st->fds[st->nfds++] = fd;
	size_t pos = (size_t)(eq - text);
	snprintf(text + pos, cap - pos, "= %d", 3 + k);
}

int cmp_normalise(const struct run_trace *t, struct cmp_trace *out)
{
	out->n = 0;
	out->v = calloc(t->n ? t->n : 1, sizeof *out->v);
	if (!out->v)
		return -1;
	struct nstate *st = calloc(1, sizeof *st);
	if (!st) {
		free(out->v);
		out->v = NULL;
		return -1;
	}
	for (size_t i = 0; i < t->n; i++) {
		const struct run_obs *o = &t->v[i];
		struct cmp_event *e = &out->v[out->n++];
		e->kind = o->kind;
		e->line = o->line;
		e->time_us = (int64_t)o->time_us;
		e->timer_len_us = o->kind == RUN_OBS_OUTBOUND ? (int64_t)o->timer_len_us : 0;
		e->conn = -1;
		if ((o->kind == RUN_OBS_INBOUND || o->kind == RUN_OBS_OUTBOUND) && o->pkt)
			packet(st, o, e);
		else
			snprintf(e->text, sizeof e->text, "%.250s", o->text);
		if (o->kind == RUN_OBS_SYSCALL || o->kind == RUN_OBS_RETURN)
			renumber_fd(st, e->text, sizeof e->text);
	}
	free(st);
	/* A real stack's packet may be captured (and queued) after an inbound
	 * packet the script injected later than it was sent: it goes back
	 * before such inbound packets. Never past a call, which may have
	 * caused it (a call's time is when it returned). */
	for (size_t i = 1; i < out->n; i++) {
		if (out->v[i].kind != RUN_OBS_OUTBOUND)
			continue;
		struct cmp_event e = out->v[i];
		size_t j = i;
		while (j > 0 && out->v[j - 1].kind == RUN_OBS_INBOUND &&
		       out->v[j - 1].time_us > e.time_us) {
			out->v[j] = out->v[j - 1];
			j--;
		}
		out->v[j] = e;
	}
	/* The wheel's lateness of each timer-sent packet: its own timer's, plus
	 * that of the timer-sent packet whose sending armed it (a kernel arms
	 * the next timer from its own late firing). */
	for (size_t i = 0; i < out->n; i++) {
		struct cmp_event *e = &out->v[i];
		if (e->kind != RUN_OBS_OUTBOUND || !e->timer_len_us)
			continue;
		int64_t armed = e->time_us - e->timer_len_us, before = 0;
		for (size_t k = i; k-- > 0;) {
			const struct cmp_event *p = &out->v[k];
			if (p->time_us < armed)
				break;
			if (p->kind == RUN_OBS_OUTBOUND && p->timer_len_us && p->time_us == armed) {
				before = p->wheel_us;
				break;
			}
		}
		e->wheel_us = before + cmp_wheel_lateness_us(e->timer_len_us);
	}
	return 0;
}

void cmp_trace_free(struct cmp_trace *t)
{
	free(t->v);
	t->v = NULL;
	t->n = 0;
}
