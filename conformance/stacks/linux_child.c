/* The Linux stack's helper child: the only process that ever enters the
 * script's network namespace.
 *
 * After fork it arms PR_SET_PDEATHSIG (so it can't outlive the executor),
 * unshares a network namespace, builds the rig and the wire, pins the
 * sysctls, reports LX_READY, then loops: one poll over the control socket and
 * the capture descriptor. Captured packets go up at once as LX_PACKET with
 * the kernel's timestamp; each socket call runs on a syscall thread of its
 * own and reports LX_CALL_DONE when it returns; injections and commands run
 * inline and answer LX_REPLY. When the control socket closes (the executor
 * stopped or died) the child exits and the namespace goes with it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "stacks/linux_priv.h"

/* ---- messages -------------------------------------------------------------- */

static pthread_mutex_t send_lock = PTHREAD_MUTEX_INITIALIZER;

static int write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		/* MSG_NOSIGNAL: a peer that died is an error to report, not a
		 * SIGPIPE that kills the executor. */
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)n };
		ssize_t w = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

int lx_msg_send(int fd, const struct lx_msg *m, const void *p1, size_t n1, const void *p2,
                size_t n2)
{
	struct lx_msg h = *m;
	h.len = (uint32_t)(n1 + n2);
	struct iovec iov[3] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)p1, .iov_len = n1 },
		{ .iov_base = (void *)p2, .iov_len = n2 },
	};
	pthread_mutex_lock(&send_lock);
	int rc = write_all(fd, iov, 3);
	pthread_mutex_unlock(&send_lock);
	return rc;
}

static int read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len > 0) {
		ssize_t r = read(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

int lx_msg_recv(int fd, struct lx_msg *m, uint8_t **payload)
{
	*payload = NULL;
	if (read_all(fd, m, sizeof(*m)) < 0)
		return -1;
	if (m->len > LX_MAX_PAYLOAD + sizeof(struct lx_call_req) + sizeof(struct lx_call_rep))
		return -1;
	if (m->len == 0)
		return 0;
	*payload = malloc(m->len + 1);
	if (!*payload || read_all(fd, *payload, m->len) < 0) {
		free(*payload);
		*payload = NULL;
		return -1;
	}
	(*payload)[m->len] = 0; /* commands and messages are strings */
	return 0;
}

/* ---- the child --------------------------------------------------------------- */

static int ctl = -1;

static void reply_at(uint32_t type, int32_t status, const char *text, int64_t mono_ns)
{
	struct lx_msg m = { .type = type, .status = status, .mono_ns = mono_ns };
	(void)lx_msg_send(ctl, &m, text, text ? strlen(text) : 0, NULL, 0);
}

static void reply(uint32_t type, int32_t status, const char *text)
{
	reply_at(type, status, text, 0);
}

static void on_packet(void *ctx, uint64_t mono_ns, const uint8_t *ip, size_t len)
{
	(void)ctx;
	struct lx_msg m = { .type = LX_PACKET, .mono_ns = (int64_t)mono_ns };
	(void)lx_msg_send(ctl, &m, ip, len, NULL, 0);
}

struct pending {
	uint32_t id;
	size_t carry;           /* bytes of a write already sent by lx_call_try_now */
	struct stack_call call; /* in points at in_buf */
	uint8_t in_buf[];
};

/* Reports a finished call and frees it. */
static void finish(struct pending *p)
{
	struct lx_call_rep rep = {
		.ret = p->call.ret,
		.err = p->call.err,
		.has_tcp_info = p->call.has_tcp_info,
		.out_len = p->call.out_len,
		.done_ns = (int64_t)p->call.done_us * 1000,
		.tcp_info = p->call.tcp_info,
	};
	memcpy(rep.pfds, p->call.pfds, sizeof(rep.pfds));
	struct lx_msg m = { .type = LX_CALL_DONE, .id = p->id };
	(void)lx_msg_send(ctl, &m, &rep, sizeof(rep), p->call.out, p->call.out_len);
	free(p);
}

static void *syscall_thread(void *arg)
{
	struct pending *p = arg;
	struct stack_call *c = &p->call;
	lx_call_exec(c);
	enum stack_op op = c->op;
	int fd = c->fd;
	if (p->carry) {
		/* A blocking send reports what it sent before an error. */
		if (c->ret >= 0) {
			c->ret += (long)p->carry;
		} else {
			c->ret = (long)p->carry;
			c->err = 0;
		}
	}
	finish(p);
	/* Only now: a call waiting in lx_calls_settle runs after our result
	 * is on its way to the executor. */
	lx_calls_track(op, fd, -1);
	return NULL;
}

static void start_call(uint32_t id, const uint8_t *payload, size_t len)
{
	struct lx_call_req req;
	if (len < sizeof(req))
		_exit(3); /* protocol error: the parent is broken */
	memcpy(&req, payload, sizeof(req));
	size_t in_len = len - sizeof(req);
	struct pending *p = calloc(1, sizeof(*p) + in_len);
	if (!p)
		_exit(4);
	p->id = id;
	memcpy(p->in_buf, payload + sizeof(req), in_len);
	struct stack_call *c = &p->call;
	c->op = (enum stack_op)req.op;
	c->fd = req.fd;
	memcpy(c->a, req.a, sizeof(c->a));
	c->in = p->in_buf;
	c->in_len = in_len;
	c->out_cap = req.out_cap;
	c->npfds = req.npfds;
	memcpy(c->pfds, req.pfds, sizeof(c->pfds));
	c->may_block = req.may_block;

	lx_calls_settle(c->fd);
	if (lx_call_try_now(c, &p->carry)) {
		finish(p);
		return;
	}
	lx_calls_track(c->op, c->fd, +1);
	/* One thread per call that could block: a blocking accept() must not
	 * hold up the capture loop, nor the write() the script issues next on
	 * another socket. */
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* Real time like the helper (which has SCHED_RESET_ON_FORK, so a new
	 * thread would not inherit it): a blocking connect() sends its SYN
	 * from this thread, and a thread left waiting behind other people's
	 * builds sent it 4+ ms late when four scripts ran at once. */
	struct sched_param sp = { .sched_priority = 1 };
	if ((sched_getscheduler(0) & ~SCHED_RESET_ON_FORK) == SCHED_FIFO) {
		pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
		pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
		pthread_attr_setschedparam(&attr, &sp);
	}
	pthread_t t;
	int rc = pthread_create(&t, &attr, syscall_thread, p);
	pthread_attr_destroy(&attr);
	if (rc != 0)
		syscall_thread(p); /* out of threads: run inline rather than fail */
}

static void handle(struct lx_wire *w, const struct lx_msg *m, const uint8_t *payload)
{
	char err[256] = "";
	switch (m->type) {
	case LX_INJECT: {
		/* The reply says when the frame went in, for the jitter note:
		 * the executor asked at m->mono_ns. */
		int64_t at = (int64_t)lx_mono_ns();
		int rc = lx_wire_inject(w, payload, m->len, err, sizeof(err));
		reply_at(LX_REPLY, rc, rc < 0 ? err : NULL, at);
		break;
	}
	case LX_CALL:
		start_call(m->id, payload, m->len);
		break;
	case LX_COMMAND: {
		char note[256];
		int rc = lx_command_run(payload ? (const char *)payload : "", err, sizeof(err),
		                        note, sizeof(note));
		/* On success the payload is a note for stack_ops.notes. */
		reply(LX_REPLY, rc == 0 ? 0 : -1, rc == 0 ? note : err);
		break;
	}
	default:
		_exit(5);
	}
}

void lx_child_main(int sock, const struct stack_config *cfg)
{
	ctl = sock;
	signal(SIGPIPE, SIG_IGN);
	/* Background processes a command starts re-parent to us, not to init,
	 * so shutdown can wait for them (lx_command_cleanup). */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* Real time, like the executor's thread (linux_stack.c raise_priority);
	 * RESET_ON_FORK: commands' shells run normally; syscall threads are
	 * made real time explicitly (start_call). */
	if (lx_rt_wanted()) {
		struct sched_param sp = { .sched_priority = 1 };
		(void)sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp);
	}

	char err[256] = "", notes[512] = "";
	bool skip = false, cc_fallback = false;
	struct lx_net net;
	lx_net_from_config(cfg, &net);
	if (lx_netns_enter(err, sizeof(err), &skip) < 0 ||
	    lx_netns_setup(&net, err, sizeof(err), &skip) < 0 ||
	    lx_sysctl_pin_defaults(&cc_fallback, notes, sizeof(notes), err, sizeof(err)) < 0) {
		reply(LX_READY, skip ? 1 : -1, err);
		_exit(0);
	}
	if (cc_fallback)
		lx_calls_set_cc_fallback("cubic");
	struct lx_wire *w = lx_wire_open(&net, err, sizeof(err));
	if (!w) {
		reply(LX_READY, -1, err);
		_exit(0);
	}
	struct lx_msg ready = { .type = LX_READY, .status = 0, .mono_ns = (int64_t)lx_mono_ns() };
	(void)lx_msg_send(ctl, &ready, notes, strlen(notes), NULL, 0);

	struct pollfd pfd[2] = { { .fd = ctl, .events = POLLIN },
		                 { .fd = lx_wire_fd(w), .events = POLLIN } };
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(6);
		}
		/* Captures first: they are older than anything we're asked next. */
		if (pfd[1].revents & POLLIN)
			(void)lx_wire_drain(w, on_packet, NULL);
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			struct lx_msg m;
			uint8_t *payload;
			if (lx_msg_recv(ctl, &m, &payload) < 0)
				break; /* the executor is gone: so are we */
			handle(w, &m, payload);
			free(payload);
		}
	}
	/* No cleanup of sockets or the rig: _exit drops the last reference to
	 * the namespace and the kernel tears it all down. Only background
	 * processes a command left behind would hold it: those go first. */
	lx_command_cleanup();
	lx_wire_close(w);
	_exit(0);
}
