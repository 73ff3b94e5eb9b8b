/* Hand-built scripts for executor tests (see run_script_build.h). */
#include "run_script_build.h"

#include <stdlib.h>
#include <string.h>

void sb_init(struct run_script *s)
{
	memset(s, 0, sizeof *s);
	run_config_defaults(&s->cfg);
	s->path = "test.pkt";
	s->cfg.timeout_s = 5;
}

static int64_t secs(const char *p, char **end)
{
	return (int64_t)(strtod(p, end) * 1e6 + 0.5);
}

struct run_event *sb_event(struct run_script *s, const char *time, enum run_event_kind kind,
                           const char *text)
{
	struct run_event *e = run_script_add_event(s);
	e->kind = kind;
	e->line = s->n_events + 10;
	e->col = 1;
	e->text = text;
	char *end;
	if (time[0] == '*') {
		e->time.kind = RUN_TIME_ANY;
		return e;
	}
	e->time.kind = time[0] == '+' ? RUN_TIME_REL : RUN_TIME_ABS;
	/* strtod would read "0...0.1" as "0." then "..0.1": split first. */
	const char *dots = strstr(time, "..."), *tilde = strchr(time, '~');
	e->time.start_us = secs(time + (time[0] == '+'), &end);
	if (dots) {
		e->time.blocking = true;
		e->time.end_us = secs(dots + 3 + (dots[3] == '+'), &end);
	} else if (tilde) {
		e->time.range = true;
		e->time.end_us = secs(tilde + 1 + (tilde[1] == '+'), &end);
	}
	return e;
}

struct run_pkt *sb_pkt(struct run_script *s, const char *time, bool outbound, uint8_t flags,
                       uint32_t seq, uint32_t len, const char *text)
{
	struct run_event *e = sb_event(s, time, RUN_EV_PACKET, text);
	e->pkt.outbound = outbound;
	e->pkt.flags = flags;
	e->pkt.seq = seq;
	e->pkt.len = len;
	return &e->pkt;
}

struct run_syscall *sb_sys(struct run_script *s, const char *time, const char *name,
                           const char *argspec, const long long *ivals, long long ret, int err,
                           const char *text)
{
	struct run_event *e = sb_event(s, time, RUN_EV_SYSCALL, text);
	struct run_syscall *c = &e->sys;
	c->name = name;
	int k = 0;
	for (const char *a = argspec; *a && c->nargs < RUN_MAX_ARGS; a++) {
		struct run_arg *arg = &c->args[c->nargs++];
		if (*a == '.') {
			arg->kind = RUN_ARG_ELLIPSIS;
		} else {
			arg->kind = *a == 'p' ? RUN_ARG_INTPTR : RUN_ARG_INT;
			arg->ival = ivals[k++];
		}
	}
	c->ret = ret;
	c->err = err;
	return c;
}

void sb_opt(struct run_pkt *p, enum run_opt_kind kind, uint32_t v1, uint32_t v2)
{
	struct run_opt *o = &p->opts[p->n_opts++];
	memset(o, 0, sizeof *o);
	p->has_opts = true;
	o->kind = kind;
	o->v1 = v1;
	o->v2 = v2;
}
