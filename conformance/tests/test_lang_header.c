/* The script header: --options, defines (-D, --define, $NAME, ${NAME}, bare
 * words as packetdrill does), init and cleanup commands, comments and
 * synack's // @annotations. */
#include "lang_support.h"
#include "tap.h"

#include <string.h>

static void test_options(void)
{
	struct script *s = lang_parse_ok("--ip_version=ipv4\n"
	                                 "--local_ip=192.168.0.1 --remote_ip=fd3d:fa7b:d17d::1\n"
	                                 "--tolerance_usecs=14000\n"
	                                 "--verbose\n"
	                                 "--define=CC=\"reno\"\n"
	                                 "--name=\"with blank\"\n"
	                                 "--init_scripts=defaults.sh\n",
	                                 NULL, 0);
	if (!ok(s, "header parses"))
		return;
	is_int(s->n_options, 8, "eight options, two on one line");
	is_str(s->options[0].name, "ip_version", "name");
	is_str(s->options[0].value, "ipv4", "value");
	is_int(s->options[0].loc.col, 1, "at the first dash");
	is_int(s->options[0].value_loc.col, 14, "value column");
	is_str(s->options[2].value, "fd3d:fa7b:d17d::1", "IPv6 address value");
	is_int(s->options[2].loc.line, 2, "second on line 2");
	is_int(s->options[2].loc.col, 24, "its column");
	is_str(s->options[3].value, "14000", "number value");
	is_str(s->options[4].name, "verbose", "flag without value");
	ok(s->options[4].value == NULL, "has NULL value");
	is_str(s->options[5].value, "CC=\"reno\"", "define keeps the inner quotes");
	is_str(s->options[6].value, "with blank", "quoted value unquoted");
	is_int(s->n_defines, 1, "--define registered");
	is_str(s->defines[0].name, "CC", "define name");
	is_str(s->defines[0].value, "\"reno\"", "define value");
	ok(!s->defines[0].from_command_line, "from the header");
	is_int(s->n_events, 0, "no events");
	lang_round_trip("--ip_version=ipv4\n--verbose\n--name=\"with blank\"\n0 f() = 0\n",
	                "header");
	script_free(s);
}

static void test_defines(void)
{
	const char *cmd[] = { "PORT=8080", "CC=\"cubic\"", "COOKIE=3021b9d889017eeb",
		              "CMD=`echo hi`" };
	struct script *s = lang_parse_ok("--define=PORT=1\n"
	                                 "--define=LEVEL=SOL_TCP\n"
	                                 "0 f($PORT, ${PORT}, PORT, LEVEL, CC, \"PORT\") = 0\n"
	                                 "+0 > S. 0:0(0) <FO COOKIE>\n"
	                                 "+0 CMD\n"
	                                 "+0 setsockopt(3, ${LEVEL}, TCP_CONGESTION, CC, 5) = 0\n",
	                                 cmd, 4);
	if (!ok(s, "parses with defines"))
		return;
	const struct expr_list *a = &s->events[0].syscall->args;
	is_str(a->items[0]->text, "8080", "$PORT: the command line wins over the header");
	is_str(a->items[1]->text, "8080", "${PORT}");
	is_str(a->items[2]->text, "8080", "bare word PORT (packetdrill's -D)");
	is_str(a->items[3]->name, "SOL_TCP", "header define");
	is_int(a->items[4]->kind, EXPR_STRING, "a quoted define is a string");
	is_str(a->items[4]->str, "cubic", "its text");
	is_str(a->items[5]->str, "PORT", "no substitution inside strings");
	is_int(a->items[0]->loc.col, 5, "location of the reference");
	is_int(a->items[3]->loc.col, 27, "bare word location");
	is_int(s->events[1].packet->options[0].data_len, 8, "cookie from a define");
	is_int(s->events[2].kind, EVENT_COMMAND, "backquoted define is a command");
	is_str(s->events[2].command->text, "echo hi", "command text");
	is_str(s->events[3].syscall->args.items[1]->name, "SOL_TCP", "${LEVEL}");
	is_int(s->n_defines, 5, "five defines");
	script_free(s);

	/* A define whose value refers to itself stops, and a missing one is an
	 * error at the reference. */
	const char *self[] = { "A=A", "B=$B" };
	s = lang_parse_ok("0 f(A) = 0\n", self, 2);
	ok(s && strcmp(s->events[0].syscall->args.items[0]->name, "A") == 0, "A=A: expanded once");
	script_free(s);
	is_str(lang_parse_err("--define=B=$B\n0 f($B) = 0\n"),
	       "t.pkt:2:5: error: define `B` expands to itself\n0 f($B) = 0\n    ^\n",
	       "recursive $B");
	is_str(lang_parse_err("--define=1x=2\n"),
	       "t.pkt:1:10: error: bad define `1x=2` (want NAME=VALUE)\n--define=1x=2\n"
	       "         ^\n",
	       "bad define name");
	is_str(lang_parse_err("--define\n"),
	       "t.pkt:1:1: error: `--define` needs NAME=VALUE\n--define\n^\n",
	       "define without value");
	is_str(lang_parse_err("0 f(${X) = 0\n"),
	       "t.pkt:1:5: error: expected a define name after `$`\n0 f(${X) = 0\n    ^\n",
	       "unclosed ${");
}

static void test_commands(void)
{
	struct script *s = lang_parse_ok("`first`\n"
	                                 "--mss=1000\n"
	                                 "`second \\` escaped`\n"
	                                 "0 `sysctl -q net.ipv4.tcp_sack=0`\n"
	                                 "+1 `multi\nline`\n"
	                                 "`cleanup`\n",
	                                 NULL, 0);
	if (!ok(s, "commands parse"))
		return;
	is_int(s->n_init_commands, 2, "two init commands");
	is_str(s->init_commands[0].text, "first", "first");
	is_str(s->init_commands[1].text, "second \\` escaped", "escaped backquote kept");
	is_int(s->init_commands[1].loc.line, 3, "its line");
	is_int(s->n_options, 1, "option between init commands");
	is_int(s->n_events, 2, "two command events");
	is_int(s->events[0].kind, EVENT_COMMAND, "command event");
	is_str(s->events[0].command->text, "sysctl -q net.ipv4.tcp_sack=0", "sysctl");
	is_int(s->events[0].command->loc.col, 3, "command column");
	is_str(s->events[1].command->text, "multi\nline", "multi-line command");
	ok(s->cleanup_command && strcmp(s->cleanup_command->text, "cleanup") == 0, "cleanup");
	script_free(s);
	lang_round_trip("`a`\n0 `b`\n`c`\n", "commands");
}

static void test_comments_and_annotations(void)
{
	struct script *s = lang_parse_ok("// @stacks: engine linux\n"
	                                 "//@divergence: linux   sends an extra ACK  \n"
	                                 "// not @an annotation\n"
	                                 "/* block\n   comment */ 0 f() = 0 // trailing\n"
	                                 "+0 g(/* inline */ 1) = 0\n"
	                                 "  // @requirement: RFC9293 MUST-24\n",
	                                 NULL, 0);
	if (!ok(s, "comments parse"))
		return;
	is_int(s->n_events, 2, "two events");
	is_int(s->events[0].loc.line, 5, "event after a block comment");
	is_int(s->events[0].loc.col, 15, "its column");
	is_int(s->events[1].syscall->args.items[0]->num, 1, "inline comment skipped");
	is_int(s->n_annotations, 3, "three annotations");
	is_str(s->annotations[0].key, "stacks", "stacks");
	is_str(s->annotations[1].key, "divergence", "no blank after //");
	is_str(s->annotations[1].value, "linux   sends an extra ACK", "value trimmed at the ends");
	is_str(s->annotations[2].key, "requirement", "indented");
	is_int(s->annotations[2].loc.col, 6, "at the @");
	script_free(s);
}

/* Scripts written on Windows: CRLF line ends are blanks; excerpts drop the CR. */
static void test_crlf(void)
{
	struct script *s = lang_parse_ok("--mss=1000\r\n// @stacks: engine\r\n"
	                                 "0 f() = 0 (note)\r\n+0 `x`\r\n",
	                                 NULL, 0);
	if (ok(s, "CRLF script parses")) {
		is_str(s->options[0].value, "1000", "value without CR");
		is_str(s->annotations[0].value, "engine", "annotation without CR");
		is_str(s->events[0].syscall->note, "note", "note");
		is_int(s->n_events, 2, "two events");
	}
	script_free(s);
	is_str(lang_parse_err("0 f() = 0\r\n+0 g(\r\n"),
	       "t.pkt:2:6: error: expected an expression (integer, name, string, `...`, `[...]` or "
	       "`{...}`), got end of file\n+0 g(\n     ^\n",
	       "excerpt without the CR");
}

int main(void)
{
	test_crlf();
	test_options();
	test_defines();
	test_commands();
	test_comments_and_annotations();
	done_testing();
}
