/* The harness tested through its own output: helper binaries run as child
 * processes, their TAP compared line by line, and prove's verdict on them
 * asserted by exit status. */
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define HELPERS SYNACK_BUILD_DIR "/tests/harness/tests/helpers/"

struct run {
	char out[16384];
	int status;
};

static void run_cmd(const char *cmd, struct run *r)
{
	FILE *p = popen(cmd, "r");
	size_t n = 0;
	if (!p)
		tap_bail("popen %s", cmd);
	n = fread(r->out, 1, sizeof r->out - 1, p);
	r->out[n] = '\0';
	int st = pclose(p);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void run_helper(const char *name, struct run *r)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "%s%s 2>&1", HELPERS, name);
	run_cmd(cmd, r);
}

/* Each line of `want` must appear in `got`, in order. */
static bool has_lines(const char *got, const char *want)
{
	const char *at = got;
	char line[512];
	while (*want) {
		const char *nl = strchr(want, '\n');
		size_t len = nl ? (size_t)(nl - want) : strlen(want);
		snprintf(line, sizeof line, "%.*s\n", (int)len, want);
		const char *hit = strstr(at, line);
		if (!hit) {
			tap_diag("missing line: %s", line);
			return false;
		}
		at = hit + strlen(line);
		want += len + (nl ? 1 : 0);
	}
	return true;
}

static int prove_status(const char *name)
{
	char cmd[1024];
	struct run r;
	snprintf(cmd, sizeof cmd, "prove %s%s 2>&1", HELPERS, name);
	run_cmd(cmd, &r);
	return r.status;
}

int main(void)
{
	struct run r;

	subtest("a failing assertion");
	run_helper("fails_is_int", &r);
	ok(has_lines(r.out, "TAP version 13\n1..1\nnot ok 1 - the answer\n  ---\n"
	                    "  at: harness/tests/helpers/fails_is_int.c:8\n  got: 41\n"
	                    "  expected: 42\n  ...\n"),
	   "not ok with got/expected/at in YAML");
	is_int(r.status, 1, "exit status counts the failure");
	ok(prove_status("fails_is_int") != 0, "prove fails it");
	subtest_end();

	subtest("a plan mismatch");
	run_helper("plan_mismatch", &r);
	ok(has_lines(r.out, "1..3\nok 1 - only one\n# Looks like you planned 3 tests but ran 1.\n"),
	   "the mismatch is reported");
	is_int(r.status, 255, "exit status 255");
	ok(prove_status("plan_mismatch") != 0, "prove fails it");
	subtest_end();

	subtest("bail out");
	run_helper("bails", &r);
	ok(has_lines(r.out, "ok 1 - before\nBail out! the fixture could not be built\n"),
	   "Bail out! line");
	is_int(r.status, 255, "exit status 255");
	ok(prove_status("bails") != 0, "prove stops");
	subtest_end();

	subtest("every kind of line");
	run_helper("every_kind", &r);
	ok(has_lines(
	       r.out,
	       "TAP version 13\nok 1 - plain ok\n"
	       "not ok 2 - unsigned\n  ---\n  at: harness/tests/helpers/every_kind.c:9\n"
	       "  got: 7\n  expected: 8\n  ...\n"
	       "not ok 3 - seq\n"
	       "  got: 4294967295 # 0xffffffff\n  expected: 16 # 0x10\n"
	       "not ok 4 - strings\n  got: \"got\\n\"\n  expected: \"exp\\\"\"\n"
	       "not ok 5 - null string\n  got: ~\n  expected: \"x\"\n"
	       "not ok 6 - memory\n  first_difference: 2\n  got_length: 5\n"
	       "  expected_length: 4\n  got: \"01 02 03 04 05\"\n"
	       "  expected: \"01 02 09 04\"\n"
	       "not ok 7 - times\n  tolerance: 400\n  difference: 500\n"
	       "ok 8 - times within tolerance\n"
	       "ok 9 # SKIP no root here\nok 10 # SKIP no root here\n"
	       "not ok 11 - todo fails # TODO not built yet\n"
	       "    # Subtest: inner 1\n    ok 1 - inner ok\n    not ok 2 - inner \\# fails\n"
	       "      ---\n"
	       "    1..2\n    # Looks like you failed 1 test of 2.\nnot ok 12 - inner 1\n"
	       "    # Subtest: inner planned\n    1..1\n    ok 1 - only\nok 13 - inner planned\n"
	       "# two\n# lines\n1..13\n"),
	   "output matches line by line");
	is_int(r.status, 7, "exit status: 7 failures (TODO does not count)");
	ok(prove_status("every_kind") != 0, "prove fails it");
	subtest_end();

	subtest("assertions that pass");
	is_int(-5, -5, "signed");
	is_uint(5u, 5u, "unsigned");
	is_hex(0x80000000u, 0x80000000u, "hex");
	is_str("a", "a", "string");
	is_mem("abc", 3, "abc", 3, "memory");
	is_near(100, 104, 4, "near");
	subtest_end();

	done_testing();
}
