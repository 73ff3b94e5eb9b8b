/* The parse tree -> the executable model (see from_ast.h). */
#include "run/from_ast.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "run/symbols.h"

struct conv {
	struct run_script *s;
	const char *unsupported; /* the first thing this event cannot run */
	char buf[160];
};

static void unsupported(struct conv *c, const char *fmt, const char *what)
{
	if (c->unsupported)
		return;
	snprintf(c->buf, sizeof c->buf, fmt, what ? what : "?");
	c->unsupported = c->buf;
}

/* ---- expressions ------------------------------------------------------------ */

static bool int_value(struct conv *c, const struct expr *e, long long *v)
{
	switch (e->kind) {
	case EXPR_INT:
		*v = (long long)e->num;
		return true;
	case EXPR_NAME:
		if (run_symbol(e->name, v))
			return true;
		unsupported(c, "unknown name %s", e->name);
		return false;
	case EXPR_BINARY: {
		long long a, b;
		if (!int_value(c, e->lhs, &a) || !int_value(c, e->rhs, &b))
			return false;
		*v = a | b;
		return true;
	}
	case EXPR_CALL:
		/* htons(8080) and inet_addr("1.2.3.4"): values in network order,
		 * as the kernel would see them. */
		if (e->name && strcmp(e->name, "htons") == 0 && e->items.count == 1) {
			long long x;
			if (!int_value(c, e->items.items[0], &x))
				return false;
			*v = htons((uint16_t)x);
			return true;
		}
		if (e->name && strcmp(e->name, "inet_addr") == 0 && e->items.count == 1 &&
		    e->items.items[0]->kind == EXPR_STRING) {
			*v = (long long)inet_addr(e->items.items[0]->str);
			return true;
		}
		unsupported(c, "%s(...) in a syscall argument", e->name);
		return false;
	default:
		return false;
	}
}

static void conv_arg(struct conv *c, const struct expr *e, struct run_arg *a)
{
	memset(a, 0, sizeof *a);
	long long v;
	switch (e->kind) {
	case EXPR_ELLIPSIS:
		a->kind = RUN_ARG_ELLIPSIS;
		return;
	case EXPR_STRING:
		a->kind = RUN_ARG_STRING;
		a->str = e->str;
		a->str_len = e->str_len;
		return;
	case EXPR_LIST:
		/* [N] is a pointer to an int; anything else is a list. */
		if (e->items.count == 1 && e->items.items[0]->kind != EXPR_STRUCT &&
		    e->items.items[0]->kind != EXPR_LIST && int_value(c, e->items.items[0], &v)) {
			a->kind = RUN_ARG_INTPTR;
			a->ival = v;
			return;
		}
		/* fall through */
	case EXPR_STRUCT: {
		a->kind = e->kind == EXPR_LIST ? RUN_ARG_LIST : RUN_ARG_STRUCT;
		a->n = (int)e->items.count;
		a->items = run_script_alloc(c->s, sizeof *a->items * (e->items.count + 1));
		a->names = run_script_alloc(c->s, sizeof *a->names * (e->items.count + 1));
		for (size_t i = 0; i < e->items.count; i++) {
			const struct expr *it = e->items.items[i];
			if (it->kind == EXPR_FIELD) {
				a->names[i] = it->name;
				if (it->value)
					conv_arg(c, it->value, &a->items[i]);
				else
					a->items[i].kind = RUN_ARG_ELLIPSIS;
			} else {
				conv_arg(c, it, &a->items[i]);
			}
		}
		return;
	}
	case EXPR_FIELD:
		if (e->value)
			conv_arg(c, e->value, a);
		else
			a->kind = RUN_ARG_ELLIPSIS;
		return;
	default:
		if (int_value(c, e, &v)) {
			a->kind = RUN_ARG_INT;
			a->ival = v;
		} else {
			a->kind = RUN_ARG_UNSUPPORTED;
			a->str = c->unsupported;
		}
		return;
	}
}

static void conv_syscall(struct conv *c, const struct syscall_spec *sp, struct run_syscall *sc)
{
	sc->name = sp->name;
	if (sp->args.count > RUN_MAX_ARGS) {
		unsupported(c, "syscall %s with this many arguments", sp->name);
		return;
	}
	sc->nargs = (int)sp->args.count;
	for (size_t i = 0; i < sp->args.count; i++)
		conv_arg(c, sp->args.items[i], &sc->args[i]);
	if (!sp->result || sp->result->kind == EXPR_ELLIPSIS) {
		sc->ret_any = true;
	} else {
		long long v = 0;
		if (!int_value(c, sp->result, &v))
			unsupported(c, "result of %s", sp->name);
		sc->ret = v;
	}
	if (sp->errno_name) {
		long long e = 0;
		if (!run_symbol(sp->errno_name, &e))
			unsupported(c, "errno %s", sp->errno_name);
		sc->err = (int)e;
		sc->err_name = sp->errno_name;
	}
}

/* ---- packets ------------------------------------------------------------------ */

static void conv_option(struct conv *c, const struct tcp_option *o, struct run_opt *r)
{
	memset(r, 0, sizeof *r);
	switch (o->kind) {
	case OPT_EOL:
		r->kind = RUN_OPT_EOL;
		break;
	case OPT_NOP:
		r->kind = RUN_OPT_NOP;
		break;
	case OPT_MSS:
		r->kind = RUN_OPT_MSS;
		r->v1 = o->value;
		break;
	case OPT_WSCALE:
		r->kind = RUN_OPT_WSCALE;
		r->v1 = o->value;
		break;
	case OPT_SACK_PERM:
		r->kind = RUN_OPT_SACKOK;
		break;
	case OPT_SACK:
		r->kind = RUN_OPT_SACK;
		r->n_sack = (uint8_t)(o->n_sack < SYNACK_MAX_SACK_BLOCKS ? o->n_sack
		                                                         : SYNACK_MAX_SACK_BLOCKS);
		for (int i = 0; i < r->n_sack; i++) {
			r->sack[i].left = o->sack[i].left;
			r->sack[i].right = o->sack[i].right;
		}
		break;
	case OPT_TS:
		r->kind = RUN_OPT_TS;
		r->v1 = o->ts_val;
		r->v2 = o->ts_ecr;
		break;
	case OPT_MD5:
		r->kind = RUN_OPT_MD5;
		break;
	case OPT_FO:
	case OPT_FOEXP:
		r->kind = o->kind == OPT_FO ? RUN_OPT_FO : RUN_OPT_FOEXP;
		if (o->data_len > sizeof r->cookie)
			unsupported(c, "%s cookie longer than 16 bytes", "FO");
		r->cookie_len =
		    (uint8_t)(o->data_len < sizeof r->cookie ? o->data_len : sizeof r->cookie);
		if (o->data)
			memcpy(r->cookie, o->data, r->cookie_len);
		break;
	case OPT_EXP:
		r->kind = RUN_OPT_EXP;
		break;
	case OPT_GENERIC:
		r->kind = RUN_OPT_GENERIC;
		r->v1 = o->wire_kind;
		r->v2 = o->wire_len;
		break;
	case OPT_ACCECN:
		/* Parsed (RFC 9768) but neither stack negotiates AccECN yet. */
		unsupported(c, "%s option", "AccECN");
		break;
	default:
		/* Whatever the grammar learns next: not matched or built here
		 * yet, so a script must not pass by accident. */
		unsupported(c, "TCP option %s", tcp_option_kind_name(o->kind));
		break;
	}
}

/* ICMP names as packetdrill spells them, as ICMPv4 type/code; IPv6's
 * packet_too_big is ICMPv4's frag_needed (build_packet translates). */
static bool icmp_numbers(const char *type, const char *code, uint8_t *t, uint8_t *cd)
{
	static const struct {
		const char *name;
		uint8_t type, code;
	} types[] = {
		{ "unreachable", 3, 0 },    { "time_exceeded", 11, 0 },
		{ "source_quench", 4, 0 },  { "parameter_problem", 12, 0 },
		{ "packet_too_big", 3, 4 },
	};
	static const char *const unreach[] = {
		"net_unreachable",
		"host_unreachable",
		"protocol_unreachable",
		"port_unreachable",
		"frag_needed",
		"source_route_failed",
		"net_unknown",
		"host_unknown",
		"source_host_isolated",
		"net_prohibited",
		"host_prohibited",
		"net_unreachable_for_tos",
		"host_unreachable_for_tos",
		"packet_filtered",
		"precedence_violation",
		"precedence_cutoff",
	};
	bool found = false;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcmp(types[i].name, type) == 0) {
			*t = types[i].type;
			*cd = types[i].code;
			found = true;
		}
	if (!found)
		return false;
	if (!code)
		return true;
	if (*t == 3) {
		for (size_t i = 0; i < sizeof unreach / sizeof unreach[0]; i++)
			if (strcmp(unreach[i], code) == 0) {
				*cd = (uint8_t)i;
				return true;
			}
		return false;
	}
	if (*t == 11)
		return (strcmp(code, "ttl_exceeded") == 0 && (*cd = 0, true)) ||
		       (strcmp(code, "reassembly_time_exceeded") == 0 && (*cd = 1, true));
	return false;
}

static void conv_icmp(struct conv *c, const struct packet_spec *p, struct run_pkt *r)
{
	if (p->dir == DIR_OUTBOUND) {
		unsupported(c, "%s", "outbound icmp packets");
		return;
	}
	if (p->quoted == ICMP_QUOTED_UDP || p->quoted == ICMP_QUOTED_RAW) {
		unsupported(c, "%s", "icmp quoting udp or raw data");
		return;
	}
	if (!icmp_numbers(p->icmp_type, p->icmp_code, &r->icmp_type, &r->icmp_code)) {
		unsupported(c, "icmp type %s", p->icmp_code ? p->icmp_code : p->icmp_type);
		return;
	}
	r->proto = RUN_PROTO_ICMP;
	r->has_mtu = p->has_mtu;
	r->mtu = p->mtu;
	r->seq = p->seq;
	r->len = p->len;
}

static void conv_packet(struct conv *c, const struct packet_spec *p, struct run_pkt *r)
{
	if (p->proto == PROTO_UDP) {
		unsupported(c, "%s packets", "udp");
		return;
	}
	if (p->proto == PROTO_ICMP) {
		conv_icmp(c, p, r);
		return;
	}
	r->has_ports = p->has_ports;
	r->sport = p->src_port;
	r->dport = p->dst_port;
	r->outbound = p->dir == DIR_OUTBOUND;
	r->flags = p->flags; /* ast.h's TCPF_* are the wire bits, like SYNACK_TH_* */
	r->seq = p->seq;
	r->len = p->len;
	r->has_ack = p->has_ack;
	r->ack = p->ack;
	r->has_win = p->has_win;
	r->win = p->win;
	r->has_urg = p->has_urg;
	r->urg = p->urg;
	r->opts_any = p->options_mode == OPTIONS_ANY;
	r->has_opts = p->options_mode == OPTIONS_LIST;
	if (p->n_options > RUN_MAX_OPTS) {
		unsupported(c, "%s", "more than 40 options");
		return;
	}
	r->n_opts = (int)p->n_options;
	for (size_t i = 0; i < p->n_options; i++)
		conv_option(c, &p->options[i], &r->opts[i]);
	r->has_tos = p->ip.has_tos;
	r->tos = p->ip.tos;
	r->has_ttl = p->ip.has_ttl;
	r->bad_checksum = p->ip.bad_checksum;
	r->ip_options = p->ip.ip_options;
	r->ttl = p->ip.ttl;
	r->has_flowlabel = p->ip.has_flowlabel;
	r->flowlabel = p->ip.flowlabel;
	static const enum run_ecn ecn[] = {
		[ECN_UNSPEC] = RUN_ECN_UNSPEC, [ECN_NOECN] = RUN_ECN_NOECN,
		[ECN_ECT1] = RUN_ECN_ECT1,     [ECN_ECT0] = RUN_ECN_ECT0,
		[ECN_CE] = RUN_ECN_CE,         [ECN_ECT01] = RUN_ECN_ECT01,
	};
	r->ecn = ecn[p->ip.ecn];
	if (!r->outbound && r->ecn == RUN_ECN_ECT01)
		unsupported(c, "%s on an inbound packet", "[ect01]");
}

/* ---- events ------------------------------------------------------------------- */

static void conv_time(const struct event *ev, struct run_event *r)
{
	const struct event_time *t = &ev->time;
	if (t->form == TIME_ANY) {
		r->time.kind = RUN_TIME_ANY;
		return;
	}
	r->time.kind = t->start.relative ? RUN_TIME_REL : RUN_TIME_ABS;
	r->time.start_us = t->start.usecs;
	/* packetdrill offsets a relative event's end by the same amount as its
	 * start; an end written with '+' under an absolute start counts from
	 * the start. */
	if (t->form == TIME_RANGE) {
		r->time.range = true;
		r->time.end_us = t->end.usecs;
		if (t->end.relative && !t->start.relative)
			r->time.end_us += t->start.usecs;
	}
	if (ev->kind == EVENT_SYSCALL && ev->syscall && ev->syscall->blocking) {
		r->time.blocking = true;
		r->time.end_us = ev->syscall->end.usecs;
		if (ev->syscall->end.relative)
			r->time.end_us += t->start.usecs;
	}
}

static const char *line_text(struct run_script *s, const struct script *ast, int line)
{
	size_t len = 0;
	const char *p = script_line(ast, line, &len);
	if (!p)
		return "";
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r'))
		len--;
	while (len && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	char *t = run_script_alloc(s, len + 1);
	memcpy(t, p, len);
	t[len] = '\0';
	return t;
}

static void conv_event(struct run_script *s, const struct script *ast, const struct event *ev)
{
	struct run_event *r = run_script_add_event(s);
	struct conv c = { .s = s };
	r->line = ev->loc.line;
	r->col = ev->loc.col;
	r->text = line_text(s, ast, ev->loc.line);
	conv_time(ev, r);
	switch (ev->kind) {
	case EVENT_PACKET: {
		r->kind = RUN_EV_PACKET;
		conv_packet(&c, ev->packet, &r->pkt);
		char buf[512];
		ast_format_packet(buf, sizeof buf, ev->packet);
		r->expected_text = run_script_strdup(s, buf);
		break;
	}
	case EVENT_SYSCALL: {
		r->kind = RUN_EV_SYSCALL;
		conv_syscall(&c, ev->syscall, &r->sys);
		char buf[512];
		ast_format_syscall(buf, sizeof buf, ev->syscall);
		r->expected_text = run_script_strdup(s, buf);
		break;
	}
	case EVENT_COMMAND:
		r->kind = RUN_EV_COMMAND;
		r->command = ev->command->text;
		break;
	case EVENT_CODE:
		r->kind = RUN_EV_CODE;
		r->command = ev->code->text;
		if (!ev->code->supported) {
			unsupported(&c, "python block: %s",
			            ev->code->unsupported_what ? ev->code->unsupported_what
			                                       : "outside the native subset");
			if (ev->code->unsupported_loc.line) {
				r->line = ev->code->unsupported_loc.line;
				r->col = ev->code->unsupported_loc.col;
			}
		}
		break;
	}
	if (c.unsupported) {
		r->kind = RUN_EV_UNSUPPORTED;
		r->unsupported = run_script_strdup(s, c.unsupported);
	}
}

int run_from_ast(const struct script *ast, struct run_script *s, char *why, size_t cap)
{
	s->path = ast->file;
	for (size_t i = 0; i < ast->n_options; i++) {
		const struct header_option *o = &ast->options[i];
		char msg[200];
		if (run_config_set(&s->cfg, o->name, o->value, msg, sizeof msg) < 0) {
			snprintf(why, cap, "%s:%d:%d: %s%s", ast->file, o->loc.line, o->loc.col,
			         strncmp(msg, "unsupported", 11) == 0 ? "" : "error: ", msg);
			return -1;
		}
	}
	s->n_commands = (int)ast->n_init_commands;
	s->commands = run_script_alloc(s, sizeof *s->commands * (ast->n_init_commands + 1));
	for (size_t i = 0; i < ast->n_init_commands; i++)
		s->commands[i] = ast->init_commands[i].text;
	if (ast->cleanup_command)
		s->cleanup = ast->cleanup_command->text;
	for (size_t i = 0; i < ast->n_events; i++)
		conv_event(s, ast, &ast->events[i]);
	for (size_t i = 0; i < ast->n_annotations; i++) {
		const struct annotation *a = &ast->annotations[i];
		if (strcmp(a->key, "stacks") == 0) {
			snprintf(s->stacks, sizeof s->stacks, "%s", a->value);
		} else if (strcmp(a->key, "ip_versions") == 0) {
			/* A misspelt family would silently never run. */
			const char *w;
			size_t n;
			enum run_ip_version v;
			for (const char *p = a->value; run_word_next(&p, &w, &n);)
				if (!run_ip_version_parse(w, n, &v)) {
					snprintf(
					    why, cap,
					    "%s:%d:%d: error: @ip_versions: unknown '%.*s' (ipv4, "
					    "ipv6, ipv4-mapped-ipv6)",
					    ast->file, a->loc.line, a->loc.col, (int)n, w);
					return -1;
				}
			snprintf(s->ip_versions, sizeof s->ip_versions, "%s", a->value);
		} else if (strcmp(a->key, "requirement") == 0) {
			snprintf(s->requirement, sizeof s->requirement, "%s", a->value);
		} else if (strcmp(a->key, "divergence") == 0 &&
		           s->n_divergences <
		               (int)(sizeof s->divergences / sizeof s->divergences[0])) {
			int k = s->n_divergences++;
			size_t n = strcspn(a->value, " \t");
			snprintf(s->divergences[k].stack, sizeof s->divergences[k].stack, "%.*s",
			         (int)n, a->value);
			const char *rest = a->value + n;
			rest += strspn(rest, " \t");
			snprintf(s->divergences[k].reason, sizeof s->divergences[k].reason, "%s",
			         rest);
		}
	}
	return 0;
}
