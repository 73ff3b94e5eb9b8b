/* compare: normalisation, alignment and each difference class, on
 * hand-built observed traces (no stack runs here). */
#include <stdio.h>
#include <string.h>

#include "compare/compare.h"
#include "compare_support.h"
#include "run/script.h"
#include "synack/segment.h"
#include "tap.h"

#define S SYNACK_TH_SYN
#define A SYNACK_TH_ACK
#define P SYNACK_TH_PSH
#define R SYNACK_TH_RST
#define F SYNACK_TH_FIN

/* How one run differs from the reference passive open. */
struct tweak {
	uint32_t isn;
	uint16_t port;
	uint32_t ts0;
	uint16_t win;  /* SYN-ACK window */
	uint8_t flags; /* SYN-ACK flags */
	uint16_t mss;  /* SYN-ACK MSS */
	uint32_t seq;  /* data segment's relative seq */
	uint16_t len;  /* data length */
	uint64_t t_data;
	uint64_t drift; /* a real stack's latency on every event */
	bool no_data;   /* the data segment never comes */
	bool extra_rst; /* an RST nobody asked for at the end */
	const char *accept_text;
	int accept_fd;
};

static struct tweak ref(void)
{
	return (struct tweak){ .isn = 1000,
		               .port = 40000,
		               .ts0 = 7,
		               .win = 64240,
		               .flags = S | A,
		               .mss = 1460,
		               .seq = 1,
		               .len = 10,
		               .t_data = 100000,
		               .accept_fd = 4 };
}

static void build(struct run_trace *t, const struct tweak *w)
{
	run_trace_init(t);
	uint64_t d = w->drift;
	cs_add_text(t, RUN_OBS_SYSCALL, 0 + d, 4, "listen(3, 1) = 0");
	cs_add_pkt(t, &(struct cs_pkt){ .t = 0 + d,
	                                .line = 5,
	                                .flags = S,
	                                .seq = 0,
	                                .win = 65535,
	                                .mss = 1460,
	                                .peer_port = w->port });
	cs_add_pkt(t, &(struct cs_pkt){ .outbound = true,
	                                .t = 0 + d,
	                                .line = 6,
	                                .flags = w->flags,
	                                .seq = w->isn,
	                                .ack = 1,
	                                .win = w->win,
	                                .mss = w->mss,
	                                .ts_val = w->ts0,
	                                .ts_ecr = 0,
	                                .peer_port = w->port });
	cs_add_pkt(t, &(struct cs_pkt){ .t = 100000 + d,
	                                .line = 7,
	                                .flags = A,
	                                .seq = 1,
	                                .ack = w->isn + 1,
	                                .win = 257,
	                                .peer_port = w->port });
	char acc[64];
	snprintf(acc, sizeof acc, "accept(3, ..., ...) = %d", w->accept_fd);
	cs_add_text(t, RUN_OBS_SYSCALL, 100000 + d, 8, w->accept_text ? w->accept_text : acc);
	cs_add_text(t, RUN_OBS_SYSCALL, 100000 + d, 9, "write(4, ..., 10) = 10");
	if (!w->no_data)
		cs_add_pkt(t, &(struct cs_pkt){ .outbound = true,
		                                .t = w->t_data + d,
		                                .line = 10,
		                                .flags = P | A,
		                                .seq = w->isn + w->seq,
		                                .ack = 1,
		                                .win = 502,
		                                .len = w->len,
		                                .ts_val = w->ts0 + 100,
		                                .ts_ecr = 0,
		                                .peer_port = w->port });
	cs_add_pkt(t, &(struct cs_pkt){ .t = 200000 + d,
	                                .line = 11,
	                                .flags = A,
	                                .seq = 1,
	                                .ack = w->isn + 11,
	                                .win = 257,
	                                .peer_port = w->port });
	if (w->extra_rst)
		cs_add_pkt(t, &(struct cs_pkt){ .outbound = true,
		                                .t = 300000 + d,
		                                .line = 0,
		                                .flags = R,
		                                .seq = w->isn + 11,
		                                .win = 0,
		                                .peer_port = w->port });
}

/* Compares ref() with `b`; returns the classes, and the result in *out. */
static unsigned diff(const struct tweak *b, unsigned ignore, struct cmp_result *out)
{
	struct tweak a = ref();
	struct run_trace ra, rb;
	build(&ra, &a);
	build(&rb, b);
	struct cmp_trace ta, tb;
	cmp_normalise(&ra, &ta);
	cmp_normalise(&rb, &tb);
	struct cmp_opts o = { .ignore = ignore, .tolerance_us = 4000, .tolerance_percent = 12.5 };
	cmp_align(&ta, &tb, &o, out);
	unsigned c = out->classes;
	cmp_trace_free(&ta);
	cmp_trace_free(&tb);
	run_trace_free(&ra);
	run_trace_free(&rb);
	return c;
}

static void check(const char *what, struct tweak b, unsigned want)
{
	struct cmp_result r;
	unsigned got = diff(&b, 0, &r);
	char g[160], w[160];
	cmp_class_list(got, g, sizeof g);
	cmp_class_list(want, w, sizeof w);
	is_str(g, w, "%s", what);
	cmp_result_free(&r);
}

static void test_classes(void)
{
	struct tweak b = ref();
	b.isn = 0xfffffff0;
	b.port = 51234;
	b.ts0 = 123456789;
	check("another ISN, ephemeral port and TS clock: no difference", b, 0);

	b = ref();
	b.drift = 9000;
	check("a stack that runs 9 ms behind on every event: no timing difference", b, 0);

	b = ref();
	b.flags = R | A;
	/* No SYN to learn the ISN from: its first segment counts as seq 1. */
	check("RST instead of SYN-ACK: flags (and what an RST lacks)", b,
	      CMP_BIT(CMP_FLAGS) | CMP_BIT(CMP_SEQACK) | CMP_BIT(CMP_OPTIONS));

	b = ref();
	b.seq = 2;
	check("data one byte off: seq/ack", b, CMP_BIT(CMP_SEQACK));

	b = ref();
	b.len = 20;
	check("twenty bytes, not ten: payload", b, CMP_BIT(CMP_PAYLOAD));

	b = ref();
	b.win = 65535;
	check("another SYN-ACK window: window", b, CMP_BIT(CMP_WINDOW));

	b = ref();
	b.mss = 1400;
	check("another MSS: options", b, CMP_BIT(CMP_OPTIONS));

	b = ref();
	b.t_data = 150000;
	check("data 50 ms late: timing", b, CMP_BIT(CMP_TIMING));

	b = ref();
	b.t_data = 103000;
	check("data 3 ms late, inside 4 ms: no difference", b, 0);

	b = ref();
	b.no_data = true;
	check("no data segment: missing", b, CMP_BIT(CMP_MISSING));

	b = ref();
	b.extra_rst = true;
	check("an RST at the end: extra", b, CMP_BIT(CMP_EXTRA));

	b = ref();
	b.accept_text = "accept(3, ..., ...) = -1 EAGAIN (Resource temporarily unavailable)";
	check("accept fails: syscall", b, CMP_BIT(CMP_SYSCALL));

	b = ref();
	b.accept_fd = 7;
	check("accept returns another descriptor number: no difference", b, 0);
}

static void test_rows_and_ignore(void)
{
	struct tweak b = ref();
	b.win = 65535;
	b.t_data = 150000;
	struct cmp_result r;
	unsigned c = diff(&b, CMP_BIT(CMP_WINDOW), &r);
	is_int(c, CMP_BIT(CMP_TIMING), "--ignore window leaves timing only");
	is_int(r.counts[CMP_WINDOW], 0, "window not counted");
	is_int(r.n_diff_rows, 1, "one row differs");
	cmp_result_free(&r);

	b = ref();
	b.extra_rst = true;
	diff(&b, 0, &r);
	is_int((int)r.n, 9, "nine rows: eight paired, one extra");
	ok(r.rows[r.n - 1].a == -1 && r.rows[r.n - 1].b == 8, "the extra RST is B's last event");
	cmp_result_free(&r);

	b = ref();
	b.no_data = true;
	diff(&b, 0, &r);
	bool found = false;
	for (size_t i = 0; i < r.n; i++)
		if (r.rows[i].b == -1 && r.rows[i].a == 6)
			found = r.rows[i].diff == CMP_BIT(CMP_MISSING);
	ok(found, "the missing data segment is A's event 6, alone on its row");
	cmp_result_free(&r);
}

static void test_normalised_text(void)
{
	struct tweak a = ref();
	a.isn = 0xfffffffe; /* wraps */
	struct run_trace t;
	build(&t, &a);
	struct cmp_trace n;
	cmp_normalise(&t, &n);
	is_str(n.v[2].text, "> S. 0:0(0) ack 1 win 64240 <mss 1460,nop,nop,TS val +0 ecr 0>",
	       "SYN-ACK relative to its ISN, TS val relative");
	is_str(n.v[3].text, "< . 1:1(0) ack 1 win 257", "inbound ack relative to the stack's ISN");
	is_str(n.v[6].text, "> P. 1:11(10) ack 1 win 502 <nop,nop,TS val +100 ecr 0>",
	       "data across the sequence wrap");
	is_str(n.v[2].opts, "mss 1460,nop,nop,TS ecr 0", "TS val is not compared");
	cmp_trace_free(&n);
	run_trace_free(&t);
}

/* An inbound SACK block names the stack's bytes: relative to its ISN like
 * the ack, so two stacks with different ISNs agree (sack/dsack-undo.pkt
 * once differed in every inbound SACK). An outbound block names the
 * peer's, the script's own numbers. */
static void test_sack_relative(void)
{
	struct run_trace t[2];
	struct cmp_trace n[2];
	const uint32_t isn[2] = { 1000, 4000000000u };
	for (int k = 0; k < 2; k++) {
		run_trace_init(&t[k]);
		cs_add_pkt(&t[k], &(struct cs_pkt){ .line = 5, .flags = S, .win = 65535 });
		cs_add_pkt(&t[k], &(struct cs_pkt){ .outbound = true,
		                                    .line = 6,
		                                    .flags = S | A,
		                                    .seq = isn[k],
		                                    .ack = 1,
		                                    .win = 64240 });
		cs_add_pkt(&t[k], &(struct cs_pkt){ .line = 7,
		                                    .flags = A,
		                                    .seq = 1,
		                                    .ack = isn[k] + 1,
		                                    .win = 257,
		                                    .sack = { isn[k] + 1461, isn[k] + 2921 } });
		cs_add_pkt(&t[k], &(struct cs_pkt){ .outbound = true,
		                                    .flags = A,
		                                    .seq = isn[k] + 1,
		                                    .ack = 1,
		                                    .win = 502,
		                                    .sack = { 101, 201 } });
		cmp_normalise(&t[k], &n[k]);
	}
	is_str(n[1].v[2].text, "< . 1:1(0) ack 1 win 257 <nop,nop,sack 1461:2921>",
	       "inbound: the block relative to the stack's ISN");
	is_str(n[1].v[3].text, "> . 1:1(0) ack 1 win 502 <nop,nop,sack 101:201>",
	       "outbound: the peer's numbers as they are");
	struct cmp_opts o = { .tolerance_us = 4000 };
	struct cmp_result r;
	cmp_align(&n[0], &n[1], &o, &r);
	is_int(r.n_diff_rows, 0, "two ISNs, the same trace");
	cmp_result_free(&r);
	for (int k = 0; k < 2; k++) {
		cmp_trace_free(&n[k]);
		run_trace_free(&t[k]);
	}
}

/* A real stack's packet captured after a later inbound packet goes back
 * before it; never before a call that may have caused it. */
static void test_capture_order(void)
{
	struct run_trace ra, rb;
	run_trace_init(&ra);
	run_trace_init(&rb);
	cs_add_text(&ra, RUN_OBS_SYSCALL, 100000, 14, "shutdown(4, SHUT_WR) = 0");
	cs_add_pkt(
	    &ra,
	    &(struct cs_pkt){
	        .outbound = true, .t = 100000, .flags = F | A, .seq = 1, .ack = 1, .win = 502 });
	cs_add_pkt(&ra, &(struct cs_pkt){
	                    .t = 100000, .line = 15, .flags = A, .seq = 1, .ack = 2, .win = 64 });
	/* B: the FIN (sent at 0.1003) was queued after the ACK injected at 0.1010,
	 * and the call's time (when it returned) is after the FIN's. */
	cs_add_text(&rb, RUN_OBS_SYSCALL, 100500, 14, "shutdown(4, SHUT_WR) = 0");
	cs_add_pkt(&rb, &(struct cs_pkt){
	                    .t = 101000, .line = 15, .flags = A, .seq = 1, .ack = 2, .win = 64 });
	cs_add_pkt(
	    &rb,
	    &(struct cs_pkt){
	        .outbound = true, .t = 100300, .flags = F | A, .seq = 1, .ack = 1, .win = 502 });
	struct cmp_trace ta, tb;
	cmp_normalise(&ra, &ta);
	cmp_normalise(&rb, &tb);
	ok(tb.v[1].kind == RUN_OBS_OUTBOUND && tb.v[0].kind == RUN_OBS_SYSCALL,
	   "the FIN goes back before the inbound ACK, not before the call");
	struct cmp_opts o = { .tolerance_us = 4000 };
	struct cmp_result r;
	cmp_align(&ta, &tb, &o, &r);
	is_int(r.n_diff_rows, 0, "so the traces agree");
	cmp_result_free(&r);
	cmp_trace_free(&ta);
	cmp_trace_free(&tb);
	run_trace_free(&ra);
	run_trace_free(&rb);
}

/* B sends its ACK of the peer's FIN only after the script's next inbound
 * packet (Linux's delayed ACK in CLOSE-WAIT): the ACK is what moved, so it
 * is the ACK that is missing here and extra there, never the script's own
 * packet (corpora/divergences once had "extra: < . 2:2(0)" for this). */
static void test_script_events_anchor(void)
{
	struct run_trace ra, rb;
	run_trace_init(&ra);
	run_trace_init(&rb);
	const struct cs_pkt fin = {
		.t = 100000, .line = 14, .flags = F | A, .seq = 1, .ack = 1, .win = 0
	};
	const struct cs_pkt ack = {
		.outbound = true, .t = 100000, .flags = A, .seq = 1, .ack = 2, .win = 502
	};
	const struct cs_pkt next = {
		.t = 100000, .line = 15, .flags = A, .seq = 2, .ack = 1, .win = 0
	};
	cs_add_pkt(&ra, &fin);
	cs_add_pkt(&ra, &ack);
	cs_add_pkt(&ra, &next);
	cs_add_text(&ra, RUN_OBS_SYSCALL, 100000, 16, "close(4) = 0");
	struct cs_pkt fin_b = fin, next_b = next, ack_b = ack;
	fin_b.t = 101000;
	next_b.t = 101050;
	ack_b.t = 101080; /* sent after `next` came in */
	cs_add_pkt(&rb, &fin_b);
	cs_add_pkt(&rb, &next_b);
	cs_add_pkt(&rb, &ack_b);
	cs_add_text(&rb, RUN_OBS_SYSCALL, 101100, 16, "close(4) = 0");
	struct cmp_trace ta, tb;
	cmp_normalise(&ra, &ta);
	cmp_normalise(&rb, &tb);
	struct cmp_opts o = { .tolerance_us = 4000 };
	struct cmp_result r;
	cmp_align(&ta, &tb, &o, &r);
	int script_unpaired = 0, ack_missing = 0, ack_extra = 0;
	for (size_t i = 0; i < r.n; i++) {
		const struct cmp_row *row = &r.rows[i];
		const struct cmp_event *e = row->a >= 0 ? &ta.v[row->a] : &tb.v[row->b];
		if ((row->a < 0 || row->b < 0) && e->kind != RUN_OBS_OUTBOUND)
			script_unpaired++;
		ack_missing += row->b < 0 && e->kind == RUN_OBS_OUTBOUND;
		ack_extra += row->a < 0 && e->kind == RUN_OBS_OUTBOUND;
	}
	is_int(script_unpaired, 0, "every event the script made is paired");
	ok(ack_missing == 1 && ack_extra == 1, "the ACK is missing before line 15 and extra after");
	cmp_result_free(&r);
	cmp_trace_free(&ta);
	cmp_trace_free(&tb);
	run_trace_free(&ra);
	run_trace_free(&rb);
}

/* `+0~+.05 > . 1:1(0) ack 2`: the script lets the ACK come any time in
 * 50 ms (Linux sometimes delays it); two stacks 12 ms apart there do not
 * differ. A line without a range keeps the plain tolerance. */
static void test_script_range(void)
{
	struct run_trace ra, rb;
	run_trace_init(&ra);
	run_trace_init(&rb);
	const struct cs_pkt fin = {
		.t = 100000, .line = 15, .flags = F | A, .seq = 1, .ack = 1, .win = 257
	};
	const struct cs_pkt ack = { .outbound = true,
		                    .t = 100000,
		                    .line = 16,
		                    .flags = A,
		                    .seq = 1,
		                    .ack = 2,
		                    .win = 502 };
	cs_add_pkt(&ra, &fin);
	cs_add_pkt(&ra, &ack);
	struct cs_pkt ack_b = ack;
	ack_b.t = 112000;
	cs_add_pkt(&rb, &fin);
	cs_add_pkt(&rb, &ack_b);
	struct cmp_trace ta, tb;
	cmp_normalise(&ra, &ta);
	cmp_normalise(&rb, &tb);
	struct cmp_opts o = { .tolerance_us = 4000 };
	struct cmp_result r;
	cmp_align(&ta, &tb, &o, &r);
	is_int((int)r.classes, (int)CMP_BIT(CMP_TIMING), "12 ms apart: timing, without a range");
	cmp_result_free(&r);
	struct run_event ev[2];
	memset(ev, 0, sizeof ev);
	ev[0].line = 15;
	ev[1].line = 16;
	ev[1].time.range = true;
	ev[1].time.start_us = 100000;
	ev[1].time.end_us = 150000;
	struct run_script rs;
	memset(&rs, 0, sizeof rs);
	rs.events = ev;
	rs.n_events = 2;
	cmp_script_slack(&ta, &rs);
	cmp_script_slack(&tb, &rs);
	is_int((int)tb.v[1].slack_us, 50000, "line 16's range: 50 ms of slack");
	is_int((int)tb.v[0].slack_us, 0, "none for the inbound packet");
	cmp_align(&ta, &tb, &o, &r);
	is_int((int)r.classes, 0, "within the script's range: the same");
	cmp_result_free(&r);
	tb.v[1].time_us = 100000 + 60000;
	cmp_align(&ta, &tb, &o, &r);
	is_int((int)r.classes, (int)CMP_BIT(CMP_TIMING), "60 ms apart: beyond it, timing");
	cmp_result_free(&r);
	cmp_trace_free(&ta);
	cmp_trace_free(&tb);
	run_trace_free(&ra);
	run_trace_free(&rb);
}

/* Linux's timer wheel: a kernel's timer-sent packet may come later than
 * the engine's by the wheel slot of the engine's timer, summed along a
 * chain of timer-sent packets; never earlier, and not between two
 * virtual-time stacks. */
/* A call at the packet's time and line, and the packet it sent, in both
 * traces: where the timer tests start. */
static void both_call_and_pkt(struct run_trace *ra, struct run_trace *rb, const char *call,
                              const struct cs_pkt *p)
{
	cs_add_text(ra, RUN_OBS_SYSCALL, p->t, p->line, call);
	cs_add_text(rb, RUN_OBS_SYSCALL, p->t, p->line, call);
	cs_add_pkt(ra, p);
	cs_add_pkt(rb, p);
}

static void test_timer_wheel(void)
{
	is_int((int)cmp_wheel_lateness_us(100000), 8000,
	       "100 ms timer: level 0, a jiffy + rounding");
	is_int((int)cmp_wheel_lateness_us(300000), 36000, "300 ms: level 1, 8 jiffies + 1");
	is_int((int)cmp_wheel_lateness_us(2400000), 260000, "2.4 s: level 2, 64 jiffies + 1");
	is_int((int)cmp_wheel_lateness_us(60000000), 2052000, "60 s: level 3, 512 jiffies + 1");

	struct run_trace ra, rb;
	run_trace_init(&ra);
	run_trace_init(&rb);
	const struct cs_pkt data = { .outbound = true,
		                     .t = 100000,
		                     .line = 10,
		                     .flags = P | A,
		                     .seq = 1,
		                     .ack = 1,
		                     .win = 502,
		                     .len = 10 };
	both_call_and_pkt(&ra, &rb, "write(4, ..., 10) = 10", &data);
	/* Two RTOs: the engine's at 0.4 and 1.0 s (timers of 0.3 and 0.6 s),
	 * the kernel's 28 ms and then 28 + 30 ms late. */
	uint64_t ta_us[2] = { 400000, 1000000 }, tb_us[2] = { 428000, 1058000 };
	for (int k = 0; k < 2; k++) {
		struct cs_pkt r = data;
		r.line = 0;
		r.t = ta_us[k];
		cs_add_pkt(&ra, &r);
		ra.v[ra.n - 1].timer_len_us = k ? 600000 : 300000;
		r.t = tb_us[k];
		cs_add_pkt(&rb, &r);
	}
	struct cmp_trace ta, tb;
	cmp_normalise(&ra, &ta);
	cmp_normalise(&rb, &tb);
	is_int((int)ta.v[2].wheel_us, 36000, "the first RTO: its slot");
	is_int((int)ta.v[3].wheel_us, 72000, "the second, armed by the first: both slots");
	is_int((int)tb.v[3].wheel_us, 0, "the kernel's trace: nothing known");
	/* No percentage: the wheel alone must explain the lateness. */
	struct cmp_opts o = { .tolerance_us = 4000 };
	struct cmp_result r;
	cmp_align(&ta, &tb, &o, &r);
	ok(r.classes & CMP_BIT(CMP_TIMING), "two virtual-time stacks: timing");
	cmp_result_free(&r);
	o.b_kernel = true;
	cmp_align(&ta, &tb, &o, &r);
	is_int((int)r.classes, 0, "the kernel late by its wheel: the same");
	cmp_result_free(&r);
	o.b_kernel = false;
	o.a_kernel = true;
	cmp_align(&ta, &tb, &o, &r);
	ok(r.classes & CMP_BIT(CMP_TIMING), "a kernel earlier than the wheel allows: timing");
	cmp_result_free(&r);
	o.a_kernel = false;
	o.b_kernel = true;
	tb.v[3].time_us = 1000000 + 80000;
	cmp_align(&ta, &tb, &o, &r);
	ok(r.classes & CMP_BIT(CMP_TIMING), "80 ms late, beyond 72 ms of slots: timing");
	cmp_result_free(&r);
	/* A timer armed by the script, not by the packet before it: its own
	 * slot only. */
	cmp_trace_free(&ta);
	ra.v[3].timer_len_us = 500000;
	cmp_normalise(&ra, &ta);
	is_int((int)ta.v[3].wheel_us, 36000, "armed at 0.5 s, not by the 0.4 s packet: one slot");
	cmp_trace_free(&ta);
	cmp_trace_free(&tb);
	run_trace_free(&ra);
	run_trace_free(&rb);
}

/* The classes two traces differ in, either side possibly a kernel. */
static unsigned classes_of(const struct cmp_trace *a, const struct cmp_trace *b, bool a_kernel,
                           bool b_kernel)
{
	struct cmp_opts o = { .tolerance_us = 4000, .a_kernel = a_kernel, .b_kernel = b_kernel };
	struct cmp_result r;
	cmp_align(a, b, &o, &r);
	unsigned c = r.classes;
	cmp_result_free(&r);
	return c;
}

/* The engine's timer fires at the script's last line; the kernel's run ends
 * there too, before its wheel had to fire the same timer. */
static void test_timer_unseen_at_end(void)
{
	struct run_trace ra, rb;
	run_trace_init(&ra);
	run_trace_init(&rb);
	const struct cs_pkt fin = { .outbound = true,
		                    .t = 300000,
		                    .line = 9,
		                    .flags = F | A,
		                    .seq = 1,
		                    .ack = 1,
		                    .win = 502 };
	both_call_and_pkt(&ra, &rb, "shutdown(4, SHUT_WR) = 0", &fin);
	struct cs_pkt again = fin;
	again.line = 0;
	again.t = 900000; /* an RTO of 0.6 s: up to 68 ms late on the wheel */
	cs_add_pkt(&ra, &again);
	ra.v[ra.n - 1].timer_len_us = 600000;
	cs_add_text(&ra, RUN_OBS_SYSCALL, 900000, 10, "close(4) = 0");
	cs_add_text(&rb, RUN_OBS_SYSCALL, 901000, 10, "close(4) = 0");
	struct cmp_trace ta, tb;
	cmp_normalise(&ra, &ta);
	cmp_normalise(&rb, &tb);
	ok(classes_of(&ta, &tb, false, false) & CMP_BIT(CMP_MISSING),
	   "two virtual-time stacks: missing");
	is_int((int)classes_of(&ta, &tb, false, true), 0,
	       "the kernel's run ended before its wheel fired: the same");
	is_int((int)classes_of(&tb, &ta, true, false), 0, "the kernel on the left: the same");
	/* Watched for 0.1 s more, the kernel should have sent it. */
	cmp_trace_free(&tb);
	cs_add_text(&rb, RUN_OBS_SYSCALL, 1000000, 11, "read(4, ..., 1) = 0");
	cs_add_text(&ra, RUN_OBS_SYSCALL, 1000000, 11, "read(4, ..., 1) = 0");
	cmp_trace_free(&ta);
	cmp_normalise(&ra, &ta);
	cmp_normalise(&rb, &tb);
	ok(classes_of(&ta, &tb, false, true) & CMP_BIT(CMP_MISSING),
	   "beyond the wheel's slot: missing");
	cmp_trace_free(&ta);
	cmp_trace_free(&tb);
	run_trace_free(&ra);
	run_trace_free(&rb);
}

/* The kernel's timer fires late, after the script's ACK, and resends only
 * what that ACK left; the engine's fired before it. */
static void test_timer_reordered_late(void)
{
	struct run_trace ra, rb;
	run_trace_init(&ra);
	run_trace_init(&rb);
	const struct cs_pkt data = { .outbound = true,
		                     .t = 100000,
		                     .line = 10,
		                     .flags = P | A,
		                     .seq = 1,
		                     .ack = 1,
		                     .win = 502,
		                     .len = 10 };
	both_call_and_pkt(&ra, &rb, "write(4, ..., 10) = 10", &data);
	struct cs_pkt rto = data;
	rto.line = 0;
	rto.t = 400000;
	cs_add_pkt(&ra, &rto);
	ra.v[ra.n - 1].timer_len_us = 300000; /* up to 36 ms late on a kernel */
	const struct cs_pkt ack = {
		.t = 410000, .line = 11, .flags = A, .seq = 1, .ack = 6, .win = 257
	};
	cs_add_pkt(&ra, &ack);
	cs_add_pkt(&rb, &ack);
	struct cs_pkt rest = data;
	rest.line = 0;
	rest.t = 430000;
	rest.seq = 6;
	rest.len = 5;
	cs_add_pkt(&rb, &rest);
	struct cmp_trace ta, tb;
	cmp_normalise(&ra, &ta);
	cmp_normalise(&rb, &tb);
	ok(classes_of(&ta, &tb, false, false) & (CMP_BIT(CMP_MISSING) | CMP_BIT(CMP_EXTRA)),
	   "two virtual-time stacks: missing and extra");
	is_int((int)classes_of(&ta, &tb, false, true), 0,
	       "the kernel's timer fired after the ACK, within its slot: the same");
	is_int((int)classes_of(&tb, &ta, true, false), 0, "the kernel on the left: the same");
	/* 50 ms late is beyond the slot (36 ms) and the tolerance. */
	tb.v[tb.n - 1].time_us = 450000;
	ok(classes_of(&ta, &tb, false, true) & CMP_BIT(CMP_MISSING), "beyond the slot: missing");
	/* Not what the ACK left: its own end differs. */
	tb.v[tb.n - 1].time_us = 430000;
	tb.v[tb.n - 1].len = 4;
	ok(classes_of(&ta, &tb, false, true) != 0, "another packet: a difference");
	cmp_trace_free(&ta);
	cmp_trace_free(&tb);
	run_trace_free(&ra);
	run_trace_free(&rb);
}

static void test_class_names(void)
{
	unsigned m;
	char why[200];
	is_int(cmp_class_parse("window,options,timing", &m, why, sizeof why), 0, "parse a list");
	is_int(m, CMP_BIT(CMP_WINDOW) | CMP_BIT(CMP_OPTIONS) | CMP_BIT(CMP_TIMING), "its bits");
	is_int(cmp_class_parse("seq,ack,length", &m, why, sizeof why), 0, "aliases");
	is_int(m, CMP_BIT(CMP_SEQACK) | CMP_BIT(CMP_PAYLOAD), "alias bits");
	is_int(cmp_class_parse("window,colour", &m, why, sizeof why), -1, "an unknown class");
	ok(strstr(why, "colour") != NULL, "names it: %s", why);
}

int main(void)
{
	test_classes();
	test_rows_and_ignore();
	test_script_events_anchor();
	test_script_range();
	test_sack_relative();
	test_normalised_text();
	test_class_names();
	test_timer_wheel();
	test_timer_unseen_at_end();
	test_timer_reordered_late();
	test_capture_order();
	return tap_done();
}
