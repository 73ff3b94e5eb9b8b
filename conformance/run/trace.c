/* The observed trace (see trace.h). */
#include "run/trace.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void run_trace_init(struct run_trace *t)
{
	memset(t, 0, sizeof *t);
}

void run_trace_free(struct run_trace *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].pkt);
	free(t->v);
	memset(t, 0, sizeof *t);
}

struct run_obs *run_trace_add(struct run_trace *t, enum run_obs_kind kind, uint64_t time_us,
                              int line, const uint8_t *pkt, size_t len, const char *fmt, ...)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct run_obs *v = realloc(t->v, cap * sizeof *v);
		if (!v)
			return NULL; /* the trace is diagnostics: losing it must not fail a run */
		t->v = v;
		t->cap = cap;
	}
	struct run_obs *o = &t->v[t->n];
	memset(o, 0, sizeof *o);
	o->kind = kind;
	o->time_us = time_us;
	o->line = line;
	if (pkt && len) {
		o->pkt = malloc(len);
		if (!o->pkt)
			return NULL;
		memcpy(o->pkt, pkt, len);
		o->len = len;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->text, sizeof o->text, fmt, ap);
	va_end(ap);
	t->n++;
	return o;
}

void run_obs_format(const struct run_obs *o, char *buf, size_t cap)
{
	static const char *const dir[] = {
		[RUN_OBS_INBOUND] = "< ", [RUN_OBS_OUTBOUND] = "> ", [RUN_OBS_SYSCALL] = "",
		[RUN_OBS_RETURN] = "",    [RUN_OBS_COMMAND] = "",
	};
	snprintf(buf, cap, "%" PRIu64 ".%06" PRIu64 " %s%s", o->time_us / 1000000,
	         o->time_us % 1000000, dir[o->kind], o->text);
}
