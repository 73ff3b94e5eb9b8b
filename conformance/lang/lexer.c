/* The lexer: packetdrill's token set, read on demand by the parser.
 *
 * Newlines are only whitespace, as in packetdrill (events may span lines);
 * the parser uses first_on_line to resynchronise after an error. Defines are
 * expanded here by pushing the value as a nested input: bare words (what
 * packetdrill does for -D), and $NAME / ${NAME} (synack). Tokens read from an
 * expansion carry the location of the reference. */
#include "lang/lang_internal.h"

#include <ctype.h>
#include <string.h>

void lang_lex_init(struct lexer *lx, struct parser *p, const char *file, const char *text,
                   size_t len)
{
	memset(lx, 0, sizeof *lx);
	lx->p = p;
	lx->file = file;
	lx->frames[0].text = text;
	lx->frames[0].len = len;
	lx->line = 1;
	lx->col = 1;
	/* Expansion may legitimately multiply the text a little (a define used
	 * on every line); this bound keeps pathological nesting linear. */
	lx->expand_cap = 16 * len + 65536;
}

static struct lex_frame *top(struct lexer *lx)
{
	return &lx->frames[lx->depth];
}

static bool at_end(struct lexer *lx)
{
	return top(lx)->pos >= top(lx)->len;
}

/* The character at offset k from the position, or -1 past the frame's end. */
static int at(struct lexer *lx, size_t k)
{
	struct lex_frame *f = top(lx);
	if (f->pos + k >= f->len || f->pos + k < f->pos)
		return -1;
	return (unsigned char)f->text[f->pos + k];
}

static void advance(struct lexer *lx)
{
	struct lex_frame *f = top(lx);
	if (f->pos >= f->len)
		return;
	if (lx->depth == 0) {
		if (f->text[f->pos] == '\n') {
			lx->line++;
			lx->col = 1;
			lx->line_start = f->pos + 1;
		} else {
			lx->col++;
		}
	}
	f->pos++;
}

static struct src_loc here(struct lexer *lx)
{
	if (lx->depth > 0)
		return lx->frames[1].loc;
	return (struct src_loc){ lx->file, lx->line, lx->col };
}

static bool is_word_char(int c)
{
	return c >= 0 && (isalnum(c) || c == '_');
}

/* The lexer reported the problem already; the parser only abandons the event. */
static struct token error_token(struct token t)
{
	t.kind = TOK_ERROR;
	return t;
}

/* `// @key: value` comments are synack annotations. */
static void line_comment(struct lexer *lx)
{
	struct lex_frame *f = top(lx);
	size_t start = f->pos + 2;
	struct src_loc loc = here(lx);
	advance(lx);
	advance(lx);
	while (!at_end(lx) && at(lx, 0) != '\n')
		advance(lx);
	if (lx->depth != 0)
		return;
	size_t end = f->pos, i = start;
	while (i < end && (f->text[i] == ' ' || f->text[i] == '\t'))
		i++;
	if (i >= end || f->text[i] != '@')
		return;
	loc.col += (int)(i - (start - 2));
	size_t k = i + 1;
	while (k < end && (is_word_char((unsigned char)f->text[k]) || f->text[k] == '-'))
		k++;
	if (k == i + 1 || k >= end || f->text[k] != ':')
		return;
	size_t v = k + 1, ve = end;
	while (v < ve && (f->text[v] == ' ' || f->text[v] == '\t'))
		v++;
	while (ve > v &&
	       (f->text[ve - 1] == ' ' || f->text[ve - 1] == '\t' || f->text[ve - 1] == '\r'))
		ve--;
	lp_add_annotation(lx->p, loc, f->text + i + 1, k - i - 1, f->text + v, ve - v);
}

/* Skips blanks and comments. Returns false after reporting an unterminated
 * comment. *skipped tells whether anything was skipped. */
static bool skip_space(struct lexer *lx, bool *skipped, struct token *err)
{
	for (;;) {
		int c = at(lx, 0);
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			advance(lx);
			*skipped = true;
		} else if (c == '/' && at(lx, 1) == '/') {
			line_comment(lx);
			*skipped = true;
		} else if (c == '/' && at(lx, 1) == '*') {
			struct src_loc loc = here(lx);
			advance(lx);
			advance(lx);
			while (!at_end(lx) && !(at(lx, 0) == '*' && at(lx, 1) == '/'))
				advance(lx);
			if (at_end(lx)) {
				lp_diag(lx->p, DIAG_ERROR, loc, "unterminated comment");
				err->loc = loc;
				return false;
			}
			advance(lx);
			advance(lx);
			*skipped = true;
		} else {
			return true;
		}
	}
}

static void push_define(struct lexer *lx, const struct define *d, struct src_loc loc)
{
	size_t n = strlen(d->value);
	lx->expanded += n;
	if (lx->expanded > lx->expand_cap)
		lp_fatal(lx->p, loc, "define expansion too large (recursive defines?)");
	lx->depth++;
	struct lex_frame *f = top(lx);
	f->text = d->value;
	f->len = n;
	f->pos = 0;
	f->define = d->name;
	f->loc = loc;
}

static bool expanding(struct lexer *lx, const char *name)
{
	for (int i = 1; i <= lx->depth; i++)
		if (strcmp(lx->frames[i].define, name) == 0)
			return true;
	return false;
}

static void lex_number(struct lexer *lx, struct token *t)
{
	struct lex_frame *f = top(lx);
	size_t start = f->pos, k = 0;
	while (is_word_char(at(lx, k)))
		k++;
	const char *s = f->text + start;
	bool digits = k > 0;
	for (size_t i = 0; i < k; i++)
		if (!isdigit((unsigned char)s[i]))
			digits = false;
	bool hex = k > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	for (size_t i = 2; hex && i < k; i++)
		if (!isxdigit((unsigned char)s[i]))
			hex = false;
	if (hex) {
		t->kind = TOK_INT;
		t->is_hex = true;
		for (size_t i = 2; i < k; i++) {
			int c = tolower((unsigned char)s[i]);
			unsigned dv = (unsigned)(isdigit(c) ? c - '0' : c - 'a' + 10);
			if (t->num > (UINT64_MAX >> 4))
				t->overflow = true;
			t->num = (t->num << 4) | dv;
		}
		for (size_t i = 0; i < k; i++)
			advance(lx);
		return;
	}
	if (k > 0 && !digits) {
		t->kind = TOK_WORD; /* like packetdrill: 3021b9d8 is a word (an FO cookie) */
		for (size_t i = 0; i < k; i++)
			advance(lx);
		return;
	}
	/* Decimal integer part (possibly empty before ".5"). */
	uint64_t ip = 0;
	for (size_t i = 0; i < k; i++) {
		unsigned dv = (unsigned)(s[i] - '0');
		if (ip > (UINT64_MAX - dv) / 10)
			t->overflow = true;
		else
			ip = ip * 10 + dv;
		advance(lx);
	}
	t->num = ip;
	if (at(lx, 0) == '.' && at(lx, 1) >= '0' && at(lx, 1) <= '9') {
		t->kind = TOK_FLOAT;
		advance(lx);
		int64_t frac = 0;
		int nd = 0;
		while (at(lx, 0) >= '0' && at(lx, 0) <= '9') {
			if (nd < 6)
				frac = frac * 10 + (at(lx, 0) - '0');
			else if (at(lx, 0) != '0')
				t->sub_usec = true;
			nd++;
			advance(lx);
		}
		for (; nd < 6; nd++)
			frac *= 10;
		if (t->overflow || ip > (uint64_t)(INT64_MAX - frac) / 1000000)
			t->overflow = true;
		else
			t->usecs = (int64_t)ip * 1000000 + frac;
		return;
	}
	t->kind = TOK_INT;
	if (!t->overflow && ip <= (uint64_t)INT64_MAX / 1000000)
		t->usecs = (int64_t)ip * 1000000;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "..." with C escapes decoded (\n \t \r \0 \\ \" \xNN; others kept). */
static bool lex_string(struct lexer *lx, struct token *t)
{
	struct lex_frame *f = top(lx);
	advance(lx);
	size_t start = f->pos, end = start;
	while (end < f->len && f->text[end] != '"') {
		if (f->text[end] == '\\' && end + 1 < f->len)
			end++;
		end++;
	}
	if (end >= f->len) {
		lp_diag(lx->p, DIAG_ERROR, t->loc, "unterminated string");
		while (!at_end(lx))
			advance(lx);
		return false;
	}
	char *out = lp_alloc(lx->p, end - start + 1);
	size_t n = 0;
	for (size_t i = start; i < end; i++) {
		char c = f->text[i];
		if (c != '\\') {
			out[n++] = c;
			continue;
		}
		char e = f->text[++i];
		switch (e) {
		case 'n':
			out[n++] = '\n';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case 'r':
			out[n++] = '\r';
			break;
		case '0':
			out[n++] = '\0';
			break;
		case '\\':
		case '"':
			out[n++] = e;
			break;
		case 'x':
			if (i + 2 < end && hexval(f->text[i + 1]) >= 0 &&
			    hexval(f->text[i + 2]) >= 0) {
				out[n++] =
				    (char)(hexval(f->text[i + 1]) * 16 + hexval(f->text[i + 2]));
				i += 2;
				break;
			}
			/* fall through */
		default:
			out[n++] = '\\';
			out[n++] = e;
			break;
		}
	}
	out[n] = '\0';
	t->str = out;
	t->str_len = n;
	while (f->pos <= end)
		advance(lx);
	return true;
}

/* `...` or %{ ... }%: raw text between open (olen bytes) and close. */
static bool lex_raw_block(struct lexer *lx, struct token *t, size_t olen, const char *close,
                          const char *what)
{
	struct lex_frame *f = top(lx);
	size_t clen = strlen(close);
	for (size_t i = 0; i < olen; i++)
		advance(lx);
	size_t start = f->pos, end = start;
	for (;;) {
		if (end + clen > f->len) {
			lp_diag(lx->p, DIAG_ERROR, t->loc, "unterminated %s", what);
			while (!at_end(lx))
				advance(lx);
			return false;
		}
		if (memcmp(f->text + end, close, clen) == 0)
			break;
		if (clen == 1 && f->text[end] == '\\' && end + 1 < f->len)
			end++;
		end++;
	}
	t->str = f->text + start;
	t->str_len = end - start;
	t->inner = here(lx);
	while (f->pos < end + clen)
		advance(lx);
	return true;
}

static void lex_option(struct lexer *lx, struct token *t)
{
	struct lex_frame *f = top(lx);
	advance(lx);
	advance(lx);
	size_t start = f->pos;
	while (is_word_char(at(lx, 0)) || (at(lx, 0) == '-' && is_word_char(at(lx, 1))))
		advance(lx);
	t->str = lp_strndup(lx->p, f->text + start, f->pos - start);
	t->str_len = f->pos - start;
	if (at(lx, 0) != '=')
		return;
	advance(lx);
	t->value_loc = here(lx);
	size_t vs = f->pos;
	while (!at_end(lx)) {
		int c = at(lx, 0);
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			break;
		if (c == '"') {
			size_t k = 1;
			while (at(lx, k) >= 0 && at(lx, k) != '"' && at(lx, k) != '\n')
				k++;
			if (at(lx, k) == '"')
				for (size_t i = 0; i < k; i++)
					advance(lx);
		}
		advance(lx);
	}
	size_t ve = f->pos;
	t->value_text = lp_strndup(lx->p, f->text + vs, ve - vs);
	/* --x="a b": the quotes are not part of the value. */
	if (ve - vs >= 2 && f->text[vs] == '"' && f->text[ve - 1] == '"') {
		vs++;
		ve--;
	}
	t->value = lp_strndup(lx->p, f->text + vs, ve - vs);
}

static struct token lex_token(struct lexer *lx)
{
	struct token t;
	bool skipped = false;
	for (;;) {
		memset(&t, 0, sizeof t);
		if (!skip_space(lx, &skipped, &t)) {
			t.kind = TOK_ERROR;
			return t;
		}
		if (at_end(lx) && lx->depth > 0) {
			lx->depth--;
			continue;
		}
		t.loc = here(lx);
		t.space_before = skipped;
		t.first_on_line = lx->depth == 0 && lx->line != lx->last_line;
		if (at_end(lx)) {
			t.kind = TOK_EOF;
			return t;
		}
		struct lex_frame *f = top(lx);
		size_t start = f->pos;
		t.text = f->text + start;
		int c = at(lx, 0);
		if (c == '$') {
			bool brace = at(lx, 1) == '{';
			size_t k = brace ? 2 : 1, n0 = k;
			while (is_word_char(at(lx, k)))
				k++;
			size_t nlen = k - n0;
			if (nlen == 0 || (brace && at(lx, k) != '}')) {
				lp_diag(lx->p, DIAG_ERROR, t.loc,
				        "expected a define name after `$`");
				advance(lx);
				return error_token(t);
			}
			const struct define *d = lp_find_define(lx->p, f->text + start + n0, nlen);
			if (!d) {
				lp_diag(lx->p, DIAG_ERROR, t.loc, "undefined `$%.*s`", (int)nlen,
				        f->text + start + n0);
				for (size_t i = 0; i < k + brace; i++)
					advance(lx);
				return error_token(t);
			}
			for (size_t i = 0; i < k + brace; i++)
				advance(lx);
			if (lx->depth >= LEX_MAX_EXPANSION || expanding(lx, d->name)) {
				lp_diag(lx->p, DIAG_ERROR, t.loc, "define `%s` expands to itself",
				        d->name);
				return error_token(t);
			}
			push_define(lx, d, t.loc);
			continue;
		}
		if ((c >= '0' && c <= '9') || (c == '.' && at(lx, 1) >= '0' && at(lx, 1) <= '9')) {
			lex_number(lx, &t);
		} else if (is_word_char(c)) {
			while (is_word_char(at(lx, 0)))
				advance(lx);
			t.kind = TOK_WORD;
			const struct define *d = lp_find_define(lx->p, t.text, f->pos - start);
			if (d && lx->depth < LEX_MAX_EXPANSION && !expanding(lx, d->name)) {
				push_define(lx, d, t.loc);
				continue;
			}
		} else if (c == '"') {
			if (!lex_string(lx, &t))
				return error_token(t);
			t.kind = TOK_STRING;
		} else if (c == '`') {
			if (!lex_raw_block(lx, &t, 1, "`", "backquoted command"))
				return error_token(t);
			t.kind = TOK_BACKQUOTE;
		} else if (c == '%' && at(lx, 1) == '{') {
			if (!lex_raw_block(lx, &t, 2, "}%", "%{ }% block"))
				return error_token(t);
			t.kind = TOK_CODE;
		} else if (c == '-' && at(lx, 1) == '-' && is_word_char(at(lx, 2))) {
			t.kind = TOK_OPTION;
			lex_option(lx, &t);
		} else if (c == '.' && at(lx, 1) == '.' && at(lx, 2) == '.') {
			t.kind = TOK_ELLIPSIS;
			advance(lx);
			advance(lx);
			advance(lx);
		} else if (c == 0) {
			lp_diag(lx->p, DIAG_ERROR, t.loc, "NUL byte in input");
			advance(lx);
			return error_token(t);
		} else {
			t.kind = TOK_PUNCT;
			t.ch = c;
			advance(lx);
		}
		t.len = top(lx) == f ? f->pos - start : f->len - start;
		return t;
	}
}

struct token lang_lex_next(struct lexer *lx)
{
	struct token t = lex_token(lx);
	/* The line where this token ends: a token after a multi-line command
	 * on that line is not first on its line. */
	lx->last_line = lx->line;
	return t;
}

bool lang_lex_raw_until(struct lexer *lx, char close, const char **text, size_t *len)
{
	struct lex_frame *f = top(lx);
	size_t k = f->pos;
	while (k < f->len && f->text[k] != close && f->text[k] != '\n')
		k++;
	if (k >= f->len || f->text[k] != close)
		return false;
	*text = f->text + f->pos;
	*len = k - f->pos;
	while (f->pos <= k)
		advance(lx);
	return true;
}
