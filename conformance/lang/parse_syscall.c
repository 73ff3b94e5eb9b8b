/* Syscall lines and their argument expressions.
 *
 * packetdrill has a grammar rule per struct (sockaddr, msghdr, iovec, pollfd,
 * epoll_event, linger, cmsg ...). We parse one generic shape instead: lists,
 * structs whose items may be `field=value` or `field(index)=value`, calls
 * like htons(8080), and `|` trees. Every packetdrill form fits it, and the
 * executor, which knows the syscall, decides what each field means. */
#include "lang/lang_internal.h"

#include <string.h>

static struct expr *new_expr(struct parser *p, enum expr_kind kind, struct src_loc loc)
{
	struct expr *e = lp_alloc(p, sizeof *e);
	e->kind = kind;
	e->loc = loc;
	return e;
}

static void push_item(struct parser *p, struct expr_list *l, size_t *cap, struct expr *e)
{
	l->items = lp_grow(p, l->items, l->count, cap, sizeof *l->items);
	l->items[l->count++] = e;
}

/* Comma-separated expressions up to `close` (consumed). */
static void parse_items(struct parser *p, struct expr_list *l, int close, const char *what)
{
	size_t cap = 0;
	if (lp_accept_punct(p, close))
		return;
	do
		push_item(p, l, &cap, lp_parse_expr(p));
	while (lp_accept_punct(p, ','));
	lp_expect_punct(p, close, what);
}

/* An integer, with a '-' written right before it. */
static struct expr *parse_int(struct parser *p)
{
	struct token *t = lp_peek(p);
	struct src_loc loc = t->loc;
	bool neg = false;
	if (lp_is_punct(t, '-')) {
		lp_next(p);
		neg = true;
		t = lp_peek(p);
		if (t->kind != TOK_INT || t->space_before)
			lp_fail_expected(p, "an integer after `-`");
	}
	if (t->overflow || (!t->is_hex && t->num > (uint64_t)INT64_MAX + neg))
		lp_fail(p, t->loc, "integer %s%.*s out of range", neg ? "-" : "", (int)t->len,
		        t->text);
	struct expr *e = new_expr(p, EXPR_INT, loc);
	/* Hex keeps all 64 bits (masks like 0xffffffffffffffff). */
	e->num = neg ? (int64_t)(0 - t->num) : (int64_t)t->num;
	if (neg) {
		char *s = lp_alloc(p, t->len + 2);
		s[0] = '-';
		memcpy(s + 1, t->text, t->len);
		e->text = s;
	} else {
		e->text = lp_strndup(p, t->text, t->len);
	}
	lp_next(p);
	return e;
}

static struct expr *parse_string(struct parser *p)
{
	struct expr *e = new_expr(p, EXPR_STRING, lp_peek(p)->loc);
	struct token t = lp_next(p);
	const char *s = t.str;
	size_t n = t.str_len;
	/* "a" "b" is "ab", as in C and packetdrill; the buffer doubles so a
	 * long run of pieces stays linear. */
	char *cat = NULL;
	size_t cap = 0;
	while (lp_peek(p)->kind == TOK_STRING) {
		struct token u = lp_next(p);
		if (n + u.str_len + 1 > cap) {
			cap = 2 * (n + u.str_len + 1);
			char *grown = lp_alloc(p, cap);
			memcpy(grown, s, n);
			s = cat = grown;
		}
		memcpy(cat + n, u.str, u.str_len);
		n += u.str_len;
		cat[n] = '\0';
	}
	e->str = s;
	e->str_len = n;
	if (lp_peek(p)->kind == TOK_ELLIPSIS && !lp_peek(p)->space_before) {
		lp_next(p);
		e->prefix = true;
	}
	return e;
}

static struct expr *parse_word_expr(struct parser *p)
{
	struct token w = lp_next(p);
	const char *name = lp_strndup(p, w.text, w.len);
	struct expr *index = NULL;
	if (lp_is_punct(lp_peek(p), '(')) {
		struct expr *call = new_expr(p, EXPR_CALL, w.loc);
		call->name = name;
		lp_next(p);
		parse_items(p, &call->items, ')', "`,` or `)` closing the call");
		if (!lp_is_punct(lp_peek(p), '='))
			return call;
		if (call->items.count != 1)
			lp_fail(p, w.loc, "`%s(...)=` takes exactly one index", name);
		index = call->items.items[0];
	}
	if (lp_accept_punct(p, '=')) {
		struct expr *f = new_expr(p, EXPR_FIELD, w.loc);
		f->name = name;
		f->index = index;
		f->value = lp_parse_expr(p);
		return f;
	}
	struct expr *e = new_expr(p, EXPR_NAME, w.loc);
	e->name = name;
	return e;
}

static struct expr *parse_primary(struct parser *p)
{
	struct token *t = lp_peek(p);
	struct src_loc loc = t->loc;
	if (t->kind == TOK_ELLIPSIS) {
		lp_next(p);
		return new_expr(p, EXPR_ELLIPSIS, loc);
	}
	if (t->kind == TOK_INT || lp_is_punct(t, '-'))
		return parse_int(p);
	if (t->kind == TOK_STRING)
		return parse_string(p);
	if (t->kind == TOK_WORD)
		return parse_word_expr(p);
	if (lp_is_punct(t, '[') || lp_is_punct(t, '{')) {
		bool list = lp_is_punct(t, '[');
		struct expr *e = new_expr(p, list ? EXPR_LIST : EXPR_STRUCT, loc);
		lp_next(p);
		parse_items(p, &e->items, list ? ']' : '}',
		            list ? "`,` or `]` in the list" : "`,` or `}` in the struct");
		return e;
	}
	if (t->kind == TOK_FLOAT)
		lp_fail(p, loc, "unexpected number %.*s (arguments are integers)", (int)t->len,
		        t->text);
	lp_fail_expected(p, "an expression (integer, name, string, `...`, `[...]` or `{...}`)");
}

struct expr *lp_parse_expr(struct parser *p)
{
	lp_enter_nested(p, lp_peek(p)->loc);
	struct expr *e = parse_primary(p);
	while (lp_is_punct(lp_peek(p), '|')) {
		struct token bar = lp_next(p);
		struct expr *b = new_expr(p, EXPR_BINARY, e->loc);
		(void)bar;
		b->op = OP_OR;
		b->lhs = e;
		b->rhs = parse_primary(p);
		e = b;
	}
	lp_leave_nested(p);
	return e;
}

/* The expected return value: an integer, `...`, or a name, possibly `|`-ed. */
static struct expr *parse_result_atom(struct parser *p)
{
	struct token *t = lp_peek(p);
	if (t->kind == TOK_ELLIPSIS) {
		struct expr *e = new_expr(p, EXPR_ELLIPSIS, t->loc);
		lp_next(p);
		return e;
	}
	if (t->kind == TOK_INT || lp_is_punct(t, '-'))
		return parse_int(p);
	if (t->kind == TOK_WORD) {
		struct expr *e = new_expr(p, EXPR_NAME, t->loc);
		e->name = lp_strndup(p, t->text, t->len);
		lp_next(p);
		return e;
	}
	lp_fail_expected(p, "the expected result (an integer or `...`)");
}

static struct expr *parse_result(struct parser *p)
{
	struct expr *e = parse_result_atom(p);
	while (lp_is_punct(lp_peek(p), '|')) {
		lp_next(p);
		struct expr *b = new_expr(p, EXPR_BINARY, e->loc);
		b->op = OP_OR;
		b->lhs = e;
		b->rhs = parse_result_atom(p);
		e = b;
	}
	return e;
}

/* `(free text)` after the result or the errno name. */
static const char *parse_note(struct parser *p)
{
	struct token open = lp_next(p);
	const char *text;
	size_t len;
	if (!lang_lex_raw_until(&p->lx, ')', &text, &len))
		lp_fail(p, open.loc, "unterminated `(`: the note must end with `)` on its line");
	while (len && (text[0] == ' ' || text[0] == '\t'))
		text++, len--;
	while (len && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\r'))
		len--;
	return lp_strndup(p, text, len);
}

struct syscall_spec *lp_parse_syscall(struct parser *p)
{
	struct syscall_spec *s = lp_alloc(p, sizeof *s);
	if (lp_peek(p)->kind == TOK_ELLIPSIS) {
		lp_next(p);
		s->blocking = true;
		s->end = lp_parse_time_point(p, "the end time of the blocking call after `...`");
	}
	struct token *t = lp_peek(p);
	if (t->kind != TOK_WORD)
		lp_fail_expected(p, "a syscall name");
	s->name_loc = t->loc;
	s->name = lp_strndup(p, t->text, t->len);
	lp_next(p);
	lp_expect_punct(p, '(', "`(` after the syscall name");
	parse_items(p, &s->args, ')', "`,` or `)` in the argument list");
	lp_expect_punct(p, '=', "`=` and the expected result after the syscall");
	s->result = parse_result(p);
	t = lp_peek(p);
	if (t->kind == TOK_WORD) {
		s->errno_loc = t->loc;
		s->errno_name = lp_strndup(p, t->text, t->len);
		lp_next(p);
	}
	if (lp_is_punct(lp_peek(p), '('))
		s->note = parse_note(p);
	return s;
}
