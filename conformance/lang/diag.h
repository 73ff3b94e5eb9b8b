/* Diagnostics: `file:line:col: error: message`, the source line, a caret.
 *
 * The parser appends them; the executor appends `unsupported` ones for
 * constructs it cannot run (script_diag() in ast.h fills in the line).
 * A diag_list owns copies of every string it holds.
 */
#ifndef SYNACK_LANG_DIAG_H
#define SYNACK_LANG_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#if defined(__GNUC__)
#define DIAG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define DIAG_PRINTF(f, a)
#endif

/* A position in a script; every parse-tree node carries one. */
struct src_loc {
	const char *file; /* the script's name, owned by the script / diag list */
	int line;         /* 1-based; 0 when unknown */
	int col;          /* 1-based byte column; 0 when unknown */
};

enum diag_severity {
	DIAG_ERROR,       /* the script is malformed: no parse tree */
	DIAG_UNSUPPORTED, /* well-formed, but synack cannot run it */
	DIAG_WARNING,     /* accepted, but probably not what was meant */
};

struct diag {
	enum diag_severity severity; /* how bad */
	struct src_loc loc;          /* where; loc.file points into file below */
	char *file;                  /* owned copy of the file name (may be NULL) */
	char *message;               /* without the `file:line:col: severity: ` prefix */
	char *line_text;             /* the source line without newline, NULL if unknown */
};

struct diag_list {
	struct diag *items; /* count diagnostics in the order they were found */
	size_t count;
	size_t cap;
	size_t n_errors;      /* how many have DIAG_ERROR */
	size_t n_unsupported; /* how many have DIAG_UNSUPPORTED */
	size_t n_warnings;    /* how many have DIAG_WARNING */
	size_t dropped;       /* diagnostics not stored because the list hit its limit */
};

void diag_list_init(struct diag_list *list);
void diag_list_free(struct diag_list *list);

/* Append a diagnostic. line_text (line_len bytes, need not be NUL-terminated)
 * is the source line for the excerpt, or NULL. Copies everything. */
void diag_add(struct diag_list *list, enum diag_severity sev, struct src_loc loc,
              const char *line_text, size_t line_len, const char *fmt, ...) DIAG_PRINTF(6, 7);
void diag_addv(struct diag_list *list, enum diag_severity sev, struct src_loc loc,
               const char *line_text, size_t line_len, const char *fmt, va_list ap);

/* "error", "unsupported", "warning". */
const char *diag_severity_name(enum diag_severity sev);

/* Format one diagnostic:
 *     file:line:col: error: message
 *     <the source line>
 *     <blanks, tabs where the line has tabs>^
 * (the last two lines only when the line text is known). Returns the length
 * the full text needs, like snprintf; buf may be NULL when size is 0. */
size_t diag_format(char *buf, size_t size, const struct diag *d);
void diag_print(FILE *out, const struct diag *d);
void diag_list_print(FILE *out, const struct diag_list *list);

#endif
