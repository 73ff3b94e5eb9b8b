/* Fuzz target: `network` on AF_INET6 sockets — over an IPv6 wire, or over
 * IPv4 through IPv4-mapped addresses (dual stack) — with the server on ::
 * or its address and the client bound or not (docs/fuzzing.md). The same
 * source as `network`: its inputs take one more byte after the first, for
 * the wire. */
#define NETWORK_INET6 1
#include "fuzz_network.c"
