/* Loading scripts and running them on a named stack for compare and record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/compare.h"
#include "run/run.h"
#include "stacks/so.h"
#include "stacks/stack.h"

static int add_sysctl(struct cmp_stack *s, const char *kv, size_t n, char *why, size_t cap)
{
	if (s->n_sysctls == 8 || !memchr(kv, '=', n)) {
		snprintf(why, cap, "%s: '%.*s': expected SYSCTL=VALUE (at most 8)", s->spec, (int)n,
		         kv);
		return -1;
	}
	bool dotted = memchr(kv, '.', (size_t)((const char *)memchr(kv, '=', n) - kv)) != NULL;
	snprintf(s->sysctls[s->n_sysctls++], sizeof s->sysctls[0], "sysctl -q %s%.*s",
	         dotted ? "" : "net.ipv4.", (int)n, kv);
	return 0;
}

int cmp_stack_parse(const char *spec, struct cmp_stack *out, char *why, size_t cap)
{
	memset(out, 0, sizeof *out);
	snprintf(out->spec, sizeof out->spec, "%s", spec);
	snprintf(out->name, sizeof out->name, "%.*s", (int)strcspn(spec, "+"), spec);
	size_t base = strcspn(spec, ":+");
	if (base == 2 && strncmp(spec, "so", 2) == 0 && spec[2] == ':') {
		/* so:PATH: the path may hold '+' and ':'. */
		out->ops = &stack_so_ops;
		snprintf(out->name, sizeof out->name, "so");
		snprintf(out->profile, sizeof out->profile, "%s", spec + 3);
		return 0;
	}
	if (base == 6 && strncmp(spec, "engine", 6) == 0) {
		out->ops = &stack_engine_ops;
	} else if (base == 5 && strncmp(spec, "linux", 5) == 0) {
		out->ops = &stack_linux_ops;
	} else {
		snprintf(why, cap,
		         "unknown stack '%s' (engine, engine:PROFILE, linux, linux:CC, so:PATH)",
		         spec);
		return -1;
	}
	const char *p = spec + base;
	if (*p == ':') {
		p++;
		size_t n = strcspn(p, "+");
		if (out->ops == &stack_engine_ops) {
			snprintf(out->profile, sizeof out->profile, "%.*s", (int)n, p);
		} else if (memchr(p, '=', n)) {
			if (add_sysctl(out, p, n, why, cap) < 0)
				return -1;
		} else {
			char kv[160];
			snprintf(kv, sizeof kv, "tcp_congestion_control=%.*s", (int)n, p);
			if (add_sysctl(out, kv, strlen(kv), why, cap) < 0)
				return -1;
		}
		p += n;
	}
	while (*p == '+') {
		p++;
		size_t n = strcspn(p, "+");
		if (add_sysctl(out, p, n, why, cap) < 0)
			return -1;
		p += n;
	}
	return 0;
}

bool cmp_stack_is_kernel(const struct cmp_stack *st)
{
	return st->ops && st->ops->name && strcmp(st->ops->name, "linux") == 0;
}

bool cmp_unsupported(const struct run_result *r)
{
	return r->status == RUN_FAIL && strncmp(r->fail.message, "unsupported:", 12) == 0;
}

void cmp_script_slack(struct cmp_trace *t, const struct run_script *rs)
{
	for (size_t i = 0; i < t->n; i++) {
		struct cmp_event *e = &t->v[i];
		if (e->line <= 0 || (e->kind != RUN_OBS_OUTBOUND && e->kind != RUN_OBS_RETURN))
			continue;
		for (int k = 0; k < rs->n_events; k++) {
			const struct run_event *ev = &rs->events[k];
			if (ev->line != e->line)
				continue;
			if (ev->time.range && ev->time.end_us > ev->time.start_us)
				e->slack_us = ev->time.end_us - ev->time.start_us;
			break;
		}
	}
}

void cmp_run(const struct run_script *rs, const struct cmp_stack *st, struct run_result *res)
{
	struct run_options o = { .observe = true };
	cmp_run_opts(rs, st, &o, res);
}

void cmp_run_opts(const struct run_script *rs, const struct cmp_stack *st,
                  const struct run_options *o, struct run_result *res)
{
	struct run_script s = *rs;
	const char *cmds[64];
	int n = 0;
	for (int i = 0; i < st->n_sysctls; i++)
		cmds[n++] = st->sysctls[i];
	for (int i = 0; i < rs->n_commands && n < 64; i++)
		cmds[n++] = rs->commands[i];
	s.commands = cmds;
	s.n_commands = n;
	run_execute_opts(&s, st->ops, st->profile[0] ? st->profile : NULL, o, res);
	/* The stack's own settings are how it is configured, not what it did. */
	struct run_trace *t = &res->trace;
	size_t drop = 0;
	while (drop < t->n && drop < (size_t)st->n_sysctls && t->v[drop].kind == RUN_OBS_COMMAND &&
	       t->v[drop].line == 0)
		drop++;
	if (drop) {
		memmove(t->v, t->v + drop, sizeof *t->v * (t->n - drop));
		t->n -= drop;
	}
}
