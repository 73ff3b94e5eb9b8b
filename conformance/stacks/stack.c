/* Stack lookup: the one table of stacks the command line can name.
 *
 * The Linux stack lives on its own branch and needs libnet/libpcap; it is
 * referenced weakly so a build without it still links, and looking it up
 * then says it is not built in (NULL).
 */
#include <stdint.h>
#include <string.h>

#include "stacks/stack.h"

#pragma weak stack_linux_ops

const struct stack_ops *stack_lookup(const char *name)
{
	size_t n = strcspn(name, ":");
	if (n == 6 && strncmp(name, "engine", 6) == 0)
		return &stack_engine_ops;
	if (strcmp(name, "linux") == 0) {
		/* A weak undefined symbol has address 0; the volatile keeps the
		 * compiler from assuming otherwise. */
		const struct stack_ops *volatile linux_ops = &stack_linux_ops;
		return linux_ops;
	}
	return NULL;
}
