/* The Linux stack's wire: inject the script's packets and capture the
 * kernel's, both on the peer end of the veth (synack0).
 *
 * Inject: libnet in LIBNET_LINK_ADV mode. The stack interface hands us whole
 * IP packets with their checksums already right, so libnet's builders have
 * nothing to add; its advanced link mode writes our frame (a 14-byte Ethernet
 * header we prepend, then the packet, untouched) through the PF_PACKET socket
 * it opened on synack0. Link layer rather than LIBNET_RAW4/RAW6 because a raw
 * IP socket would route the packet from the child's point of view (and
 * RAW6 can't set every header field); on the link layer the bytes reach
 * tun0's receive path exactly as written, for IPv4 and IPv6 alike.
 * libnet_init runs here, in the child, inside the namespace (it binds its
 * socket to the namespace current at init), one context, one thread.
 *
 * Capture: libpcap on synack0, direction "in" (what tun0 transmitted, never
 * our own injections), BPF filter "tcp" (ARP never happens thanks to the
 * static neighbours; MLD and the like would only pollute the trace),
 * immediate mode (without it captures lag by up to the buffer timeout),
 * nanosecond kernel timestamps.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libnet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stacks/linux_priv.h"

#define ETH_HLEN_ 14

struct lx_wire {
	libnet_t *ln;
	pcap_t *pc;
	int fd;
	uint8_t frame[ETH_HLEN_ + 65536];
};

uint64_t lx_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct lx_wire *lx_wire_open(const struct lx_net *net, char *err, size_t cap)
{
	(void)net;
	struct lx_wire *w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, cap, "linux stack: out of memory");
		return NULL;
	}
	static const uint8_t kmac[6] = LX_KERNEL_MAC, pmac[6] = LX_PEER_MAC;
	memcpy(w->frame, kmac, 6);
	memcpy(w->frame + 6, pmac, 6);

	char lerr[LIBNET_ERRBUF_SIZE] = "";
	w->ln = libnet_init(LIBNET_LINK_ADV, LX_PEER_IF, lerr);
	if (!w->ln) {
		snprintf(err, cap, "linux stack: libnet_init on %s: %s", LX_PEER_IF, lerr);
		goto fail;
	}

	char perr[PCAP_ERRBUF_SIZE] = "";
	w->pc = pcap_create(LX_PEER_IF, perr);
	if (!w->pc) {
		snprintf(err, cap, "linux stack: pcap_create %s: %s", LX_PEER_IF, perr);
		goto fail;
	}
	pcap_set_snaplen(w->pc, ETH_HLEN_ + 65535);
	pcap_set_immediate_mode(w->pc, 1);
	pcap_set_buffer_size(w->pc, 8 << 20);
	pcap_set_tstamp_precision(w->pc, PCAP_TSTAMP_PRECISION_NANO);
	int rc = pcap_activate(w->pc);
	if (rc < 0) {
		snprintf(err, cap, "linux stack: pcap_activate %s: %s", LX_PEER_IF,
		         pcap_geterr(w->pc));
		goto fail;
	}
	struct bpf_program prog;
	if (pcap_setdirection(w->pc, PCAP_D_IN) < 0 ||
	    pcap_compile(w->pc, &prog, "tcp", 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, cap, "linux stack: pcap filter: %s", pcap_geterr(w->pc));
		goto fail;
	}
	rc = pcap_setfilter(w->pc, &prog);
	pcap_freecode(&prog);
	if (rc < 0 || pcap_setnonblock(w->pc, 1, perr) < 0) {
		snprintf(err, cap, "linux stack: pcap setup: %s", pcap_geterr(w->pc));
		goto fail;
	}
	w->fd = pcap_get_selectable_fd(w->pc);
	if (w->fd < 0) {
		snprintf(err, cap, "linux stack: pcap has no selectable descriptor");
		goto fail;
	}
	return w;
fail:
	lx_wire_close(w);
	return NULL;
}

void lx_wire_close(struct lx_wire *w)
{
	if (!w)
		return;
	if (w->pc)
		pcap_close(w->pc);
	if (w->ln)
		libnet_destroy(w->ln);
	free(w);
}

int lx_wire_fd(const struct lx_wire *w)
{
	return w->fd;
}

int lx_wire_inject(struct lx_wire *w, const uint8_t *pkt, size_t len, char *err, size_t cap)
{
	if (len < 1 || len > 65535) {
		snprintf(err, cap, "inject: bad packet length %zu", len);
		return -1;
	}
	int version = pkt[0] >> 4;
	if (version != 4 && version != 6) {
		snprintf(err, cap, "inject: not an IP packet (version %d)", version);
		return -1;
	}
	w->frame[12] = version == 4 ? 0x08 : 0x86;
	w->frame[13] = version == 4 ? 0x00 : 0xdd;
	memcpy(w->frame + ETH_HLEN_, pkt, len);
	int n = libnet_adv_write_link(w->ln, w->frame, (uint32_t)(ETH_HLEN_ + len));
	if (n != (int)(ETH_HLEN_ + len)) {
		snprintf(err, cap, "inject: libnet_adv_write_link: %s", libnet_geterror(w->ln));
		return -1;
	}
	return 0;
}

struct drain_ctx {
	void (*fn)(void *ctx, uint64_t mono_ns, const uint8_t *ip, size_t len);
	void *ctx;
	int64_t real_to_mono; /* CLOCK_MONOTONIC - CLOCK_REALTIME, sampled now */
	int count;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct drain_ctx *d = (struct drain_ctx *)user;
	if (h->caplen <= ETH_HLEN_ || h->caplen < h->len)
		return; /* truncated: never with our snaplen */
	/* The kernel stamps the skb on CLOCK_REALTIME as it reaches synack0;
	 * the script's clock is CLOCK_MONOTONIC. With nanosecond precision
	 * pcap's tv_usec holds nanoseconds. */
	int64_t real = (int64_t)h->ts.tv_sec * 1000000000 + (int64_t)h->ts.tv_usec;
	d->fn(d->ctx, (uint64_t)(real + d->real_to_mono), bytes + ETH_HLEN_, h->caplen - ETH_HLEN_);
	d->count++;
}

int lx_wire_drain(struct lx_wire *w,
                  void (*fn)(void *ctx, uint64_t mono_ns, const uint8_t *ip, size_t len), void *ctx)
{
	struct drain_ctx d = { .fn = fn, .ctx = ctx };
	d.real_to_mono = (int64_t)lx_mono_ns() - (int64_t)real_ns();
	for (;;) {
		int n = pcap_dispatch(w->pc, -1, on_packet, (u_char *)&d);
		if (n < 0)
			return -1;
		if (n == 0)
			return d.count;
	}
}
