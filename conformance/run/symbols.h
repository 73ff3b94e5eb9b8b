/* Symbolic constants scripts use (SOL_SOCKET, TCP_NODELAY, POLLIN, ...),
 * with Linux's values: the stack contract speaks Linux numbers whatever the
 * stack (stacks/stack.h). */
#ifndef SYNACK_RUN_SYMBOLS_H
#define SYNACK_RUN_SYMBOLS_H

#include <stdbool.h>

/* false if the name is unknown. Errno names (ECONNREFUSED) included. */
bool run_symbol(const char *name, long long *value);

#endif
