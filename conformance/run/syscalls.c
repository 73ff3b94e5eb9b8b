/* Script system calls (see syscalls.h); packetdrill's run_system_call.c,
 * reduced to marshalling: the stack does the call. */
#include "run/syscalls.h"

#include "run/tcpinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

/* What `...` buffers are written from; larger writes are unsupported. */
static const uint8_t zeros[1 << 20];

int run_fd_to_stack(const struct run_fdmap *m, int script_fd)
{
	for (int i = m->n - 1; i >= 0; i--)
		if (m->v[i].script == script_fd)
			return m->v[i].stack;
	return script_fd;
}

int run_fd_to_script(const struct run_fdmap *m, int stack_fd)
{
	for (int i = m->n - 1; i >= 0; i--)
		if (m->v[i].stack == stack_fd)
			return m->v[i].script;
	return stack_fd;
}

static void fd_map(struct run_fdmap *m, int script_fd, int stack_fd)
{
	for (int i = 0; i < m->n; i++)
		if (m->v[i].script == script_fd) {
			m->v[i].stack = stack_fd;
			return;
		}
	if (m->n < RUN_MAX_FDS) {
		m->v[m->n].script = script_fd;
		m->v[m->n].stack = stack_fd;
		m->n++;
	}
}

const char *run_errno_name(int err)
{
	static const struct {
		int e;
		const char *n;
	} t[] = {
		{ EPERM, "EPERM" },
		{ ENOENT, "ENOENT" },
		{ EINTR, "EINTR" },
		{ EBADF, "EBADF" },
		{ EAGAIN, "EAGAIN" },
		{ ENOMEM, "ENOMEM" },
		{ EACCES, "EACCES" },
		{ EFAULT, "EFAULT" },
		{ EINVAL, "EINVAL" },
		{ EMFILE, "EMFILE" },
		{ ENOSPC, "ENOSPC" },
		{ EPIPE, "EPIPE" },
		{ ENOTSOCK, "ENOTSOCK" },
		{ EDESTADDRREQ, "EDESTADDRREQ" },
		{ EMSGSIZE, "EMSGSIZE" },
		{ EPROTOTYPE, "EPROTOTYPE" },
		{ ENOPROTOOPT, "ENOPROTOOPT" },
		{ EPROTONOSUPPORT, "EPROTONOSUPPORT" },
		{ EOPNOTSUPP, "EOPNOTSUPP" },
		{ EAFNOSUPPORT, "EAFNOSUPPORT" },
		{ EADDRINUSE, "EADDRINUSE" },
		{ EADDRNOTAVAIL, "EADDRNOTAVAIL" },
		{ ENETUNREACH, "ENETUNREACH" },
		{ ECONNABORTED, "ECONNABORTED" },
		{ ECONNRESET, "ECONNRESET" },
		{ ENOBUFS, "ENOBUFS" },
		{ EISCONN, "EISCONN" },
		{ ENOTCONN, "ENOTCONN" },
		{ ESHUTDOWN, "ESHUTDOWN" },
		{ ETIMEDOUT, "ETIMEDOUT" },
		{ ECONNREFUSED, "ECONNREFUSED" },
		{ EHOSTUNREACH, "EHOSTUNREACH" },
		{ EALREADY, "EALREADY" },
		{ EINPROGRESS, "EINPROGRESS" },
		{ ENOTTY, "ENOTTY" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (t[i].e == err)
			return t[i].n;
	return "E?";
}

void run_syscall_result_text(long ret, int err, char *buf, size_t cap)
{
	if (ret == -1)
		snprintf(buf, cap, " = -1 %s (%s)", run_errno_name(err), strerror(err));
	else
		snprintf(buf, cap, " = %ld", ret);
}

void run_syscall_call_text(const char *source, char *buf, size_t cap)
{
	/* Skip the time ("+0.1", "0.1...0.2") to the call name, then copy up
	 * to the parenthesis that closes the argument list. */
	const char *p = source;
	while (*p == ' ' || *p == '\t')
		p++;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	while (*p == ' ' || *p == '\t')
		p++;
	const char *open = strchr(p, '(');
	size_t n = strlen(p);
	if (open) {
		int depth = 0;
		for (const char *q = open; *q; q++) {
			if (*q == '(')
				depth++;
			else if (*q == ')' && --depth == 0) {
				n = (size_t)(q + 1 - p);
				break;
			}
		}
	}
	snprintf(buf, cap, "%.*s", (int)n, p);
}

/* A length from the script, within what stack_call can carry back: reads
 * of more than 64 KiB return at most 64 KiB. */
static size_t clamp_len(long long len, size_t max)
{
	return len <= 0 ? 0 : (size_t)len > max ? max : (size_t)len;
}

static long long int_arg(const struct run_syscall *sc, int i, long long dflt)
{
	if (i >= sc->nargs)
		return dflt;
	const struct run_arg *a = &sc->args[i];
	if (a->kind == RUN_ARG_INT || a->kind == RUN_ARG_INTPTR)
		return a->ival;
	return dflt;
}

/* Sum of iovec lengths in any list ({..., N} items: the last integer). */
static long long iov_total(const struct run_arg *a)
{
	long long total = 0;
	if (a->kind == RUN_ARG_LIST) {
		for (int i = 0; i < a->n; i++) {
			const struct run_arg *it = &a->items[i];
			if (it->kind == RUN_ARG_STRUCT && it->n > 0) {
				const struct run_arg *last = &it->items[it->n - 1];
				if (last->kind == RUN_ARG_INT)
					total += last->ival;
			} else if (it->kind == RUN_ARG_INT) {
				total += it->ival;
			}
		}
	} else if (a->kind == RUN_ARG_STRUCT) {
		for (int i = 0; i < a->n; i++)
			total += iov_total(&a->items[i]);
	}
	return total;
}

static const struct run_arg *field(const struct run_arg *a, const char *name)
{
	if (a->kind != RUN_ARG_STRUCT || !a->names)
		return NULL;
	for (int i = 0; i < a->n; i++)
		if (a->names[i] && strcmp(a->names[i], name) == 0)
			return &a->items[i];
	return NULL;
}

static int unsupported(char *why, size_t cap, const char *what, const char *name)
{
	snprintf(why, cap, "unsupported: %s %s", what, name);
	return -1;
}

static int prepare_sockopt_value(const struct run_syscall *sc, struct stack_call *c, char *why,
                                 size_t cap)
{
	static int32_t ival[2];
	const struct run_arg *v = sc->nargs > 3 ? &sc->args[3] : NULL;
	long long len = int_arg(sc, 4, -1);
	if (!v)
		return unsupported(why, cap, "setsockopt", "without a value");
	switch (v->kind) {
	case RUN_ARG_INT:
	case RUN_ARG_INTPTR:
		ival[0] = (int32_t)v->ival;
		c->in = (const uint8_t *)ival;
		c->in_len = 4;
		break;
	case RUN_ARG_STRUCT: {
		/* struct linger {onoff, linger}; positional or named. */
		const struct run_arg *on = field(v, "onoff"), *lg = field(v, "linger");
		ival[0] = (int32_t)(on ? on->ival : v->n > 0 ? v->items[0].ival : 0);
		ival[1] = (int32_t)(lg ? lg->ival : v->n > 1 ? v->items[1].ival : 0);
		c->in = (const uint8_t *)ival;
		c->in_len = 8;
		break;
	}
	case RUN_ARG_STRING:
		c->in = (const uint8_t *)v->str;
		c->in_len = v->str_len;
		break;
	default:
		return unsupported(why, cap, "setsockopt", "value form");
	}
	if (len >= 0 && (size_t)len < c->in_len)
		c->in_len = (size_t)len;
	return 0;
}

int run_syscall_prepare(const struct run_syscall *sc, const struct run_fdmap *fds,
                        const struct run_sockaddrs *addrs, struct stack_call *c, char *why,
                        size_t cap)
{
	const char *n = sc->name;
	for (int i = 0; i < sc->nargs; i++)
		if (sc->args[i].kind == RUN_ARG_UNSUPPORTED) {
			snprintf(why, cap, "unsupported: %s",
			         sc->args[i].str ? sc->args[i].str : n);
			return -1;
		}
	c->fd = sc->nargs > 0 && sc->args[0].kind == RUN_ARG_INT
	            ? run_fd_to_stack(fds, (int)sc->args[0].ival)
	            : -1;
	if (strcmp(n, "socket") == 0) {
		c->op = STACK_SOCKET;
		c->a[0] = sc->nargs > 0 && sc->args[0].kind == RUN_ARG_INT ? sc->args[0].ival
		                                                           : addrs->domain;
		c->a[1] = int_arg(sc, 1, SOCK_STREAM);
		c->a[2] = int_arg(sc, 2, IPPROTO_TCP);
	} else if (strcmp(n, "bind") == 0 || strcmp(n, "connect") == 0) {
		bool bind = n[0] == 'b';
		c->op = bind ? STACK_BIND : STACK_CONNECT;
		c->in = (const uint8_t *)(bind ? &addrs->bind_addr : &addrs->connect_addr);
		c->in_len = bind ? addrs->bind_len : addrs->connect_len;
		const struct run_arg *sin_addr =
		    sc->nargs > 1 ? field(&sc->args[1], "sin_addr") : NULL;
		if (!bind && sin_addr) {
			/* An address written out: {sa_family=AF_INET,
			 * sin_port=htons(N), sin_addr=inet_addr("A")} (to
			 * a broadcast or multicast address, RFC 9293 MUST-46). */
			const struct run_arg *port = field(&sc->args[1], "sin_port");
			if (sin_addr->kind != RUN_ARG_INT || (port && port->kind != RUN_ARG_INT))
				return unsupported(why, cap, "sockaddr field", "sin_addr/sin_port");
			struct sockaddr_in sin;
			memset(&sin, 0, sizeof sin);
			sin.sin_family = AF_INET;
			sin.sin_addr.s_addr = (in_addr_t)sin_addr->ival;
			sin.sin_port =
			    port ? (in_port_t)port->ival
			         : ((const struct sockaddr_in *)&addrs->connect_addr)->sin_port;
			memcpy(c->in_store, &sin, sizeof sin);
			c->in = c->in_store;
			c->in_len = sizeof sin;
		} else if (!bind && sc->nargs > 1 && sc->args[1].kind == RUN_ARG_INT &&
		           sc->args[1].ival == AF_UNSPEC) {
			/* connect(fd, AF_UNSPEC, ...): disconnect (packetdrill
			 * passes a sockaddr of that family). */
			static const struct sockaddr unspec = { .sa_family = AF_UNSPEC };
			c->in = (const uint8_t *)&unspec;
			c->in_len = sizeof unspec;
		}
	} else if (strcmp(n, "listen") == 0) {
		c->op = STACK_LISTEN;
		c->a[0] = int_arg(sc, 1, 1);
	} else if (strcmp(n, "accept") == 0 || strcmp(n, "accept4") == 0) {
		c->op = STACK_ACCEPT;
		c->out_cap = sizeof(struct sockaddr_storage);
	} else if (strcmp(n, "getsockname") == 0 || strcmp(n, "getpeername") == 0) {
		c->op = n[3] == 's' ? STACK_GETSOCKNAME : STACK_GETPEERNAME;
		c->out_cap = sizeof(struct sockaddr_storage);
	} else if (strcmp(n, "read") == 0 || strcmp(n, "recv") == 0 || strcmp(n, "recvfrom") == 0) {
		c->op = STACK_READ;
		c->out_cap = clamp_len(int_arg(sc, 2, 0), sizeof c->out);
		c->a[0] = n[0] == 'r' && n[2] == 'c' ? int_arg(sc, 3, 0) : 0;
	} else if (strcmp(n, "readv") == 0 || strcmp(n, "recvmsg") == 0) {
		c->op = STACK_READ;
		c->out_cap = clamp_len(sc->nargs > 1 ? iov_total(&sc->args[1]) : 0, sizeof c->out);
		c->a[0] = n[4] == 'm' ? int_arg(sc, 2, 0) : 0;
	} else if (strcmp(n, "write") == 0 || strcmp(n, "send") == 0 || strcmp(n, "sendto") == 0) {
		c->op = STACK_WRITE;
		long long len = int_arg(sc, 2, 0);
		if (sc->nargs > 1 && sc->args[1].kind == RUN_ARG_STRING) {
			c->in = (const uint8_t *)sc->args[1].str;
			c->in_len = sc->args[1].str_len;
		} else {
			if (len > (long long)sizeof zeros) {
				snprintf(why, cap, "unsupported: %s of %lld bytes (at most %zu)", n,
				         len, sizeof zeros);
				return -1;
			}
			c->in = zeros;
			c->in_len = len > 0 ? (size_t)len : 0;
		}
		c->a[0] = n[0] == 's' ? int_arg(sc, 3, 0) : 0;
	} else if (strcmp(n, "writev") == 0 || strcmp(n, "sendmsg") == 0) {
		c->op = STACK_WRITE;
		long long len = sc->nargs > 1 ? iov_total(&sc->args[1]) : 0;
		if (len > (long long)sizeof zeros) {
			snprintf(why, cap, "unsupported: %s of %lld bytes (at most %zu)", n, len,
			         sizeof zeros);
			return -1;
		}
		c->in = zeros;
		c->in_len = len > 0 ? (size_t)len : 0;
		c->a[0] = n[1] == 'e' && n[4] == 'm' ? int_arg(sc, 2, 0) : 0;
	} else if (strcmp(n, "close") == 0) {
		c->op = STACK_CLOSE;
	} else if (strcmp(n, "shutdown") == 0) {
		c->op = STACK_SHUTDOWN;
		c->a[0] = int_arg(sc, 1, SHUT_RDWR);
	} else if (strcmp(n, "setsockopt") == 0) {
		c->op = STACK_SETSOCKOPT;
		c->a[0] = int_arg(sc, 1, 0);
		c->a[1] = int_arg(sc, 2, 0);
		if (prepare_sockopt_value(sc, c, why, cap) < 0)
			return -1;
	} else if (strcmp(n, "getsockopt") == 0) {
		c->op = STACK_GETSOCKOPT;
		c->a[0] = int_arg(sc, 1, 0);
		c->a[1] = int_arg(sc, 2, 0);
		long long len = int_arg(sc, 4, 256);
		c->out_cap = len > 0 && len < 65536 ? (size_t)len : 256;
	} else if (strcmp(n, "fcntl") == 0) {
		c->op = STACK_FCNTL;
		c->a[0] = int_arg(sc, 1, 0);
		c->a[1] = int_arg(sc, 2, 0);
	} else if (strcmp(n, "ioctl") == 0) {
		c->op = STACK_IOCTL;
		c->a[0] = int_arg(sc, 1, 0);
		c->out_cap = sizeof(int);
	} else if (strcmp(n, "poll") == 0) {
		c->op = STACK_POLL;
		const struct run_arg *l = sc->nargs > 0 ? &sc->args[0] : NULL;
		if (!l || l->kind != RUN_ARG_LIST || l->n > STACK_MAX_POLLFDS)
			return unsupported(why, cap, "poll", "argument form");
		for (int i = 0; i < l->n; i++) {
			const struct run_arg *fd = field(&l->items[i], "fd");
			const struct run_arg *ev = field(&l->items[i], "events");
			c->pfds[i].fd = fd ? run_fd_to_stack(fds, (int)fd->ival) : -1;
			c->pfds[i].events = (short)(ev ? ev->ival : 0);
		}
		c->npfds = l->n;
		c->a[0] = int_arg(sc, 2, 0);
	} else if (strcmp(n, "epoll_create") == 0 || strcmp(n, "epoll_create1") == 0) {
		c->op = STACK_EPOLL_CREATE;
		c->a[0] = int_arg(sc, 0, 0);
	} else if (strcmp(n, "epoll_ctl") == 0) {
		c->op = STACK_EPOLL_CTL;
		c->a[0] = int_arg(sc, 1, 0);
		c->a[1] = run_fd_to_stack(fds, (int)int_arg(sc, 2, -1));
		const struct run_arg *ev = sc->nargs > 3 ? field(&sc->args[3], "events") : NULL;
		c->a[2] = ev ? ev->ival : 0;
	} else if (strcmp(n, "epoll_wait") == 0) {
		c->op = STACK_EPOLL_WAIT;
		c->a[0] = int_arg(sc, 2, 1);
		c->a[1] = int_arg(sc, 3, 0);
		c->out_cap = c->a[0] > 0 && c->a[0] < 1024
		                 ? (size_t)c->a[0] * sizeof(struct epoll_event)
		                 : sizeof(struct epoll_event);
	} else {
		return unsupported(why, cap, "syscall", n);
	}
	return 0;
}

static bool returns_fd(const struct run_syscall *sc)
{
	return strcmp(sc->name, "socket") == 0 || strncmp(sc->name, "accept", 6) == 0 ||
	       strncmp(sc->name, "epoll_create", 12) == 0;
}

static int32_t out_int(const struct stack_call *c)
{
	int32_t v = 0;
	memcpy(&v, c->out, c->out_len < 4 ? c->out_len : 4);
	return v;
}

void run_syscall_observed_text(const struct run_syscall *sc, const struct stack_call *c, char *call,
                               size_t cap)
{
	int idx = -1;
	if (c->ret < 0)
		return;
	if (c->op == STACK_GETSOCKOPT && sc->nargs > 3 &&
	    (sc->args[3].kind == RUN_ARG_INTPTR || sc->args[3].kind == RUN_ARG_STRING))
		idx = 3;
	else if (c->op == STACK_IOCTL && sc->nargs > 2 && sc->args[2].kind == RUN_ARG_INTPTR)
		idx = 2;
	else if (c->op == STACK_GETSOCKOPT && sc->nargs > 3 && sc->args[3].kind == RUN_ARG_STRUCT &&
	         c->has_tcp_info)
		idx = 3;
	if (idx < 0)
		return;
	char val[400];
	if (sc->args[idx].kind == RUN_ARG_STRUCT) {
		/* TCP_INFO: the fields the script names, with what the stack
		 * reported. */
		const struct run_arg *v = &sc->args[idx];
		size_t n = (size_t)snprintf(val, sizeof val, "{");
		for (int i = 0; i < v->n && n < sizeof val; i++) {
			long long got;
			const char *name = v->names ? v->names[i] : NULL;
			if (name && run_tcpinfo_field(&c->tcp_info, name, &got))
				n += (size_t)snprintf(val + n, sizeof val - n, "%s%s=%lld",
				                      i ? ", " : "", name, got);
			else
				n += (size_t)snprintf(val + n, sizeof val - n, "%s%s=...",
				                      i ? ", " : "", name ? name : "?");
		}
		if (n < sizeof val)
			snprintf(val + n, sizeof val - n, "}");
	} else if (sc->args[idx].kind == RUN_ARG_INTPTR) {
		snprintf(val, sizeof val, "[%d]", out_int(c));
	} else {
		size_t n = strnlen((const char *)c->out, c->out_len < 64 ? c->out_len : 64);
		for (size_t i = 0; i < n; i++)
			if (c->out[i] < 0x20 || c->out[i] > 0x7e || c->out[i] == '"' ||
			    c->out[i] == '\\')
				return; /* not printable as written: left as the script has it */
		snprintf(val, sizeof val, "\"%.*s\"", (int)n, (const char *)c->out);
	}
	/* The argument's span: after the idx-th comma at depth 1. */
	int depth = 0, arg = -1;
	bool in_str = false;
	size_t start = 0, end = 0;
	for (size_t i = 0; call[i]; i++) {
		char ch = call[i];
		if (in_str) {
			if (ch == '\\' && call[i + 1])
				i++;
			else if (ch == '"')
				in_str = false;
			continue;
		}
		if (ch == '"') {
			in_str = true;
		} else if (ch == '(' || ch == '[' || ch == '{') {
			if (++depth == 1 && ch == '(')
				arg = 0, start = i + 1;
		} else if (ch == ')' || ch == ']' || ch == '}') {
			if (depth-- == 1) {
				if (arg == idx)
					end = i;
				break;
			}
		} else if (ch == ',' && depth == 1) {
			if (arg == idx) {
				end = i;
				break;
			}
			arg++;
			start = i + 1;
		}
	}
	if (arg != idx || end <= start)
		return;
	while (start < end && call[start] == ' ')
		start++;
	char buf[1024];
	snprintf(buf, sizeof buf, "%.*s%s%s", (int)start, call, val, call + end);
	snprintf(call, cap, "%s", buf);
}

static bool check_outputs(const struct run_syscall *sc, const struct stack_call *c, char *why,
                          size_t cap)
{
	if (c->ret < 0)
		return true;
	if (c->op == STACK_GETSOCKOPT && sc->nargs > 3) {
		const struct run_arg *v = &sc->args[3];
		/* A 4-byte value, as the kernel returns it: [0xffffffff] is the
		 * int -1 (TCP_NOTSENT_LOWAT's default), compared modulo 2^32. */
		bool fits = v->ival >= INT32_MIN && v->ival <= (long long)UINT32_MAX;
		if (v->kind == RUN_ARG_INTPTR &&
		    (!fits || (uint32_t)out_int(c) != (uint32_t)v->ival)) {
			snprintf(why, cap, "getsockopt value: expected [%lld], got [%d]", v->ival,
			         out_int(c));
			return false;
		}
		if (v->kind == RUN_ARG_STRING) {
			/* TCP_CONGESTION: "cubic", NUL-padded to the length asked. */
			size_t got = strnlen((const char *)c->out, c->out_len);
			size_t want = strnlen(v->str, v->str_len);
			if (got != want || memcmp(c->out, v->str, want) != 0) {
				snprintf(why, cap,
				         "getsockopt value: expected \"%.*s\", got \"%.*s\"",
				         (int)(want < 64 ? want : 64), v->str,
				         (int)(got < 64 ? got : 64), (const char *)c->out);
				return false;
			}
		}
		if (v->kind == RUN_ARG_STRUCT && c->has_tcp_info) {
			for (int i = 0; i < v->n; i++) {
				long long got;
				if (!v->names || !v->names[i] || v->items[i].kind != RUN_ARG_INT)
					continue;
				if (!run_tcpinfo_field(&c->tcp_info, v->names[i], &got)) {
					snprintf(why, cap, "unsupported: TCP_INFO field %s",
					         v->names[i]);
					return false;
				}
				if (got != v->items[i].ival) {
					snprintf(why, cap, "%s: expected %lld, got %lld",
					         v->names[i], v->items[i].ival, got);
					return false;
				}
			}
		}
	}
	if (c->op == STACK_IOCTL && sc->nargs > 2 && sc->args[2].kind == RUN_ARG_INTPTR &&
	    out_int(c) != sc->args[2].ival) {
		snprintf(why, cap, "ioctl value: expected [%lld], got [%d]", sc->args[2].ival,
		         out_int(c));
		return false;
	}
	if (c->op == STACK_EPOLL_WAIT && c->ret > 0 && sc->nargs > 1) {
		/* {events=..., fd=...}: the first ready event. */
		const struct run_arg *ev = field(&sc->args[1], "events");
		struct epoll_event e;
		memcpy(&e, c->out, sizeof e);
		if (ev && ev->kind == RUN_ARG_INT && (uint32_t)ev->ival != e.events) {
			snprintf(why, cap, "epoll_wait events: expected 0x%llx, got 0x%x", ev->ival,
			         e.events);
			return false;
		}
	}
	if (c->op == STACK_POLL) {
		const struct run_arg *l = &sc->args[0];
		for (int i = 0; i < l->n && i < c->npfds; i++) {
			const struct run_arg *rv = field(&l->items[i], "revents");
			if (rv && rv->kind == RUN_ARG_INT && rv->ival != c->pfds[i].revents) {
				snprintf(
				    why, cap, "poll revents of item %d: expected 0x%llx, got 0x%x",
				    i + 1, rv->ival, (unsigned)(unsigned short)c->pfds[i].revents);
				return false;
			}
		}
	}
	return true;
}

long run_syscall_script_ret(const struct run_syscall *sc, const struct stack_call *c)
{
	if (returns_fd(sc) && c->ret >= 0 && !sc->ret_any && sc->ret >= 0)
		return (long)sc->ret;
	return c->ret;
}

bool run_syscall_check(const struct run_syscall *sc, const struct stack_call *c,
                       struct run_fdmap *fds, char *why, size_t cap)
{
	bool fd_call = returns_fd(sc);
	if (!sc->ret_any) {
		bool ok = fd_call && sc->ret >= 0 ? c->ret >= 0 : c->ret == sc->ret;
		if (!ok) {
			char got[128];
			run_syscall_result_text(c->ret, c->err, got, sizeof got);
			snprintf(why, cap, "%s returned%s, expected %lld%s%s", sc->name, got + 2,
			         sc->ret, sc->err_name ? " " : "",
			         sc->err_name ? sc->err_name : "");
			return false;
		}
		if (sc->ret == -1 && sc->err && c->err != sc->err) {
			snprintf(why, cap, "%s: expected errno %s, got %s (%s)", sc->name,
			         sc->err_name ? sc->err_name : run_errno_name(sc->err),
			         run_errno_name(c->err), strerror(c->err));
			return false;
		}
	}
	if (fd_call && c->ret >= 0)
		fd_map(fds, sc->ret_any ? (int)c->ret : (int)sc->ret, (int)c->ret);
	return check_outputs(sc, c, why, cap);
}
