/* Event times: absolute, relative, ranges, `*`, blocking `a...b`, exactly as
 * written (the executor gives them meaning). */
#include "lang_support.h"
#include "tap.h"

static const struct event_time *time_of(struct script **s, const char *text)
{
	*s = lang_parse_ok(text, NULL, 0);
	return *s && (*s)->n_events ? &(*s)->events[0].time : NULL;
}

static void point(const char *text, bool relative, long long usecs, const char *name)
{
	struct script *s;
	const struct event_time *t = time_of(&s, text);
	if (!ok(t, "%s parses", name))
		return;
	ok(t->form == TIME_POINT && t->start.relative == relative && t->start.usecs == usecs,
	   "%s: %s %lld us", name, relative ? "relative" : "absolute", usecs);
	script_free(s);
}

static void test_points(void)
{
	point("0 f() = 0", false, 0, "0");
	point("0.100 f() = 0", false, 100000, "0.100");
	point("1.5 f() = 0", false, 1500000, "1.5");
	point(".25 f() = 0", false, 250000, ".25");
	point("+0 f() = 0", true, 0, "+0");
	point("+.1 f() = 0", true, 100000, "+.1");
	point("+0.000001 f() = 0", true, 1, "one microsecond");
	point("+7200 f() = 0", true, 7200000000LL, "two hours");
	point("9223372036854 f() = 0", false, 9223372036854000000LL, "largest whole seconds");
}

static void test_ranges_any_blocking(void)
{
	struct script *s;
	const struct event_time *t = time_of(&s, "0.1~0.2 > S 0:0(0)");
	if (ok(t, "absolute range parses")) {
		is_int(t->form, TIME_RANGE, "range");
		ok(!t->start.relative && !t->end.relative, "both absolute");
		is_int(t->start.usecs, 100000, "start");
		is_int(t->end.usecs, 200000, "end");
		is_int(t->end.loc.col, 5, "end column");
	}
	script_free(s);
	t = time_of(&s, "+0~+0.2 > S 0:0(0)");
	if (ok(t, "relative range parses")) {
		ok(t->start.relative && t->end.relative, "both relative");
		is_int(t->end.usecs, 200000, "end");
	}
	script_free(s);
	t = time_of(&s, "+1~+1 write(3, ..., 10) = 10");
	ok(t && t->form == TIME_RANGE, "range on a syscall (a blocking return)");
	script_free(s);
	t = time_of(&s, "* > . 1:1(0) ack 1");
	ok(t && t->form == TIME_ANY, "* on an outbound packet");
	is_int(t ? t->loc.col : 0, 1, "at column 1");
	script_free(s);

	s = lang_parse_ok("0.1...0.3 accept(3, ..., ...) = 4\n"
	                  "+0...0.200 accept(3, ..., ...) = 4\n"
	                  "+.1...+.2 read(4, ..., 10) = 10\n",
	                  NULL, 0);
	if (ok(s, "blocking calls parse")) {
		const struct syscall_spec *c = s->events[0].syscall;
		ok(c->blocking, "blocking");
		is_int(s->events[0].time.start.usecs, 100000, "starts at 0.1");
		ok(!c->end.relative, "absolute end");
		is_int(c->end.usecs, 300000, "returns by 0.3");
		is_int(c->end.loc.col, 7, "end column");
		c = s->events[1].syscall;
		ok(s->events[1].time.start.relative && !c->end.relative,
		   "kernel selftest shape: +0...0.200");
		is_int(c->end.usecs, 200000, "0.200");
		c = s->events[2].syscall;
		ok(c->end.relative, "relative end +.2");
		is_str(lang_event_text(s, 1), "+0...0.2 accept(3, ..., ...) = 4", "printed back");
	}
	script_free(s);
	lang_round_trip("0 f() = 0\n+.5~+1 > . 1:1(0)\n* > . 1:1(0)\n1.25...1.5 g() = 0\n",
	                "times");
}

static void test_time_errors(void)
{
	is_str(lang_parse_err("0.1~+0.2 > S 0:0(0)\n"),
	       "t.pkt:1:5: error: time range mixes relative and absolute times (write `A~B`)\n"
	       "0.1~+0.2 > S 0:0(0)\n"
	       "    ^\n",
	       "mixed range");
	is_str(lang_parse_err("0x10 f() = 0\n"),
	       "t.pkt:1:1: error: a time is in seconds, not hex\n0x10 f() = 0\n^\n", "hex time");
	is_str(lang_parse_err("9223372036855 f() = 0\n"),
	       "t.pkt:1:1: error: time 9223372036855 out of range\n9223372036855 f() = 0\n^\n",
	       "just too large");
	is_str(lang_parse_err("* `cmd`\n"),
	       "t.pkt:1:1: error: event time `*` can only be used with outbound packets\n* `cmd`\n"
	       "^\n",
	       "* on a command");
	is_str(lang_parse_err("+0.5...0.1 f() = 0\n"),
	       "t.pkt:1:8: error: blocking call ends before it starts\n+0.5...0.1 f() = 0\n"
	       "       ^\n",
	       "the end is on the start's base, as in packetdrill");
	struct script *s = NULL;
	is_str(lang_parse_diags("0.0000015 f() = 0\n", &s),
	       "t.pkt:1:1: warning: time 0.0000015 has more than microsecond precision; "
	       "truncated\n0.0000015 f() = 0\n^\n",
	       "sub-microsecond digits warn");
	ok(s && s->events[0].time.start.usecs == 1, "and truncate");
	script_free(s);
}

int main(void)
{
	test_points();
	test_ranges_any_blocking();
	test_time_errors();
	done_testing();
}
