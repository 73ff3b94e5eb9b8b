/* TAP for script runs (see tap_writer.h). */
#include "run/tap_writer.h"

#include <string.h>

#include "run/report.h"

void run_tap_header(FILE *f)
{
	fputs("TAP version 13\n", f);
}

void run_tap_plan(FILE *f, int n)
{
	fprintf(f, "1..%d\n", n);
	fflush(f);
}

/* '#' would start a directive and '\' escapes: escape both, as tap.c does. */
static void desc(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '#' || *s == '\\')
			fputc('\\', f);
		fputc(*s == '\n' ? ' ' : *s, f);
	}
}

static void directive(FILE *f, const char *kind, const char *reason)
{
	fprintf(f, " # %s", kind);
	if (reason && *reason) {
		fputc(' ', f);
		desc(f, reason);
	}
}

static void subtest(FILE *f, const char *name, const struct run_result *r)
{
	fputs("    # Subtest: ", f);
	desc(f, name);
	fputc('\n', f);
	for (int i = 0; i < r->n_steps; i++) {
		const struct run_step *s = &r->steps[i];
		fprintf(f, "    %s %d - ", s->ok ? "ok" : "not ok", i + 1);
		if (s->line)
			fprintf(f, "line %d: ", s->line);
		desc(f, s->text);
		fputc('\n', f);
		if (!s->ok)
			run_report_yaml(f, r, 4);
	}
	fprintf(f, "    1..%d\n", r->n_steps);
}

void run_tap_point(FILE *f, int num, const char *name, const struct run_result *r, const char *todo,
                   bool verbose)
{
	if (verbose && r->status != RUN_SKIP)
		subtest(f, name, r);
	bool ok = r->status != RUN_FAIL;
	fprintf(f, "%s %d - ", ok ? "ok" : "not ok", num);
	desc(f, name);
	if (r->status == RUN_SKIP)
		directive(f, "SKIP", r->skip_reason);
	else if (todo)
		directive(f, "TODO", todo);
	fputc('\n', f);
	if (r->status == RUN_FAIL)
		run_report_yaml(f, r, 0);
	/* The stack's notes (a sysctl the host refused ...) as comments. */
	for (const char *p = r->notes; *p;) {
		size_t n = strcspn(p, "\n");
		if (n)
			fprintf(f, "# %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
	fflush(f);
}

void run_tap_error_point(FILE *f, int num, const char *name, const char *message)
{
	fprintf(f, "not ok %d - ", num);
	desc(f, name);
	fputs("\n  ---\n  message: ", f);
	run_yaml_quote(f, message);
	fputs("\n  ...\n", f);
	fflush(f);
}
