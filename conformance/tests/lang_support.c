/* Support code linked into every conformance test: language test helpers. */
#include "lang_support.h"

#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char diag_buf[16384];

static const char *format_all(const struct diag_list *l)
{
	size_t n = 0;
	diag_buf[0] = '\0';
	for (size_t i = 0; i < l->count && n < sizeof diag_buf; i++)
		n += diag_format(diag_buf + n, sizeof diag_buf - n, &l->items[i]);
	return diag_buf;
}

struct script *lang_parse_ok(const char *text, const char *const *defines, size_t n_defines)
{
	struct lang_options o = { 0 };
	o.defines = defines;
	o.n_defines = n_defines;
	struct diag_list l;
	diag_list_init(&l);
	struct script *s = NULL;
	if (lang_parse_buffer("t.pkt", text, strlen(text), &o, &s, &l) != 0)
		tap_diag("unexpected parse failure:\n%s", format_all(&l));
	diag_list_free(&l);
	return s;
}

const char *lang_parse_err(const char *text)
{
	struct diag_list l;
	diag_list_init(&l);
	struct script *s = NULL;
	int r = lang_parse_buffer("t.pkt", text, strlen(text), NULL, &s, &l);
	format_all(&l);
	diag_list_free(&l);
	if (r == 0) {
		script_free(s);
		return "(parsed)";
	}
	return diag_buf;
}

const char *lang_parse_diags(const char *text, struct script **out)
{
	struct diag_list l;
	diag_list_init(&l);
	*out = NULL;
	lang_parse_buffer("t.pkt", text, strlen(text), NULL, out, &l);
	format_all(&l);
	diag_list_free(&l);
	return diag_buf;
}

const char *lang_event_text(const struct script *s, size_t i)
{
	static char buf[4096];
	if (!s || i >= s->n_events)
		return "(no such event)";
	ast_format_event(buf, sizeof buf, &s->events[i]);
	return buf;
}

char *lang_script_text(const struct script *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	ast_print_script(f, s);
	fclose(f);
	return buf;
}

bool lang_round_trip(const char *text, const char *name)
{
	struct script *a = lang_parse_ok(text, NULL, 0);
	if (!a)
		return fail("round trip %s: first parse", name);
	char *t1 = lang_script_text(a);
	struct script *b = lang_parse_ok(t1, NULL, 0);
	char *t2 = b ? lang_script_text(b) : NULL;
	bool r = is_str(t2 ? t2 : "(parse failed)", t1, "round trip %s", name);
	if (a && b && a->n_events != b->n_events)
		r = fail("round trip %s: event count", name);
	free(t1);
	free(t2);
	script_free(a);
	script_free(b);
	return r;
}
