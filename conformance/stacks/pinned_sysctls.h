/* The settings every script starts from, on every stack that models a
 * Linux kernel: the kernel selftests' packetdrill defaults.sh. */
#ifndef SYNACK_STACKS_PINNED_SYSCTLS_H
#define SYNACK_STACKS_PINNED_SYSCTLS_H

#include <stdbool.h>
#include <stddef.h>

struct pinned_sysctl {
	const char *name, *value;
	bool optional; /* defaults.sh ignores a failed write */
};

extern const struct pinned_sysctl stack_pinned_sysctls[];
extern const size_t stack_n_pinned_sysctls;

#endif
