/* The Linux stack's network namespace: unshare, the veth pair, offloads,
 * addresses, routes and static neighbours, all over rtnetlink and ioctls from
 * C (no `ip` in the core path: one fewer dependency, no fork per step, and
 * errors come back as errno we can report).
 *
 * Runs only in the helper child, after fork: nothing here ever touches the
 * host's namespace.
 *
 *   kernel under test                       the script's peer (us)
 *   tun0  192.168.0.1/16  <---- veth ---->  synack0 (no address, no IPv6)
 *         fd3d:fa7b:d17d::/48                 one AF_PACKET socket:
 *   192.0.2.0/24 via 192.168.0.2              inject frames, capture TCP in
 *   2001:db8::/32 via fd3d:fa7b:d17d:8888::
 *   neighbours 192.168.0.2, fd3d:…:8888:: -> synack0's MAC, PERMANENT
 *
 * The peer side has no address, so the kernel never answers what we inject
 * with RSTs of its own; the permanent neighbour entries mean no ARP/ND ever
 * delays the first segment.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "stacks/linux_priv.h"

/* ---- addresses --------------------------------------------------------------- */

static void set4(struct synack_addr *a, uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	a->bytes[0] = b0;
	a->bytes[1] = b1;
	a->bytes[2] = b2;
	a->bytes[3] = b3;
}

static void set6(struct synack_addr *a, const uint8_t b[16])
{
	a->family = 6;
	memcpy(a->bytes, b, 16);
}

/* The next hop: packetdrill's gateway is the local subnet's .1 (or .2 when
 * that's us) for IPv4 and <local /48>:8888:: for IPv6. */
static void gateway_for(struct lx_family *f)
{
	f->gateway = f->local;
	if (f->local.family == 4) {
		f->gateway.bytes[2] = 0;
		f->gateway.bytes[3] = 1;
		if (memcmp(f->gateway.bytes, f->local.bytes, 4) == 0)
			f->gateway.bytes[3] = 2;
	} else {
		memset(f->gateway.bytes + 6, 0, 10);
		f->gateway.bytes[6] = 0x88;
		f->gateway.bytes[7] = 0x88;
		if (memcmp(f->gateway.bytes, f->local.bytes, 16) == 0)
			f->gateway.bytes[15] = 1;
	}
}

static void default_v4(struct lx_family *f)
{
	set4(&f->local, 192, 168, 0, 1);
	set4(&f->remote, 192, 0, 2, 1);
}

static void default_v6(struct lx_family *f)
{
	static const uint8_t local[16] = { 0xfd, 0x3d, 0xfa, 0x7b, 0xd1, 0x7d };
	static const uint8_t remote[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	set6(&f->local, local);
	set6(&f->remote, remote);
}

void lx_net_from_config(const struct stack_config *cfg, struct lx_net *net)
{
	memset(net, 0, sizeof(*net));
	default_v4(&net->v4);
	default_v6(&net->v6);
	if (cfg->local_ip.family == 4)
		net->v4.local = cfg->local_ip;
	if (cfg->remote_ip.family == 4)
		net->v4.remote = cfg->remote_ip;
	if (cfg->local_ip.family == 6)
		net->v6.local = cfg->local_ip;
	if (cfg->remote_ip.family == 6)
		net->v6.remote = cfg->remote_ip;
	net->v4.local_plen = 16;
	net->v4.remote_plen = 24;
	net->v6.local_plen = 48;
	net->v6.remote_plen = 32;
	gateway_for(&net->v4);
	gateway_for(&net->v6);
	net->mtu = cfg->mtu ? cfg->mtu : 1500;
	/* SYNACK_LINUX_TSO=1, the switch's first form, still works. */
	const char *tso_env = getenv("SYNACK_LINUX_TSO");
	net->tso = cfg->tso_segments || (tso_env && tso_env[0] == '1');
}

/* ---- rtnetlink ------------------------------------------------------------- */

struct nlreq {
	struct nlmsghdr *h;
	uint8_t buf[1024] __attribute__((aligned(NLMSG_ALIGNTO)));
};

static void *nl_start(struct nlreq *r, uint16_t type, uint16_t flags, size_t body)
{
	memset(r->buf, 0, sizeof(r->buf));
	r->h = (struct nlmsghdr *)r->buf;
	r->h->nlmsg_len = NLMSG_LENGTH(body);
	r->h->nlmsg_type = type;
	r->h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	return NLMSG_DATA(r->h);
}

static struct rtattr *nl_attr(struct nlreq *r, uint16_t type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)(r->buf + NLMSG_ALIGN(r->h->nlmsg_len));
	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	r->h->nlmsg_len = NLMSG_ALIGN(r->h->nlmsg_len) + RTA_ALIGN(a->rta_len);
	return a;
}

static void nl_nest_end(struct nlreq *r, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)((r->buf + r->h->nlmsg_len) - (uint8_t *)nest);
}

/* Sends one request and waits for its ACK. Returns 0 or -errno. */
static int nl_talk(int fd, struct nlreq *r)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	if (sendto(fd, r->buf, r->h->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	uint8_t reply[4096] __attribute__((aligned(NLMSG_ALIGNTO)));
	ssize_t n = recv(fd, reply, sizeof(reply), 0);
	if (n < 0)
		return -errno;
	for (struct nlmsghdr *h = (struct nlmsghdr *)reply; NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);
			return e->error;
		}
	}
	return -EPROTO;
}

static int link_up(int nl, int ifindex)
{
	struct nlreq r;
	struct ifinfomsg *ifi = nl_start(&r, RTM_NEWLINK, 0, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return nl_talk(nl, &r);
}

/* IF_OPER_UP from <linux/if.h>, which can't be included beside <net/if.h>. */
#define OPER_UP 6

/* IFLA_OPERSTATE of one link, or -errno. */
static int operstate(int nl, int ifindex)
{
	struct nlreq r;
	struct ifinfomsg *ifi = nl_start(&r, RTM_GETLINK, 0, sizeof(*ifi));
	r.h->nlmsg_flags = NLM_F_REQUEST; /* the reply is the link itself */
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	if (sendto(nl, r.buf, r.h->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	uint8_t reply[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	ssize_t n = recv(nl, reply, sizeof(reply), 0);
	if (n < 0)
		return -errno;
	struct nlmsghdr *h = (struct nlmsghdr *)reply;
	if (!NLMSG_OK(h, (size_t)n) || h->nlmsg_type != RTM_NEWLINK)
		return -EPROTO;
	struct ifinfomsg *got = NLMSG_DATA(h);
	int len = (int)IFLA_PAYLOAD(h);
	for (struct rtattr *a = IFLA_RTA(got); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == IFLA_OPERSTATE)
			return *(uint8_t *)RTA_DATA(a);
	return -ENOENT;
}

/* Until the kernel's linkwatch worker has seen the carrier come up, a
 * device transmits through noop_qdisc, which drops everything: a SYN-ACK
 * sent in that window is lost and retransmitted a second later. linkwatch
 * sets the operstate and activates the qdisc under the same RTNL hold, so
 * once RTM_GETLINK reports IF_OPER_UP the device really transmits. Usually
 * immediate; under load the worker can lag by milliseconds. */
static int wait_oper_up(int nl, int ifindex)
{
	for (int i = 0; i < 20000; i++) { /* ~2 s */
		int st = operstate(nl, ifindex);
		if (st < 0)
			return st;
		if (st == OPER_UP)
			return 0;
		struct timespec t = { 0, 100000 };
		nanosleep(&t, NULL);
	}
	return -ETIMEDOUT;
}

/* Is there a RTN_LOCAL route for the address yet? 1 yes, 0 no, -errno. */
static int is_local(int nl, const struct synack_addr *a)
{
	struct nlreq r;
	struct rtmsg *rt = nl_start(&r, RTM_GETROUTE, 0, sizeof(*rt));
	r.h->nlmsg_flags = NLM_F_REQUEST;
	rt->rtm_family = a->family == 4 ? AF_INET : AF_INET6;
	rt->rtm_dst_len = a->family == 4 ? 32 : 128;
	nl_attr(&r, RTA_DST, a->bytes, a->family == 4 ? 4u : 16u);
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	if (sendto(nl, r.buf, r.h->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	uint8_t reply[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	ssize_t n = recv(nl, reply, sizeof(reply), 0);
	if (n < 0)
		return -errno;
	struct nlmsghdr *h = (struct nlmsghdr *)reply;
	if (!NLMSG_OK(h, (size_t)n))
		return -EPROTO;
	if (h->nlmsg_type == NLMSG_ERROR)
		return 0; /* no route at all yet */
	const struct rtmsg *got = NLMSG_DATA(h);
	return got->rtm_type == RTN_LOCAL;
}

/* IPv6 installs an address's local route from a workqueue (addrconf's DAD
 * work runs even for nodad addresses), so for a moment after RTM_NEWADDR
 * returns, a packet to the address is dropped as Ip6InAddrErrors. Measured:
 * under parallel load, about one namespace in a hundred lost its first SYN
 * that way. Wait until the route lookup says "local". */
static int wait_local(int nl, const struct synack_addr *a)
{
	for (int i = 0; i < 20000; i++) { /* ~2 s */
		int rc = is_local(nl, a);
		if (rc != 0)
			return rc < 0 ? rc : 0;
		struct timespec t = { 0, 100000 };
		nanosleep(&t, NULL);
	}
	return -ETIMEDOUT;
}

static int veth_create(int nl, uint16_t mtu)
{
	static const uint8_t kmac[6] = LX_KERNEL_MAC, pmac[6] = LX_PEER_MAC;
	uint32_t mtu32 = mtu;
	struct nlreq r;
	struct ifinfomsg *ifi = nl_start(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	nl_attr(&r, IFLA_IFNAME, LX_KERNEL_IF, sizeof(LX_KERNEL_IF));
	nl_attr(&r, IFLA_ADDRESS, kmac, 6);
	nl_attr(&r, IFLA_MTU, &mtu32, 4);
	struct rtattr *linkinfo = nl_attr(&r, IFLA_LINKINFO, NULL, 0);
	nl_attr(&r, IFLA_INFO_KIND, "veth", 4);
	struct rtattr *data = nl_attr(&r, IFLA_INFO_DATA, NULL, 0);
	struct rtattr *peer = nl_attr(&r, VETH_INFO_PEER, NULL, 0);
	/* The peer's attributes follow its own ifinfomsg. */
	struct ifinfomsg peer_ifi = { .ifi_family = AF_UNSPEC };
	memcpy(r.buf + r.h->nlmsg_len, &peer_ifi, sizeof(peer_ifi));
	r.h->nlmsg_len += NLMSG_ALIGN(sizeof(peer_ifi));
	nl_attr(&r, IFLA_IFNAME, LX_PEER_IF, sizeof(LX_PEER_IF));
	nl_attr(&r, IFLA_ADDRESS, pmac, 6);
	nl_attr(&r, IFLA_MTU, &mtu32, 4);
	nl_nest_end(&r, peer);
	nl_nest_end(&r, data);
	nl_nest_end(&r, linkinfo);
	return nl_talk(nl, &r);
}

static int addr_len(const struct synack_addr *a)
{
	return a->family == 4 ? 4 : 16;
}

static uint8_t af_of(const struct synack_addr *a)
{
	return a->family == 4 ? AF_INET : AF_INET6;
}

static int addr_add(int nl, int ifindex, const struct synack_addr *a, uint8_t plen)
{
	struct nlreq r;
	struct ifaddrmsg *ifa =
	    nl_start(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, sizeof(*ifa));
	ifa->ifa_family = af_of(a);
	ifa->ifa_prefixlen = plen;
	ifa->ifa_index = (unsigned)ifindex;
	/* nodad: usable at once, no tentative phase, no DAD probes on the wire. */
	uint32_t flags = IFA_F_NODAD | IFA_F_PERMANENT;
	ifa->ifa_flags = (uint8_t)flags;
	nl_attr(&r, IFA_LOCAL, a->bytes, (size_t)addr_len(a));
	nl_attr(&r, IFA_ADDRESS, a->bytes, (size_t)addr_len(a));
	nl_attr(&r, IFA_FLAGS, &flags, 4);
	return nl_talk(nl, &r);
}

static int neigh_add(int nl, int ifindex, const struct synack_addr *a)
{
	static const uint8_t pmac[6] = LX_PEER_MAC;
	struct nlreq r;
	struct ndmsg *nd = nl_start(&r, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, sizeof(*nd));
	nd->ndm_family = af_of(a);
	nd->ndm_ifindex = ifindex;
	nd->ndm_state = NUD_PERMANENT;
	nl_attr(&r, NDA_DST, a->bytes, (size_t)addr_len(a));
	nl_attr(&r, NDA_LLADDR, pmac, 6);
	return nl_talk(nl, &r);
}

static int route_add(int nl, int ifindex, const struct synack_addr *dst, uint8_t plen,
                     const struct synack_addr *via)
{
	struct nlreq r;
	struct rtmsg *rt = nl_start(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, sizeof(*rt));
	rt->rtm_family = af_of(dst);
	rt->rtm_dst_len = plen;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_STATIC;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	/* The prefix's host bits must be zero or the kernel rejects it. */
	uint8_t net[16] = { 0 };
	int n = addr_len(dst);
	for (int i = 0; i < n; i++) {
		int bits = plen - 8 * i;
		uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
		net[i] = dst->bytes[i] & mask;
	}
	uint32_t oif = (uint32_t)ifindex;
	nl_attr(&r, RTA_DST, net, (size_t)n);
	nl_attr(&r, RTA_GATEWAY, via->bytes, (size_t)n);
	nl_attr(&r, RTA_OIF, &oif, 4);
	return nl_talk(nl, &r);
}

/* ---- offloads -------------------------------------------------------------- */

/* Two segment models. Default (synack's own corpus, written per wire
 * segment): TSO, GSO, GRO and TX checksum offload off at both ends, so one
 * script line is one MSS-sized wire segment and an injected segment larger
 * than the MTU is cut into MTU-sized ones by the peer's software GSO.
 *
 * --segments=tso (or SYNACK_LINUX_TSO=1 in the environment): segments as packetdrill sees them
 * (docs/compatibility.md). packetdrill's tun device has TSO/GSO
 * (TUNSETOFFLOAD), so a write the kernel sends as one TSO skb is one script
 * line (`> P. 1:10001(10000)`), and a large injected segment reaches TCP as
 * one skb; the kernel selftests and gtests are written that way. So TSO, GSO
 * and TX checksum offload are on at both ends of the veth: the kernel side
 * hands its TSO skbs to the peer unsegmented (we capture them whole and
 * complete their partial checksums, see linux_wire.c), and the peer side
 * forwards our GSO injections unsegmented. GRO is off at both ends, so the
 * kernel never merges what we inject. (Legacy ethtool ioctls, which still map
 * onto the feature flags; TX checksum before TSO, which depends on it.) RX
 * checksumming is off in both models. */
static int offloads_set(const char *ifname, bool tso, char *err, size_t cap)
{
	static const struct {
		uint32_t cmd;
		uint32_t on;
		const char *name;
	} set[] = {
		{ ETHTOOL_SGRO, 0, "gro" },
		{ ETHTOOL_STXCSUM, 1, "tx-checksumming" },
		{ ETHTOOL_SSG, 1, "sg" },
		{ ETHTOOL_STSO, 1, "tso" },
		{ ETHTOOL_SGSO, 1, "gso" },
		/* veth marks a checksum-less packet (ours, from a packet
		 * socket) as verified when the receiver has RX checksumming:
		 * off, so the kernel checks what we inject (bad_checksum). */
		{ ETHTOOL_SRXCSUM, 0, "rx-checksumming" },
	};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, cap, "socket for ethtool: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
		uint32_t on = tso ? set[i].on : set[i].cmd == ETHTOOL_SSG;
		struct ethtool_value ev = { .cmd = set[i].cmd, .data = on };
		struct ifreq ifr;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
		ifr.ifr_data = (char *)&ev;
		if (ioctl(fd, SIOCETHTOOL, &ifr) < 0 && errno != EOPNOTSUPP) {
			snprintf(err, cap, "ethtool %s %s %s: %s", ifname, set[i].name,
			         on ? "on" : "off", strerror(errno));
			close(fd);
			return -1;
		}
	}
	close(fd);
	return 0;
}

/* ---- setup ------------------------------------------------------------------ */

int lx_netns_enter(char *err, size_t cap, bool *skip)
{
	if (unshare(CLONE_NEWNET) == 0)
		return 0;
	int e = errno;
	*skip = (e == EPERM || e == EINVAL || e == ENOSYS);
	if (e == EPERM)
		snprintf(err, cap,
		         "linux stack needs root (CAP_NET_ADMIN) to create a network namespace");
	else
		snprintf(err, cap, "linux stack: unshare(CLONE_NEWNET): %s", strerror(e));
	return -1;
}

/* Settings every interface created from now on inherits ("default"), so
 * tun0's IPv6 never goes tentative, never solicits routers and never takes
 * router advertisements: nothing but the script's own traffic on the wire. */
static const char *const quiet_ipv6[][2] = {
	{ "net.ipv6.conf.default.accept_dad", "0" },
	{ "net.ipv6.conf.default.dad_transmits", "0" },
	{ "net.ipv6.conf.default.accept_ra", "0" },
	{ "net.ipv6.conf.default.router_solicitations", "0" },
	{ "net.ipv6.conf.all.accept_dad", "0" },
};

static int fail(char *err, size_t cap, const char *what, int rc)
{
	snprintf(err, cap, "linux stack: %s: %s", what, strerror(-rc));
	return -1;
}

static int setup_family(int nl, const struct lx_net *net, const struct lx_family *f, char *err,
                        size_t cap)
{
	int rc = addr_add(nl, net->kernel_ifindex, &f->local, f->local_plen);
	if (rc < 0)
		return fail(err, cap,
		            f->local.family == 4 ? "add IPv4 address" : "add IPv6 address", rc);
	rc = wait_local(nl, &f->local);
	if (rc < 0)
		return fail(err, cap, "wait for the local address to be usable", rc);
	rc = neigh_add(nl, net->kernel_ifindex, &f->gateway);
	if (rc < 0)
		return fail(err, cap, "add static neighbour for the gateway", rc);
	/* The remote itself too, so a remote inside the local prefix (on-link)
	 * is as fast as one behind the gateway. */
	rc = neigh_add(nl, net->kernel_ifindex, &f->remote);
	if (rc < 0)
		return fail(err, cap, "add static neighbour for the remote", rc);
	rc = route_add(nl, net->kernel_ifindex, &f->remote, f->remote_plen, &f->gateway);
	if (rc < 0)
		return fail(err, cap, "add route to the remote prefix", rc);
	/* A host route wins over the connected route when the remote happens
	 * to sit inside the local prefix. */
	rc = route_add(nl, net->kernel_ifindex, &f->remote, f->remote.family == 4 ? 32 : 128,
	               &f->gateway);
	if (rc < 0)
		return fail(err, cap, "add host route to the remote", rc);
	return 0;
}

int lx_netns_setup(struct lx_net *net, char *err, size_t cap, bool *skip)
{
	*skip = false;
	for (size_t i = 0; i < sizeof(quiet_ipv6) / sizeof(quiet_ipv6[0]); i++)
		(void)lx_sysctl_write(quiet_ipv6[i][0], quiet_ipv6[i][1]); /* IPv6 may be off */

	int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl < 0) {
		snprintf(err, cap, "linux stack: rtnetlink socket: %s", strerror(errno));
		return -1;
	}
	int rc = link_up(nl, 1); /* lo is always ifindex 1 in a fresh namespace */
	if (rc < 0)
		goto nlfail_lo;
	rc = veth_create(nl, net->mtu);
	if (rc < 0) {
		/* No veth driver: this host can't run the stack at all. */
		*skip = (rc == -EOPNOTSUPP || rc == -ENOENT);
		close(nl);
		return fail(err, cap, "create veth pair (is the veth module available?)", rc);
	}
	net->kernel_ifindex = (int)if_nametoindex(LX_KERNEL_IF);
	net->peer_ifindex = (int)if_nametoindex(LX_PEER_IF);
	if (!net->kernel_ifindex || !net->peer_ifindex) {
		close(nl);
		snprintf(err, cap, "linux stack: veth created but not found");
		return -1;
	}
	/* The peer carries no IPv6 at all: no link-local, no MLD, no RS. */
	(void)lx_sysctl_write("net.ipv6.conf." LX_PEER_IF ".disable_ipv6", "1");
	if (offloads_set(LX_KERNEL_IF, net->tso, err, cap) < 0 ||
	    offloads_set(LX_PEER_IF, net->tso, err, cap) < 0) {
		close(nl);
		return -1;
	}
	if ((rc = link_up(nl, net->peer_ifindex)) < 0 ||
	    (rc = link_up(nl, net->kernel_ifindex)) < 0) {
		close(nl);
		return fail(err, cap, "bring veth up", rc);
	}
	if ((rc = wait_oper_up(nl, net->kernel_ifindex)) < 0 ||
	    (rc = wait_oper_up(nl, net->peer_ifindex)) < 0) {
		close(nl);
		return fail(err, cap, "wait for the veth carrier", rc);
	}
	if (setup_family(nl, net, &net->v4, err, cap) < 0 ||
	    setup_family(nl, net, &net->v6, err, cap) < 0) {
		close(nl);
		return -1;
	}
	close(nl);
	return 0;
nlfail_lo:
	close(nl);
	return fail(err, cap, "bring lo up", rc);
}
