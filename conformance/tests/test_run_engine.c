/* End to end on the engine stack: script text -> parser -> executor ->
 * engine in virtual time. Scripts that must pass, scripts that must fail
 * with an exact report, unsupported constructs, and the wall time of a
 * 60 s TIME_WAIT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lang/ast.h"
#include "run/from_ast.h"
#include "run/report.h"
#include "run/run.h"
#include "stacks/stack.h"
#include "tap.h"

static void free_ast(void *ast)
{
	script_free(ast);
}

/* Parses `text` and runs it on the engine; returns -1 if it does not parse. */
static int run_text(const char *name, const char *text, const char *profile, struct run_result *r)
{
	struct diag_list diags;
	struct script *ast = NULL;
	diag_list_init(&diags);
	if (lang_parse_buffer(name, text, strlen(text), NULL, &ast, &diags) < 0) {
		diag_list_print(stderr, &diags);
		diag_list_free(&diags);
		return -1;
	}
	diag_list_free(&diags);
	struct run_script s;
	memset(&s, 0, sizeof s);
	run_config_defaults(&s.cfg);
	char why[256];
	if (run_from_ast(ast, &s, why, sizeof why) < 0) {
		tap_diag("%s", why);
		script_free(ast);
		return -1;
	}
	s.owner = ast;
	s.owner_free = free_ast;
	run_execute(&s, &stack_engine_ops, profile, r);
	run_script_free(&s);
	return 0;
}

#define LISTEN                                                             \
	"`sysctl -q net.ipv4.tcp_timestamps=0`\n"                          \
	"`sysctl -q net.ipv4.tcp_rmem=\"4096 131072 6291456\"`\n"          \
	"0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"                    \
	"+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"         \
	"+0 bind(3, ..., ...) = 0\n"                                       \
	"+0 listen(3, 1) = 0\n"                                            \
	"+0 < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop,nop,wscale 7>\n" \
	"+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>\n"    \
	"+.1 < . 1:1(0) ack 1 win 257\n"                                   \
	"+0 accept(3, ..., ...) = 4\n"

static void expect_pass(const char *what, const char *text)
{
	struct run_result r;
	if (!ok(run_text("e2e.pkt", text, NULL, &r) == 0, "%s: parses", what))
		return;
	if (!is_int(r.status, RUN_PASS, "%s: passes", what))
		run_report_human(stderr, &r);
	run_result_free(&r);
}

static void test_passing(void)
{
	expect_pass("handshake and accept", LISTEN);
	expect_pass("data both ways", LISTEN "+0 < P. 1:11(10) ack 1 win 257\n"
	                                     "+0 > . 1:1(0) ack 11\n"
	                                     "+0 read(4, ..., 100) = 10\n"
	                                     "+0 write(4, ..., 20) = 20\n"
	                                     "+0 > P. 1:21(20) ack 11\n"
	                                     "+.01 < . 11:11(0) ack 21 win 257\n");
	expect_pass("a blocking read returns when data arrives",
	            LISTEN "+0...0.2 read(4, ..., 100) = 5\n"
	                   "+.2 < P. 1:6(5) ack 1 win 257\n"
	                   "+0 > . 1:1(0) ack 6\n");
	expect_pass("%{ assert }% on the engine's TCP_INFO", LISTEN
	            "+0 %{ assert tcpi_state == TCP_ESTABLISHED and tcpi_snd_mss == 1460 }%\n");
	expect_pass("getsockopt(TCP_INFO) fields", LISTEN
	            "+0 getsockopt(4, SOL_TCP, TCP_INFO, {tcpi_state=TCP_ESTABLISHED}, [256]) "
	            "= 0\n");
	expect_pass("epoll: a blocking epoll_wait on a listener returns with the connection",
	            "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
	            "+0 bind(3, ..., ...) = 0\n"
	            "+0 listen(3, 1) = 0\n"
	            "+0 epoll_create(1) = 5\n"
	            "+0 epoll_ctl(5, EPOLL_CTL_ADD, 3, {events=EPOLLIN, fd=3}) = 0\n"
	            "+0 epoll_wait(5, {events=EPOLLIN, fd=3}, 1, 0) = 0\n"
	            "+0...0.1 epoll_wait(5, {events=EPOLLIN, fd=3}, 1, 1000) = 1\n"
	            "+.1 < S 0:0(0) win 65535 <mss 1460>\n"
	            "+0 > S. 0:0(0) ack 1 <...>\n"
	            "+0 < . 1:1(0) ack 1 win 257\n"
	            "+0 accept(3, ..., ...) = 4\n"
	            "+0 close(5) = 0\n");
	expect_pass("a poll that times out in virtual time",
	            "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
	            "+0 bind(3, ..., ...) = 0\n"
	            "+0 listen(3, 1) = 0\n"
	            "+0...0.5 poll([{fd=3, events=POLLIN, revents=0}], 1, 500) = 0\n");
	expect_pass("sysctl forms the engine maps onto its profile",
	            "`sysctl -q -w net.ipv4.tcp_sack=0`\n"
	            "`sysctl net.ipv4.tcp_timestamps=0; sysctl -q net.ipv4.tcp_window_scaling=0`\n"
	            "`echo 1 > /proc/sys/net/ipv4/tcp_sack`\n"
	            "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
	            "+0 bind(3, ..., ...) = 0\n"
	            "+0 listen(3, 1) = 0\n"
	            "+0 < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>\n"
	            "+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK>\n");
	expect_pass("interleaved handshakes told apart by explicit ports",
	            "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
	            "+0 bind(3, ..., ...) = 0\n"
	            "+0 listen(3, 2) = 0\n"
	            "+0 < 40001>8080 S 0:0(0) win 65535 <mss 1460>\n"
	            "+0 > 8080>40001 S. 0:0(0) ack 1 <...>\n"
	            "+0 < 40002>8080 S 0:0(0) win 65535 <mss 1460>\n"
	            "+0 > 8080>40002 S. 0:0(0) ack 1 <...>\n"
	            "+0 < 40001>8080 . 1:1(0) ack 1 win 257\n"
	            "+0 < 40002>8080 . 1:1(0) ack 1 win 257\n"
	            "+0 accept(3, ..., ...) = 4\n"
	            "+0 accept(3, ..., ...) = 5\n");
	expect_pass("poll on a listener",
	            "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
	            "+0 bind(3, ..., ...) = 0\n"
	            "+0 listen(3, 1) = 0\n"
	            "+0 poll([{fd=3, events=POLLIN, revents=0}], 1, 0) = 0\n");
}

static void test_failure_report(void)
{
	/* The stack answers the FIN at once; the script wrongly expects the
	 * ACK to acknowledge data that was never sent. */
	struct run_result r;
	const char *text = LISTEN "+0 < F. 1:1(0) ack 1 win 257\n"
	                          "+0 > . 1:1(0) ack 3\n";
	if (!ok(run_text("wrong.pkt", text, NULL, &r) == 0, "wrong script parses"))
		return;
	is_int(r.status, RUN_FAIL, "wrong ack fails");
	is_str(r.fail.message, "outbound packet: ack: expected 3, got 2",
	       "message names the field");
	is_int(r.fail.line, 12, "at the expecting line");
	is_str(r.fail.source, "+0 > . 1:1(0) ack 3", "the line as written");
	is_str(r.fail.expected, "> . 1:1(0) ack 3", "expected in script syntax");
	is_str(r.fail.actual, "> . 1:1(0) ack 2 win 502", "actual in script syntax, relative");
	is_int(r.fail.expected_us, 100000, "expected at 0.1 s");
	is_int(r.fail.actual_us, 100000, "sent at 0.1 s");
	run_result_free(&r);

	text = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
	       "+0 bind(3, ..., ...) = 0\n"
	       "+0 listen(3, 2) = 0\n"
	       "+0 < 40001>8080 S 0:0(0) win 65535 <mss 1460>\n"
	       "+0 > 8080>40003 S. 0:0(0) ack 1 <...>\n";
	run_text("ports.pkt", text, NULL, &r);
	is_str(r.fail.message, "outbound packet: ports: expected 8080>40003, got 8080>40001",
	       "explicit ports are checked on outbound packets");
	run_result_free(&r);

	text = LISTEN "+0 close(4) = 0\n"
	              "+0 > F. 1:1(0) ack 1\n"
	              "+.2 < . 1:1(0) ack 2 win 257\n";
	run_text("late.pkt", text, NULL, &r);
	is_int(r.status, RUN_PASS, "a late ACK of our FIN is fine");
	run_result_free(&r);

	text = LISTEN "+0 close(4) = 0\n"
	              "+.5 > F. 1:1(0) ack 1\n";
	run_text("early.pkt", text, NULL, &r);
	is_str(r.fail.message, "timing error: outbound packet at 0.100000 s, expected 0.600000 s",
	       "a FIN sent 0.5 s before the script's time: timing error");
	run_result_free(&r);
}

static void test_unsupported(void)
{
	struct run_result r;
	run_text("u.pkt", "0 splice(3, 4, 5) = 0\n", NULL, &r);
	is_str(r.fail.message, "unsupported: syscall splice", "unknown syscall");
	run_result_free(&r);

	run_text("u.pkt",
	         "`sysctl -q net.ipv4.tcp_nonsense=1`\n0 socket(..., SOCK_STREAM, 0) = 3\n", NULL,
	         &r);
	is_str(r.fail.message, "unsupported: sysctl net.ipv4.tcp_nonsense on stack engine",
	       "a sysctl the engine does not model");
	run_result_free(&r);

	run_text("u.pkt", "0 `ip link set lo up`\n", NULL, &r);
	is_str(r.fail.message, "unsupported: command `ip link set lo up` on stack engine",
	       "a shell command on the engine");
	run_result_free(&r);

	run_text("u.pkt", "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n`ip link set lo down`\n",
	         NULL, &r);
	is_str(r.fail.message,
	       "unsupported: command `ip link set lo down` on stack engine (cleanup command)",
	       "the cleanup command runs at the end");
	run_result_free(&r);

	run_text("u.pkt", "0 < udp (100)\n", NULL, &r);
	is_str(r.fail.message, "unsupported: udp packets", "a UDP line");
	is_int(r.fail.col, 1, "with its column");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	run_report_human(f, &r);
	fclose(f);
	ok(strncmp(buf, "u.pkt:1:1: unsupported: udp packets\n", 36) == 0,
	   "reported as file:line:col: unsupported: what");
	free(buf);
	run_result_free(&r);
}

/* --outbound=packetdrill (docs/compatibility.md, X1): outbound packets are
 * read only by `>` lines, in order; what comes after the last one is never
 * read. Strict (the default) fails on a packet no line accounts for. */
static void test_outbound_modes(void)
{
	static const char data_then_read[] = LISTEN "+.1 < P. 1:1001(1000) ack 1 win 257\n"
	                                            "+.1 read(4, ..., 1000) = 1000\n";
	struct run_result r;
	run_text("o.pkt", data_then_read, NULL, &r);
	is_str(r.fail.message, "unexpected outbound packet",
	       "strict: the ACK of the data, which no line expects, fails");
	run_result_free(&r);

	char text[2048];
	snprintf(text, sizeof text, "--outbound=packetdrill\n%s", data_then_read);
	expect_pass("packetdrill: an ACK no line reads is not checked", text);

	/* The unread ACK is the next packet a `>` line reads: it does not
	 * match the data that line expects, as under packetdrill. */
	snprintf(text, sizeof text,
	         "--outbound=packetdrill\n%s+0 write(4, ..., 10) = 10\n"
	         "+0 > P. 1:11(10) ack 1001\n",
	         data_then_read);
	run_text("o.pkt", text, NULL, &r);
	is_int(r.status, RUN_FAIL, "packetdrill: an unread packet is the next `>` line's");
	ok(strstr(r.fail.message, "outbound packet") != NULL, "it fails on the packet: %s",
	   r.fail.message);
	is_int(r.fail.line, 15, "at the `>` line");
	run_result_free(&r);

	run_text("o.pkt", "--outbound=lenient\n0 socket(..., SOCK_STREAM, 0) = 3\n", NULL, &r);
	is_int(r.status, RUN_FAIL, "--outbound: an unknown mode is refused");
	run_result_free(&r);

	/* The engine sends wire segments: a script written per TSO skb is not
	 * one it can run, and says so in the words --unsupported=skip knows. */
	run_text("t.pkt", "--segments=tso\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n", NULL,
	         &r);
	is_str(r.fail.message,
	       "unsupported: --segments=tso on stack engine (it sends wire segments)",
	       "--segments=tso on the engine: unsupported");
	run_result_free(&r);
}

static void test_time_wait_wall_time(void)
{
	const char *text = LISTEN "+0 close(4) = 0\n"
	                          "+0 > F. 1:1(0) ack 1\n"
	                          "+0 < F. 1:1(0) ack 2 win 257\n"
	                          "+0 > . 2:2(0) ack 2\n"
	                          "+59 < F. 1:1(0) ack 2 win 257\n"
	                          "+0 > . 2:2(0) ack 2\n"
	                          "+68 < . 2:2(0) ack 2 win 257\n"
	                          "+0 > R 2:2(0)\n";
	struct run_result r;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	run_text("tw.pkt", text, NULL, &r);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	is_int(r.status, RUN_PASS, "127 s through TIME_WAIT passes");
	is_uint(r.end_us, 127100000, "127.1 s of virtual time");
	ok(ms < 1000, "in %.3f ms of wall time (parse included)", ms);
	run_result_free(&r);

	run_text("rfc.pkt", LISTEN, "rfc", &r);
	ok(r.status == RUN_PASS || r.status == RUN_FAIL, "engine:rfc profile runs");
	run_result_free(&r);
}

/* Numbers after a SYN are relative to its ISN, as packetdrill has them:
 * a script that opens with a nonzero seq writes 1 for the first byte
 * after it (compatibility X3). */
static void test_nonzero_syn_seq(void)
{
	expect_pass("a SYN with seq 999000, then relative numbers",
	            "`sysctl -q net.ipv4.tcp_timestamps=0`\n"
	            "`sysctl -q net.ipv4.tcp_rmem=\"4096 131072 6291456\"`\n"
	            "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
	            "+0 bind(3, ..., ...) = 0\n"
	            "+0 listen(3, 1) = 0\n"
	            "+0 < S 999000:999000(0) win 65535 <mss 1460,sackOK,nop,nop,nop,wscale 7>\n"
	            "+0 > S. 0:0(0) ack 999001 <mss 1460,nop,nop,sackOK,nop,wscale 7>\n"
	            "+.1 < . 1:1(0) ack 1 win 257\n"
	            "+0 accept(3, ..., ...) = 4\n"
	            "+0 < P. 1:11(10) ack 1 win 257\n"
	            "+0 > . 1:1(0) ack 11\n"
	            "+0 < P. 21:31(10) ack 1 win 257\n"
	            "+0 > . 1:1(0) ack 11 <nop,nop,sack 21:31>\n"
	            "+0 read(4, ..., 100) = 10\n");
}

/* A new incarnation of a 4-tuple learns its ISNs and timestamps afresh,
 * as packetdrill's new socket does: a SYN to a listener listen()ed on
 * again, and the SYN of a new connect() (compatibility X4). */
static void test_reused_tuple(void)
{
	expect_pass("passive: the same ports after listen() again",
	            "`sysctl -q net.ipv4.tcp_timestamps=1`\n"
	            "`sysctl -q net.ipv4.tcp_rmem=\"4096 131072 6291456\"`\n"
	            "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
	            "+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"
	            "+0 bind(3, ..., ...) = 0\n"
	            "+0 listen(3, 1) = 0\n"
	            "+0 < 40000>8080 S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,"
	            "wscale 7>\n"
	            "+0 > 8080>40000 S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 1000 ecr 100,nop,"
	            "wscale 7>\n"
	            "+.1 < 40000>8080 . 1:1(0) ack 1 win 257 <nop,nop,TS val 200 ecr 1000>\n"
	            "+0 accept(3, ..., ...) = 4\n"
	            "+0 < 40000>8080 R. 1:1(0) ack 1 win 257\n"
	            "+0 close(4) = 0\n"
	            "+0 close(3) = 0\n"
	            "+1 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
	            "+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"
	            "+0 bind(3, ..., ...) = 0\n"
	            "+0 listen(3, 1) = 0\n"
	            "+0 < 40000>8080 S 5000:5000(0) win 65535 <mss 1460,sackOK,TS val 300 ecr 0,"
	            "nop,wscale 7>\n"
	            "+0 > 8080>40000 S. 0:0(0) ack 5001 <mss 1460,sackOK,TS val 5000 ecr 300,nop,"
	            "wscale 7>\n"
	            "+.1 < 40000>8080 . 1:1(0) ack 1 win 257 <nop,nop,TS val 400 ecr 5000>\n"
	            "+0 accept(3, ..., ...) = 4\n"
	            "+0 write(4, ..., 10) = 10\n"
	            "+0 > 8080>40000 P. 1:11(10) ack 1 <nop,nop,TS val 5000 ecr 400>\n");
	expect_pass("active: the same 4-tuple from a new connect()",
	            "`sysctl -q net.ipv4.tcp_timestamps=0`\n"
	            "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
	            "+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"
	            "+0 bind(3, ..., ...) = 0\n"
	            "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
	            "+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n"
	            "+0 > S 0:0(0) <...>\n"
	            "+0 < S. 0:0(0) ack 1 win 65535 <mss 1460,nop,nop,sackOK,nop,wscale 7>\n"
	            "+0 > . 1:1(0) ack 1\n"
	            "+0 < R. 1:1(0) ack 1 win 257\n"
	            "+0 close(3) = 0\n"
	            "+1 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
	            "+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"
	            "+0 bind(3, ..., ...) = 0\n"
	            "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
	            "+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n"
	            "+0 > S 0:0(0) <...>\n"
	            "+0 < S. 0:0(0) ack 1 win 65535 <mss 1460,nop,nop,sackOK,nop,wscale 7>\n"
	            "+0 > . 1:1(0) ack 1\n"
	            "+0 write(3, ..., 10) = 10\n"
	            "+0 > P. 1:11(10) ack 1\n");
}

/* // @ip_versions: the families a script is for; a misspelt one is an error
 * at its line and column. And a listener script in each family on the
 * engine (IPv4-mapped: an AF_INET6 socket talking IPv4). */
static void test_ip_versions(void)
{
	const char *text = "// purpose\n"
	                   "// @stacks: engine\n"
	                   "// @ip_versions: ipv4, ipv4-mapped-ipv6\n" LISTEN;
	struct diag_list diags;
	struct script *ast = NULL;
	diag_list_init(&diags);
	ok(lang_parse_buffer("v.pkt", text, strlen(text), NULL, &ast, &diags) == 0, "parses");
	diag_list_free(&diags);
	struct run_script s;
	memset(&s, 0, sizeof s);
	run_config_defaults(&s.cfg);
	char why[256] = "";
	is_int(run_from_ast(ast, &s, why, sizeof why), 0, "converts");
	ok(run_script_for_ip_version(&s, RUN_IPV4), "for ipv4");
	ok(!run_script_for_ip_version(&s, RUN_IPV6), "not for ipv6");
	ok(run_script_for_ip_version(&s, RUN_IPV4_MAPPED_IPV6), "for ipv4-mapped-ipv6");
	s.owner = ast;
	s.owner_free = free_ast;
	const enum run_ip_version v[] = { RUN_IPV4, RUN_IPV6, RUN_IPV4_MAPPED_IPV6 };
	for (size_t i = 0; i < 3; i++) {
		struct run_result r;
		s.cfg.ip_version = v[i];
		s.cfg.mtu = v[i] == RUN_IPV6 ? 1520 : 1500;
		run_execute(&s, &stack_engine_ops, NULL, &r);
		is_int(r.status, RUN_PASS, "the listener script passes on the engine as %s",
		       run_ip_version_name(v[i]));
		if (r.status != RUN_PASS)
			tap_diag("%s", r.fail.message);
		run_result_free(&r);
	}
	run_script_free(&s);

	const char *bad = "// purpose\n// @ip_versions: ipv4 ipv7\n" LISTEN;
	diag_list_init(&diags);
	lang_parse_buffer("bad.pkt", bad, strlen(bad), NULL, &ast, &diags);
	diag_list_free(&diags);
	memset(&s, 0, sizeof s);
	run_config_defaults(&s.cfg);
	is_int(run_from_ast(ast, &s, why, sizeof why), -1, "an unknown family is an error");
	is_str(why,
	       "bad.pkt:2:4: error: @ip_versions: unknown 'ipv7' (ipv4, ipv6, ipv4-mapped-ipv6)",
	       "at its line and column");
	s.owner = ast;
	s.owner_free = free_ast;
	run_script_free(&s);
}

int main(void)
{
	test_ip_versions();
	test_passing();
	test_failure_report();
	test_unsupported();
	test_outbound_modes();
	test_time_wait_wall_time();
	test_nonzero_syn_seq();
	test_reused_tuple();
	done_testing();
}
