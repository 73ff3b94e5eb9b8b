/* Executor tests against the mock stack: every matching rule, tolerance
 * edges, unexpected and missing packets, blocking calls, errno, several
 * connections, the wall-clock limit. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "run/build_packet.h"
#include "run/report.h"
#include "run/run.h"
#include "run_mock_stack.h"
#include "run_script_build.h"
#include "tap.h"

#define ACK SYNACK_TH_ACK
#define SYN SYNACK_TH_SYN
#define FIN SYNACK_TH_FIN
#define RST SYNACK_TH_RST
#define PSH SYNACK_TH_PSH
#define ISN 1000000u

static const long long fd3[] = { 3, 1 };

/* socket, bind, listen: the first three lines of most passive scripts. */
static void listener(struct run_script *s)
{
	static const long long sock[] = { SOCK_STREAM, IPPROTO_TCP };
	struct run_syscall *c = sb_sys(s, "0", "socket", ".ii", sock, 3, 0,
	                               "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3");
	(void)c;
	sb_sys(s, "+0", "bind", "i..", fd3, 0, 0, "+0 bind(3, ..., ...) = 0");
	sb_sys(s, "+0", "listen", "ii", fd3, 0, 0, "+0 listen(3, 1) = 0");
}

/* < S, > S. (mock replies after `delay`), < . ack */
static void handshake(struct run_script *s, uint64_t delay)
{
	struct run_pkt *p = sb_pkt(s, "+0", false, SYN, 0, 0, "+0 < S 0:0(0) win 65535 <mss 1460>");
	p->has_win = true;
	p->win = 65535;
	sb_opt(p, RUN_OPT_MSS, 1460, 0);
	p = sb_pkt(s, "+0", true, SYN | ACK, 0, 0, "+0 > S. 0:0(0) ack 1 <mss 1460>");
	p->has_ack = true;
	p->ack = 1;
	sb_opt(p, RUN_OPT_MSS, 1460, 0);
	mock_on_inject(0, delay,
	               (struct mock_tmpl){
	                   .flags = SYN | ACK, .seq = ISN, .ack = 1, .win = 64240, .mss = 1460 });
	p = sb_pkt(s, "+.1", false, ACK, 1, 0, "+.1 < . 1:1(0) ack 1 win 257");
	p->has_ack = true;
	p->ack = 1;
	p->has_win = true;
	p->win = 257;
}

static void run(struct run_script *s, struct run_result *r)
{
	run_execute(s, &mock_stack_ops, NULL, r);
}

static void test_passive_open(void)
{
	struct run_script s;
	struct run_result r;
	mock_reset();
	sb_init(&s);
	listener(&s);
	handshake(&s, 0);
	sb_sys(&s, "+0", "accept", "i..", fd3, 4, 0, "+0 accept(3, ..., ...) = 4");
	run(&s, &r);
	is_int(r.status, RUN_PASS, "passive open passes: %s", r.fail.message);
	is_int(mock_record.n_injected, 2, "two packets injected");
	is_uint(r.end_us, 100000, "virtual time ends at 0.1 s");
	is_int(r.n_steps, 7, "one step per event");
	ok(mock_record.stopped, "stack stopped");
	/* The ACK's ack field is mapped onto the stack's ISN. */
	struct synack_segment seg;
	ok(synack_seg_parse(mock_record.injected[1], mock_record.injected_len[1], true, &seg) ==
	       SYNACK_SEG_OK,
	   "injected ACK parses with valid checksums");
	is_hex(seg.ack, ISN + 1, "inbound ack relative to the stack's ISN");
	is_int(seg.seq, 1, "inbound seq written as the peer's");
	is_int(seg.window, 257, "inbound window as given");
	is_int(seg.dport, 8080, "to the bind port");
	run_result_free(&r);
	run_script_free(&s);
}

/* A listener and a handshake, then whatever the test adds. */
static void base(struct run_script *s)
{
	mock_reset();
	sb_init(s);
	listener(s);
	handshake(s, 0);
}

/* A stack that reports itself broken (stack_ops.fault, the engine's
 * self-check) fails the script at the event that broke it, with the
 * stack's reason — also when observing, as compare does. */
static void test_stack_fault(void)
{
	for (int observe = 0; observe < 2; observe++) {
		struct run_script s;
		struct run_result r;
		base(&s);
		sb_sys(&s, "+0", "accept", "i..", fd3, 4, 0, "+0 accept(3, ..., ...) = 4");
		mock_spec.fault_after_inject = 2;
		struct run_options o = { .observe = observe };
		run_execute_opts(&s, &mock_stack_ops, NULL, &o, &r);
		is_int(r.status, RUN_FAIL, "%s: a broken stack fails the script",
		       observe ? "observing" : "running");
		is_int(r.fail.line, 16, "at the packet that broke it (line 16: %s)", r.fail.source);
		ok(strstr(r.fail.message, "stack mock broke its own invariant: tcb 1 went from "
		                          "CLOSE_WAIT to ESTABLISHED"),
		   "with the stack's reason: %s", r.fail.message);
		ok(r.fail.stack_fault, "flagged as the stack's fault");
		is_int(mock_record.n_calls, 3, "nothing after it runs (accept not called)");
		run_result_free(&r);
		run_script_free(&s);
	}
}

/* A real stack numbers descriptors after whatever the process has open (a
 * Linux run with stdin closed gets one lower): the trace shows the
 * script's numbers, so reports and comparisons do not depend on it. */
static void test_trace_shows_script_descriptors(void)
{
	struct run_script s;
	struct run_result r;
	base(&s);
	sb_sys(&s, "+0", "accept", "i..", fd3, 4, 0, "+0 accept(3, ..., ...) = 4");
	mock_call(0, 6, 0, 0); /* socket() */
	mock_call(3, 7, 0, 0); /* accept() */
	run(&s, &r);
	is_int(r.status, RUN_PASS, "passes with the stack's descriptors 6 and 7: %s",
	       r.fail.message);
	bool sock3 = false, acc4 = false, real = false;
	for (size_t i = 0; i < r.trace.n; i++) {
		const char *t = r.trace.v[i].text;
		sock3 = sock3 || (strstr(t, "socket(") && strstr(t, ") = 3"));
		acc4 = acc4 || (strstr(t, "accept(") && strstr(t, ") = 4"));
		real = real || strstr(t, ") = 6") || strstr(t, ") = 7");
	}
	ok(sock3 && acc4 && !real, "the trace shows socket() = 3 and accept() = 4, not 6 and 7");
	run_result_free(&r);
	run_script_free(&s);
}

static void fails_with(struct run_script *s, const char *msg, const char *what)
{
	struct run_result r;
	run(s, &r);
	is_int(r.status, RUN_FAIL, "%s: fails", what);
	is_str(r.fail.message, msg, "%s: message", what);
	run_result_free(&r);
	run_script_free(s);
}

static void passes(struct run_script *s, const char *what)
{
	struct run_result r;
	run(s, &r);
	is_int(r.status, RUN_PASS, "%s: passes", what);
	if (r.status != RUN_PASS)
		run_report_human(stderr, &r);
	run_result_free(&r);
	run_script_free(s);
}

/* The mock sends `t` 0.1 s after the handshake's last packet; the script
 * expects `p` then. */
static struct run_pkt *data_out(struct run_script *s, struct mock_tmpl t, const char *text)
{
	mock_on_inject(1, 0, t);
	struct run_pkt *p = sb_pkt(s, "+0", true, 0, 0, 0, text);
	return p;
}

static void test_fields(void)
{
	struct run_script s;
	struct run_pkt *p;

	base(&s);
	p = data_out(&s, (struct mock_tmpl){ .flags = RST, .seq = ISN + 1 }, "+0 > . 1:1(0) ack 1");
	p->flags = ACK;
	fails_with(&s, "outbound packet: flags: expected ., got R", "flags");

	base(&s);
	p = data_out(
	    &s, (struct mock_tmpl){ .flags = ACK | PSH, .seq = ISN + 101, .ack = 1, .len = 10 },
	    "+0 > P. 1:11(10) ack 1");
	p->flags = ACK | PSH;
	p->seq = 1;
	p->len = 10;
	fails_with(&s, "outbound packet: seq: expected 1, got 101", "seq relative to the ISN");

	base(&s);
	p = data_out(&s, (struct mock_tmpl){ .flags = ACK, .seq = ISN + 1, .ack = 5 },
	             "+0 > . 1:1(0) ack 1");
	p->flags = ACK;
	p->seq = 1;
	p->has_ack = true;
	p->ack = 1;
	fails_with(&s, "outbound packet: ack: expected 1, got 5", "ack");

	base(&s);
	p = data_out(&s, (struct mock_tmpl){ .flags = ACK, .seq = ISN + 1, .ack = 1, .len = 5 },
	             "+0 > . 1:1(0) ack 1");
	p->flags = ACK;
	p->seq = 1;
	fails_with(&s, "outbound packet: payload length: expected 0, got 5", "payload length");

	base(&s);
	p = data_out(&s,
	             (struct mock_tmpl){ .flags = ACK, .seq = ISN + 1, .ack = 1, .bad_csum = true },
	             "+0 > . 1:1(0) ack 1");
	p->flags = ACK;
	p->seq = 1;
	fails_with(
	    &s,
	    "outbound packet: checksum: the IPv4 header or TCP checksum does not verify (RFC "
	    "9293 MUST-2)",
	    "a wrong TCP checksum");

	base(&s);
	p = data_out(&s, (struct mock_tmpl){ .flags = ACK, .seq = ISN + 1, .ack = 1, .win = 100 },
	             "+0 > . 1:1(0) ack 1 win 200");
	p->flags = ACK;
	p->seq = 1;
	p->has_win = true;
	p->win = 200;
	fails_with(&s, "outbound packet: window: expected 200, got 100", "window when given");

	base(&s);
	p = data_out(&s, (struct mock_tmpl){ .flags = ACK, .seq = ISN + 1, .ack = 1, .win = 100 },
	             "+0 > . 1:1(0) ack 1");
	p->flags = ACK;
	p->seq = 1;
	passes(&s, "window not given: not checked");

	base(&s);
	p = data_out(&s, (struct mock_tmpl){ .flags = ACK, .seq = ISN + 1, .ts = true },
	             "+0 > . 1:1(0)");
	p->flags = ACK;
	p->seq = 1;
	fails_with(&s, "outbound packet: options: expected none, got 12 bytes",
	           "no option list: none expected");

	base(&s);
	p = data_out(&s, (struct mock_tmpl){ .flags = ACK, .seq = ISN + 1, .ts = true },
	             "+0 > . 1:1(0) <...>");
	p->flags = ACK;
	p->seq = 1;
	p->opts_any = true;
	passes(&s, "<...> accepts any options");

	base(&s);
	p = data_out(&s, (struct mock_tmpl){ .flags = ACK, .seq = ISN + 1, .ts = true },
	             "+0 > . 1:1(0) <nop,nop,TS val 1 ecr 0,nop>");
	p->flags = ACK;
	p->seq = 1;
	sb_opt(p, RUN_OPT_NOP, 0, 0);
	sb_opt(p, RUN_OPT_NOP, 0, 0);
	sb_opt(p, RUN_OPT_TS, 1, 0);
	sb_opt(p, RUN_OPT_NOP, 0, 0);
	fails_with(&s, "outbound packet: options: expected 4, got 3", "option list length");

	base(&s);
	p = data_out(&s, (struct mock_tmpl){ .flags = ACK, .seq = ISN + 1, .ts = true },
	             "+0 > . 1:1(0) <nop,TS val 1 ecr 0,nop>");
	p->flags = ACK;
	p->seq = 1;
	sb_opt(p, RUN_OPT_NOP, 0, 0);
	sb_opt(p, RUN_OPT_TS, 1, 0);
	sb_opt(p, RUN_OPT_NOP, 0, 0);
	fails_with(&s, "outbound packet: option 2: expected TS, got nop", "option order");

	/* Option values: the SYN-ACK carries mss 536, the script says 1460. */
	mock_reset();
	sb_init(&s);
	listener(&s);
	p = sb_pkt(&s, "+0", false, SYN, 0, 0, "+0 < S 0:0(0) win 1000");
	p = sb_pkt(&s, "+0", true, SYN | ACK, 0, 0, "+0 > S. 0:0(0) ack 1 <mss 1460>");
	sb_opt(p, RUN_OPT_MSS, 1460, 0);
	mock_on_inject(0, 0,
	               (struct mock_tmpl){ .flags = SYN | ACK, .seq = ISN, .ack = 1, .mss = 536 });
	fails_with(&s, "outbound packet: mss: expected 1460, got 536", "option value");

	base(&s);
	p = data_out(&s, (struct mock_tmpl){ .flags = ACK, .seq = ISN + 1, .tos = 0x02 },
	             "+0 > . 1:1(0) [ce]");
	p->flags = ACK;
	p->seq = 1;
	p->ecn = RUN_ECN_CE;
	fails_with(&s, "outbound packet: ECN: expected 0x3, got 0x2", "ECN mark when given");
}

static void test_timestamps(void)
{
	struct run_script s;
	struct run_pkt *p;

	/* The stack's TSval stream is learned from its first TS option: an
	 * inbound `ecr 100` means "the stack's TSval that the script called 100". */
	base(&s);
	p = data_out(
	    &s,
	    (struct mock_tmpl){
	        .flags = ACK, .seq = ISN + 1, .ack = 1, .ts = true, .ts_val = 777000, .ts_ecr = 5 },
	    "+0 > . 1:1(0) ack 1 <nop,nop,TS val 100 ecr 5>");
	p->flags = ACK;
	p->seq = 1;
	sb_opt(p, RUN_OPT_NOP, 0, 0);
	sb_opt(p, RUN_OPT_NOP, 0, 0);
	sb_opt(p, RUN_OPT_TS, 100, 5);
	p = sb_pkt(&s, "+0", false, ACK, 1, 0, "+0 < . 1:1(0) ack 1 <TS val 6 ecr 100>");
	p->has_ack = true;
	p->ack = 1;
	sb_opt(p, RUN_OPT_TS, 6, 100);
	struct run_result r;
	run(&s, &r);
	is_int(r.status, RUN_PASS, "TS exchange passes: %s", r.fail.message);
	struct synack_segment seg;
	synack_seg_parse(mock_record.injected[2], mock_record.injected_len[2], true, &seg);
	is_uint(seg.opt.ts_ecr, 777000, "inbound ecr mapped onto the stack's TSval stream");
	is_uint(seg.opt.ts_val, 6, "inbound val as written");
	run_result_free(&r);
	run_script_free(&s);

	base(&s);
	p = data_out(&s,
	             (struct mock_tmpl){
	                 .flags = ACK, .seq = ISN + 1, .ts = true, .ts_val = 1, .ts_ecr = 4 },
	             "+0 > . 1:1(0) <nop,nop,TS val 100 ecr 5>");
	p->flags = ACK;
	p->seq = 1;
	sb_opt(p, RUN_OPT_NOP, 0, 0);
	sb_opt(p, RUN_OPT_NOP, 0, 0);
	sb_opt(p, RUN_OPT_TS, 100, 5);
	fails_with(&s, "outbound packet: TS ecr: expected 5, got 4", "TS ecr checked exactly");
}

/* packetdrill's TS val rule, on only with --tcp_ts_tick_usecs: the stack's
 * TSval clock must advance with the script's. */
static void ts_val_case(uint32_t second_val, const char *msg)
{
	struct run_script s;
	base(&s);
	s.cfg.tcp_ts_tick_usecs = 1000;
	struct run_pkt *p =
	    data_out(&s,
	             (struct mock_tmpl){
	                 .flags = ACK, .seq = ISN + 1, .ts = true, .ts_val = 777000, .ts_ecr = 5 },
	             "+0 > . 1:1(0) <nop,nop,TS val 100 ecr 5>");
	p->flags = ACK;
	p->seq = 1;
	sb_opt(p, RUN_OPT_NOP, 0, 0);
	sb_opt(p, RUN_OPT_NOP, 0, 0);
	sb_opt(p, RUN_OPT_TS, 100, 5);
	mock_at(200000,
	        (struct mock_tmpl){
	            .flags = ACK, .seq = ISN + 1, .ts = true, .ts_val = second_val, .ts_ecr = 5 });
	p = sb_pkt(&s, "+.1", true, ACK, 1, 0, "+.1 > . 1:1(0) <nop,nop,TS val 200 ecr 5>");
	sb_opt(p, RUN_OPT_NOP, 0, 0);
	sb_opt(p, RUN_OPT_NOP, 0, 0);
	sb_opt(p, RUN_OPT_TS, 200, 5);
	if (msg)
		fails_with(&s, msg, "TS val off the stack's clock");
	else
		passes(&s, "TS val consistent with the stack's clock");
}

static void test_ts_val(void)
{
	ts_val_case(777100, NULL);
	ts_val_case(777105, NULL);
	/* The allowance is packetdrill's: max(tolerance_usecs, 12.5 % of the
	 * script time, 0.2 s) = 25 ms = 25 ticks, plus one for rounding. */
	ts_val_case(777126, NULL);
	ts_val_case(777050,
	            "outbound packet: TS val: expected 777100 (+/- 26), got 777050 (script 200)");
}

/* On a loaded machine packets come late (inside their windows) and relative
 * times count from when the previous event really happened, so the stack's
 * TSval clock runs ahead of the script's nominal times: the expectation
 * follows when each packet was actually seen. */
static void ts_val_late_case(uint32_t third_val, const char *msg)
{
	struct run_script s;
	base(&s);
	s.cfg.tcp_ts_tick_usecs = 1000;
	s.cfg.tolerance_usecs = 10000;
	s.cfg.tolerance_percent = 0;
	struct run_pkt *p =
	    data_out(&s,
	             (struct mock_tmpl){
	                 .flags = ACK, .seq = ISN + 1, .ts = true, .ts_val = 777000, .ts_ecr = 5 },
	             "+0 > . 1:1(0) <nop,nop,TS val 100 ecr 5>");
	p->flags = ACK;
	p->seq = 1;
	sb_opt(p, RUN_OPT_NOP, 0, 0);
	sb_opt(p, RUN_OPT_NOP, 0, 0);
	sb_opt(p, RUN_OPT_TS, 100, 5);
	/* 10 ms late twice: seen at 0.21 and 0.32 for nominal 0.2 and 0.3. */
	mock_at(210000,
	        (struct mock_tmpl){
	            .flags = ACK, .seq = ISN + 1, .ts = true, .ts_val = 777110, .ts_ecr = 5 });
	mock_at(320000,
	        (struct mock_tmpl){
	            .flags = ACK, .seq = ISN + 1, .ts = true, .ts_val = third_val, .ts_ecr = 5 });
	for (int i = 0; i < 2; i++) {
		p = sb_pkt(&s, "+.1", true, ACK, 1, 0,
		           i ? "+.1 > . 1:1(0) <nop,nop,TS val 300 ecr 5>"
		             : "+.1 > . 1:1(0) <nop,nop,TS val 200 ecr 5>");
		sb_opt(p, RUN_OPT_NOP, 0, 0);
		sb_opt(p, RUN_OPT_NOP, 0, 0);
		sb_opt(p, RUN_OPT_TS, i ? 300 : 200, 5);
	}
	if (msg)
		fails_with(&s, msg, "TS val: a clock that does not follow real time");
	else
		passes(&s, "TS val: late packets, the stack's clock followed real time (20 ticks "
		           "past the script's, allowance 11)");
}

static void test_ts_val_late(void)
{
	ts_val_late_case(777220, NULL);
	ts_val_late_case(
	    777200, "outbound packet: TS val: expected 777220 (+/- 11), got 777200 (script 300)");
}

static void test_tolerance(void)
{
	struct run_script s;

	mock_reset();
	sb_init(&s);
	listener(&s);
	handshake(&s, 4000);
	passes(&s, "reply 4000 us late: inside the default tolerance");

	mock_reset();
	sb_init(&s);
	listener(&s);
	handshake(&s, 4001);
	{
		struct run_result r;
		run(&s, &r);
		is_str(r.fail.message, "missing outbound packet", "reply 4001 us late: missing");
		is_str(r.fail.actual,
		       "> S. 1000000:1000000(0) ack 1 win 64240 <mss 1460> (too late)",
		       "and the report shows the late packet");
		is_int(r.fail.actual_us, 4001, "with its time");
		run_result_free(&r);
		run_script_free(&s);
	}

	/* Early: the stack answers 20 ms before the script's time. */
	mock_reset();
	sb_init(&s);
	listener(&s);
	struct run_pkt *e = sb_pkt(&s, "+0", false, SYN, 0, 0, "+0 < S 0:0(0) win 1000");
	e = sb_pkt(&s, "+0.1", true, SYN | ACK, 0, 0, "+0.1 > S. 0:0(0) ack 1");
	mock_on_inject(0, 80000, (struct mock_tmpl){ .flags = SYN | ACK, .seq = ISN, .ack = 1 });
	fails_with(&s, "timing error: outbound packet at 0.080000 s, expected 0.100000 s",
	           "reply 20 ms early (tolerance 12.5 ms)");
	(void)e;

	/* 12.5 % of a 1 s gap is 125 ms. */
	for (int late = 0; late < 2; late++) {
		mock_reset();
		sb_init(&s);
		listener(&s);
		struct run_pkt *p = sb_pkt(&s, "+0", false, SYN, 0, 0, "+0 < S 0:0(0) win 1000");
		p = sb_pkt(&s, "+1", true, SYN | ACK, 0, 0, "+1 > S. 0:0(0) ack 1");
		p->has_ack = true;
		p->ack = 1;
		mock_on_inject(0, late ? 1125001 : 1125000,
		               (struct mock_tmpl){ .flags = SYN | ACK, .seq = ISN, .ack = 1 });
		if (late)
			fails_with(&s, "missing outbound packet", "12.5 % of the gap, 1 us over");
		else
			passes(&s, "12.5 % of the gap");
	}

	/* A range widens the window; `*` accepts any time. */
	mock_reset();
	sb_init(&s);
	listener(&s);
	struct run_pkt *p = sb_pkt(&s, "+0", false, SYN, 0, 0, "+0 < S 0:0(0) win 1000");
	p = sb_pkt(&s, "+0.1~+0.3", true, SYN | ACK, 0, 0, "+0.1~+0.3 > S. 0:0(0) ack 1");
	mock_on_inject(0, 250000, (struct mock_tmpl){ .flags = SYN | ACK, .seq = ISN, .ack = 1 });
	passes(&s, "inside a range");

	mock_reset();
	sb_init(&s);
	listener(&s);
	p = sb_pkt(&s, "+0", false, SYN, 0, 0, "+0 < S 0:0(0) win 1000");
	p = sb_pkt(&s, "*", true, SYN | ACK, 0, 0, "* > S. 0:0(0) ack 1");
	mock_on_inject(0, 3000000, (struct mock_tmpl){ .flags = SYN | ACK, .seq = ISN, .ack = 1 });
	passes(&s, "any time");
	(void)p;
}

static void test_unexpected_and_missing(void)
{
	struct run_script s;
	struct run_result r;

	base(&s);
	mock_at(50000, (struct mock_tmpl){ .flags = ACK, .seq = ISN + 1, .ack = 1 });
	run(&s, &r);
	is_int(r.status, RUN_FAIL, "unexpected packet fails");
	is_str(r.fail.message, "unexpected outbound packet", "unexpected: message");
	is_int(r.fail.line, 16, "unexpected: reported at the next event's line");
	is_int(r.fail.actual_us, 50000, "unexpected: its time");
	run_result_free(&r);
	run_script_free(&s);

	/* A packet after the last event but at the same instant. */
	base(&s);
	mock_on_inject(1, 0, (struct mock_tmpl){ .flags = ACK, .seq = ISN + 1, .ack = 1 });
	fails_with(&s, "unexpected outbound packet", "unexpected packet at the end");

	mock_reset();
	sb_init(&s);
	listener(&s);
	struct run_pkt *p = sb_pkt(&s, "+0", false, SYN, 0, 0, "+0 < S 0:0(0) win 1000");
	p = sb_pkt(&s, "+0", true, SYN | ACK, 0, 0, "+0 > S. 0:0(0) ack 1");
	(void)p;
	run(&s, &r);
	is_int(r.status, RUN_FAIL, "missing packet fails");
	is_str(r.fail.message, "missing outbound packet", "missing: message");
	is_uint(r.end_us, 8000, "missing: waited to the end of the window and one tolerance more");
	run_result_free(&r);
	run_script_free(&s);
}

static void test_calls(void)
{
	struct run_script s;
	static const long long c4[] = { 3, 4 };

	/* Blocking accept started before the handshake, returning after it. */
	mock_reset();
	sb_init(&s);
	listener(&s);
	sb_sys(&s, "+0...0.1", "accept", "i..", fd3, 4, 0, "+0...0.1 accept(3, ..., ...) = 4");
	mock_call(3, 4, 0, 100000);
	handshake(&s, 0);
	passes(&s, "blocking accept returns while the script goes on");

	mock_reset();
	sb_init(&s);
	listener(&s);
	sb_sys(&s, "+0...0.1", "accept", "i..", fd3, 4, 0, "+0...0.1 accept(3, ..., ...) = 4");
	mock_call(3, 4, 0, 200000);
	handshake(&s, 0);
	fails_with(&s, "blocking call accept did not return in time", "blocking call too late");

	mock_reset();
	sb_init(&s);
	listener(&s);
	sb_sys(&s, "+0", "accept", "i..", fd3, 4, 0, "+0 accept(3, ..., ...) = 4");
	mock_call(3, 4, 0, 3000);
	passes(&s, "a call without ... may block within the tolerance");

	/* One syscall thread, as packetdrill: a call waits for a blocked one. */
	mock_reset();
	sb_init(&s);
	listener(&s);
	sb_sys(&s, "+0...0.1", "accept", "i..", fd3, 4, 0, "+0...0.1 accept(3, ..., ...) = 4");
	mock_call(3, 4, 0, 100000);
	sb_sys(&s, "+.05", "getsockopt", "iii..", (const long long[]){ 3, 1, 4 }, 0, 0,
	       "+.05 getsockopt(3, SOL_SOCKET, SO_ERROR, ..., ...) = 0");
	{
		struct run_result r;
		run(&s, &r);
		is_int(r.status, RUN_PASS, "a call while another blocks: passes: %s",
		       r.fail.message);
		is_uint(mock_record.call_times[4], 100000,
		        "it is made once the blocked call returned (0.1 s), not at 0.05 s");
		run_result_free(&r);
		run_script_free(&s);
	}

	/* connect(fd, AF_UNSPEC, ...) passes an AF_UNSPEC sockaddr (X5 in
	 * docs/compatibility.md); connect(fd, ..., ...) the remote address. */
	mock_reset();
	sb_init(&s);
	listener(&s);
	sb_sys(&s, "+0", "connect", "ii.", (const long long[]){ 3, AF_UNSPEC }, 0, 0,
	       "+0 connect(3, AF_UNSPEC, ...) = 0");
	sb_sys(&s, "+0", "connect", "i..", fd3, 0, 0, "+0 connect(3, ..., ...) = 0");
	passes(&s, "connect AF_UNSPEC");
	is_int(mock_record.families[3], AF_UNSPEC, "AF_UNSPEC: an AF_UNSPEC sockaddr");
	is_int(mock_record.families[4], AF_INET, "...: the remote address");

	/* getsockopt values are 4-byte ints: [0xffffffff] is -1 (X6 in
	 * docs/compatibility.md), [4294967294] is not. */
	mock_reset();
	sb_init(&s);
	listener(&s);
	sb_sys(&s, "+0", "getsockopt", "iiip.", (const long long[]){ 3, 6, 25, 0xffffffffLL }, 0, 0,
	       "+0 getsockopt(3, SOL_TCP, TCP_NOTSENT_LOWAT, [0xffffffff], [4]) = 0");
	passes(&s, "getsockopt [0xffffffff] matches the int -1");
	mock_reset();
	sb_init(&s);
	listener(&s);
	sb_sys(&s, "+0", "getsockopt", "iiip.", (const long long[]){ 3, 6, 25, 4294967294LL }, 0, 0,
	       "+0 getsockopt(3, SOL_TCP, TCP_NOTSENT_LOWAT, [4294967294], [4]) = 0");
	fails_with(&s, "getsockopt value: expected [4294967294], got [-1]",
	           "getsockopt [4294967294] does not");

	mock_reset();
	sb_init(&s);
	listener(&s);
	struct run_syscall *c =
	    sb_sys(&s, "+0", "connect", "i..", fd3, -1, ECONNREFUSED,
	           "+0 connect(3, ..., ...) = -1 ECONNREFUSED (Connection refused)");
	c->err_name = "ECONNREFUSED";
	mock_call(3, -1, ETIMEDOUT, 0);
	fails_with(&s, "connect: expected errno ECONNREFUSED, got ETIMEDOUT (Connection timed out)",
	           "errno mismatch");

	mock_reset();
	sb_init(&s);
	listener(&s);
	sb_sys(&s, "+0", "close", "i", c4, 0, 0, "+0 close(4) = 0");
	mock_call(3, -1, EBADF, 0);
	fails_with(&s, "close returned -1 EBADF (Bad file descriptor), expected 0",
	           "return value mismatch");

	mock_reset();
	sb_init(&s);
	listener(&s);
	c = sb_sys(&s, "+0", "write", "i.i", (const long long[]){ 3, 10 }, 0, 0,
	           "+0 write(3, ..., 10) = ...");
	c->ret_any = true;
	mock_call(3, -1, EPIPE, 0);
	passes(&s, "= ... accepts any result");

	/* Script fd 3 is whatever the stack returned. */
	mock_reset();
	sb_init(&s);
	mock_call(0, 7, 0, 0);
	listener(&s);
	struct run_result r;
	run(&s, &r);
	is_int(r.status, RUN_PASS, "fd mapping: passes: %s", r.fail.message);
	is_int(mock_record.fds[1], 7, "script fd 3 is stack fd 7");
	run_result_free(&r);
	run_script_free(&s);
}

static uint16_t injected_sport(int n)
{
	struct synack_segment seg;
	if (synack_seg_parse(mock_record.injected[n], mock_record.injected_len[n], false, &seg) !=
	    SYNACK_SEG_OK)
		return 0;
	return seg.sport;
}

static void test_connections(void)
{
	struct run_script s;
	struct run_result r;
	mock_reset();
	sb_init(&s);
	listener(&s);
	handshake(&s, 0);
	sb_sys(&s, "+0", "accept", "i..", fd3, 4, 0, "+0 accept(3, ..., ...) = 4");
	/* A second connection to the same listener, named by its ports. */
	struct run_pkt *p = sb_pkt(&s, "+0", false, SYN, 0, 0, "+0 < 40001>8080 S 0:0(0) win 1000");
	p->has_ports = true;
	p->sport = 40001;
	p->dport = 8080;
	p = sb_pkt(&s, "+0", true, SYN | ACK, 0, 0, "+0 > S. 0:0(0) ack 1");
	p->has_ack = true;
	p->ack = 1;
	mock_on_inject(2, 0,
	               (struct mock_tmpl){ .flags = SYN | ACK, .seq = 5000, .ack = 1, .win = 1 });
	p = sb_pkt(&s, "+0", false, ACK, 1, 0, "+0 < . 1:1(0) ack 1 win 1000");
	p->has_ack = true;
	p->ack = 1;
	sb_sys(&s, "+0", "accept", "i..", fd3, 5, 0, "+0 accept(3, ..., ...) = 5");
	run(&s, &r);
	is_int(r.status, RUN_PASS, "two connections: passes: %s", r.fail.message);
	is_int(injected_sport(1), 48000, "the first connection: the first passive port");
	is_int(injected_sport(2), 40001, "the second: the port the script named");
	is_int(injected_sport(3), 40001, "later packets without ports: the connection used last");
	struct synack_segment b;
	synack_seg_parse(mock_record.injected[3], mock_record.injected_len[3], true, &b);
	is_hex(b.ack, 5001, "each connection maps onto its own ISN");
	run_result_free(&r);
	run_script_free(&s);
}

/* packetdrill's rule: a SYN after the handshake goes to the script's
 * connection, on its 4-tuple (RFC 5961 challenge ACK, TIME-WAIT reuse);
 * the ISN mapping stays the connection's. */
static void test_syn_on_existing_connection(void)
{
	struct run_script s;
	struct run_result r;
	mock_reset();
	sb_init(&s);
	listener(&s);
	handshake(&s, 0);
	sb_sys(&s, "+0", "accept", "i..", fd3, 4, 0, "+0 accept(3, ..., ...) = 4");
	struct run_pkt *p = sb_pkt(&s, "+0", false, SYN, 0, 0, "+0 < S 0:0(0) win 1000");
	p = sb_pkt(&s, "+0", true, ACK, 1, 0, "+0 > . 1:1(0) ack 1");
	p->has_ack = true;
	p->ack = 1;
	mock_on_inject(2, 0, (struct mock_tmpl){ .flags = ACK, .seq = ISN + 1, .ack = 1 });
	/* A later SYN well above RCV.NXT: a new SYN-ACK, numbered relative
	 * to the connection's first ISN (as packetdrill: learned once). */
	p = sb_pkt(&s, "+1", false, SYN, 100000, 0, "+1 < S 100000:100000(0) win 1000");
	p = sb_pkt(&s, "+0", true, SYN | ACK, 65539, 0, "+0 > S. 65539:65539(0) ack 100001");
	p->has_ack = true;
	p->ack = 100001;
	mock_on_inject(3, 0,
	               (struct mock_tmpl){ .flags = SYN | ACK, .seq = ISN + 65539, .ack = 100001 });
	run(&s, &r);
	is_int(r.status, RUN_PASS, "SYN on the connection: passes: %s", r.fail.message);
	is_int(injected_sport(2), injected_sport(0), "a SYN after the handshake: the same 4-tuple");
	is_int(injected_sport(3), injected_sport(0), "and a SYN after that one too");
	run_result_free(&r);
	run_script_free(&s);

	/* A listen() makes the listener the socket under test again: the
	 * next packet without ports opens a new connection. */
	mock_reset();
	sb_init(&s);
	listener(&s);
	handshake(&s, 0);
	sb_sys(&s, "+0", "accept", "i..", fd3, 4, 0, "+0 accept(3, ..., ...) = 4");
	sb_sys(&s, "+0", "listen", "ii", fd3, 0, 0, "+0 listen(3, 1) = 0");
	p = sb_pkt(&s, "+0", false, SYN, 0, 0, "+0 < S 0:0(0) win 1000");
	p = sb_pkt(&s, "+0", true, SYN | ACK, 0, 0, "+0 > S. 0:0(0) ack 1");
	p->has_ack = true;
	p->ack = 1;
	mock_on_inject(2, 0, (struct mock_tmpl){ .flags = SYN | ACK, .seq = 7000, .ack = 1 });
	p = sb_pkt(&s, "+0", false, ACK, 1, 0, "+0 < . 1:1(0) ack 1 win 1000");
	p->has_ack = true;
	p->ack = 1;
	run(&s, &r);
	is_int(r.status, RUN_PASS, "listen() again: passes: %s", r.fail.message);
	is_int(injected_sport(2), 48001, "the SYN after listen(): a new remote port");
	is_int(injected_sport(3), 48001, "the ACK after it: that new connection");
	struct synack_segment a;
	synack_seg_parse(mock_record.injected[3], mock_record.injected_len[3], true, &a);
	is_hex(a.ack, 7001, "mapped onto the new connection's ISN");
	run_result_free(&r);
	run_script_free(&s);
}

static bool trace_in_time_order(const struct run_trace *t)
{
	for (size_t i = 1; i < t->n; i++)
		if (t->v[i].time_us < t->v[i - 1].time_us)
			return false;
	return true;
}

static size_t trace_find(const struct run_trace *t, const char *prefix)
{
	for (size_t i = 0; i < t->n; i++)
		if (strncmp(t->v[i].text, prefix, strlen(prefix)) == 0)
			return i;
	return (size_t)-1;
}

/* On a real-time stack calls and injections take time: a call is stamped
 * when it was made and a packet when it was sent, so a packet a write()
 * sends comes after the write in the trace, at a later time, although the
 * write returned after it was sent. */
static void test_causal_trace(void)
{
	struct run_script s;
	struct run_result r;
	static const long long w4[] = { 4, 10 };
	base(&s);
	mock_spec.inject_takes_us = 300;
	sb_sys(&s, "+0", "accept", "i..", fd3, 4, 0, "+0 accept(3, ..., ...) = 4");
	sb_sys(&s, "+0", "write", "i.i", w4, 10, 0, "+0 write(4, ..., 10) = 10");
	mock_call(4, 10, 0, 0);
	mock_spec.calls[4].takes_us = 500;
	mock_on_call(4, 100,
	             (struct mock_tmpl){ .flags = ACK | PSH,
	                                 .seq = ISN + 1,
	                                 .ack = 1,
	                                 .len = 10,
	                                 .lport = 8080,
	                                 .rport = 48000 });
	struct run_pkt *p = sb_pkt(&s, "+0", true, ACK | PSH, 1, 10, "+0 > P. 1:11(10) ack 1");
	p->has_ack = true;
	p->ack = 1;
	run(&s, &r);
	is_int(r.status, RUN_PASS, "causal trace: passes: %s", r.fail.message);
	size_t syn = trace_find(&r.trace, "S 0:0(0)"), synack = trace_find(&r.trace, "S. ");
	size_t wr = trace_find(&r.trace, "write("), data = trace_find(&r.trace, "P. ");
	ok(syn < synack && synack < r.trace.n, "the SYN before its SYN-ACK");
	ok(synack < r.trace.n && r.trace.v[syn].time_us <= r.trace.v[synack].time_us,
	   "an inbound packet is stamped when injected, not after the injection returned");
	ok(wr < data && data < r.trace.n, "the write before the packet it sent");
	ok(data < r.trace.n && r.trace.v[wr].time_us < r.trace.v[data].time_us,
	   "the write stamped when made (%.6f), its packet when sent (%.6f)",
	   wr < r.trace.n ? (double)r.trace.v[wr].time_us / 1e6 : -1.0,
	   data < r.trace.n ? (double)r.trace.v[data].time_us / 1e6 : -1.0);
	ok(trace_in_time_order(&r.trace), "the whole trace in time order");
	run_result_free(&r);
	run_script_free(&s);
}

/* An injection that takes longer than the tolerance on a loaded machine
 * while the stack answers at once: `+0 > S.` counts from when the SYN was
 * injected, not from when the injection returned. */
static void test_relative_to_issue(void)
{
	struct run_script s;
	mock_reset();
	sb_init(&s);
	listener(&s);
	handshake(&s, 0);
	mock_spec.inject_takes_us = 6000;
	passes(&s, "an answer during a 6 ms injection is on time");

	/* And a packet sent 0.1 s after a write that took 6 ms to return:
	 * `+.1` counts from when the write was made. */
	static const long long w4[] = { 4, 10 };
	base(&s);
	sb_sys(&s, "+0", "accept", "i..", fd3, 4, 0, "+0 accept(3, ..., ...) = 4");
	sb_sys(&s, "+0", "write", "i.i", w4, 10, 0, "+0 write(4, ..., 10) = 10");
	mock_call(4, 10, 0, 0);
	mock_spec.calls[4].takes_us = 6000;
	mock_on_call(4, 100000,
	             (struct mock_tmpl){ .flags = ACK | PSH,
	                                 .seq = ISN + 1,
	                                 .ack = 1,
	                                 .len = 10,
	                                 .lport = 8080,
	                                 .rport = 48000 });
	struct run_pkt *p = sb_pkt(&s, "+.1", true, ACK | PSH, 1, 10, "+.1 > P. 1:11(10) ack 1");
	p->has_ack = true;
	p->ack = 1;
	s.cfg.tolerance_percent = 0;
	passes(&s, "+.1 after a call counts from when it was made");
}

/* A packet sent inside its window but handed over after the window closed
 * (a loaded machine's capture lag) is on time: its timestamp says so. */
static void test_capture_lag(void)
{
	struct run_script s;
	mock_reset();
	sb_init(&s);
	listener(&s);
	handshake(&s, 1000);
	mock_spec.r[0].lag_us = 6000;
	passes(&s, "sent 1 ms after, handed over 7 ms after: on time");

	mock_reset();
	sb_init(&s);
	listener(&s);
	handshake(&s, 5000);
	mock_spec.r[0].lag_us = 1000;
	{
		struct run_result r;
		run(&s, &r);
		is_str(r.fail.message, "missing outbound packet",
		       "sent 5 ms after: late, lag or not");
		is_int(r.fail.actual_us, 5000, "with the time it was sent");
		run_result_free(&r);
		run_script_free(&s);
	}
}

static void test_timeout(void)
{
	struct run_script s;
	mock_reset();
	sb_init(&s);
	s.cfg.timeout_s = 0.2;
	mock_spec.hang = true;
	struct run_pkt *p = sb_pkt(&s, "+1", true, SYN | ACK, 0, 0, "+1 > S. 0:0(0) ack 1");
	(void)p;
	fails_with(&s, "timeout: the script ran longer than 0 s of wall time", "wall-clock limit");
}

static void test_misc(void)
{
	struct run_script s;
	struct run_result r;

	mock_reset();
	sb_init(&s);
	struct run_event *e = sb_event(&s, "0", RUN_EV_UNSUPPORTED, "0 splice(3, 4) = 0");
	e->unsupported = "syscall splice";
	fails_with(&s, "unsupported: syscall splice", "unsupported construct");

	mock_reset();
	sb_init(&s);
	mock_spec.fail_start_skip = true;
	listener(&s);
	run(&s, &r);
	is_int(r.status, RUN_SKIP, "a stack that cannot run here skips");
	is_str(r.skip_reason, "mock cannot run here", "with its reason");
	run_result_free(&r);
	run_script_free(&s);

	base(&s);
	sb_sys(&s, "+0", "accept", "i..", fd3, 4, 0, "+0 accept(3, ..., ...) = 4");
	e = sb_event(&s, "+0", RUN_EV_CODE, "%{ assert tcpi_state == TCP_ESTABLISHED }%");
	e->command = "assert tcpi_state == TCP_ESTABLISHED";
	passes(&s, "%{ assert }% that holds");

	base(&s);
	sb_sys(&s, "+0", "accept", "i..", fd3, 4, 0, "+0 accept(3, ..., ...) = 4");
	e = sb_event(&s, "+0", RUN_EV_CODE, "%{ assert tcpi_snd_cwnd > 10 }%");
	e->command = "assert tcpi_snd_cwnd > 10";
	fails_with(&s, "assertion failed: assert tcpi_snd_cwnd > 10 (tcpi_snd_cwnd = 10)",
	           "%{ assert }% that fails");

	mock_reset();
	sb_init(&s);
	e = sb_event(&s, "0", RUN_EV_COMMAND, "0 `ip link set dev lo up`");
	e->command = "ip link set dev lo up";
	fails_with(&s, "unsupported: command `ip link set dev lo up` on stack mock",
	           "commands the stack cannot run");
}

/* An ICMP error quotes the stack's segment, seq mapped onto its ISN. */
static void test_icmp(void)
{
	struct run_script s;
	base(&s);
	struct run_pkt *p = sb_pkt(&s, "+0", false, 0, 1, 1460,
	                           "+0 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]");
	p->proto = RUN_PROTO_ICMP;
	p->icmp_type = 3;
	p->icmp_code = 4;
	p->has_mtu = true;
	p->mtu = 1200;
	struct run_result r;
	run(&s, &r);
	is_int(r.status, RUN_PASS, "ICMP injected: %s", r.fail.message);
	const uint8_t *b = mock_record.injected[2];
	size_t len = mock_record.injected_len[2];
	is_int(len, 20 + 8 + 40, "IP + ICMP header + quoted IP and TCP headers");
	is_int(b[9], 1, "protocol ICMP");
	is_int(b[20], 3, "type 3 (unreachable)");
	is_int(b[21], 4, "code 4 (fragmentation needed)");
	is_int(b[26] << 8 | b[27], 1200, "next-hop MTU");
	is_hex(run_csum_fold(run_csum_add(0, b + 20, len - 20)), 0xffff, "ICMP checksum valid");
	const uint8_t *t = b + 28 + 20;
	uint32_t seq = (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
	is_hex(seq, ISN + 1, "quoted seq relative to the stack's ISN");
	is_int(t[0] << 8 | t[1], 8080, "quoted segment from the stack's port");
	run_result_free(&r);
	run_script_free(&s);
}

static void test_annotations(void)
{
	struct run_script s;
	sb_init(&s);
	run_script_scan_annotations(&s, "// purpose\n"
	                                "// @stacks: engine linux\n"
	                                "  // @requirement: RFC9293 MUST-1\n"
	                                "// @divergence: engine:rfc RFC timers differ\n"
	                                "// @divergence: linux kernel quirk\n"
	                                "0 socket(..., SOCK_STREAM, 0) = 3\n");
	ok(run_script_for_stack(&s, "engine"), "@stacks names engine");
	ok(run_script_for_stack(&s, "engine:rfc"), "a stack covers its profiles");
	ok(!run_script_for_stack(&s, "so"), "a stack not named is skipped");
	is_str(s.requirement, "RFC9293 MUST-1", "@requirement");
	ok(run_script_divergence(&s, "engine") == NULL,
	   "a profile's divergence is not the stack's");
	is_str(run_script_divergence(&s, "engine:rfc"), "RFC timers differ", "profile divergence");
	is_str(run_script_divergence(&s, "linux"), "kernel quirk", "stack divergence");
	run_script_free(&s);
}

/* Observing (compare, record), a blocking call that returns after its
 * window but within one tolerance after the script's last event is still
 * in the trace: Linux's connect refused a moment after the RST that the
 * script's last line injected (handshake/rst-in-syn-sent.pkt). */
static void test_observe_late_return(void)
{
	struct run_script s;
	struct run_result r;
	mock_reset();
	sb_init(&s);
	listener(&s);
	sb_sys(&s, "+0...0.1", "accept", "i..", fd3, 4, 0, "+0...0.1 accept(3, ..., ...) = 4");
	/* Returns at 0.1135: after its window (0.1 + 12.5 % of 0.1 s = 0.1125). */
	mock_call(3, 4, 0, 113500);
	handshake(&s, 0);
	struct run_pkt *p = sb_pkt(&s, "+.01", false, ACK, 1, 0, "+.01 < . 1:1(0) ack 1 win 257");
	p->has_ack = true;
	p->ack = 1;
	p->has_win = true;
	p->win = 257; /* the script's last event, at 0.110 */
	struct run_options o = { .observe = true };
	run_execute_opts(&s, &mock_stack_ops, NULL, &o, &r);
	bool returned = false;
	for (size_t i = 0; i < r.trace.n; i++)
		if (r.trace.v[i].kind == RUN_OBS_RETURN && strstr(r.trace.v[i].text, "accept(") &&
		    strstr(r.trace.v[i].text, "= 4"))
			returned = r.trace.v[i].time_us == 113500;
	ok(returned, "the late return is in the trace, at 0.1135");
	run_result_free(&r);
	run_script_free(&s);
}

/* A SYN to a listener listen()ed on again is a new incarnation even on
 * ports the script used before: packetdrill gives it a new socket, which
 * learns both ISNs afresh (compatibility X4). */
static void test_reused_ports_new_incarnation(void)
{
	struct run_script s;
	struct run_result r;
	mock_reset();
	sb_init(&s);
	listener(&s);
	for (int i = 0; i < 2; i++) {
		if (i)
			sb_sys(&s, "+0", "listen", "ii", fd3, 0, 0, "+0 listen(3, 1) = 0");
		uint32_t peer = i ? 5000 : 0;
		struct run_pkt *p = sb_pkt(&s, "+0", false, SYN, peer, 0, "+0 < 40001>8080 S");
		p->has_ports = true;
		p->sport = 40001;
		p->dport = 8080;
		p = sb_pkt(&s, "+0", true, SYN | ACK, 0, 0, "+0 > S. 0:0(0) ack N");
		p->has_ack = true;
		p->ack = peer + 1;
		mock_on_inject(2 * i, 0,
		               (struct mock_tmpl){ .flags = SYN | ACK,
		                                   .seq = i ? 7000 : ISN,
		                                   .ack = peer + 1,
		                                   .rport = 40001 });
		p = sb_pkt(&s, "+0", false, ACK, 1, 0, "+0 < 40001>8080 . 1:1(0) ack 1");
		p->has_ports = true;
		p->sport = 40001;
		p->dport = 8080;
		p->has_ack = true;
		p->ack = 1;
	}
	run(&s, &r);
	is_int(r.status, RUN_PASS, "listen() again, same ports: passes: %s", r.fail.message);
	struct synack_segment g;
	synack_seg_parse(mock_record.injected[3], mock_record.injected_len[3], true, &g);
	is_uint(g.seq, 5001, "the peer's new ISN");
	is_hex(g.ack, 7001, "the stack's new ISN");
	run_result_free(&r);
	run_script_free(&s);
}

/* packetdrill numbers a packet with SYN absolutely and every other one
 * from the ISNs: the peer's from the SYN that opened the connection, the
 * stack's from its SYN-ACK on the wire, whatever seq the script wrote for
 * that SYN-ACK (compatibility X3). */
static void test_nonzero_isns(void)
{
	struct run_script s;
	struct run_result r;
	mock_reset();
	sb_init(&s);
	listener(&s);
	struct run_pkt *p = sb_pkt(&s, "+0", false, SYN, 999000, 0, "+0 < S 999000:999000(0)");
	p = sb_pkt(&s, "+0", true, SYN | ACK, 1234, 0, "+0 > S. 1234:1234(0) ack 999001");
	p->has_ack = true;
	p->ack = 999001;
	mock_on_inject(0, 0, (struct mock_tmpl){ .flags = SYN | ACK, .seq = ISN, .ack = 999001 });
	p = sb_pkt(&s, "+0", false, ACK, 1, 0, "+0 < . 1:1(0) ack 1");
	p->has_ack = true;
	p->ack = 1;
	p = sb_pkt(&s, "+0", false, ACK | PSH, 1, 10, "+0 < P. 1:11(10) ack 1");
	p->has_ack = true;
	p->ack = 1;
	p = sb_pkt(&s, "+0", true, ACK, 1, 0, "+0 > . 1:1(0) ack 11");
	p->has_ack = true;
	p->ack = 11;
	mock_on_inject(2, 0, (struct mock_tmpl){ .flags = ACK, .seq = ISN + 1, .ack = 999011 });
	run(&s, &r);
	is_int(r.status, RUN_PASS, "nonzero ISNs: passes: %s", r.fail.message);
	struct synack_segment g;
	synack_seg_parse(mock_record.injected[0], mock_record.injected_len[0], true, &g);
	is_uint(g.seq, 999000, "the SYN's seq as written");
	synack_seg_parse(mock_record.injected[1], mock_record.injected_len[1], true, &g);
	is_uint(g.seq, 999001, "the next seq relative to the SYN's");
	is_hex(g.ack, ISN + 1, "ack 1 is the stack's ISN + 1, not relative to the script's 1234");
	synack_seg_parse(mock_record.injected[2], mock_record.injected_len[2], true, &g);
	is_uint(g.seq, 999001, "data relative to the SYN's seq");
	run_result_free(&r);
	run_script_free(&s);
}

/* packetdrill's segment model joins packets (docs/compatibility.md, K):
 * with --segments=tso, a `> P. 1:10001(10000)` line takes the five 2000-byte
 * TSO skbs Linux sends for cwnd 10, as packetdrill without --strict_segments
 * reads them. The parts must continue one another, every part but the last
 * as long as the one before; the joined packet has the last part's flags.
 * Here a 200-byte line, so the mock's packets stay small. */
static void join_script(struct run_script *s, const uint32_t *lens, int n, int bad_ack_at)
{
	static const long long w4[] = { 4, 200 };
	base(s);
	sb_sys(s, "+0", "accept", "i..", fd3, 4, 0, "+0 accept(3, ..., ...) = 4");
	sb_sys(s, "+0", "write", "i.i", w4, 200, 0, "+0 write(4, ..., 200) = 200");
	mock_call(4, 200, 0, 0);
	uint32_t at = 1;
	for (int i = 0; i < n; i++) {
		mock_on_call(4, 100 + (uint64_t)i,
		             (struct mock_tmpl){ .flags = (uint8_t)(i == n - 1 ? ACK | PSH : ACK),
		                                 .seq = ISN + at,
		                                 .ack = i == bad_ack_at ? 2 : 1,
		                                 .len = lens[i],
		                                 .lport = 8080,
		                                 .rport = 48000 });
		at += lens[i];
	}
	struct run_pkt *p = sb_pkt(s, "+0", true, ACK | PSH, 1, 200, "+0 > P. 1:201(200) ack 1");
	p->has_ack = true;
	p->ack = 1;
	s->cfg.tso_segments = true;
}

static void test_join_parts(void)
{
	static const uint32_t fifths[] = { 40, 40, 40, 40, 40 };
	static const uint32_t halves[] = { 100, 100 };
	static const uint32_t ragged[] = { 40, 20, 140 };
	static const uint32_t short_last[] = { 60, 60, 60, 20 };
	struct run_script s;
	struct run_result r;

	join_script(&s, fifths, 5, -1);
	run(&s, &r);
	is_int(r.status, RUN_PASS, "five skbs are one line: %s", r.fail.message);
	int parts = 0;
	for (size_t i = 0; i < r.trace.n; i++)
		if (r.trace.v[i].kind == RUN_OBS_OUTBOUND && strstr(r.trace.v[i].text, "(40)"))
			parts += r.trace.v[i].line == s.events[s.n_events - 1].line;
	is_int(parts, 5, "each part stays in the trace, as the line's");
	run_result_free(&r);
	run_script_free(&s);

	join_script(&s, halves, 2, -1);
	passes(&s, "two skbs of half the line (the half-cwnd cap)");
	join_script(&s, short_last, 4, -1);
	passes(&s, "the last part may be shorter");

	join_script(&s, fifths, 5, -1);
	s.cfg.strict_segments = true;
	fails_with(&s, "outbound packet: flags: expected P., got .",
	           "--strict_segments reads one packet per line");
	join_script(&s, fifths, 5, -1);
	s.cfg.tso_segments = false;
	fails_with(&s, "outbound packet: flags: expected P., got .",
	           "the wire model reads one packet per line");
	join_script(&s, ragged, 3, -1);
	fails_with(&s,
	           "outbound packet: flags: expected P., got . (joining: 40 of 200 "
	           "bytes came in 1 packets; the next is shorter or longer than the one before)",
	           "a middle part of another length");
	join_script(&s, fifths, 5, 2);
	fails_with(&s,
	           "outbound packet: flags: expected P., got . (joining: 80 of 200 "
	           "bytes came in 2 packets; the next acks something else)",
	           "a part with another ack");
	join_script(&s, fifths, 4, -1);
	fails_with(&s,
	           "outbound packet: flags: expected P., got . (joining: 160 of 200 "
	           "bytes came in 4 packets, then no more)",
	           "too few parts");
}

int main(void)
{
	test_trace_shows_script_descriptors();
	test_annotations();
	test_icmp();
	test_passive_open();
	test_stack_fault();
	test_fields();
	test_timestamps();
	test_ts_val();
	test_ts_val_late();
	test_tolerance();
	test_unexpected_and_missing();
	test_calls();
	test_observe_late_return();
	test_connections();
	test_syn_on_existing_connection();
	test_nonzero_isns();
	test_reused_ports_new_incarnation();
	test_causal_trace();
	test_relative_to_issue();
	test_capture_lag();
	test_join_parts();
	test_timeout();
	test_misc();
	done_testing();
}
