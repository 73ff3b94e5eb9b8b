/* Fuzz target: `segment` on AF_INET6 sockets — over an IPv6 wire, or over
 * IPv4 through IPv4-mapped addresses (dual stack) — bound to an address,
 * the wildcard or nothing (docs/fuzzing.md). The same source as `segment`:
 * its inputs take one more byte after the scenario, for the wire. */
#define SEGMENT_INET6 1
#include "fuzz_segment.c"
