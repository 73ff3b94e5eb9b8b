/* The Linux stack's socket calls: every enum stack_op onto the real syscall,
 * in the helper child (so inside the script's namespace).
 *
 * lx_call_exec is synchronous and thread-safe: the child runs each call on a
 * syscall thread of its own (linux_child.c), so a call that blocks — the
 * script said it may, or the kernel disagrees with the script — never stalls
 * the capture loop. Descriptors are the kernel's own numbers in the child;
 * only descriptors a script call created are usable, so a script can't close
 * or read the capture socket or the control socketpair.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "stacks/kernel_tcp_info.h"
#include "stacks/linux_priv.h"

/* ---- descriptors the script owns --------------------------------------------- */

#define MAX_FD 4096

static pthread_mutex_t fd_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t script_fd[MAX_FD / 8];
static uint16_t busy[MAX_FD]; /* syscall threads in flight per descriptor */
static char cc_fallback[16];

bool lx_calls_is_script_fd(int fd)
{
	if (fd < 0 || fd >= MAX_FD)
		return false;
	pthread_mutex_lock(&fd_lock);
	bool r = script_fd[fd / 8] & (1u << (fd % 8));
	pthread_mutex_unlock(&fd_lock);
	return r;
}

static void own_fd(int fd, bool owned)
{
	if (fd < 0)
		return;
	if (fd >= MAX_FD) {
		/* Out of our table: give it back rather than leak it untracked. */
		if (owned)
			close(fd);
		return;
	}
	pthread_mutex_lock(&fd_lock);
	if (owned)
		script_fd[fd / 8] |= (uint8_t)(1u << (fd % 8));
	else
		script_fd[fd / 8] &= (uint8_t) ~(1u << (fd % 8));
	pthread_mutex_unlock(&fd_lock);
}

static short wake_events[MAX_FD]; /* what wakes the last threaded call per fd */

void lx_calls_track(enum stack_op op, int fd, int delta)
{
	if (fd < 0 || fd >= MAX_FD)
		return;
	short ev = 0;
	if (op == STACK_ACCEPT || op == STACK_READ)
		ev = POLLIN;
	else if (op == STACK_CONNECT || op == STACK_WRITE)
		ev = POLLOUT;
	pthread_mutex_lock(&fd_lock);
	busy[fd] = (uint16_t)(busy[fd] + delta);
	if (delta > 0)
		wake_events[fd] = ev;
	pthread_mutex_unlock(&fd_lock);
}

static bool ready(int fd, short events);

/* packetdrill never starts a syscall while its syscall thread is busy, so
 * `+.1 < R.` ending a blocking connect() followed by `+0 getsockopt(...,
 * SO_ERROR)` sees the connect return first. Here the connect's thread may
 * not have run yet when the next call arrives, and the getsockopt would
 * take the error out from under it. So a call on a descriptor whose
 * threaded call has been woken (its poll condition holds) waits for that
 * thread to finish, at most 20 ms; one still genuinely blocked doesn't. */
void lx_calls_settle(int fd)
{
	if (fd < 0 || fd >= MAX_FD)
		return;
	for (int i = 0; i < 400; i++) {
		pthread_mutex_lock(&fd_lock);
		bool b = busy[fd] != 0;
		short ev = wake_events[fd];
		pthread_mutex_unlock(&fd_lock);
		if (!b || !ev || !ready(fd, ev))
			return;
		struct timespec t = { 0, 50000 };
		nanosleep(&t, NULL);
	}
}

static bool is_busy(int fd)
{
	if (fd < 0 || fd >= MAX_FD)
		return false;
	pthread_mutex_lock(&fd_lock);
	bool b = busy[fd] != 0;
	pthread_mutex_unlock(&fd_lock);
	return b;
}

void lx_calls_set_cc_fallback(const char *cc)
{
	pthread_mutex_lock(&fd_lock);
	snprintf(cc_fallback, sizeof(cc_fallback), "%s", cc ? cc : "");
	pthread_mutex_unlock(&fd_lock);
}

/* ---- TCP_INFO -------------------------------------------------------------- */

/* ---- the calls ----------------------------------------------------------------- */

static size_t cap_of(const struct stack_call *c)
{
	return c->out_cap < sizeof(c->out) ? c->out_cap : sizeof(c->out);
}

static void do_poll(struct stack_call *c)
{
	struct pollfd p[STACK_MAX_POLLFDS];
	int n = c->npfds < 0 ? 0 : c->npfds > STACK_MAX_POLLFDS ? STACK_MAX_POLLFDS : c->npfds;
	int invalid = 0;
	for (int i = 0; i < n; i++) {
		/* A descriptor the script doesn't own reads as closed: -1 makes
		 * poll skip it and POLLNVAL is what Linux reports for it. */
		bool mine = lx_calls_is_script_fd(c->pfds[i].fd);
		p[i].fd = mine ? c->pfds[i].fd : -1;
		p[i].events = c->pfds[i].events;
		p[i].revents = 0;
		invalid += (!mine && c->pfds[i].fd >= 0);
	}
	c->ret = poll(p, (nfds_t)n, invalid ? 0 : (int)c->a[0]);
	c->err = errno;
	for (int i = 0; i < n; i++) {
		bool nval = !lx_calls_is_script_fd(c->pfds[i].fd) && c->pfds[i].fd >= 0;
		c->pfds[i].revents = nval ? POLLNVAL : p[i].revents;
	}
	if (c->ret >= 0)
		c->ret += invalid;
}

static void do_epoll_wait(struct stack_call *c)
{
	int max = (int)c->a[0];
	int room = (int)(sizeof(c->out) / sizeof(struct epoll_event));
	struct epoll_event *ev = (struct epoll_event *)(void *)c->out;
	c->ret = epoll_wait(c->fd, ev, max < room ? max : room, (int)c->a[1]);
	c->err = errno;
	c->out_len = c->ret > 0 ? (size_t)c->ret * sizeof(struct epoll_event) : 0;
}

static void do_getsockopt(struct stack_call *c)
{
	socklen_t len = (socklen_t)cap_of(c);
	c->ret = getsockopt(c->fd, (int)c->a[0], (int)c->a[1], c->out, &len);
	c->err = errno;
	c->out_len = c->ret == 0 ? len : 0;
	if (c->ret == 0 && c->a[0] == IPPROTO_TCP && c->a[1] == TCP_INFO) {
		/* The script may ask for fewer bytes than the whole struct;
		 * the neutral copy always gets all the kernel has. */
		uint8_t full[512];
		socklen_t flen = sizeof(full);
		if (getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, full, &flen) == 0) {
			stack_tcp_info_from_kernel(full, flen, &c->tcp_info);
			c->has_tcp_info = true;
		}
	}
}

static void after_socket(struct stack_call *c)
{
	if (c->ret < 0)
		return;
	own_fd((int)c->ret, true);
	int type = (int)c->a[1] & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	bool tcp = type == SOCK_STREAM && (c->a[2] == 0 || c->a[2] == IPPROTO_TCP) &&
	           (c->a[0] == AF_INET || c->a[0] == AF_INET6);
	char cc[sizeof(cc_fallback)];
	pthread_mutex_lock(&fd_lock);
	memcpy(cc, cc_fallback, sizeof(cc));
	pthread_mutex_unlock(&fd_lock);
	if (tcp && cc[0])
		(void)setsockopt((int)c->ret, IPPROTO_TCP, TCP_CONGESTION, cc,
		                 (socklen_t)strlen(cc));
}

static bool nonblocking_fd(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl >= 0 && (fl & O_NONBLOCK);
}

static bool ready(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	return poll(&p, 1, 0) == 1 && (p.revents & (events | POLLERR | POLLHUP));
}

static bool lingers(int fd)
{
	struct linger l = { 0 };
	socklen_t len = sizeof(l);
	return getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len) == 0 && l.l_onoff && l.l_linger;
}

/* Tries a call that the script didn't mark blocking without ever blocking
 * the caller: either it completes here exactly as the blocking syscall
 * would have (true, results filled), or it must go to a syscall thread
 * (false) — after `*carry` bytes of a write already went out, which the
 * thread adds to its result. Saves a thread and its wake-ups, which cost
 * milliseconds on a loaded machine, for the common calls that return at
 * once: a write with room in the buffer, a read with data queued, an
 * accept with a connection waiting. */
bool lx_call_try_now(struct stack_call *c, size_t *carry)
{
	*carry = 0;
	if (c->may_block)
		return false;
	if (lx_call_cannot_block(c)) {
		lx_call_exec(c);
		return true;
	}
	bool mine = lx_calls_is_script_fd(c->fd);
	long flags = c->a[0];
	switch (c->op) {
	case STACK_READ:
		if (mine && !(flags & MSG_WAITALL)) {
			/* Data, EOF or an error: the blocking recv returns the
			 * same. Nothing yet: it would wait, so a thread does. */
			c->a[0] = flags | MSG_DONTWAIT;
			lx_call_exec(c);
			c->a[0] = flags;
			return !(c->ret < 0 && (c->err == EAGAIN || c->err == EWOULDBLOCK));
		}
		break;
	case STACK_WRITE:
		if (mine) {
			c->a[0] = flags | MSG_DONTWAIT;
			lx_call_exec(c);
			c->a[0] = flags;
			if (c->ret >= 0 && (size_t)c->ret < c->in_len) {
				/* Partly sent: a blocking send goes on with the
				 * rest, so the thread does. */
				*carry = (size_t)c->ret;
				c->in += *carry;
				c->in_len -= *carry;
				return false;
			}
			return !(c->ret < 0 && (c->err == EAGAIN || c->err == EWOULDBLOCK));
		}
		break;
	case STACK_ACCEPT:
		/* A queued connection, and no thread that could take it
		 * first: accept() returns it at once. */
		if (mine && !is_busy(c->fd) && ready(c->fd, POLLIN))
			break;
		return false;
	case STACK_CLOSE:
		if (mine && !lingers(c->fd))
			break;
		return false;
	case STACK_POLL:
	case STACK_EPOLL_WAIT: {
		/* Ready now: the same answer as waiting. */
		long *timeout = c->op == STACK_POLL ? &c->a[0] : &c->a[1];
		long t = *timeout;
		*timeout = 0;
		lx_call_exec(c);
		*timeout = t;
		return c->ret != 0 || t == 0;
	}
	default:
		break;
	}
	if (!mine || c->op == STACK_ACCEPT || c->op == STACK_CLOSE) {
		lx_call_exec(c);
		return true;
	}
	return false;
}

bool lx_call_cannot_block(const struct stack_call *c)
{
	switch (c->op) {
	case STACK_SOCKET:
	case STACK_BIND:
	case STACK_LISTEN:
	case STACK_SHUTDOWN:
	case STACK_SETSOCKOPT:
	case STACK_GETSOCKOPT:
	case STACK_FCNTL:
	case STACK_IOCTL:
	case STACK_EPOLL_CREATE:
	case STACK_EPOLL_CTL:
	case STACK_GETSOCKNAME:
	case STACK_GETPEERNAME:
		return true;
	case STACK_READ:
	case STACK_WRITE:
		return (c->a[0] & MSG_DONTWAIT) || nonblocking_fd(c->fd);
	case STACK_ACCEPT:
	case STACK_CONNECT:
		return nonblocking_fd(c->fd);
	default:
		return false;
	}
}

static bool needs_fd(enum stack_op op)
{
	return op != STACK_SOCKET && op != STACK_POLL && op != STACK_EPOLL_CREATE;
}

void lx_call_exec(struct stack_call *c)
{
	c->ret = -1;
	c->err = 0;
	c->out_len = 0;
	c->has_tcp_info = false;
	errno = 0;
	if (needs_fd(c->op) && !lx_calls_is_script_fd(c->fd)) {
		c->err = EBADF;
		c->done_us = lx_mono_ns() / 1000;
		return;
	}
	socklen_t alen = (socklen_t)cap_of(c);
	switch (c->op) {
	case STACK_SOCKET:
		c->ret = socket((int)c->a[0], (int)c->a[1], (int)c->a[2]);
		c->err = errno;
		after_socket(c);
		break;
	case STACK_BIND:
		c->ret = bind(c->fd, (const struct sockaddr *)c->in, (socklen_t)c->in_len);
		c->err = errno;
		break;
	case STACK_LISTEN:
		c->ret = listen(c->fd, (int)c->a[0]);
		c->err = errno;
		break;
	case STACK_ACCEPT:
		/* Plain accept(): stack.h gives ACCEPT no flags, so a[] is not
		 * read (a reused call struct must not turn into accept4 flags). */
		c->ret =
		    accept(c->fd, alen ? (struct sockaddr *)c->out : NULL, alen ? &alen : NULL);
		c->err = errno;
		c->out_len = c->ret >= 0 ? alen : 0;
		own_fd(c->ret >= 0 ? (int)c->ret : -1, true);
		break;
	case STACK_CONNECT:
		c->ret = connect(c->fd, (const struct sockaddr *)c->in, (socklen_t)c->in_len);
		c->err = errno;
		break;
	case STACK_READ:
		c->ret = recv(c->fd, c->out, cap_of(c), (int)c->a[0]);
		c->err = errno;
		c->out_len = c->ret > 0 ? (size_t)c->ret : 0;
		break;
	case STACK_WRITE:
		/* MSG_NOSIGNAL: a write to a reset connection is EPIPE for the
		 * script to match, not a SIGPIPE that kills the namespace. */
		c->ret = send(c->fd, c->in, c->in_len, (int)c->a[0] | MSG_NOSIGNAL);
		c->err = errno;
		break;
	case STACK_CLOSE:
		/* Linux releases the descriptor even when close fails. */
		own_fd(c->fd, false);
		c->ret = close(c->fd);
		c->err = errno;
		break;
	case STACK_SHUTDOWN:
		c->ret = shutdown(c->fd, (int)c->a[0]);
		c->err = errno;
		break;
	case STACK_SETSOCKOPT:
		c->ret = setsockopt(c->fd, (int)c->a[0], (int)c->a[1], c->in, (socklen_t)c->in_len);
		c->err = errno;
		break;
	case STACK_GETSOCKOPT:
		do_getsockopt(c);
		break;
	case STACK_FCNTL:
		c->ret = fcntl(c->fd, (int)c->a[0], c->a[1]);
		c->err = errno;
		break;
	case STACK_IOCTL: {
		/* SIOCINQ/SIOCOUTQ/SIOCOUTQNSD return an int through the
		 * pointer; FIONBIO and friends read one (a[1]). out = that int. */
		int v = (int)c->a[1];
		c->ret = ioctl(c->fd, (unsigned long)c->a[0], &v);
		c->err = errno;
		memcpy(c->out, &v, sizeof(v));
		c->out_len = c->ret >= 0 ? sizeof(v) : 0;
		break;
	}
	case STACK_POLL:
		do_poll(c);
		break;
	case STACK_EPOLL_CREATE:
		c->ret = epoll_create1(0);
		c->err = errno;
		own_fd(c->ret >= 0 ? (int)c->ret : -1, true);
		break;
	case STACK_EPOLL_CTL: {
		struct epoll_event ev = { .events = (uint32_t)c->a[2] };
		ev.data.fd = (int)c->a[1];
		if (!lx_calls_is_script_fd((int)c->a[1])) {
			c->err = EBADF;
			break;
		}
		c->ret = epoll_ctl(c->fd, (int)c->a[0], (int)c->a[1], &ev);
		c->err = errno;
		break;
	}
	case STACK_EPOLL_WAIT:
		do_epoll_wait(c);
		break;
	case STACK_GETSOCKNAME:
		c->ret = getsockname(c->fd, (struct sockaddr *)c->out, &alen);
		c->err = errno;
		c->out_len = c->ret == 0 ? alen : 0;
		break;
	case STACK_GETPEERNAME:
		c->ret = getpeername(c->fd, (struct sockaddr *)c->out, &alen);
		c->err = errno;
		c->out_len = c->ret == 0 ? alen : 0;
		break;
	default:
		c->err = ENOSYS;
		break;
	}
	if (c->ret >= 0)
		c->err = 0;
	c->done_us = lx_mono_ns() / 1000;
}
