/* The parser on hostile input: never a crash, never a hang, never an
 * out-of-bounds read (the ASan+UBSan build checks memory), and every failure
 * comes with a diagnostic whose location is inside the input. A success must
 * print back to a script that parses to the same text.
 *
 * Inputs: hand-written malformed cases, every truncation and many byte
 * mutations of a real-shape script, token soup from the language's own
 * vocabulary, and raw random bytes, all from a seeded xorshift PRNG so a
 * failure reproduces. */
#include "lang_support.h"
#include "tap.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t pick(size_t n)
{
	return (size_t)(xorshift() % n);
}

struct verdict {
	int runs;
	int parsed;
	int bad; /* broken promises */
	double worst_secs;
	char first_bad[512];
};

static int count_lines(const char *s, size_t n)
{
	int lines = 1;
	for (size_t i = 0; i < n; i++)
		lines += s[i] == '\n';
	return lines;
}

static size_t line_len(const char *s, size_t n, int line)
{
	size_t i = 0;
	for (int l = 1; l < line && i < n; i++)
		if (s[i] == '\n')
			l++;
	size_t k = i;
	while (k < n && s[k] != '\n')
		k++;
	return k - i;
}

static void note_bad(struct verdict *v, const char *why, const char *in, size_t n)
{
	if (!v->bad++) {
		int shown = n > 200 ? 200 : (int)n;
		snprintf(v->first_bad, sizeof v->first_bad, "%s; input (%zu bytes): %.*s", why, n,
		         shown, in);
	}
}

/* One input through the parser, and the printer when it parses. */
static void check(struct verdict *v, const char *in, size_t n, const struct lang_options *opts)
{
	struct diag_list l;
	struct script *s = NULL;
	diag_list_init(&l);
	clock_t t0 = clock();
	int r = lang_parse_buffer("fuzz.pkt", in, n, opts, &s, &l);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	if (secs > v->worst_secs)
		v->worst_secs = secs;
	v->runs++;
	int lines = count_lines(in, n);
	if (r != 0 && (s != NULL || l.n_errors == 0))
		note_bad(v, "failed without an error", in, n);
	if (r == 0 && (s == NULL || l.n_errors != 0))
		note_bad(v, "parsed with an error", in, n);
	for (size_t i = 0; i < l.count; i++) {
		const struct diag *d = &l.items[i];
		if (!d->loc.file || d->loc.line < 1 || d->loc.line > lines || d->loc.col < 1 ||
		    (size_t)d->loc.col > line_len(in, n, d->loc.line) + 1 || !d->message)
			note_bad(v, "diagnostic location outside the input", in, n);
		char buf[64];
		diag_format(buf, sizeof buf, d); /* must not overrun */
	}
	diag_list_free(&l);
	if (r == 0) {
		v->parsed++;
		char *t1 = lang_script_text(s);
		struct script *s2 = NULL;
		diag_list_init(&l);
		if (!t1 || lang_parse_buffer("p.pkt", t1, strlen(t1), NULL, &s2, &l) != 0) {
			note_bad(v, "printed script does not parse", in, n);
		} else {
			char *t2 = lang_script_text(s2);
			if (!t2 || strcmp(t1, t2) != 0)
				note_bad(v, "print/parse/print differs", in, n);
			free(t2);
		}
		diag_list_free(&l);
		script_free(s2);
		free(t1);
		script_free(s);
	}
}

static void report(const struct verdict *v, const char *what)
{
	ok(v->bad == 0, "%s: %d inputs, %d parsed, none broke a promise", what, v->runs, v->parsed);
	if (v->bad)
		tap_diag("%d bad; first: %s", v->bad, v->first_bad);
	ok(v->worst_secs < 2.0, "%s: slowest parse %.3f s", what, v->worst_secs);
}

static const char *const malformed[] = {
	"",
	"\n\n\n",
	"+",
	"0",
	"0 <",
	"0 >",
	"*",
	"~",
	"0~",
	"+0~0.1 < S 0:0(0)",
	"0 < S 0:0(0",
	"0 < S 0:10(0)",
	"0 < X 0:0(0)",
	"0 < S 0:0(0) win 70000",
	"0 < S 0:0(0) <mss 1460,",
	"0 < S 0:0(0) <...>",
	"0 > S 0:0(0) <sack 1:2 3:4 5:6 7:8 9:10>",
	"0 > S 0:0(0) <FO 123>",
	"0 > S 0:0(0) <md5 zz>",
	"0 > S 0:0(0) <kind 1 len 1>",
	"0 < [ect01] S 0:0(0)",
	"0 < (tos 0x1ff) S 0:0(0)",
	"0 < icmp",
	"0 < icmp unreachable [",
	"0 < udp (",
	"0 socket(",
	"0 socket(..., = 3",
	"0 socket() =",
	"0 socket() = -",
	"0 socket() = 3 EFOO (",
	"0 write(3, \"abc",
	"0 write(3, \"abc\\",
	"`unterminated",
	"0 %{ assert tcpi_rtt > 0",
	"/* unterminated",
	"// only a comment",
	"0 f(99999999999999999999999)",
	"0 f(-9223372036854775809)",
	"0 f(0x1ffffffffffffffff)",
	"99999999999999999999 f() = 0",
	"9223372036854.775807 f() = 0",
	"0.0000001 f() = 0",
	"--",
	"--=",
	"--define",
	"--define==",
	"--define=A=A\n0 A() = 0",
	"--define=A=B\n--define=B=A\n0 A() = 0",
	"--define=A=$A\n0 $A() = 0",
	"0 $UNDEFINED() = 0",
	"0 ${X() = 0",
	"0 $",
	"0 f() = 0\n--late=1",
	"0 `ok`\n`cleanup`\n0 f() = 0",
	"0 f({a=[{b=(1)}]}) = 0",
	"0 f(a(1, 2)=3) = 0",
	"0 ...",
	"0...+ f() = 0",
	"1...0.5 f() = 0",
	"0 %{ }%",
	"0 %{ assert (((((1 }%",
	"0 %{ assert 1 < }%",
	"0 %{ x = 1 }%",
	"\x01\x02\x03",
	"0 < S\x00 0:0(0)",
	"\xff\xfe\xfd",
};

static void test_malformed(void)
{
	struct verdict v = { 0 };
	for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
		check(&v, malformed[i], strlen(malformed[i]), NULL);
	/* NUL bytes inside the buffer, not only at the end. */
	static const char nul[] = "0 socket(..., SOCK_STREAM, 0) = 3\n\0+0 close(3) = 0\n";
	check(&v, nul, sizeof nul - 1, NULL);
	report(&v, "hand-written malformed inputs");
}

static void test_deep_and_long(void)
{
	struct verdict v = { 0 };
	size_t n = 200000;
	char *b = malloc(n + 64);
	/* Deep nesting: [[[[... */
	strcpy(b, "0 f(");
	memset(b + 4, '[', n);
	b[n + 4] = '\0';
	check(&v, b, strlen(b), NULL);
	/* {{{{ and (((( in code. */
	memset(b + 4, '{', n);
	check(&v, b, strlen(b), NULL);
	strcpy(b, "0 %{ assert ");
	memset(b + 12, '(', n - 20);
	strcpy(b + n - 8, " }%");
	check(&v, b, strlen(b), NULL);
	/* A huge flat list and a huge number. */
	strcpy(b, "0 f([");
	for (size_t i = 5; i + 2 < n; i += 2)
		memcpy(b + i, "1,", 2);
	strcpy(b + n - 2, "1])");
	check(&v, b, strlen(b), NULL);
	memset(b, '9', n);
	b[n] = '\0';
	check(&v, b, n, NULL);
	/* A long line of garbage and many empty events. */
	for (size_t i = 0; i < n; i++)
		b[i] = "+0 \n"[i % 4];
	check(&v, b, n, NULL);
	/* Exponential define expansion must stop. */
	strcpy(b, "--define=A=B/**/B/**/B/**/B\n--define=B=C/**/C/**/C/**/C\n"
	          "--define=C=D/**/D/**/D/**/D\n--define=D=E/**/E/**/E/**/E\n0 A() = 0\n");
	check(&v, b, strlen(b), NULL);
	/* 100000 adjacent string pieces concatenate in linear time. */
	strcpy(b, "0 f(");
	for (size_t i = 4; i + 8 < n; i += 4)
		memcpy(b + i, "\"ab\"", 4);
	strcpy(b + n - 8, ") = 0");
	check(&v, b, strlen(b), NULL);
	/* Thousands of defines, every word looked up: must stay linear. */
	char *big = malloc(2000000);
	size_t k = 0;
	for (int i = 0; i < 20000; i++)
		k += (size_t)sprintf(big + k, "--define=DEFINE_NUMBER_%d=%d\n", i, i);
	k += (size_t)sprintf(big + k, "0 f(");
	for (int i = 0; i < 20000; i++)
		k += (size_t)sprintf(big + k, "%sDEFINE_NUMBER_%d", i ? ", " : "", 19999 - i);
	k += (size_t)sprintf(big + k, ") = 0\n");
	check(&v, big, k, NULL);
	free(big);
	const char *defs[] = { "X=$X", "Y=[Y]", "Z=\"unterminated" };
	struct lang_options o = { defs, 3, 0, 0 };
	check(&v, "0 f($X) = 0", 11, &o);
	check(&v, "0 f(Y) = 0", 10, &o);
	check(&v, "0 f(Z) = 0", 10, &o);
	free(b);
	report(&v, "deep, long and expanding inputs");
}

static const char sample[] =
    "// @stacks: engine\n"
    "--tolerance_usecs=10000\n"
    "`sysctl -q net.ipv4.tcp_timestamps=1`\n"
    "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
    "+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"
    "+0 bind(3, ..., ...) = 0\n"
    "+0 listen(3, 1) = 0\n"
    "+0 < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>\n"
    "+0 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 200 ecr 100,nop,wscale 8>\n"
    "+.1 < . 1:1(0) ack 1 win 257\n"
    "+0 accept(3, ..., ...) = 4\n"
    "+0 < [ect0] P. 1:1001(1000) ack 1 win 257\n"
    "* > . 1:1(0) ack 1001 <nop,nop,sack 1:2 3:4>\n"
    "+0 sendmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 100}], msg_flags=0}, 0) = 100\n"
    "+0 poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 0) = 1\n"
    "0.1...0.2 read(4, ..., 100) = -1 EAGAIN (Resource temporarily unavailable)\n"
    "+0~+0.1 > F. 1:1(0) ack 1001\n"
    "+0 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]\n"
    "+0 %{ assert tcpi_rto >= 200000 and tcpi_snd_cwnd == 10, tcpi_rto }%\n"
    "+0 `echo \"done\"`\n"
    "/* end */\n";

static void test_mutations(void)
{
	struct verdict v = { 0 };
	size_t n = sizeof sample - 1;
	char *b = malloc(n + 1);
	/* Every truncation. */
	for (size_t k = 0; k <= n; k++)
		check(&v, sample, k, NULL);
	report(&v, "every truncation of a sample script");
	struct verdict m = { 0 };
	static const char interesting[] = "<>()[]{},:=|+*~.-\"`%$/\\\n\t 09xSF\0";
	for (int i = 0; i < 6000; i++) {
		memcpy(b, sample, n);
		int edits = 1 + (int)pick(4);
		for (int e = 0; e < edits; e++) {
			size_t at = pick(n);
			switch (pick(3)) {
			case 0:
				b[at] = (char)xorshift();
				break;
			case 1:
				b[at] = interesting[pick(sizeof interesting - 1)];
				break;
			default: /* delete a run */
				memmove(b + at, b + at + 1, n - at - 1);
				b[n - 1] = ' ';
				break;
			}
		}
		check(&m, b, n, NULL);
	}
	report(&m, "byte mutations of a sample script");
	free(b);
}

static const char *const vocab[] = {
	"0",      "+0",     "+.1",   "0.5",    "*",        "~",       "...",         "<",
	">",      "S",      "S.",    "F.",     "P.",       "R",       ".",           "-",
	"0:0(0)", "1:1(0)", "ack",   "1",      "win",      "65535",   "urg",         "<mss",
	"1460",   ",",      "nop",   "sackOK", "wscale",   "7>",      "TS",          "val",
	"ecr",    "sack",   "1:2",   "FO",     "abcd",     "md5",     "<...>",       "[ect0]",
	"(tos",   "0x10)",  "icmp",  "udp",    "(100)",    "mtu",     "socket(",     "...,",
	"f(",     ")",      "=",     "-1",     "EAGAIN",   "(note)",  "[",           "]",
	"{",      "}",      "fd=4",  "|",      "POLLIN",   "\"str\"", "msg_iov(1)=", "htons(",
	"`cmd`",  "%{",     "}%",    "assert", "tcpi_rtt", "<=",      "and",         "\n",
	"\n",     "\n",     "--x=1", "//c\n",  "/*c*/",    "$A",      "${A}",        "A",
};

static void test_token_soup(void)
{
	struct verdict v = { 0 };
	char buf[4096];
	const char *defs[] = { "A=S.", "B=[1]" };
	struct lang_options o = { defs, 2, 0, 0 };
	size_t nv = sizeof vocab / sizeof vocab[0];
	for (int i = 0; i < 20000; i++) {
		size_t n = 0, words = 1 + pick(40);
		for (size_t w = 0; w < words; w++) {
			const char *t = vocab[pick(nv)];
			size_t tl = strlen(t);
			if (n + tl + 2 >= sizeof buf)
				break;
			memcpy(buf + n, t, tl);
			n += tl;
			if (pick(4))
				buf[n++] = ' ';
		}
		check(&v, buf, n, &o);
	}
	report(&v, "token soup from the language's vocabulary");
}

static void test_random_bytes(void)
{
	struct verdict v = { 0 };
	char buf[512];
	for (int i = 0; i < 5000; i++) {
		size_t n = pick(sizeof buf);
		for (size_t k = 0; k < n; k++)
			buf[k] = (char)xorshift();
		check(&v, buf, n, NULL);
	}
	report(&v, "random bytes");
}

static void test_file_errors(void)
{
	is_int(lang_parse_buffer(NULL, "0 f() = 0", 9, NULL, NULL, NULL), 0,
	       "NULL name, out and diags: a verdict only");
	is_int(lang_parse_buffer("x", NULL, 5, NULL, NULL, NULL), 0, "NULL text is empty");
	is_int(lang_parse_buffer("x", "0 <", 3, NULL, NULL, NULL), -1, "and a failure");
	struct diag_list l;
	struct script *s = (struct script *)&l; /* must be reset to NULL */
	diag_list_init(&l);
	is_int(lang_parse_file("/nonexistent/x.pkt", NULL, &s, &l), -1, "missing file fails");
	ok(s == NULL, "no script for a missing file");
	char buf[256];
	diag_format(buf, sizeof buf, &l.items[0]);
	is_str(buf, "/nonexistent/x.pkt: error: cannot open: No such file or directory\n",
	       "missing file diagnostic");
	diag_list_free(&l);
	diag_list_init(&l);
	is_int(lang_parse_file("/", NULL, &s, &l), -1, "a directory fails");
	ok(l.n_errors == 1, "with one error");
	diag_list_free(&l);
}

int main(void)
{
	test_malformed();
	test_deep_and_long();
	test_mutations();
	test_token_soup();
	test_random_bytes();
	test_file_errors();
	done_testing();
}
