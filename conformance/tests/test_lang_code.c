/* %{ }% blocks: the native assert subset parsed into trees, everything else
 * kept as raw text and reported `unsupported` at the first construct we
 * cannot run. */
#include "lang_support.h"
#include "tap.h"

#include <string.h>

static struct script *cur;

static const struct code_spec *code(const char *text)
{
	script_free(cur);
	cur = NULL;
	lang_parse_diags(text, &cur);
	return cur && cur->n_events && cur->events[0].kind == EVENT_CODE ? cur->events[0].code
	                                                                 : NULL;
}

static const char *cond_text(const struct code_spec *c, size_t i)
{
	static char buf[512];
	if (!c || i >= c->n_asserts)
		return "(none)";
	ast_format_code_expr(buf, sizeof buf, c->asserts[i].cond);
	return buf;
}

static void test_supported(void)
{
	const struct code_spec *c = code("0 %{ assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd }%");
	if (ok(c && c->supported, "single assert")) {
		is_str(c->text, "assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd", "text trimmed");
		is_int(c->text_loc.col, 6, "text column");
		is_int(c->n_asserts, 1, "one assert");
		is_int(c->asserts[0].loc.col, 6, "assert column");
		is_int(c->asserts[0].cond->lhs->loc.col, 13, "operand column");
		is_int(c->asserts[0].cond->rhs->num, 10, "10");
		is_str(c->asserts[0].msg->name, "tcpi_snd_cwnd", "message");
	}
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "assert tcpi_rtt > 0", "tcpi_rtt > 0" },
		{ "assert tcpi_rto >= 200000 and tcpi_rto <= 300000",
		  "tcpi_rto >= 200000 and tcpi_rto <= 300000" },
		{ "assert 190000 <= tcpi_rto <= 210000, tcpi_rto",
		  "190000 <= tcpi_rto and tcpi_rto <= 210000" },
		{ "assert a_ok if 0 else 1", NULL },
		{ "assert tcpi_a != 1 or not tcpi_b < 2", "tcpi_a != 1 or not tcpi_b < 2" },
		{ "assert (tcpi_options & TCPI_OPT_SYN_DATA) != 0",
		  "(tcpi_options & TCPI_OPT_SYN_DATA) != 0" },
		{ "assert tcpi_a * 2 + 3 == tcpi_b / 4 - -5 % 6",
		  "tcpi_a * 2 + 3 == tcpi_b / 4 - -5 % 6" },
		{ "assert (tcpi_a + 2) * 3 == 0x10", "(tcpi_a + 2) * 3 == 16" },
		{ "assert tcpi_a | 1 & 2 == 3", "(tcpi_a | 1 & 2) == 3" },
		{ "assert tcpi_ca_state == TCP_CA_Open, tcpi_ca_state",
		  "tcpi_ca_state == TCP_CA_Open" },
		{ "assert tcpi_a - (tcpi_b - 1) == +1", "tcpi_a - (tcpi_b - 1) == 1" },
		{ "assert (1 < 2) == (3 > 4)", "(1 < 2) == (3 > 4)" },
	};
	char line[256];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(line, sizeof line, "0 %%{ %s }%%", cases[i].in);
		c = code(line);
		if (!cases[i].out) {
			ok(c && !c->supported, "%s: unsupported", cases[i].in);
			continue;
		}
		if (!ok(c && c->supported, "%s: supported", cases[i].in))
			continue;
		is_str(cond_text(c, 0), cases[i].out, "%s: printed", cases[i].in);
		/* The printed form parses back to the same tree. */
		char again[600];
		snprintf(again, sizeof again, "0 %%{ assert %s }%%", cases[i].out);
		char first[512];
		strcpy(first, cond_text(c, 0));
		c = code(again);
		is_str(cond_text(c, 0), first, "%s: reprinted", cases[i].in);
	}
	c = code("0 %{\n"
	         "# TCP_INFO checks\n"
	         "assert tcpi_state == 1; assert tcpi_backoff == 0\n"
	         "\n"
	         "assert (tcpi_rto >\n"
	         "        1000), \\\n"
	         "       tcpi_rto\n"
	         "}%");
	if (ok(c && c->supported, "multi-line block with comments, ';', continuations")) {
		is_int(c->n_asserts, 3, "three asserts");
		is_int(c->asserts[1].loc.line, 3, "second on line 3");
		is_int(c->asserts[1].loc.col, 25, "after the ';'");
		is_int(c->asserts[2].loc.line, 5, "third on line 5");
		ok(c->asserts[2].msg != NULL, "message after a backslash continuation");
	}
	c = code("0 %{ TCP_INFINITE_SSTHRESH = 0x7fffffff; assert tcpi_snd_ssthresh == "
	         "TCP_INFINITE_SSTHRESH }%");
	if (ok(c && c->supported, "constant assignment (packetdrill's cubic tests)")) {
		is_str(c->asserts[0].assign, "TCP_INFINITE_SSTHRESH", "assigned name");
		is_int(c->asserts[0].cond->num, 0x7fffffff, "value");
		ok(c->asserts[1].assign == NULL, "then an assert");
	}
	c = code("0 %{ tcpi_rtt = 1 }%");
	ok(c && !c->supported && strstr(c->unsupported_what, "assignment to `tcpi_rtt`"),
	   "no assignment to tcpi_ fields");
	c = code("0 %{ X == 1 }%");
	ok(c && !c->supported, "a bare comparison is not a statement");
	c = code("0 %{ }%");
	ok(c && c->supported && c->n_asserts == 0, "empty block");
}

static void test_unsupported(void)
{
	static const struct {
		const char *in, *diag;
	} cases[] = {
		{ "0 %{ print(tcpi_rtt) }%",
		  "t.pkt:1:6: unsupported: python block: statement `print` (only `assert` and "
		  "`NAME = ...`)\n0 %{ print(tcpi_rtt) }%\n     ^\n" },
		{ "0 %{ x = 1 }%", "t.pkt:1:6: unsupported: python block: assignment to `x` (only "
		                   "UPPER_CASE constants)\n0 %{ x = 1 }%\n     ^\n" },
		{ "0 %{ assert tcpi_rtt > rtt_min }%",
		  "t.pkt:1:24: unsupported: python block: name `rtt_min` (only tcpi_* fields and "
		  "UPPER_CASE constants)\n0 %{ assert tcpi_rtt > rtt_min }%\n"
		  "                       ^\n" },
		{ "0 %{ assert tcpi_rtt ** 2 > 0 }%",
		  "t.pkt:1:22: unsupported: python block: operator `**`\n"
		  "0 %{ assert tcpi_rtt ** 2 > 0 }%\n                     ^\n" },
		{ "0 %{ assert abs(tcpi_rtt) > 0 }%",
		  "t.pkt:1:13: unsupported: python block: name `abs` (only tcpi_* fields and "
		  "UPPER_CASE constants)\n0 %{ assert abs(tcpi_rtt) > 0 }%\n            ^\n" },
		{ "0 %{ assert TCP_X(1) }%",
		  "t.pkt:1:18: unsupported: python block: function call `(`\n"
		  "0 %{ assert TCP_X(1) }%\n                 ^\n" },
		{ "0 %{ assert tcpi_rtt > 1.5 }%",
		  "t.pkt:1:24: unsupported: python block: construct `1.5`\n"
		  "0 %{ assert tcpi_rtt > 1.5 }%\n                       ^\n" },
		{ "0 %{ assert tcpi_a in [1, 2] }%",
		  "t.pkt:1:20: unsupported: python block: construct `in`\n"
		  "0 %{ assert tcpi_a in [1, 2] }%\n                   ^\n" },
		{ "0 %{ assert \"s\" }%", "t.pkt:1:13: unsupported: python block: construct `\"`\n"
		                          "0 %{ assert \"s\" }%\n            ^\n" },
		{ "0 %{ assert (tcpi_a }%",
		  "t.pkt:1:20: unsupported: python block: construct at the end of the block "
		  "(expected `)`)\n0 %{ assert (tcpi_a }%\n                   ^\n" },
		{ "0 %{\nassert tcpi_a == 1\nif tcpi_b:\n    assert tcpi_b == 1\n}%",
		  "t.pkt:3:1: unsupported: python block: statement `if` (only `assert` and "
		  "`NAME = ...`)\nif tcpi_b:\n^\n" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct script *s = NULL;
		is_str(lang_parse_diags(cases[i].in, &s), cases[i].diag, "%s", cases[i].in);
		ok(s && s->n_events == 1 && !s->events[0].code->supported &&
		       s->events[0].code->n_asserts == 0 && s->events[0].code->unsupported_what,
		   "still parses, flagged unsupported, raw text kept");
		script_free(s);
	}
	const struct code_spec *c = code("0 %{ assert tcpi_a == 1\nimport os }%");
	if (ok(c && !c->supported, "unsupported after a supported statement")) {
		is_int(c->unsupported_loc.line, 2, "at the import");
		is_str(c->unsupported_what, "statement `import` (only `assert` and `NAME = ...`)",
		       "what");
		is_str(c->text, "assert tcpi_a == 1\nimport os", "raw text");
	}
	char deep[400] = "0 %{ assert ";
	for (int i = 0; i < 100; i++)
		strcat(deep, "(");
	strcat(deep, "1 }%");
	c = code(deep);
	ok(c && !c->supported && strstr(c->unsupported_what, "nested too deeply"),
	   "deep nesting: unsupported, not a crash");
}

int main(void)
{
	test_supported();
	test_unsupported();
	script_free(cur);
	done_testing();
}
