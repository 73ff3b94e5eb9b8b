/* Lexical corner cases, seen through the parse tree: numbers that are words
 * (packetdrill's FO cookies), escapes, adjacency, comments in odd places,
 * tokens that end on a line another token starts. */
#include "lang_support.h"
#include "tap.h"

#include <string.h>

static struct script *cur;

static const struct expr *arg0(const char *line)
{
	script_free(cur);
	cur = lang_parse_ok(line, NULL, 0);
	if (!cur || !cur->n_events || cur->events[0].kind != EVENT_SYSCALL ||
	    !cur->events[0].syscall->args.count)
		return NULL;
	return cur->events[0].syscall->args.items[0];
}

static void test_numbers_and_words(void)
{
	const struct expr *e = arg0("0 f(3021b9d8) = 0");
	ok(e && e->kind == EXPR_NAME && strcmp(e->name, "3021b9d8") == 0,
	   "digits then letters: a word, as in packetdrill");
	e = arg0("0 f(0x) = 0");
	ok(e && e->kind == EXPR_NAME, "0x alone is a word");
	e = arg0("0 f(0XFF) = 0");
	ok(e && e->kind == EXPR_INT && e->num == 255, "0X is hex too");
	e = arg0("0 f(007) = 0");
	ok(e && e->num == 7 && strcmp(e->text, "007") == 0, "leading zeros are decimal, text kept");
	ok(strcmp(lang_parse_err("0 f(18446744073709551615) = 0"), "(parsed)") != 0,
	   "2^64-1 in decimal does not fit an int64");
	ok(strcmp(lang_parse_err("1.000000 f() = 0\n2. f() = 0\n"), "(parsed)") != 0,
	   "`2.` is not a time");
}

static void test_strings(void)
{
	const struct expr *e = arg0("0 f(\"tab\\there\\r\\n\\q\\\\\") = 0");
	ok(e && e->str_len == 13 && memcmp(e->str, "tab\there\r\n\\q\\", 13) == 0,
	   "escapes decoded, unknown ones kept");
	e = arg0("0 f(\"multi\nline\") = 0");
	ok(e && strcmp(e->str, "multi\nline") == 0, "a string may span lines");
	is_int(cur ? cur->n_events : 0, 1, "one event");
	e = arg0("0 f(\"// not a comment /* */\") = 0");
	ok(e && strcmp(e->str, "// not a comment /* */") == 0, "comment markers inside strings");
	e = arg0("0 f(\"\\x4\") = 0");
	ok(e && strcmp(e->str, "\\x4") == 0, "a short \\x escape is kept as written");
	e = arg0("0 f(\"\") = 0");
	ok(e && e->str_len == 0, "empty string");
}

static void test_adjacency_and_comments(void)
{
	struct script *s = lang_parse_ok("0/*a*/</**/S/**/0:0(0)//x\n"
	                                 "+0 f(1/**/,/**/2)=0\n"
	                                 "+0 > S./**/0:0(0)\n",
	                                 NULL, 0);
	if (ok(s, "comments between any tokens")) {
		is_int(s->n_events, 3, "three events");
		is_hex(s->events[0].packet->flags, TCPF_SYN, "S");
		is_int(s->events[1].syscall->args.count, 2, "two args");
		is_hex(s->events[2].packet->flags, TCPF_SYN | TCPF_ACK, "S. before a comment");
	}
	script_free(s);
	is_str(lang_parse_err("0 > S /**/. 0:0(0)\n"),
	       "t.pkt:1:11: error: expected a sequence range SEQ:END(LEN), got `.`\n"
	       "0 > S /**/. 0:0(0)\n"
	       "          ^\n",
	       "a comment separates flags like a blank");
	s = lang_parse_ok("0 f(...) = ...\n+0 g(\"a\"...) = 0\n", NULL, 0);
	ok(s && s->events[1].syscall->args.items[0]->prefix, "string... prefix");
	script_free(s);
	ok(strcmp(lang_parse_err("0 f(\"a\" ...) = 0\n"), "(parsed)") != 0,
	   "\"a\" ... with a blank is two arguments without a comma");
}

static void test_positions(void)
{
	struct script *s = lang_parse_ok("\t0 f() = 0\n"
	                                 "/* one\n two */ +1 g() = 0\n",
	                                 NULL, 0);
	if (ok(s, "parses")) {
		is_int(s->events[0].loc.col, 2, "after a tab: byte column 2");
		is_int(s->events[1].loc.line, 3, "after a multi-line comment");
		is_int(s->events[1].loc.col, 9, "its column");
	}
	script_free(s);
}

int main(void)
{
	test_numbers_and_words();
	test_strings();
	test_adjacency_and_comments();
	test_positions();
	script_free(cur);
	done_testing();
}
