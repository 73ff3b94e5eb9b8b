/* Requirement coverage (conformance/run/coverage.c): the table and header
 * parsers, the checks, and the corpus itself: every script under
 * conformance/scripts/ has a purpose line, @requirement and @stacks and cites
 * only RFC 9293 IDs the table has, and docs/coverage.md is what
 * `make coverage-matrix` would write now. */
#include "run/coverage.h"
#include "tap.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_table_parse(void)
{
	subtest("table parser");
	struct cov_table t;
	char *err = NULL;
	static const char good[] = "# comment\n"
	                           "\n"
	                           "MUST-13 | wire | TIME-WAIT lasts 2 MSL\n"
	                           "MUST-9 | no: not on the wire | secret PRF\n"
	                           "SHLD-3 | wire: needs X | RST on close with data\n";
	if (ok(cov_table_parse(good, &t, &err) == 0, "a valid table parses")) {
		is_uint(t.n, 3, "three requirements");
		is_str(t.v[0].id, "MUST-13", "first id");
		ok(t.v[0].wire && !t.v[0].why, "MUST-13 is wire-testable, no note");
		ok(!t.v[1].wire, "MUST-9 is not");
		is_str(t.v[1].why, "not on the wire", "its reason");
		is_str(t.v[1].desc, "secret PRF", "its description");
		ok(t.v[2].wire, "SHLD-3 is wire-testable");
		is_str(t.v[2].why, "needs X", "with a note");
		ok(cov_table_find(&t, "SHLD-3") == &t.v[2], "find SHLD-3");
		ok(!cov_table_find(&t, "MUST-1"), "MUST-1 is not there");
		cov_table_free(&t);
	}
	static const char *const bad[] = {
		"MUST-1 wire description\n",              /* no bars */
		"MUST-x | wire | d\n",                    /* not a number */
		"MAY-3 | wire | d\n",                     /* only MUST and SHLD */
		"MUST-1 | maybe | d\n",                   /* neither wire nor no: */
		"MUST-1 | no: | d\n",                     /* no reason */
		"MUST-1 | wire |\n",                      /* no description */
		"MUST-1 | wire | a\nMUST-1 | wire | b\n", /* twice */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err = NULL;
		ok(cov_table_parse(bad[i], &t, &err) < 0 && err, "rejected: %.*s",
		   (int)strcspn(bad[i], "\n"), bad[i]);
		free(err);
	}
	err = NULL;
	cov_table_parse("# x\nMUST-2 | wire | a\nMUST-2 | wire | b\n", &t, &err);
	ok(err && strstr(err, "line 3"), "the error names the line: %s", err ? err : "(none)");
	free(err);
	subtest_end();
}

static void test_ids(void)
{
	subtest("RFC 9293 ids in a requirement line");
	char ids[8][16];
	size_t n = cov_rfc9293_ids("RFC9293 3.8.6.1 (MUST-36, MUST-37); RFC 5961 §3.2 MUST-99; "
	                           "RFC 9293 SHLD-3; Linux: tcp_close; RFC9293 3.6",
	                           ids, 8);
	is_uint(n, 3, "three ids, only from RFC 9293 citations");
	if (n == 3) {
		is_str(ids[0], "MUST-36", "first");
		is_str(ids[1], "MUST-37", "second");
		is_str(ids[2], "SHLD-3", "third (RFC 9293 with a blank)");
	}
	is_uint(cov_rfc9293_ids("RFC9293 MUST-13; RFC9293 MUST-13 again", ids, 8), 1,
	        "an id cited twice counts once");
	is_uint(cov_rfc9293_ids("RFC9293 XMUST-13", ids, 8), 0, "not inside a word");
	is_uint(cov_rfc9293_ids("RFC9293 3.4 (modulo; MUST-1 here); MUST-2", ids, 8), 1,
	        "';' inside parentheses does not split a citation");
	subtest_end();
}

static void test_script_parse(void)
{
	subtest("script headers");
	struct cov_script s;
	cov_script_parse("a.pkt",
	                 "// What it checks.\n"
	                 "// @requirement: RFC9293 MUST-13\n"
	                 "// @stacks: engine linux\n"
	                 "// @divergence: engine:rfc 2 MSL is 240 s\n"
	                 "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n",
	                 &s);
	is_str(s.purpose, "What it checks.", "purpose");
	is_str(s.requirement, "RFC9293 MUST-13", "requirement");
	is_str(s.stacks, "engine linux", "stacks");
	is_uint(s.n_divergences, 1, "one divergence");
	if (s.n_divergences == 1)
		is_str(s.divergences[0], "engine:rfc 2 MSL is 240 s", "its text");
	cov_script_free(&s);

	cov_script_parse("b.pkt", "// @requirement: RFC9293 MUST-13\n0 socket() = 3\n", &s);
	ok(!s.purpose, "a first line that is a tag is no purpose");
	ok(!s.stacks, "no @stacks");
	cov_script_free(&s);

	cov_script_parse("c.pkt", "0 socket() = 3\n// A comment later\n", &s);
	ok(!s.purpose, "a first line that is not a comment is no purpose");
	cov_script_free(&s);
	subtest_end();
}

static void test_check(void)
{
	subtest("checks");
	struct cov_table t;
	char *err = NULL;
	if (!ok(cov_table_parse("MUST-13 | wire | x\n", &t, &err) == 0, "table")) {
		free(err);
		subtest_end();
		return;
	}
	struct cov_script s[3];
	cov_script_parse("good.pkt", "// p\n// @requirement: RFC9293 MUST-13\n// @stacks: linux\n",
	                 &s[0]);
	cov_script_parse("unknown.pkt",
	                 "// p\n// @requirement: RFC9293 MUST-13, MUST-99\n// @stacks: linux\n",
	                 &s[1]);
	cov_script_parse("bare.pkt", "0 socket() = 3\n", &s[2]);
	struct cov_script div;
	cov_script_parse("div.pkt",
	                 "// p\n// @requirement: RFC9293 MUST-13\n// @stacks: linux\n"
	                 "// @divergence: engine\n",
	                 &div);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	is_int(cov_check(&t, s, 1, f), 0, "a complete header is fine");
	is_int(cov_check(&t, s + 1, 1, f), 1, "an unknown RFC 9293 id is a problem");
	is_int(cov_check(&t, s + 2, 1, f), 3,
	       "no purpose, @requirement or @stacks: three problems");
	is_int(cov_check(&t, &div, 1, f), 1, "a divergence without a reason is a problem");
	cov_script_free(&div);
	fclose(f);
	ok(buf && strstr(buf, "unknown.pkt: cites RFC 9293 MUST-99"),
	   "the problem names script and id");
	ok(buf && strstr(buf, "bare.pkt: no // @stacks: line"), "and a missing @stacks");
	free(buf);

	/* The document: the covered requirement links its script. */
	buf = NULL;
	f = open_memstream(&buf, &len);
	cov_write_markdown(f, &t, s, 1, "../");
	fclose(f);
	ok(buf && strstr(buf, "| MUST-13 | x | [good](../good.pkt) |"), "MUST-13 lists good.pkt");
	ok(buf && strstr(buf, "| checked by a script | 1 | 0 | 1 |"), "summary counts it");
	free(buf);
	for (int i = 0; i < 3; i++)
		cov_script_free(&s[i]);
	cov_table_free(&t);
	subtest_end();
}

/* ---- the corpus ---------------------------------------------------------------- */

struct list {
	char **v;
	size_t n;
};

static void find_pkts(struct list *l, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st) < 0)
			continue;
		size_t n = strlen(e->d_name);
		if (S_ISDIR(st.st_mode)) {
			find_pkts(l, path);
		} else if (n > 4 && strcmp(e->d_name + n - 4, ".pkt") == 0) {
			l->v = realloc(l->v, (l->n + 1) * sizeof *l->v);
			if (!l->v)
				abort();
			l->v[l->n++] = strdup(path);
		}
	}
	closedir(d);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char chunk[4096];
	size_t r;
	while ((r = fread(chunk, 1, sizeof chunk, f)) > 0)
		fwrite(chunk, 1, r, m);
	fclose(f);
	fclose(m);
	return buf;
}

static void test_corpus(void)
{
	subtest("the corpus and docs/coverage.md");
	if (chdir(SYNACK_SOURCE_DIR) < 0) {
		fail("chdir %s", SYNACK_SOURCE_DIR);
		subtest_end();
		return;
	}
	struct cov_table t;
	char *err = NULL;
	if (!ok(cov_table_load("conformance/requirements/rfc9293.txt", &t, &err) == 0,
	        "the RFC 9293 table loads%s%s", err ? ": " : "", err ? err : "")) {
		free(err);
		subtest_end();
		return;
	}
	size_t must = 0;
	for (size_t i = 0; i < t.n; i++)
		must += t.v[i].id[0] == 'M';
	/* Appendix B numbers MUST-1..69 and SHLD-1..31, every number used. */
	is_uint(must, 69, "69 MUSTs");
	is_uint(t.n - must, 31, "31 SHLDs");
	bool all = true;
	for (int i = 1; i <= 69; i++) {
		char id[16];
		snprintf(id, sizeof id, "MUST-%d", i);
		all &= cov_table_find(&t, id) != NULL;
	}
	for (int i = 1; i <= 31; i++) {
		char id[16];
		snprintf(id, sizeof id, "SHLD-%d", i);
		all &= cov_table_find(&t, id) != NULL;
	}
	ok(all, "MUST-1..69 and SHLD-1..31 all present");

	struct list l = { 0 };
	find_pkts(&l, "conformance/scripts");
	ok(l.n > 0, "%zu scripts under conformance/scripts", l.n);
	struct cov_script *s = calloc(l.n ? l.n : 1, sizeof *s);
	if (!s)
		abort();
	for (size_t i = 0; i < l.n; i++)
		cov_script_load(l.v[i], &s[i]);
	char *diag = NULL;
	size_t dlen = 0;
	FILE *f = open_memstream(&diag, &dlen);
	int problems = cov_check(&t, s, l.n, f);
	fclose(f);
	if (!is_int(problems, 0,
	            "every script has a purpose line, @requirement, @stacks and "
	            "cites only known RFC 9293 ids"))
		tap_diag("%s", diag);
	free(diag);

	char *now = NULL;
	size_t nlen = 0;
	f = open_memstream(&now, &nlen);
	cov_write_markdown(f, &t, s, l.n, "../");
	fclose(f);
	char *committed = slurp("docs/coverage.md");
	ok(committed, "docs/coverage.md exists");
	if (committed && !ok(strcmp(now, committed) == 0,
	                     "docs/coverage.md is up to date (else: make coverage-matrix)")) {
		/* The first line that differs. */
		const char *a = now, *b = committed;
		int line = 1;
		while (*a && *a == *b) {
			line += *a == '\n';
			a++;
			b++;
		}
		tap_diag("first difference at line %d: generated \"%.80s\", file \"%.80s\"", line,
		         a, b);
	}
	free(committed);
	free(now);
	for (size_t i = 0; i < l.n; i++) {
		cov_script_free(&s[i]);
		free(l.v[i]);
	}
	free(s);
	free(l.v);
	cov_table_free(&t);
	subtest_end();
}

int main(void)
{
	test_table_parse();
	test_ids();
	test_script_parse();
	test_check();
	test_corpus();
	return tap_done();
}
