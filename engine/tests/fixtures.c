/* Engine test fixtures: see fixtures.h. */
#include "fixtures.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tap.h"

static void emit_cb(void *ctx, const uint8_t *pkt, size_t len)
{
	struct fx *f = ctx;
	f->emitted++;
	f->last_timer_len_us = f->st ? synack_firing_timer_len(f->st) : -1;
	f->emitted_bytes += len;
	for (size_t i = 0; i < len; i++)
		f->emitted_hash = (f->emitted_hash ^ pkt[i]) * 0x100000001b3ULL;
	if (f->record) {
		if (f->rec_len + len + 4 > f->rec_cap) {
			size_t cap = f->rec_cap ? f->rec_cap * 2 : 65536;
			while (cap < f->rec_len + len + 4)
				cap *= 2;
			uint8_t *r = realloc(f->rec, cap);
			if (!r)
				tap_bail("fixture: out of memory");
			f->rec = r;
			f->rec_cap = cap;
		}
		uint8_t *w = f->rec + f->rec_len;
		w[0] = (uint8_t)(len >> 24);
		w[1] = (uint8_t)(len >> 16);
		w[2] = (uint8_t)(len >> 8);
		w[3] = (uint8_t)len;
		memcpy(w + 4, pkt, len);
		f->rec_len += len + 4;
	}
	if (!f->keep)
		return;
	if (f->q_len == FX_QUEUE || len > FX_PKTMAX) {
		tap_diag("fixture: output queue full, packet dropped");
		return;
	}
	struct fx_pkt *p = &f->q[(f->q_head + f->q_len) % FX_QUEUE];
	memcpy(p->buf, pkt, len);
	p->len = len;
	f->q_len++;
}

/* A counting allocator: a header remembers each block's size. */
static void *alloc_cb(void *ctx, size_t n)
{
	struct fx *f = ctx;
	uint64_t *p = malloc(n + 16);
	if (!p)
		return NULL;
	p[0] = n;
	f->live_bytes += n;
	f->allocs++;
	if (f->live_bytes > f->peak_bytes)
		f->peak_bytes = f->live_bytes;
	return p + 2;
}

static void free_cb(void *ctx, void *q)
{
	struct fx *f = ctx;
	if (!q)
		return;
	uint64_t *p = (uint64_t *)q - 2;
	f->live_bytes -= p[0];
	free(p);
}

static void init_common(struct fx *f, const struct synack_profile *p, uint64_t seed)
{
	if (p)
		f->prof = *p;
	else
		synack_profile_linux(&f->prof);
	f->q = calloc(FX_QUEUE, sizeof(*f->q));
	f->keep = true;
	f->emitted_hash = 0xcbf29ce484222325ULL;
	f->env.emit = emit_cb;
	f->env.ctx = f;
	f->env.seed = seed;
	f->env.alloc = alloc_cb;
	f->env.free = free_cb;
	f->env.alloc_ctx = f;
	f->lport = 8080;
	f->rport = 40000;
	f->lfd = f->fd = -1;
	f->irs = 1000000;
	f->p_seq = f->irs;
	f->p_win = 65535;
	f->p_ts = f->p_sack = f->p_ws = true;
	f->p_wscale = 7;
	f->p_mss = 1460;
	f->p_tsval = 100;
	f->now = 1000000; /* 1 s: a clock that is not zero */
	f->st = synack_stack_new(&f->prof, &f->env);
	if (!f->st)
		tap_bail("synack_stack_new failed");
	synack_add_address(f->st, &f->local);
	synack_advance(f->st, f->now);
}

void fx_init(struct fx *f, const struct synack_profile *p, uint64_t seed)
{
	memset(f, 0, sizeof(*f));
	f->local.family = f->remote.family = 4;
	memcpy(f->local.bytes, (uint8_t[]){ 192, 0, 2, 1 }, 4);
	memcpy(f->remote.bytes, (uint8_t[]){ 192, 0, 2, 2 }, 4);
	init_common(f, p, seed);
}

void fx_init6(struct fx *f, const struct synack_profile *p, uint64_t seed)
{
	memset(f, 0, sizeof(*f));
	f->local.family = f->remote.family = 6;
	uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	memcpy(f->local.bytes, a, 16);
	a[15] = 2;
	memcpy(f->remote.bytes, a, 16);
	init_common(f, p, seed);
}

void fx_free(struct fx *f)
{
	synack_stack_free(f->st);
	f->st = NULL;
	free(f->q);
	f->q = NULL;
	free(f->rec);
	f->rec = NULL;
}

/* Every segment and every clock step is followed by the engine's
 * self-check (synack_check_invariants): a violation fails the test. */
static void check(struct fx *f, const char *after)
{
	char why[256];
	if (synack_check_invariants(f->st, why, sizeof why) < 0)
		fail("engine invariant broken after %s: %s", after, why);
}

void fx_advance(struct fx *f, uint64_t dt_us)
{
	f->now += dt_us;
	f->p_tsval += (uint32_t)(dt_us / 1000);
	synack_advance(f->st, f->now);
	check(f, "advance");
}

void fx_mkseg(struct fx *f, struct synack_segment *s, uint8_t flags, int32_t seq_off,
              int32_t ack_off, const void *data, size_t len)
{
	memset(s, 0, sizeof(*s));
	s->src = f->remote;
	s->dst = f->local;
	s->ttl = 64;
	s->sport = f->rport;
	s->dport = f->lport;
	s->seq = f->p_seq + (uint32_t)seq_off;
	if (flags & SYNACK_TH_ACK)
		s->ack = f->p_ack + (uint32_t)ack_off;
	s->flags = flags;
	s->window = f->p_win;
	if (f->p_ts) {
		s->opt.has_ts = true;
		s->opt.ts_val = f->p_tsval;
		s->opt.ts_ecr = (flags & SYNACK_TH_ACK) ? f->s_tsval : 0;
	}
	s->payload = data;
	s->payload_len = len;
}

void fx_inject(struct fx *f, const struct synack_segment *s)
{
	uint8_t buf[FX_PKTMAX];
	size_t n = synack_seg_build(s, buf, sizeof(buf));
	if (!n)
		tap_bail("fixture: synack_seg_build failed");
	synack_input(f->st, f->now, buf, n);
	check(f, "a segment");
}

void fx_send(struct fx *f, uint8_t flags, int32_t seq_off, int32_t ack_off, const void *data,
             size_t len)
{
	struct synack_segment s;
	fx_mkseg(f, &s, flags, seq_off, ack_off, data, len);
	fx_inject(f, &s);
	if (seq_off == 0 && !(flags & SYNACK_TH_RST))
		f->p_seq += (uint32_t)len + ((flags & SYNACK_TH_SYN) ? 1u : 0u) +
		            ((flags & SYNACK_TH_FIN) ? 1u : 0u);
}

void fx_send_ecr(struct fx *f, size_t len, uint32_t ecr)
{
	static const uint8_t zeros[FX_PKTMAX];
	struct synack_segment s;
	if (len > sizeof(zeros))
		len = sizeof(zeros);
	fx_mkseg(f, &s, SYNACK_TH_ACK, 0, 0, len ? zeros : NULL, len);
	s.opt.ts_ecr = ecr;
	fx_inject(f, &s);
	f->p_seq += (uint32_t)len;
	fx_drain(f);
}

void fx_send_syn(struct fx *f)
{
	struct synack_segment s;
	f->p_seq = f->irs;
	fx_mkseg(f, &s, SYNACK_TH_SYN, 0, 0, NULL, 0);
	s.opt.has_mss = f->p_mss != 0;
	s.opt.mss = f->p_mss;
	s.opt.sack_permitted = f->p_sack;
	s.opt.has_wscale = f->p_ws;
	s.opt.wscale = f->p_wscale;
	fx_inject(f, &s);
	f->p_seq = f->irs + 1;
}

size_t fx_pending(const struct fx *f)
{
	return f->q_len;
}

bool fx_pop(struct fx *f, struct synack_segment *out)
{
	if (!f->q_len)
		return false;
	struct fx_pkt *p = &f->q[f->q_head];
	f->q_head = (f->q_head + 1) % FX_QUEUE;
	f->q_len--;
	/* The packet buffer stays valid until FX_QUEUE more are captured. */
	enum synack_seg_error e = synack_seg_parse(p->buf, p->len, true, out);
	if (e != SYNACK_SEG_OK) {
		tap_diag("fixture: the engine emitted a packet that does not parse: %s",
		         synack_seg_error_name(e));
		return false;
	}
	if (out->flags & SYNACK_TH_SYN)
		f->iss = out->seq;
	uint32_t end = out->seq + (uint32_t)out->payload_len +
	               ((out->flags & SYNACK_TH_SYN) ? 1u : 0u) +
	               ((out->flags & SYNACK_TH_FIN) ? 1u : 0u);
	if (out->flags & SYNACK_TH_SYN)
		f->p_ack = end;
	else if (!(out->flags & SYNACK_TH_RST) && synack_seq_gt(end, f->p_ack))
		f->p_ack = end;
	if (out->opt.has_ts)
		f->s_tsval = out->opt.ts_val;
	return true;
}

void fx_drain(struct fx *f)
{
	struct synack_segment s;
	while (fx_pop(f, &s))
		;
}

static size_t flags_str(uint8_t fl, char *b)
{
	size_t n = 0;
	if (fl & SYNACK_TH_SYN)
		b[n++] = 'S';
	if (fl & SYNACK_TH_FIN)
		b[n++] = 'F';
	if (fl & SYNACK_TH_RST)
		b[n++] = 'R';
	if (fl & SYNACK_TH_PSH)
		b[n++] = 'P';
	if (fl & SYNACK_TH_ACK)
		b[n++] = '.';
	if (!n)
		b[n++] = '-';
	b[n] = 0;
	return n;
}

const char *fx_fmt(struct fx *f, const struct synack_segment *s, char *buf, size_t cap)
{
	char fl[8];
	flags_str(s->flags, fl);
	bool out = s->src.family == f->local.family && !memcmp(s->src.bytes, f->local.bytes, 16);
	uint32_t sbase = out ? f->iss : f->irs, abase = out ? f->irs : f->iss;
	uint32_t seq = s->seq - sbase;
	size_t n = (size_t)snprintf(buf, cap, "%s %s %u:%u(%zu)", out ? ">" : "<", fl, seq,
	                            seq + (uint32_t)s->payload_len, s->payload_len);
	if (s->flags & SYNACK_TH_ACK)
		n += (size_t)snprintf(buf + n, cap > n ? cap - n : 0, " ack %u", s->ack - abase);
	n += (size_t)snprintf(buf + n, cap > n ? cap - n : 0, " win %u", s->window);
	const struct synack_tcp_options *o = &s->opt;
	if (o->has_mss || o->sack_permitted || o->has_ts || o->has_wscale) {
		n += (size_t)snprintf(buf + n, cap > n ? cap - n : 0, " <");
		const char *sep = "";
		if (o->has_mss) {
			n += (size_t)snprintf(buf + n, cap > n ? cap - n : 0, "%smss %u", sep,
			                      o->mss);
			sep = ",";
		}
		if (o->sack_permitted) {
			n += (size_t)snprintf(buf + n, cap > n ? cap - n : 0, "%ssackOK", sep);
			sep = ",";
		}
		if (o->has_ts) {
			n += (size_t)snprintf(buf + n, cap > n ? cap - n : 0, "%sTS val %u ecr %u",
			                      sep, o->ts_val, o->ts_ecr);
			sep = ",";
		}
		if (o->has_wscale)
			n += (size_t)snprintf(buf + n, cap > n ? cap - n : 0, "%swscale %u", sep,
			                      o->wscale);
		if (n + 1 < cap) {
			buf[n++] = '>';
			buf[n] = 0;
		}
	}
	return buf;
}

static void fmt_exp(struct fx *f, char *b, size_t cap, uint8_t flags, int64_t seq, int64_t ack,
                    int64_t len, int64_t win)
{
	char fl[8], s1[24], s2[24], s3[24], s4[24];
	(void)f;
	flags_str(flags, fl);
	snprintf(s1, sizeof(s1), seq == FX_ANY ? "*" : "%lld", (long long)seq);
	snprintf(s2, sizeof(s2), len == FX_ANY ? "*" : "%lld",
	         (long long)(seq == FX_ANY || len == FX_ANY ? len : seq + len));
	snprintf(s3, sizeof(s3), len == FX_ANY ? "*" : "%lld", (long long)len);
	snprintf(s4, sizeof(s4), win == FX_ANY ? "*" : "%lld", (long long)win);
	size_t n = (size_t)snprintf(b, cap, "> %s %s:%s(%s)", fl, s1, seq == FX_ANY ? "*" : s2, s3);
	if (flags & SYNACK_TH_ACK) {
		if (ack == FX_ANY)
			n += (size_t)snprintf(b + n, cap - n, " ack *");
		else
			n += (size_t)snprintf(b + n, cap - n, " ack %lld", (long long)ack);
	}
	snprintf(b + n, cap - n, " win %s", s4);
}

bool fx_expect_at(struct fx *f, const char *file, int line, uint8_t flags, int64_t seq, int64_t ack,
                  int64_t len, int64_t win, struct synack_segment *out)
{
	char exp[160], got[256];
	struct synack_segment s;
	fmt_exp(f, exp, sizeof(exp), flags, seq, ack, len, win);
	if (!fx_pop(f, &s)) {
		tap_ok_at(false, file, line, "expected %s", exp);
		tap_diag("  expected: %s", exp);
		tap_diag("       got: nothing");
		return false;
	}
	if (out)
		*out = s;
	/* The ISS is learned from the popped SYN before comparing. */
	uint32_t rseq = s.seq - f->iss;
	uint32_t rack = s.ack - f->irs;
	bool good = s.flags == flags && (seq == FX_ANY || rseq == (uint32_t)seq) &&
	            (!(flags & SYNACK_TH_ACK) || ack == FX_ANY || rack == (uint32_t)ack) &&
	            (len == FX_ANY || s.payload_len == (size_t)len) &&
	            (win == FX_ANY || s.window == (uint16_t)win);
	fx_fmt(f, &s, got, sizeof(got));
	snprintf(f->last_fmt, sizeof(f->last_fmt), "%s", got);
	tap_ok_at(good, file, line, "%s", exp);
	if (!good) {
		tap_diag("  expected: %s", exp);
		tap_diag("       got: %s", got);
	}
	return good;
}

bool fx_expect_none_at(struct fx *f, const char *file, int line)
{
	struct synack_segment s;
	if (!fx_pending(f))
		return tap_ok_at(true, file, line, "nothing sent");
	char got[256];
	fx_pop(f, &s);
	fx_fmt(f, &s, got, sizeof(got));
	tap_ok_at(false, file, line, "nothing sent");
	tap_diag("  expected: nothing");
	tap_diag("       got: %s", got);
	return false;
}

int fx_sockaddr(const struct fx *f, const struct synack_addr *a, uint16_t port, void *sa)
{
	if (f->local.family == 4) {
		struct sockaddr_in in;
		memset(&in, 0, sizeof(in));
		in.sin_family = AF_INET;
		in.sin_port = htons(port);
		memcpy(&in.sin_addr, a->bytes, 4);
		memcpy(sa, &in, sizeof(in));
		return sizeof(in);
	}
	struct sockaddr_in6 in6;
	memset(&in6, 0, sizeof(in6));
	in6.sin6_family = AF_INET6;
	in6.sin6_port = htons(port);
	memcpy(&in6.sin6_addr, a->bytes, 16);
	memcpy(sa, &in6, sizeof(in6));
	return sizeof(in6);
}

static int domain(const struct fx *f)
{
	return f->local.family == 4 ? AF_INET : AF_INET6;
}

int fx_listen(struct fx *f)
{
	struct sockaddr_storage ss;
	int fd = synack_socket(f->st, domain(f), SOCK_STREAM, 0);
	if (fd < 0)
		return fd;
	int one = 1;
	synack_setsockopt(f->st, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	int n = fx_sockaddr(f, &f->local, f->lport, &ss);
	int r = synack_bind(f->st, fd, (struct sockaddr *)&ss, (socklen_t)n);
	if (r < 0)
		return r;
	r = synack_listen(f->st, fd, 128);
	if (r < 0)
		return r;
	f->lfd = fd;
	return fd;
}

int fx_connect(struct fx *f)
{
	struct sockaddr_storage ss;
	struct synack_segment s;
	int fd = synack_socket(f->st, domain(f), SOCK_STREAM, 0);
	if (fd < 0)
		return fd;
	int n = fx_sockaddr(f, &f->remote, f->rport, &ss);
	int r = synack_connect(f->st, fd, (struct sockaddr *)&ss, (socklen_t)n);
	if (r != -EINPROGRESS)
		return r < 0 ? r : -EPROTO;
	f->fd = fd;
	/* The peer learns the stack's port from the SYN. */
	if (!fx_pop(f, &s))
		return -EPROTO;
	f->lport = s.sport;
	return fd;
}

bool fx_syn_sent(struct fx *f)
{
	if (fx_connect(f) < 0)
		return false;
	f->p_seq = f->irs;
	return true;
}

bool fx_syn_recv(struct fx *f)
{
	struct synack_segment s;
	if (fx_listen(f) < 0)
		return false;
	f->fd = f->lfd;
	fx_send_syn(f);
	if (!fx_pop(f, &s) || s.flags != (SYNACK_TH_SYN | SYNACK_TH_ACK))
		return false;
	return true;
}

bool fx_established(struct fx *f)
{
	if (!fx_syn_recv(f))
		return false;
	fx_send(f, SYNACK_TH_ACK, 0, 0, NULL, 0);
	int fd = synack_accept(f->st, f->lfd, NULL, NULL);
	if (fd < 0)
		return false;
	f->fd = fd;
	fx_drain(f);
	return fx_state(f, fd) == 1;
}

bool fx_established_active(struct fx *f)
{
	struct synack_segment s;
	if (!fx_syn_sent(f))
		return false;
	fx_mkseg(f, &s, SYNACK_TH_SYN | SYNACK_TH_ACK, 0, 0, NULL, 0);
	s.opt.has_mss = true;
	s.opt.mss = f->p_mss;
	s.opt.sack_permitted = f->p_sack;
	s.opt.has_wscale = f->p_ws;
	s.opt.wscale = f->p_wscale;
	fx_inject(f, &s);
	f->p_seq = f->irs + 1;
	fx_drain(f);
	return fx_state(f, f->fd) == 1;
}

bool fx_close_wait(struct fx *f)
{
	if (!fx_established(f))
		return false;
	fx_send(f, SYNACK_TH_FIN | SYNACK_TH_ACK, 0, 0, NULL, 0);
	/* Linux tcp_fin: the FIN's ACK is delayed; before any data the ATO is 0,
	 * so the delayed-ACK timer fires at once. */
	fx_advance(f, 0);
	fx_drain(f);
	return fx_state(f, f->fd) == 8;
}

bool fx_fin_wait1(struct fx *f)
{
	if (!fx_established(f))
		return false;
	if (synack_shutdown(f->st, f->fd, SHUT_WR) < 0)
		return false;
	fx_drain(f);
	return fx_state(f, f->fd) == 4;
}

bool fx_fin_wait2(struct fx *f)
{
	if (!fx_fin_wait1(f))
		return false;
	fx_send(f, SYNACK_TH_ACK, 0, 0, NULL, 0);
	fx_drain(f);
	return fx_state(f, f->fd) == 5;
}

bool fx_closing(struct fx *f)
{
	if (!fx_fin_wait1(f))
		return false;
	/* The peer's FIN does not acknowledge ours. */
	fx_send(f, SYNACK_TH_FIN | SYNACK_TH_ACK, 0, -1, NULL, 0);
	fx_drain(f);
	return fx_state(f, f->fd) == 11;
}

bool fx_last_ack(struct fx *f)
{
	if (!fx_close_wait(f))
		return false;
	if (synack_shutdown(f->st, f->fd, SHUT_WR) < 0)
		return false;
	fx_drain(f);
	return fx_state(f, f->fd) == 9;
}

bool fx_time_wait(struct fx *f)
{
	if (!fx_fin_wait2(f))
		return false;
	synack_close(f->st, f->fd);
	fx_send(f, SYNACK_TH_FIN | SYNACK_TH_ACK, 0, 0, NULL, 0);
	fx_drain(f);
	f->fd = -1;
	return true;
}

int fx_state(struct fx *f, int fd)
{
	struct synack_tcp_info ti;
	int r = synack_tcp_info(f->st, fd, &ti);
	return r < 0 ? r : ti.state;
}

void fx_ack_sack(struct fx *f, uint32_t ack, int n, const uint32_t *lr)
{
	struct synack_segment s;
	fx_mkseg(f, &s, F_A, 0, (int32_t)(f->iss + ack - f->p_ack), NULL, 0);
	s.opt.n_sack = (uint8_t)n;
	for (int i = 0; i < n; i++) {
		s.opt.sack[i].left = f->iss + lr[2 * i];
		s.opt.sack[i].right = f->iss + lr[2 * i + 1];
	}
	fx_inject(f, &s);
}

uint64_t fx_until_next_us(const struct fx *f)
{
	return synack_next_deadline(f->st) - f->now;
}
