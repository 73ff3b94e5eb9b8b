/* Reports for compare (compare.h): side by side for people, TAP for prove. */
#include <stdio.h>
#include <string.h>

#include "compare/compare.h"
#include "run/report.h"

static void cell(char *buf, size_t cap, const struct cmp_trace *t, int i)
{
	if (i < 0) {
		buf[0] = 0;
		return;
	}
	const struct cmp_event *e = &t->v[i];
	snprintf(buf, cap, "%7.3f %s", (double)e->time_us / 1e6, e->text);
}

static int row_line(const struct cmp_report *r, const struct cmp_row *row)
{
	int la = row->a >= 0 ? r->ta->v[row->a].line : 0;
	int lb = row->b >= 0 ? r->tb->v[row->b].line : 0;
	return la ? la : lb;
}

static void summary(char *buf, size_t cap, const struct cmp_result *res)
{
	buf[0] = 0;
	size_t n = 0;
	for (int c = 0; c < CMP_N_CLASSES; c++)
		if (res->counts[c]) {
			int k = snprintf(buf + n, cap - n, "%s%s %d", n ? ", " : "",
			                 cmp_class_name((enum cmp_class)c), res->counts[c]);
			if (k < 0 || (size_t)k >= cap - n)
				return;
			n += (size_t)k;
		}
}

void cmp_report_side_by_side(FILE *f, const struct cmp_report *r, int width)
{
	if (r->error) {
		fprintf(f, "ERROR %s: %s vs %s: %s\n", r->script, r->stack_a, r->stack_b, r->error);
		return;
	}
	if (r->skip) {
		fprintf(f, "SKIP %s: %s\n", r->script, r->skip);
		return;
	}
	const struct cmp_result *res = r->res;
	char sum[300];
	summary(sum, sizeof sum, res);
	if (!res->n_diff_rows) {
		fprintf(f, "SAME %s: %s and %s agree\n", r->script, r->stack_a, r->stack_b);
		return;
	}
	fprintf(f, "%s %s: %s vs %s: %d difference%s (%s)%s%s\n", r->known ? "KNOWN" : "DIFF",
	        r->script, r->stack_a, r->stack_b, res->n_diff_rows,
	        res->n_diff_rows == 1 ? "" : "s", sum, r->known ? ": " : "",
	        r->known ? r->known->reason : "");
	if (r->note_a && r->note_a[0])
		fprintf(f, "  note: on %s the script fails: %s\n", r->stack_a, r->note_a);
	if (r->note_b && r->note_b[0])
		fprintf(f, "  note: on %s the script fails: %s\n", r->stack_b, r->note_b);
	if (width < 80)
		width = 80;
	/* "LINE M A-TEXT M B-TEXT  [classes]" */
	int col = (width - 7 - 3 - 3) / 2;
	fprintf(f, "  %4s  %-*.*s   %-.*s\n", "line", col, col, r->stack_a, col, r->stack_b);
	size_t last_shown = (size_t)-1;
	for (size_t i = 0; i < res->n; i++) {
		const struct cmp_row *row = &res->rows[i];
		bool near = false;
		for (size_t k = i >= 2 ? i - 2 : 0; k <= i + 2 && k < res->n; k++)
			if (res->rows[k].diff)
				near = true;
		if (!r->all_rows && !near)
			continue;
		if (last_shown != (size_t)-1 && i > last_shown + 1)
			fprintf(f, "  %4s  %s\n", "", "...");
		last_shown = i;
		char a[300], b[300], cls[160] = "";
		cell(a, sizeof a, r->ta, row->a);
		cell(b, sizeof b, r->tb, row->b);
		char mark = ' ';
		if (row->a < 0)
			mark = '>';
		else if (row->b < 0)
			mark = '<';
		else if (row->diff)
			mark = '|';
		if (row->diff) {
			char l[140];
			cmp_class_list(row->diff, l, sizeof l);
			snprintf(cls, sizeof cls, "  [%s]", l);
		}
		int line = row_line(r, row);
		char ln[12] = "";
		if (line)
			snprintf(ln, sizeof ln, "%d", line);
		/* Long texts wrap onto a second line rather than lose the end. */
		size_t la = strlen(a), lb = strlen(b);
		fprintf(f, "  %4s  %-*.*s %c %-*.*s%s\n", ln, col, col, a, mark, col, col, b,
		        (la <= (size_t)col && lb <= (size_t)col) ? cls : "");
		if (la > (size_t)col || lb > (size_t)col)
			fprintf(f, "  %4s  %-*.*s %c %-*.*s%s\n", "", col, col,
			        la > (size_t)col ? a + col : "", mark, col, col,
			        lb > (size_t)col ? b + col : "", cls);
	}
}

void cmp_report_tap(FILE *f, int num, const struct cmp_report *r)
{
	char name[600];
	snprintf(name, sizeof name, "%s: %s vs %s", r->script, r->stack_a, r->stack_b);
	if (r->error) {
		fprintf(f, "not ok %d - %s\n  ---\n  message: ", num, name);
		run_yaml_quote(f, r->error);
		fprintf(f, "\n  ...\n");
		return;
	}
	if (r->skip) {
		fprintf(f, "ok %d - %s # SKIP %s\n", num, name, r->skip);
		return;
	}
	const struct cmp_result *res = r->res;
	if (!res->n_diff_rows) {
		fprintf(f, "ok %d - %s\n", num, name);
		return;
	}
	if (r->known)
		fprintf(f, "not ok %d - %s # TODO known divergence: %s\n", num, name,
		        r->known->reason);
	else
		fprintf(f, "not ok %d - %s\n", num, name);
	char sum[300];
	summary(sum, sizeof sum, res);
	fprintf(f, "  ---\n  message: \"%d difference%s\"\n  classes: ", res->n_diff_rows,
	        res->n_diff_rows == 1 ? "" : "s");
	run_yaml_quote(f, sum);
	fprintf(f, "\n  a: ");
	run_yaml_quote(f, r->stack_a);
	fprintf(f, "\n  b: ");
	run_yaml_quote(f, r->stack_b);
	fprintf(f, "\n");
	if (r->known)
		fprintf(f, "  known: \"%s:%d\"\n", "divergences", r->known->line);
	fprintf(f, "  differences:\n");
	int shown = 0;
	for (size_t i = 0; i < res->n && shown < 20; i++) {
		const struct cmp_row *row = &res->rows[i];
		if (!row->diff)
			continue;
		shown++;
		char cls[140], a[300], b[300];
		cmp_class_list(row->diff, cls, sizeof cls);
		cell(a, sizeof a, r->ta, row->a);
		cell(b, sizeof b, r->tb, row->b);
		fprintf(f, "    - line: %d\n      class: ", row_line(r, row));
		run_yaml_quote(f, cls);
		fprintf(f, "\n      a: ");
		run_yaml_quote(f, row->a >= 0 ? a : "(none)");
		fprintf(f, "\n      b: ");
		run_yaml_quote(f, row->b >= 0 ? b : "(none)");
		fprintf(f, "\n");
	}
	fprintf(f, "  ...\n");
}
