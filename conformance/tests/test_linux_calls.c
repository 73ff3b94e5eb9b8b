/* Every enum stack_op on the Linux stack, over loopback inside the script's
 * namespace (no injected packets needed): results, errno on failure, and the
 * blocking rules (may_block calls complete as events; a call the script
 * didn't mark blocking that blocks anyway turns PENDING after a grace).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stacks/linux_stack.h"
#include "stacks/stack.h"
#include "tap.h"

static const struct stack_ops *ops = &stack_linux_ops;
static struct stack *st;
static struct stack_call cs[4];
static struct stack_event ev;

static struct stack_call *mk(int slot, enum stack_op op, int fd)
{
	struct stack_call *c = &cs[slot];
	memset(c, 0, sizeof(*c));
	c->op = op;
	c->fd = fd;
	return c;
}

static long run(struct stack_call *c)
{
	struct stack_error err;
	int rc = ops->call(st, c, &err);
	if (rc != STACK_CALL_DONE) {
		tap_diag("op %d: status %d %s", c->op, rc, err.msg);
		return -1000;
	}
	return c->ret;
}

static long call2(enum stack_op op, int fd, long a0, long a1)
{
	struct stack_call *c = mk(0, op, fd);
	c->a[0] = a0;
	c->a[1] = a1;
	return run(c);
}

static struct sockaddr_in lo_addr(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static long with_addr(enum stack_op op, int fd, const struct sockaddr_in *a)
{
	struct stack_call *c = mk(0, op, fd);
	c->in = (const uint8_t *)a;
	c->in_len = sizeof(*a);
	return run(c);
}

static int tcp_socket(void)
{
	struct stack_call *c = mk(0, STACK_SOCKET, -1);
	c->a[0] = AF_INET;
	c->a[1] = SOCK_STREAM;
	return (int)run(c);
}

static bool wait_event(uint64_t ms)
{
	uint64_t until = ops->now(st) + ms * 1000;
	while (!ops->next_event(st, &ev)) {
		if (ops->now(st) >= until || ops->advance(st, until) < 0)
			return ops->next_event(st, &ev);
	}
	return true;
}

int main(void)
{
	if (geteuid() != 0)
		tap_plan_skip_all(
		    "linux stack needs root (CAP_NET_ADMIN) to create a network namespace");
	struct stack_config cfg = { .ip_version = 4 };
	struct stack_error err;
	if (ops->start(&st, &cfg, &err) != 0) {
		if (err.skip)
			tap_plan_skip_all("%s", err.msg);
		tap_bail("%s", err.msg);
	}

	/* socket / bind / listen / getsockname */
	int l = tcp_socket();
	ok(l >= 0, "socket() = %d", l);
	struct sockaddr_in a = lo_addr(9000);
	is_int(with_addr(STACK_BIND, l, &a), 0, "bind(127.0.0.1:9000)");
	is_int(call2(STACK_LISTEN, l, 8, 0), 0, "listen()");
	struct stack_call *c = mk(0, STACK_GETSOCKNAME, l);
	c->out_cap = sizeof(struct sockaddr_in);
	is_int(run(c), 0, "getsockname()");
	ok(c->out_len == sizeof(a) && memcmp(c->out, &a, sizeof(a)) == 0, "is 127.0.0.1:9000");
	int l2 = tcp_socket();
	is_int(with_addr(STACK_BIND, l2, &a), -1, "a second bind to the same port fails");
	is_int(cs[0].err, EADDRINUSE, "with EADDRINUSE");

	/* connect over loopback completes at once; accept, getpeername */
	int cl = tcp_socket();
	is_int(with_addr(STACK_CONNECT, cl, &a), 0, "connect() over loopback");
	c = mk(0, STACK_ACCEPT, l);
	c->out_cap = sizeof(struct sockaddr_in);
	int sv = (int)run(c);
	ok(sv >= 0, "accept() = %d", sv);
	is_uint(c->out_len, sizeof(struct sockaddr_in), "accept's address length");
	c = mk(0, STACK_GETPEERNAME, sv);
	c->out_cap = sizeof(struct sockaddr_in);
	is_int(run(c), 0, "getpeername()");

	/* setsockopt / getsockopt */
	int one = 1;
	c = mk(0, STACK_SETSOCKOPT, cl);
	c->a[0] = IPPROTO_TCP;
	c->a[1] = TCP_NODELAY;
	c->in = (const uint8_t *)&one;
	c->in_len = sizeof(one);
	is_int(run(c), 0, "setsockopt(TCP_NODELAY)");
	c = mk(0, STACK_GETSOCKOPT, cl);
	c->a[0] = IPPROTO_TCP;
	c->a[1] = TCP_NODELAY;
	c->out_cap = sizeof(int);
	is_int(run(c), 0, "getsockopt(TCP_NODELAY)");
	ok(c->out_len == sizeof(int) && *(int *)(void *)c->out == 1, "reads back 1");

	/* write / ioctl(SIOCINQ) / poll / read */
	c = mk(0, STACK_WRITE, cl);
	c->in = (const uint8_t *)"hello";
	c->in_len = 5;
	is_int(run(c), 5, "write(5)");
	c = mk(0, STACK_POLL, -1);
	c->pfds[0] = (struct stack_pollfd){ .fd = sv, .events = POLLIN };
	c->pfds[1] = (struct stack_pollfd){ .fd = 3, .events = POLLIN }; /* not the script's */
	c->npfds = 2;
	c->a[0] = 1000;
	is_int(run(c), 2, "poll() = 2");
	is_hex(c->pfds[0].revents, POLLIN, "POLLIN on the accepted socket");
	is_hex(c->pfds[1].revents, POLLNVAL, "POLLNVAL on a descriptor the script never opened");
	c = mk(0, STACK_IOCTL, sv);
	c->a[0] = SIOCINQ;
	is_int(run(c), 0, "ioctl(SIOCINQ)");
	ok(c->out_len == sizeof(int) && *(int *)(void *)c->out == 5, "5 bytes queued");
	c = mk(0, STACK_READ, sv);
	c->out_cap = 100;
	c->a[0] = MSG_PEEK;
	is_int(run(c), 5, "recv(MSG_PEEK) = 5");
	c = mk(0, STACK_READ, sv);
	c->out_cap = 100;
	is_int(run(c), 5, "read() = 5");
	is_mem(c->out, c->out_len, "hello", 5, "the bytes written");

	/* fcntl O_NONBLOCK: read now fails with EAGAIN */
	long fl = call2(STACK_FCNTL, sv, F_GETFL, 0);
	ok(fl >= 0, "fcntl(F_GETFL)");
	is_int(call2(STACK_FCNTL, sv, F_SETFL, fl | O_NONBLOCK), 0, "fcntl(F_SETFL, O_NONBLOCK)");
	c = mk(0, STACK_READ, sv);
	c->out_cap = 100;
	is_int(run(c), -1, "non-blocking read with nothing queued fails");
	is_int(c->err, EAGAIN, "with EAGAIN");

	/* epoll */
	int ep = (int)call2(STACK_EPOLL_CREATE, -1, 0, 0);
	ok(ep >= 0, "epoll_create() = %d", ep);
	c = mk(0, STACK_EPOLL_CTL, ep);
	c->a[0] = EPOLL_CTL_ADD;
	c->a[1] = sv;
	c->a[2] = EPOLLIN;
	is_int(run(c), 0, "epoll_ctl(ADD, accepted socket, EPOLLIN)");
	c = mk(0, STACK_WRITE, cl);
	c->in = (const uint8_t *)"x";
	c->in_len = 1;
	run(c);
	c = mk(0, STACK_EPOLL_WAIT, ep);
	c->a[0] = 4;
	c->a[1] = 1000;
	is_int(run(c), 1, "epoll_wait() = 1");
	struct epoll_event e;
	memcpy(&e, c->out, sizeof(e));
	ok(c->out_len == sizeof(e) && e.data.fd == sv && (e.events & EPOLLIN),
	   "out holds struct epoll_event {EPOLLIN, data.fd = %d}", sv);

	/* shutdown: the peer reads EOF */
	is_int(call2(STACK_SHUTDOWN, cl, SHUT_WR, 0), 0, "shutdown(SHUT_WR)");
	c = mk(0, STACK_READ, sv);
	c->out_cap = 100;
	run(c); /* the "x" */
	c = mk(0, STACK_READ, sv);
	c->out_cap = 100;
	is_int(run(c), 0, "peer reads EOF");

	/* errors */
	struct sockaddr_in closed = lo_addr(9001);
	int s3 = tcp_socket();
	is_int(with_addr(STACK_CONNECT, s3, &closed), -1, "connect() to a closed port");
	is_int(cs[0].err, ECONNREFUSED, "ECONNREFUSED");
	is_int(call2(STACK_LISTEN, 999, 1, 0), -1, "listen() on a bad descriptor");
	is_int(cs[0].err, EBADF, "EBADF");
	c = mk(0, (enum stack_op)999, l);
	is_int(run(c), -1, "an unknown op");
	is_int(c->err, ENOSYS, "ENOSYS");

	/* Blocking: may_block accept is PENDING, completes as an event. */
	struct stack_call *acc = mk(1, STACK_ACCEPT, l);
	acc->may_block = true;
	is_int(ops->call(st, acc, &err), STACK_CALL_PENDING, "may_block accept() is pending");
	int s4 = tcp_socket();
	is_int(with_addr(STACK_CONNECT, s4, &a), 0, "another connect");
	ok(wait_event(1000) && ev.kind == STACK_EV_CALL_DONE && ev.call == acc,
	   "accept completes as an event");
	ok(acc->ret >= 0, "accept() = %ld", acc->ret);

	/* A call not marked blocking that blocks anyway: PENDING after the
	 * grace period, then a late event. */
	struct stack_call *acc2 = mk(2, STACK_ACCEPT, l);
	uint64_t t = ops->now(st);
	is_int(ops->call(st, acc2, &err), STACK_CALL_PENDING, "unexpectedly blocking accept()");
	uint64_t waited = ops->now(st) - t;
	ok(waited >= 200000 && waited < 1000000, "reported after a %llu us grace",
	   (unsigned long long)waited);
	int s5 = tcp_socket();
	with_addr(STACK_CONNECT, s5, &a);
	ok(wait_event(1000) && ev.kind == STACK_EV_CALL_DONE && ev.call == acc2,
	   "then completes as an event");

	/* A write bigger than the send buffer, not marked blocking: what fits
	 * goes at once, the rest blocks on a thread (PENDING); as the peer
	 * reads, it completes with the whole length, as a blocking send does. */
	int small = 4096;
	int l3 = tcp_socket();
	struct sockaddr_in a3 = lo_addr(9002);
	c = mk(0, STACK_SETSOCKOPT, l3);
	c->a[0] = SOL_SOCKET;
	c->a[1] = SO_RCVBUF;
	c->in = (const uint8_t *)&small;
	c->in_len = sizeof(small);
	run(c);
	with_addr(STACK_BIND, l3, &a3);
	call2(STACK_LISTEN, l3, 1, 0);
	int w1 = tcp_socket();
	c = mk(0, STACK_SETSOCKOPT, w1);
	c->a[0] = SOL_SOCKET;
	c->a[1] = SO_SNDBUF;
	c->in = (const uint8_t *)&small;
	c->in_len = sizeof(small);
	run(c);
	is_int(with_addr(STACK_CONNECT, w1, &a3), 0, "connect a writer (small buffers both ends)");
	c = mk(0, STACK_ACCEPT, l3);
	int r1 = (int)run(c);
	ok(r1 >= 0, "accept the reader");
	static uint8_t big[1000000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	struct stack_call *wr = mk(3, STACK_WRITE, w1);
	wr->in = big;
	wr->in_len = sizeof(big);
	is_int(ops->call(st, wr, &err), STACK_CALL_PENDING, "a 1 MB write blocks part way");
	static uint8_t got[sizeof(big)];
	size_t total = 0;
	bool wdone = false;
	for (int i = 0; i < 1000 && (total < sizeof(big) || !wdone); i++) {
		c = mk(0, STACK_READ, r1);
		c->out_cap = 65536;
		c->a[0] = MSG_DONTWAIT;
		if (run(c) > 0 && total + c->out_len <= sizeof(got)) {
			memcpy(got + total, c->out, c->out_len);
			total += c->out_len;
		}
		if (ops->next_event(st, &ev) && ev.kind == STACK_EV_CALL_DONE && ev.call == wr)
			wdone = true;
		else if (total < sizeof(big))
			ops->advance(st, ops->now(st) + 1000);
	}
	ok(wdone, "the write completed as an event");
	is_int(wr->ret, (long)sizeof(big), "write() = the whole length");
	is_uint(total, sizeof(big), "the reader got every byte");
	ok(memcmp(got, big, sizeof(big)) == 0, "in order");

	/* TCP_INFO on a loopback connection */
	c = mk(0, STACK_GETSOCKOPT, cl);
	c->a[0] = IPPROTO_TCP;
	c->a[1] = TCP_INFO;
	c->out_cap = 8; /* the script asks for less: the neutral copy is full */
	is_int(run(c), 0, "getsockopt(TCP_INFO, 8 bytes)");
	is_uint(c->out_len, 8, "8 bytes returned");
	ok(c->has_tcp_info && c->tcp_info.snd_mss > 0, "neutral tcp_info filled (snd_mss %u)",
	   c->tcp_info.snd_mss);

	is_int(call2(STACK_CLOSE, ep, 0, 0), 0, "close(epoll)");
	is_int(call2(STACK_CLOSE, sv, 0, 0), 0, "close()");
	ops->stop(st);
	done_testing();
}
