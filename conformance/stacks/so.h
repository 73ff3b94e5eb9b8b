/* The so: stack: any TCP stack built as a shared object with packetdrill's
 * interface (export/packetdrill_abi.h), e.g. `so:/path/libstack.so`. */
#ifndef SYNACK_STACKS_SO_H
#define SYNACK_STACKS_SO_H

#include "stacks/stack.h"

/* stack_config.profile is the library's path. Flags for its init come from
 * SYNACK_SO_FLAGS; without it, "local_ip=A remote_ip=B ip_version=V mtu=M
 * seed=S" from the script's configuration. */
extern const struct stack_ops stack_so_ops;

#endif
