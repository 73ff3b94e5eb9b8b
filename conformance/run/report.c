/* Failure reports (see report.h). */
#include "run/report.h"

#include <inttypes.h>
#include <string.h>

static void print_time(FILE *f, int64_t us)
{
	if (us < 0) {
		fputc('-', f);
		us = -us;
	}
	fprintf(f, "%" PRId64 ".%06" PRId64, us / 1000000, us % 1000000);
}

void run_yaml_quote(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static size_t recent_start(const struct run_trace *t)
{
	return t->n > RUN_REPORT_RECENT ? t->n - RUN_REPORT_RECENT : 0;
}

void run_report_human(FILE *f, const struct run_result *res)
{
	const struct run_failure *x = &res->fail;
	/* "unsupported: ..." reads like the parser's diagnostics:
	 * file:line:col: unsupported: what. */
	bool unsupported = strncmp(x->message, "unsupported:", 12) == 0;
	if (x->line && unsupported)
		fprintf(f, "%s:%d:%d: %s\n", x->path, x->line, x->col, x->message);
	else if (x->line)
		fprintf(f, "%s:%d: error: %s\n", x->path, x->line, x->message);
	else if (unsupported)
		fprintf(f, "%s: %s\n", x->path, x->message);
	else
		fprintf(f, "%s: error: %s\n", x->path, x->message);
	if (x->source[0])
		fprintf(f, "  %5d | %s\n", x->line, x->source);
	if (x->expected[0]) {
		fprintf(f, "  expected: %s", x->expected);
		if (x->has_times && x->expected_us >= 0) {
			fputs("  at ", f);
			print_time(f, x->expected_us);
			fputs(" (+/- ", f);
			print_time(f, x->tolerance_us);
			fputs(")", f);
		}
		fputc('\n', f);
	}
	if (x->actual[0] || x->has_times) {
		fprintf(f, "  actual:   %s", x->actual[0] ? x->actual : "(nothing)");
		if (x->has_times && x->actual_us >= 0) {
			fputs("  at ", f);
			print_time(f, x->actual_us);
		}
		fputc('\n', f);
	}
	if (res->trace.n) {
		fputs("  recent:\n", f);
		for (size_t i = recent_start(&res->trace); i < res->trace.n; i++) {
			char buf[320];
			run_obs_format(&res->trace.v[i], buf, sizeof buf);
			fprintf(f, "    %s\n", buf);
		}
	}
}

static void pad(FILE *f, int n)
{
	for (int i = 0; i < n; i++)
		fputc(' ', f);
}

void run_report_yaml(FILE *f, const struct run_result *res, int indent)
{
	const struct run_failure *x = &res->fail;
	char at[300];
	if (x->line && x->col && strncmp(x->message, "unsupported:", 12) == 0)
		snprintf(at, sizeof at, "%s:%d:%d", x->path, x->line, x->col);
	else if (x->line)
		snprintf(at, sizeof at, "%s:%d", x->path, x->line);
	else
		snprintf(at, sizeof at, "%s", x->path);
	pad(f, indent);
	fputs("  ---\n", f);
	pad(f, indent);
	fputs("  message: ", f);
	run_yaml_quote(f, x->message);
	fputc('\n', f);
	pad(f, indent);
	fputs("  at: ", f);
	run_yaml_quote(f, at);
	fputc('\n', f);
	if (x->source[0]) {
		pad(f, indent);
		fputs("  source: ", f);
		run_yaml_quote(f, x->source);
		fputc('\n', f);
	}
	if (x->expected[0]) {
		pad(f, indent);
		fputs("  expected: ", f);
		run_yaml_quote(f, x->expected);
		fputc('\n', f);
	}
	if (x->actual[0] || x->has_times) {
		pad(f, indent);
		fputs("  actual: ", f);
		run_yaml_quote(f, x->actual[0] ? x->actual : "(nothing)");
		fputc('\n', f);
	}
	if (x->has_times && x->expected_us >= 0) {
		pad(f, indent);
		fputs("  expected_time: ", f);
		print_time(f, x->expected_us);
		fputc('\n', f);
		pad(f, indent);
		fputs("  tolerance: ", f);
		print_time(f, x->tolerance_us);
		fputc('\n', f);
	}
	if (x->has_times) {
		if (x->actual_us >= 0) {
			pad(f, indent);
			fputs("  actual_time: ", f);
			print_time(f, x->actual_us);
			fputc('\n', f);
		}
	}
	if (res->trace.n) {
		pad(f, indent);
		fputs("  recent:\n", f);
		for (size_t i = recent_start(&res->trace); i < res->trace.n; i++) {
			char buf[320];
			run_obs_format(&res->trace.v[i], buf, sizeof buf);
			pad(f, indent);
			fputs("    - ", f);
			run_yaml_quote(f, buf);
			fputc('\n', f);
		}
	}
	pad(f, indent);
	fputs("  ...\n", f);
}
