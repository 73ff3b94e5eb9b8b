/* The Linux stack's wire: inject the script's packets and capture the
 * kernel's, both on the peer end of the veth (synack0), through one plain
 * AF_PACKET socket.
 *
 * Why not libnet to inject and libpcap to capture (both were tried, both
 * work): the stack interface already hands us whole IP packets with correct
 * checksums, so libnet's builders have nothing to add, and the cost that
 * matters here is per script. Measured in a fresh namespace on our 2-core
 * kind of machine: pcap_activate (TPACKET_V3 ring, rebinding) took 6-22 ms,
 * and tearing down pcap's and libnet's sockets 25-40 ms at exit, because
 * each PF_PACKET release or rebind while running waits out an RCU grace
 * period (~12 ms here). One socket created with protocol 0, filtered, then
 * bound once costs ~0.2 ms to open and a single grace period to close.
 * libpcap still compiles the BPF filter (pcap_compile on a dead handle), so
 * the filter is the familiar expression rather than hand-written bytecode.
 *
 * Capture: only what tun0 transmitted (PACKET_IGNORE_OUTGOING drops our own
 * injections), only TCP (ARP never happens thanks to the static neighbours;
 * MLD and the like would only pollute the trace), one recvmsg per frame so
 * every packet is delivered at once, and the kernel's receive timestamp
 * (SO_TIMESTAMPNS), not the time we happened to read it.
 *
 * Inject: our frame (a 14-byte Ethernet header we prepend, then the packet,
 * untouched) written on the same socket: on the link layer the bytes reach
 * tun0's receive path exactly as written, IPv4 and IPv6 alike, with no
 * routing decision taken from the child's point of view.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "stacks/linux_priv.h"

#define ETH_HLEN_ 14
#define FILTER    "tcp"

#define VNET_LEN sizeof(struct virtio_net_hdr)

/* Both directions carry a virtio_net_hdr first (PACKET_VNET_HDR): that is
 * how a packet larger than the MTU goes in, as one GSO packet the way
 * packetdrill's tun device takes it, instead of failing with EMSGSIZE. */
struct lx_wire {
	int fd;
	uint16_t mtu;
	uint8_t frame[VNET_LEN + ETH_HLEN_ + 65536]; /* inject */
	uint8_t rx[VNET_LEN + ETH_HLEN_ + 65536];    /* capture */
};

uint64_t lx_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + (int64_t)ts.tv_nsec;
}

/* The capture filter as classic BPF, compiled by libpcap for Ethernet. */
static int attach_filter(int fd, char *err, size_t cap)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, ETH_HLEN_ + 65535);
	if (!dead) {
		snprintf(err, cap, "linux stack: pcap_open_dead failed");
		return -1;
	}
	struct bpf_program prog;
	if (pcap_compile(dead, &prog, FILTER, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, cap, "linux stack: pcap_compile(%s): %s", FILTER, pcap_geterr(dead));
		pcap_close(dead);
		return -1;
	}
	struct sock_fprog fprog = {
		.len = (unsigned short)prog.bf_len,
		.filter = (struct sock_filter *)prog.bf_insns,
	};
	int rc = setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog));
	int e = errno;
	pcap_freecode(&prog);
	pcap_close(dead);
	if (rc < 0) {
		snprintf(err, cap, "linux stack: SO_ATTACH_FILTER: %s", strerror(e));
		return -1;
	}
	return 0;
}

struct lx_wire *lx_wire_open(const struct lx_net *net, char *err, size_t cap)
{
	struct lx_wire *w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, cap, "linux stack: out of memory");
		return NULL;
	}
	static const uint8_t kmac[6] = LX_KERNEL_MAC, pmac[6] = LX_PEER_MAC;
	memcpy(w->frame + VNET_LEN, kmac, 6);
	memcpy(w->frame + VNET_LEN + 6, pmac, 6);
	w->mtu = net->mtu;

	/* Protocol 0: the socket sees nothing until bind, so no frame slips
	 * in before the filter is attached, and bind needn't unhook a running
	 * socket (which would wait for an RCU grace period). */
	w->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (w->fd < 0) {
		snprintf(err, cap, "linux stack: AF_PACKET socket: %s", strerror(errno));
		free(w);
		return NULL;
	}
	int one = 1, big = 8 << 20;
	if (attach_filter(w->fd, err, cap) < 0)
		goto fail;
	if (setsockopt(w->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0 ||
	    setsockopt(w->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0 ||
	    setsockopt(w->fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0) {
		snprintf(err, cap, "linux stack: capture socket options: %s", strerror(errno));
		goto fail;
	}
	if (setsockopt(w->fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
		(void)setsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = net->peer_ifindex,
	};
	if (bind(w->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		snprintf(err, cap, "linux stack: bind to %s: %s", LX_PEER_IF, strerror(errno));
		goto fail;
	}
	return w;
fail:
	close(w->fd);
	free(w);
	return NULL;
}

void lx_wire_close(struct lx_wire *w)
{
	if (!w)
		return;
	close(w->fd);
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
	struct virtio_net_hdr vh;
	memset(&vh, 0, sizeof(vh));
	size_t ip = version == 4 ? (size_t)(pkt[0] & 15) * 4 : 40;
	bool tcp = len >= ip + 20 && (version == 4 ? pkt[9] : pkt[6]) == 6 /* IPPROTO_TCP */;
	if (len > w->mtu && tcp) {
		/* One GSO packet: the peer side has TSO, so it reaches
		 * tun0 as one skb, as a large write to packetdrill's tun
		 * does, and TCP takes it whole (one ACK for all of it). */
		size_t th = (size_t)(pkt[ip + 12] >> 4) * 4;
		vh.gso_type = version == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
		vh.hdr_len = (uint16_t)(ETH_HLEN_ + ip + th);
		vh.gso_size = (uint16_t)(w->mtu - ip - th);
	}
	memcpy(w->frame, &vh, VNET_LEN);
	uint8_t *eth = w->frame + VNET_LEN;
	eth[12] = version == 4 ? 0x08 : 0x86;
	eth[13] = version == 4 ? 0x00 : 0xdd;
	memcpy(eth + ETH_HLEN_, pkt, len);
	size_t total = VNET_LEN + ETH_HLEN_ + len;
	ssize_t n;
	do
		n = send(w->fd, w->frame, total, 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)total) {
		snprintf(err, cap, "inject: send on %s: %s", LX_PEER_IF,
		         n < 0 ? strerror(errno) : "short write");
		return -1;
	}
	return 0;
}

/* With TX checksum offload on tun0 the kernel leaves partial checksums
 * (the pseudo-header sum) and says where in the virtio header: finish them,
 * so what we report is what a NIC would put on the wire. */
static void complete_csum(uint8_t *buf, size_t n)
{
	struct virtio_net_hdr vh;
	memcpy(&vh, buf, VNET_LEN);
	if (!(vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return;
	uint8_t *frame = buf + VNET_LEN;
	size_t len = n - VNET_LEN, start = vh.csum_start, at = start + vh.csum_offset;
	if (start >= len || at + 2 > len)
		return;
	uint32_t sum = 0;
	for (size_t i = start; i + 1 < len; i += 2)
		sum += (uint32_t)(frame[i] << 8 | frame[i + 1]);
	if ((len - start) & 1)
		sum += (uint32_t)frame[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	uint16_t c = (uint16_t)~sum;
	frame[at] = (uint8_t)(c >> 8);
	frame[at + 1] = (uint8_t)c;
}

int lx_wire_drain(struct lx_wire *w,
                  void (*fn)(void *ctx, uint64_t mono_ns, const uint8_t *ip, size_t len), void *ctx)
{
	int count = 0;
	for (;;) {
		union {
			struct cmsghdr h;
			uint8_t buf[CMSG_SPACE(sizeof(struct timespec))];
		} ctrl;
		struct sockaddr_ll from;
		struct iovec iov = { .iov_base = w->rx, .iov_len = sizeof(w->rx) };
		struct msghdr mh = {
			.msg_name = &from,
			.msg_namelen = sizeof(from),
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = ctrl.buf,
			.msg_controllen = sizeof(ctrl.buf),
		};
		ssize_t n = recvmsg(w->fd, &mh, MSG_TRUNC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return (errno == EAGAIN || errno == EWOULDBLOCK) ? count : -1;
		}
		if (from.sll_pkttype == PACKET_OUTGOING || n <= (ssize_t)(VNET_LEN + ETH_HLEN_) ||
		    (size_t)n > sizeof(w->rx))
			continue; /* ours, runt, or larger than any IP packet */
		/* The kernel stamps the skb on CLOCK_REALTIME as it reaches
		 * synack0; the script's clock is CLOCK_MONOTONIC. */
		int64_t stamp = 0;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;
				memcpy(&ts, CMSG_DATA(c), sizeof(ts));
				stamp = (int64_t)ts.tv_sec * 1000000000 + (int64_t)ts.tv_nsec;
			}
		}
		complete_csum(w->rx, (size_t)n);
		int64_t mono = (int64_t)lx_mono_ns();
		if (stamp)
			mono += stamp - real_ns();
		fn(ctx, (uint64_t)mono, w->rx + VNET_LEN + ETH_HLEN_,
		   (size_t)n - VNET_LEN - ETH_HLEN_);
		count++;
	}
}
