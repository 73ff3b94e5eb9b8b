/* Script system calls -> stack_call, and their results checked.
 *
 * Script descriptors are mapped to the stack's (a stack may number them
 * differently); `...` arguments are filled by the runtime as packetdrill
 * does: bind() gets the local address and bind port, connect() the remote
 * address and connect port, buffers are zero bytes of the given length.
 */
#ifndef SYNACK_RUN_SYSCALLS_H
#define SYNACK_RUN_SYSCALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "run/script.h"
#include "stacks/stack.h"

#define RUN_MAX_FDS 256

struct run_fdmap {
	int n;
	struct {
		int script, stack;
	} v[RUN_MAX_FDS];
};

/* The stack fd for a script fd (unmapped numbers pass through: scripts
 * test EBADF with made-up numbers). */
int run_fd_to_stack(const struct run_fdmap *m, int script_fd);
int run_fd_to_script(const struct run_fdmap *m, int stack_fd);

struct run_sockaddrs {
	int domain; /* AF_INET or AF_INET6 (IPv6 and IPv4-mapped) */
	struct sockaddr_storage bind_addr, connect_addr;
	socklen_t bind_len, connect_len;
};

/* bind()'s local address and bind port, connect()'s remote address and
 * connect port, as AF_INET or AF_INET6 (IPv4-mapped for ipv4-mapped-ipv6). */
void run_sockaddrs_make(const struct run_config *cfg, const struct synack_addr *local,
                        const struct synack_addr *remote, struct run_sockaddrs *a);

/* Returns 0, or -1 with "unsupported: ..." in why. */
int run_syscall_prepare(const struct run_syscall *sc, const struct run_fdmap *fds,
                        const struct run_sockaddrs *addrs, struct stack_call *call, char *why,
                        size_t cap);
/* Compares results with the script; maps descriptors a call created. */
bool run_syscall_check(const struct run_syscall *sc, const struct stack_call *call,
                       struct run_fdmap *fds, char *why, size_t cap);
/* "accept(3, ..., ...)" as written (from the source line). */
void run_syscall_call_text(const char *source, char *buf, size_t cap);
/* The call text as the stack answered it: getsockopt's value ([N] or a
 * string, as TCP_CONGESTION's "cubic") and ioctl's [N] become what came
 * back, so a trace shows the stack's value, not the script's. */
void run_syscall_observed_text(const struct run_syscall *sc, const struct stack_call *c, char *call,
                               size_t cap);
/* The result as the script numbers it: a descriptor the call created is
 * the script's number for it (the stack's own number depends on what else
 * the process has open: a Linux run with stdin closed gets one lower), any
 * other result is the stack's. */
long run_syscall_script_ret(const struct run_syscall *sc, const struct stack_call *c);
/* " = 4" / " = -1 EAGAIN (Resource temporarily unavailable)". */
void run_syscall_result_text(long ret, int err, char *buf, size_t cap);
const char *run_errno_name(int err);

#endif
