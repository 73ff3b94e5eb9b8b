/* Error messages, checked exactly: `file:line:col: error: message`, the
 * source line, a caret under the column. And recovery: one error per event,
 * the next event still parsed, no cascade. */
#include "lang_support.h"
#include "tap.h"

#include <string.h>

static void err_is(const char *text, const char *want, const char *name)
{
	is_str(lang_parse_err(text), want, "%s", name);
}

static void test_exact_messages(void)
{
	err_is("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
	       "+0 < S 0:0(0) wim 100\n",
	       "t.pkt:2:15: error: expected `ack`, `win`, `urg`, `<options>` or the end of the "
	       "event, got `wim`\n"
	       "+0 < S 0:0(0) wim 100\n"
	       "              ^\n",
	       "unknown packet field");
	err_is("+0 < SX 0:0(0)\n",
	       "t.pkt:1:7: error: unknown TCP flag `X`\n"
	       "+0 < SX 0:0(0)\n"
	       "      ^\n",
	       "bad flag letter, caret under it");
	err_is("\t+0\t< S 0:1(0)\n",
	       "t.pkt:1:9: error: inconsistent TCP sequence numbers and payload size\n"
	       "\t+0\t< S 0:1(0)\n"
	       "\t  \t    ^\n",
	       "tabs kept under the caret");
	err_is("+0 connect(3, ..., ...) = -1 ECONNREFUSED (Connection refused\n",
	       "t.pkt:1:43: error: unterminated `(`: the note must end with `)` on its line\n"
	       "+0 connect(3, ..., ...) = -1 ECONNREFUSED (Connection refused\n"
	       "                                          ^\n",
	       "unterminated note");
	err_is("+0 close(3)\n",
	       "t.pkt:1:12: error: expected `=` and the expected result after the syscall, got end "
	       "of file\n"
	       "+0 close(3)\n"
	       "           ^\n",
	       "missing result");
	err_is("+0 write(4, \"abc, 3) = 3\n",
	       "t.pkt:1:13: error: unterminated string\n"
	       "+0 write(4, \"abc, 3) = 3\n"
	       "            ^\n",
	       "unterminated string");
	err_is("/* never closed\n+0 close(3) = 0\n",
	       "t.pkt:1:1: error: unterminated comment\n"
	       "/* never closed\n"
	       "^\n",
	       "unterminated comment");
	err_is("+0 `echo hi\n",
	       "t.pkt:1:4: error: unterminated backquoted command\n"
	       "+0 `echo hi\n"
	       "   ^\n",
	       "unterminated command");
	err_is("+0 %{ assert tcpi_rtt > 0 }\n",
	       "t.pkt:1:4: error: unterminated %{ }% block\n"
	       "+0 %{ assert tcpi_rtt > 0 }\n"
	       "   ^\n",
	       "unterminated code block");
	err_is("+0 f(123456789012345678901234567890) = 0\n",
	       "t.pkt:1:6: error: integer 123456789012345678901234567890 out of range\n"
	       "+0 f(123456789012345678901234567890) = 0\n"
	       "     ^\n",
	       "integer overflow");
	err_is("99999999999999999999 f() = 0\n",
	       "t.pkt:1:1: error: time 99999999999999999999 out of range\n"
	       "99999999999999999999 f() = 0\n"
	       "^\n",
	       "time overflow");
	err_is("+0 < S 0:0(0) win 65536\n",
	       "t.pkt:1:19: error: TCP window value 65536 out of range (0..65535)\n"
	       "+0 < S 0:0(0) win 65536\n"
	       "                  ^\n",
	       "window out of range");
	err_is("+0 < S 0:0(0) <mss 1460, bogus 3>\n",
	       "t.pkt:1:26: error: unknown TCP option `bogus`\n"
	       "+0 < S 0:0(0) <mss 1460, bogus 3>\n"
	       "                         ^\n",
	       "unknown option");
	err_is("0 f(\x01) = 0\n",
	       "t.pkt:1:5: error: expected an expression (integer, name, string, `...`, `[...]` or "
	       "`{...}`), got byte 0x01\n"
	       "0 f(\x01) = 0\n"
	       "    ^\n",
	       "control byte named by value");
	static const char nul[] = "0 f(\0) = 0\n";
	struct diag_list l;
	struct script *s = NULL;
	diag_list_init(&l);
	is_int(lang_parse_buffer("t.pkt", nul, sizeof nul - 1, NULL, &s, &l), -1, "NUL fails");
	char buf[256];
	diag_format(buf, sizeof buf, &l.items[0]);
	is_str(buf, "t.pkt:1:5: error: NUL byte in input\n0 f( ) = 0\n    ^\n",
	       "NUL byte reported, shown as a blank");
	diag_list_free(&l);
	err_is("", "(parsed)", "empty input parses");
	struct script *e = NULL;
	is_str(lang_parse_diags("// nothing\n", &e),
	       "t.pkt:1:1: warning: script has no events\n// nothing\n^\n", "with a warning");
	script_free(e);
}

static void test_recovery(void)
{
	const char *text = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
	                   "+0 bind(3, ..., ...) == 0\n"
	                   "+0 listen(3, 1) = 0\n"
	                   "+0 < Q 0:0(0) win 100\n"
	                   "+0 < S 0:0(0)\n"
	                   "   <mss 1460, nope>\n"
	                   "+0 close(3) = 0\n";
	const char *got = lang_parse_err(text);
	is_str(got,
	       "t.pkt:2:23: error: expected the expected result (an integer or `...`), got `=`\n"
	       "+0 bind(3, ..., ...) == 0\n"
	       "                      ^\n"
	       "t.pkt:4:6: error: expected TCP flags (S F R P . E W U A, or - for none), got `Q`\n"
	       "+0 < Q 0:0(0) win 100\n"
	       "     ^\n"
	       "t.pkt:6:15: error: unknown TCP option `nope`\n"
	       "   <mss 1460, nope>\n"
	       "              ^\n",
	       "three errors, one per bad event, none cascading");

	/* Many bad lines: the list stops at the limit. */
	char many[8192] = "";
	for (int i = 0; i < 300; i++)
		strcat(many, "+0 ?\n");
	struct diag_list l;
	struct script *s = NULL;
	diag_list_init(&l);
	struct lang_options o = { 0 };
	o.max_diags = 5;
	is_int(lang_parse_buffer("t.pkt", many, strlen(many), &o, &s, &l), -1, "fails");
	is_int(l.count, 5, "stops at max_diags");
	diag_list_free(&l);
}

static void test_semantic_errors(void)
{
	err_is("0 `multi\nline` junk\n",
	       "t.pkt:2:7: error: expected the end of the event, got `junk`\nline` junk\n"
	       "      ^\n",
	       "junk after a multi-line command is trailing junk");
	err_is("* socket() = 3\n",
	       "t.pkt:1:1: error: event time `*` can only be used with outbound packets\n"
	       "* socket() = 3\n"
	       "^\n",
	       "* on a syscall");
	err_is("0~1 < S 0:0(0)\n",
	       "t.pkt:1:1: error: event time range can only be used with outbound packets and "
	       "syscalls\n"
	       "0~1 < S 0:0(0)\n"
	       "^\n",
	       "range on an inbound packet");
	err_is("0.2~0.1 > S 0:0(0)\n",
	       "t.pkt:1:5: error: time range is backwards\n"
	       "0.2~0.1 > S 0:0(0)\n"
	       "    ^\n",
	       "backwards range");
	err_is("0 f() = 0\n--tolerance_usecs=1\n",
	       "t.pkt:2:1: error: header option `--tolerance_usecs` after the first event\n"
	       "--tolerance_usecs=1\n"
	       "^\n",
	       "late header option");
	err_is("0 f() = 0\n`mid`\n0 g() = 0\n",
	       "t.pkt:2:1: error: a command without a time is only allowed before the first event "
	       "or as the last line (cleanup)\n"
	       "`mid`\n"
	       "^\n",
	       "untimed command in the middle");
	err_is("0.5...0.1 accept(3, ..., ...) = 4\n",
	       "t.pkt:1:7: error: blocking call ends before it starts\n"
	       "0.5...0.1 accept(3, ..., ...) = 4\n"
	       "      ^\n",
	       "blocking end before start");
	err_is("-1 f() = 0\n",
	       "t.pkt:1:1: error: negative time\n"
	       "-1 f() = 0\n"
	       "^\n",
	       "negative time");
	err_is("0 $NOPE() = 0\n",
	       "t.pkt:1:3: error: undefined `$NOPE`\n"
	       "0 $NOPE() = 0\n"
	       "  ^\n",
	       "undefined $define");
}

int main(void)
{
	test_exact_messages();
	test_recovery();
	test_semantic_errors();
	done_testing();
}
