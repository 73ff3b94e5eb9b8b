/* synack record: a script with missing or wrong outbound lines and wrong
 * results, recorded on the engine, then passes on the engine; comments and
 * layout survive. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare/compare.h"
#include "record/record.h"
#include "run/run.h"
#include "tap.h"

static char tmpdir[] = "/tmp/synack-record-XXXXXX";

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* Records `text` on the engine; returns the recorded script (malloc'd). */
static char *record(const char *name, const char *text, struct record_stats *st)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	write_file(path, text);
	struct script_load_opts lo = { 0 };
	struct run_script rs;
	char *msg = NULL;
	if (script_load(path, &lo, &rs, &msg) < 0) {
		tap_diag("%s", msg ? msg : "load");
		free(msg);
		return NULL;
	}
	free(msg);
	struct cmp_stack stack;
	char why[200];
	cmp_stack_parse("engine", &stack, why, sizeof why);
	struct run_result res;
	cmp_run(&rs, &stack, &res);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	record_rewrite(text, strlen(text), &rs, &res, f, st);
	fclose(f);
	run_result_free(&res);
	run_script_free(&rs);
	return out;
}

/* Runs `text` on the engine, enforcing: RUN_PASS or the failure. */
static bool passes(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	write_file(path, text);
	struct script_load_opts lo = { 0 };
	struct run_script rs;
	char *msg = NULL;
	if (script_load(path, &lo, &rs, &msg) < 0) {
		tap_diag("%s", msg ? msg : "load");
		free(msg);
		return false;
	}
	free(msg);
	struct run_result res;
	run_execute(&rs, &stack_engine_ops, NULL, &res);
	bool ok = res.status == RUN_PASS;
	if (!ok)
		tap_diag("line %d: %s; expected %s; actual %s", res.fail.line, res.fail.message,
		         res.fail.expected, res.fail.actual);
	run_result_free(&res);
	run_script_free(&rs);
	return ok;
}

static const char missing[] = "// A passive open and a write, with no outbound line written yet.\n"
                              "`sysctl -q net.ipv4.tcp_timestamps=0`\n"
                              "`sysctl -q net.ipv4.tcp_rmem=\"4096 131072 6291456\"`\n"
                              "\n"
                              "0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                              "+0    setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"
                              "+0    bind(3, ..., ...) = 0\n"
                              "+0    listen(3, 1) = 0\n"
                              "\n"
                              "+0    < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop,nop,wscale 7>\n"
                              "// the SYN-ACK goes here\n"
                              "+.1   < . 1:1(0) ack 1 win 257\n"
                              "+0    accept(3, ..., ...) = 4\n"
                              "+0    write(4, ..., 100) = 100   // one segment\n"
                              "+1.5  < . 1:1(0) ack 101 win 257\n";

static void test_missing(void)
{
	ok(!passes("missing.pkt", missing), "as written, the script fails");
	struct record_stats st;
	char *out = record("missing.pkt", missing, &st);
	if (!ok(out != NULL, "recorded"))
		return;
	tap_diag("recorded:\n%s", out);
	ok(st.inserted >= 3, "packets inserted: %d (SYN-ACK, data, its retransmissions)",
	   st.inserted);
	ok(strstr(out, "+0    > S. 0:0(0) ack 1 win 64240 <mss 1460,nop,nop,sackOK,nop,wscale 7>\n"
	               "+.1   < . 1:1(0) ack 1 win 257\n") != NULL,
	   "the SYN-ACK where it was sent, the next line's time kept");
	ok(strstr(out, "// the SYN-ACK goes here\n") != NULL, "comments kept");
	ok(strstr(out, "+0    write(4, ..., 100) = 100   // one segment\n") != NULL,
	   "a trailing comment kept");
	ok(strstr(out, "+0    > P. 1:101(100) ack 1 win 502\n") != NULL, "the data segment");
	/* RFC 6298 §2.2: the 100 ms handshake sample gives RTO = 100 ms +
	 * max(4 * 50 ms, rto_min) = 300 ms (Linux: tcp_rtt_estimator). With
	 * SACK, the tail loss probe comes first, capped at that RTO (RFC 8985
	 * §7.2, one segment out); the RTO restarts from it, then doubles
	 * (§5.5). The ACK keeps its absolute time, 1.5 s. */
	ok(strstr(out, "+0    > P. 1:101(100) ack 1 win 502\n"
	               "+0.3  > P. 1:101(100) ack 1 win 502\n"
	               "+0.3  > P. 1:101(100) ack 1 win 502\n"
	               "+0.6  > P. 1:101(100) ack 1 win 502\n"
	               "+0.3  < . 1:1(0) ack 101 win 257\n") != NULL,
	   "the probe at the RTO (300 ms), the RTO 300 ms after it, then 600 ms; the ACK re-timed");
	ok(passes("missing-recorded.pkt", out), "the recorded script passes");
	free(out);
}

static const char wrong[] = "`sysctl -q net.ipv4.tcp_rmem=\"4096 131072 6291456\"`\n"
                            "0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                            "+0    setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"
                            "+0    bind(3, ..., ...) = 0\n"
                            "+0    listen(3, 1) = 0\n"
                            "+0    < S 0:0(0) win 65535 <mss 1460>\n"
                            "+0    > S. 0:0(0) ack 1 win 1000 <mss 536>\n"
                            "+.1   < . 1:1(0) ack 1 win 257\n"
                            "+0    accept(3, ..., ...) = 9\n"
                            "+0    getsockopt(4, SOL_SOCKET, SO_RCVBUF, [1], [4]) = 0\n"
                            "+0    getsockopt(4, SOL_TCP, TCP_CONGESTION, \"reno\", [16]) = 0\n"
                            "+0    fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
                            "+0    read(4, ..., 10) = 10\n"
                            "+0    > . 1:1(0) ack 1\n"
                            "+0    close(4) = 0\n"
                            "+0    > F. 1:1(0) ack 1 win 64240\n";

static void test_wrong(void)
{
	ok(!passes("wrong.pkt", wrong), "as written, the script fails");
	struct record_stats st;
	char *out = record("wrong.pkt", wrong, &st);
	if (!ok(out != NULL, "recorded"))
		return;
	tap_diag("recorded:\n%s", out);
	ok(strstr(out, "+0    > S. 0:0(0) ack 1 win 64240 <mss 1460>\n") != NULL,
	   "the wrong SYN-ACK replaced by what was sent");
	ok(strstr(out, "+0    read(4, ..., 10) = -1 EAGAIN (Resource temporarily unavailable)\n"),
	   "the read's result is the observed one");
	ok(strstr(out, "getsockopt(4, SOL_SOCKET, SO_RCVBUF, [1],") == NULL &&
	       strstr(out, "+0    getsockopt(4, SOL_SOCKET, SO_RCVBUF, [") != NULL,
	   "an integer getsockopt value: the stack's");
	ok(strstr(out, "+0    getsockopt(4, SOL_TCP, TCP_CONGESTION, \"cubic\", [16]) = 0\n"),
	   "a string getsockopt value: the stack's");
	ok(strstr(out, "// record: not sent: +0    > . 1:1(0) ack 1\n") != NULL,
	   "a packet never sent: its line commented out");
	is_int(st.removed, 1, "one line commented out");
	ok(strstr(out, "> F. 1:1(0) ack 1 win 64240\n") != NULL, "the FIN as sent");
	ok(passes("wrong-recorded.pkt", out), "the recorded script passes");
	free(out);
}

/* A real stack: its own descriptor numbers (Linux: 5 and 6 where the
 * script says 3 and 4) and a few microseconds of latency on what it sends.
 * A script that passes there is written back as it was. */
static const char passing[] = "`sysctl -q net.ipv4.tcp_timestamps=0`\n"
                              "`sysctl -q net.ipv4.tcp_rmem=\"4096 131072 6291456\"`\n"
                              "0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                              "+0    bind(3, ..., ...) = 0\n"
                              "+0    listen(3, 1) = 0\n"
                              "+0    < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop,nop,wscale 7>\n"
                              "+0    > S. 0:0(0) ack 1 win 64240 <mss 1460,nop,nop,sackOK,nop,"
                              "wscale 7>\n"
                              "+.1   < . 1:1(0) ack 1 win 257\n"
                              "+0    accept(3, ..., ...) = 4\n"
                              "+0    write(4, ..., 100) = 100\n"
                              "+0    > P. 1:101(100) ack 1 win 502\n"
                              "+.1   < . 1:1(0) ack 101 win 257\n"
                              "+0    socket(..., SOCK_STREAM, IPPROTO_TCP) = ...\n";

static void renumber(struct run_obs *o, const char *call, const char *from, const char *to)
{
	size_t l = strlen(o->text), lf = strlen(from);
	if (strncmp(o->text, call, strlen(call)) == 0 && l > lf &&
	    strcmp(o->text + l - lf, from) == 0)
		snprintf(o->text + l - lf, sizeof o->text - (l - lf), "%s", to);
}

static void test_real_stack(void)
{
	char path[256];
	snprintf(path, sizeof path, "%s/passing.pkt", tmpdir);
	write_file(path, passing);
	struct script_load_opts lo = { 0 };
	struct run_script rs;
	char *msg = NULL;
	if (!ok(script_load(path, &lo, &rs, &msg) == 0, "loaded")) {
		free(msg);
		return;
	}
	free(msg);
	struct cmp_stack stack;
	char why[200];
	cmp_stack_parse("engine", &stack, why, sizeof why);
	struct run_result res;
	cmp_run(&rs, &stack, &res);
	int shifted = 0, renumbered = 0;
	for (size_t i = 0; i < res.trace.n; i++) {
		struct run_obs *o = &res.trace.v[i];
		char before[256];
		snprintf(before, sizeof before, "%s", o->text);
		if (o->kind == RUN_OBS_OUTBOUND) {
			o->time_us += 41;
			shifted++;
		}
		renumber(o, "socket(", "= 3", "= 5");
		renumber(o, "accept(", "= 4", "= 6");
		renumber(o, "socket(", "= 5", "= 7");
		renumbered += strcmp(before, o->text) != 0;
	}
	ok(shifted == 2 && renumbered == 3, "the trace made Linux-like (%d packets late, %d fds)",
	   shifted, renumbered);
	char *out = NULL;
	size_t len = 0;
	struct record_stats st;
	FILE *f = open_memstream(&out, &len);
	record_rewrite(passing, strlen(passing), &rs, &res, f, &st);
	fclose(f);
	tap_diag("recorded:\n%s", out);
	const char *last = strstr(passing, "+0    socket(..., SOCK_STREAM, IPPROTO_TCP) = ...");
	ok(strncmp(out, passing, (size_t)(last - passing)) == 0,
	   "descriptors as the script numbers them, latency within the tolerance: unchanged");
	ok(strstr(out, "+0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 5\n") != NULL,
	   "a descriptor the script left open: the next after the script's own");
	is_int(st.retimed, 0, "no time rewritten");
	free(out);
	/* The data segment 310.822 ms late: written to the millisecond. */
	for (size_t i = 0; i < res.trace.n; i++)
		if (res.trace.v[i].kind == RUN_OBS_OUTBOUND && strstr(res.trace.v[i].text, "P."))
			res.trace.v[i].time_us += 310822;
	f = open_memstream(&out, &len);
	record_rewrite(passing, strlen(passing), &rs, &res, f, &st);
	fclose(f);
	ok(strstr(out, "+0    write(4, ..., 100) = 100\n+0.311 > P. 1:101(100) ack 1 win 502\n"),
	   "beyond the tolerance: re-timed, to the millisecond");
	is_int(st.retimed, 1, "one time rewritten");
	free(out);
	run_result_free(&res);
	run_script_free(&rs);
}

/* Timestamps: the stack's TSvals are written in the script's numbering (the
 * SYN-ACK's TS val 1000 is the origin), so the recorded script replays; a
 * TCP_INFO getsockopt takes the values the stack reported. */
static const char stamped[] =
    "`sysctl -q net.ipv4.tcp_rmem=\"4096 131072 6291456\"`\n"
    "0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
    "+0    setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"
    "+0    bind(3, ..., ...) = 0\n"
    "+0    listen(3, 1) = 0\n"
    "+0    < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>\n"
    "+0    > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 1000 ecr 100,nop,wscale 7>\n"
    "+.1   < . 1:1(0) ack 1 win 257 <nop,nop,TS val 200 ecr 1000>\n"
    "+0    accept(3, ..., ...) = 4\n"
    "+0    getsockopt(4, SOL_TCP, TCP_INFO, {tcpi_snd_mss=1, tcpi_state=TCP_ESTABLISHED}, "
    "[256]) = 0\n"
    "+.2   write(4, ..., 100) = 100\n"
    "+0    > P. 1:101(100) ack 1 <...>\n"
    "+.1   < . 1:1(0) ack 101 win 257 <nop,nop,TS val 300 ecr 1300>\n";

static void test_timestamps(void)
{
	ok(!passes("stamped.pkt", stamped), "as written, the script fails");
	struct record_stats st;
	char *out = record("stamped.pkt", stamped, &st);
	if (!ok(out != NULL, "recorded"))
		return;
	tap_diag("recorded:\n%s", out);
	ok(strstr(out, "TS val 1000 ecr 100,nop,wscale 7>\n") != NULL,
	   "the SYN-ACK's TSval as the script numbers it");
	ok(strstr(out, "+0    > P. 1:101(100) ack 1 win 510 <nop,nop,TS val 1300 ecr 200>\n") !=
	       NULL,
	   "the data's TSval 300 ms later: 1300");
	ok(strstr(out, "TCP_INFO, {tcpi_snd_mss=1448, tcpi_state=1}, [256]) = 0\n") != NULL,
	   "TCP_INFO fields as the stack reported them");
	ok(passes("stamped-recorded.pkt", out), "the recorded script passes");
	free(out);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		tap_bail("mkdtemp");
	test_missing();
	test_wrong();
	test_real_stack();
	test_timestamps();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", tmpdir);
	return tap_done();
}
