/* stack_linux_ops: the host kernel as a stack, in real time.
 *
 * This side runs in the executor's process and never changes namespace: it
 * forks the helper child (linux_child.c), which owns the script's network
 * namespace, and talks to it over a socketpair. Captured packets and finished
 * calls stream up as messages and queue here as events; inject, call and
 * command go down as requests. Why a child rather than an in-process thread
 * that setns()'d: see linux_priv.h.
 *
 * Time: CLOCK_MONOTONIC (shared by both processes; no time namespace), in
 * microseconds since start() returned. Packet times are the kernel's capture
 * timestamps, call times when the syscall returned in the child: neither is
 * when we happened to read the message.
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stacks/linux_priv.h"
#include "stacks/linux_stack.h"

/* How long start() waits for the child to build the namespace. */
#define SETUP_TIMEOUT_MS 20000
/* A call the script didn't mark blocking gets this long to return before
 * it's reported PENDING (the kernel blocked where the script said it
 * wouldn't; the executor then sees a late STACK_EV_CALL_DONE). */
#define NONBLOCK_GRACE_MS 250

struct qev {
	struct qev *next;
	enum stack_event_kind kind;
	uint64_t time_us;
	struct stack_call *call;
	size_t len;
	uint8_t pkt[];
};

struct pend {
	uint32_t id;
	struct stack_call *call;
	bool waited; /* the caller is blocked in call() for it */
	bool done;
};

struct stack {
	pid_t pid;
	int sock;
	uint64_t t0_ns;
	uint64_t setup_us;
	bool dead; /* the child went away */
	struct qev *head, *tail;
	struct pend *pend;
	size_t npend, cap_pend;
	uint32_t next_id;
	bool have_reply;
	int32_t reply_status;
	char reply_msg[256];
	char notes[2048];
	/* Timing jitter as this stack sees it: how late advance() woke for a
	 * deadline it waited out (the executor's sleep → its next action). */
	uint64_t wake_n, wake_sum_us, wake_max_us;
	/* How long an injection took to reach the helper's wire (asked →
	 * sent), the other half of the timing an answer is measured from. */
	int64_t reply_mono_ns;
	uint64_t inj_n, inj_sum_us, inj_max_us;
	/* The calling thread's scheduling before start() raised it. */
	bool rt_set;
	pthread_t rt_thread;
	int old_policy;
	struct sched_param old_param;
	char notes_out[2304];
};

#define SPIN_NS 300000 /* 0.3 ms */

static uint64_t to_us(const struct stack *s, int64_t mono_ns)
{
	return mono_ns > (int64_t)s->t0_ns ? ((uint64_t)mono_ns - s->t0_ns) / 1000 : 0;
}

/* Keeps the queue in time order: captures come from the child's poll loop
 * and call completions from its syscall threads, so two messages can arrive
 * in the opposite order of the kernel events they report (a write() whose
 * segment was captured before the call returned). Stable for equal times. */
static void enqueue(struct stack *s, struct qev *e)
{
	e->next = NULL;
	if (!s->tail || s->tail->time_us <= e->time_us) {
		if (s->tail)
			s->tail->next = e;
		else
			s->head = e;
		s->tail = e;
		return;
	}
	struct qev **pp = &s->head;
	while ((*pp)->time_us <= e->time_us)
		pp = &(*pp)->next;
	e->next = *pp;
	*pp = e;
}

static struct pend *find_pend(struct stack *s, uint32_t id)
{
	for (size_t i = 0; i < s->npend; i++)
		if (s->pend[i].id == id)
			return &s->pend[i];
	return NULL;
}

static void drop_pend(struct stack *s, const struct pend *p)
{
	size_t i = (size_t)(p - s->pend);
	s->pend[i] = s->pend[--s->npend];
}

static void fill_call(struct stack *s, struct stack_call *c, const uint8_t *payload, size_t len)
{
	struct lx_call_rep rep;
	memset(&rep, 0, sizeof(rep));
	memcpy(&rep, payload, len < sizeof(rep) ? len : sizeof(rep));
	size_t out_len = len > sizeof(rep) ? len - sizeof(rep) : 0;
	if (out_len > sizeof(c->out))
		out_len = sizeof(c->out);
	c->ret = (long)rep.ret;
	c->err = rep.err;
	memcpy(c->out, payload + sizeof(rep), out_len);
	c->out_len = out_len;
	c->has_tcp_info = rep.has_tcp_info;
	c->tcp_info = rep.tcp_info;
	if (c->op == STACK_POLL)
		memcpy(c->pfds, rep.pfds, sizeof(c->pfds));
	c->done_us = to_us(s, rep.done_ns);
}

/* Reads and files one message. Returns its type, or -1 (child gone). */
static int read_one(struct stack *s)
{
	struct lx_msg m;
	uint8_t *payload;
	if (s->dead || lx_msg_recv(s->sock, &m, &payload) < 0) {
		s->dead = true;
		return -1;
	}
	switch (m.type) {
	case LX_PACKET: {
		struct qev *e = malloc(sizeof(*e) + m.len);
		if (!e)
			break;
		e->kind = STACK_EV_PACKET;
		e->time_us = to_us(s, m.mono_ns);
		e->call = NULL;
		e->len = m.len;
		memcpy(e->pkt, payload, m.len);
		enqueue(s, e);
		break;
	}
	case LX_CALL_DONE: {
		struct pend *p = find_pend(s, m.id);
		if (!p)
			break;
		fill_call(s, p->call, payload, m.len);
		if (p->waited) {
			p->done = true;
			break;
		}
		struct qev *e = malloc(sizeof(*e));
		if (e) {
			e->kind = STACK_EV_CALL_DONE;
			e->time_us = p->call->done_us;
			e->call = p->call;
			e->len = 0;
			enqueue(s, e);
		}
		drop_pend(s, p);
		break;
	}
	case LX_REPLY:
		s->have_reply = true;
		s->reply_status = m.status;
		s->reply_mono_ns = m.mono_ns;
		snprintf(s->reply_msg, sizeof(s->reply_msg), "%s",
		         payload ? (const char *)payload : "");
		break;
	default:
		break;
	}
	free(payload);
	return (int)m.type;
}

/* Waits up to timeout_ns for the socket to be readable; 1 ready, 0 not. */
static int wait_readable(struct stack *s, int64_t timeout_ns)
{
	if (s->dead)
		return 0;
	if (timeout_ns < 0)
		timeout_ns = 0;
	struct timespec ts = { .tv_sec = timeout_ns / 1000000000,
		               .tv_nsec = timeout_ns % 1000000000 };
	struct pollfd p = { .fd = s->sock, .events = POLLIN };
	int rc;
	do
		rc = ppoll(&p, 1, &ts, NULL);
	while (rc < 0 && errno == EINTR);
	return rc > 0;
}

/* Waits for the child's LX_REPLY to the request just sent, queueing
 * whatever else arrives meanwhile. */
static int wait_reply(struct stack *s, struct stack_error *err, const char *what)
{
	s->have_reply = false;
	while (!s->have_reply) {
		if (read_one(s) < 0) {
			snprintf(err->msg, sizeof(err->msg), "linux stack: helper died during %s",
			         what);
			return -1;
		}
	}
	if (s->reply_status != 0) {
		snprintf(err->msg, sizeof(err->msg), "%s", s->reply_msg);
		return -1;
	}
	return 0;
}

/* ---- ops ------------------------------------------------------------------ */

static void reap(pid_t pid)
{
	/* Give a child that saw EOF a moment to exit on its own, then make
	 * sure: the namespace must not outlive the stack. */
	for (int i = 0; i < 200; i++) {
		pid_t w = waitpid(pid, NULL, WNOHANG);
		/* ECHILD: someone else reaped it; the pid may be reused by now,
		 * so it must not be signalled. */
		if (w == pid || (w < 0 && errno == ECHILD))
			return;
		struct timespec ms = { 0, 1000000 };
		nanosleep(&ms, NULL);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Real-time scheduling (SCHED_FIFO, lowest priority) for the thread that
 * drives the script, as for the helper (lx_child_main): on a loaded machine a
 * normal thread wakes milliseconds late for an injection or a call, the
 * kernel then answers late and the script fails on timing; several scripts
 * at once (-j) make it worse. Only the edges of each wait spin (SPIN_NS), so
 * the thread sleeps nearly all the time, and RT throttling bounds it anyway.
 * SYNACK_LINUX_RT=0 turns it off; without CAP_SYS_NICE it silently stays off. */
bool lx_rt_wanted(void)
{
	const char *e = getenv("SYNACK_LINUX_RT");
	return !(e && e[0] == '0');
}

static void raise_priority(struct stack *s)
{
	if (!lx_rt_wanted())
		return;
	pthread_t self = pthread_self();
	if (pthread_getschedparam(self, &s->old_policy, &s->old_param) != 0)
		return;
	struct sched_param sp = { .sched_priority = 1 };
	if (s->old_policy == SCHED_OTHER && pthread_setschedparam(self, SCHED_FIFO, &sp) == 0) {
		s->rt_set = true;
		s->rt_thread = self;
	}
}

static void linux_stop(struct stack *s)
{
	if (!s)
		return;
	if (s->sock >= 0)
		close(s->sock);
	if (s->pid > 0)
		reap(s->pid);
	if (s->rt_set && pthread_equal(s->rt_thread, pthread_self()))
		(void)pthread_setschedparam(s->rt_thread, s->old_policy, &s->old_param);
	while (s->head) {
		struct qev *e = s->head;
		s->head = e->next;
		free(e);
	}
	free(s->pend);
	free(s);
}

static int linux_start(struct stack **out, const struct stack_config *cfg, struct stack_error *err)
{
	*out = NULL;
	memset(err, 0, sizeof(*err));
	struct stack *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err->msg, sizeof(err->msg), "linux stack: out of memory");
		return -1;
	}
	s->sock = -1;
	s->pid = -1;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(err->msg, sizeof(err->msg), "linux stack: socketpair: %s",
		         strerror(errno));
		free(s);
		return -1;
	}
	/* Deep buffers both ways: neither side ever blocks the other on a
	 * burst of captures (the FORCE variant passes wmem_max as root). */
	for (int i = 0; i < 2; i++) {
		int big = 8 << 20;
		if (setsockopt(sv[i], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) < 0)
			(void)setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
		if (setsockopt(sv[i], SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
			(void)setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	}
	uint64_t t_setup = lx_mono_ns();
	fflush(NULL); /* the child must not replay our buffered output */
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err->msg, sizeof(err->msg), "linux stack: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		free(s);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		/* Die with the executor, even on SIGKILL; and if it already
		 * died between fork and here, don't start at all. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		lx_child_main(sv[1], cfg);
	}
	close(sv[1]);
	s->sock = sv[0];
	s->pid = pid;

	struct lx_msg m;
	uint8_t *payload = NULL;
	if (!wait_readable(s, (int64_t)SETUP_TIMEOUT_MS * 1000000) ||
	    lx_msg_recv(s->sock, &m, &payload) < 0 || m.type != LX_READY) {
		snprintf(err->msg, sizeof(err->msg), "linux stack: helper did not start");
		free(payload);
		linux_stop(s);
		return -1;
	}
	if (m.status != 0) {
		err->skip = m.status == 1;
		snprintf(err->msg, sizeof(err->msg), "%s", payload ? (const char *)payload : "?");
		free(payload);
		linux_stop(s);
		return -1;
	}
	snprintf(s->notes, sizeof(s->notes), "%s", payload ? (const char *)payload : "");
	free(payload);
	raise_priority(s);
	s->t0_ns = lx_mono_ns();
	s->setup_us = (s->t0_ns - t_setup) / 1000;
	*out = s;
	return 0;
}

static uint64_t linux_now(struct stack *s)
{
	return (lx_mono_ns() - s->t0_ns) / 1000;
}

static int linux_advance(struct stack *s, uint64_t until_us)
{
	/* Sleep until SPIN_NS before the deadline, then poll without sleeping:
	 * a wake-up from a long sleep is late by the scheduler's whim, the
	 * last stretch isn't. */
	while (!s->head) {
		int64_t left = ((int64_t)until_us - (int64_t)linux_now(s)) * 1000;
		if (left <= 0) {
			if (wait_readable(s, 0)) {
				if (read_one(s) < 0)
					return -1;
				continue;
			}
			if (s->dead)
				return -1;
			uint64_t now = linux_now(s);
			uint64_t late = now > until_us ? now - until_us : 0;
			s->wake_n++;
			s->wake_sum_us += late;
			if (late > s->wake_max_us)
				s->wake_max_us = late;
			return 0;
		}
		if (wait_readable(s, left > SPIN_NS ? left - SPIN_NS : 0)) {
			if (read_one(s) < 0)
				return -1;
		} else if (s->dead) {
			return -1;
		}
	}
	return 0;
}

static bool linux_next_event(struct stack *s, struct stack_event *ev)
{
	/* Collect whatever already arrived, without waiting. */
	while (!s->dead && wait_readable(s, 0))
		if (read_one(s) < 0)
			break;
	struct qev *e = s->head;
	if (!e)
		return false;
	s->head = e->next;
	if (!s->head)
		s->tail = NULL;
	ev->kind = e->kind;
	ev->time_us = e->time_us;
	ev->timer_len_us = 0; /* a real kernel does not say */
	ev->call = e->call;
	ev->len = e->len < sizeof(ev->pkt) ? e->len : sizeof(ev->pkt);
	memcpy(ev->pkt, e->pkt, ev->len);
	free(e);
	return true;
}

static int linux_inject(struct stack *s, const uint8_t *pkt, size_t len, struct stack_error *err)
{
	memset(err, 0, sizeof(*err));
	int64_t asked = (int64_t)lx_mono_ns();
	struct lx_msg m = { .type = LX_INJECT, .mono_ns = asked };
	if (s->dead || lx_msg_send(s->sock, &m, pkt, len, NULL, 0) < 0) {
		snprintf(err->msg, sizeof(err->msg), "linux stack: helper is gone");
		return -1;
	}
	s->reply_mono_ns = 0;
	int rc = wait_reply(s, err, "inject");
	if (rc == 0 && s->reply_mono_ns > asked) {
		uint64_t late = (uint64_t)(s->reply_mono_ns - asked) / 1000;
		s->inj_n++;
		s->inj_sum_us += late;
		if (late > s->inj_max_us)
			s->inj_max_us = late;
	}
	return rc;
}

static int linux_call(struct stack *s, struct stack_call *c, struct stack_error *err)
{
	memset(err, 0, sizeof(*err));
	if (c->in_len > LX_MAX_PAYLOAD) {
		snprintf(err->msg, sizeof(err->msg), "unsupported: a %zu-byte write (max %u)",
		         c->in_len, LX_MAX_PAYLOAD);
		return -1;
	}
	if (s->npend == s->cap_pend) {
		size_t cap = s->cap_pend ? 2 * s->cap_pend : 8;
		struct pend *p = realloc(s->pend, cap * sizeof(*p));
		if (!p) {
			snprintf(err->msg, sizeof(err->msg), "linux stack: out of memory");
			return -1;
		}
		s->pend = p;
		s->cap_pend = cap;
	}
	uint32_t id = ++s->next_id;
	struct lx_call_req req;
	memset(&req, 0, sizeof(req));
	req.op = (int32_t)c->op;
	req.fd = c->fd;
	for (int i = 0; i < 4; i++)
		req.a[i] = c->a[i];
	req.in_len = c->in_len;
	req.out_cap = c->out_cap;
	memcpy(req.pfds, c->pfds, sizeof(req.pfds));
	req.npfds = c->npfds;
	req.may_block = c->may_block;
	s->pend[s->npend++] = (struct pend){ .id = id, .call = c, .waited = !c->may_block };
	struct lx_msg m = { .type = LX_CALL, .id = id };
	if (s->dead || lx_msg_send(s->sock, &m, &req, sizeof(req), c->in, c->in_len) < 0) {
		s->npend--;
		snprintf(err->msg, sizeof(err->msg), "linux stack: helper is gone");
		return -1;
	}
	if (c->may_block)
		return STACK_CALL_PENDING;

	int64_t deadline = (int64_t)lx_mono_ns() + (int64_t)NONBLOCK_GRACE_MS * 1000000;
	for (;;) {
		struct pend *p = find_pend(s, id);
		if (p && p->done) {
			drop_pend(s, p);
			return STACK_CALL_DONE;
		}
		int64_t left = deadline - (int64_t)lx_mono_ns();
		if (left <= 0 || !wait_readable(s, left)) {
			if (s->dead) {
				if (p)
					drop_pend(s, p);
				snprintf(err->msg, sizeof(err->msg),
				         "linux stack: helper died in a call");
				return -1;
			}
			if (p)
				p->waited = false; /* its LX_CALL_DONE becomes an event */
			return STACK_CALL_PENDING;
		}
		if (read_one(s) < 0)
			continue; /* dead: reported above on the next turn */
	}
}

static int linux_command(struct stack *s, const char *cmd, struct stack_error *err)
{
	memset(err, 0, sizeof(*err));
	struct lx_msg m = { .type = LX_COMMAND };
	if (s->dead || lx_msg_send(s->sock, &m, cmd, strlen(cmd), NULL, 0) < 0) {
		snprintf(err->msg, sizeof(err->msg), "linux stack: helper is gone");
		return -1;
	}
	if (wait_reply(s, err, "command") < 0) {
		/* "skip: why": this host cannot do what the command asks. */
		if (strncmp(err->msg, "skip: ", 6) == 0) {
			memmove(err->msg, err->msg + 6, strlen(err->msg + 6) + 1);
			err->skip = true;
		}
		return -1;
	}
	/* A command can leave a note (a sysctl done another way). */
	size_t used = strlen(s->notes);
	if (s->reply_msg[0] && used + 2 < sizeof(s->notes))
		snprintf(s->notes + used, sizeof(s->notes) - used, "%s%s", used ? "\n" : "",
		         s->reply_msg);
	return 0;
}

/* A setup slower than this gets a note: it costs wall time, not verdicts
 * (the script's clock starts after it), but a run that keeps hitting it
 * should be told why it is slow. */
#define SLOW_SETUP_US 100000

static const char *linux_notes(struct stack *s)
{
	bool slow = s->setup_us > SLOW_SETUP_US;
	if (!s->wake_n && !s->inj_n && !slow)
		return s->notes;
	size_t n = (size_t)snprintf(s->notes_out, sizeof(s->notes_out), "%s%s", s->notes,
	                            s->notes[0] ? "\n" : "");
	if (slow && n < sizeof(s->notes_out))
		n += (size_t)snprintf(s->notes_out + n, sizeof(s->notes_out) - n,
		                      "slow setup: the namespace was ready after %llu ms\n",
		                      (unsigned long long)(s->setup_us / 1000));
	if (!s->wake_n && !s->inj_n) {
		if (n && n < sizeof(s->notes_out) && s->notes_out[n - 1] == '\n')
			s->notes_out[n - 1] = '\0';
		return s->notes_out;
	}
	if (n < sizeof(s->notes_out))
		n += (size_t)snprintf(s->notes_out + n, sizeof(s->notes_out) - n, "jitter:");
	if (s->wake_n && n < sizeof(s->notes_out))
		n += (size_t)snprintf(s->notes_out + n, sizeof(s->notes_out) - n,
		                      " timer wake-ups %llu, late by mean %llu us, max %llu us%s",
		                      (unsigned long long)s->wake_n,
		                      (unsigned long long)(s->wake_sum_us / s->wake_n),
		                      (unsigned long long)s->wake_max_us, s->inj_n ? ";" : "");
	if (s->inj_n && n < sizeof(s->notes_out))
		snprintf(s->notes_out + n, sizeof(s->notes_out) - n,
		         " injections %llu, sent after mean %llu us, max %llu us",
		         (unsigned long long)s->inj_n,
		         (unsigned long long)(s->inj_sum_us / s->inj_n),
		         (unsigned long long)s->inj_max_us);
	return s->notes_out;
}

pid_t stack_linux_pid(const struct stack *s)
{
	return s ? s->pid : -1;
}

uint64_t stack_linux_setup_us(const struct stack *s)
{
	return s ? s->setup_us : 0;
}

const struct stack_ops stack_linux_ops = {
	.name = "linux",
	.start = linux_start,
	.stop = linux_stop,
	.now = linux_now,
	.advance = linux_advance,
	.next_event = linux_next_event,
	.inject = linux_inject,
	.call = linux_call,
	.command = linux_command,
	.notes = linux_notes,
};
