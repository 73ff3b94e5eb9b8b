/* compare: the divergences file, and the side-by-side and TAP reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/compare.h"
#include "compare_support.h"
#include "synack/segment.h"
#include "tap.h"

static const char divs_text[] =
    "# known differences\n"
    "\n"
    "handshake/syn-*.pkt   engine*,linux*   classes=window  Linux grows its window later\n"
    "close/*.pkt           linux,engine     the engine has no FIN-WAIT-2 timer yet # why\n"
    "*/time-wait-60s.pkt   engine:rfc,*     RFC 9293: 2MSL is 240 s, not 60 s\n";

static void test_divergences(void)
{
	struct cmp_divs d;
	char why[300] = "";
	is_int(cmp_div_parse("divs", divs_text, &d, why, sizeof why), 0, "parses: %s", why);
	is_int((int)d.n, 3, "three lines");
	is_str(d.v[0].reason, "Linux grows its window later", "the reason is the rest");
	is_int(d.v[0].classes, CMP_BIT(CMP_WINDOW), "classes=");
	is_str(d.v[1].reason, "the engine has no FIN-WAIT-2 timer yet", "comments stripped");
	is_int(d.v[2].line, 5, "line numbers kept");

	const char *s = "conformance/scripts/handshake/syn-retransmit.pkt";
	ok(cmp_div_find(&d, s, "engine", "linux", CMP_BIT(CMP_WINDOW)) == &d.v[0],
	   "pattern matches a path suffix, stacks by glob");
	ok(cmp_div_find(&d, s, "linux:reno", "engine:rfc", CMP_BIT(CMP_WINDOW)) == &d.v[0],
	   "either order");
	ok(!cmp_div_find(&d, s, "engine", "linux", CMP_BIT(CMP_WINDOW) | CMP_BIT(CMP_FLAGS)),
	   "a class the line does not explain stays a failure");
	ok(!cmp_div_find(&d, s, "engine", "engine:rfc", CMP_BIT(CMP_WINDOW)),
	   "another pair is not explained");
	ok(cmp_div_find(&d, "x/close/active-close.pkt", "engine", "linux", ~0u) == &d.v[1],
	   "no classes=: every class");
	ok(cmp_div_find(&d, "scripts/time_wait/time-wait-60s.pkt", "so:/x.so", "engine:rfc", 1) ==
	       &d.v[2],
	   "a wildcard stack");
	cmp_div_free(&d);

	is_int(cmp_div_parse("divs", "a.pkt engine\n", &d, why, sizeof why), -1,
	       "one stack is an error");
	is_str(why, "divs:1: expected SCRIPT-PATTERN STACK-A,STACK-B REASON", "says where");
	is_int(cmp_div_parse("divs", "\n# c\na.pkt engine,linux\n", &d, why, sizeof why), -1,
	       "no reason is an error");
	is_str(why, "divs:3: a divergence needs a reason", "says where");
	is_int(cmp_div_parse("divs", "a.pkt e,l classes=hue why\n", &d, why, sizeof why), -1,
	       "a bad class is an error");

	char path[256];
	snprintf(path, sizeof path, "%s/conformance/divergences", SYNACK_SOURCE_DIR);
	is_int(cmp_div_load(path, &d, why, sizeof why), 0,
	       "the shipped divergences file parses: %s", why);
	cmp_div_free(&d);
	is_int(cmp_div_load("/nonexistent/divergences", &d, why, sizeof why), 0,
	       "a missing file is empty");
	is_int((int)d.n, 0, "no lines");
}

/* A two-event comparison with a window difference on the SYN-ACK. */
static void make(struct run_trace *t, uint16_t win)
{
	run_trace_init(t);
	cs_add_pkt(
	    t, &(struct cs_pkt){ .line = 5, .flags = SYNACK_TH_SYN, .win = 65535, .mss = 1460 });
	cs_add_pkt(t, &(struct cs_pkt){ .outbound = true,
	                                .line = 6,
	                                .flags = SYNACK_TH_SYN | SYNACK_TH_ACK,
	                                .seq = 77,
	                                .ack = 1,
	                                .win = win,
	                                .mss = 1460 });
}

static char *report(bool tap, const struct cmp_div *known, uint16_t win_b)
{
	struct run_trace ra, rb;
	make(&ra, 64240);
	make(&rb, win_b);
	struct cmp_trace ta, tb;
	cmp_normalise(&ra, &ta);
	cmp_normalise(&rb, &tb);
	struct cmp_result res;
	struct cmp_opts o = { .tolerance_us = 4000 };
	cmp_align(&ta, &tb, &o, &res);
	struct cmp_report r = { .script = "s.pkt",
		                .stack_a = "engine",
		                .stack_b = "linux",
		                .ta = &ta,
		                .tb = &tb,
		                .res = &res,
		                .known = known };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (tap)
		cmp_report_tap(f, 1, &r);
	else
		cmp_report_side_by_side(f, &r, 120);
	fclose(f);
	cmp_result_free(&res);
	cmp_trace_free(&ta);
	cmp_trace_free(&tb);
	run_trace_free(&ra);
	run_trace_free(&rb);
	return buf;
}

static void test_reports(void)
{
	char *s = report(true, NULL, 64240);
	is_str(s, "ok 1 - s.pkt: engine vs linux\n", "TAP: the same is ok");
	free(s);

	s = report(true, NULL, 29200);
	ok(strncmp(s, "not ok 1 - s.pkt: engine vs linux\n", 34) == 0, "TAP: a difference fails");
	ok(strstr(s, "  classes: \"window 1\"\n") != NULL, "YAML: the classes");
	ok(strstr(s, "    - line: 6\n      class: \"window\"\n") != NULL, "YAML: the row");
	ok(strstr(s, "      b: \"  0.000 > S. 0:0(0) ack 1 win 29200 <mss 1460>\"") != NULL,
	   "YAML: B's packet, normalised");
	ok(strstr(s, "  ...\n") != NULL, "YAML closed");
	free(s);

	struct cmp_div d = { .reason = "Linux sizes it from tcp_rmem", .line = 4 };
	s = report(true, &d, 29200);
	ok(strncmp(s,
	           "not ok 1 - s.pkt: engine vs linux # TODO known divergence: Linux sizes it "
	           "from tcp_rmem\n",
	           85) == 0,
	   "TAP: a known difference is TODO");
	free(s);

	s = report(false, NULL, 29200);
	ok(strncmp(s, "DIFF s.pkt: engine vs linux: 1 difference (window 1)\n", 53) == 0,
	   "side by side: a summary line");
	ok(strstr(s, "win 64240 <mss 1460>") && strstr(s, "| ") && strstr(s, "[window]"),
	   "side by side: both packets on one row, marked");
	free(s);
	s = report(false, NULL, 64240);
	is_str(s, "SAME s.pkt: engine and linux agree\n", "side by side: the same");
	free(s);
}

int main(void)
{
	test_divergences();
	test_reports();
	return tap_done();
}
