/* Whole scripts, in the shape packetdrill and the kernel selftests write
 * them, parsed end to end and checked node by node; then printed and parsed
 * again (the printer feeds failure reports, so it must round-trip). */
#include "lang_support.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

/* Passive open, data, then the peer closes first (SCRIPT-LANGUAGE.md). */
static const char passive_close[] =
    "// Passive open, then the peer closes first.\n"
    "// @stacks: engine linux\n"
    "// @requirement: RFC9293 MUST-10\n"
    "--tolerance_usecs=10000\n"
    "`sysctl -q net.ipv4.tcp_timestamps=0`\n"
    "\n"
    "0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
    "+0    setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"
    "+0    bind(3, ..., ...) = 0\n"
    "+0    listen(3, 1) = 0\n"
    "+0    < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop,nop,wscale 7>\n"
    "+0    > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>\n"
    "+.1   < . 1:1(0) ack 1 win 257\n"
    "+0    accept(3, ..., ...) = 4\n"
    "+0    < F. 1:1(0) ack 1 win 257\n"
    "+0    > . 1:1(0) ack 2\n"
    "+0    read(4, ..., 100) = 0\n"
    "+0    close(4) = 0\n"
    "+0    > F. 1:1(0) ack 2\n"
    "+.1   < . 2:2(0) ack 2 win 257\n";

static void test_passive_close(void)
{
	subtest("passive open and close");
	struct script *s = lang_parse_ok(passive_close, NULL, 0);
	if (!ok(s, "parses")) {
		subtest_end();
		return;
	}
	is_int(s->n_options, 1, "one header option");
	is_str(s->options[0].name, "tolerance_usecs", "option name");
	is_str(s->options[0].value, "10000", "option value");
	is_int(s->options[0].loc.line, 4, "option line");
	is_int(s->n_init_commands, 1, "one init command");
	is_str(s->init_commands[0].text, "sysctl -q net.ipv4.tcp_timestamps=0", "init command");
	is_int(s->n_annotations, 2, "two annotations");
	is_str(s->annotations[0].key, "stacks", "annotation key");
	is_str(s->annotations[0].value, "engine linux", "annotation value");
	is_str(s->annotations[1].value, "RFC9293 MUST-10", "requirement");
	is_int(s->n_events, 14, "14 events");
	ok(!s->cleanup_command, "no cleanup command");

	const struct event *e = &s->events[0];
	is_int(e->kind, EVENT_SYSCALL, "socket is a syscall");
	is_int(e->time.form, TIME_POINT, "point time");
	ok(!e->time.start.relative, "absolute");
	is_int(e->time.start.usecs, 0, "at 0");
	is_int(e->loc.line, 7, "line 7");
	is_int(e->loc.col, 1, "col 1");
	const struct syscall_spec *sc = e->syscall;
	is_str(sc->name, "socket", "name");
	is_int(sc->name_loc.col, 7, "name column");
	is_int(sc->args.count, 3, "three args");
	is_int(sc->args.items[0]->kind, EXPR_ELLIPSIS, "... arg");
	is_int(sc->args.items[1]->kind, EXPR_NAME, "symbol arg");
	is_str(sc->args.items[1]->name, "SOCK_STREAM", "SOCK_STREAM");
	is_str(sc->args.items[2]->name, "IPPROTO_TCP", "IPPROTO_TCP");
	is_int(sc->result->kind, EXPR_INT, "int result");
	is_int(sc->result->num, 3, "= 3");
	ok(!sc->errno_name && !sc->note && !sc->blocking, "no errno, note, blocking");

	sc = s->events[1].syscall;
	is_int(sc->args.items[3]->kind, EXPR_LIST, "[1] is a list");
	is_int(sc->args.items[3]->items.count, 1, "of one");
	is_int(sc->args.items[3]->items.items[0]->num, 1, "holding 1");

	e = &s->events[4];
	is_int(e->kind, EVENT_PACKET, "SYN is a packet");
	ok(e->time.start.relative, "+0 is relative");
	const struct packet_spec *p = e->packet;
	is_int(p->dir, DIR_INBOUND, "inbound");
	is_int(p->proto, PROTO_TCP, "tcp");
	is_hex(p->flags, TCPF_SYN, "SYN");
	is_str(p->flags_text, "S", "flags text");
	is_int(p->seq, 0, "seq");
	is_int(p->end_seq, 0, "end");
	is_int(p->len, 0, "len");
	ok(!p->has_ack, "no ack");
	ok(p->has_win && p->win == 65535, "win 65535");
	is_int(p->options_mode, OPTIONS_LIST, "options list");
	is_int(p->n_options, 6, "6 options");
	is_int(p->options[0].kind, OPT_MSS, "mss");
	is_int(p->options[0].value, 1460, "1460");
	is_int(p->options[0].wire_len, 4, "mss is 4 bytes");
	is_int(p->options[1].kind, OPT_SACK_PERM, "sackOK");
	is_int(p->options[2].kind, OPT_NOP, "nop");
	is_int(p->options[5].kind, OPT_WSCALE, "wscale");
	is_int(p->options[5].value, 7, "7");
	is_int(p->options[5].loc.col, 57, "wscale column");

	p = s->events[5].packet;
	is_int(p->dir, DIR_OUTBOUND, "SYN-ACK outbound");
	is_hex(p->flags, TCPF_SYN | TCPF_ACK, "S.");
	ok(p->has_ack && p->ack == 1, "ack 1");
	ok(!p->has_win, "window not checked");

	e = &s->events[6];
	is_int(e->time.start.usecs, 100000, "+.1 is 100000 us");
	ok(e->time.start.relative, "relative");
	is_hex(e->packet->flags, TCPF_ACK, ". is ACK");

	is_hex(s->events[8].packet->flags, TCPF_FIN | TCPF_ACK, "F.");
	is_str(s->events[10].syscall->name, "read", "read");
	is_int(s->events[13].loc.line, 20, "last event line");
	is_str(lang_event_text(s, 5), "+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>",
	       "SYN-ACK printed back");
	is_str(lang_event_text(s, 0), "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3",
	       "socket printed back");
	script_free(s);
	lang_round_trip(passive_close, "passive close");
	subtest_end();
}

/* Active open with SYN retransmits and a connect that times out: ranges,
 * blocking calls, errno. Lines in the style of packetdrill's
 * tcp/connect tests. */
static const char connect_retx[] =
    "--tolerance_usecs=100000\n"
    "`sysctl -q net.ipv4.tcp_syn_retries=2`\n"
    "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
    "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
    "+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n"
    "+0 > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>\n"
    "+1~+1.1 > S 0:0(0) <mss 1460,sackOK,TS val 1100 ecr 0,nop,wscale 7>\n"
    "+2~+2.2 > S 0:0(0) <...>\n"
    "+4 getsockopt(3, SOL_SOCKET, SO_ERROR, [ETIMEDOUT], [4]) = 0\n"
    "+0 close(3) = 0\n"
    "\n"
    "// A blocking connect that is refused.\n"
    "10 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4\n"
    "+0...+0.1 connect(4, ..., ...) = -1 ECONNREFUSED (Connection refused)\n"
    "+0 > S 0:0(0) <...>\n"
    "+.1 < R. 0:0(0) ack 1 win 0\n"
    "`echo cleanup`\n";

static void test_connect_retx(void)
{
	subtest("connect with SYN retransmits");
	struct script *s = lang_parse_ok(connect_retx, NULL, 0);
	if (!ok(s, "parses")) {
		subtest_end();
		return;
	}
	is_int(s->n_events, 12, "12 events");
	const struct expr *fl = s->events[1].syscall->args.items[2];
	is_int(fl->kind, EXPR_BINARY, "O_RDWR|O_NONBLOCK is binary");
	is_int(fl->op, OP_OR, "or");
	is_str(fl->lhs->name, "O_RDWR", "lhs");
	is_str(fl->rhs->name, "O_NONBLOCK", "rhs");
	const struct syscall_spec *c = s->events[2].syscall;
	is_int(c->result->num, -1, "-1");
	is_str(c->result->text, "-1", "written -1");
	is_str(c->errno_name, "EINPROGRESS", "errno");
	is_str(c->note, "Operation now in progress", "note");
	is_int(c->errno_loc.col, 30, "errno column");

	const struct packet_spec *p = s->events[3].packet;
	is_int(p->options[2].kind, OPT_TS, "TS");
	is_int(p->options[2].ts_val, 100, "val");
	is_int(p->options[2].ts_ecr, 0, "ecr");
	is_int(p->options[2].wire_len, 10, "TS is 10 bytes");

	const struct event_time *t = &s->events[4].time;
	is_int(t->form, TIME_RANGE, "range");
	ok(t->start.relative && t->end.relative, "both ends relative");
	is_int(t->start.usecs, 1000000, "from 1 s");
	is_int(t->end.usecs, 1100000, "to 1.1 s");
	is_int(s->events[5].packet->options_mode, OPTIONS_ANY, "<...>");
	const struct expr *a = s->events[6].syscall->args.items[3];
	is_int(a->kind, EXPR_LIST, "[ETIMEDOUT]");
	is_str(a->items.items[0]->name, "ETIMEDOUT", "named list item");

	is_int(s->events[8].time.start.usecs, 10000000, "absolute 10 s");
	ok(!s->events[8].time.start.relative, "absolute");
	c = s->events[9].syscall;
	ok(c->blocking, "blocking connect");
	ok(c->end.relative, "end written +0.1");
	is_int(c->end.usecs, 100000, "end 0.1 s");
	is_str(c->errno_name, "ECONNREFUSED", "refused");
	is_hex(s->events[11].packet->flags, TCPF_RST | TCPF_ACK, "R.");
	ok(s->cleanup_command, "cleanup command");
	is_str(s->cleanup_command ? s->cleanup_command->text : "", "echo cleanup", "its text");
	is_int(s->cleanup_command ? s->cleanup_command->loc.line : 0, 17, "its line");
	is_str(lang_event_text(s, 9),
	       "+0...+0.1 connect(4, ..., ...) = -1 ECONNREFUSED (Connection refused)",
	       "blocking call printed back");
	script_free(s);
	lang_round_trip(connect_retx, "connect retransmits");
	subtest_end();
}

/* Keepalive: socket options, TCP_INFO checks in a %{ }% block, long idle
 * times. */
static const char keepalive[] = "--tolerance_usecs=10000\n"
                                "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                                "+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"
                                "+0 bind(3, ..., ...) = 0\n"
                                "+0 listen(3, 1) = 0\n"
                                "+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>\n"
                                "+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>\n"
                                "+.1 < . 1:1(0) ack 1 win 257\n"
                                "+0 accept(3, ..., ...) = 4\n"
                                "+0 setsockopt(4, SOL_SOCKET, SO_KEEPALIVE, [1], 4) = 0\n"
                                "+0 setsockopt(4, SOL_TCP, TCP_KEEPIDLE, [60], 4) = 0\n"
                                "+0 setsockopt(4, SOL_TCP, TCP_KEEPINTVL, [10], 4) = 0\n"
                                "+0 setsockopt(4, SOL_TCP, TCP_KEEPCNT, [2], 4) = 0\n"
                                "+60 > . 0:0(0) ack 1\n"
                                "+10 > . 0:0(0) ack 1\n"
                                "+10 > R. 1:1(0) ack 1\n"
                                "+0 %{\n"
                                "assert tcpi_state == TCP_CLOSE, tcpi_state\n"
                                "assert 0 <= tcpi_backoff <= 2\n"
                                "}%\n"
                                "+0 getsockopt(4, SOL_SOCKET, SO_ERROR, [ETIMEDOUT], [4]) = 0\n"
                                "+0 read(4, ..., 100) = -1 ETIMEDOUT (Connection timed out)\n";

static void test_keepalive(void)
{
	subtest("keepalive");
	struct script *s = lang_parse_ok(keepalive, NULL, 0);
	if (!ok(s, "parses")) {
		subtest_end();
		return;
	}
	is_int(s->n_events, 18, "18 events");
	is_str(s->events[9].syscall->args.items[2]->name, "TCP_KEEPIDLE", "TCP_KEEPIDLE");
	is_int(s->events[9].syscall->args.items[3]->items.items[0]->num, 60, "60 s");
	is_int(s->events[12].time.start.usecs, 60000000, "+60");
	is_int(s->events[12].packet->seq, 0, "probe at snd.una - 1");
	const struct event *e = &s->events[15];
	is_int(e->kind, EVENT_CODE, "code block");
	const struct code_spec *c = e->code;
	ok(c->supported, "in the native subset");
	is_int(c->n_asserts, 2, "two asserts");
	is_int(c->asserts[0].loc.line, 18, "first assert line");
	is_int(c->asserts[0].loc.col, 1, "first assert col");
	is_int(c->asserts[0].cond->kind, CODE_BINARY, "comparison");
	is_int(c->asserts[0].cond->op, COP_EQ, "==");
	is_str(c->asserts[0].cond->lhs->name, "tcpi_state", "tcpi_state");
	is_str(c->asserts[0].cond->rhs->name, "TCP_CLOSE", "a constant");
	ok(c->asserts[0].msg && c->asserts[0].msg->kind == CODE_NAME, "message expression");
	const struct code_expr *chain = c->asserts[1].cond;
	is_int(chain->op, COP_AND, "chain becomes and");
	is_int(chain->lhs->op, COP_LE, "0 <= x");
	is_int(chain->rhs->op, COP_LE, "x <= 2");
	is_str(chain->rhs->lhs->name, "tcpi_backoff", "middle operand repeated");
	char buf[128];
	ast_format_code_expr(buf, sizeof buf, chain);
	is_str(buf, "0 <= tcpi_backoff and tcpi_backoff <= 2", "chain printed");
	is_str(c->text,
	       "\nassert tcpi_state == TCP_CLOSE, tcpi_state\nassert 0 <= tcpi_backoff <= 2\n",
	       "raw text kept");
	is_str(s->events[17].syscall->errno_name, "ETIMEDOUT", "read errno");
	script_free(s);
	lang_round_trip(keepalive, "keepalive");
	subtest_end();
}

/* A kernel selftest in its own shape: multi-line init command, defines from
 * the command line (ksft_runner.sh's -D), TFO cookies, a multi-line
 * setsockopt with an escaped string, a note without errno. */
static const char kernel_tfo[] =
    "// SPDX-License-Identifier: GPL-2.0\n"
    "`./defaults.sh\n"
    " ./set_sysctls.py /proc/sys/net/ipv4/tcp_fastopen=0x602`\n"
    "\n"
    "    0 socket(..., SOCK_STREAM|SOCK_NONBLOCK, IPPROTO_TCP) = 3\n"
    "   +0 setsockopt(3, SOL_TCP, TCP_FASTOPEN_KEY,\n"
    "                 \"\\xa1\\xa1\\xa1\\xa1\\xb2\\xb2\\xb2\\xb2\\xc3\\xc3\\xc3\\xc3\\xd4\\xd4"
    "\\xd4\\xd4\", 16) = 0\n"
    "   +0 bind(3, ..., ...) = 0\n"
    "   +0 listen(3, 1) = 0\n"
    "   +0 setsockopt(3, SOL_TCP, TCP_FASTOPEN_KEY, \"\", 3) = -1 (Invalid Argument)\n"
    "   +0 < S 0:10(10) win 32792 <mss 1460,sackOK,nop,nop,FOEXP>\n"
    "   +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,FOEXP TFO_COOKIE>\n"
    "   +0 < S 6814000:6815000(1000) win 10000 <mss 1012,nop,nop,FO TFO_COOKIE,sackOK,"
    "TS val 10 ecr 0,nop,wscale 7>\n"
    "   +0 accept(3, ..., ...) = 4\n"
    "   +0 %{ assert (tcpi_options & TCPI_OPT_SYN_DATA) != 0, tcpi_options }%\n"
    "   +0 recvmsg(4, {msg_name(...)=...,\n"
    "                  msg_iov(1)=[{..., 1000}],\n"
    "                  msg_flags=0,\n"
    "                  msg_control=[{cmsg_level=CMSG_LEVEL_IP,\n"
    "                                cmsg_type=CMSG_TYPE_RECVERR,\n"
    "                                cmsg_data=9000}]}, 0) = 1000\n";

static void test_kernel_tfo(void)
{
	subtest("kernel selftest shape with -D defines");
	const char *defs[] = { "TFO_COOKIE=3021b9d889017eeb", "CMSG_LEVEL_IP=SOL_IP",
		               "CMSG_TYPE_RECVERR=IP_RECVERR" };
	struct script *s = lang_parse_ok(kernel_tfo, defs, 3);
	if (!ok(s, "parses")) {
		subtest_end();
		return;
	}
	is_str(s->init_commands[0].text,
	       "./defaults.sh\n ./set_sysctls.py /proc/sys/net/ipv4/tcp_fastopen=0x602",
	       "multi-line init command");
	is_int(s->n_defines, 3, "three defines");
	ok(s->defines[0].from_command_line, "from the command line");
	const struct expr *key = s->events[1].syscall->args.items[3];
	is_int(key->kind, EXPR_STRING, "string");
	is_int(key->str_len, 16, "16 bytes after escapes");
	is_int((unsigned char)key->str[0], 0xa1, "\\xa1 decoded");
	is_int(key->loc.line, 7, "string on the continuation line");
	const struct syscall_spec *sc = s->events[4].syscall;
	ok(!sc->errno_name, "no errno");
	is_str(sc->note, "Invalid Argument", "note only");
	const struct tcp_option *o = &s->events[5].packet->options[4];
	is_int(o->kind, OPT_FOEXP, "FOEXP");
	is_int(o->data_len, 0, "cookie request");
	is_int(o->wire_len, 4, "4 bytes");
	o = &s->events[6].packet->options[4];
	is_int(o->data_len, 8, "cookie from the define: 8 bytes");
	is_int(o->data[0], 0x30, "first byte");
	is_int(o->wire_len, 12, "FOEXP with cookie");
	o = &s->events[7].packet->options[3];
	is_int(o->kind, OPT_FO, "FO");
	is_int(o->wire_len, 10, "FO with an 8-byte cookie");
	is_int(s->events[7].packet->seq, 6814000, "large seq");
	is_int(s->events[7].packet->len, 1000, "SYN data");
	ok(s->events[9].code->supported, "& in a %%{ }%% block");
	const struct expr *msg = s->events[10].syscall->args.items[1];
	is_int(msg->kind, EXPR_STRUCT, "msghdr struct");
	is_int(msg->items.count, 4, "four fields");
	const struct expr *f = msg->items.items[0];
	is_int(f->kind, EXPR_FIELD, "msg_name(...)=...");
	is_str(f->name, "msg_name", "name");
	is_int(f->index->kind, EXPR_ELLIPSIS, "index ...");
	is_int(f->value->kind, EXPR_ELLIPSIS, "value ...");
	f = msg->items.items[1];
	is_str(f->name, "msg_iov", "msg_iov");
	is_int(f->index->num, 1, "(1)");
	is_int(f->value->kind, EXPR_LIST, "iovec list");
	const struct expr *iov = f->value->items.items[0];
	is_int(iov->kind, EXPR_STRUCT, "iovec");
	is_int(iov->items.items[1]->num, 1000, "iov_len");
	f = msg->items.items[3];
	const struct expr *cmsg = f->value->items.items[0];
	is_str(cmsg->items.items[0]->value->name, "SOL_IP", "define replaced the bare word");
	is_int(cmsg->items.items[0]->value->loc.line, 19, "at the reference's line");
	is_str(cmsg->items.items[1]->value->name, "IP_RECVERR", "second define");
	script_free(s);
	subtest_end();
}

int main(void)
{
	test_passive_close();
	test_connect_retx();
	test_keepalive();
	test_kernel_tfo();
	done_testing();
}
