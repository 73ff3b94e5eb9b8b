/* Diagnostics list and the `file:line:col: severity: message` formatter. */
#include "lang/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void diag_list_init(struct diag_list *list)
{
	memset(list, 0, sizeof *list);
}

void diag_list_free(struct diag_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i].file);
		free(list->items[i].message);
		free(list->items[i].line_text);
	}
	free(list->items);
	diag_list_init(list);
}

const char *diag_severity_name(enum diag_severity sev)
{
	switch (sev) {
	case DIAG_ERROR:
		return "error";
	case DIAG_UNSUPPORTED:
		return "unsupported";
	case DIAG_WARNING:
		return "warning";
	}
	return "error";
}

static char *copy_bytes(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	/* A NUL inside the line would cut the excerpt short; show it as a blank. */
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\0')
			p[i] = ' ';
	return p;
}

void diag_addv(struct diag_list *list, enum diag_severity sev, struct src_loc loc,
               const char *line_text, size_t line_len, const char *fmt, va_list ap)
{
	switch (sev) {
	case DIAG_ERROR:
		list->n_errors++;
		break;
	case DIAG_UNSUPPORTED:
		list->n_unsupported++;
		break;
	case DIAG_WARNING:
		list->n_warnings++;
		break;
	}
	if (list->count == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 8;
		struct diag *items = realloc(list->items, cap * sizeof *items);
		if (!items) {
			list->dropped++;
			return;
		}
		list->items = items;
		list->cap = cap;
	}
	struct diag *d = &list->items[list->count];
	memset(d, 0, sizeof *d);
	d->severity = sev;
	d->loc = loc;
	if (loc.file) {
		d->file = copy_bytes(loc.file, strlen(loc.file));
		d->loc.file = d->file;
	}
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		n = 0;
	d->message = malloc((size_t)n + 1);
	if (d->message)
		vsnprintf(d->message, (size_t)n + 1, fmt, ap);
	if (line_text)
		d->line_text = copy_bytes(line_text, line_len);
	list->count++;
}

void diag_add(struct diag_list *list, enum diag_severity sev, struct src_loc loc,
              const char *line_text, size_t line_len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_addv(list, sev, loc, line_text, line_len, fmt, ap);
	va_end(ap);
}

/* snprintf-style appender: keeps counting past the end of buf. */
struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len < o->size) {
		size_t room = o->size - o->len - 1;
		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
	if (o->size)
		o->buf[o->len < o->size ? o->len : o->size - 1] = '\0';
}

size_t diag_format(char *buf, size_t size, const struct diag *d)
{
	struct out o = { buf, size, 0 };
	char head[64];
	if (size)
		buf[0] = '\0';
	const char *file = d->loc.file ? d->loc.file : "<input>";
	put(&o, file, strlen(file));
	if (d->loc.line > 0) {
		int n = snprintf(head, sizeof head, ":%d", d->loc.line);
		put(&o, head, (size_t)n);
		if (d->loc.col > 0) {
			n = snprintf(head, sizeof head, ":%d", d->loc.col);
			put(&o, head, (size_t)n);
		}
	}
	put(&o, ": ", 2);
	const char *sev = diag_severity_name(d->severity);
	put(&o, sev, strlen(sev));
	put(&o, ": ", 2);
	const char *msg = d->message ? d->message : "(out of memory)";
	put(&o, msg, strlen(msg));
	put(&o, "\n", 1);
	if (d->line_text && d->loc.col > 0) {
		size_t len = strlen(d->line_text);
		put(&o, d->line_text, len);
		put(&o, "\n", 1);
		/* Tabs in the line stay tabs under it so the caret lines up in any
		 * terminal; a column past the end points just after the line. */
		for (size_t i = 0; i + 1 < (size_t)d->loc.col && i <= len; i++)
			put(&o, i < len && d->line_text[i] == '\t' ? "\t" : " ", 1);
		put(&o, "^\n", 2);
	}
	return o.len;
}

void diag_print(FILE *out, const struct diag *d)
{
	size_t n = diag_format(NULL, 0, d);
	char *buf = malloc(n + 1);
	if (!buf)
		return;
	diag_format(buf, n + 1, d);
	fputs(buf, out);
	free(buf);
}

void diag_list_print(FILE *out, const struct diag_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		diag_print(out, &list->items[i]);
}
