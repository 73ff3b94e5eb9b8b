/* Linux-stack extras beyond struct stack_ops, for the executor and the tests.
 *
 * Everything a script needs goes through stack_linux_ops (stack.h); these are
 * for supervision: the runner's per-script timeout and the cleanup tests.
 */
#ifndef SYNACK_LINUX_STACK_H
#define SYNACK_LINUX_STACK_H

#include <sys/types.h>

#include "stacks/stack.h"

/* The helper child that owns the script's network namespace, or -1 once
 * stopped. SIGKILL of this pid ends the namespace, its sockets and its
 * syscall threads; stop() must still be called to reap it. The child also
 * dies with SIGKILL when the thread that called start() exits
 * (PR_SET_PDEATHSIG is per thread): start a stack from a thread that
 * outlives it. */
pid_t stack_linux_pid(const struct stack *s);

/* Microseconds start() spent creating the namespace, rig and capture. */
uint64_t stack_linux_setup_us(const struct stack *s);

#endif
