/* Diagnostics: the exact `file:line:col: severity: message`, line, caret shape. */
#include "lang/ast.h"
#include "lang/diag.h"
#include "tap.h"

#include <string.h>

static void test_format_with_caret(void)
{
	struct diag_list l;
	diag_list_init(&l);
	const char *line = "+0 < S 0:0(0) wim 100";
	struct src_loc loc = { "a.pkt", 3, 15 };
	diag_add(&l, DIAG_ERROR, loc, line, strlen(line), "expected %s", "`win`");
	char buf[256];
	diag_format(buf, sizeof buf, &l.items[0]);
	is_str(buf,
	       "a.pkt:3:15: error: expected `win`\n"
	       "+0 < S 0:0(0) wim 100\n"
	       "              ^\n",
	       "error with line and caret");
	is_int(l.n_errors, 1, "counted as an error");
	diag_list_free(&l);
}

static void test_tabs_and_severities(void)
{
	struct diag_list l;
	diag_list_init(&l);
	const char *line = "\t+0\tfoo(1) = 0";
	struct src_loc loc = { "b.pkt", 7, 5 };
	diag_add(&l, DIAG_UNSUPPORTED, loc, line, strlen(line), "syscall foo");
	diag_add(&l, DIAG_WARNING, (struct src_loc){ "b.pkt", 1, 0 }, NULL, 0, "no caret");
	char buf[256];
	diag_format(buf, sizeof buf, &l.items[0]);
	is_str(buf, "b.pkt:7:5: unsupported: syscall foo\n\t+0\tfoo(1) = 0\n\t  \t^\n",
	       "tabs kept under the caret");
	diag_format(buf, sizeof buf, &l.items[1]);
	is_str(buf, "b.pkt:1: warning: no caret\n", "no column: no excerpt");
	is_int(l.n_unsupported, 1, "one unsupported");
	is_int(l.n_warnings, 1, "one warning");
	size_t need = diag_format(buf, 8, &l.items[0]);
	is_int(need, strlen("b.pkt:7:5: unsupported: syscall foo\n\t+0\tfoo(1) = 0\n\t  \t^\n"),
	       "returns the full length when truncated");
	is_int(strlen(buf), 7, "truncated output is terminated");
	diag_list_free(&l);
}

int main(void)
{
	test_format_with_caret();
	test_tabs_and_severities();
	done_testing();
}
