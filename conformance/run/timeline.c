/* The executor's timeline (see run.h): packetdrill's run.c loop, on a
 * stack interface instead of a tun device and wall-clock sleeps.
 *
 * Time only moves through pump(): it asks the stack to advance to a target
 * and collects what the stack reports on the way. Outbound packets go to a
 * queue that outbound expectations consume; a packet still queued when time
 * has to move on is unexpected. Blocking calls' returns are checked the
 * moment they arrive.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "run/build_packet.h"
#include "run/conns.h"
#include "run/match.h"
#include "run/pkt_print.h"
#include "run/run.h"
#include "run/syscalls.h"
#include "run/tcpinfo.h"
#include "run/tolerance.h"

#define MAX_PENDING 16
#define MAX_QUEUED  64

struct queued_pkt {
	uint64_t time_us;
	size_t trace_idx; /* its entry in the trace, rewritten once matched */
	size_t len;
	uint8_t *pkt;
};

struct pending_call {
	struct stack_call *call;
	const struct run_event *ev;
	struct run_window w; /* when it must return */
	bool done;
};

struct exec {
	const struct run_script *s;
	const struct run_event *cur_ev; /* the event being run; NULL before the first */
	const struct run_config *cfg;
	const struct stack_ops *ops;
	struct stack *st;
	struct run_result *res;
	struct stack_event *sev; /* one event buffer (64 KiB) */
	struct run_conns conns;
	struct run_fdmap fds;
	struct run_sockaddrs addrs;
	struct synack_addr local, remote;
	struct queued_pkt q[MAX_QUEUED];
	int nq;
	/* PUMP_FOR_PACKET returns once more than this many packets are
	 * queued: 0, except while joining parts (join_parts) waits for the
	 * next one behind those it has. */
	int pump_more;
	struct pending_call pend[MAX_PENDING];
	int npend;
	int64_t last_script_us; /* the previous event's script time; -1 at start */
	/* Script times as written, without packetdrill's adjustment to when
	 * the previous event really happened: the previous event's and this
	 * one's (-1: unknown, `*`). The TS val check compares them with when
	 * packets were seen. */
	int64_t nominal_us, ev_nominal_us;
	/* When the previous event actually happened on the stack's clock
	 * (script time): an inbound packet or a call when it was issued, an
	 * outbound packet when it was sent, a call waited for when it
	 * returned; -1: use now. Relative times count from it. */
	int64_t happened_us;
	/* How long after that we got to this event (now - happened_us): the
	 * previous event happened somewhere in between, so an expected
	 * event's window reaches this much later too. 0 in virtual time. */
	int64_t base_slack_us;
	bool last_inbound;
	int connect_fd; /* the stack fd of the last connect(): owns the next new SYN */
	/* A connect() whose first SYN has not been matched yet: that SYN is a
	 * new connection even on a 4-tuple used before (packetdrill's new
	 * socket), so it learns the ISN afresh. */
	bool connect_new;
	int cur_fd; /* the socket %{ }% blocks look at */
	struct timespec wall_start;
	bool failed;
	/* run_options.observe: failures are recorded (the first one in
	 * res->fail) but the run goes on to the script's end; `recorded`
	 * says the first one is in. */
	bool observe, recorded;
	/* The stack's clock when the script's time 0 began: after the header
	 * commands, which may take real time on a real stack (packetdrill
	 * also runs init commands before its clock starts). */
	uint64_t t0;
};

static uint64_t to_script(const struct exec *x, uint64_t stack_us)
{
	return stack_us > x->t0 ? stack_us - x->t0 : 0;
}

static uint64_t now_us(struct exec *x)
{
	return to_script(x, x->ops->now(x->st));
}

/* ---- failures and steps --------------------------------------------------- */

static void step(struct exec *x, const struct run_event *ev, bool ok)
{
	struct run_result *r = x->res;
	if (r->n_steps == r->cap_steps) {
		int cap = r->cap_steps ? r->cap_steps * 2 : 32;
		struct run_step *v = realloc(r->steps, sizeof *v * (size_t)cap);
		if (!v)
			return;
		r->steps = v;
		r->cap_steps = cap;
	}
	struct run_step *s = &r->steps[r->n_steps++];
	s->line = ev ? ev->line : 0;
	s->ok = ok;
	snprintf(s->text, sizeof s->text, "%s", ev && ev->text ? ev->text : "end of script");
}

/* Records the first failure; later ones are consequences. */
static struct run_failure *fail(struct exec *x, const struct run_event *ev, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static struct run_failure *fail(struct exec *x, const struct run_event *ev, const char *fmt, ...)
{
	static struct run_failure dummy;
	if (x->failed || x->recorded)
		return &dummy;
	x->recorded = true;
	x->failed = !x->observe;
	struct run_failure *f = &x->res->fail;
	x->res->status = RUN_FAIL;
	snprintf(f->path, sizeof f->path, "%s", x->s->path ? x->s->path : "");
	if (ev) {
		f->line = ev->line;
		f->col = ev->col;
		snprintf(f->source, sizeof f->source, "%s", ev->text ? ev->text : "");
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof f->message, fmt, ap);
	va_end(ap);
	step(x, ev, false);
	return f;
}

static void set_times(struct run_failure *f, const struct run_window *w, int64_t actual)
{
	f->has_times = true;
	f->expected_us = w->expected;
	f->tolerance_us = w->tolerance;
	f->actual_us = actual;
}

static double wall_elapsed(const struct exec *x)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - x->wall_start.tv_sec) +
	       (double)(now.tv_nsec - x->wall_start.tv_nsec) / 1e9;
}

/* ---- the trace -------------------------------------------------------------- */

/* Keeps the trace in time order, so it reads causally on a real-time stack:
 * inbound packets and calls are stamped when issued, returns when they
 * return, outbound packets when the stack sent them, and a packet sent
 * before an event but collected after it goes before it (equal times keep
 * the order they were added in: a cause is added before its response).
 * Moves the last entry back to its place and returns its index; queued
 * packets' trace indices follow. */
static size_t trace_place(struct exec *x)
{
	struct run_trace *t = &x->res->trace;
	if (!t->n)
		return 0;
	size_t idx = t->n - 1, k = idx;
	while (k > 0 && t->v[k - 1].time_us > t->v[idx].time_us)
		k--;
	if (k == idx)
		return idx;
	struct run_obs o = t->v[idx];
	memmove(&t->v[k + 1], &t->v[k], (idx - k) * sizeof o);
	t->v[k] = o;
	for (int i = 0; i < x->nq; i++)
		if (x->q[i].trace_idx >= k && x->q[i].trace_idx < idx)
			x->q[i].trace_idx++;
	return k;
}

/* ---- observed packets ------------------------------------------------------ */

/* A live outbound packet as the script would write it, relative to its
 * connection when known. */
static void describe_live(struct exec *x, const uint8_t *pkt, size_t len, char *buf, size_t cap,
                          int *conn_out)
{
	struct synack_segment seg;
	enum synack_seg_error e = synack_seg_parse(pkt, len, false, &seg);
	if (conn_out)
		*conn_out = -1;
	if (e != SYNACK_SEG_OK) {
		snprintf(buf, cap, "(unparseable packet, %zu bytes: %s)", len,
		         synack_seg_error_name(e));
		return;
	}
	int ci = run_conns_find(&x->conns, &seg.src, seg.sport, &seg.dst, seg.dport);
	struct run_pkt p;
	run_pkt_from_live(&seg, ci >= 0 ? &x->conns.v[ci] : NULL, true, &p);
	char body[480];
	run_pkt_format(&p, body, sizeof body);
	snprintf(buf, cap, "> %s", body);
	if (conn_out)
		*conn_out = ci;
}

static void observe_unexpected(struct exec *x);

static void queue_packet(struct exec *x, uint64_t t, const uint8_t *pkt, size_t len,
                         uint64_t timer_len_us)
{
	char text[512];
	describe_live(x, pkt, len, text, sizeof text, NULL);
	size_t idx = x->res->trace.n;
	struct run_obs *o =
	    run_trace_add(&x->res->trace, RUN_OBS_OUTBOUND, t, 0, pkt, len, "%s", text + 2);
	if (o) {
		o->timer_len_us = timer_len_us;
		idx = trace_place(x);
	}
	if (x->nq == MAX_QUEUED && x->observe)
		observe_unexpected(x);
	if (x->nq == MAX_QUEUED) {
		fail(x, NULL, "more than %d outbound packets nobody expected", MAX_QUEUED);
		return;
	}
	struct queued_pkt *q = &x->q[x->nq++];
	q->time_us = t;
	q->trace_idx = idx;
	q->len = len;
	q->pkt = malloc(len);
	if (q->pkt)
		memcpy(q->pkt, pkt, len);
	else
		q->len = 0;
}

static void dequeue_packet(struct exec *x)
{
	free(x->q[0].pkt);
	memmove(&x->q[0], &x->q[1], sizeof x->q[0] * (size_t)(x->nq - 1));
	x->nq--;
}

/* Observe mode: a packet no expectation took stays in the trace (line 0)
 * and teaches its connection what matching would have: the ISN from a SYN,
 * the TSval offset from the first timestamp, so later inbound packets are
 * still built right. */
static void observe_learn(struct run_conn *c, const struct synack_segment *seg, uint64_t t)
{
	if ((seg->flags & SYNACK_TH_SYN) && !c->isn_known) {
		c->isn_known = true;
		c->local_isn = seg->seq;
	}
	if (seg->opt.has_ts && !c->ts_known) {
		c->ts_known = true;
		c->ts_offset = seg->opt.ts_val;
		c->ts_first_observed_us = c->ts_first_nominal_us = (int64_t)t;
	}
}

static void observe_unexpected(struct exec *x)
{
	while (x->nq) {
		struct synack_segment seg;
		if (synack_seg_parse(x->q[0].pkt, x->q[0].len, false, &seg) == SYNACK_SEG_OK) {
			int ci =
			    run_conns_find(&x->conns, &seg.src, seg.sport, &seg.dst, seg.dport);
			if (ci < 0 && (seg.flags & SYNACK_TH_SYN) && !(seg.flags & SYNACK_TH_ACK)) {
				ci = run_conns_add(&x->conns, &seg.src, seg.sport, &seg.dst,
				                   seg.dport);
				if (ci >= 0)
					x->conns.v[ci].stack_fd = x->connect_fd;
			}
			if (ci >= 0) {
				observe_learn(&x->conns.v[ci], &seg, x->q[0].time_us);
				char act[512];
				describe_live(x, x->q[0].pkt, x->q[0].len, act, sizeof act, NULL);
				if (x->q[0].trace_idx < x->res->trace.n)
					snprintf(x->res->trace.v[x->q[0].trace_idx].text,
					         sizeof x->res->trace.v[0].text, "%.250s", act + 2);
			}
		}
		dequeue_packet(x);
	}
}

static void fail_unexpected(struct exec *x, const struct run_event *ev)
{
	char text[512];
	describe_live(x, x->q[0].pkt, x->q[0].len, text, sizeof text, NULL);
	struct run_failure *f = fail(x, ev, "unexpected outbound packet");
	snprintf(f->actual, sizeof f->actual, "%s", text);
	f->has_times = true;
	f->expected_us = -1;
	f->actual_us = (int64_t)x->q[0].time_us;
	if (ev && ev->text)
		snprintf(f->expected, sizeof f->expected, "(next script event) %s", ev->text);
}

/* A script line without its leading time: "accept(3, ..., ...) = 4". */
static const char *skip_time(const char *line)
{
	const char *p = line + strspn(line, " \t");
	if (*p == '+' || *p == '*' || (*p >= '0' && *p <= '9') || *p == '.') {
		p += strcspn(p, " \t");
		p += strspn(p, " \t");
	}
	return p;
}

/* The expected call in script syntax: the parser's printer when the script
 * came from the parser, else the line without its time. */
static const char *expected_call(const struct run_event *ev)
{
	if (ev->expected_text)
		return ev->expected_text;
	return ev->text ? skip_time(ev->text) : ev->sys.name;
}

/* ---- blocking calls ---------------------------------------------------------- */

/* issued_us: when the call was made (its trace entry's time unless it
 * blocked: then the return's entry is stamped when it returned). */
static void check_call_result(struct exec *x, const struct run_event *ev, struct stack_call *c,
                              const struct run_window *w, bool was_pending, uint64_t issued_us)
{
	char why[320], call[380], res[128];
	run_syscall_call_text(ev->text ? ev->text : ev->sys.name, call, sizeof call);
	run_syscall_observed_text(&ev->sys, c, call, sizeof call);
	run_syscall_result_text(run_syscall_script_ret(&ev->sys, c), c->err, res, sizeof res);
	if (run_trace_add(&x->res->trace, was_pending ? RUN_OBS_RETURN : RUN_OBS_SYSCALL,
	                  was_pending ? c->done_us : issued_us, ev->line, NULL, 0, "%s%s", call,
	                  res))
		trace_place(x);
	if (!run_syscall_check(&ev->sys, c, &x->fds, why, sizeof why)) {
		struct run_failure *f = fail(x, ev, "%s", why);
		snprintf(f->expected, sizeof f->expected, "%s", expected_call(ev));
		snprintf(f->actual, sizeof f->actual, "%s%s", call, res);
		if (!x->observe)
			return;
	}
	if (w && !run_window_contains(w, (int64_t)c->done_us)) {
		struct run_failure *f = fail(x, ev, "timing error: %s returned at %.6f s",
		                             ev->sys.name, (double)c->done_us / 1e6);
		snprintf(f->expected, sizeof f->expected, "%s", expected_call(ev));
		snprintf(f->actual, sizeof f->actual, "%s%s", call, res);
		set_times(f, w, (int64_t)c->done_us);
		if (!x->observe)
			return;
	}
	/* A call that created a connected socket: bind it to its connection
	 * so later packets and %{ }% blocks know which one it is. */
	if (c->op == STACK_ACCEPT && c->ret >= 0 && c->out_len >= 4) {
		const struct sockaddr_in *sin = (const void *)c->out;
		uint16_t rport = ntohs(sin->sin_port);
		/* The newest connection from that port without a socket; else
		 * the newest from it (a new incarnation of a reused 4-tuple). */
		int bound = -1;
		for (int i = x->conns.n - 1; i >= 0 && bound < 0; i--)
			if (x->conns.v[i].rport == rport && x->conns.v[i].stack_fd < 0)
				bound = i;
		for (int i = x->conns.n - 1; i >= 0 && bound < 0; i--)
			if (x->conns.v[i].rport == rport)
				bound = i;
		if (bound >= 0)
			x->conns.v[bound].stack_fd = (int)c->ret;
	}
	/* A connect() that failed at once (EALREADY, EISCONN) sends no new
	 * SYN: a retransmitted one stays with its connection. */
	if (c->op == STACK_CONNECT && c->ret < 0 && c->err != EINPROGRESS)
		x->connect_new = false;
	/* The listener is the socket under test again: the next inbound
	 * packet without ports opens a new connection (packetdrill). */
	if (c->op == STACK_LISTEN && c->ret == 0)
		x->conns.listening = true;
	if (c->ret >= 0 && (c->op == STACK_ACCEPT))
		x->cur_fd = (int)c->ret;
}

static void handle_call_done(struct exec *x, struct stack_call *c)
{
	for (int i = 0; i < x->npend; i++) {
		struct pending_call *p = &x->pend[i];
		if (p->call != c || p->done)
			continue;
		p->done = true;
		c->done_us = to_script(x, c->done_us);
		check_call_result(x, p->ev, c, &p->w, true, c->done_us);
		return;
	}
}

static void reap_pending(struct exec *x)
{
	int j = 0;
	for (int i = 0; i < x->npend; i++) {
		if (x->pend[i].done)
			free(x->pend[i].call);
		else
			x->pend[j++] = x->pend[i];
	}
	x->npend = j;
}

/* ---- moving time ---------------------------------------------------------------- */

/* The stack under test found itself broken (stack_ops.fault): the script
 * fails at the event being run, whatever it expected — even when observing,
 * since nothing the stack does after it means anything. */
static void check_fault(struct exec *x)
{
	const char *why = x->ops->fault ? x->ops->fault(x->st) : NULL;
	if (!why || x->failed)
		return;
	x->recorded = false; /* observing: it replaces a difference seen before */
	fail(x, x->cur_ev, "stack %s broke its own invariant: %s", x->ops->name, why)->stack_fault =
	    true;
	x->failed = true;
}

static void drain(struct exec *x)
{
	check_fault(x);
	while (!x->failed && x->ops->next_event(x->st, x->sev)) {
		if (x->sev->kind == STACK_EV_PACKET)
			queue_packet(x, to_script(x, x->sev->time_us), x->sev->pkt, x->sev->len,
			             x->sev->timer_len_us);
		else
			handle_call_done(x, x->sev->call);
	}
	reap_pending(x);
}

static bool timed_out(struct exec *x, const struct run_event *ev)
{
	if (x->cfg->timeout_s > 0 && wall_elapsed(x) > x->cfg->timeout_s) {
		fail(x, ev, "timeout: the script ran longer than %.0f s of wall time",
		     x->cfg->timeout_s);
		x->failed = true; /* even when observing */
		return true;
	}
	return false;
}

enum pump_mode {
	PUMP_TO,         /* to an inbound/call/command time: queued packets are unexpected */
	PUMP_FOR_PACKET, /* until a packet is queued (or target) */
	PUMP_FOR_CALL,   /* until `wait` returns (or target); packets stay queued */
};

static bool pending(const struct exec *x, const struct stack_call *c)
{
	for (int i = 0; i < x->npend; i++)
		if (x->pend[i].call == c && !x->pend[i].done)
			return true;
	return false;
}

/* Lets time run to `target`, collecting what the stack reports. Fails if
 * time has to move past a queued packet (PUMP_TO) or past the window of a
 * blocking call that has not returned. */
static void pump(struct exec *x, const struct run_event *ev, int64_t target, enum pump_mode mode,
                 const struct stack_call *wait)
{
	drain(x);
	for (;;) {
		if (x->failed || timed_out(x, ev))
			return;
		int64_t now = (int64_t)now_us(x);
		if (mode == PUMP_FOR_PACKET && x->nq > x->pump_more)
			return;
		if (mode == PUMP_FOR_CALL && !pending(x, wait))
			return;
		/* packetdrill mode: queued packets wait for the next `>` line. */
		if (mode == PUMP_TO && x->nq && now < target && !x->cfg->outbound_packetdrill) {
			if (!x->observe) {
				fail_unexpected(x, ev);
				return;
			}
			observe_unexpected(x);
		}
		int64_t limit = target;
		for (int i = 0; i < x->npend; i++) {
			const struct pending_call *p = &x->pend[i];
			if (x->observe && p->w.hi < now)
				continue; /* late: its return is observed whenever it comes */
			if (p->w.hi < now) {
				struct run_failure *f =
				    p->ev->time.blocking
				        ? fail(x, p->ev, "blocking call %s did not return in time",
				               p->ev->sys.name)
				        : fail(x, p->ev,
				               "%s blocked: without `...` it must return at once",
				               p->ev->sys.name);
				snprintf(f->expected, sizeof f->expected, "%s",
				         expected_call(p->ev));
				set_times(f, &p->w, -1);
				return;
			}
			if (p->w.hi + 1 < limit)
				limit = p->w.hi + 1;
		}
		if (now >= target)
			return;
		if (x->ops->advance(x->st, (uint64_t)limit + x->t0) < 0) {
			fail(x, ev, "stack %s: advance failed", x->ops->name);
			x->failed = true;
			return;
		}
		drain(x);
	}
}

/* ---- events -------------------------------------------------------------------- */

/* Why packet b cannot continue packet a in one joined packet, or NULL. */
static const char *part_mismatch(const struct synack_segment *a, const struct synack_segment *b)
{
	const uint8_t loose = SYNACK_TH_PSH | SYNACK_TH_FIN | SYNACK_TH_CWR;
	if (a->src.family != b->src.family || memcmp(&a->src, &b->src, sizeof a->src) != 0 ||
	    memcmp(&a->dst, &b->dst, sizeof a->dst) != 0 || a->sport != b->sport ||
	    a->dport != b->dport)
		return "is on another connection";
	if (b->seq != a->seq + (uint32_t)a->payload_len)
		return "does not continue the sequence";
	if (b->ack != a->ack)
		return "acks something else";
	if (b->window != a->window)
		return "has another window";
	if (b->urg_ptr != a->urg_ptr)
		return "has another urgent pointer";
	if ((a->flags & ~loose) != (b->flags & ~loose) || a->reserved != b->reserved)
		return "has other flags";
	if (a->options_len != b->options_len)
		return "has another option length";
	if (a->ttl != b->ttl)
		return "has another TTL";
	return NULL;
}

/* packetdrill's segment model joins packets (--segments=tso without
 * --strict_segments): unless run with --strict_segments, which the kernel
 * selftests' runner does not pass, packetdrill reads outbound packets until
 * their payload adds up to what the `>` line expects and checks them as one
 * packet (do_outbound_script_packet in its run_packet.c). That is how the
 * kernel's CI sees `> P. 1:10001(10000)` where TCP sends cwnd 10 as TSO skbs
 * of 2 or 5 MSS (tcp_tso_autosize's pacing-rate budget, tcp_cwnd_test's
 * half-cwnd cap). The parts must continue one another (part_mismatch), and
 * each but the last must be as long as the one before, as packetdrill
 * requires. The joined packet has the last part's headers with the first
 * one's seq and CWR, and is seen when the last part was; it replaces the
 * parts at the head of the queue. Waits for parts until `until`. Returns
 * false with why when the parts do not join: q[0] then stays alone and
 * fails the line on its length. */
static bool join_parts(struct exec *x, const struct run_event *ev, int64_t until, char *why,
                       size_t cap)
{
	struct synack_segment first, prev, cur;
	if (!x->cfg->tso_segments || x->cfg->strict_segments || ev->pkt.proto != RUN_PROTO_TCP ||
	    synack_seg_parse(x->q[0].pkt, x->q[0].len, false, &first) != SYNACK_SEG_OK ||
	    first.payload_len >= ev->pkt.len)
		return true;
	size_t want = ev->pkt.len, have = first.payload_len;
	int n = 1;
	prev = first;
	while (have < want) {
		if (x->nq <= n) {
			x->pump_more = n;
			pump(x, ev, until, PUMP_FOR_PACKET, NULL);
			x->pump_more = 0;
			if (x->failed)
				return false;
			if (x->nq <= n) {
				snprintf(why, cap,
				         "%zu of %zu bytes came in %d packets, then no more", have,
				         want, n);
				return false;
			}
		}
		const char *bad = NULL;
		if (synack_seg_parse(x->q[n].pkt, x->q[n].len, false, &cur) != SYNACK_SEG_OK)
			bad = "is unparseable";
		else
			bad = part_mismatch(&prev, &cur);
		if (!bad && cur.payload_len < want - have && cur.payload_len != prev.payload_len)
			bad = "is shorter or longer than the one before";
		if (bad) {
			snprintf(why, cap, "%zu of %zu bytes came in %d packets; the next %s", have,
			         want, n, bad);
			return false;
		}
		have += cur.payload_len;
		prev = cur;
		n++;
	}
	/* More than the line wants is still joined: the length check then
	 * says so, as packetdrill's does. */
	uint8_t *payload = malloc(have);
	size_t cap_pkt = have + 120; /* IPv6 + TCP with options */
	uint8_t *pkt = malloc(cap_pkt);
	size_t at = 0, len = 0;
	if (payload && pkt) {
		for (int i = 0; i < n; i++) {
			if (synack_seg_parse(x->q[i].pkt, x->q[i].len, false, &cur) !=
			    SYNACK_SEG_OK)
				break;
			memcpy(payload + at, cur.payload, cur.payload_len);
			at += cur.payload_len;
		}
		struct synack_segment joined = prev;
		joined.seq = first.seq;
		joined.flags =
		    (uint8_t)((joined.flags & ~SYNACK_TH_CWR) | (first.flags & SYNACK_TH_CWR));
		joined.payload = payload;
		joined.payload_len = have;
		if (at == have)
			len = synack_seg_build(&joined, pkt, cap_pkt);
	}
	free(payload);
	if (!len) {
		free(pkt);
		snprintf(why, cap, "%zu bytes in %d packets could not be joined", have, n);
		return false;
	}
	/* Each part stays in the trace as sent, as this line's. */
	for (int i = 0; i < n; i++) {
		size_t ti = x->q[i].trace_idx;
		if (ti < x->res->trace.n) {
			char act[512];
			describe_live(x, x->q[i].pkt, x->q[i].len, act, sizeof act, NULL);
			snprintf(x->res->trace.v[ti].text, sizeof x->res->trace.v[ti].text,
			         "%.250s", act + 2);
			x->res->trace.v[ti].line = ev->line;
		}
	}
	uint64_t seen = x->q[n - 1].time_us;
	for (int i = 0; i < n; i++)
		free(x->q[i].pkt);
	memmove(&x->q[1], &x->q[n], sizeof x->q[0] * (size_t)(x->nq - n));
	x->nq -= n - 1;
	x->q[0] =
	    (struct queued_pkt){ .time_us = seen, .trace_idx = SIZE_MAX, .len = len, .pkt = pkt };
	return true;
}

static void outbound_event(struct exec *x, const struct run_event *ev, int64_t start, int64_t end)
{
	struct run_window w =
	    run_window_make(x->cfg, start, end, x->last_script_us, ev->time.kind == RUN_TIME_ANY);
	if (!w.any)
		w.hi += x->base_slack_us;
	int64_t hi = w.any ? INT64_MAX : w.hi;
	if (w.any) {
		/* `*`: wait as long as the wall-clock limit allows. */
		hi = (int64_t)now_us(x) + (int64_t)(x->cfg->timeout_s * 1e6);
	}
	pump(x, ev, hi, PUMP_FOR_PACKET, NULL);
	if (x->failed)
		return;
	char exp[480];
	if (ev->expected_text)
		snprintf(exp, sizeof exp, "%s",
		         ev->expected_text + (ev->expected_text[0] == '>' ? 2 : 0));
	else
		run_pkt_format(&ev->pkt, exp, sizeof exp);
	if (!x->nq) {
		/* Say what came instead, if something does within one more
		 * tolerance: "late" reads better than "missing". A real-time
		 * stack can also hand a packet over after its window closed
		 * although it was sent inside it (its timestamp says when):
		 * that one is on time. */
		if (!w.any)
			pump(x, ev, w.hi + w.tolerance, PUMP_FOR_PACKET, NULL);
		if (x->failed)
			return;
		if (!x->nq || !run_window_contains(&w, (int64_t)x->q[0].time_us)) {
			struct run_failure *f = fail(x, ev, "missing outbound packet");
			snprintf(f->expected, sizeof f->expected, "> %s", exp);
			set_times(f, &w, -1);
			if (x->nq) {
				describe_live(x, x->q[0].pkt, x->q[0].len, f->actual,
				              sizeof f->actual, NULL);
				size_t n = strlen(f->actual);
				snprintf(f->actual + n, sizeof f->actual - n, " (too late)");
				f->actual_us = (int64_t)x->q[0].time_us;
			}
			return;
		}
	}
	char joining[200] = "";
	if (!join_parts(x, ev, w.any ? hi : w.hi + w.tolerance, joining, sizeof joining) &&
	    x->failed)
		return;
	struct queued_pkt q = x->q[0];
	struct synack_segment seg;
	/* Every outbound segment's checksums are verified (RFC 9293 MUST-2:
	 * the sender computes the checksum of every segment). */
	enum synack_seg_error e = synack_seg_parse(q.pkt, q.len, true, &seg);
	char why[320] = "";
	int ci = -1;
	if (e == SYNACK_SEG_OK) {
		ci = run_conns_find(&x->conns, &seg.src, seg.sport, &seg.dst, seg.dport);
		bool syn = (seg.flags & SYNACK_TH_SYN) && !(seg.flags & SYNACK_TH_ACK);
		if (syn && (ci < 0 || x->connect_new)) {
			/* Active open: the stack chose the tuple. */
			ci = run_conns_add(&x->conns, &seg.src, seg.sport, &seg.dst, seg.dport);
			if (ci >= 0)
				x->conns.v[ci].stack_fd = x->connect_fd;
			x->connect_new = false;
		}
	}
	bool ok = false;
	if (e == SYNACK_SEG_BAD_CHECKSUM)
		snprintf(
		    why, sizeof why,
		    "checksum: the IPv4 header or TCP checksum does not verify (RFC 9293 MUST-2)");
	else if (e != SYNACK_SEG_OK)
		snprintf(why, sizeof why, "unparseable: %s", synack_seg_error_name(e));
	else if (ci < 0)
		snprintf(why, sizeof why, "packet on a connection the script never opened");
	else if (ev->pkt.has_ports && (seg.sport != ev->pkt.sport || seg.dport != ev->pkt.dport))
		snprintf(why, sizeof why, "ports: expected %u>%u, got %u>%u", ev->pkt.sport,
		         ev->pkt.dport, seg.sport, seg.dport);
	else {
		struct run_match_when when = { .observed_us = (int64_t)q.time_us,
			                       .nominal_us = x->ev_nominal_us,
			                       .script_us = w.expected };
		ok = run_match_outbound(&ev->pkt, &seg, &x->conns.v[ci], x->cfg, &when, why,
		                        sizeof why);
	}
	/* Observing: the packet is this line's whatever it is, and still
	 * teaches its connection what a SYN and a TSval say. */
	if (!ok && x->observe && ci >= 0)
		observe_learn(&x->conns.v[ci], &seg, q.time_us);
	/* Matching may have taught us the ISN: the trace shows the packet as
	 * the script would write it, relative. */
	char act[512];
	describe_live(x, q.pkt, q.len, act, sizeof act, NULL);
	if (q.trace_idx < x->res->trace.n) {
		struct run_obs *o = &x->res->trace.v[q.trace_idx];
		snprintf(o->text, sizeof o->text, "%.250s", act + 2);
		o->line = ev->line;
	}
	if (!ok) {
		struct run_failure *f =
		    joining[0] ? fail(x, ev, "outbound packet: %s (joining: %s)", why, joining)
		               : fail(x, ev, "outbound packet: %s", why);
		snprintf(f->expected, sizeof f->expected, "> %s", exp);
		snprintf(f->actual, sizeof f->actual, "%s", act);
		set_times(f, &w, (int64_t)q.time_us);
		if (!x->observe)
			return;
	}
	if (ci >= 0) {
		x->conns.current = ci;
		/* An active open: its SYN-ACK comes to it, not to a listener. */
		if ((seg.flags & SYNACK_TH_SYN) && !(seg.flags & SYNACK_TH_ACK))
			x->conns.listening = false;
	}
	x->happened_us = (int64_t)q.time_us;
	if (!run_window_contains(&w, (int64_t)q.time_us)) {
		struct run_failure *f =
		    fail(x, ev, "timing error: outbound packet at %.6f s, expected %.6f s",
		         (double)q.time_us / 1e6, (double)w.expected / 1e6);
		snprintf(f->expected, sizeof f->expected, "> %s", exp);
		snprintf(f->actual, sizeof f->actual, "%s", act);
		set_times(f, &w, (int64_t)q.time_us);
		if (!x->observe)
			return;
	}
	dequeue_packet(x);
}

/* Which connection an inbound packet belongs to (conns.h explains why).
 *
 * packetdrill's rule: packets go to the "socket under test", the
 * connection used last; a SYN too (a SYN in ESTABLISHED or TIME-WAIT is
 * sent on that connection's 4-tuple, as RFC 5961 and RFC 6191 scripts
 * need). A new connection, from a new remote port, only when there is
 * none yet or a listen() made the listener the socket under test again;
 * a script that wants another one names it with explicit ports. A SYN
 * that reaches a listener opens a new incarnation even on a 4-tuple used
 * before: packetdrill gives it a new socket, which learns its ISNs and
 * timestamps afresh. *fresh says the connection is new. */
static int inbound_conn(struct exec *x, const struct run_pkt *p, bool *fresh)
{
	struct run_conns *cs = &x->conns;
	bool to_listener = cs->listening || cs->current < 0;
	bool syn = (p->flags & SYNACK_TH_SYN) && !(p->flags & SYNACK_TH_ACK);
	*fresh = false;
	if (p->has_ports) {
		/* The script named the connection: no guessing. */
		int ci = run_conns_find(cs, &x->local, p->dport, &x->remote, p->sport);
		if (ci < 0 || (to_listener && syn)) {
			ci = run_conns_add(cs, &x->local, p->dport, &x->remote, p->sport);
			*fresh = true;
		}
		cs->current = ci;
		cs->listening = false;
		return ci;
	}
	if (!to_listener)
		return cs->current;
	cs->listening = false;
	uint16_t lport = x->cfg->bind_port;
	*fresh = true;
	return run_conns_add(cs, &x->local, lport, &x->remote, run_conns_new_rport(cs));
}

static void inbound_event(struct exec *x, const struct run_event *ev)
{
	bool fresh;
	int ci = inbound_conn(x, &ev->pkt, &fresh);
	if (ci < 0) {
		fail(x, ev, "more than %d connections", RUN_MAX_CONNS);
		return;
	}
	struct run_conn *c = &x->conns.v[ci];
	/* The SYN that opens a passive connection fixes the peer's ISN: later
	 * packets number from it (packetdrill's remote_isn). */
	if (fresh && (ev->pkt.flags & SYNACK_TH_SYN))
		c->remote_isn = ev->pkt.seq;
	uint8_t buf[65536 + 128];
	char why[160];
	size_t len = run_build_inbound(&ev->pkt, c, buf, sizeof buf, why, sizeof why);
	if (!len) {
		fail(x, ev, "cannot build packet: %s", why);
		return;
	}
	char text[480];
	if (ev->expected_text)
		snprintf(text, sizeof text, "%s",
		         ev->expected_text + (ev->expected_text[0] == '<' ? 2 : 0));
	else
		run_pkt_format(&ev->pkt, text, sizeof text);
	/* Stamped when injected, before the stack can answer. */
	x->happened_us = (int64_t)now_us(x);
	if (run_trace_add(&x->res->trace, RUN_OBS_INBOUND, (uint64_t)x->happened_us, ev->line, buf,
	                  len, "%s", text))
		trace_place(x);
	struct stack_error err = { 0 };
	if (x->ops->inject(x->st, buf, len, &err) < 0)
		fail(x, ev, "%s", err.msg[0] ? err.msg : "inject failed");
}

/* packetdrill runs calls on one syscall thread: a call made while another
 * is blocked waits for it to return. Without this a call right after the
 * packet that unblocks another races it on a real kernel (getsockopt
 * (SO_ERROR) could take the error a blocked connect() is about to return). */
static void await_blocked_calls(struct exec *x, const struct run_event *ev)
{
	while (!x->failed && x->npend) {
		const struct pending_call *p = &x->pend[0];
		pump(x, ev, p->w.hi + 1, PUMP_FOR_CALL, p->call);
	}
}

static void syscall_event(struct exec *x, const struct run_event *ev, int64_t start, int64_t end)
{
	await_blocked_calls(x, ev);
	if (x->failed)
		return;
	struct stack_call *c = calloc(1, sizeof *c);
	if (!c) {
		fail(x, ev, "out of memory");
		return;
	}
	char why[320];
	if (run_syscall_prepare(&ev->sys, &x->fds, &x->addrs, c, why, sizeof why) < 0) {
		free(c);
		fail(x, ev, "%s", why);
		return;
	}
	c->may_block = ev->time.blocking;
	if (c->op == STACK_CONNECT) {
		x->connect_fd = c->fd;
		x->connect_new = true;
	}
	if (c->fd >= 0 && c->op != STACK_SOCKET && c->op != STACK_POLL &&
	    c->op != STACK_EPOLL_CREATE) {
		int ci = run_conns_by_fd(&x->conns, c->fd);
		if (ci >= 0) {
			x->conns.current = ci;
			x->conns.listening = false;
		}
		x->cur_fd = c->fd;
	}
	struct stack_error err = { 0 };
	uint64_t issued = now_us(x);
	x->happened_us = (int64_t)issued;
	int st = x->ops->call(x->st, c, &err);
	if (st < 0) {
		free(c);
		fail(x, ev, "%s", err.msg[0] ? err.msg : "call failed");
		return;
	}
	if (st == STACK_CALL_DONE) {
		/* A call the script marked blocking must still return at its
		 * end time. One that did not block is not timed: how long a
		 * real kernel takes to run it is not the script's business
		 * (packetdrill times only blocking calls' returns). */
		struct run_window w = run_window_make(x->cfg, end, end, x->last_script_us, false);
		w.hi += x->base_slack_us;
		c->done_us = now_us(x);
		check_call_result(x, ev, c, ev->time.blocking ? &w : NULL, false, issued);
		free(c);
		return;
	}
	/* Pending. Not marked blocking: it must return within the tolerance
	 * (packetdrill's rule for calls without `...`). */
	if (x->npend == MAX_PENDING) {
		free(c);
		fail(x, ev, "more than %d blocking calls at once", MAX_PENDING);
		return;
	}
	struct pending_call *p = &x->pend[x->npend++];
	p->call = c;
	p->ev = ev;
	p->done = false;
	p->w = run_window_make(x->cfg, ev->time.blocking ? end : start,
	                       ev->time.blocking ? end : start, x->last_script_us, false);
	p->w.hi += x->base_slack_us;
	if (run_trace_add(&x->res->trace, RUN_OBS_SYSCALL, issued, ev->line, NULL, 0,
	                  "%s (blocked)", ev->sys.name))
		trace_place(x);
	if (!ev->time.blocking) {
		/* Wait for it now; packets meanwhile are queued for the next
		 * outbound expectations. */
		pump(x, ev, p->w.hi + 1, PUMP_FOR_CALL, c);
		x->happened_us = -1; /* it returned (or failed): from now */
	}
}

static void code_event(struct exec *x, const struct run_event *ev)
{
	struct stack_call *c = calloc(1, sizeof *c);
	if (!c) {
		fail(x, ev, "out of memory");
		return;
	}
	c->op = STACK_GETSOCKOPT;
	c->fd = x->cur_fd;
	c->a[0] = IPPROTO_TCP;
	c->a[1] = 11; /* TCP_INFO */
	c->out_cap = 256;
	struct stack_error err = { 0 };
	uint64_t issued = now_us(x);
	x->happened_us = (int64_t)issued;
	int st = x->ops->call(x->st, c, &err);
	char why[320];
	if (st != STACK_CALL_DONE || c->ret < 0 || !c->has_tcp_info) {
		fail(x, ev, "unsupported: python block: no TCP_INFO for fd %d on stack %s",
		     x->cur_fd, x->ops->name);
		free(c);
		return;
	}
	int r = run_tcpinfo_assert(ev->command ? ev->command : "", &c->tcp_info, why, sizeof why);
	free(c);
	if (run_trace_add(&x->res->trace, RUN_OBS_COMMAND, issued, ev->line, NULL, 0,
	                  "%%{ ... }%% %s", r == 0 ? "held" : "failed"))
		trace_place(x);
	if (r != 0)
		fail(x, ev, "%s", why);
}

static void command_event(struct exec *x, const struct run_event *ev, const char *cmd)
{
	struct stack_error err = { 0 };
	x->happened_us = (int64_t)now_us(x);
	run_trace_add(&x->res->trace, RUN_OBS_COMMAND, (uint64_t)x->happened_us, ev ? ev->line : 0,
	              NULL, 0, "`%s`", cmd);
	if (x->ops->command(x->st, cmd, &err) < 0) {
		if (err.skip && !x->failed) {
			/* The host cannot give this stack what the script needs
			 * (a sysctl it may not set here): a SKIP with the reason,
			 * as when the stack cannot run at all. */
			x->res->status = RUN_SKIP;
			snprintf(x->res->skip_reason, sizeof x->res->skip_reason, "%s", err.msg);
			x->failed = true; /* no further events */
			return;
		}
		fail(x, ev, "%s", err.msg[0] ? err.msg : "command failed");
	}
}

/* packetdrill's adjust_relative_event_times(): relative times count from
 * when the previous event actually happened, except back-to-back inbound
 * packets, which count from the previous one's script time so processing
 * overhead does not accumulate. packetdrill takes "now" when it gets to the
 * next event; on a real-time stack an injection or a call can take
 * milliseconds on a loaded machine while the stack answers at once, so we
 * take when the previous one was issued (the answer's cause), or when the
 * previous outbound packet was sent. The same in virtual time. */
static int64_t event_base(struct exec *x, const struct run_event *ev)
{
	bool inbound = ev->kind == RUN_EV_PACKET && !ev->pkt.outbound;
	if (x->last_inbound && inbound && x->last_script_us >= 0)
		return x->last_script_us;
	int64_t now = (int64_t)now_us(x);
	if (x->happened_us < 0 || x->happened_us > now)
		return now;
	x->base_slack_us = now - x->happened_us;
	return x->happened_us;
}

static int64_t nominal_time(const struct exec *x, const struct run_event *ev)
{
	switch (ev->time.kind) {
	case RUN_TIME_ABS:
		return ev->time.start_us;
	case RUN_TIME_REL:
		return x->nominal_us + ev->time.start_us;
	default:
		return -1;
	}
}

static void run_event(struct exec *x, const struct run_event *ev)
{
	x->cur_ev = ev;
	x->ev_nominal_us = nominal_time(x, ev);
	x->base_slack_us = 0;
	int64_t base = ev->time.kind == RUN_TIME_ABS ? 0 : event_base(x, ev);
	int64_t start = ev->time.kind == RUN_TIME_ANY ? base : base + ev->time.start_us;
	int64_t end = (ev->time.range || ev->time.blocking) ? base + ev->time.end_us : start;
	bool outbound = ev->kind == RUN_EV_PACKET && ev->pkt.outbound;

	if (ev->kind == RUN_EV_UNSUPPORTED) {
		fail(x, ev, "unsupported: %s", ev->unsupported ? ev->unsupported : "construct");
		return;
	}
	if (outbound) {
		outbound_event(x, ev, start, end);
	} else {
		pump(x, ev, start, PUMP_TO, NULL);
		if (x->failed)
			return;
		switch (ev->kind) {
		case RUN_EV_PACKET:
			inbound_event(x, ev);
			break;
		case RUN_EV_SYSCALL:
			syscall_event(x, ev, start, end);
			break;
		case RUN_EV_COMMAND:
			command_event(x, ev, ev->command ? ev->command : "");
			break;
		case RUN_EV_CODE:
			code_event(x, ev);
			break;
		case RUN_EV_UNSUPPORTED:
			break;
		}
		drain(x);
	}
	if (!x->failed)
		step(x, ev, true);
	x->last_script_us = start;
	/* After `*`, relative times count from when it happened. */
	x->nominal_us = x->ev_nominal_us >= 0 ? x->ev_nominal_us : (int64_t)now_us(x);
	x->last_inbound = ev->kind == RUN_EV_PACKET && !ev->pkt.outbound;
}

/* End of script: blocking calls may still return (inside their windows);
 * nothing else may happen. packetdrill does not wait for more packets at
 * the end, and neither do we. */
static void finish(struct exec *x)
{
	/* The script's last moment: what a real-time stack sends after it is
	 * not the script's business (it may still be on its way when we look). */
	uint64_t end = now_us(x);
	while (!x->failed && x->npend) {
		int64_t hi = x->pend[0].w.hi;
		for (int i = 1; i < x->npend; i++)
			if (x->pend[i].w.hi > hi)
				hi = x->pend[i].w.hi;
		/* Observing, a call that returns late (a real stack's connect
		 * refused just after the RST the script's last line injected)
		 * is still seen within one tolerance of the end. */
		if (x->observe && (int64_t)end + x->cfg->tolerance_usecs > hi)
			hi = (int64_t)end + x->cfg->tolerance_usecs;
		pump(x, x->pend[0].ev, hi + 1, PUMP_TO, NULL);
		if (x->observe)
			break; /* calls still blocked stay so */
	}
	drain(x);
	if (x->npend == 0)
		while (x->nq && x->q[x->nq - 1].time_us > end)
			x->nq--, free(x->q[x->nq].pkt);
	if (x->observe || x->cfg->outbound_packetdrill)
		observe_unexpected(x); /* in the trace; packetdrill never reads them */
	else if (!x->failed && x->nq)
		fail_unexpected(x, NULL);
}

/* ---- setup ---------------------------------------------------------------------- */

void run_execute(const struct run_script *s, const struct stack_ops *ops, const char *profile,
                 struct run_result *res)
{
	run_execute_opts(s, ops, profile, NULL, res);
}

void run_execute_opts(const struct run_script *s, const struct stack_ops *ops, const char *profile,
                      const struct run_options *opts, struct run_result *res)
{
	memset(res, 0, sizeof *res);
	run_trace_init(&res->trace);
	struct exec *x = calloc(1, sizeof *x);
	struct stack_event *sev = malloc(sizeof *sev);
	if (!x || !sev) {
		free(x);
		free(sev);
		res->status = RUN_FAIL;
		snprintf(res->fail.path, sizeof res->fail.path, "%s", s->path ? s->path : "");
		snprintf(res->fail.message, sizeof res->fail.message, "out of memory");
		return;
	}
	x->s = s;
	x->cfg = &s->cfg;
	x->ops = ops;
	x->res = res;
	x->sev = sev;
	x->last_script_us = -1;
	x->happened_us = -1;
	x->connect_fd = -1;
	x->cur_fd = -1;
	x->observe = opts && opts->observe;
	run_conns_init(&x->conns);
	clock_gettime(CLOCK_MONOTONIC, &x->wall_start);
	res->status = RUN_PASS;

	struct stack_config scfg;
	char why[256];
	struct stack_error err = { 0 };
	if (run_stack_config(&s->cfg, profile, &scfg, why, sizeof why) < 0) {
		fail(x, NULL, "%s", why);
	} else if (ops->start(&x->st, &scfg, &err) < 0) {
		if (err.skip) {
			res->status = RUN_SKIP;
			snprintf(res->skip_reason, sizeof res->skip_reason, "%s", err.msg);
		} else if (strncmp(err.msg, "unsupported:", 12) == 0) {
			fail(x, NULL, "%s", err.msg); /* --unsupported=skip applies */
		} else {
			fail(x, NULL, "stack %s: %s", ops->name, err.msg);
		}
		x->st = NULL;
	}
	if (x->st) {
		x->local = scfg.local_ip;
		x->remote = scfg.remote_ip;
		run_sockaddrs_make(&s->cfg, &x->local, &x->remote, &x->addrs);
		for (int i = 0; i < s->n_commands && !x->failed; i++)
			command_event(x, NULL, s->commands[i]);
		x->t0 = ops->now(x->st);
		/* Header commands ran before the script's time 0: they are at 0. */
		for (size_t i = 0; i < res->trace.n; i++)
			res->trace.v[i].time_us = 0;
		x->happened_us = -1;
		for (int i = 0; i < s->n_events && !x->failed; i++)
			run_event(x, &s->events[i]);
		if (!x->failed)
			finish(x);
		if (s->cleanup) {
			/* Always, like packetdrill; its failure only matters to a
			 * run that had not failed already. */
			bool failed = x->failed;
			struct stack_error cerr = { 0 };
			run_trace_add(&res->trace, RUN_OBS_COMMAND, now_us(x), 0, NULL, 0, "`%s`",
			              s->cleanup);
			if (ops->command(x->st, s->cleanup, &cerr) < 0 && !failed &&
			    res->status != RUN_SKIP)
				fail(x, NULL, "%s (cleanup command)", cerr.msg);
		}
		res->end_us = now_us(x);
		for (int i = 0; i < x->npend; i++)
			x->pend[i].done = true;
		if (ops->notes) {
			const char *n = ops->notes(x->st);
			snprintf(res->notes, sizeof res->notes, "%s", n ? n : "");
		}
		/* Stop before freeing pending calls: a stack may still hold them. */
		ops->stop(x->st);
		reap_pending(x);
	}
	while (x->nq)
		dequeue_packet(x);
	res->wall_s = wall_elapsed(x);
	free(sev);
	free(x);
}

void run_result_free(struct run_result *res)
{
	run_trace_free(&res->trace);
	free(res->steps);
	res->steps = NULL;
	res->n_steps = res->cap_steps = 0;
}
