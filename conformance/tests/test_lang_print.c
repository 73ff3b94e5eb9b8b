/* The printer on trees the executor builds itself (an observed packet has
 * flag bits but no flags text, option bytes but no hex text): the output is
 * script syntax that the parser reads back. Also the snprintf-style contract
 * of the ast_format_* functions. */
#include "lang_support.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool parses_back(const char *line)
{
	struct script *s = lang_parse_ok(line, NULL, 0);
	bool r = s && s->n_events == 1;
	if (r) {
		char buf[512];
		ast_format_event(buf, sizeof buf, &s->events[0]);
		r = strcmp(buf, line) == 0;
		if (!r)
			tap_diag("reprinted as: %s", buf);
	}
	script_free(s);
	return r;
}

static void test_observed_packet(void)
{
	struct tcp_option opts[4];
	memset(opts, 0, sizeof opts);
	opts[0].kind = OPT_MSS;
	opts[0].value = 1460;
	opts[1].kind = OPT_SACK;
	struct sack_block blocks[2] = { { 1, 1001 }, { 2001, 3001 } };
	opts[1].sack = blocks;
	opts[1].n_sack = 2;
	opts[2].kind = OPT_TS;
	opts[2].ts_val = 12345;
	opts[2].ts_ecr = 678;
	uint8_t cookie[4] = { 0xde, 0xad, 0xbe, 0xef };
	opts[3].kind = OPT_FO;
	opts[3].data = cookie;
	opts[3].data_len = 4;
	struct packet_spec p = { 0 };
	p.dir = DIR_OUTBOUND;
	p.flags = TCPF_SYN | TCPF_ACK | TCPF_ECE;
	p.seq = 0;
	p.end_seq = 0;
	p.has_ack = true;
	p.ack = 1;
	p.has_win = true;
	p.win = 65535;
	p.options_mode = OPTIONS_LIST;
	p.options = opts;
	p.n_options = 4;
	p.ip.ecn = ECN_ECT0;
	char buf[256];
	size_t n = ast_format_packet(buf, sizeof buf, &p);
	const char *want = "> [ect0] SE. 0:0(0) ack 1 win 65535 <mss 1460,sack 1:1001 2001:3001,"
	                   "TS val 12345 ecr 678,FO deadbeef>";
	is_str(buf, want, "observed SYN-ACK in script syntax");
	is_int(n, strlen(want), "length returned");
	char line[300];
	snprintf(line, sizeof line, "+0.004 %s", buf);
	ok(parses_back(line), "and it parses back");

	p.flag_ae = true;
	p.flags = TCPF_SYN | TCPF_CWR | TCPF_ACK;
	p.options_mode = OPTIONS_NONE;
	p.has_win = false;
	p.ip.ecn = ECN_UNSPEC;
	ast_format_packet(buf, sizeof buf, &p);
	is_str(buf, "> SWA. 0:0(0) ack 1", "AE spelled before the dot");
	p.flags = 0;
	p.flag_ae = false;
	ast_format_packet(buf, sizeof buf, &p);
	is_str(buf, "> - 0:0(0) ack 1", "no flags: -");
	char fl[10];
	is_str(tcp_flags_string(0xff, fl), "FSRPUEW.", "canonical flag order");
	is_str(tcp_option_kind_name(OPT_SACK_PERM), "sackOK", "option name");
	is_str(tcp_option_kind_name(OPT_ACCECN), "ECN", "AccECN name");
	is_str(code_op_string(COP_GE), ">=", "operator name");
}

static void test_hand_built_syscall(void)
{
	struct expr one = { .kind = EXPR_INT, .num = 1 };
	struct expr name = { .kind = EXPR_NAME, .name = "SO_REUSEADDR" };
	struct expr *items[] = { &one };
	struct expr list = { .kind = EXPR_LIST, .items = { items, 1 } };
	struct expr res = { .kind = EXPR_INT, .num = -1 };
	struct expr *args[] = { &one, &name, &list };
	struct syscall_spec sc = { 0 };
	sc.name = "setsockopt";
	sc.args.items = args;
	sc.args.count = 3;
	sc.result = &res;
	sc.errno_name = "EBADF";
	char buf[128];
	ast_format_syscall(buf, sizeof buf, &sc);
	is_str(buf, "setsockopt(1, SO_REUSEADDR, [1]) = -1 EBADF", "integers without text");
	struct event ev = { 0 };
	ev.kind = EVENT_SYSCALL;
	ev.time.form = TIME_RANGE;
	ev.time.start = (struct time_point){ true, 1500, { 0 } };
	ev.time.end = (struct time_point){ true, 2000000, { 0 } };
	ev.syscall = &sc;
	ast_format_event(buf, sizeof buf, &ev);
	is_str(buf, "+0.0015~+2 setsockopt(1, SO_REUSEADDR, [1]) = -1 EBADF", "time range");
	ok(parses_back(buf), "parses back");
	sc.blocking = true;
	sc.end = (struct time_point){ false, 250000, { 0 } };
	ev.time.form = TIME_POINT;
	ast_format_event(buf, sizeof buf, &ev);
	is_str(buf, "+0.0015...0.25 setsockopt(1, SO_REUSEADDR, [1]) = -1 EBADF", "blocking");
	ok(parses_back(buf), "parses back");

	char small[8];
	size_t need = ast_format_syscall(small, sizeof small, &sc);
	is_int(need, strlen("...0.25 setsockopt(1, SO_REUSEADDR, [1]) = -1 EBADF"),
	       "full length when truncated");
	is_str(small, "...0.25", "truncated and terminated");
	is_int(ast_format_expr(NULL, 0, &list), 3, "size 0 with NULL buffer measures");
}

static void test_print_script(void)
{
	const char *text = "--tolerance_usecs=4000\n"
	                   "`init`\n"
	                   "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
	                   "+0 %{ assert tcpi_rto > 0 }%\n"
	                   "* > F. 1:1(0) ack 1\n"
	                   "`cleanup`\n";
	struct script *s = lang_parse_ok(text, NULL, 0);
	char *out = s ? lang_script_text(s) : NULL;
	is_str(out ? out : "", text, "a canonical script prints as itself");
	free(out);
	if (s) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		ast_print_event(f, &s->events[2]);
		fclose(f);
		is_str(buf, "* > F. 1:1(0) ack 1\n", "ast_print_event: one line");
		free(buf);
	}
	script_free(s);
}

static void test_script_diag(void)
{
	struct script *s = lang_parse_ok("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
	                                 "+0 splice(3, ..., 4) = 0\n",
	                                 NULL, 0);
	if (!ok(s, "parses"))
		return;
	struct diag_list l;
	diag_list_init(&l);
	script_diag(&l, s, DIAG_UNSUPPORTED, s->events[1].syscall->name_loc, "syscall %s",
	            s->events[1].syscall->name);
	char buf[256];
	diag_format(buf, sizeof buf, &l.items[0]);
	is_str(buf,
	       "t.pkt:2:4: unsupported: syscall splice\n"
	       "+0 splice(3, ..., 4) = 0\n"
	       "   ^\n",
	       "the executor's unsupported diagnostic with the source line");
	size_t len = 0;
	const char *line = script_line(s, 1, &len);
	is_int(len, 43, "script_line length");
	ok(line && strncmp(line, "0 socket", 8) == 0, "script_line text");
	ok(script_line(s, 3, &len) == NULL || len == 0, "past the end");
	diag_list_free(&l);
	script_free(s);
}

static void test_lookups(void)
{
	struct script *s =
	    lang_parse_ok("--tolerance_usecs=1000 --verbose\n--tolerance_usecs=7000\n"
	                  "0 poll([{fd=4, events=POLLIN}], 1, 0) = 1\n",
	                  NULL, 0);
	if (!ok(s, "parses"))
		return;
	is_str(script_option(s, "tolerance_usecs"), "7000", "the last one wins");
	is_str(script_option(s, "verbose"), "", "bare flag");
	ok(script_option(s, "mss") == NULL, "absent");
	const struct expr *pfd = s->events[0].syscall->args.items[0]->items.items[0];
	const struct expr *f = expr_field(pfd, "events");
	ok(f && f->value->kind == EXPR_NAME && strcmp(f->value->name, "POLLIN") == 0,
	   "expr_field finds events=");
	ok(expr_field(pfd, "revents") == NULL, "absent field");
	ok(expr_field(f, "x") == NULL, "not a struct");
	script_free(s);
}

int main(void)
{
	test_lookups();
	test_observed_packet();
	test_hand_built_syscall();
	test_print_script();
	test_script_diag();
	done_testing();
}
