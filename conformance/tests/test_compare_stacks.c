/* The stacks `synack compare` names (cmp_stack_parse) and what their
 * settings do: engine profiles, sysctl sets, so: paths; end to end, two
 * configurations of one stack differ in a call's output value (a syscall
 * difference) and in the SYN-ACK's options, and the settings themselves are
 * not in the traces. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare/compare.h"
#include "run/run.h"
#include "stacks/so.h"
#include "tap.h"

static char tmpdir[] = "/tmp/synack-cmpstacks-XXXXXX";

static void test_parse(void)
{
	struct cmp_stack s;
	char why[300];
	ok(cmp_stack_parse("engine", &s, why, sizeof why) == 0 && s.ops == &stack_engine_ops &&
	       !s.profile[0] && !s.n_sysctls && strcmp(s.name, "engine") == 0,
	   "engine: the engine, its default profile");
	ok(cmp_stack_parse("engine:rfc", &s, why, sizeof why) == 0 &&
	       strcmp(s.profile, "rfc") == 0 && strcmp(s.name, "engine:rfc") == 0,
	   "engine:rfc: a profile");
	ok(cmp_stack_parse("linux:reno", &s, why, sizeof why) == 0 && s.ops == &stack_linux_ops &&
	       s.n_sysctls == 1 &&
	       strcmp(s.sysctls[0], "sysctl -q net.ipv4.tcp_congestion_control=reno") == 0,
	   "linux:reno: the congestion control as a sysctl (%s)", s.sysctls[0]);
	ok(cmp_stack_parse("linux:tcp_sack=0", &s, why, sizeof why) == 0 && s.n_sysctls == 1 &&
	       strcmp(s.sysctls[0], "sysctl -q net.ipv4.tcp_sack=0") == 0,
	   "linux:SYSCTL=VALUE: one sysctl");
	ok(cmp_stack_parse("linux:cubic+tcp_ecn=1+net.core.somaxconn=5", &s, why, sizeof why) ==
	           0 &&
	       s.n_sysctls == 3 && strcmp(s.sysctls[1], "sysctl -q net.ipv4.tcp_ecn=1") == 0 &&
	       strcmp(s.sysctls[2], "sysctl -q net.core.somaxconn=5") == 0 &&
	       strcmp(s.name, "linux:cubic") == 0,
	   "+SYSCTL=VALUE settings, a dotted name as written; the name without them");
	ok(cmp_stack_parse("engine:rfc+tcp_sack=0", &s, why, sizeof why) == 0 &&
	       strcmp(s.profile, "rfc") == 0 && s.n_sysctls == 1,
	   "a profile and settings");
	ok(cmp_stack_parse("so:/opt/a+b:c/lib.so", &s, why, sizeof why) == 0 &&
	       s.ops == &stack_so_ops && strcmp(s.profile, "/opt/a+b:c/lib.so") == 0 &&
	       strcmp(s.name, "so") == 0,
	   "so:PATH: the whole path, '+' and ':' included");
	ok(cmp_stack_parse("bsd", &s, why, sizeof why) < 0 && strstr(why, "unknown stack"),
	   "an unknown stack: %s", why);
	ok(cmp_stack_parse("linux+tcp_sack", &s, why, sizeof why) < 0 &&
	       strstr(why, "SYSCTL=VALUE"),
	   "a setting without a value: %s", why);
	ok(cmp_stack_parse("engine+a=1+b=1+c=1+d=1+e=1+f=1+g=1+h=1+i=1", &s, why, sizeof why) < 0,
	   "at most 8 settings");
}

static const char cc_script[] =
    "`sysctl -q net.ipv4.tcp_timestamps=0`\n"
    "`sysctl -q net.ipv4.tcp_rmem=\"4096 131072 6291456\"`\n"
    "0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
    "+0    bind(3, ..., ...) = 0\n"
    "+0    listen(3, 1) = 0\n"
    "+0    < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop,nop,wscale 7>\n"
    "+0    > S. 0:0(0) ack 1 win 64240 <mss 1460,nop,nop,sackOK,nop,wscale 7>\n"
    "+.1   < . 1:1(0) ack 1 win 257\n"
    "+0    accept(3, ..., ...) = 4\n"
    "+0    getsockopt(4, SOL_TCP, TCP_CONGESTION, \"reno\", [16]) = 0\n";

/* The script on two stacks: the classes of the first differing row with
 * both sides' texts, and every class. */
static unsigned compare(const char *a, const char *b, unsigned *all, char *ta, char *tb, size_t cap)
{
	char path[256];
	snprintf(path, sizeof path, "%s/cc.pkt", tmpdir);
	FILE *f = fopen(path, "w");
	if (!f)
		tap_bail("%s", path);
	fputs(cc_script, f);
	fclose(f);
	struct script_load_opts lo = { 0 };
	struct run_script rs;
	char *msg = NULL;
	if (script_load(path, &lo, &rs, &msg) < 0)
		tap_bail("%s", msg ? msg : "load");
	free(msg);
	struct cmp_stack st[2];
	char why[300];
	if (cmp_stack_parse(a, &st[0], why, sizeof why) < 0 ||
	    cmp_stack_parse(b, &st[1], why, sizeof why) < 0)
		tap_bail("%s", why);
	struct run_result r[2];
	struct cmp_trace t[2];
	for (int k = 0; k < 2; k++) {
		cmp_run(&rs, &st[k], &r[k]);
		cmp_normalise(&r[k].trace, &t[k]);
	}
	struct cmp_opts o = { .tolerance_us = rs.cfg.tolerance_usecs,
		              .tolerance_percent = rs.cfg.tolerance_percent };
	struct cmp_result res;
	unsigned first = 0;
	*all = 0;
	ta[0] = tb[0] = 0;
	if (cmp_align(&t[0], &t[1], &o, &res) == 0) {
		*all = res.classes;
		for (size_t i = 0; i < res.n && !first; i++)
			if (res.rows[i].diff) {
				first = res.rows[i].diff;
				if (res.rows[i].a >= 0)
					snprintf(ta, cap, "%s", t[0].v[res.rows[i].a].text);
				if (res.rows[i].b >= 0)
					snprintf(tb, cap, "%s", t[1].v[res.rows[i].b].text);
			}
		/* The stacks' own settings are configuration, not behaviour. */
		for (int k = 0; k < 2; k++)
			for (size_t i = 0; i < t[k].n; i++)
				if (strstr(t[k].v[i].text, "tcp_congestion_control") ||
				    strstr(t[k].v[i].text, "tcp_sack=0"))
					*all |= 1u << 31;
		cmp_result_free(&res);
	}
	for (int k = 0; k < 2; k++) {
		cmp_trace_free(&t[k]);
		run_result_free(&r[k]);
	}
	run_script_free(&rs);
	return first;
}

static void test_engine_profiles(void)
{
	char a[300], b[300];
	unsigned all;
	unsigned first = compare("engine:rfc", "engine:linux", &all, a, b, sizeof a);
	is_int((int)first, (int)CMP_BIT(CMP_SYSCALL), "engine:rfc vs engine:linux: a syscall row");
	ok(strstr(a, "TCP_CONGESTION, \"reno\", [16]) = 0") &&
	       strstr(b, "TCP_CONGESTION, \"cubic\", [16]) = 0"),
	   "each side shows the value its stack returned: %s | %s", a, b);
	is_int((int)all, (int)CMP_BIT(CMP_SYSCALL), "and nothing else differs");

	first = compare("engine", "engine+tcp_sack=0", &all, a, b, sizeof a);
	is_int((int)first, (int)CMP_BIT(CMP_OPTIONS), "engine vs engine+tcp_sack=0: options");
	ok(strstr(a, "sackOK") && !strstr(b, "sackOK"), "the SYN-ACK without sackOK: %s", b);
	ok(!(all & (1u << 31)), "the settings are not in either trace");

	first = compare("engine", "engine:linux", &all, a, b, sizeof a);
	is_int((int)all, 0, "engine and engine:linux: the same");
}

/* `synack run --stack S` runs through cmp_run_opts, enforcing: the
 * settings are in force, and the verdict is the script's. */
static void test_enforcing(void)
{
	static const char no_sack[] =
	    "`sysctl -q net.ipv4.tcp_timestamps=0`\n"
	    "`sysctl -q net.ipv4.tcp_rmem=\"4096 131072 6291456\"`\n"
	    "0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
	    "+0    bind(3, ..., ...) = 0\n"
	    "+0    listen(3, 1) = 0\n"
	    "+0    < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop,nop,wscale 7>\n"
	    "+0    > S. 0:0(0) ack 1 <mss 1460,nop,wscale 7>\n";
	char path[256];
	snprintf(path, sizeof path, "%s/nosack.pkt", tmpdir);
	FILE *f = fopen(path, "w");
	if (!f)
		tap_bail("%s", path);
	fputs(no_sack, f);
	fclose(f);
	struct script_load_opts lo = { 0 };
	struct run_script rs;
	char *msg = NULL;
	if (script_load(path, &lo, &rs, &msg) < 0)
		tap_bail("%s", msg ? msg : "load");
	free(msg);
	const char *specs[] = { "engine+tcp_sack=0", "engine:rfc+net.ipv4.tcp_sack=0", "engine" };
	const enum run_status want[] = { RUN_PASS, RUN_PASS, RUN_FAIL };
	for (int k = 0; k < 3; k++) {
		struct cmp_stack st;
		char why[300];
		cmp_stack_parse(specs[k], &st, why, sizeof why);
		struct run_result r;
		cmp_run_opts(&rs, &st, NULL, &r);
		is_int(r.status, want[k], "%s: %s", specs[k],
		       want[k] == RUN_PASS ? "the SYN-ACK without sackOK passes" : "it fails");
		bool cmd = false;
		for (size_t i = 0; i < r.trace.n; i++)
			cmd |= strstr(r.trace.v[i].text, "tcp_sack") != NULL;
		ok(!cmd, "%s: its settings are not in the trace", specs[k]);
		run_result_free(&r);
	}
	run_script_free(&rs);
}

/* `synack compare` itself (compare_main), its stdout captured. */
static char *compare_cli(int argc, char **argv, int *rc)
{
	char out[300];
	snprintf(out, sizeof out, "%s/out.txt", tmpdir);
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	FILE *f = fopen(out, "w");
	if (!f || saved < 0)
		tap_bail("capture");
	dup2(fileno(f), STDOUT_FILENO);
	*rc = compare_main(argc, argv);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	fclose(f);
	f = fopen(out, "r");
	static char buf[8192];
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	buf[n] = 0;
	if (f)
		fclose(f);
	return buf;
}

/* A stack that cannot run what the script asks: not comparable, a SKIP
 * with the reason, not a difference. */
static void test_not_comparable(void)
{
	char path[256];
	snprintf(path, sizeof path, "%s/bogus.pkt", tmpdir);
	FILE *f = fopen(path, "w");
	if (!f)
		tap_bail("%s", path);
	fputs("`sysctl -q net.ipv4.tcp_no_such_setting=1`\n"
	      "0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n",
	      f);
	fclose(f);
	struct script_load_opts lo = { 0 };
	struct run_script rs;
	char *msg = NULL;
	if (script_load(path, &lo, &rs, &msg) < 0)
		tap_bail("%s", msg ? msg : "load");
	free(msg);
	struct cmp_stack st;
	char why[300];
	cmp_stack_parse("engine", &st, why, sizeof why);
	struct run_result r;
	cmp_run(&rs, &st, &r);
	ok(cmp_unsupported(&r), "the engine cannot take that sysctl: %s", r.fail.message);
	run_result_free(&r);
	run_script_free(&rs);
	int rc;
	char *argv[] = { "compare", "--tap", "--stacks", "engine,engine:rfc", path, NULL };
	const char *out = compare_cli(5, argv, &rc);
	ok(strstr(out, "ok 1 - ") && strstr(out, "# SKIP not comparable on engine: unsupported: "),
	   "compare: a SKIP that says why: %s", out);
	is_int(rc, 0, "not a difference");
}

static void test_linux_variants(void)
{
	if (geteuid() != 0) {
		tap_skip(3, "the linux stack needs root");
		return;
	}
	char a[300], b[300];
	unsigned all;
	unsigned first = compare("linux:reno", "linux:cubic", &all, a, b, sizeof a);
	is_int((int)first, (int)CMP_BIT(CMP_SYSCALL), "linux:reno vs linux:cubic: a syscall row");
	ok(strstr(a, "\"reno\"") && strstr(b, "\"cubic\""),
	   "the congestion control each one runs: %s | %s", a, b);
	first = compare("linux:tcp_sack=0", "linux", &all, a, b, sizeof a);
	ok(first & CMP_BIT(CMP_OPTIONS), "linux:tcp_sack=0 vs linux: the SYN-ACK's options");
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		tap_bail("mkdtemp");
	test_parse();
	test_engine_profiles();
	test_enforcing();
	test_not_comparable();
	test_linux_variants();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", tmpdir);
	return tap_done();
}
