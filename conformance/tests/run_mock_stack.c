/* The mock stack (see run_mock_stack.h). */
#include "run_mock_stack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mock_spec mock_spec;
struct mock_record mock_record;

struct scheduled {
	uint64_t at;
	uint64_t lag; /* handed over at at + lag */
	bool is_call;
	bool build_at_release; /* `at` reactions: reply to the last injected packet */
	struct mock_tmpl t;
	struct stack_call *call;
	uint8_t pkt[256];
	size_t len;
};

struct stack {
	struct stack_config cfg;
	uint64_t now;
	struct scheduled sched[MOCK_MAX * 2];
	int nsched;
	struct stack_event ev[16];
	int nev;
	int next_fd;
};

void mock_reset(void)
{
	memset(&mock_spec, 0, sizeof mock_spec);
	memset(&mock_record, 0, sizeof mock_record);
}

static struct mock_reaction *add(int on_inject, int on_call, int64_t at, uint64_t delay,
                                 struct mock_tmpl t)
{
	struct mock_reaction *r = &mock_spec.r[mock_spec.nr++];
	r->on_inject = on_inject;
	r->on_call = on_call;
	r->at = at;
	r->delay = delay;
	r->t = t;
	return r;
}

struct mock_reaction *mock_on_inject(int n, uint64_t delay, struct mock_tmpl t)
{
	return add(n, -1, -1, delay, t);
}

struct mock_reaction *mock_on_call(int n, uint64_t delay, struct mock_tmpl t)
{
	return add(-1, n, -1, delay, t);
}

struct mock_reaction *mock_at(int64_t at, struct mock_tmpl t)
{
	return add(-1, -1, at, 0, t);
}

void mock_call(int n, long ret, int err, uint64_t pending_us)
{
	mock_spec.calls[n].set = true;
	mock_spec.calls[n].ret = ret;
	mock_spec.calls[n].err = err;
	mock_spec.calls[n].pending_us = pending_us;
}

/* Builds the canned packet; reply_to (an injected packet) gives the tuple. */
static size_t build(struct stack *s, const struct mock_tmpl *t, const uint8_t *reply_to,
                    size_t reply_len, uint8_t *buf, size_t cap)
{
	struct synack_segment seg;
	memset(&seg, 0, sizeof seg);
	struct synack_segment in;
	if (reply_to && synack_seg_parse(reply_to, reply_len, false, &in) == SYNACK_SEG_OK) {
		seg.src = in.dst;
		seg.dst = in.src;
		seg.sport = in.dport;
		seg.dport = in.sport;
	} else {
		seg.src = s->cfg.local_ip;
		seg.dst = s->cfg.remote_ip;
		seg.sport = t->lport ? t->lport : 40000;
		seg.dport = t->rport ? t->rport : 8080;
	}
	static const uint8_t zeros[1500];
	seg.ttl = 64;
	seg.tos = t->tos;
	seg.flags = t->flags;
	seg.seq = t->seq;
	seg.ack = t->ack;
	seg.window = t->win;
	seg.payload = zeros;
	seg.payload_len = t->len;
	if (t->mss) {
		seg.opt.has_mss = true;
		seg.opt.mss = t->mss;
	}
	if (t->ts) {
		seg.opt.has_ts = true;
		seg.opt.ts_val = t->ts_val;
		seg.opt.ts_ecr = t->ts_ecr;
	}
	size_t n = synack_seg_build(&seg, buf, cap);
	if (t->bad_csum && n >= 40) {
		size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
		if ((buf[0] >> 4) == 6)
			ihl = 40;
		buf[ihl + 17] ^= 1; /* the TCP checksum's low byte */
	}
	return n;
}

static void schedule_pkt(struct stack *s, uint64_t at, const struct mock_tmpl *t,
                         const uint8_t *reply_to, size_t reply_len, uint64_t lag)
{
	struct scheduled *x = &s->sched[s->nsched++];
	memset(x, 0, sizeof *x);
	x->at = at;
	x->lag = lag;
	x->len = build(s, t, reply_to, reply_len, x->pkt, sizeof x->pkt);
}

static int mock_start(struct stack **out, const struct stack_config *cfg, struct stack_error *err)
{
	if (mock_spec.fail_start_skip) {
		err->skip = true;
		snprintf(err->msg, sizeof err->msg, "mock cannot run here");
		return -1;
	}
	struct stack *s = calloc(1, sizeof *s);
	s->cfg = *cfg;
	s->next_fd = 3;
	for (int i = 0; i < mock_spec.nr; i++)
		if (mock_spec.r[i].at >= 0) {
			struct scheduled *x = &s->sched[s->nsched++];
			memset(x, 0, sizeof *x);
			x->at = (uint64_t)mock_spec.r[i].at;
			x->build_at_release = true;
			x->t = mock_spec.r[i].t;
		}
	*out = s;
	return 0;
}

static void mock_stop(struct stack *s)
{
	mock_record.stopped = true;
	free(s);
}

static uint64_t mock_now(struct stack *s)
{
	return s->now;
}

/* Releases everything due at s->now, in schedule order. */
static void release(struct stack *s)
{
	for (int i = 0; i < s->nsched;) {
		struct scheduled *x = &s->sched[i];
		if (x->at + x->lag > s->now || s->nev == 16) {
			i++;
			continue;
		}
		struct stack_event *e = &s->ev[s->nev++];
		/* When it happened: a real-time stack reports the send time,
		 * even when the clock has moved on (takes_us). */
		e->time_us = x->at;
		if (x->is_call) {
			e->kind = STACK_EV_CALL_DONE;
			e->call = x->call;
			x->call->done_us = x->at;
		} else {
			e->kind = STACK_EV_PACKET;
			if (x->build_at_release) {
				int n = mock_record.n_injected - 1;
				size_t len = n >= 0 ? mock_record.injected_len[n] : 0;
				x->len = build(s, &x->t, n >= 0 ? mock_record.injected[n] : NULL,
				               len < 128 ? len : 128, x->pkt, sizeof x->pkt);
			}
			memcpy(e->pkt, x->pkt, x->len);
			e->len = x->len;
		}
		memmove(x, x + 1, sizeof *x * (size_t)(s->nsched - i - 1));
		s->nsched--;
	}
}

static int mock_advance(struct stack *s, uint64_t until)
{
	if (mock_spec.hang)
		return 0; /* time never moves: only the wall-clock limit ends this */
	uint64_t next = until;
	for (int i = 0; i < s->nsched; i++)
		if (s->sched[i].at + s->sched[i].lag < next)
			next = s->sched[i].at + s->sched[i].lag;
	if (next > s->now)
		s->now = next;
	release(s);
	return 0;
}

static bool mock_next_event(struct stack *s, struct stack_event *ev)
{
	if (!s->nev)
		return false;
	*ev = s->ev[0];
	memmove(&s->ev[0], &s->ev[1], sizeof s->ev[0] * (size_t)(s->nev - 1));
	s->nev--;
	return true;
}

static int mock_inject(struct stack *s, const uint8_t *pkt, size_t len, struct stack_error *err)
{
	(void)err;
	int n = mock_record.n_injected++;
	if (n < MOCK_MAX) {
		size_t k = len < 128 ? len : 128;
		memcpy(mock_record.injected[n], pkt, k);
		mock_record.injected_len[n] = len;
	}
	for (int i = 0; i < mock_spec.nr; i++)
		if (mock_spec.r[i].on_inject == n)
			schedule_pkt(s, s->now + mock_spec.r[i].delay, &mock_spec.r[i].t, pkt, len,
			             mock_spec.r[i].lag_us);
	s->now += mock_spec.inject_takes_us;
	release(s);
	return 0;
}

static int mock_call_fn(struct stack *s, struct stack_call *c, struct stack_error *err)
{
	int n = mock_record.n_calls++;
	if (n < MOCK_MAX) {
		mock_record.ops[n] = c->op;
		mock_record.fds[n] = c->fd;
		mock_record.call_times[n] = s->now;
		if ((c->op == STACK_BIND || c->op == STACK_CONNECT) && c->in_len >= 2) {
			sa_family_t fam;
			memcpy(&fam, c->in, sizeof fam);
			mock_record.families[n] = fam;
		}
	}
	if (c->op == STACK_EPOLL_WAIT) {
		snprintf(err->msg, sizeof err->msg, "unsupported: epoll_wait on stack mock");
		return -1;
	}
	const struct mock_call_result *r = n < MOCK_MAX ? &mock_spec.calls[n] : NULL;
	c->ret = 0;
	c->err = 0;
	if (c->op == STACK_SOCKET || c->op == STACK_ACCEPT)
		c->ret = s->next_fd++;
	if (c->op == STACK_GETSOCKOPT && c->a[1] == 25) {
		/* TCP_NOTSENT_LOWAT's default: the int -1. */
		int32_t v = -1;
		memcpy(c->out, &v, sizeof v);
		c->out_len = sizeof v;
	}
	if (c->op == STACK_GETSOCKOPT && c->a[1] == 11) {
		c->has_tcp_info = true;
		memset(&c->tcp_info, 0, sizeof c->tcp_info);
		c->tcp_info.state = 1;
		c->tcp_info.snd_cwnd = 10;
	}
	if (r && r->set) {
		c->ret = r->ret;
		c->err = r->err;
	}
	for (int i = 0; i < mock_spec.nr; i++)
		if (mock_spec.r[i].on_call == n)
			schedule_pkt(s, s->now + mock_spec.r[i].delay, &mock_spec.r[i].t, NULL, 0,
			             mock_spec.r[i].lag_us);
	if (r && r->pending_us) {
		struct scheduled *x = &s->sched[s->nsched++];
		memset(x, 0, sizeof *x);
		x->at = s->now + r->pending_us;
		x->is_call = true;
		x->call = c;
		release(s);
		return STACK_CALL_PENDING;
	}
	if (r)
		s->now += r->takes_us;
	c->done_us = s->now;
	release(s);
	return STACK_CALL_DONE;
}

static int mock_command(struct stack *s, const char *cmd, struct stack_error *err)
{
	(void)s;
	int n = mock_record.n_commands++;
	if (n < 8)
		snprintf(mock_record.commands[n], sizeof mock_record.commands[n], "%s", cmd);
	if (strncmp(cmd, "sysctl", 6) != 0) {
		snprintf(err->msg, sizeof err->msg, "unsupported: command `%s` on stack mock", cmd);
		return -1;
	}
	return 0;
}

static const char *mock_notes(struct stack *s)
{
	(void)s;
	return mock_spec.notes ? mock_spec.notes : "";
}

static const char *mock_fault(struct stack *s)
{
	(void)s;
	int n = mock_spec.fault_after_inject;
	return n > 0 && mock_record.n_injected >= n ? "tcb 1 went from CLOSE_WAIT to ESTABLISHED"
	                                            : NULL;
}

const struct stack_ops mock_stack_ops = {
	.name = "mock",
	.start = mock_start,
	.stop = mock_stop,
	.now = mock_now,
	.advance = mock_advance,
	.next_event = mock_next_event,
	.inject = mock_inject,
	.call = mock_call_fn,
	.command = mock_command,
	.notes = mock_notes,
	.fault = mock_fault,
};
