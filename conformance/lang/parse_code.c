/* %{ ... }% blocks: the native subset of packetdrill's Python assertions.
 *
 * packetdrill runs these blocks in Python with the socket's TCP_INFO fields
 * bound as tcpi_* variables. synack has no Python: it parses the common
 * shape, `assert COND[, MSG]` statements over integers, tcpi_* fields and
 * UPPER_CASE constants (TCP_CA_Open ...), with comparisons (chained too),
 * and/or/not and + - * /, and marks anything else as unsupported with the
 * location of the first construct it cannot run. Never an error: the raw text
 * is kept, and a Python-capable executor could still run it. */
#include "lang/lang_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

enum ctok {
	C_END,  /* end of the block */
	C_EOS,  /* end of statement: newline or ';' outside parentheses */
	C_INT,  /* integer literal */
	C_NAME, /* identifier or keyword */
	C_OP,   /* operator or punctuation: .op holds its text */
	C_BAD,  /* a character outside the subset */
};

struct cparse {
	struct parser *p;
	const char *s;
	size_t len, pos;
	int line, col;
	int parens;
	int depth;
	/* the current token */
	enum ctok kind;
	const char *text;
	size_t tlen;
	struct src_loc loc;
	uint64_t num;
	bool overflow;
	/* the first unsupported construct */
	jmp_buf out;
	struct src_loc bad_loc;
	const char *bad_what;
};

static void c_adv(struct cparse *c)
{
	if (c->s[c->pos] == '\n') {
		c->line++;
		c->col = 1;
	} else {
		c->col++;
	}
	c->pos++;
}

static void c_next(struct cparse *c)
{
	for (;;) {
		while (c->pos < c->len &&
		       (c->s[c->pos] == ' ' || c->s[c->pos] == '\t' || c->s[c->pos] == '\r' ||
		        (c->s[c->pos] == '\n' && c->parens > 0)))
			c_adv(c);
		if (c->pos < c->len && c->s[c->pos] == '#') {
			while (c->pos < c->len && c->s[c->pos] != '\n')
				c_adv(c);
			continue;
		}
		if (c->pos + 1 < c->len && c->s[c->pos] == '\\' && c->s[c->pos + 1] == '\n') {
			c_adv(c);
			c_adv(c);
			continue;
		}
		break;
	}
	c->loc = (struct src_loc){ c->p->file, c->line, c->col };
	c->text = c->s + c->pos;
	c->tlen = 1;
	c->overflow = false;
	if (c->pos >= c->len) {
		c->kind = C_END;
		c->tlen = 0;
		return;
	}
	unsigned char ch = (unsigned char)c->s[c->pos];
	size_t start = c->pos;
	if (ch == '\n' || ch == ';') {
		c->kind = C_EOS;
		c_adv(c);
		return;
	}
	if (isdigit(ch)) {
		c->kind = C_INT;
		c->num = 0;
		bool hex = ch == '0' && c->pos + 1 < c->len && (c->s[c->pos + 1] | 0x20) == 'x';
		if (hex) {
			c_adv(c);
			c_adv(c);
		}
		while (c->pos < c->len &&
		       (isalnum((unsigned char)c->s[c->pos]) || c->s[c->pos] == '_')) {
			int d = (unsigned char)c->s[c->pos];
			int v = isdigit(d)           ? d - '0'
			        : hex && isxdigit(d) ? (d | 0x20) - 'a' + 10
			                             : -1;
			if (v < 0 || c->s[c->pos] == '_') {
				c->kind = C_BAD; /* 1.5, 1e3, 10L, 1_000: not in the subset */
			} else {
				unsigned base = hex ? 16 : 10;
				if (c->num > (UINT64_MAX - (unsigned)v) / base)
					c->overflow = true;
				else
					c->num = c->num * base + (unsigned)v;
			}
			c_adv(c);
		}
		if (c->pos < c->len && c->s[c->pos] == '.') {
			c->kind = C_BAD; /* a float: show all of it */
			c_adv(c);
			while (c->pos < c->len && isalnum((unsigned char)c->s[c->pos]))
				c_adv(c);
		}
		c->tlen = c->pos - start;
		return;
	}
	if (isalpha(ch) || ch == '_') {
		c->kind = C_NAME;
		while (c->pos < c->len &&
		       (isalnum((unsigned char)c->s[c->pos]) || c->s[c->pos] == '_'))
			c_adv(c);
		c->tlen = c->pos - start;
		return;
	}
	static const char *const ops[] = { "==", "!=", "<=", ">=", "//", "**", "<<", ">>",
		                           "<",  ">",  "+",  "-",  "*",  "/",  "%",  "&",
		                           "=",  "|",  "^",  "~",  "(",  ")",  ",",  NULL };
	for (size_t i = 0; ops[i]; i++) {
		size_t n = strlen(ops[i]);
		if (c->pos + n <= c->len && memcmp(c->s + c->pos, ops[i], n) == 0) {
			c->kind = C_OP;
			c->tlen = n;
			for (size_t k = 0; k < n; k++)
				c_adv(c);
			if (strcmp(ops[i], "(") == 0)
				c->parens++;
			if (strcmp(ops[i], ")") == 0 && c->parens > 0)
				c->parens--;
			return;
		}
	}
	c->kind = C_BAD;
	c_adv(c);
}

static bool c_is(const struct cparse *c, enum ctok kind, const char *text)
{
	return c->kind == kind && c->tlen == strlen(text) && memcmp(c->text, text, c->tlen) == 0;
}

/* Records the first construct outside the subset, the token in hand. */
_Noreturn static void unsupported(struct cparse *c, const char *what, const char *why)
{
	char buf[200];
	int n = (int)(c->tlen > 40 ? 40 : c->tlen);
	const char *sep = *why ? " " : "";
	if (c->kind == C_END)
		snprintf(buf, sizeof buf, "%s at the end of the block%s%s", what, sep, why);
	else if (c->kind == C_EOS)
		snprintf(buf, sizeof buf, "%s at the end of the statement%s%s", what, sep, why);
	else
		snprintf(buf, sizeof buf, "%s `%.*s`%s%s", what, n, c->text, sep, why);
	c->bad_loc = c->loc;
	c->bad_what = lp_strndup(c->p, buf, strlen(buf));
	longjmp(c->out, 1);
}

static struct code_expr *node(struct cparse *c, enum code_expr_kind kind, struct src_loc loc)
{
	struct code_expr *e = lp_alloc(c->p, sizeof *e);
	e->kind = kind;
	e->loc = loc;
	return e;
}

static struct code_expr *binary(struct cparse *c, enum code_op op, struct code_expr *l,
                                struct code_expr *r)
{
	struct code_expr *e = node(c, CODE_BINARY, l->loc);
	e->op = op;
	e->lhs = l;
	e->rhs = r;
	return e;
}

static struct code_expr *clone(struct cparse *c, const struct code_expr *e)
{
	if (!e)
		return NULL;
	struct code_expr *n = node(c, e->kind, e->loc);
	*n = *e;
	n->lhs = clone(c, e->lhs);
	n->rhs = clone(c, e->rhs);
	return n;
}

static struct code_expr *or_test(struct cparse *c);

static bool is_keyword(const struct cparse *c)
{
	static const char *const kw[] = { "and",   "or",   "not",    "assert", "in",     "is",
		                          "if",    "else", "lambda", "for",    "while",  "import",
		                          "from",  "def",  "class",  "return", "pass",   "True",
		                          "False", "None", "print",  "del",    "global", NULL };
	for (size_t i = 0; kw[i]; i++)
		if (c_is(c, C_NAME, kw[i]))
			return true;
	return false;
}

/* tcpi_* fields and UPPER_CASE constants; other names would be Python
 * variables, which we do not have. */
static bool supported_name(const char *s, size_t n)
{
	if (n > 5 && memcmp(s, "tcpi_", 5) == 0)
		return true;
	bool upper = false;
	for (size_t i = 0; i < n; i++) {
		if (i < 4 && islower((unsigned char)s[i]))
			return false;
		if (isupper((unsigned char)s[i]))
			upper = true;
	}
	return upper;
}

static struct code_expr *atom(struct cparse *c)
{
	struct src_loc loc = c->loc;
	if (c->kind == C_INT) {
		if (c->overflow || c->num > INT64_MAX)
			unsupported(c, "integer", "(out of 64-bit range)");
		struct code_expr *e = node(c, CODE_INT, loc);
		e->num = (int64_t)c->num;
		c_next(c);
		return e;
	}
	if (c->kind == C_NAME && !is_keyword(c)) {
		if (!supported_name(c->text, c->tlen))
			unsupported(c, "name", "(only tcpi_* fields and UPPER_CASE constants)");
		struct code_expr *e = node(c, CODE_NAME, loc);
		e->name = lp_strndup(c->p, c->text, c->tlen);
		c_next(c);
		if (c_is(c, C_OP, "("))
			unsupported(c, "function call", "");
		return e;
	}
	if (c_is(c, C_OP, "(")) {
		c_next(c);
		struct code_expr *e = or_test(c);
		if (!c_is(c, C_OP, ")"))
			unsupported(c, "construct", "(expected `)`)");
		c_next(c);
		return e;
	}
	unsupported(c, "construct", "");
}

static struct code_expr *factor(struct cparse *c)
{
	if (++c->depth > c->p->max_depth)
		unsupported(c, "expression nested too deeply at", "");
	struct code_expr *e;
	if (c_is(c, C_OP, "-") || c_is(c, C_OP, "+")) {
		struct src_loc loc = c->loc;
		bool neg = c_is(c, C_OP, "-");
		c_next(c);
		struct code_expr *x = factor(c);
		if (neg) {
			e = node(c, CODE_UNARY, loc);
			e->op = COP_NEG;
			e->lhs = x;
		} else {
			e = x;
		}
	} else {
		e = atom(c);
	}
	if (c_is(c, C_OP, "**"))
		unsupported(c, "operator", "");
	c->depth--;
	return e;
}

static struct code_expr *term(struct cparse *c)
{
	struct code_expr *e = factor(c);
	for (;;) {
		enum code_op op;
		if (c_is(c, C_OP, "*"))
			op = COP_MUL;
		else if (c_is(c, C_OP, "/") || c_is(c, C_OP, "//"))
			op = COP_DIV;
		else if (c_is(c, C_OP, "%"))
			op = COP_MOD;
		else
			return e;
		c_next(c);
		e = binary(c, op, e, factor(c));
	}
}

static struct code_expr *arith(struct cparse *c)
{
	struct code_expr *e = term(c);
	for (;;) {
		enum code_op op;
		if (c_is(c, C_OP, "+"))
			op = COP_ADD;
		else if (c_is(c, C_OP, "-"))
			op = COP_SUB;
		else
			return e;
		c_next(c);
		e = binary(c, op, e, term(c));
	}
}

static bool compare_op(const struct cparse *c, enum code_op *op)
{
	static const struct {
		const char *s;
		enum code_op op;
	} cmp[] = { { "==", COP_EQ }, { "!=", COP_NE }, { "<=", COP_LE },
		    { ">=", COP_GE }, { "<", COP_LT },  { ">", COP_GT } };
	for (size_t i = 0; i < sizeof cmp / sizeof cmp[0]; i++)
		if (c_is(c, C_OP, cmp[i].s)) {
			*op = cmp[i].op;
			return true;
		}
	return false;
}

static struct code_expr *band(struct cparse *c)
{
	struct code_expr *e = arith(c);
	while (c_is(c, C_OP, "&")) {
		c_next(c);
		e = binary(c, COP_BAND, e, arith(c));
	}
	return e;
}

static struct code_expr *bor(struct cparse *c)
{
	struct code_expr *e = band(c);
	while (c_is(c, C_OP, "|")) {
		c_next(c);
		e = binary(c, COP_BOR, e, band(c));
	}
	return e;
}

/* a < b <= c is (a < b) and (b <= c), as in Python. */
static struct code_expr *comparison(struct cparse *c)
{
	struct code_expr *left = bor(c), *result = NULL;
	enum code_op op;
	while (compare_op(c, &op)) {
		c_next(c);
		struct code_expr *right = bor(c);
		struct code_expr *cmp = binary(c, op, result ? clone(c, left) : left, right);
		result = result ? binary(c, COP_AND, result, cmp) : cmp;
		left = right;
	}
	return result ? result : left;
}

static struct code_expr *not_test(struct cparse *c)
{
	if (!c_is(c, C_NAME, "not"))
		return comparison(c);
	if (++c->depth > c->p->max_depth)
		unsupported(c, "expression nested too deeply at", "");
	struct code_expr *e = node(c, CODE_UNARY, c->loc);
	c_next(c);
	e->op = COP_NOT;
	e->lhs = not_test(c);
	c->depth--;
	return e;
}

static struct code_expr *and_test(struct cparse *c)
{
	struct code_expr *e = not_test(c);
	while (c_is(c, C_NAME, "and")) {
		c_next(c);
		e = binary(c, COP_AND, e, not_test(c));
	}
	return e;
}

static struct code_expr *or_test(struct cparse *c)
{
	if (++c->depth > c->p->max_depth)
		unsupported(c, "expression nested too deeply at", "");
	struct code_expr *e = and_test(c);
	while (c_is(c, C_NAME, "or")) {
		c_next(c);
		e = binary(c, COP_OR, e, and_test(c));
	}
	c->depth--;
	return e;
}

/* NAME = ... (not ==): looks ahead in the raw text past the current name. */
static bool is_assignment(const struct cparse *c)
{
	if (c->kind != C_NAME || is_keyword(c))
		return false;
	size_t k = c->pos;
	while (k < c->len && (c->s[k] == ' ' || c->s[k] == '\t'))
		k++;
	return k < c->len && c->s[k] == '=' && (k + 1 >= c->len || c->s[k + 1] != '=');
}

static void parse_statements(struct cparse *c, struct code_spec *cs)
{
	size_t cap = 0;
	c_next(c);
	for (;;) {
		while (c->kind == C_EOS)
			c_next(c);
		if (c->kind == C_END)
			return;
		struct code_assert a = { 0 };
		a.loc = c->loc;
		if (is_assignment(c)) {
			if (!supported_name(c->text, c->tlen) ||
			    (c->tlen >= 5 && memcmp(c->text, "tcpi_", 5) == 0))
				unsupported(c, "assignment to", "(only UPPER_CASE constants)");
			a.assign = lp_strndup(c->p, c->text, c->tlen);
			c_next(c);
			c_next(c); /* the '=' */
			a.cond = or_test(c);
		} else {
			if (!c_is(c, C_NAME, "assert"))
				unsupported(c, "statement", "(only `assert` and `NAME = ...`)");
			c_next(c);
			a.cond = or_test(c);
			if (c_is(c, C_OP, ",")) {
				c_next(c);
				a.msg = or_test(c);
			}
		}
		if (c->kind != C_EOS && c->kind != C_END)
			unsupported(c, "construct", "");
		cs->asserts = lp_grow(c->p, cs->asserts, cs->n_asserts, &cap, sizeof *cs->asserts);
		cs->asserts[cs->n_asserts++] = a;
	}
}

void lp_parse_code(struct parser *p, const struct token *t, struct code_spec *cs)
{
	/* packetdrill strips blanks (not newlines) at both ends. */
	const char *s = t->str;
	size_t n = t->str_len;
	struct src_loc loc = t->inner;
	while (n && (s[0] == ' ' || s[0] == '\t')) {
		s++;
		n--;
		loc.col++;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	cs->text = lp_strndup(p, s, n);
	cs->text_loc = loc;
	struct cparse *c = lp_alloc(p, sizeof *c);
	c->p = p;
	c->s = cs->text;
	c->len = n;
	c->line = loc.line;
	c->col = loc.col;
	if (setjmp(c->out)) {
		cs->supported = false;
		cs->asserts = NULL;
		cs->n_asserts = 0;
		cs->unsupported_loc = c->bad_loc;
		cs->unsupported_what = c->bad_what;
		lp_diag(p, DIAG_UNSUPPORTED, c->bad_loc, "python block: %s", c->bad_what);
		return;
	}
	parse_statements(c, cs);
	cs->supported = true;
}
