/* The engine stack: the synack engine in virtual time behind stack.h.
 *
 * A discrete-event loop: advance() jumps the clock straight to the engine's
 * next deadline or the executor's target, whichever is first, and stops at
 * a deadline that produced something, so the script can act in between. A
 * 60 s TIME_WAIT costs a handful of iterations, not 60 s.
 *
 * The engine's calls never block (they return -EAGAIN / -EINPROGRESS); this
 * layer gives blocking sockets their semantics: it tracks O_NONBLOCK per fd
 * (fcntl, SOCK_NONBLOCK), parks a call that would block, and retries every
 * parked call after each input, timer and call, using synack_poll() to
 * decide when one can complete.
 *
 * After each of those the engine checks itself (synack_check_invariants,
 * state changes along RFC 9293's diagram included): every script run on
 * this stack is also a test of the engine's invariants, and the first
 * violation fails the script through stack_ops.fault.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "stacks/pinned_sysctls.h"
#include "stacks/stack.h"
#include "synack/engine.h"

#define MAX_FDS            1024
#define MAX_PARKED         64
#define MAX_PENDING_EVENTS 4096
/* epoll instances live in this layer (the engine has none), numbered far
 * above the engine's descriptors so the two never collide. */
#define EPOLL_BASE  100000
#define MAX_EPOLLS  16
#define EPOLL_WATCH 64

struct epoll_inst {
	bool used;
	int n;
	struct {
		int fd;
		uint32_t events;
		uint64_t data;
	} w[EPOLL_WATCH];
};

struct queued {
	enum stack_event_kind kind;
	uint64_t time_us;
	uint64_t timer_len_us; /* stack_event.timer_len_us */
	uint8_t *pkt;
	size_t len;
	struct stack_call *call;
};

struct parked {
	struct stack_call *call;
	uint64_t deadline; /* poll timeout; SYNACK_NEVER: none */
};

struct stack {
	struct stack_config cfg;
	struct synack_profile prof;
	struct synack_stack *st; /* created lazily: header sysctls come first */
	uint64_t now;
	bool nonblock[MAX_FDS];
	struct queued *q;
	size_t nq, qhead, qcap;
	struct parked parked[MAX_PARKED];
	int nparked;
	bool overflow;
	struct epoll_inst ep[MAX_EPOLLS];
	char fault[256]; /* the first broken invariant; "" while none */
};

static struct epoll_inst *epoll_of(struct stack *s, int fd)
{
	int i = fd - EPOLL_BASE;
	return i >= 0 && i < MAX_EPOLLS && s->ep[i].used ? &s->ep[i] : NULL;
}

/* epoll_create / epoll_ctl / epoll_wait, level-triggered, on synack_poll. */
static long epoll_op(struct stack *s, struct stack_call *c, bool *wait)
{
	*wait = false;
	if (c->op == STACK_EPOLL_CREATE) {
		for (int i = 0; i < MAX_EPOLLS; i++)
			if (!s->ep[i].used) {
				memset(&s->ep[i], 0, sizeof s->ep[i]);
				s->ep[i].used = true;
				return EPOLL_BASE + i;
			}
		return -EMFILE;
	}
	struct epoll_inst *ep = epoll_of(s, c->fd);
	if (!ep)
		return -EBADF;
	if (c->op == STACK_EPOLL_CTL) {
		int fd = (int)c->a[1];
		if (synack_poll(s->st, fd) == -EBADF)
			return -EBADF;
		int k = -1;
		for (int i = 0; i < ep->n; i++)
			if (ep->w[i].fd == fd)
				k = i;
		switch (c->a[0]) {
		case EPOLL_CTL_ADD:
			if (k >= 0)
				return -EEXIST;
			if (ep->n == EPOLL_WATCH)
				return -ENOSPC;
			ep->w[ep->n].fd = fd;
			ep->w[ep->n].events = (uint32_t)c->a[2];
			ep->w[ep->n].data = (uint64_t)fd;
			ep->n++;
			return 0;
		case EPOLL_CTL_MOD:
			if (k < 0)
				return -ENOENT;
			ep->w[k].events = (uint32_t)c->a[2];
			return 0;
		case EPOLL_CTL_DEL:
			if (k < 0)
				return -ENOENT;
			ep->w[k] = ep->w[--ep->n];
			return 0;
		default:
			return -EINVAL;
		}
	}
	/* EPOLL_WAIT */
	int max = (int)c->a[0];
	if (max <= 0)
		return -EINVAL;
	size_t cap = c->out_cap < sizeof c->out ? c->out_cap : sizeof c->out;
	int ready = 0;
	for (int i = 0; i < ep->n && ready < max; i++) {
		int m = synack_poll(s->st, ep->w[i].fd);
		uint32_t ev = m < 0 ? 0 : (uint32_t)m & (ep->w[i].events | EPOLLERR | EPOLLHUP);
		if (!ev)
			continue;
		struct epoll_event e = { .events = ev, .data.u64 = ep->w[i].data };
		if ((size_t)(ready + 1) * sizeof e <= cap)
			memcpy(c->out + (size_t)ready * sizeof e, &e, sizeof e);
		ready++;
	}
	c->out_len = (size_t)ready * sizeof(struct epoll_event);
	if (!ready && c->a[1] != 0)
		*wait = true;
	return ready;
}

/* ---- the event queue ------------------------------------------------------------ */

static void push(struct stack *s, enum stack_event_kind kind, const uint8_t *pkt, size_t len,
                 struct stack_call *call)
{
	if (s->nq - s->qhead >= MAX_PENDING_EVENTS) {
		s->overflow = true; /* a runaway stack: the executor fails on the gap */
		return;
	}
	if (s->nq == s->qcap) {
		/* Compact consumed entries before growing. */
		if (s->qhead) {
			memmove(s->q, s->q + s->qhead, (s->nq - s->qhead) * sizeof *s->q);
			s->nq -= s->qhead;
			s->qhead = 0;
		}
		if (s->nq == s->qcap) {
			size_t cap = s->qcap ? s->qcap * 2 : 64;
			struct queued *v = realloc(s->q, cap * sizeof *v);
			if (!v) {
				s->overflow = true;
				return;
			}
			s->q = v;
			s->qcap = cap;
		}
	}
	struct queued *e = &s->q[s->nq++];
	e->kind = kind;
	e->time_us = s->now;
	e->timer_len_us = 0;
	if (pkt && s->st) {
		int64_t len_us = synack_firing_timer_len(s->st);
		e->timer_len_us = len_us > 0 ? (uint64_t)len_us : 0;
	}
	e->call = call;
	e->pkt = NULL;
	e->len = 0;
	if (pkt) {
		e->pkt = malloc(len);
		if (e->pkt) {
			memcpy(e->pkt, pkt, len);
			e->len = len;
		}
	}
}

static void emit(void *ctx, const uint8_t *pkt, size_t len)
{
	push(ctx, STACK_EV_PACKET, pkt, len, NULL);
}

static bool queued(const struct stack *s)
{
	return s->nq > s->qhead;
}

/* ---- lifecycle -------------------------------------------------------------------- */

static int engine_start(struct stack **out, const struct stack_config *cfg, struct stack_error *err)
{
	if (cfg->tso_segments) {
		/* A script written per TSO skb expects segments no wire carries. */
		snprintf(err->msg, sizeof err->msg,
		         "unsupported: --segments=tso on stack engine (it sends wire segments)");
		return -1;
	}
	struct stack *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err->msg, sizeof err->msg, "out of memory");
		return -1;
	}
	s->cfg = *cfg;
	const char *profile = cfg->profile && *cfg->profile ? cfg->profile : "linux";
	if (!synack_profile_by_name(profile, &s->prof)) {
		snprintf(err->msg, sizeof err->msg, "unknown engine profile '%s' (linux, rfc)",
		         profile);
		free(s);
		return -1;
	}
	/* A linux profile starts every script from the settings the Linux
	 * stack pins (stacks/pinned_sysctls.c); what the engine does not model
	 * (TCP Fast Open, tcp_notsent_lowat) it has no knob for. The rfc
	 * profile keeps its own. */
	if (strcmp(profile, "rfc") != 0)
		for (size_t i = 0; i < stack_n_pinned_sysctls; i++) {
			const struct pinned_sysctl *ps = &stack_pinned_sysctls[i];
			int rc = synack_profile_sysctl(&s->prof, ps->name, ps->value);
			if (rc < 0 && rc != -ENOENT) {
				snprintf(err->msg, sizeof err->msg, "engine: sysctl %s=%s: %s",
				         ps->name, ps->value, strerror(-rc));
				free(s);
				return -1;
			}
		}
	if (cfg->mtu)
		s->prof.mtu = cfg->mtu;
	*out = s;
	return 0;
}

/* The engine itself, created on first use so header sysctls shape its
 * profile before any socket exists. */
static struct synack_stack *eng(struct stack *s)
{
	if (s->st)
		return s->st;
	struct synack_env env = { .emit = emit, .ctx = s, .seed = s->cfg.seed };
	s->st = synack_stack_new(&s->prof, &env);
	if (s->st) {
		synack_add_address(s->st, &s->cfg.local_ip);
		synack_advance(s->st, s->now);
	}
	return s->st;
}

static void engine_stop(struct stack *s)
{
	if (!s)
		return;
	if (s->st)
		synack_stack_free(s->st);
	for (size_t i = s->qhead; i < s->nq; i++)
		free(s->q[i].pkt);
	free(s->q);
	free(s);
}

static uint64_t engine_now(struct stack *s)
{
	return s->now;
}

/* ---- calls ------------------------------------------------------------------------- */

static bool is_nonblock(const struct stack *s, int fd)
{
	return fd >= 0 && fd < MAX_FDS && s->nonblock[fd];
}

static void result(struct stack_call *c, long r)
{
	c->ret = r < 0 ? -1 : r;
	c->err = r < 0 ? (int)-r : 0;
}

/* Readiness of one pollfd, as poll(2) reports it. */
static short revents(struct stack *s, const struct stack_pollfd *p)
{
	int m = synack_poll(eng(s), p->fd);
	if (m < 0)
		return POLLNVAL;
	return (short)(m & (p->events | POLLERR | POLLHUP | POLLNVAL));
}

/* A read. On a blocking socket Linux's tcp_recvmsg_locked copies what is
 * queued, then sleeps until it has copied its target — SO_RCVLOWAT's bytes
 * (at most the length asked), all of them with MSG_WAITALL — woken only
 * when tcp_data_ready finds SO_RCVLOWAT's bytes queued (synack_poll's
 * POLLIN), the end of stream or an error; with data copied, those end the
 * call with the data. MSG_PEEK and MSG_OOB reads wait for anything. */
static bool read_call(struct stack *s, struct stack_call *c, bool may_wait, bool first, long *r)
{
	struct synack_stack *st = eng(s);
	int flags = (int)c->a[0];
	size_t cap = c->out_cap < sizeof c->out ? c->out_cap : sizeof c->out;
	bool blocking = may_wait && !(flags & MSG_DONTWAIT);
	if (!blocking || (flags & (MSG_PEEK | MSG_OOB))) {
		*r = synack_recv(st, c->fd, c->out, cap, flags);
		if (*r == -EAGAIN && blocking)
			return false;
		c->out_len = *r > 0 ? (size_t)*r : 0;
		return true;
	}
	if (first)
		c->out_len = 0;
	else if (!(synack_poll(st, c->fd) & (POLLIN | POLLHUP | POLLERR)))
		return false;
	*r = synack_recv(st, c->fd, c->out + c->out_len, cap - c->out_len, flags & ~MSG_WAITALL);
	if (*r > 0)
		c->out_len += (size_t)*r;
	int lowat = 1;
	socklen_t len = sizeof lowat;
	synack_getsockopt(st, c->fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, &len);
	size_t target = (flags & MSG_WAITALL) || (size_t)lowat > cap ? cap : (size_t)lowat;
	if (*r == -EAGAIN || (*r > 0 && c->out_len < target))
		return false;
	if (c->out_len)
		*r = (long)c->out_len;
	return true;
}

/* A write. On a blocking socket Linux's tcp_sendmsg_locked queues all of
 * it: whenever the send buffer is full it pushes what it queued and sleeps
 * in sk_stream_wait_memory until sk_stream_write_space wakes it (synack_poll's
 * POLLOUT: free space at least half of what is queued), an error or a
 * shutdown; those end the call with the bytes queued, if any (do_error).
 * MSG_DONTWAIT and O_NONBLOCK writes return what fitted at once. */
static bool write_call(struct stack *s, struct stack_call *c, bool may_wait, bool first, long *r)
{
	struct synack_stack *st = eng(s);
	int flags = (int)c->a[0];
	if (!may_wait || (flags & MSG_DONTWAIT)) {
		*r = synack_send(st, c->fd, c->in, c->in_len, flags);
		return true;
	}
	if (first) {
		c->written = 0;
	} else {
		int m = synack_poll(st, c->fd);
		if (!(m & (POLLOUT | POLLERR | POLLHUP)))
			return false;
		/* Woken by an error or a shutdown with bytes queued: those are
		 * the result and the error stays for the next call. */
		if (c->written && (m & (POLLERR | POLLHUP))) {
			*r = (long)c->written;
			return true;
		}
	}
	*r = synack_send(st, c->fd, c->in + c->written, c->in_len - c->written, flags);
	if (*r > 0)
		c->written += (size_t)*r;
	if (*r == -EAGAIN || (*r > 0 && c->written < c->in_len))
		return false;
	if (c->written)
		*r = (long)c->written;
	return true;
}

/* Tries the call once. Returns true when it completed (results filled),
 * false when a blocking socket would wait. */
static bool attempt(struct stack *s, struct stack_call *c, bool first)
{
	struct synack_stack *st = eng(s);
	bool may_wait = !is_nonblock(s, c->fd);
	long r = 0;
	switch (c->op) {
	case STACK_SOCKET:
		r = synack_socket(st, (int)c->a[0], (int)c->a[1], (int)c->a[2]);
		if (r >= 0 && r < MAX_FDS)
			s->nonblock[r] = (c->a[1] & SOCK_NONBLOCK) != 0;
		break;
	case STACK_BIND:
		r = synack_bind(st, c->fd, (const struct sockaddr *)c->in, (socklen_t)c->in_len);
		break;
	case STACK_LISTEN:
		r = synack_listen(st, c->fd, (int)c->a[0]);
		break;
	case STACK_ACCEPT: {
		socklen_t len =
		    (socklen_t)(c->out_cap < sizeof c->out ? c->out_cap : sizeof c->out);
		r = synack_accept(st, c->fd, (struct sockaddr *)c->out, &len);
		if (r == -EAGAIN && may_wait)
			return false;
		c->out_len = r >= 0 ? len : 0;
		if (r >= 0 && r < MAX_FDS)
			s->nonblock[r] = false; /* accept() does not inherit O_NONBLOCK */
		break;
	}
	case STACK_CONNECT:
		if (first) {
			r = synack_connect(st, c->fd, (const struct sockaddr *)c->in,
			                   (socklen_t)c->in_len);
			if (r != -EINPROGRESS || !may_wait)
				break;
		}
		/* A blocking connect returns when the handshake ends either way. */
		{
			int m = synack_poll(st, c->fd);
			if (m >= 0 && !(m & (POLLOUT | POLLERR | POLLHUP)))
				return false;
			int soerr = 0;
			socklen_t len = sizeof soerr;
			synack_getsockopt(st, c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
			r = soerr ? -soerr : 0;
		}
		break;
	case STACK_READ:
		if (!read_call(s, c, may_wait, first, &r))
			return false;
		break;
	case STACK_WRITE:
		if (!write_call(s, c, may_wait, first, &r))
			return false;
		break;
	case STACK_EPOLL_CREATE:
	case STACK_EPOLL_CTL:
	case STACK_EPOLL_WAIT: {
		bool wait;
		r = epoll_op(s, c, &wait);
		if (wait)
			return false;
		break;
	}
	case STACK_CLOSE:
		if (epoll_of(s, c->fd)) {
			s->ep[c->fd - EPOLL_BASE].used = false;
			r = 0;
			break;
		}
		r = synack_close(st, c->fd);
		if (r == 0 && c->fd >= 0 && c->fd < MAX_FDS)
			s->nonblock[c->fd] = false;
		break;
	case STACK_SHUTDOWN:
		r = synack_shutdown(st, c->fd, (int)c->a[0]);
		break;
	case STACK_SETSOCKOPT:
		r = synack_setsockopt(st, c->fd, (int)c->a[0], (int)c->a[1], c->in,
		                      (socklen_t)c->in_len);
		break;
	case STACK_GETSOCKOPT: {
		socklen_t len =
		    (socklen_t)(c->out_cap < sizeof c->out ? c->out_cap : sizeof c->out);
		r = synack_getsockopt(st, c->fd, (int)c->a[0], (int)c->a[1], c->out, &len);
		c->out_len = r == 0 ? len : 0;
		if (r == 0 && c->a[0] == IPPROTO_TCP && c->a[1] == TCP_INFO)
			c->has_tcp_info = synack_tcp_info(st, c->fd, &c->tcp_info) == 0;
		break;
	}
	case STACK_FCNTL:
		/* O_NONBLOCK lives here: the engine itself never blocks. */
		if (synack_poll(st, c->fd) == -EBADF) {
			r = -EBADF;
		} else if (c->a[0] == F_GETFL) {
			r = O_RDWR | (is_nonblock(s, c->fd) ? O_NONBLOCK : 0);
		} else if (c->a[0] == F_SETFL) {
			if (c->fd >= 0 && c->fd < MAX_FDS)
				s->nonblock[c->fd] = (c->a[1] & O_NONBLOCK) != 0;
			r = 0;
		} else if (c->a[0] == F_GETFD || c->a[0] == F_SETFD) {
			r = 0;
		} else {
			r = -EINVAL;
		}
		break;
	case STACK_IOCTL: {
		int v = 0;
		r = synack_ioctl(st, c->fd, (unsigned long)c->a[0], &v);
		if (r == 0) {
			memcpy(c->out, &v, sizeof v);
			c->out_len = sizeof v;
		}
		break;
	}
	case STACK_POLL: {
		int ready = 0;
		for (int i = 0; i < c->npfds; i++) {
			c->pfds[i].revents = revents(s, &c->pfds[i]);
			ready += c->pfds[i].revents != 0;
		}
		if (!ready && c->a[0] != 0)
			return false; /* waits: until ready or its timeout (retry) */
		r = ready;
		break;
	}
	case STACK_GETSOCKNAME:
	case STACK_GETPEERNAME: {
		socklen_t len =
		    (socklen_t)(c->out_cap < sizeof c->out ? c->out_cap : sizeof c->out);
		r = c->op == STACK_GETSOCKNAME
		        ? synack_getsockname(st, c->fd, (struct sockaddr *)c->out, &len)
		        : synack_getpeername(st, c->fd, (struct sockaddr *)c->out, &len);
		c->out_len = r == 0 ? len : 0;
		break;
	}
	default:
		r = -EOPNOTSUPP;
		break;
	}
	result(c, r);
	c->done_us = s->now;
	return true;
}

/* Retries parked calls in the order they were made. */
static void retry(struct stack *s)
{
	for (int i = 0; i < s->nparked;) {
		struct parked *p = &s->parked[i];
		bool done = attempt(s, p->call, false);
		if (!done && p->deadline <= s->now) {
			/* poll() timed out with nothing ready. */
			result(p->call, 0);
			p->call->done_us = s->now;
			done = true;
		}
		if (done) {
			push(s, STACK_EV_CALL_DONE, NULL, 0, p->call);
			memmove(p, p + 1, sizeof *p * (size_t)(s->nparked - i - 1));
			s->nparked--;
		} else {
			i++;
		}
	}
}

/* After every input, timer and call: the parked calls that can now
 * complete, then the engine's self-check (the first failure is kept). */
static void settle_calls_and_check(struct stack *s)
{
	retry(s);
	if (s->st && !s->fault[0])
		synack_check_invariants(s->st, s->fault, sizeof s->fault);
}

static const char *engine_fault(struct stack *s)
{
	return s->fault[0] ? s->fault : NULL;
}

static int engine_call(struct stack *s, struct stack_call *c, struct stack_error *err)
{
	if (!eng(s)) {
		snprintf(err->msg, sizeof err->msg, "engine: cannot allocate the stack");
		return -1;
	}
	bool done = attempt(s, c, true);
	if (!done) {
		if (s->nparked == MAX_PARKED) {
			snprintf(err->msg, sizeof err->msg, "engine: more than %d blocked calls",
			         MAX_PARKED);
			return -1;
		}
		uint64_t deadline = SYNACK_NEVER;
		if (c->op == STACK_POLL && c->a[0] > 0)
			deadline = s->now + (uint64_t)c->a[0] * 1000;
		if (c->op == STACK_EPOLL_WAIT && c->a[1] > 0)
			deadline = s->now + (uint64_t)c->a[1] * 1000;
		s->parked[s->nparked++] = (struct parked){ c, deadline };
	}
	/* A call can unblock another (a write wakes nobody here, but a close
	 * or shutdown can end a blocked read). */
	settle_calls_and_check(s);
	return done ? STACK_CALL_DONE : STACK_CALL_PENDING;
}

/* ---- time and the wire -------------------------------------------------------------- */

static uint64_t next_wakeup(struct stack *s)
{
	uint64_t d = s->st ? synack_next_deadline(s->st) : SYNACK_NEVER;
	for (int i = 0; i < s->nparked; i++)
		if (s->parked[i].deadline < d)
			d = s->parked[i].deadline;
	return d;
}

static int engine_advance(struct stack *s, uint64_t until)
{
	/* Bounded: a deadline that never moves would otherwise spin forever. */
	for (int guard = 0; guard < 1000000 && !queued(s); guard++) {
		uint64_t d = next_wakeup(s);
		uint64_t t = d < until ? d : until;
		if (t < s->now)
			t = s->now;
		s->now = t;
		/* A timer due exactly when the script acts next fires after
		 * it, as synack_input lets a packet of its instant go first. */
		if (s->st && t == until && d >= until)
			synack_settle(s->st, t);
		else if (s->st)
			synack_advance(s->st, t);
		settle_calls_and_check(s);
		if (t >= until || queued(s))
			return 0;
	}
	return 0;
}

static bool engine_next_event(struct stack *s, struct stack_event *ev)
{
	if (!queued(s))
		return false;
	struct queued *e = &s->q[s->qhead++];
	ev->kind = e->kind;
	ev->time_us = e->time_us;
	ev->timer_len_us = e->timer_len_us;
	ev->call = e->call;
	ev->len = e->len < sizeof ev->pkt ? e->len : sizeof ev->pkt;
	if (e->pkt)
		memcpy(ev->pkt, e->pkt, ev->len);
	free(e->pkt);
	if (s->qhead == s->nq)
		s->qhead = s->nq = 0;
	return true;
}

static int engine_inject(struct stack *s, const uint8_t *pkt, size_t len, struct stack_error *err)
{
	if (!eng(s)) {
		snprintf(err->msg, sizeof err->msg, "engine: cannot allocate the stack");
		return -1;
	}
	/* The engine takes TCP and ICMP errors (engine/src/icmp.c); anything
	 * else it would silently drop must not let a script that depends on
	 * it pass or fail for the wrong reason. */
	uint8_t proto = len > 9 && pkt[0] >> 4 == 4 ? pkt[9] : len > 6 ? pkt[6] : 0;
	if (proto != IPPROTO_TCP && proto != IPPROTO_ICMP && proto != IPPROTO_ICMPV6) {
		snprintf(err->msg, sizeof err->msg, "unsupported: non-TCP packets on stack engine");
		return -1;
	}
	synack_input(s->st, s->now, pkt, len);
	settle_calls_and_check(s);
	return 0;
}

/* ---- commands: sysctls onto the profile ---------------------------------------------- */

/* One `sysctl [-q] [-w] name=value` command. */
static int one_command(struct stack *s, const char *cmd, struct stack_error *err)
{
	char buf[1024];
	snprintf(buf, sizeof buf, "%.1000s", cmd);
	char *p = buf + strspn(buf, " \t");
	/* `echo V > /proc/sys/net/ipv4/tcp_X`: older scripts' way to sysctl. */
	if (strncmp(p, "echo ", 5) == 0) {
		char *gt = strchr(p, '>');
		char *path = gt ? gt + 1 + strspn(gt + 1, " \t") : NULL;
		if (path && strncmp(path, "/proc/sys/", 10) == 0) {
			*gt = '\0';
			char conv[1024];
			char *v = p + 5;
			size_t n = strlen(v);
			while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
				v[--n] = '\0';
			snprintf(conv, sizeof conv, "sysctl %.400s=%.400s", path + 10, v);
			return one_command(s, conv, err);
		}
	}
	if (strncmp(p, "sysctl", 6) != 0 || (p[6] != ' ' && p[6] != '\t')) {
		snprintf(err->msg, sizeof err->msg, "unsupported: command `%.200s` on stack engine",
		         p);
		return -1;
	}
	p += 6;
	for (;;) {
		p += strspn(p, " \t");
		if (*p != '-')
			break;
		if (strncmp(p, "-q", 2) && strncmp(p, "-w", 2) && strncmp(p, "-e", 2)) {
			snprintf(err->msg, sizeof err->msg,
			         "unsupported: sysctl option %.20s on stack engine", p);
			return -1;
		}
		p += strcspn(p, " \t");
	}
	char *eq = strchr(p, '=');
	if (!eq) {
		snprintf(err->msg, sizeof err->msg,
		         "unsupported: sysctl read `%.200s` on stack engine", p);
		return -1;
	}
	*eq = '\0';
	char *name = p, *value = eq + 1;
	size_t n = strlen(name);
	while (n && (name[n - 1] == ' ' || name[n - 1] == '\t'))
		name[--n] = '\0';
	value += strspn(value, " \t");
	n = strlen(value);
	while (n && (value[n - 1] == ' ' || value[n - 1] == '\t' || value[n - 1] == '\n'))
		value[--n] = '\0';
	if (n >= 2 && (value[0] == '"' || value[0] == '\'') && value[n - 1] == value[0]) {
		value[n - 1] = '\0';
		value++;
	}
	/* Sysctls also come as paths: /proc/sys/net/ipv4/tcp_sack. */
	for (char *q = name; *q; q++)
		if (*q == '/')
			*q = '.';
	/* The engine's profile applies to the live stack too: its tunables
	 * are read where they are used. */
	struct synack_profile *prof =
	    s->st ? (struct synack_profile *)synack_get_profile(s->st) : &s->prof;
	int r = synack_profile_sysctl(prof, name, value);
	if (r == -ENOENT) {
		snprintf(err->msg, sizeof err->msg, "unsupported: sysctl %.200s on stack engine",
		         name);
		return -1;
	}
	if (r < 0) {
		snprintf(err->msg, sizeof err->msg, "sysctl %.100s: bad value '%.100s'", name,
		         value);
		return -1;
	}
	if (s->st)
		s->prof = *prof;
	return 0;
}

static int engine_command(struct stack *s, const char *cmd, struct stack_error *err)
{
	/* `a; b` and `a && b`: each part in turn. */
	char buf[1024];
	snprintf(buf, sizeof buf, "%.1000s", cmd);
	char *p = buf;
	while (p && *p) {
		char *next = NULL;
		char *semi = strchr(p, ';'), *and = strstr(p, "&&");
		char *cut = semi && (!and || semi < and) ? semi : and;
		if (cut) {
			next = cut + (cut == and? 2 : 1);
			*cut = '\0';
		}
		if (p[strspn(p, " \t\n")] != '\0' && one_command(s, p, err) < 0)
			return -1;
		p = next;
	}
	return 0;
}

const struct stack_ops stack_engine_ops = {
	.name = "engine",
	.start = engine_start,
	.stop = engine_stop,
	.now = engine_now,
	.advance = engine_advance,
	.next_event = engine_next_event,
	.inject = engine_inject,
	.call = engine_call,
	.command = engine_command,
	.fault = engine_fault,
};
