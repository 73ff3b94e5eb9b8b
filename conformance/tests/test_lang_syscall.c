/* Syscall lines with every argument form, as packetdrill's and the kernel
 * selftests' scripts write them, and results with errno and notes. */
#include "lang_support.h"
#include "tap.h"

#include <string.h>

static struct script *cur;

static const struct syscall_spec *call(const char *line)
{
	script_free(cur);
	cur = lang_parse_ok(line, NULL, 0);
	return cur && cur->n_events && cur->events[0].kind == EVENT_SYSCALL ? cur->events[0].syscall
	                                                                    : NULL;
}

static const struct expr *arg(const struct syscall_spec *s, size_t i)
{
	return s && i < s->args.count ? s->args.items[i] : NULL;
}

/* The expression printed back. */
static const char *text(const struct expr *e)
{
	static char buf[1024];
	if (!e)
		return "(none)";
	ast_format_expr(buf, sizeof buf, e);
	return buf;
}

static void test_scalars(void)
{
	const struct syscall_spec *s = call("0 f(0, 42, -1, 0x7f, 0xffffffffffffffff, "
	                                    "-9223372036854775808, NAME, ...) = 0");
	if (!ok(s, "integers, names, ellipsis"))
		return;
	is_int(s->args.count, 8, "eight arguments");
	is_int(arg(s, 1)->num, 42, "42");
	is_int(arg(s, 2)->num, -1, "-1");
	is_str(arg(s, 3)->text, "0x7f", "hex text kept");
	is_int(arg(s, 3)->num, 127, "hex value");
	is_hex((uint64_t)arg(s, 4)->num, 0xffffffffffffffffull, "all 64 bits of a hex mask");
	ok(arg(s, 5)->num == INT64_MIN, "INT64_MIN");
	is_int(arg(s, 6)->kind, EXPR_NAME, "name");
	is_int(arg(s, 7)->kind, EXPR_ELLIPSIS, "...");
	is_int(arg(s, 7)->loc.col, 70, "ellipsis column");
	s = call("0 f() = 0");
	ok(s && s->args.count == 0, "no arguments");
	is_str(lang_parse_err("0 f(- 1) = 0"),
	       "t.pkt:1:7: error: expected an integer after `-`, got `1`\n0 f(- 1) = 0\n      ^\n",
	       "a minus sign belongs to its number");
	is_str(lang_parse_err("0 f(1.5) = 0"),
	       "t.pkt:1:5: error: unexpected number 1.5 (arguments are integers)\n0 f(1.5) = 0\n"
	       "    ^\n",
	       "floats are not arguments");
}

static void test_real_lines(void)
{
	static const struct {
		const char *line;
		const char *arg; /* an argument printed back */
		size_t index;
	} lines[] = {
		{ "+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0",
		  "{onoff=1, linger=0}", 3 },
		{ "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0", "O_RDWR|O_NONBLOCK", 2 },
		{ "+0 socket(..., SOCK_STREAM|SOCK_NONBLOCK, IPPROTO_TCP) = 3",
		  "SOCK_STREAM|SOCK_NONBLOCK", 1 },
		{ "+0 ioctl(4, SIOCINQ, [1000]) = 0", "[1000]", 2 },
		{ "+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0", "[4]", 4 },
		{ "+0 poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 0) = 1",
		  "[{fd=4, events=POLLIN|POLLOUT, revents=POLLOUT}]", 0 },
		{ "+0 poll([{fd=3, events=POLLIN, revents=0}, {fd=4, events=POLLIN, "
		  "revents=POLLIN}], "
		  "2, 100) = 1",
		  "{fd=4, events=POLLIN, revents=POLLIN}", 99 },
		{ "+0 epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLIN|EPOLLET, fd=4}) = 0",
		  "{events=EPOLLIN|EPOLLET, fd=4}", 3 },
		{ "+0 epoll_wait(5, {events=EPOLLIN, u64=123}, 1, 0) = 1",
		  "{events=EPOLLIN, u64=123}", 1 },
		{ "+0 connect(3, {sa_family=AF_INET, sin_port=htons(8080), "
		  "sin_addr=inet_addr(\"192.0.2.1\")}, 16) = 0",
		  "{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr(\"192.0.2.1\")}",
		  1 },
		{ "+0 setsockopt(3, IPPROTO_IPV6, IPV6_V6ONLY, [0], 4) = 0", "IPPROTO_IPV6", 1 },
		{ "+0 bind(3, {sa_family=AF_INET6, sin6_port=htons(80), "
		  "sin6_addr=inet6_addr(\"::1\")}, 28) = 0",
		  "inet6_addr(\"::1\")", 98 },
		{ "+0 writev(4, [{..., 1000}, {..., 2000}], 2) = 3000",
		  "[{..., 1000}, {..., 2000}]", 1 },
		{ "+0 sendto(4, ..., 1000, MSG_FASTOPEN, ..., ...) = 1000", "MSG_FASTOPEN", 3 },
		{ "+0 sendmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 100}], msg_flags=0}, "
		  "MSG_ZEROCOPY) = 100",
		  "{msg_name(...)=..., msg_iov(1)=[{..., 100}], msg_flags=0}", 1 },
		{ "+0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 0}], "
		  "msg_flags=MSG_ERRQUEUE, "
		  "msg_control=[{cmsg_level=SOL_IP, cmsg_type=IP_RECVERR, cmsg_data={ee_errno=0, "
		  "ee_origin=SO_EE_ORIGIN_ZEROCOPY, ee_type=0, ee_code=SO_EE_CODE_ZEROCOPY_COPIED, "
		  "ee_info=0, ee_data=0}}]}, MSG_ERRQUEUE) = 0",
		  "MSG_ERRQUEUE", 2 },
		{ "+0 setsockopt(3, SOL_TCP, TCP_CONGESTION, \"reno\", 4) = 0", "\"reno\"", 3 },
		{ "+0 getsockopt(3, SOL_TCP, TCP_INFO, {tcpi_state=TCP_ESTABLISHED, "
		  "tcpi_rto=200000, "
		  "...}, [104]) = 0",
		  "{tcpi_state=TCP_ESTABLISHED, tcpi_rto=200000, ...}", 3 },
		{ "+0 write(4, \"hello\\n\", 6) = 6", "\"hello\\n\"", 1 },
		{ "+0 read(4, \"hel\"..., 100) = 5", "\"hel\"...", 1 },
		{ "+0 write(4, \"ab\" \"cd\", 4) = 4", "\"abcd\"", 1 },
		{ "+0 setsockopt(3, SOL_SOCKET, SO_TIMESTAMPING, [SOF_TIMESTAMPING_TX_SCHED | "
		  "SOF_TIMESTAMPING_OPT_ID], 4) = 0",
		  "[SOF_TIMESTAMPING_TX_SCHED|SOF_TIMESTAMPING_OPT_ID]", 3 },
		{ "+0 shutdown(4, SHUT_WR) = 0", "SHUT_WR", 1 },
		{ "+0 getsockname(3, {sa_family=AF_INET, sin_port=htons(0), "
		  "sin_addr=inet_addr(\"0.0.0.0\")}, [16]) = 0",
		  "[16]", 2 },
	};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		const struct syscall_spec *s = call(lines[i].line);
		if (!ok(s, "real line %zu parses", i))
			continue;
		const struct expr *e = arg(s, lines[i].index);
		if (lines[i].index == 99) /* the second pollfd */
			e = arg(s, 0) && arg(s, 0)->items.count > 1 ? arg(s, 0)->items.items[1]
			                                            : NULL;
		if (lines[i].index == 98) /* the sin6_addr field's value */
			e = arg(s, 1) ? arg(s, 1)->items.items[2]->value : NULL;
		is_str(text(e), lines[i].arg, "%s: argument printed back", s->name);
	}
	const struct syscall_spec *s =
	    call("+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0");
	const struct expr *lg = arg(s, 3);
	if (ok(lg, "linger")) {
		is_int(lg->kind, EXPR_STRUCT, "struct");
		is_int(lg->items.items[0]->kind, EXPR_FIELD, "field");
		is_str(lg->items.items[0]->name, "onoff", "field name");
		ok(lg->items.items[0]->index == NULL, "no index");
		is_int(lg->items.items[1]->value->num, 0, "linger=0");
	}
	s = call("+0 connect(3, {sa_family=AF_INET, sin_port=htons(8080), "
	         "sin_addr=inet_addr(\"192.0.2.1\")}, 16) = 0");
	const struct expr *port = arg(s, 1) ? arg(s, 1)->items.items[1]->value : NULL;
	if (ok(port, "sockaddr")) {
		is_int(port->kind, EXPR_CALL, "htons(...) is a call");
		is_str(port->name, "htons", "call name");
		is_int(port->items.count, 1, "one argument");
		is_int(port->items.items[0]->num, 8080, "8080");
		const struct expr *addr = arg(s, 1)->items.items[2]->value;
		is_str(addr->items.items[0]->str, "192.0.2.1", "address string");
	}
	s = call("+0 read(4, \"hel\"..., 100) = 5");
	ok(arg(s, 1) && arg(s, 1)->prefix && arg(s, 1)->str_len == 3, "string prefix");
	s = call("+0 write(4, \"a\\0b\\x41\\\"\", 5) = 5");
	ok(arg(s, 1) && arg(s, 1)->str_len == 5 && memcmp(arg(s, 1)->str, "a\0bA\"", 5) == 0,
	   "escapes decoded, NUL kept");
	is_str(text(arg(s, 1)), "\"a\\x00bA\\\"\"", "and re-escaped when printed");
	is_str(lang_parse_err("0 f(msg_iov(1, 2)=[]) = 0"),
	       "t.pkt:1:5: error: `msg_iov(...)=` takes exactly one index\n"
	       "0 f(msg_iov(1, 2)=[]) = 0\n"
	       "    ^\n",
	       "an index is one expression");
	is_str(lang_parse_err("0 f({a=1, b=2) = 0"),
	       "t.pkt:1:14: error: expected `,` or `}` in the struct, got `)`\n"
	       "0 f({a=1, b=2) = 0\n"
	       "             ^\n",
	       "unclosed struct");
}

static void test_results(void)
{
	const struct syscall_spec *s = call("0 accept(3, ..., ...) = ...");
	ok(s && s->result->kind == EXPR_ELLIPSIS, "= ... accepts anything");
	s = call("0 read(4, ..., 100) = -1 EAGAIN (Resource temporarily unavailable)");
	if (ok(s, "errno and note")) {
		is_int(s->result->num, -1, "-1");
		is_str(s->errno_name, "EAGAIN", "errno name");
		is_int(s->errno_loc.col, 26, "errno column");
		is_str(s->note, "Resource temporarily unavailable", "note");
	}
	s = call("0 setsockopt(3, SOL_TCP, TCP_FASTOPEN_KEY, \"\", 3) = -1 (Invalid Argument)");
	ok(s && !s->errno_name && s->note && strcmp(s->note, "Invalid Argument") == 0,
	   "note without errno");
	s = call("0 connect(3, ..., ...) = -1 ECONNREFUSED");
	ok(s && !s->note && strcmp(s->errno_name, "ECONNREFUSED") == 0, "errno without note");
	s = call("0 poll([], 0, 0) = 0 ( spaced note )");
	ok(s && s->note && strcmp(s->note, "spaced note") == 0, "note trimmed");
	s = call("0 f() = POLLIN|POLLOUT");
	ok(s && s->result->kind == EXPR_BINARY, "a symbolic result");
	s = call("0 f() = 0x10");
	ok(s && s->result->num == 16, "hex result");
	s = call("   +0\tfcntl(3, F_GETFL) = 0x2 (flags O_RDWR)");
	ok(s && s->result->num == 2 && strcmp(s->result->text, "0x2") == 0 && !s->errno_name &&
	       strcmp(s->note, "flags O_RDWR") == 0,
	   "kernel tcp_inq_client: hex result with a note");
	is_str(lang_parse_err("0 f() = [1]"),
	       "t.pkt:1:9: error: expected the expected result (an integer or `...`), got `[`\n"
	       "0 f() = [1]\n"
	       "        ^\n",
	       "a list is not a result");
	is_str(lang_parse_err("0 f() = 0 EAGAIN EXTRA"),
	       "t.pkt:1:18: error: expected the end of the event, got `EXTRA`\n"
	       "0 f() = 0 EAGAIN EXTRA\n"
	       "                 ^\n",
	       "junk after the errno");
	is_str(lang_parse_err("0 = 0"),
	       "t.pkt:1:3: error: expected a packet (`<` or `>`), a syscall, a `command` or a %{ "
	       "}% block, got `=`\n0 = 0\n  ^\n",
	       "no syscall name");
}

static void test_nesting_limit(void)
{
	char buf[512] = "0 f(";
	for (int i = 0; i < 70; i++)
		strcat(buf, "[");
	strcat(buf, "1");
	for (int i = 0; i < 70; i++)
		strcat(buf, "]");
	strcat(buf, ") = 0");
	const char *got = lang_parse_err(buf);
	ok(strstr(got, "t.pkt:1:69: error: nesting too deep (more than 64 levels)") == got,
	   "nesting beyond 64 levels is an error");
	struct lang_options o = { 0 };
	o.max_depth = 100;
	struct diag_list l;
	struct script *s = NULL;
	diag_list_init(&l);
	is_int(lang_parse_buffer("t.pkt", buf, strlen(buf), &o, &s, &l), 0,
	       "the limit is an option");
	diag_list_free(&l);
	script_free(s);
}

int main(void)
{
	test_scalars();
	test_real_lines();
	test_results();
	test_nesting_limit();
	script_free(cur);
	lang_round_trip("0 f(0, -1, 0x7f, A|B|C, ..., [1, [2]], {a=1, b(2)=[3]}, \"s\\n\"..., "
	                "htons(80), {..., 5}) = -1 EAGAIN (x y)\n"
	                "+0 g() = ...\n"
	                "+0 h() = 0 (note)\n",
	                "syscalls");
	done_testing();
}
