/* Fuzz target: the script language front end and the executor.
 *
 * Oracles:
 * - never a crash, a hang or an out-of-bounds read, on any bytes;
 * - every diagnostic is well formed: `fuzz.pkt:LINE:COL: SEVERITY: message`
 *   with LINE and COL inside the input (COL may point one past the end of
 *   its line: "expected X at end of line");
 * - a script that parses prints back (ast_print_script) to text that parses
 *   again and prints identically: the printer used in failure reports
 *   writes valid script syntax;
 * - a script that parses runs on the engine stack, in virtual time and with
 *   no wall-clock limit (hermetic and deterministic: no shell, no files —
 *   the engine stack maps `sysctl` commands onto its profile and refuses
 *   any other): it passes, is skipped, or fails at a line of the input with
 *   a message, as `synack run` would report it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "lang/ast.h"
#include "lang/diag.h"
#include "run/from_ast.h"
#include "run/run.h"
#include "stacks/stack.h"

#define NAME "fuzz.pkt"

static void check(int cond)
{
	if (!cond)
		abort();
}

/* Line count and the length of each line's text, for location checks. */
static size_t line_length(const uint8_t *p, size_t n, int line, size_t *lines)
{
	size_t cur = 1, len = 0, want_len = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			if ((int)cur == line)
				want_len = len;
			cur++;
			len = 0;
		} else {
			len++;
		}
	}
	if ((int)cur == line)
		want_len = len;
	*lines = cur;
	return want_len;
}

static void check_diags(const struct diag_list *diags, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < diags->count; i++) {
		const struct diag *d = &diags->items[i];
		if (d->loc.line == 0)
			continue; /* a whole-file diagnostic (e.g. an empty script) */
		size_t lines, len = line_length(p, n, d->loc.line, &lines);
		check(d->loc.line >= 1 && (size_t)d->loc.line <= lines);
		check(d->loc.col >= 1 && (size_t)d->loc.col <= len + 1);
		char head[64], buf[512];
		int h = snprintf(head, sizeof head, NAME ":%d:%d: %s: ", d->loc.line, d->loc.col,
		                 diag_severity_name(d->severity));
		diag_format(buf, sizeof buf, d);
		check(strncmp(buf, head, (size_t)h) == 0);
	}
}

static char *print_script(const struct script *s, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	check(f != NULL);
	ast_print_script(f, s);
	fclose(f);
	return text;
}

/* The executor on the engine stack (run.h). A run's failure names a line
 * of the script (or 0: not tied to one) and says what went wrong. */
static void run_on_engine(const struct script *ast, const uint8_t *p, size_t n)
{
	struct run_script rs;
	memset(&rs, 0, sizeof rs);
	run_config_defaults(&rs.cfg);
	char why[300];
	if (run_from_ast(ast, &rs, why, sizeof why) == 0) {
		rs.path = NAME;
		rs.cfg.timeout_s = 0; /* virtual time only */
		struct run_result res;
		memset(&res, 0, sizeof res);
		run_execute(&rs, &stack_engine_ops, "linux", &res);
		check(res.status == RUN_PASS || res.status == RUN_SKIP || res.status == RUN_FAIL);
		if (res.status == RUN_FAIL) {
			/* The engine's self-check failed under the script: an
			 * engine bug, whatever the script expected. */
			if (res.fail.stack_fault)
				fprintf(stderr, "fuzz_script: %s:%d: %s\n", NAME, res.fail.line,
				        res.fail.message);
			check(!res.fail.stack_fault);
			size_t lines;
			(void)line_length(p, n, 1, &lines);
			check(res.fail.line >= 0 && (size_t)res.fail.line <= lines);
			check(res.fail.message[0] != '\0');
		}
		run_result_free(&res);
	} else {
		check(why[0] != '\0');
	}
	run_script_free(&rs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list diags;
	struct script *s = NULL;
	diag_list_init(&diags);
	int rc = lang_parse_buffer(NAME, (const char *)data, size, NULL, &s, &diags);
	check_diags(&diags, data, size);
	check((rc == 0) == (s != NULL));
	check(rc == 0 || diags.n_errors > 0);
	if (rc == 0) {
		size_t len1, len2;
		char *text1 = print_script(s, &len1);
		struct script *again = NULL;
		struct diag_list diags2;
		diag_list_init(&diags2);
		int rc2 = lang_parse_buffer(NAME, text1, len1, NULL, &again, &diags2);
		if (rc2 != 0)
			diag_list_print(stderr, &diags2);
		check(rc2 == 0);
		char *text2 = print_script(again, &len2);
		check(len1 == len2 && memcmp(text1, text2, len1) == 0);
		free(text1);
		free(text2);
		script_free(again);
		diag_list_free(&diags2);
		if (!diags.n_unsupported)
			run_on_engine(s, data, size);
		script_free(s);
	}
	diag_list_free(&diags);
	return 0;
}
