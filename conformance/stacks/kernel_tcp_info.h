/* The kernel's struct tcp_info, as getsockopt(TCP_INFO) returns it, into the
 * stack-neutral struct synack_tcp_info: for the Linux stack and for a
 * packetdrill shared object, whose TCP_INFO has the kernel's layout. */
#ifndef SYNACK_KERNEL_TCP_INFO_H
#define SYNACK_KERNEL_TCP_INFO_H

#include <stddef.h>
#include <stdint.h>

#include "synack/engine.h"

void stack_tcp_info_from_kernel(const uint8_t *raw, size_t len, struct synack_tcp_info *o);

#endif
