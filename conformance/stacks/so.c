/* The so: stack (so.h): a packetdrill shared-object stack behind stack.h.
 *
 * Calls run on a thread each (a library's blocking call blocks that thread,
 * as packetdrill's syscall thread does); a call not back within a few
 * milliseconds of wall time is reported pending and its return becomes a
 * STACK_EV_CALL_DONE later. Packets go in through netdev_send and come out
 * through netdev_receive, polled after every step.
 *
 * Time: when the library gives usleep and gettimeofday, its clock is the
 * stack's (virtual time for a user-space stack); advance moves it with the
 * library's synack_packetdrill_advance when exported, else in usleep steps.
 * Without them, the real clock (CLOCK_MONOTONIC) and nanosleep.
 */
#include <dlfcn.h>
#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "export/packetdrill_abi.h"
#include "stacks/kernel_tcp_info.h"
#include "stacks/so.h"

#define MAX_JOBS   32
#define MAX_QUEUED 1024
/* Without the blocked-call extension, how long a call may take before it is
 * taken to be blocked: a call the script marks blocking is expected to, one
 * it does not is given longer. */
#define CALL_WAIT_BLOCKING_MS 50
#define CALL_WAIT_MS          500

struct job {
	struct stack *s;
	struct stack_call *c;
	pthread_t thread;
	bool used, done, reported;
};

struct qpkt {
	uint64_t time_us;
	size_t len;
	uint8_t *pkt;
};

struct stack {
	void *dl;
	struct packetdrill_interface pd;
	synack_packetdrill_advance_t advance_ext;
	synack_packetdrill_command_t command_ext;
	synack_packetdrill_blocked_t blocked_ext;
	bool stopping; /* under mu: the library is being freed, leave it alone */
	bool virt;
	uint64_t t0;      /* the library's (or monotonic) clock at start, us */
	uint64_t step_us; /* usleep step without the extension */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job jobs[MAX_JOBS];
	struct qpkt q[MAX_QUEUED];
	int qhead, qn;
	uint8_t *buf; /* 64 KiB receive buffer */
};

static uint64_t raw_now(struct stack *s)
{
	if (s->virt) {
		struct timeval tv = { 0 };
		s->pd.gettimeofday(s->pd.userdata, &tv, NULL);
		return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
	}
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t so_now(struct stack *s)
{
	uint64_t t = raw_now(s);
	return t > s->t0 ? t - s->t0 : 0;
}

/* ---- calls --------------------------------------------------------------------- */

static size_t cap_of(const struct stack_call *c)
{
	return c->out_cap < sizeof c->out ? c->out_cap : sizeof c->out;
}

/* Whether the library implements what this call needs. */
static bool supported(const struct packetdrill_interface *pd, const struct stack_call *c)
{
	switch (c->op) {
	case STACK_SOCKET:
		return pd->socket;
	case STACK_BIND:
		return pd->bind;
	case STACK_LISTEN:
		return pd->listen;
	case STACK_ACCEPT:
		return pd->accept;
	case STACK_CONNECT:
		return pd->connect;
	case STACK_READ:
		return pd->recv || (pd->read && !c->a[0]);
	case STACK_WRITE:
		return pd->send || (pd->write && !c->a[0]);
	case STACK_CLOSE:
		return pd->close;
	case STACK_SHUTDOWN:
		return pd->shutdown;
	case STACK_SETSOCKOPT:
		return pd->setsockopt;
	case STACK_GETSOCKOPT:
		return pd->getsockopt;
	case STACK_FCNTL:
		return pd->fcntl;
	case STACK_IOCTL:
		return pd->ioctl;
	case STACK_POLL:
		return pd->poll;
	case STACK_EPOLL_CREATE:
		return pd->epoll_create;
	case STACK_EPOLL_CTL:
		return pd->epoll_ctl;
	case STACK_EPOLL_WAIT:
		return pd->epoll_wait;
	case STACK_GETSOCKNAME:
	case STACK_GETPEERNAME:
		return false;
	}
	return false;
}

static void do_call(struct stack *s, struct stack_call *c)
{
	const struct packetdrill_interface *pd = &s->pd;
	void *u = pd->userdata;
	long r = -1;
	errno = 0;
	c->out_len = 0;
	switch (c->op) {
	case STACK_SOCKET:
		r = pd->socket(u, (int)c->a[0], (int)c->a[1], (int)c->a[2]);
		break;
	case STACK_BIND:
		r = pd->bind(u, c->fd, (const struct sockaddr *)c->in, (socklen_t)c->in_len);
		break;
	case STACK_CONNECT:
		r = pd->connect(u, c->fd, (const struct sockaddr *)c->in, (socklen_t)c->in_len);
		break;
	case STACK_LISTEN:
		r = pd->listen(u, c->fd, (int)c->a[0]);
		break;
	case STACK_ACCEPT: {
		socklen_t len = (socklen_t)cap_of(c);
		r = pd->accept(u, c->fd, (struct sockaddr *)c->out, &len);
		if (r >= 0)
			c->out_len = len;
		break;
	}
	case STACK_READ:
		r = pd->recv ? pd->recv(u, c->fd, c->out, cap_of(c), (int)c->a[0])
		             : pd->read(u, c->fd, c->out, cap_of(c));
		if (r > 0)
			c->out_len = (size_t)r;
		break;
	case STACK_WRITE:
		r = pd->send ? pd->send(u, c->fd, c->in, c->in_len, (int)c->a[0])
		             : pd->write(u, c->fd, c->in, c->in_len);
		break;
	case STACK_CLOSE:
		r = pd->close(u, c->fd);
		break;
	case STACK_SHUTDOWN:
		r = pd->shutdown(u, c->fd, (int)c->a[0]);
		break;
	case STACK_SETSOCKOPT:
		r = pd->setsockopt(u, c->fd, (int)c->a[0], (int)c->a[1], c->in,
		                   (socklen_t)c->in_len);
		break;
	case STACK_GETSOCKOPT: {
		socklen_t len = (socklen_t)cap_of(c);
		r = pd->getsockopt(u, c->fd, (int)c->a[0], (int)c->a[1], c->out, &len);
		if (r == 0) {
			c->out_len = len;
			if (c->a[0] == IPPROTO_TCP && c->a[1] == TCP_INFO) {
				stack_tcp_info_from_kernel(c->out, len, &c->tcp_info);
				c->has_tcp_info = true;
			}
		}
		break;
	}
	case STACK_FCNTL:
		r = pd->fcntl(u, c->fd, (int)c->a[0], c->a[1]);
		break;
	case STACK_IOCTL: {
		int v = 0;
		r = pd->ioctl(u, c->fd, (unsigned long)c->a[0], &v);
		memcpy(c->out, &v, sizeof v);
		c->out_len = sizeof v;
		break;
	}
	case STACK_POLL: {
		struct pollfd p[STACK_MAX_POLLFDS];
		for (int i = 0; i < c->npfds; i++) {
			p[i].fd = c->pfds[i].fd;
			p[i].events = c->pfds[i].events;
			p[i].revents = 0;
		}
		r = pd->poll(u, p, (nfds_t)c->npfds, (int)c->a[0]);
		for (int i = 0; i < c->npfds; i++)
			c->pfds[i].revents = p[i].revents;
		break;
	}
	case STACK_EPOLL_CREATE:
		r = pd->epoll_create(u, 1);
		break;
	case STACK_EPOLL_CTL: {
		struct epoll_event ev = { .events = (uint32_t)c->a[2] };
		ev.data.fd = (int)c->a[1];
		r = pd->epoll_ctl(u, c->fd, (int)c->a[0], (int)c->a[1], &ev);
		break;
	}
	case STACK_EPOLL_WAIT: {
		struct epoll_event evs[16];
		int max = c->a[0] > 0 && c->a[0] < 16 ? (int)c->a[0] : 16;
		r = pd->epoll_wait(u, c->fd, evs, max, (int)c->a[1]);
		if (r > 0) {
			c->out_len = (size_t)r * sizeof evs[0];
			memcpy(c->out, evs, c->out_len);
		}
		break;
	}
	case STACK_GETSOCKNAME:
	case STACK_GETPEERNAME:
		errno = EOPNOTSUPP;
		break;
	}
	c->ret = r;
	c->err = r < 0 ? errno : 0;
}

static void *job_main(void *arg)
{
	struct job *j = arg;
	do_call(j->s, j->c);
	pthread_mutex_lock(&j->s->mu);
	if (!j->s->stopping)
		j->c->done_us = so_now(j->s);
	j->done = true;
	pthread_cond_broadcast(&j->s->cv);
	pthread_mutex_unlock(&j->s->mu);
	return NULL;
}

static void settle(struct stack *s);

static int so_call(struct stack *s, struct stack_call *c, struct stack_error *err)
{
	if (!supported(&s->pd, c)) {
		snprintf(err->msg, sizeof err->msg,
		         "unsupported: this call on stack so (the library "
		         "does not implement it)");
		return -1;
	}
	struct job *j = NULL;
	pthread_mutex_lock(&s->mu);
	for (int i = 0; i < MAX_JOBS && !j; i++)
		if (!s->jobs[i].used)
			j = &s->jobs[i];
	if (!j) {
		pthread_mutex_unlock(&s->mu);
		snprintf(err->msg, sizeof err->msg, "so: more than %d calls at once", MAX_JOBS);
		return -1;
	}
	*j = (struct job){ .s = s, .c = c, .used = true };
	unsigned long before = 0, now_total = 0;
	if (s->blocked_ext)
		s->blocked_ext(s->pd.userdata, &before);
	if (pthread_create(&j->thread, NULL, job_main, j) != 0) {
		j->used = false;
		pthread_mutex_unlock(&s->mu);
		snprintf(err->msg, sizeof err->msg, "so: cannot start a call thread");
		return -1;
	}
	/* Done, or blocked: the extension says so exactly; without it, a call
	 * still out after a while is taken to be blocked. */
	long limit_ms = s->blocked_ext ? 10000
	                : c->may_block ? CALL_WAIT_BLOCKING_MS
	                               : CALL_WAIT_MS;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!j->done) {
		if (s->blocked_ext) {
			s->blocked_ext(s->pd.userdata, &now_total);
			if (now_total > before)
				break;
		}
		struct timespec now, until;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long el = (now.tv_sec - t0.tv_sec) * 1000L + (now.tv_nsec - t0.tv_nsec) / 1000000L;
		if (el >= limit_ms)
			break;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200000L; /* 0.2 ms */
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->cv, &s->mu, &until);
	}
	bool done = j->done;
	pthread_mutex_unlock(&s->mu);
	if (!done)
		return STACK_CALL_PENDING;
	pthread_join(j->thread, NULL);
	j->used = false;
	settle(s);
	return STACK_CALL_DONE;
}

/* ---- packets and time ------------------------------------------------------------- */

static void poll_packets(struct stack *s)
{
	if (!s->pd.netdev_receive)
		return;
	for (;;) {
		size_t count = 65536;
		long long t = 0;
		if (s->pd.netdev_receive(s->pd.userdata, s->buf, &count, &t) < 0 || !count)
			return;
		if (s->qn == MAX_QUEUED)
			return;
		struct qpkt *q = &s->q[(s->qhead + s->qn) % MAX_QUEUED];
		q->pkt = malloc(count);
		if (!q->pkt)
			return;
		memcpy(q->pkt, s->buf, count);
		q->len = count;
		q->time_us = t > 0 && (uint64_t)t > s->t0 ? (uint64_t)t - s->t0 : so_now(s);
		s->qn++;
	}
}

static bool has_event(struct stack *s)
{
	if (s->qn)
		return true;
	bool any = false;
	pthread_mutex_lock(&s->mu);
	for (int i = 0; i < MAX_JOBS; i++)
		if (s->jobs[i].used && s->jobs[i].done && !s->jobs[i].reported)
			any = true;
	pthread_mutex_unlock(&s->mu);
	return any;
}

/* Waits (up to `ms` of wall time) for a call thread to finish, when one is
 * still in the library. */
static void wait_job_ms(struct stack *s, long ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->mu);
	for (;;) {
		bool any = false, running = false;
		for (int i = 0; i < MAX_JOBS; i++) {
			if (s->jobs[i].used && s->jobs[i].done && !s->jobs[i].reported)
				any = true;
			if (s->jobs[i].used && !s->jobs[i].done)
				running = true;
		}
		if (any || !running || pthread_cond_timedwait(&s->cv, &s->mu, &until) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&s->mu);
}

static int running_jobs(struct stack *s)
{
	int n = 0;
	for (int i = 0; i < MAX_JOBS; i++)
		if (s->jobs[i].used && !s->jobs[i].done)
			n++;
	return n;
}

/* After a packet or a call, a blocked call may have returned inside the
 * library: wait until its thread is back, so its return is seen in order
 * (before the script's next event). With the extension: exactly until every
 * running call thread is accounted for by a call blocked in the library.
 * Without: a few milliseconds of wall time. */
#define SETTLE_MS 3
static void settle(struct stack *s)
{
	if (!s->blocked_ext) {
		wait_job_ms(s, SETTLE_MS);
		return;
	}
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_lock(&s->mu);
	for (;;) {
		int in_lib = s->blocked_ext(s->pd.userdata, NULL);
		if (running_jobs(s) <= in_lib)
			break;
		struct timespec now, until;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec >= 10)
			break;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->cv, &s->mu, &until);
	}
	pthread_mutex_unlock(&s->mu);
}

/* After a packet or a call, a blocked call may return: give its thread a
 * moment, so the return is seen in order (before the script's next event). */
static int so_advance(struct stack *s, uint64_t until)
{
	poll_packets(s);
	while (!has_event(s)) {
		uint64_t now = so_now(s);
		if (now >= until)
			return 0;
		if (s->virt && s->advance_ext) {
			if (s->advance_ext(s->pd.userdata, (long long)(until + s->t0)) < 0)
				return -1;
			settle(s); /* it may have stopped for a call that returned */
			poll_packets(s);
		} else if (s->virt) {
			uint64_t d = until - now < s->step_us ? until - now : s->step_us;
			s->pd.usleep(s->pd.userdata, (useconds_t)d);
		} else {
			uint64_t d = until - now < 200 ? until - now : 200;
			struct timespec ts = { 0, (long)d * 1000L };
			nanosleep(&ts, NULL);
		}
		poll_packets(s);
	}
	return 0;
}

static bool so_next_event(struct stack *s, struct stack_event *ev)
{
	poll_packets(s);
	/* In time order; at the same time packets first (a stack sends what an
	 * input makes it send, then wakes the callers). */
	pthread_mutex_lock(&s->mu);
	for (int i = 0; i < MAX_JOBS; i++) {
		struct job *j = &s->jobs[i];
		if (j->used && j->done && !j->reported &&
		    (!s->qn || j->c->done_us < s->q[s->qhead].time_us)) {
			j->reported = true;
			pthread_mutex_unlock(&s->mu);
			pthread_join(j->thread, NULL);
			j->used = false;
			ev->kind = STACK_EV_CALL_DONE;
			ev->time_us = j->c->done_us;
			ev->call = j->c;
			return true;
		}
	}
	pthread_mutex_unlock(&s->mu);
	if (!s->qn)
		return false;
	struct qpkt *q = &s->q[s->qhead];
	ev->kind = STACK_EV_PACKET;
	ev->time_us = q->time_us;
	ev->timer_len_us = 0;
	ev->len = q->len < sizeof ev->pkt ? q->len : sizeof ev->pkt;
	memcpy(ev->pkt, q->pkt, ev->len);
	free(q->pkt);
	s->qhead = (s->qhead + 1) % MAX_QUEUED;
	s->qn--;
	return true;
}

static int so_inject(struct stack *s, const uint8_t *pkt, size_t len, struct stack_error *err)
{
	if (!s->pd.netdev_send || s->pd.netdev_send(s->pd.userdata, pkt, len) < 0) {
		snprintf(err->msg, sizeof err->msg, "so: netdev_send failed");
		return -1;
	}
	settle(s);
	poll_packets(s);
	return 0;
}

static int so_command(struct stack *s, const char *cmd, struct stack_error *err)
{
	if (s->command_ext) {
		char msg[256] = "";
		if (s->command_ext(s->pd.userdata, cmd, msg, sizeof msg) == 0)
			return 0;
		snprintf(err->msg, sizeof err->msg, "%s", msg[0] ? msg : "command failed");
		return -1;
	}
	snprintf(err->msg, sizeof err->msg, "unsupported: command `%s` on stack so", cmd);
	return -1;
}

static void so_stop(struct stack *s)
{
	if (!s)
		return;
	/* Calls still in the library: its free must make them return (ours
	 * does, with EINTR); give them a second, then leave any that did not
	 * behind (and the library mapped, and this struct), rather than hang. */
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_mutex_unlock(&s->mu);
	if (s->pd.free)
		s->pd.free(s->pd.userdata);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 1;
	pthread_mutex_lock(&s->mu);
	while (running_jobs(s))
		if (pthread_cond_timedwait(&s->cv, &s->mu, &until) == ETIMEDOUT)
			break;
	bool busy = running_jobs(s) > 0;
	pthread_mutex_unlock(&s->mu);
	for (int i = 0; i < MAX_JOBS; i++) {
		if (!s->jobs[i].used)
			continue;
		if (s->jobs[i].done)
			pthread_join(s->jobs[i].thread, NULL);
		else
			pthread_detach(s->jobs[i].thread);
	}
	while (s->qn) {
		free(s->q[s->qhead].pkt);
		s->qhead = (s->qhead + 1) % MAX_QUEUED;
		s->qn--;
	}
	if (busy)
		return;
	free(s->buf);
	if (s->dl)
		dlclose(s->dl);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

static void addr_text(const struct synack_addr *a, char *buf, size_t cap)
{
	if (a->family == 6)
		snprintf(buf, cap, "%x:%x:%x:%x:%x:%x:%x:%x", (a->bytes[0] << 8) | a->bytes[1],
		         (a->bytes[2] << 8) | a->bytes[3], (a->bytes[4] << 8) | a->bytes[5],
		         (a->bytes[6] << 8) | a->bytes[7], (a->bytes[8] << 8) | a->bytes[9],
		         (a->bytes[10] << 8) | a->bytes[11], (a->bytes[12] << 8) | a->bytes[13],
		         (a->bytes[14] << 8) | a->bytes[15]);
	else
		snprintf(buf, cap, "%u.%u.%u.%u", a->bytes[0], a->bytes[1], a->bytes[2],
		         a->bytes[3]);
}

static int so_start(struct stack **out, const struct stack_config *cfg, struct stack_error *err)
{
	*out = NULL;
	if (cfg->tso_segments) {
		snprintf(err->msg, sizeof err->msg,
		         "unsupported: --segments=tso on a shared-object stack");
		return -1;
	}
	if (!cfg->profile || !cfg->profile[0]) {
		snprintf(err->msg, sizeof err->msg, "so: no library (so:/path/libstack.so)");
		return -1;
	}
	struct stack *s = calloc(1, sizeof *s);
	if (!s || !(s->buf = malloc(65536))) {
		free(s);
		snprintf(err->msg, sizeof err->msg, "out of memory");
		return -1;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->dl = dlopen(cfg->profile, RTLD_NOW | RTLD_LOCAL);
	if (!s->dl) {
		snprintf(err->msg, sizeof err->msg, "so: %s", dlerror());
		so_stop(s);
		return -1;
	}
	packetdrill_interface_init_t init;
	*(void **)&init = dlsym(s->dl, PACKETDRILL_INIT_SYMBOL);
	if (!init) {
		snprintf(err->msg, sizeof err->msg, "so: %s: no %s", cfg->profile,
		         PACKETDRILL_INIT_SYMBOL);
		so_stop(s);
		return -1;
	}
	/* SYNACK_SO_PLAIN=1: packetdrill's interface alone, no synack extension
	 * (how any other library runs; the tests check both ways). */
	bool plain = getenv("SYNACK_SO_PLAIN") && atoi(getenv("SYNACK_SO_PLAIN"));
	if (!plain)
		*(void **)&s->advance_ext = dlsym(s->dl, SYNACK_PACKETDRILL_ADVANCE_SYMBOL);
	if (!plain) {
		*(void **)&s->command_ext = dlsym(s->dl, SYNACK_PACKETDRILL_COMMAND_SYMBOL);
		*(void **)&s->blocked_ext = dlsym(s->dl, SYNACK_PACKETDRILL_BLOCKED_SYMBOL);
	}
	char flags[512];
	const char *env = getenv("SYNACK_SO_FLAGS");
	if (env) {
		snprintf(flags, sizeof flags, "%s", env);
	} else {
		char l[64], r[64];
		addr_text(&cfg->local_ip, l, sizeof l);
		addr_text(&cfg->remote_ip, r, sizeof r);
		snprintf(flags, sizeof flags,
		         "local_ip=%s remote_ip=%s ip_version=%d mtu=%u seed=%llu", l, r,
		         cfg->ip_version, cfg->mtu, (unsigned long long)cfg->seed);
	}
	memset(&s->pd, 0, sizeof s->pd);
	init(flags, &s->pd);
	s->virt = s->pd.usleep && s->pd.gettimeofday;
	const char *step = getenv("SYNACK_SO_STEP_USECS");
	s->step_us = step && atoi(step) > 0 ? (uint64_t)atoi(step) : 100;
	s->t0 = raw_now(s);
	*out = s;
	return 0;
}

const struct stack_ops stack_so_ops = {
	.name = "so",
	.start = so_start,
	.stop = so_stop,
	.now = so_now,
	.advance = so_advance,
	.next_event = so_next_event,
	.inject = so_inject,
	.call = so_call,
	.command = so_command,
};
