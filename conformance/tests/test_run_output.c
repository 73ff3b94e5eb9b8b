/* The outputs of a run, exactly: the failure report (terminal and TAP
 * YAML), the TAP stream of several scripts, and the pcap file (read back
 * with tcpdump when it is installed). */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "run/pcap_writer.h"
#include "run/report.h"
#include "run/run.h"
#include "run/tap_writer.h"
#include "run_mock_stack.h"
#include "run_script_build.h"
#include "tap.h"

#define ISN 1000000u

static const long long fd3[] = { 3, 1 };

/* A passive open whose SYN-ACK carries the wrong ack. */
static void wrong_synack(struct run_script *s)
{
	static const long long sock[] = { SOCK_STREAM, IPPROTO_TCP };
	mock_reset();
	sb_init(s);
	s->path = "wrong.pkt";
	sb_sys(s, "0", "socket", ".ii", sock, 3, 0, "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3");
	sb_sys(s, "+0", "bind", "i..", fd3, 0, 0, "+0 bind(3, ..., ...) = 0");
	sb_sys(s, "+0", "listen", "ii", fd3, 0, 0, "+0 listen(3, 1) = 0");
	struct run_pkt *p =
	    sb_pkt(s, "+0", false, SYNACK_TH_SYN, 0, 0, "+0 < S 0:0(0) win 65535 <mss 1460>");
	p->has_win = true;
	p->win = 65535;
	sb_opt(p, RUN_OPT_MSS, 1460, 0);
	p = sb_pkt(s, "+.01", true, SYNACK_TH_SYN | SYNACK_TH_ACK, 0, 0,
	           "+.01 > S. 0:0(0) ack 1 <mss 1460>");
	p->has_ack = true;
	p->ack = 1;
	sb_opt(p, RUN_OPT_MSS, 1460, 0);
	mock_on_inject(0, 10000,
	               (struct mock_tmpl){ .flags = SYNACK_TH_SYN | SYNACK_TH_ACK,
	                                   .seq = ISN,
	                                   .ack = 7,
	                                   .win = 64240,
	                                   .mss = 1460 });
}

static char *capture(void (*fn)(FILE *, const struct run_result *), const struct run_result *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	fn(f, r);
	fclose(f);
	return buf;
}

static void yaml0(FILE *f, const struct run_result *r)
{
	run_report_yaml(f, r, 0);
}

static void test_failure_report(void)
{
	struct run_script s;
	struct run_result r;
	wrong_synack(&s);
	run_execute(&s, &mock_stack_ops, NULL, &r);
	is_int(r.status, RUN_FAIL, "the wrong SYN-ACK fails");

	char *human = capture(run_report_human, &r);
	is_str(human,
	       "wrong.pkt:15: error: outbound packet: ack: expected 1, got 7\n"
	       "     15 | +.01 > S. 0:0(0) ack 1 <mss 1460>\n"
	       "  expected: > S. 0:0(0) ack 1 <mss 1460>  at 0.010000 (+/- 0.004000)\n"
	       "  actual:   > S. 0:0(0) ack 7 win 64240 <mss 1460>  at 0.010000\n"
	       "  recent:\n"
	       "    0.000000 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
	       "    0.000000 bind(3, ..., ...) = 0\n"
	       "    0.000000 listen(3, 1) = 0\n"
	       "    0.000000 < S 0:0(0) win 65535 <mss 1460>\n"
	       "    0.010000 > S. 0:0(0) ack 7 win 64240 <mss 1460>\n",
	       "terminal report: line, source, expected vs actual in script syntax, times, "
	       "recent events");
	free(human);

	char *yaml = capture(yaml0, &r);
	is_str(yaml,
	       "  ---\n"
	       "  message: \"outbound packet: ack: expected 1, got 7\"\n"
	       "  at: \"wrong.pkt:15\"\n"
	       "  source: \"+.01 > S. 0:0(0) ack 1 <mss 1460>\"\n"
	       "  expected: \"> S. 0:0(0) ack 1 <mss 1460>\"\n"
	       "  actual: \"> S. 0:0(0) ack 7 win 64240 <mss 1460>\"\n"
	       "  expected_time: 0.010000\n"
	       "  tolerance: 0.004000\n"
	       "  actual_time: 0.010000\n"
	       "  recent:\n"
	       "    - \"0.000000 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\"\n"
	       "    - \"0.000000 bind(3, ..., ...) = 0\"\n"
	       "    - \"0.000000 listen(3, 1) = 0\"\n"
	       "    - \"0.000000 < S 0:0(0) win 65535 <mss 1460>\"\n"
	       "    - \"0.010000 > S. 0:0(0) ack 7 win 64240 <mss 1460>\"\n"
	       "  ...\n",
	       "TAP YAML report");
	free(yaml);
	run_result_free(&r);
	run_script_free(&s);
}

static void test_tap_stream(void)
{
	struct run_script s;
	struct run_result fail_r, pass_r, skip_r;
	wrong_synack(&s);
	run_execute(&s, &mock_stack_ops, NULL, &fail_r);
	run_script_free(&s);

	mock_reset();
	sb_init(&s);
	sb_sys(&s, "0", "socket", ".ii", (const long long[]){ SOCK_STREAM, IPPROTO_TCP }, 3, 0,
	       "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3");
	run_execute(&s, &mock_stack_ops, NULL, &pass_r);
	mock_spec.notes = "sysctl x refused\nfell back to y\n";
	struct run_result noted;
	run_execute(&s, &mock_stack_ops, NULL, &noted);
	mock_spec.fail_start_skip = true;
	run_execute(&s, &mock_stack_ops, NULL, &skip_r);
	run_script_free(&s);

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	run_tap_header(f);
	run_tap_plan(f, 4);
	run_tap_point(f, 1, "a/pass.pkt", &pass_r, NULL, true);
	run_tap_point(f, 2, "a/skip.pkt", &skip_r, NULL, false);
	run_tap_point(f, 3, "a/div #1.pkt", &pass_r, "engine sends no TS", false);
	run_tap_error_point(f, 4, "a/bad.pkt", "bad.pkt:3:5: error: expected ')'");
	fclose(f);
	is_str(buf,
	       "TAP version 13\n"
	       "1..4\n"
	       "    # Subtest: a/pass.pkt\n"
	       "    ok 1 - line 11: 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
	       "    1..1\n"
	       "ok 1 - a/pass.pkt\n"
	       "ok 2 - a/skip.pkt # SKIP mock cannot run here\n"
	       "ok 3 - a/div \\#1.pkt # TODO engine sends no TS\n"
	       "not ok 4 - a/bad.pkt\n"
	       "  ---\n"
	       "  message: \"bad.pkt:3:5: error: expected ')'\"\n"
	       "  ...\n",
	       "TAP: version 13, plan, one point per script, -v subtest, SKIP, TODO, errors");
	free(buf);

	buf = NULL;
	f = open_memstream(&buf, &len);
	run_tap_point(f, 1, "noted.pkt", &noted, NULL, false);
	fclose(f);
	is_str(buf, "ok 1 - noted.pkt\n# sysctl x refused\n# fell back to y\n",
	       "the stack's notes follow the point as comments");
	free(buf);
	run_result_free(&noted);

	buf = NULL;
	f = open_memstream(&buf, &len);
	run_tap_point(f, 1, "wrong.pkt", &fail_r, NULL, true);
	fclose(f);
	ok(strstr(buf, "    not ok 5 - line 15: +.01 > S. 0:0(0) ack 1 <mss 1460>\n      ---\n") !=
	       NULL,
	   "-v: the failing step carries the YAML, indented into the subtest");
	ok(strstr(buf, "\nnot ok 1 - wrong.pkt\n  ---\n") != NULL, "the point fails with YAML");
	free(buf);
	run_result_free(&fail_r);
	run_result_free(&pass_r);
	run_result_free(&skip_r);
}

static void test_pcap(void)
{
	struct run_script s;
	struct run_result r;
	wrong_synack(&s);
	run_execute(&s, &mock_stack_ops, NULL, &r);

	char dir[] = "/tmp/synack-pcap-XXXXXX";
	ok(mkdtemp(dir) != NULL, "temp dir");
	char path[256], err[256];
	run_pcap_path_for(dir, "conformance/scripts/x/wrong.pkt", path, sizeof path);
	ok(strstr(path, "/wrong.pcap") != NULL, "--pcap DIR names the file after the script");
	is_int(run_pcap_write(path, &r.trace, err, sizeof err), 0, "pcap written");

	FILE *f = fopen(path, "rb");
	uint8_t hdr[24];
	ok(f && fread(hdr, 1, 24, f) == 24, "pcap header read");
	uint32_t magic, linktype;
	memcpy(&magic, hdr, 4);
	memcpy(&linktype, hdr + 20, 4);
	is_hex(magic, 0xa1b2c3d4, "classic pcap, microsecond timestamps");
	is_int(linktype, 101, "LINKTYPE_RAW");
	uint32_t rec[4];
	ok(fread(rec, 4, 4, f) == 4, "first record");
	is_int(rec[0], 0, "first packet at 0 s");
	is_int(rec[2], 44, "first packet: the inbound SYN (20 + 24 bytes)");
	fseek(f, rec[2], SEEK_CUR);
	ok(fread(rec, 4, 4, f) == 4, "second record");
	is_int(rec[1], 10000, "second packet at 10 ms (virtual time)");
	fclose(f);

	if (access("/usr/bin/tcpdump", X_OK) == 0 || access("/usr/sbin/tcpdump", X_OK) == 0) {
		char cmd[512];
		snprintf(cmd, sizeof cmd, "tcpdump -nn -r %s 2>/dev/null | wc -l", path);
		FILE *p = popen(cmd, "r");
		int lines = 0;
		ok(p && fscanf(p, "%d", &lines) == 1, "tcpdump -r ran");
		if (p)
			pclose(p);
		is_int(lines, 2, "tcpdump -r reads both packets");
	} else {
		tap_skip(2, "tcpdump not installed");
	}
	unlink(path);
	rmdir(dir);
	run_result_free(&r);
	run_script_free(&s);
}

static void names_case(char *const *paths, size_t n, const char *const *want, const char *what)
{
	char **names = run_pcap_names(paths, n);
	ok(names != NULL, "%s: names made", what);
	for (size_t i = 0; names && i < n; i++)
		is_str(names[i], want[i], "%s: %s", what, paths[i]);
	run_pcap_names_free(names, n);
}

/* --pcap DIR: scripts with one basename in different directories get
 * different files, named by their path below the common directory. */
static void test_pcap_names(void)
{
	char *const same_base[] = { "conformance/scripts/handshake/passive-open.pkt",
		                    "conformance/scripts/close/passive-open.pkt",
		                    "conformance/scripts//close/sub/x.pkt" };
	names_case(same_base, 3,
	           (const char *const[]){ "handshake__passive-open.pcap",
	                                  "close__passive-open.pcap", "close__sub__x.pcap" },
	           "same basename, two directories");
	char *const one[] = { "conformance/scripts/handshake/passive-open.pkt" };
	names_case(one, 1, (const char *const[]){ "passive-open.pcap" },
	           "one script: its basename");
	char *const siblings[] = { "./d/a.pkt", "d/b.pkt" };
	names_case(siblings, 2, (const char *const[]){ "a.pcap", "b.pcap" },
	           "one directory, ./ or not");
	char *const mixed[] = { "/abs/x.pkt", "abs/x.pkt" };
	names_case(mixed, 2, (const char *const[]){ "abs__x.pcap", "abs__x-2.pcap" },
	           "names still equal get a number");
	char *const dup[] = { "d/x.pkt", "d/x.pkt", "d/x.pkt" };
	names_case(dup, 3, (const char *const[]){ "x.pcap", "x-2.pcap", "x-3.pcap" },
	           "a script given twice");
}

int main(void)
{
	test_pcap_names();
	test_failure_report();
	test_tap_stream();
	test_pcap();
	done_testing();
}
