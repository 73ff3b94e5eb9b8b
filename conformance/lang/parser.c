/* The script-level parser: header options, defines, init/cleanup commands,
 * event times and dispatch to the packet, syscall and code sub-parsers; error
 * reporting and recovery; the public entry points.
 *
 * Recovery: an error longjmps back to the event loop, which skips to the next
 * line that starts like an event. One error per event at most, so a typo
 * never cascades. Every node lives in the script's arena, so an abandoned
 * event leaks nothing. */
#include "lang/lang_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE_BYTES (64u << 20)

/* ---- diagnostics ---------------------------------------------------------------- */

static const char *line_at(const char *src, size_t src_len, int line, size_t *len)
{
	if (!src || line < 1)
		return NULL;
	size_t i = 0;
	for (int l = 1; l < line; l++) {
		const char *nl = memchr(src + i, '\n', src_len - i);
		if (!nl)
			return NULL;
		i = (size_t)(nl - src) + 1;
	}
	const char *nl = memchr(src + i, '\n', src_len - i);
	size_t n = nl ? (size_t)(nl - src) - i : src_len - i;
	if (n && src[i + n - 1] == '\r')
		n--;
	*len = n;
	return src + i;
}

static void vdiag(struct parser *p, enum diag_severity sev, struct src_loc loc, const char *fmt,
                  va_list ap)
{
	if (sev == DIAG_ERROR)
		p->errors++;
	if (p->diags->count - p->diags_at_start >= p->max_diags) {
		p->diags->dropped++;
		if (sev == DIAG_ERROR)
			p->diags->n_errors++;
		return;
	}
	size_t len = 0;
	const char *line = line_at(p->src, p->src_len, loc.line, &len);
	diag_addv(p->diags, sev, loc, line, len, fmt, ap);
}

void lp_diag(struct parser *p, enum diag_severity sev, struct src_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdiag(p, sev, loc, fmt, ap);
	va_end(ap);
}

void lp_fail(struct parser *p, struct src_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdiag(p, DIAG_ERROR, loc, fmt, ap);
	va_end(ap);
	longjmp(p->line_jmp, 1);
}

void lp_fatal(struct parser *p, struct src_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdiag(p, DIAG_ERROR, loc, fmt, ap);
	va_end(ap);
	longjmp(p->fatal_jmp, 1);
}

/* ---- memory ---------------------------------------------------------------------- */

void *lp_alloc(struct parser *p, size_t size)
{
	void *m = lang_arena_alloc(p->arena, size);
	if (!m)
		lp_fatal(p, (struct src_loc){ p->file, p->lx.line, p->lx.col },
		         "script too large or too complex (memory limit reached)");
	return m;
}

char *lp_strndup(struct parser *p, const char *s, size_t n)
{
	char *d = lp_alloc(p, n + 1);
	if (n)
		memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

void *lp_grow(struct parser *p, void *arr, size_t count, size_t *cap, size_t elem)
{
	if (count < *cap)
		return arr;
	size_t ncap = *cap ? *cap * 2 : 4;
	if (ncap > SIZE_MAX / elem / 2)
		lp_fatal(p, (struct src_loc){ p->file, p->lx.line, p->lx.col }, "script too large");
	void *n = lp_alloc(p, ncap * elem);
	if (count)
		memcpy(n, arr, count * elem);
	*cap = ncap;
	return n;
}

void lp_enter_nested(struct parser *p, struct src_loc loc)
{
	if (++p->depth > p->max_depth)
		lp_fail(p, loc, "nesting too deep (more than %d levels)", p->max_depth);
}

void lp_leave_nested(struct parser *p)
{
	p->depth--;
}

/* ---- tokens -------------------------------------------------------------------- */

struct token *lp_peek(struct parser *p)
{
	if (!p->have_la) {
		p->la = lang_lex_next(&p->lx);
		p->have_la = true;
	}
	return &p->la;
}

struct token lp_next(struct parser *p)
{
	lp_peek(p);
	p->have_la = false;
	p->prev = p->la;
	return p->la;
}

bool lp_is_punct(const struct token *t, int ch)
{
	return t->kind == TOK_PUNCT && t->ch == ch;
}

bool lp_is_word(const struct token *t, const char *w)
{
	return t->kind == TOK_WORD && t->len == strlen(w) && memcmp(t->text, w, t->len) == 0;
}

bool lp_accept_punct(struct parser *p, int ch)
{
	if (!lp_is_punct(lp_peek(p), ch))
		return false;
	lp_next(p);
	return true;
}

const char *lp_tok_desc(const struct token *t, char *buf, size_t size)
{
	switch (t->kind) {
	case TOK_EOF:
		return "end of file";
	case TOK_ERROR:
		return "an invalid token";
	case TOK_STRING:
		return "a string";
	case TOK_BACKQUOTE:
		return "a backquoted command";
	case TOK_CODE:
		return "a %{ }% block";
	case TOK_OPTION:
		snprintf(buf, size, "option `--%s`", t->str);
		return buf;
	case TOK_PUNCT:
		if (t->ch < 0x20 || t->ch >= 0x7f)
			snprintf(buf, size, "byte 0x%02x", (unsigned)t->ch);
		else
			snprintf(buf, size, "`%c`", t->ch);
		return buf;
	default:
		snprintf(buf, size, "`%.*s`", t->len > 40 ? 40 : (int)t->len, t->text);
		return buf;
	}
}

/* Just after token t, when it is on one source line. */
static struct src_loc end_of(const struct token *t)
{
	struct src_loc l = t->loc;
	if (t->text && t->len < 4096 && !memchr(t->text, '\n', t->len) && l.line > 0 &&
	    t->loc.col + (int)t->len > 0)
		l.col += (int)t->len;
	return l;
}

void lp_fail_expected(struct parser *p, const char *what)
{
	char buf[80];
	struct token *t = lp_peek(p);
	if (t->kind == TOK_ERROR) /* the lexer said why */
		longjmp(p->line_jmp, 1);
	/* Something missing at the end of a line is best shown there, not at
	 * the start of the next line (or the end of the file). */
	struct src_loc at = t->loc;
	bool started = p->prev.loc.line >= p->event_line && p->prev.loc.line > 0;
	if (started && (t->kind == TOK_EOF || (t->first_on_line && p->prev.loc.line < t->loc.line)))
		at = end_of(&p->prev);
	lp_fail(p, at, "expected %s, got %s", what, lp_tok_desc(t, buf, sizeof buf));
}

struct token lp_expect_punct(struct parser *p, int ch, const char *what)
{
	if (!lp_is_punct(lp_peek(p), ch))
		lp_fail_expected(p, what);
	return lp_next(p);
}

uint64_t lp_expect_uint(struct parser *p, uint64_t max, const char *what)
{
	struct token *t = lp_peek(p);
	if (t->kind != TOK_INT) {
		char buf[96];
		snprintf(buf, sizeof buf, "%s (an integer)", what);
		lp_fail_expected(p, buf);
	}
	if (t->overflow || t->num > max)
		lp_fail(p, t->loc, "%s %.*s out of range (0..%llu)", what, (int)t->len, t->text,
		        (unsigned long long)max);
	return lp_next(p).num;
}

/* ---- defines and annotations -------------------------------------------------- */

/* Every word of the script is looked up, so defines sit in a hash table
 * (open addressing, indexes into p->defs): a header of thousands of defines
 * must not make the parse quadratic. */
static size_t name_hash(const char *s, size_t n)
{
	size_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static size_t *def_slot(struct parser *p, const char *name, size_t len)
{
	size_t mask = p->cap_slots - 1;
	for (size_t i = name_hash(name, len) & mask;; i = (i + 1) & mask) {
		size_t *slot = &p->def_slots[i];
		if (!*slot)
			return slot;
		const struct define *d = &p->defs[*slot - 1];
		if (strlen(d->name) == len && memcmp(d->name, name, len) == 0)
			return slot;
	}
}

const struct define *lp_find_define(struct parser *p, const char *name, size_t len)
{
	if (!p->cap_slots)
		return NULL;
	size_t *slot = def_slot(p, name, len);
	return *slot ? &p->defs[*slot - 1] : NULL;
}

/* Slots hold index + 1 (0 is empty); at most half full. */
static void index_define(struct parser *p, size_t index)
{
	if ((p->n_defs + 1) * 2 > p->cap_slots) {
		size_t cap = p->cap_slots ? p->cap_slots * 2 : 64;
		p->def_slots = lp_alloc(p, cap * sizeof *p->def_slots);
		p->cap_slots = cap;
		for (size_t i = 0; i < p->n_defs; i++)
			if (i != index)
				*def_slot(p, p->defs[i].name, strlen(p->defs[i].name)) = i + 1;
	}
	*def_slot(p, p->defs[index].name, strlen(p->defs[index].name)) = index + 1;
}

static void add_define(struct parser *p, const char *nv, size_t len, struct src_loc loc,
                       bool cmdline)
{
	const char *eq = memchr(nv, '=', len);
	size_t nlen = eq ? (size_t)(eq - nv) : len;
	bool ok = nlen > 0 && !(nv[0] >= '0' && nv[0] <= '9');
	for (size_t i = 0; i < nlen; i++)
		if (!(nv[i] == '_' || (nv[i] >= '0' && nv[i] <= '9') ||
		      ((nv[i] | 0x20) >= 'a' && (nv[i] | 0x20) <= 'z')))
			ok = false;
	if (!ok) {
		lp_diag(p, DIAG_ERROR, loc, "bad define `%.*s` (want NAME=VALUE)",
		        (int)(len > 60 ? 60 : len), nv);
		return;
	}
	const struct define *old = lp_find_define(p, nv, nlen);
	if (old && old->from_command_line && !cmdline)
		return; /* the command line wins */
	const char *val = eq ? eq + 1 : "";
	size_t vlen = eq ? len - nlen - 1 : 0;
	/* A value NAME="v" keeps its quotes: the lexer then reads a string
	 * token where NAME is used, as packetdrill does. */
	struct define *d;
	if (old) {
		d = (struct define *)old;
	} else {
		p->defs = lp_grow(p, p->defs, p->n_defs, &p->cap_defs, sizeof *p->defs);
		d = &p->defs[p->n_defs++];
	}
	d->name = lp_strndup(p, nv, nlen);
	d->value = lp_strndup(p, val, vlen);
	d->loc = loc;
	d->from_command_line = cmdline;
	if (!old)
		index_define(p, (size_t)(d - p->defs));
}

void lp_add_annotation(struct parser *p, struct src_loc loc, const char *key, size_t key_len,
                       const char *value, size_t value_len)
{
	p->notes = lp_grow(p, p->notes, p->n_notes, &p->cap_notes, sizeof *p->notes);
	struct annotation *a = &p->notes[p->n_notes++];
	a->key = lp_strndup(p, key, key_len);
	a->value = lp_strndup(p, value, value_len);
	a->loc = loc;
}

/* ---- times ---------------------------------------------------------------------- */

static bool starts_time(const struct token *t)
{
	return t->kind == TOK_INT || t->kind == TOK_FLOAT || lp_is_punct(t, '+') ||
	       lp_is_punct(t, '*') || lp_is_punct(t, '-');
}

/* ['+'] NUMBER in seconds. */
struct time_point lp_parse_time_point(struct parser *p, const char *what)
{
	struct time_point tp = { 0 };
	struct token *t = lp_peek(p);
	tp.loc = t->loc;
	if (lp_is_punct(t, '+')) {
		lp_next(p);
		tp.relative = true;
		t = lp_peek(p);
	} else if (lp_is_punct(t, '-')) {
		lp_fail(p, t->loc, "negative time");
	}
	if (t->kind != TOK_INT && t->kind != TOK_FLOAT)
		lp_fail_expected(p, what);
	if (t->overflow || (t->kind == TOK_INT && t->num > (uint64_t)INT64_MAX / 1000000))
		lp_fail(p, t->loc, "time %.*s out of range", (int)t->len, t->text);
	if (t->kind == TOK_INT && t->is_hex)
		lp_fail(p, t->loc, "a time is in seconds, not hex");
	if (t->sub_usec)
		lp_diag(p, DIAG_WARNING, t->loc,
		        "time %.*s has more than microsecond precision; truncated", (int)t->len,
		        t->text);
	tp.usecs = t->usecs;
	lp_next(p);
	return tp;
}

static struct event_time parse_event_time(struct parser *p)
{
	struct event_time et = { 0 };
	struct token *t = lp_peek(p);
	et.loc = t->loc;
	if (lp_is_punct(t, '*')) {
		lp_next(p);
		et.form = TIME_ANY;
		return et;
	}
	et.form = TIME_POINT;
	et.start = lp_parse_time_point(p, "an event time");
	if (lp_is_punct(lp_peek(p), '~')) {
		lp_next(p);
		et.form = TIME_RANGE;
		et.end = lp_parse_time_point(p, "the end of the time range");
		if (et.start.relative != et.end.relative)
			lp_fail(p, et.end.loc,
			        "time range mixes relative and absolute times (write `%sA~%sB`)",
			        et.start.relative ? "+" : "", et.start.relative ? "+" : "");
		if (et.end.usecs < et.start.usecs)
			lp_fail(p, et.end.loc, "time range is backwards");
	}
	return et;
}

/* ---- events ---------------------------------------------------------------------- */

static struct command_spec command_of(struct parser *p, const struct token *t)
{
	struct command_spec c = { lp_strndup(p, t->str, t->str_len), t->loc };
	return c;
}

static void check_time_use(struct parser *p, const struct event *ev)
{
	bool outbound = ev->kind == EVENT_PACKET && ev->packet->dir == DIR_OUTBOUND;
	if (ev->time.form == TIME_ANY && !outbound)
		lp_fail(p, ev->time.loc, "event time `*` can only be used with outbound packets");
	if (ev->time.form == TIME_RANGE && !outbound && ev->kind != EVENT_SYSCALL)
		lp_fail(p, ev->time.loc,
		        "event time range can only be used with outbound packets and syscalls");
	/* packetdrill reads END on the same base as START (run.c adds the
	 * relative offset to both), so the two compare directly. */
	if (ev->kind == EVENT_SYSCALL && ev->syscall->blocking && ev->time.form == TIME_POINT &&
	    ev->syscall->end.usecs < ev->time.start.usecs)
		lp_fail(p, ev->syscall->end.loc, "blocking call ends before it starts");
}

static struct event *parse_event(struct parser *p, struct event *ev)
{
	p->tail_hint = NULL;
	ev->time = parse_event_time(p);
	ev->loc = ev->time.loc;
	struct token *t = lp_peek(p);
	if (lp_is_punct(t, '<') || lp_is_punct(t, '>')) {
		ev->kind = EVENT_PACKET;
		ev->packet = lp_parse_packet(p);
	} else if (t->kind == TOK_WORD || t->kind == TOK_ELLIPSIS) {
		ev->kind = EVENT_SYSCALL;
		ev->syscall = lp_parse_syscall(p);
	} else if (t->kind == TOK_BACKQUOTE) {
		ev->kind = EVENT_COMMAND;
		ev->command = lp_alloc(p, sizeof *ev->command);
		*ev->command = command_of(p, t);
		lp_next(p);
	} else if (t->kind == TOK_CODE) {
		ev->kind = EVENT_CODE;
		ev->code = lp_alloc(p, sizeof *ev->code);
		lp_parse_code(p, t, ev->code);
		lp_next(p);
	} else {
		lp_fail_expected(p,
		                 "a packet (`<` or `>`), a syscall, a `command` or a %{ }% block");
	}
	/* Events start on a new line; anything left on this one is a typo,
	 * best reported here rather than as a missing time. */
	struct token *t2 = lp_peek(p);
	if (t2->kind != TOK_EOF && !t2->first_on_line)
		lp_fail_expected(p, p->tail_hint ? p->tail_hint : "the end of the event");
	check_time_use(p, ev);
	return ev;
}

/* After an error: skip to the next token that starts a line and could
 * start an event (or header item). */
static void resync(struct parser *p, int err_line)
{
	for (;;) {
		struct token *t = lp_peek(p);
		if (t->kind == TOK_EOF)
			return;
		if (t->first_on_line && t->loc.line > err_line &&
		    (starts_time(t) || t->kind == TOK_BACKQUOTE || t->kind == TOK_CODE ||
		     t->kind == TOK_OPTION))
			return;
		lp_next(p);
	}
}

static void header_option(struct parser *p, const struct token *t)
{
	struct script *s = p->script;
	if (!t->str_len)
		lp_fail(p, t->loc, "empty option name");
	if (strcmp(t->str, "define") == 0) {
		if (!t->value)
			lp_fail(p, t->loc, "`--define` needs NAME=VALUE");
		add_define(p, t->value, strlen(t->value), t->value_loc, false);
	}
	s->options = lp_grow(p, s->options, s->n_options, &p->cap_options, sizeof *s->options);
	s->options[s->n_options++] =
	    (struct header_option){ t->str, t->value, t->loc, t->value_loc, t->value_text };
}

static void parse_script(struct parser *p)
{
	struct script *s = p->script;
	if (setjmp(p->line_jmp)) {
		p->depth = 0;
		resync(p, p->event_line);
	}
	for (;;) {
		if (p->errors && p->diags->count - p->diags_at_start >= p->max_diags)
			return;
		struct token *t = lp_peek(p);
		p->event_line = t->loc.line;
		if (t->kind == TOK_EOF)
			return;
		if (t->kind == TOK_ERROR) {
			lp_next(p);
			longjmp(p->line_jmp, 1);
		}
		if (t->kind == TOK_OPTION) {
			if (p->in_events)
				lp_fail(p, t->loc, "header option `--%s` after the first event",
				        t->str);
			struct token o = lp_next(p);
			header_option(p, &o);
			continue;
		}
		if (t->kind == TOK_BACKQUOTE) {
			struct token c = lp_next(p);
			if (!p->in_events) {
				s->init_commands = lp_grow(p, s->init_commands, s->n_init_commands,
				                           &p->cap_init, sizeof *s->init_commands);
				s->init_commands[s->n_init_commands++] = command_of(p, &c);
				continue;
			}
			if (lp_peek(p)->kind != TOK_EOF)
				lp_fail(p, c.loc,
				        "a command without a time is only allowed before the "
				        "first event or as the last line (cleanup)");
			s->cleanup_command = lp_alloc(p, sizeof *s->cleanup_command);
			*s->cleanup_command = command_of(p, &c);
			return;
		}
		if (!starts_time(t))
			lp_fail_expected(p, "an event time");
		p->in_events = true;
		s->events = lp_grow(p, s->events, s->n_events, &p->cap_events, sizeof *s->events);
		struct event ev = { 0 };
		parse_event(p, &ev);
		s->events[s->n_events++] = ev;
	}
}

/* ---- entry points ------------------------------------------------------------------ */

static void run_parse(struct parser *p, const struct lang_options *opts)
{
	if (setjmp(p->fatal_jmp))
		return;
	/* A NUL would silently cut raw text (commands, %{ }%) short: refuse it
	 * once, up front, wherever it is. */
	const char *nul = memchr(p->src, '\0', p->src_len);
	if (nul) {
		struct src_loc at = { p->file, 1, 1 };
		for (const char *c = p->src; c < nul; c++) {
			at.col++;
			if (*c == '\n') {
				at.line++;
				at.col = 1;
			}
		}
		lp_fatal(p, at, "NUL byte in input");
	}
	struct src_loc cl = { p->file, 0, 0 };
	for (size_t i = 0; i < opts->n_defines; i++)
		if (opts->defines[i])
			add_define(p, opts->defines[i], strlen(opts->defines[i]), cl, true);
	parse_script(p);
	if (!p->errors && p->script->n_events == 0)
		lp_diag(p, DIAG_WARNING, (struct src_loc){ p->file, 1, 1 }, "script has no events");
}

static int parse_buffer(const char *name, const char *text, size_t len,
                        const struct lang_options *opts, struct script **out,
                        struct diag_list *diags);

int lang_parse_buffer(const char *name, const char *text, size_t len,
                      const struct lang_options *opts, struct script **out, struct diag_list *diags)
{
	/* A caller that only wants a yes/no (a fuzz target) may pass NULLs. */
	struct diag_list scratch;
	struct script *s = NULL;
	diag_list_init(&scratch);
	int r = parse_buffer(name, text, len, opts, out ? out : &s, diags ? diags : &scratch);
	script_free(s);
	diag_list_free(&scratch);
	return r;
}

static int parse_buffer(const char *name, const char *text, size_t len,
                        const struct lang_options *opts, struct script **out,
                        struct diag_list *diags)
{
	static const struct lang_options no_opts;
	if (!opts)
		opts = &no_opts;
	*out = NULL;
	if (!name)
		name = "<input>";
	if (!text)
		len = 0;
	struct lang_arena *arena = lang_arena_new(256 * len + (1u << 20));
	struct parser *p = calloc(1, sizeof *p);
	struct script *s = arena ? lang_arena_alloc(arena, sizeof *s) : NULL;
	char *src = arena ? lang_arena_strndup(arena, text ? text : "", len) : NULL;
	char *file = arena ? lang_arena_strndup(arena, name, strlen(name)) : NULL;
	if (!p || !s || !src || !file) {
		free(p);
		lang_arena_free(arena);
		diag_add(diags, DIAG_ERROR, (struct src_loc){ name, 0, 0 }, NULL, 0,
		         "out of memory");
		return -1;
	}
	s->arena = arena;
	s->file = file;
	s->source = src;
	s->source_len = len;
	p->arena = arena;
	p->diags = diags;
	p->diags_at_start = diags->count;
	p->max_diags = opts->max_diags ? opts->max_diags : LANG_DEFAULT_MAX_DIAGS;
	p->max_depth = opts->max_depth > 0 ? opts->max_depth : LANG_DEFAULT_MAX_DEPTH;
	if (p->max_depth > 1000) /* beyond this the C stack, not the limit, would stop us */
		p->max_depth = 1000;
	p->script = s;
	p->file = file;
	p->src = src;
	p->src_len = len;
	lang_lex_init(&p->lx, p, file, src, len);
	run_parse(p, opts);
	int errors = p->errors;
	s->defines = p->defs;
	s->n_defines = p->n_defs;
	s->annotations = p->notes;
	s->n_annotations = p->n_notes;
	free(p);
	if (errors) {
		script_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

int lang_parse_file(const char *path, const struct lang_options *opts, struct script **out,
                    struct diag_list *diags)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	struct src_loc loc = { path, 0, 0 };
	if (!f) {
		diag_add(diags, DIAG_ERROR, loc, NULL, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	size_t cap = 0, len = 0;
	char *buf = NULL;
	const char *problem = NULL;
	for (;;) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			char *nb = cap >= MAX_FILE_BYTES ? NULL : realloc(buf, ncap);
			if (!nb) {
				problem = cap >= MAX_FILE_BYTES ? "file larger than 64 MiB"
				                                : "out of memory";
				break;
			}
			buf = nb;
			cap = ncap;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (!problem && ferror(f))
		problem = strerror(errno);
	fclose(f);
	if (problem) {
		free(buf);
		diag_add(diags, DIAG_ERROR, loc, NULL, 0, "cannot read: %s", problem);
		return -1;
	}
	int r = lang_parse_buffer(path, buf, len, opts, out, diags);
	free(buf);
	return r;
}

void script_free(struct script *script)
{
	if (script)
		lang_arena_free(script->arena); /* the script itself lives in its arena */
}

const char *script_line(const struct script *script, int line, size_t *len)
{
	return line_at(script->source, script->source_len, line, len);
}

void script_diag(struct diag_list *diags, const struct script *script, enum diag_severity sev,
                 struct src_loc loc, const char *fmt, ...)
{
	size_t len = 0;
	const char *line = script_line(script, loc.line, &len);
	va_list ap;
	va_start(ap, fmt);
	diag_addv(diags, sev, loc, line, len, fmt, ap);
	va_end(ap);
}
