/* The Linux stack's private pieces, shared by linux_*.c only.
 *
 * Shape: stack_linux_ops (linux_stack.c) runs in the executor's process and
 * never changes namespace. start() forks a helper child; the child unshares a
 * fresh network namespace, builds the veth rig (linux_netns.c), pins the
 * sysctls (linux_sysctl.c), opens the wire (linux_wire.c) and then serves
 * requests over a socketpair (linux_child.c), running the script's socket
 * calls on real sockets (linux_calls.c). Why a child and not a thread that
 * setns()'d into the namespace: the namespace lives exactly as long as one
 * process we can SIGKILL, the executor's own sockets, threads and libc state
 * stay in the host namespace, and a crash or hang in the kernel-facing code
 * can't corrupt the executor. The price is one socketpair round trip per
 * request (tens of microseconds, well under the millisecond tolerances).
 */
#ifndef SYNACK_LINUX_PRIV_H
#define SYNACK_LINUX_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stacks/stack.h"

/* The kernel-side interface is called tun0 because kernel selftest and
 * packetdrill scripts address it by that name (`tc qdisc add dev tun0 …`). */
#define LX_KERNEL_IF "tun0"
#define LX_PEER_IF   "synack0"

/* Fixed, locally administered MACs: frames we inject are addressed to the
 * kernel side, and the static neighbour entries point at the peer side. */
#define LX_KERNEL_MAC                              \
	{                                          \
		0x02, 0x53, 0x59, 0x4e, 0x00, 0x01 \
	}
#define LX_PEER_MAC                                \
	{                                          \
		0x02, 0x53, 0x59, 0x4e, 0x00, 0x02 \
	}

/* Addresses of one family inside the namespace. */
struct lx_family {
	struct synack_addr local;   /* on tun0 */
	uint8_t local_plen;         /* 16 (IPv4) / 48 (IPv6): packetdrill's netmasks */
	struct synack_addr gateway; /* next hop towards remote, a static neighbour */
	struct synack_addr remote;  /* the script's peer */
	uint8_t remote_plen;        /* 24 / 32: packetdrill's remote prefixes */
};

struct lx_net {
	struct lx_family v4, v6;
	uint16_t mtu;
	bool tso; /* packetdrill's segment model: offloads on (linux_netns.c) */
	int kernel_ifindex, peer_ifindex;
};

/* Packetdrill's defaults (config.c): IPv4 local 192.168.0.1/16, gateway
 * 192.168.0.2, remote 192.0.2.1/24; IPv6 local fd3d:fa7b:d17d::/48, gateway
 * fd3d:fa7b:d17d:8888::, remote 2001:db8::1/32. The configured family takes
 * cfg's addresses; the other family gets these defaults. */
void lx_net_from_config(const struct stack_config *cfg, struct lx_net *net);

/* ---- linux_netns.c: runs in the child ------------------------------------ */
/* unshare(CLONE_NEWNET). *skip is set when the host can't do it at all. */
int lx_netns_enter(char *err, size_t cap, bool *skip);
/* lo up, veth pair, offloads off, addresses, routes, static neighbours. */
int lx_netns_setup(struct lx_net *net, char *err, size_t cap, bool *skip);

/* ---- linux_sysctl.c: runs in the child ----------------------------------- */
/* Writes /proc/sys/<name with dots as slashes>. Returns 0 or -errno. */
int lx_sysctl_write(const char *name, const char *value);
int lx_sysctl_read(const char *name, char *buf, size_t cap);
/* Pins the kernel selftests' defaults.sh values. A refused
 * tcp_congestion_control sets *cc_fallback (the calls then set TCP_CONGESTION
 * per socket) and appends a line to notes. Returns 0 or -1 with err. */
int lx_sysctl_pin_defaults(bool *cc_fallback, char *notes, size_t notes_cap, char *err, size_t cap);

/* ---- linux_command.c: runs in the child ---------------------------------- */
/* `/bin/sh -c cmd` in the child's namespace, PACKETDRILL_PID set; plain
 * `sysctl key=value` writes done directly. Returns 0 (note may say what was
 * done instead, e.g. a congestion-control fallback), the exit status, or -1,
 * with err filled on failure. */
int lx_command_run(const char *cmd, char *err, size_t cap, char *note, size_t note_cap);
/* Kills and reaps whatever the commands left running in the namespace. */
void lx_command_cleanup(void);

/* ---- linux_wire.c: runs in the child ------------------------------------- */
struct lx_wire;
struct lx_wire *lx_wire_open(const struct lx_net *net, char *err, size_t cap);
void lx_wire_close(struct lx_wire *w);
int lx_wire_fd(const struct lx_wire *w); /* pollable capture descriptor */
int lx_wire_inject(struct lx_wire *w, const uint8_t *pkt, size_t len, char *err, size_t cap);
/* Reads every captured packet now queued; calls fn with the IP packet and the
 * kernel's timestamp on CLOCK_MONOTONIC (ns). Returns packets read or -1. */
int lx_wire_drain(struct lx_wire *w,
                  void (*fn)(void *ctx, uint64_t mono_ns, const uint8_t *ip, size_t len),
                  void *ctx);

/* ---- linux_calls.c: runs in the child ------------------------------------ */
/* Executes one call synchronously on real sockets; thread-safe. */
void lx_call_exec(struct stack_call *c);
/* True when the call returns at once whatever the kernel's state. */
bool lx_call_cannot_block(const struct stack_call *c);
/* Runs a call the script didn't mark blocking if it can complete without
 * blocking (true, results filled); false: it goes to a syscall thread, after
 * *carry bytes of a write went out already. */
bool lx_call_try_now(struct stack_call *c, size_t *carry);
/* Counts syscall threads in flight per descriptor (+1 / -1), remembering
 * what would wake the call (POLLIN / POLLOUT): an accept is never run
 * inline while a thread might take the same connection. */
void lx_calls_track(enum stack_op op, int fd, int delta);
/* Before a call on fd: lets a threaded call on it that has already been
 * woken finish first (bounded), as packetdrill's one syscall thread would. */
void lx_calls_settle(int fd);
/* The congestion control set with TCP_CONGESTION on every TCP socket the
 * script creates, because the namespace refused the sysctl; NULL: none. */
void lx_calls_set_cc_fallback(const char *cc);
/* Descriptors the stack itself uses (capture, control socket …): never
 * reachable from a script, so a script's close(5) can't break the stack. */
bool lx_calls_is_script_fd(int fd);

/* ---- linux_child.c -------------------------------------------------------- */
/* The child's whole life: never returns. */
void lx_child_main(int sock, const struct stack_config *cfg) __attribute__((noreturn));

/* ---- the socketpair protocol (linux_child.c <-> linux_stack.c) ------------ */
enum lx_msg_type {
	LX_READY = 1, /* child -> parent: setup done (status 0) or failed */
	LX_INJECT,    /* parent -> child: payload = IP packet; reply LX_REPLY */
	LX_CALL,      /* parent -> child: lx_call_req + in bytes; reply LX_CALL_DONE */
	LX_COMMAND,   /* parent -> child: payload = shell command; reply LX_REPLY */
	LX_REPLY,     /* child -> parent: status + payload = message */
	LX_PACKET,    /* child -> parent: a captured outbound packet */
	LX_CALL_DONE, /* child -> parent: lx_call_rep + out bytes */
};

/* Every message: this header, then `len` bytes. */
struct lx_msg {
	uint32_t type;
	uint32_t id;     /* call id (LX_CALL / LX_CALL_DONE) */
	int64_t mono_ns; /* LX_PACKET: kernel timestamp; LX_READY: the child's t0 */
	int32_t status;  /* LX_REPLY / LX_READY: 0 ok, -1 error, 1 skip */
	uint32_t len;
};

struct lx_call_req {
	int32_t op, fd;
	int64_t a[4];
	uint64_t in_len, out_cap;
	struct stack_pollfd pfds[STACK_MAX_POLLFDS];
	int32_t npfds;
	uint8_t may_block;
};

struct lx_call_rep {
	int64_t ret;
	int32_t err;
	uint8_t has_tcp_info;
	uint64_t out_len;
	int64_t done_ns; /* CLOCK_MONOTONIC when the syscall returned */
	struct synack_tcp_info tcp_info;
	struct stack_pollfd pfds[STACK_MAX_POLLFDS]; /* POLL: revents filled */
};

/* Largest payload either side sends: a write's data or a read's result. */
#define LX_MAX_PAYLOAD (1u << 20)

/* Whole-message I/O on a SOCK_STREAM socketpair. lx_msg_send is atomic with
 * respect to other senders in the same process (a mutex), so the syscall
 * threads and the capture loop can interleave messages safely. */
int lx_msg_send(int fd, const struct lx_msg *m, const void *p1, size_t n1, const void *p2,
                size_t n2);
/* Reads one message; *payload is malloc'ed (caller frees), NULL if len 0.
 * Returns 0, or -1 on EOF / error. */
int lx_msg_recv(int fd, struct lx_msg *m, uint8_t **payload);

uint64_t lx_mono_ns(void);

/* SCHED_FIFO for the executor thread and the helper (SYNACK_LINUX_RT=0: off). */
bool lx_rt_wanted(void);

#endif
