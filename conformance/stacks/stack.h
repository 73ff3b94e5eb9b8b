/* The stack interface: what a script runs against.
 *
 * The executor is identical for every stack; only time and the wire differ.
 * The engine stack runs the synack engine in virtual time (advance jumps to
 * the next deadline); the linux stack runs the host kernel in a private
 * network namespace in real time (advance sleeps while capturing).
 *
 * Times are microseconds since the script started (stack_start). Packets are
 * IP packets (IPv4 or IPv6 header first, no link layer) in both directions.
 * Socket calls carry Linux's constant values (AF_INET, SOL_SOCKET, …) and
 * descriptors in the stack's own numbering; the executor maps script fds.
 */
#ifndef SYNACK_STACK_H
#define SYNACK_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synack/engine.h"
#include "synack/segment.h"

struct stack;

/* What a script's header and the command line configure. */
struct stack_config {
	int ip_version;               /* 4, 6, or 46 for IPv4-mapped IPv6 sockets */
	struct synack_addr local_ip;  /* the stack's address */
	struct synack_addr remote_ip; /* the script's peer */
	uint16_t mtu;                 /* 1500 */
	bool tso_segments;            /* linux: packetdrill's segment model (--segments=tso) */
	const char *profile;          /* engine: profile name ("linux", "rfc"); NULL = linux */
	uint64_t seed;                /* engine: the env seed */
	bool verbose;
};

/* Why a stack could not start or do something: a one-line human message.
 * skip=true means "this stack cannot run here" (no root, no netns …): the
 * runner reports it as a TAP "# SKIP" with the message, not a failure. */
struct stack_error {
	bool skip;
	char msg[256];
};

enum stack_op {
	STACK_SOCKET,
	STACK_BIND,
	STACK_LISTEN,
	STACK_ACCEPT,
	STACK_CONNECT,
	STACK_READ,  /* read/recv/recvfrom/recvmsg/readv: a[0] = flags */
	STACK_WRITE, /* write/send/sendto/sendmsg/writev: a[0] = flags */
	STACK_CLOSE,
	STACK_SHUTDOWN,
	STACK_SETSOCKOPT,
	STACK_GETSOCKOPT,
	STACK_FCNTL,
	STACK_IOCTL,
	STACK_POLL,
	STACK_EPOLL_CREATE,
	STACK_EPOLL_CTL,
	STACK_EPOLL_WAIT,
	STACK_GETSOCKNAME,
	STACK_GETPEERNAME,
};

struct stack_pollfd {
	int fd; /* stack descriptor */
	short events, revents;
};

#define STACK_MAX_POLLFDS 16

/* One socket call. The executor fills the inputs; the stack the outputs. */
struct stack_call {
	enum stack_op op;
	int fd; /* the stack-side descriptor (unused for SOCKET, POLL, EPOLL_CREATE) */
	/* op-specific integers:
	 *   SOCKET a=domain,type,protocol   BIND/CONNECT in=sockaddr
	 *   LISTEN a[0]=backlog             READ a[0]=flags, out_cap=len
	 *   WRITE a[0]=flags, in=data       SHUTDOWN a[0]=how
	 *   SETSOCKOPT a=level,name, in=optval   GETSOCKOPT a=level,name, out_cap=optlen
	 *   FCNTL a=cmd,arg                 IOCTL a[0]=request (result in ret/out)
	 *   POLL pfds/npfds, a[0]=timeout ms  EPOLL_CTL a=op,fd,events  EPOLL_WAIT a=maxevents,timeout
	 *   ACCEPT/GETSOCKNAME/GETPEERNAME out_cap=addr len */
	long a[4];
	const uint8_t *in;
	size_t in_len;
	/* Storage for an input the executor builds (`in` may point here): a
	 * sockaddr written out in the script. */
	uint8_t in_store[128];
	size_t out_cap;
	struct stack_pollfd pfds[STACK_MAX_POLLFDS];
	int npfds;
	/* The script marks this call as blocking (`a...b`): it may wait, on a
	 * syscall thread for Linux, in virtual time for the engine. */
	bool may_block;
	/* A blocking write's bytes queued so far, across its attempts (engine). */
	size_t written;

	/* Results. ret as the syscall returns it; err is errno when ret == -1. */
	long ret;
	int err;
	uint8_t out[65536]; /* received bytes, getsockopt value, sockaddr … */
	size_t out_len;
	bool has_tcp_info; /* getsockopt(TCP_INFO): stack-neutral copy here */
	struct synack_tcp_info tcp_info;
	uint64_t done_us; /* when the call returned */
};

enum stack_event_kind {
	STACK_EV_PACKET,    /* an outbound packet the stack sent */
	STACK_EV_CALL_DONE, /* a pending (blocking) call returned */
};

struct stack_event {
	enum stack_event_kind kind;
	uint64_t time_us;
	/* STACK_EV_PACKET */
	uint8_t pkt[65536];
	size_t len;
	/* How long the timer that sent it had been set for (a virtual-time
	 * stack knows); 0: not sent by a timer, or not known (a real stack). */
	uint64_t timer_len_us;
	/* STACK_EV_CALL_DONE: the call passed to stack_ops.call, results filled */
	struct stack_call *call;
};

enum stack_call_status {
	STACK_CALL_DONE = 0,    /* results filled in now */
	STACK_CALL_PENDING = 1, /* blocked: a STACK_EV_CALL_DONE event will follow */
};

struct stack_ops {
	const char *name; /* "engine", "linux", "so" */
	/* Sets up the stack; on failure fills err (err->skip when it cannot run
	 * here at all) and returns -1. The script's clock starts at 0 here. */
	int (*start)(struct stack **out, const struct stack_config *cfg, struct stack_error *err);
	/* Tears everything down (namespaces, threads, sockets). Always safe. */
	void (*stop)(struct stack *s);
	/* Microseconds since start: virtual (engine) or CLOCK_MONOTONIC (linux). */
	uint64_t (*now)(struct stack *s);
	/* Lets time run until `until_us` or until at least one event is queued,
	 * whichever is first. Never runs past an event: the engine stops at the
	 * deadline that produced it, so the script can act in between. */
	int (*advance)(struct stack *s, uint64_t until_us);
	/* Dequeues the oldest observed event; false when none is queued. */
	bool (*next_event)(struct stack *s, struct stack_event *ev);
	/* Injects an inbound IP packet now. */
	int (*inject)(struct stack *s, const uint8_t *pkt, size_t len, struct stack_error *err);
	/* Makes a socket call now. Returns a stack_call_status, or -1 with err
	 * filled when the call cannot be made on this stack (unsupported). The
	 * call struct must stay valid until its STACK_EV_CALL_DONE. */
	int (*call)(struct stack *s, struct stack_call *c, struct stack_error *err);
	/* A header option or backquoted command: `sysctl …` and the like. Linux
	 * runs it in the script's namespace; the engine maps the sysctls it
	 * models onto its profile and fails with "unsupported: …" otherwise.
	 * Returns 0, or -1 with err filled. */
	int (*command)(struct stack *s, const char *shell_cmd, struct stack_error *err);
	/* Optional (NULL = nothing to say): notes about this run for the TAP
	 * diagnostics, one per line, "" when none; e.g. a sysctl the host
	 * refused and the fallback used instead. Valid until stop. */
	const char *(*notes)(struct stack *s);
	/* Optional (NULL = never): the stack under test found itself broken —
	 * a one-line reason, or NULL while it holds together. The engine
	 * reports its self-check (synack_check_invariants) here; the executor
	 * fails the script at the event that broke it. */
	const char *(*fault)(struct stack *s);
};

extern const struct stack_ops stack_engine_ops;
extern const struct stack_ops stack_linux_ops;

/* Looks up a stack by name: "engine", "engine:PROFILE", "linux", "so:PATH". */
const struct stack_ops *stack_lookup(const char *name);

#endif
