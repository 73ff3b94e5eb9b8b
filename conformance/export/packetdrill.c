/* libsynack-packetdrill.so: the synack engine behind packetdrill's
 * shared-object interface (packetdrill_abi.h), so packetdrill users can run
 * their scripts against the engine with `packetdrill --so_filename=...`.
 *
 * It is the engine stack (stacks/engine.c) driven through the interface:
 * socket calls become stack calls, netdev_send injects, netdev_receive
 * hands out the packets the engine emitted, and usleep/gettimeofday are
 * the engine's virtual clock, so a 60 s TIME_WAIT takes no wall time.
 * Blocking calls: packetdrill makes them on its syscall thread; here that
 * thread waits (on a condition variable) until the engine completes the
 * call, which happens when another thread injects a packet or moves time.
 *
 * Flags (--so_flags), blank- or comma-separated NAME=VALUE: local_ip,
 * remote_ip (the script's peer), ip_version (4, 6, 46), mtu, seed, and
 * profile (linux, rfc). Defaults: packetdrill's addresses 192.168.0.1 and
 * 192.0.2.1, IPv4, 1500, 0, linux.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/packetdrill_abi.h"
#include "stacks/stack.h"

#define MAX_PKTS    4096
#define MAX_BLOCKED 64

struct pkt {
	long long time_us;
	size_t len;
	uint8_t *data;
};

struct pd {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct stack *st;
	struct stack_event *ev;
	struct pkt q[MAX_PKTS];
	int qhead, qn;
	struct stack_call *blocked[MAX_BLOCKED];
	bool done[MAX_BLOCKED];
	bool closing;
	unsigned completions;        /* blocked calls completed, ever */
	unsigned blocked_now;        /* callers waiting for the engine now */
	unsigned long blocked_total; /* calls that ever had to wait */
	unsigned active;             /* callers inside call() */
	char profile[32];
};

#define OPS stack_engine_ops

/* Under the lock: collects what the engine reported. */
static void pump(struct pd *p)
{
	while (OPS.next_event(p->st, p->ev)) {
		if (p->ev->kind == STACK_EV_PACKET) {
			if (p->qn == MAX_PKTS)
				continue;
			struct pkt *k = &p->q[(p->qhead + p->qn) % MAX_PKTS];
			k->data = malloc(p->ev->len);
			if (!k->data)
				continue;
			memcpy(k->data, p->ev->pkt, p->ev->len);
			k->len = p->ev->len;
			k->time_us = (long long)p->ev->time_us;
			p->qn++;
		} else {
			for (int i = 0; i < MAX_BLOCKED; i++)
				if (p->blocked[i] == p->ev->call && !p->done[i]) {
					p->done[i] = true;
					p->blocked_now--; /* no longer waiting, as of now */
				}
			p->completions++;
			pthread_cond_broadcast(&p->cv);
		}
	}
}

/* Makes a call; a blocking one waits for the engine. Returns the result
 * with errno set, as the interface wants. */
static long call(struct pd *p, struct stack_call *c)
{
	struct stack_error err = { 0 };
	pthread_mutex_lock(&p->mu);
	if (p->closing) {
		pthread_mutex_unlock(&p->mu);
		errno = EBADF;
		return -1;
	}
	p->active++;
	int r = OPS.call(p->st, c, &err);
	if (r < 0) {
		p->active--;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		errno = EOPNOTSUPP;
		return -1;
	}
	if (r == STACK_CALL_PENDING) {
		int slot = -1;
		for (int i = 0; i < MAX_BLOCKED && slot < 0; i++)
			if (!p->blocked[i])
				slot = i;
		if (slot < 0) {
			p->active--;
			pthread_mutex_unlock(&p->mu);
			errno = ENOMEM;
			return -1;
		}
		p->blocked[slot] = c;
		p->done[slot] = false;
		p->blocked_now++;
		p->blocked_total++;
		pump(p);
		while (!p->done[slot] && !p->closing)
			pthread_cond_wait(&p->cv, &p->mu);
		p->blocked[slot] = NULL;
		if (!p->done[slot]) {
			p->blocked_now--;
			p->active--;
			pthread_cond_broadcast(&p->cv);
			pthread_mutex_unlock(&p->mu);
			errno = EINTR;
			return -1;
		}
	}
	pump(p);
	p->active--;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	if (c->ret < 0) {
		errno = c->err ? c->err : EIO;
		return -1;
	}
	return c->ret;
}

static struct stack_call *new_call(enum stack_op op, int fd)
{
	struct stack_call *c = calloc(1, sizeof *c);
	if (c) {
		c->op = op;
		c->fd = fd;
	}
	return c;
}

#define NEW(op, fd)                                  \
	struct stack_call *c = new_call((op), (fd)); \
	if (!c) {                                    \
		errno = ENOMEM;                      \
		return -1;                           \
	}

static int pd_socket(void *u, int domain, int type, int protocol)
{
	NEW(STACK_SOCKET, -1);
	c->a[0] = domain;
	c->a[1] = type;
	c->a[2] = protocol;
	long r = call(u, c);
	free(c);
	return (int)r;
}

static int addr_call(void *u, enum stack_op op, int fd, const struct sockaddr *a, socklen_t len)
{
	NEW(op, fd);
	c->in = (const uint8_t *)a;
	c->in_len = len;
	long r = call(u, c);
	free(c);
	return (int)r;
}

static int pd_bind(void *u, int fd, const struct sockaddr *a, socklen_t len)
{
	return addr_call(u, STACK_BIND, fd, a, len);
}

static int pd_connect(void *u, int fd, const struct sockaddr *a, socklen_t len)
{
	return addr_call(u, STACK_CONNECT, fd, a, len);
}

static int pd_listen(void *u, int fd, int backlog)
{
	NEW(STACK_LISTEN, fd);
	c->a[0] = backlog;
	long r = call(u, c);
	free(c);
	return (int)r;
}

static int pd_accept(void *u, int fd, struct sockaddr *a, socklen_t *len)
{
	NEW(STACK_ACCEPT, fd);
	c->out_cap = len ? *len : 0;
	long r = call(u, c);
	if (r >= 0 && a && len) {
		size_t n = c->out_len < *len ? c->out_len : *len;
		memcpy(a, c->out, n);
		*len = (socklen_t)c->out_len;
	}
	free(c);
	return (int)r;
}

static ssize_t pd_recv(void *u, int fd, void *buf, size_t n, int flags)
{
	NEW(STACK_READ, fd);
	c->a[0] = flags;
	c->out_cap = n < sizeof c->out ? n : sizeof c->out;
	long r = call(u, c);
	if (r > 0)
		memcpy(buf, c->out, (size_t)r);
	free(c);
	return r;
}

static ssize_t pd_read(void *u, int fd, void *buf, size_t n)
{
	return pd_recv(u, fd, buf, n, 0);
}

static ssize_t pd_send(void *u, int fd, const void *buf, size_t n, int flags)
{
	NEW(STACK_WRITE, fd);
	c->a[0] = flags;
	c->in = buf;
	c->in_len = n;
	long r = call(u, c);
	free(c);
	return r;
}

static ssize_t pd_write(void *u, int fd, const void *buf, size_t n)
{
	return pd_send(u, fd, buf, n, 0);
}

static ssize_t pd_writev(void *u, int fd, const struct iovec *iov, int iovcnt)
{
	size_t total = 0;
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	uint8_t *buf = malloc(total ? total : 1);
	if (!buf) {
		errno = ENOMEM;
		return -1;
	}
	size_t off = 0;
	for (int i = 0; i < iovcnt; i++) {
		memcpy(buf + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	ssize_t r = pd_send(u, fd, buf, total, 0);
	free(buf);
	return r;
}

static ssize_t pd_readv(void *u, int fd, const struct iovec *iov, int iovcnt)
{
	size_t total = 0;
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	uint8_t *buf = malloc(total ? total : 1);
	if (!buf) {
		errno = ENOMEM;
		return -1;
	}
	ssize_t r = pd_recv(u, fd, buf, total, 0);
	size_t off = 0;
	for (int i = 0; i < iovcnt && r > 0 && off < (size_t)r; i++) {
		size_t k = iov[i].iov_len < (size_t)r - off ? iov[i].iov_len : (size_t)r - off;
		memcpy(iov[i].iov_base, buf + off, k);
		off += k;
	}
	free(buf);
	return r;
}

static int pd_close(void *u, int fd)
{
	NEW(STACK_CLOSE, fd);
	long r = call(u, c);
	free(c);
	return (int)r;
}

static int pd_shutdown(void *u, int fd, int how)
{
	NEW(STACK_SHUTDOWN, fd);
	c->a[0] = how;
	long r = call(u, c);
	free(c);
	return (int)r;
}

static int pd_getsockopt(void *u, int fd, int level, int name, void *val, socklen_t *len)
{
	NEW(STACK_GETSOCKOPT, fd);
	c->a[0] = level;
	c->a[1] = name;
	c->out_cap = len ? *len : 0;
	long r = call(u, c);
	if (r == 0 && len) {
		size_t n = c->out_len < *len ? c->out_len : *len;
		memcpy(val, c->out, n);
		*len = (socklen_t)n;
	}
	free(c);
	return (int)r;
}

static int pd_setsockopt(void *u, int fd, int level, int name, const void *val, socklen_t len)
{
	NEW(STACK_SETSOCKOPT, fd);
	c->a[0] = level;
	c->a[1] = name;
	c->in = val;
	c->in_len = len;
	long r = call(u, c);
	free(c);
	return (int)r;
}

static int pd_fcntl(void *u, int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	int arg = va_arg(ap, int);
	va_end(ap);
	NEW(STACK_FCNTL, fd);
	c->a[0] = cmd;
	c->a[1] = arg;
	long r = call(u, c);
	free(c);
	return (int)r;
}

static int pd_ioctl(void *u, int fd, unsigned long request, ...)
{
	va_list ap;
	va_start(ap, request);
	int *arg = va_arg(ap, int *);
	va_end(ap);
	NEW(STACK_IOCTL, fd);
	c->a[0] = (long)request;
	c->out_cap = sizeof(int);
	long r = call(u, c);
	if (r >= 0 && arg && c->out_len >= sizeof(int))
		memcpy(arg, c->out, sizeof(int));
	free(c);
	return (int)r;
}

static int pd_poll(void *u, struct pollfd *fds, nfds_t n, int timeout)
{
	if (n > STACK_MAX_POLLFDS) {
		errno = EINVAL;
		return -1;
	}
	NEW(STACK_POLL, -1);
	c->a[0] = timeout;
	c->npfds = (int)n;
	for (nfds_t i = 0; i < n; i++) {
		c->pfds[i].fd = fds[i].fd;
		c->pfds[i].events = fds[i].events;
	}
	long r = call(u, c);
	for (nfds_t i = 0; i < n; i++)
		fds[i].revents = c->pfds[i].revents;
	free(c);
	return (int)r;
}

static int pd_netdev_send(void *u, const void *buf, size_t count)
{
	struct pd *p = u;
	struct stack_error err = { 0 };
	pthread_mutex_lock(&p->mu);
	int r = OPS.inject(p->st, buf, count, &err);
	pump(p);
	pthread_mutex_unlock(&p->mu);
	return r < 0 ? -1 : 0;
}

static int pd_netdev_receive(void *u, void *buf, size_t *count, long long *time_usecs)
{
	struct pd *p = u;
	pthread_mutex_lock(&p->mu);
	pump(p);
	if (!p->qn) {
		*count = 0;
		pthread_mutex_unlock(&p->mu);
		return 0;
	}
	struct pkt *k = &p->q[p->qhead];
	size_t n = k->len < *count ? k->len : *count;
	memcpy(buf, k->data, n);
	*count = n;
	if (time_usecs)
		*time_usecs = k->time_us;
	free(k->data);
	p->qhead = (p->qhead + 1) % MAX_PKTS;
	p->qn--;
	pthread_mutex_unlock(&p->mu);
	return 0;
}

/* Under the lock: time runs to `until` or the first report. */
static void run_to(struct pd *p, uint64_t until, bool stop_at_event)
{
	unsigned c0 = p->completions;
	while (OPS.now(p->st) < until) {
		OPS.advance(p->st, until);
		pump(p);
		if (stop_at_event && (p->qn || p->completions != c0))
			return;
	}
}

static int pd_usleep(void *u, useconds_t usec)
{
	struct pd *p = u;
	pthread_mutex_lock(&p->mu);
	run_to(p, OPS.now(p->st) + usec, false);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

static int pd_gettimeofday(void *u, struct timeval *tv, struct timezone *tz)
{
	struct pd *p = u;
	(void)tz;
	pthread_mutex_lock(&p->mu);
	uint64_t now = OPS.now(p->st);
	pthread_mutex_unlock(&p->mu);
	tv->tv_sec = (time_t)(now / 1000000u);
	tv->tv_usec = (suseconds_t)(now % 1000000u);
	return 0;
}

static int pd_epoll_create(void *u, int size)
{
	(void)size;
	NEW(STACK_EPOLL_CREATE, -1);
	long r = call(u, c);
	free(c);
	return (int)r;
}

static int pd_epoll_ctl(void *u, int epfd, int op, int fd, struct epoll_event *ev)
{
	NEW(STACK_EPOLL_CTL, epfd);
	c->a[0] = op;
	c->a[1] = fd;
	c->a[2] = ev ? (long)ev->events : 0;
	long r = call(u, c);
	free(c);
	return (int)r;
}

static int pd_epoll_wait(void *u, int epfd, struct epoll_event *evs, int max, int timeout)
{
	NEW(STACK_EPOLL_WAIT, epfd);
	c->a[0] = max;
	c->a[1] = timeout;
	c->out_cap = sizeof c->out;
	long r = call(u, c);
	if (r > 0) {
		size_t n =
		    c->out_len < (size_t)max * sizeof *evs ? c->out_len : (size_t)max * sizeof *evs;
		memcpy(evs, c->out, n);
	}
	free(c);
	return (int)r;
}

static void pd_free(void *u)
{
	struct pd *p = u;
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->closing = true;
	pthread_cond_broadcast(&p->cv);
	/* Blocked callers leave with EINTR; wait until every one has. */
	while (p->active)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	OPS.stop(p->st);
	while (p->qn) {
		free(p->q[p->qhead].data);
		p->qhead = (p->qhead + 1) % MAX_PKTS;
		p->qn--;
	}
	free(p->ev);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}

/* The synack extensions (packetdrill_abi.h). */
__attribute__((visibility("default"))) int synack_packetdrill_advance(void *u, long long until);
int synack_packetdrill_advance(void *u, long long until)
{
	struct pd *p = u;
	pthread_mutex_lock(&p->mu);
	pump(p);
	bool any = p->qn > 0;
	for (int i = 0; i < MAX_BLOCKED; i++)
		if (p->blocked[i] && p->done[i])
			any = true;
	if (!any && until > 0)
		run_to(p, (uint64_t)until, true);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

__attribute__((visibility("default"))) int synack_packetdrill_blocked(void *u,
                                                                      unsigned long *total);
int synack_packetdrill_blocked(void *u, unsigned long *total)
{
	struct pd *p = u;
	pthread_mutex_lock(&p->mu);
	int n = (int)p->blocked_now;
	if (total)
		*total = p->blocked_total;
	pthread_mutex_unlock(&p->mu);
	return n;
}

__attribute__((visibility("default"))) int synack_packetdrill_command(void *u, const char *cmd,
                                                                      char *msg, size_t cap);
int synack_packetdrill_command(void *u, const char *cmd, char *msg, size_t cap)
{
	struct pd *p = u;
	struct stack_error err = { 0 };
	pthread_mutex_lock(&p->mu);
	int r = OPS.command(p->st, cmd, &err);
	pthread_mutex_unlock(&p->mu);
	if (r < 0)
		snprintf(msg, cap, "%s", err.msg);
	return r;
}

static int parse_addr(const char *s, struct synack_addr *a)
{
	memset(a, 0, sizeof *a);
	if (inet_pton(AF_INET, s, a->bytes) == 1) {
		a->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->bytes) == 1) {
		a->family = 6;
		return 0;
	}
	return -1;
}

__attribute__((visibility("default"))) void
packetdrill_interface_init(const char *flags, struct packetdrill_interface *pi);
void packetdrill_interface_init(const char *flags, struct packetdrill_interface *pi)
{
	struct pd *p = calloc(1, sizeof *p);
	if (!p || !(p->ev = malloc(sizeof *p->ev))) {
		free(p);
		return; /* no userdata, no callbacks: packetdrill reports it */
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	struct stack_config cfg = { .ip_version = 4, .mtu = 1500 };
	parse_addr("192.168.0.1", &cfg.local_ip);
	parse_addr("192.0.2.1", &cfg.remote_ip);
	for (const char *f = flags ? flags : ""; *f;) {
		f += strspn(f, " ,\t");
		size_t n = strcspn(f, " ,\t");
		char kv[128];
		snprintf(kv, sizeof kv, "%.*s", (int)n, f);
		f += n;
		char *eq = strchr(kv, '=');
		if (!eq)
			continue;
		*eq++ = 0;
		if (strcmp(kv, "local_ip") == 0)
			parse_addr(eq, &cfg.local_ip);
		else if (strcmp(kv, "remote_ip") == 0)
			parse_addr(eq, &cfg.remote_ip);
		else if (strcmp(kv, "ip_version") == 0)
			cfg.ip_version = atoi(eq);
		else if (strcmp(kv, "mtu") == 0)
			cfg.mtu = (uint16_t)atoi(eq);
		else if (strcmp(kv, "seed") == 0)
			cfg.seed = strtoull(eq, NULL, 0);
		else if (strcmp(kv, "profile") == 0)
			snprintf(p->profile, sizeof p->profile, "%s", eq);
	}
	cfg.profile = p->profile[0] ? p->profile : NULL;
	struct stack_error err = { 0 };
	if (OPS.start(&p->st, &cfg, &err) < 0) {
		fprintf(stderr, "libsynack-packetdrill: %s\n", err.msg);
		free(p->ev);
		free(p);
		return;
	}
	pi->userdata = p;
	pi->free = pd_free;
	pi->socket = pd_socket;
	pi->bind = pd_bind;
	pi->listen = pd_listen;
	pi->accept = pd_accept;
	pi->connect = pd_connect;
	pi->read = pd_read;
	pi->readv = pd_readv;
	pi->recv = pd_recv;
	pi->write = pd_write;
	pi->writev = pd_writev;
	pi->send = pd_send;
	pi->fcntl = pd_fcntl;
	pi->ioctl = pd_ioctl;
	pi->close = pd_close;
	pi->shutdown = pd_shutdown;
	pi->getsockopt = pd_getsockopt;
	pi->setsockopt = pd_setsockopt;
	pi->poll = pd_poll;
	pi->netdev_send = pd_netdev_send;
	pi->netdev_receive = pd_netdev_receive;
	pi->usleep = pd_usleep;
	pi->gettimeofday = pd_gettimeofday;
	pi->epoll_create = pd_epoll_create;
	pi->epoll_ctl = pd_epoll_ctl;
	pi->epoll_wait = pd_epoll_wait;
}
