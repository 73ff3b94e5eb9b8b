/* Private to conformance/lang/: the arena, the lexer and the parser state
 * shared by parser.c, parse_packet.c, parse_syscall.c and parse_code.c. */
#ifndef SYNACK_LANG_INTERNAL_H
#define SYNACK_LANG_INTERNAL_H

#include "lang/ast.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- arena: one per script; freed as a whole ---------------------------------- */

struct lang_arena;

/* cap: total bytes the arena may hand out (bounds memory relative to the input). */
struct lang_arena *lang_arena_new(size_t cap);
void lang_arena_free(struct lang_arena *a);
/* Zeroed memory, or NULL when the cap is reached or malloc fails. */
void *lang_arena_alloc(struct lang_arena *a, size_t size);
char *lang_arena_strndup(struct lang_arena *a, const char *s, size_t n);

/* ---- text appender shared by the printers and diagnostics ------------------- */

struct strbuf {
	char *buf;   /* may be NULL when size is 0 */
	size_t size; /* capacity of buf */
	size_t len;  /* length the full text needs (may exceed size) */
};

void lang_sb_put(struct strbuf *sb, const char *s, size_t n);
void lang_sb_puts(struct strbuf *sb, const char *s);
void lang_sb_printf(struct strbuf *sb, const char *fmt, ...) DIAG_PRINTF(2, 3);

/* ---- tokens -------------------------------------------------------------------- */

enum tok_kind {
	TOK_EOF,
	TOK_ERROR,     /* the lexer already reported it */
	TOK_INT,       /* 123 or 0x1f: .num (.overflow when it does not fit 64 bits) */
	TOK_FLOAT,     /* 1.5, .5: .usecs holds the value in microseconds */
	TOK_WORD,      /* [A-Za-z0-9_]+ that is not a number */
	TOK_STRING,    /* "...": .str/.str_len decoded, arena-owned */
	TOK_BACKQUOTE, /* `...`: .str is the raw text inside */
	TOK_CODE,      /* %{ ... }%: .str trimmed text, .inner where it starts */
	TOK_OPTION,    /* --name[=value]: .str name, .value (NULL without '=') */
	TOK_ELLIPSIS,  /* ... */
	TOK_PUNCT,     /* one character: .ch */
};

struct token {
	enum tok_kind kind;
	struct src_loc loc;       /* first character (of the $NAME reference when expanded) */
	const char *text;         /* raw source text of the token (not NUL-terminated) */
	size_t len;               /* bytes in text */
	bool space_before;        /* whitespace or a comment separates it from the previous token */
	bool first_on_line;       /* no token before it on its source line */
	int ch;                   /* TOK_PUNCT: the character (0..255) */
	uint64_t num;             /* TOK_INT */
	bool is_hex;              /* TOK_INT written 0x... */
	bool overflow;            /* TOK_INT / TOK_FLOAT too large */
	int64_t usecs;            /* TOK_FLOAT (and TOK_INT as seconds, when it fits) */
	bool sub_usec;            /* TOK_FLOAT had digits beyond microseconds */
	const char *str;          /* TOK_STRING, TOK_BACKQUOTE, TOK_CODE, TOK_OPTION name */
	size_t str_len;           /* bytes in str */
	const char *value;        /* TOK_OPTION: the value after '=', NULL if none */
	const char *value_text;   /* TOK_OPTION: the value as written */
	struct src_loc value_loc; /* TOK_OPTION: where the value starts */
	struct src_loc inner;     /* TOK_CODE: where str starts */
};

/* ---- the lexer -------------------------------------------------------------------- */

#define LEX_MAX_EXPANSION 8 /* nested define expansions */

struct lex_frame {
	const char *text; /* the text being read: the source or a define's value */
	size_t len;
	size_t pos;
	const char *define; /* the define being expanded (NULL for the source) */
	struct src_loc loc; /* expansions: where the reference was */
};

struct parser;

struct lexer {
	struct parser *p;
	const char *file;
	struct lex_frame frames[LEX_MAX_EXPANSION + 1];
	int depth;         /* frames[depth] is being read */
	int line, col;     /* position in the source (frame 0) */
	size_t line_start; /* offset of the current source line */
	int last_line;     /* source line of the previous token */
	size_t expanded;   /* bytes read from define values so far */
	size_t expand_cap; /* bound on expanded (defines cannot blow up time) */
};

void lang_lex_init(struct lexer *lx, struct parser *p, const char *file, const char *text,
                   size_t len);
/* The next token; never fails (errors are reported and come back as TOK_ERROR). */
struct token lang_lex_next(struct lexer *lx);
/* Raw text up to (not including) `close` on the current source line; the
 * lexer then continues after it. Returns false (position unchanged) when the
 * line ends first. */
bool lang_lex_raw_until(struct lexer *lx, char close, const char **text, size_t *len);

/* ---- the parser state ----------------------------------------------------------- */

struct parser {
	struct lexer lx;
	struct token la; /* lookahead */
	bool have_la;
	struct token prev; /* the token consumed last */
	struct lang_arena *arena;
	struct diag_list *diags;
	size_t diags_at_start; /* diags->count when this parse began */
	size_t max_diags;
	struct script *script;
	const char *file;
	const char *src;
	size_t src_len;
	int depth;
	int max_depth;
	bool in_events;        /* the first event was seen */
	int errors;            /* errors reported by this parse */
	int event_line;        /* source line where the current event (or item) starts */
	const char *tail_hint; /* what else could follow the event so far, for messages */
	size_t cap_options, cap_init, cap_events; /* capacities of the script's arrays */
	jmp_buf line_jmp;                         /* error recovery: abandon the current event */
	jmp_buf fatal_jmp; /* abandon the parse (memory cap, too many errors) */
	/* defines in effect, most important first (command line, then header) */
	struct define *defs;
	size_t n_defs, cap_defs;
	size_t *def_slots; /* hash index over defs: 0 empty, else index + 1 */
	size_t cap_slots;  /* a power of two, or 0 */
	/* annotations collected by the lexer */
	struct annotation *notes;
	size_t n_notes, cap_notes;
};

/* Diagnostics at a location, with the source line excerpt. */
void lp_diag(struct parser *p, enum diag_severity sev, struct src_loc loc, const char *fmt, ...)
    DIAG_PRINTF(4, 5);
/* Report an error and abandon the current event (longjmp). */
_Noreturn void lp_fail(struct parser *p, struct src_loc loc, const char *fmt, ...)
    DIAG_PRINTF(3, 4);
/* Report a fatal problem and abandon the whole parse. */
_Noreturn void lp_fatal(struct parser *p, struct src_loc loc, const char *fmt, ...)
    DIAG_PRINTF(3, 4);

/* Arena allocation that abandons the parse when the memory bound is hit. */
void *lp_alloc(struct parser *p, size_t size);
char *lp_strndup(struct parser *p, const char *s, size_t n);
/* Grow an arena array of elem-sized items holding *count, capacity *cap. */
void *lp_grow(struct parser *p, void *arr, size_t count, size_t *cap, size_t elem);

/* Token helpers. */
struct token *lp_peek(struct parser *p);
struct token lp_next(struct parser *p);
bool lp_is_punct(const struct token *t, int ch);
bool lp_is_word(const struct token *t, const char *w);
bool lp_accept_punct(struct parser *p, int ch);
struct token lp_expect_punct(struct parser *p, int ch, const char *what);
/* A short description for messages: "`foo`", "end of file", "a string". */
const char *lp_tok_desc(const struct token *t, char *buf, size_t size);
_Noreturn void lp_fail_expected(struct parser *p, const char *what);
/* An unsigned integer token within [0, max]; what names it in errors. */
uint64_t lp_expect_uint(struct parser *p, uint64_t max, const char *what);

/* Define lookup for the lexer: the value, or NULL. */
const struct define *lp_find_define(struct parser *p, const char *name, size_t len);
void lp_add_annotation(struct parser *p, struct src_loc loc, const char *key, size_t key_len,
                       const char *value, size_t value_len);

/* Depth guard for recursive constructs. */
void lp_enter_nested(struct parser *p, struct src_loc loc);
void lp_leave_nested(struct parser *p);

/* ['+'] seconds; what names it in errors. */
struct time_point lp_parse_time_point(struct parser *p, const char *what);

/* The sub-parsers; each is called with the lookahead on its first token. */
struct packet_spec *lp_parse_packet(struct parser *p);
struct syscall_spec *lp_parse_syscall(struct parser *p);
struct expr *lp_parse_expr(struct parser *p);
/* Parses the %{ }% text into c (supported flag, asserts or the first
 * unsupported construct). */
void lp_parse_code(struct parser *p, const struct token *t, struct code_spec *c);

#endif
