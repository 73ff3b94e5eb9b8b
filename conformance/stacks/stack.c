/* Stack lookup: the one table of stacks the command line can name.
 * "engine" and "engine:PROFILE" are the synack engine (the profile goes to
 * stack_config.profile); "linux" is the host kernel in a namespace. */
#include <string.h>

#include "stacks/so.h"
#include "stacks/stack.h"

const struct stack_ops *stack_lookup(const char *name)
{
	size_t n = strcspn(name, ":");
	if (n == 6 && strncmp(name, "engine", 6) == 0)
		return &stack_engine_ops;
	if (strcmp(name, "linux") == 0)
		return &stack_linux_ops;
	if (n == 2 && strncmp(name, "so", 2) == 0)
		return &stack_so_ops; /* so:PATH, the path in stack_config.profile */
	return NULL;
}
