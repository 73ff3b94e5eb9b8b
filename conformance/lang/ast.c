/* Printing parse trees back as script syntax.
 *
 * Failure reports print the expected and the observed event with these, so
 * the output must be valid script text: parse(print(x)) gives x back (the
 * round-trip tests check it). Canonical spelling: times in seconds with
 * trailing zeros trimmed, one blank between fields, options as packetdrill
 * writes them. */
#include "lang/lang_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

const char *tcp_flags_string(uint8_t flags, char buf[10])
{
	static const struct {
		uint8_t bit;
		char c;
	} order[] = { { TCPF_FIN, 'F' }, { TCPF_SYN, 'S' }, { TCPF_RST, 'R' }, { TCPF_PSH, 'P' },
		      { TCPF_URG, 'U' }, { TCPF_ECE, 'E' }, { TCPF_CWR, 'W' }, { TCPF_ACK, '.' } };
	size_t n = 0;
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		if (flags & order[i].bit)
			buf[n++] = order[i].c;
	if (n == 0)
		buf[n++] = '-';
	buf[n] = '\0';
	return buf;
}

const char *tcp_option_kind_name(enum tcp_option_kind kind)
{
	switch (kind) {
	case OPT_EOL:
		return "eol";
	case OPT_NOP:
		return "nop";
	case OPT_MSS:
		return "mss";
	case OPT_WSCALE:
		return "wscale";
	case OPT_SACK_PERM:
		return "sackOK";
	case OPT_SACK:
		return "sack";
	case OPT_TS:
		return "TS";
	case OPT_MD5:
		return "md5";
	case OPT_FO:
		return "FO";
	case OPT_FOEXP:
		return "FOEXP";
	case OPT_EXP:
		return "exp";
	case OPT_GENERIC:
		return "kind";
	case OPT_ACCECN:
		return "ECN";
	}
	return "?";
}

const char *code_op_string(enum code_op op)
{
	static const char *const s[] = {
		[COP_ADD] = "+",   [COP_SUB] = "-", [COP_MUL] = "*",   [COP_DIV] = "/",
		[COP_EQ] = "==",   [COP_NE] = "!=", [COP_LT] = "<",    [COP_LE] = "<=",
		[COP_GT] = ">",    [COP_GE] = ">=", [COP_AND] = "and", [COP_OR] = "or",
		[COP_NOT] = "not", [COP_NEG] = "-", [COP_BAND] = "&",  [COP_BOR] = "|",
		[COP_MOD] = "%",
	};
	return (unsigned)op < sizeof s / sizeof s[0] && s[op] ? s[op] : "?";
}

/* ---- lookups ---------------------------------------------------------------------- */

const char *script_option(const struct script *script, const char *name)
{
	const char *v = NULL;
	for (size_t i = 0; i < script->n_options; i++)
		if (strcmp(script->options[i].name, name) == 0)
			v = script->options[i].value ? script->options[i].value : "";
	return v;
}

const struct expr *expr_field(const struct expr *st, const char *name)
{
	if (!st || st->kind != EXPR_STRUCT)
		return NULL;
	for (size_t i = 0; i < st->items.count; i++) {
		const struct expr *f = st->items.items[i];
		if (f->kind == EXPR_FIELD && f->name && strcmp(f->name, name) == 0)
			return f;
	}
	return NULL;
}

/* ---- times ------------------------------------------------------------------------ */

static void put_secs(struct strbuf *sb, int64_t usecs)
{
	int64_t s = usecs / 1000000, f = usecs % 1000000;
	if (f < 0)
		f = -f;
	if (f == 0) {
		lang_sb_printf(sb, "%" PRId64, s);
		return;
	}
	char frac[8];
	snprintf(frac, sizeof frac, "%06" PRId64, f);
	size_t n = 6;
	while (n > 1 && frac[n - 1] == '0')
		n--;
	frac[n] = '\0';
	lang_sb_printf(sb, "%" PRId64 ".%s", s, frac);
}

static void put_point(struct strbuf *sb, const struct time_point *tp)
{
	if (tp->relative)
		lang_sb_puts(sb, "+");
	put_secs(sb, tp->usecs);
}

static void put_time(struct strbuf *sb, const struct event_time *t)
{
	if (t->form == TIME_ANY) {
		lang_sb_puts(sb, "*");
		return;
	}
	put_point(sb, &t->start);
	if (t->form == TIME_RANGE) {
		lang_sb_puts(sb, "~");
		put_point(sb, &t->end);
	}
}

size_t ast_format_time(char *buf, size_t size, const struct event_time *t)
{
	struct strbuf sb = { buf, size, 0 };
	if (size)
		buf[0] = '\0';
	put_time(&sb, t);
	return sb.len;
}

/* ---- packets ---------------------------------------------------------------------- */

static void put_hex(struct strbuf *sb, const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		lang_sb_printf(sb, "%02x", d[i]);
}

static void put_option(struct strbuf *sb, const struct tcp_option *o)
{
	lang_sb_puts(sb, tcp_option_kind_name(o->kind));
	switch (o->kind) {
	case OPT_MSS:
	case OPT_WSCALE:
		lang_sb_printf(sb, " %" PRIu32, o->value);
		break;
	case OPT_SACK:
		for (size_t i = 0; i < o->n_sack; i++)
			lang_sb_printf(sb, " %" PRIu32 ":%" PRIu32, o->sack[i].left,
			               o->sack[i].right);
		break;
	case OPT_TS:
		lang_sb_printf(sb, " val %" PRIu32 " ecr %" PRIu32, o->ts_val, o->ts_ecr);
		break;
	case OPT_ACCECN:
		for (size_t i = 0; i < o->n_accecn && i < 3; i++)
			lang_sb_printf(sb, " %s %" PRIu32,
			               o->accecn_field[i] == ACCECN_E0B   ? "e0b"
			               : o->accecn_field[i] == ACCECN_CEB ? "ceb"
			                                                  : "e1b",
			               o->accecn_value[i]);
		break;
	case OPT_GENERIC:
		lang_sb_printf(sb, " %u len %u", o->wire_kind, o->wire_len);
		/* fall through */
	case OPT_FO:
	case OPT_FOEXP:
	case OPT_MD5:
	case OPT_EXP:
		if (o->data_len) {
			lang_sb_puts(sb, " ");
			put_hex(sb, o->data, o->data_len);
		}
		break;
	default:
		break;
	}
}

size_t ast_format_tcp_option(char *buf, size_t size, const struct tcp_option *o)
{
	struct strbuf sb = { buf, size, 0 };
	if (size)
		buf[0] = '\0';
	put_option(&sb, o);
	return sb.len;
}

static void put_ip(struct strbuf *sb, const struct ip_info *ip)
{
	static const char *const ecn[] = { [ECN_NOECN] = "noecn",
		                           [ECN_ECT1] = "ect1",
		                           [ECN_ECT0] = "ect0",
		                           [ECN_CE] = "ce",
		                           [ECN_ECT01] = "ect01" };
	if (ip->ecn != ECN_UNSPEC && (unsigned)ip->ecn < sizeof ecn / sizeof ecn[0])
		lang_sb_printf(sb, " [%s]", ecn[ip->ecn]);
	if (!ip->has_tos && !ip->has_flowlabel && !ip->has_ttl && !ip->bad_checksum &&
	    !ip->ip_options)
		return;
	const char *sep = " (";
	if (ip->has_tos) {
		lang_sb_printf(sb, "%stos 0x%02x", sep, ip->tos);
		sep = ", ";
	}
	if (ip->has_flowlabel) {
		lang_sb_printf(sb, "%sflowlabel 0x%" PRIx32, sep, ip->flowlabel);
		sep = ", ";
	}
	if (ip->has_ttl) {
		lang_sb_printf(sb, "%sttl %u", sep, ip->ttl);
		sep = ", ";
	}
	if (ip->bad_checksum) {
		lang_sb_printf(sb, "%sbad_checksum", sep);
		sep = ", ";
	}
	if (ip->ip_options)
		lang_sb_printf(sb, "%sip_options %u", sep, ip->ip_options);
	lang_sb_puts(sb, ")");
}

static void put_seq(struct strbuf *sb, const struct packet_spec *p)
{
	lang_sb_printf(sb, "%" PRIu32 ":%" PRIu32 "(%" PRIu32 ")", p->seq, p->end_seq, p->len);
}

static void put_packet(struct strbuf *sb, const struct packet_spec *p)
{
	lang_sb_puts(sb, p->dir == DIR_INBOUND ? "<" : ">");
	put_ip(sb, &p->ip);
	if (p->proto == PROTO_UDP) {
		lang_sb_puts(sb, " udp");
		if (p->has_ports)
			lang_sb_printf(sb, " %u>%u", p->src_port, p->dst_port);
		lang_sb_printf(sb, " (%" PRIu32 ")", p->len);
		return;
	}
	if (p->proto == PROTO_ICMP) {
		lang_sb_printf(sb, " icmp %s", p->icmp_type ? p->icmp_type : "unreachable");
		if (p->icmp_code)
			lang_sb_printf(sb, " %s", p->icmp_code);
		if (p->has_mtu)
			lang_sb_printf(sb, " mtu %" PRIu32, p->mtu);
		if (p->has_icmp_id)
			lang_sb_printf(sb, " id %" PRIu32, p->icmp_id);
		if (p->quoted == ICMP_QUOTED_TCP) {
			lang_sb_puts(sb, " [");
			put_seq(sb, p);
			lang_sb_puts(sb, "]");
		} else if (p->quoted == ICMP_QUOTED_UDP || p->quoted == ICMP_QUOTED_RAW) {
			lang_sb_printf(sb, " [%s (%" PRIu32 ")]",
			               p->quoted == ICMP_QUOTED_UDP ? "udp" : "raw", p->len);
		}
		return;
	}
	if (p->has_ports)
		lang_sb_printf(sb, " %u>%u", p->src_port, p->dst_port);
	char fl[12];
	if (!p->flags_text) {
		tcp_flags_string(p->flags, fl);
		if (p->flag_ae) { /* AE goes before the ACK dot, as AccECN scripts write it */
			size_t n = strcmp(fl, "-") == 0 ? 0 : strlen(fl);
			bool dot = n && fl[n - 1] == '.';
			if (dot)
				n--;
			fl[n++] = 'A';
			if (dot)
				fl[n++] = '.';
			fl[n] = '\0';
		}
	}
	lang_sb_printf(sb, " %s ", p->flags_text ? p->flags_text : fl);
	put_seq(sb, p);
	if (p->has_ack)
		lang_sb_printf(sb, " ack %" PRIu32, p->ack);
	if (p->has_win)
		lang_sb_printf(sb, " win %" PRIu32, p->win);
	if (p->has_urg)
		lang_sb_printf(sb, " urg %u", p->urg);
	if (p->options_mode == OPTIONS_ANY) {
		lang_sb_puts(sb, " <...>");
	} else if (p->options_mode == OPTIONS_LIST) {
		lang_sb_puts(sb, " <");
		for (size_t i = 0; i < p->n_options; i++) {
			if (i)
				lang_sb_puts(sb, ",");
			put_option(sb, &p->options[i]);
		}
		lang_sb_puts(sb, ">");
	}
}

size_t ast_format_packet(char *buf, size_t size, const struct packet_spec *p)
{
	struct strbuf sb = { buf, size, 0 };
	if (size)
		buf[0] = '\0';
	put_packet(&sb, p);
	return sb.len;
}

/* ---- expressions and syscalls ----------------------------------------------------- */

static void put_string(struct strbuf *sb, const char *s, size_t n)
{
	lang_sb_puts(sb, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			lang_sb_printf(sb, "\\%c", c);
		else if (c == '\n')
			lang_sb_puts(sb, "\\n");
		else if (c == '\t')
			lang_sb_puts(sb, "\\t");
		else if (c == '\r')
			lang_sb_puts(sb, "\\r");
		else if (c < 0x20 || c >= 0x7f)
			lang_sb_printf(sb, "\\x%02x", c);
		else
			lang_sb_put(sb, (const char *)&s[i], 1);
	}
	lang_sb_puts(sb, "\"");
}

static void put_expr(struct strbuf *sb, const struct expr *e, int depth);

static void put_list(struct strbuf *sb, const struct expr_list *l, int depth)
{
	for (size_t i = 0; i < l->count; i++) {
		if (i)
			lang_sb_puts(sb, ", ");
		put_expr(sb, l->items[i], depth);
	}
}

static void put_expr(struct strbuf *sb, const struct expr *e, int depth)
{
	/* Trees from the parser are shallow; one built by hand might not be. */
	if (!e || depth > 256) {
		lang_sb_puts(sb, "...");
		return;
	}
	switch (e->kind) {
	case EXPR_INT:
		if (e->text)
			lang_sb_puts(sb, e->text);
		else
			lang_sb_printf(sb, "%" PRId64, e->num);
		break;
	case EXPR_NAME:
		lang_sb_puts(sb, e->name ? e->name : "?");
		break;
	case EXPR_ELLIPSIS:
		lang_sb_puts(sb, "...");
		break;
	case EXPR_STRING:
		put_string(sb, e->str ? e->str : "", e->str ? e->str_len : 0);
		if (e->prefix)
			lang_sb_puts(sb, "...");
		break;
	case EXPR_BINARY:
		put_expr(sb, e->lhs, depth + 1);
		lang_sb_puts(sb, "|");
		put_expr(sb, e->rhs, depth + 1);
		break;
	case EXPR_LIST:
		lang_sb_puts(sb, "[");
		put_list(sb, &e->items, depth + 1);
		lang_sb_puts(sb, "]");
		break;
	case EXPR_STRUCT:
		lang_sb_puts(sb, "{");
		put_list(sb, &e->items, depth + 1);
		lang_sb_puts(sb, "}");
		break;
	case EXPR_FIELD:
		lang_sb_puts(sb, e->name ? e->name : "?");
		if (e->index) {
			lang_sb_puts(sb, "(");
			put_expr(sb, e->index, depth + 1);
			lang_sb_puts(sb, ")");
		}
		lang_sb_puts(sb, "=");
		put_expr(sb, e->value, depth + 1);
		break;
	case EXPR_CALL:
		lang_sb_puts(sb, e->name ? e->name : "?");
		lang_sb_puts(sb, "(");
		put_list(sb, &e->items, depth + 1);
		lang_sb_puts(sb, ")");
		break;
	}
}

size_t ast_format_expr(char *buf, size_t size, const struct expr *e)
{
	struct strbuf sb = { buf, size, 0 };
	if (size)
		buf[0] = '\0';
	put_expr(&sb, e, 0);
	return sb.len;
}

/* Without the blocking `...END` prefix (the event printer puts it after the time). */
static void put_syscall(struct strbuf *sb, const struct syscall_spec *s)
{
	lang_sb_printf(sb, "%s(", s->name ? s->name : "?");
	put_list(sb, &s->args, 0);
	lang_sb_puts(sb, ") = ");
	put_expr(sb, s->result, 0);
	if (s->errno_name)
		lang_sb_printf(sb, " %s", s->errno_name);
	if (s->note)
		lang_sb_printf(sb, " (%s)", s->note);
}

size_t ast_format_syscall(char *buf, size_t size, const struct syscall_spec *s)
{
	struct strbuf sb = { buf, size, 0 };
	if (size)
		buf[0] = '\0';
	if (s->blocking) {
		lang_sb_puts(&sb, "...");
		put_point(&sb, &s->end);
		lang_sb_puts(&sb, " ");
	}
	put_syscall(&sb, s);
	return sb.len;
}

/* ---- %{ }% expressions ------------------------------------------------------------ */

static int prec(const struct code_expr *e)
{
	if (e->kind == CODE_INT || e->kind == CODE_NAME)
		return 10;
	switch (e->op) {
	case COP_OR:
		return 1;
	case COP_AND:
		return 2;
	case COP_NOT:
		return 3;
	case COP_EQ:
	case COP_NE:
	case COP_LT:
	case COP_LE:
	case COP_GT:
	case COP_GE:
		return 4;
	case COP_BOR:
		return 5;
	case COP_BAND:
		return 6;
	case COP_ADD:
	case COP_SUB:
		return 7;
	case COP_MUL:
	case COP_DIV:
	case COP_MOD:
		return 8;
	case COP_NEG:
		return 9;
	}
	return 0;
}

static void put_code(struct strbuf *sb, const struct code_expr *e, int depth);

/* Parenthesise a child that would otherwise bind differently; comparisons
 * always, so two never read as a Python chain. */
static void put_child(struct strbuf *sb, const struct code_expr *child, int parent_prec, bool right,
                      int depth)
{
	int cp = child ? prec(child) : 10;
	bool paren = cp < parent_prec || (cp == parent_prec && (right || cp == 4));
	/* Python binds & and | tighter than comparisons, C does not: spell it out. */
	if (parent_prec == 4 && (cp == 5 || cp == 6))
		paren = true;
	if (paren)
		lang_sb_puts(sb, "(");
	put_code(sb, child, depth + 1);
	if (paren)
		lang_sb_puts(sb, ")");
}

static void put_code(struct strbuf *sb, const struct code_expr *e, int depth)
{
	if (!e || depth > 256) {
		lang_sb_puts(sb, "0");
		return;
	}
	switch (e->kind) {
	case CODE_INT:
		lang_sb_printf(sb, "%" PRId64, e->num);
		break;
	case CODE_NAME:
		lang_sb_puts(sb, e->name ? e->name : "?");
		break;
	case CODE_UNARY:
		lang_sb_puts(sb, e->op == COP_NOT ? "not " : "-");
		put_child(sb, e->lhs, prec(e), false, depth);
		break;
	case CODE_BINARY:
		put_child(sb, e->lhs, prec(e), false, depth);
		lang_sb_printf(sb, " %s ", code_op_string(e->op));
		put_child(sb, e->rhs, prec(e), true, depth);
		break;
	}
}

size_t ast_format_code_expr(char *buf, size_t size, const struct code_expr *e)
{
	struct strbuf sb = { buf, size, 0 };
	if (size)
		buf[0] = '\0';
	put_code(&sb, e, 0);
	return sb.len;
}

/* ---- events and scripts ---------------------------------------------------------- */

static void put_event(struct strbuf *sb, const struct event *ev)
{
	put_time(sb, &ev->time);
	switch (ev->kind) {
	case EVENT_PACKET:
		lang_sb_puts(sb, " ");
		if (ev->packet)
			put_packet(sb, ev->packet);
		break;
	case EVENT_SYSCALL:
		if (!ev->syscall)
			break;
		if (ev->syscall->blocking) {
			lang_sb_puts(sb, "...");
			put_point(sb, &ev->syscall->end);
		}
		lang_sb_puts(sb, " ");
		put_syscall(sb, ev->syscall);
		break;
	case EVENT_COMMAND:
		lang_sb_printf(sb, " `%s`",
		               ev->command && ev->command->text ? ev->command->text : "");
		break;
	case EVENT_CODE: {
		/* Multi-line blocks keep their newlines next to the delimiters. */
		const char *t = ev->code && ev->code->text ? ev->code->text : "";
		size_t n = strlen(t);
		lang_sb_printf(sb, " %%{%s%s%s}%%", n && t[0] == '\n' ? "" : " ", t,
		               n && t[n - 1] == '\n' ? "" : " ");
		break;
	}
	}
}

size_t ast_format_event(char *buf, size_t size, const struct event *ev)
{
	struct strbuf sb = { buf, size, 0 };
	if (size)
		buf[0] = '\0';
	put_event(&sb, ev);
	return sb.len;
}

static void print_sb(FILE *out, void (*fn)(struct strbuf *, const void *), const void *arg)
{
	struct strbuf sb = { NULL, 0, 0 };
	fn(&sb, arg);
	char *buf = malloc(sb.len + 1);
	if (!buf)
		return;
	buf[0] = '\0';
	sb = (struct strbuf){ buf, sb.len + 1, 0 };
	fn(&sb, arg);
	fputs(buf, out);
	free(buf);
}

static void event_fn(struct strbuf *sb, const void *ev)
{
	put_event(sb, ev);
	lang_sb_puts(sb, "\n");
}

void ast_print_event(FILE *out, const struct event *ev)
{
	print_sb(out, event_fn, ev);
}

static void header_fn(struct strbuf *sb, const void *arg)
{
	const struct script *s = arg;
	for (size_t i = 0; i < s->n_options; i++) {
		const struct header_option *o = &s->options[i];
		lang_sb_printf(sb, "--%s", o->name);
		if (o->value_text) { /* as written: re-quoting could change the value */
			lang_sb_printf(sb, "=%s\n", o->value_text);
		} else if (o->value) {
			bool quote = strpbrk(o->value, " \t") != NULL;
			lang_sb_printf(sb, quote ? "=\"%s\"\n" : "=%s\n", o->value);
		} else {
			lang_sb_puts(sb, "\n");
		}
	}
	for (size_t i = 0; i < s->n_init_commands; i++)
		lang_sb_printf(sb, "`%s`\n", s->init_commands[i].text);
}

void ast_print_script(FILE *out, const struct script *script)
{
	print_sb(out, header_fn, script);
	for (size_t i = 0; i < script->n_events; i++)
		ast_print_event(out, &script->events[i]);
	if (script->cleanup_command)
		fprintf(out, "`%s`\n", script->cleanup_command->text);
}
