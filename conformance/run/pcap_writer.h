/* Writes an observed trace as a classic pcap file (LINKTYPE_RAW: each record
 * is an IPv4 or IPv6 packet, no link layer), timestamps from the stack's
 * clock in microseconds (virtual time for the engine, starting at the epoch).
 * tcpdump -r and Wireshark read it as is. */
#ifndef SYNACK_RUN_PCAP_WRITER_H
#define SYNACK_RUN_PCAP_WRITER_H

#include <stddef.h>

#include "run/trace.h"

#define RUN_PCAP_LINKTYPE_RAW 101

/* Returns 0, or -1 with a message in err. */
int run_pcap_write(const char *path, const struct run_trace *t, char *err, size_t errcap);

/* For `--pcap DIR`: DIR/<script basename without .pkt>.pcap into out. */
void run_pcap_path_for(const char *dir, const char *script_path, char *out, size_t cap);

/* For `--pcap DIR` with several scripts: one file name per script, unique
 * among them. A name is the script's path relative to the scripts' common
 * directory, components joined by "__", ".pkt" replaced by ".pcap":
 * a/handshake/passive-open.pkt and a/close/passive-open.pkt give
 * handshake__passive-open.pcap and close__passive-open.pcap; one script
 * gives its basename. Empty and "." components are dropped; names still
 * equal get "-2", "-3", ... before ".pcap". Returns a malloc'd array of
 * n malloc'd names (run_pcap_names_free), or NULL when out of memory. */
char **run_pcap_names(char *const *paths, size_t n);
void run_pcap_names_free(char **names, size_t n);

#endif
