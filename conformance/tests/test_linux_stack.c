/* The Linux stack end to end: a real kernel in a private namespace, inbound
 * packets built by hand here, outbound ones decoded by the engine's
 * synack_seg_parse (checksums verified).
 *
 * Scenarios: passive open (SYN in, SYN-ACK out with the right fields, the
 * blocking accept completing as an event once the ACK is in), active open
 * (connect's SYN on the wire with sane options, the SYN-ACK completing it,
 * TCP_INFO through the neutral struct), data both ways, and the same passive
 * handshake over IPv6.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stacks/linux_stack.h"
#include "stacks/stack.h"
#include "synack/segment.h"
#include "tap.h"

static const struct stack_ops *ops = &stack_linux_ops;

/* ---- packets ------------------------------------------------------------------ */

struct seg {
	int family; /* 4 or 6 */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	uint8_t opts[40];
	size_t optlen;
	const uint8_t *data;
	size_t datalen;
	/* decoded options */
	int mss, wscale, sack_ok, has_ts;
	uint32_t tsval, tsecr;
	bool csum_ok;
};

enum { FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16 };

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint16_t tcp_csum(int family, const uint8_t *src, const uint8_t *dst, const uint8_t *tcp,
                         size_t len)
{
	size_t alen = family == 4 ? 4 : 16;
	uint32_t s = sum16(src, alen, 0);
	s = sum16(dst, alen, s);
	s += IPPROTO_TCP + (uint32_t)len;
	return fold(sum16(tcp, len, s));
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static size_t build(const struct seg *s, uint8_t *buf)
{
	size_t ip = s->family == 4 ? 20 : 40;
	size_t th = 20 + s->optlen;
	size_t tcp_len = th + s->datalen;
	memset(buf, 0, ip + tcp_len);
	if (s->family == 4) {
		buf[0] = 0x45;
		put16(buf + 2, (uint32_t)(ip + tcp_len));
		buf[6] = 0x40; /* DF */
		buf[8] = 64;
		buf[9] = IPPROTO_TCP;
		memcpy(buf + 12, s->src, 4);
		memcpy(buf + 16, s->dst, 4);
		put16(buf + 10, fold(sum16(buf, 20, 0)));
	} else {
		buf[0] = 0x60;
		put16(buf + 4, (uint32_t)tcp_len);
		buf[6] = IPPROTO_TCP;
		buf[7] = 64;
		memcpy(buf + 8, s->src, 16);
		memcpy(buf + 24, s->dst, 16);
	}
	uint8_t *t = buf + ip;
	put16(t, s->sport);
	put16(t + 2, s->dport);
	put32(t + 4, s->seq);
	put32(t + 8, s->ack);
	t[12] = (uint8_t)((th / 4) << 4);
	t[13] = s->flags;
	put16(t + 14, s->win);
	memcpy(t + 20, s->opts, s->optlen);
	if (s->datalen)
		memcpy(t + th, s->data, s->datalen);
	put16(t + 16, tcp_csum(s->family, s->src, s->dst, t, tcp_len));
	return ip + tcp_len;
}

/* <mss 1460,sackOK,TS val tsval ecr 0,nop,wscale 7>, Linux's SYN layout. */
static void syn_options(struct seg *s, uint32_t tsval)
{
	static const uint8_t o[20] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
		                       0, 0, 0,    0,    0, 0, 1, 3,  3, 7 };
	memcpy(s->opts, o, sizeof(o));
	put32(s->opts + 8, tsval);
	s->optlen = sizeof(o);
}

/* Outbound packets go through the engine's own parser (full validation,
 * checksum verified), then into the test's flat view. */
static bool parse(const uint8_t *p, size_t len, struct seg *s)
{
	memset(s, 0, sizeof(*s));
	struct synack_segment g;
	enum synack_seg_error e = synack_seg_parse(p, len, true, &g);
	s->csum_ok = e == SYNACK_SEG_OK;
	if (e == SYNACK_SEG_BAD_CHECKSUM)
		e = synack_seg_parse(p, len, false, &g);
	if (e != SYNACK_SEG_OK) {
		tap_diag("synack_seg_parse: %s", synack_seg_error_name(e));
		return false;
	}
	s->family = g.src.family;
	memcpy(s->src, g.src.bytes, 16);
	memcpy(s->dst, g.dst.bytes, 16);
	s->sport = g.sport;
	s->dport = g.dport;
	s->seq = g.seq;
	s->ack = g.ack;
	s->flags = g.flags;
	s->win = g.window;
	s->optlen = g.options_len;
	memcpy(s->opts, g.options_raw, g.options_len);
	s->data = g.payload;
	s->datalen = g.payload_len;
	s->mss = g.opt.has_mss ? g.opt.mss : -1;
	s->wscale = g.opt.has_wscale ? g.opt.wscale : -1;
	s->sack_ok = g.opt.sack_permitted;
	s->has_ts = g.opt.has_ts;
	s->tsval = g.opt.ts_val;
	s->tsecr = g.opt.ts_ecr;
	return true;
}

/* ---- a tiny driver ------------------------------------------------------------ */

static struct stack *st;
static struct stack_call calls[8]; /* big: static */

static struct stack_call *mkcall(int slot, enum stack_op op, int fd)
{
	struct stack_call *c = &calls[slot];
	memset(c, 0, sizeof(*c));
	c->op = op;
	c->fd = fd;
	return c;
}

static long do_call(struct stack_call *c)
{
	struct stack_error err;
	int rc = ops->call(st, c, &err);
	if (rc != STACK_CALL_DONE) {
		tap_diag("call op %d: rc %d (%s)", c->op, rc, err.msg);
		return -1000;
	}
	return c->ret;
}

static int make_socket(int domain)
{
	struct stack_call *c = mkcall(0, STACK_SOCKET, -1);
	c->a[0] = domain;
	c->a[1] = SOCK_STREAM;
	c->a[2] = 0;
	return (int)do_call(c);
}

static long sockopt_int(int fd, int level, int name, int v)
{
	struct stack_call *c = mkcall(0, STACK_SETSOCKOPT, fd);
	c->a[0] = level;
	c->a[1] = name;
	c->in = (const uint8_t *)&v;
	c->in_len = sizeof(v);
	return do_call(c);
}

static long bind_listen(int fd, int family, uint16_t port)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	size_t len;
	if (family == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		len = sizeof(*sin6);
	}
	struct stack_call *c = mkcall(0, STACK_BIND, fd);
	c->in = (const uint8_t *)&ss;
	c->in_len = len;
	if (do_call(c) != 0)
		return -1;
	c = mkcall(0, STACK_LISTEN, fd);
	c->a[0] = 16;
	return do_call(c);
}

static int inject(const struct seg *s)
{
	static uint8_t buf[65536];
	size_t n = build(s, buf);
	struct stack_error err;
	int rc = ops->inject(st, buf, n, &err);
	if (rc != 0)
		tap_diag("inject: %s", err.msg);
	return rc;
}

/* Waits up to ms for the next event. */
static bool next(struct stack_event *ev, uint64_t ms)
{
	uint64_t until = ops->now(st) + ms * 1000;
	while (ops->now(st) < until) {
		if (ops->next_event(st, ev))
			return true;
		if (ops->advance(st, until) < 0)
			return false;
	}
	return ops->next_event(st, ev);
}

static struct stack_event ev; /* 64 KB: static */

static bool next_packet(struct seg *s, uint64_t ms)
{
	memset(s, 0, sizeof(*s));
	if (!next(&ev, ms)) {
		tap_diag("no event within %llu ms", (unsigned long long)ms);
		return false;
	}
	if (ev.kind == STACK_EV_PACKET && parse(ev.pkt, ev.len, s))
		return true;
	char hex[3 * 48 + 1] = "";
	for (size_t i = 0; i < ev.len && i < 48; i++)
		snprintf(hex + 3 * i, 4, "%02x ", ev.pkt[i]);
	tap_diag("unexpected event: kind %d at %llu us, %zu bytes: %s", ev.kind,
	         (unsigned long long)ev.time_us, ev.len, hex);
	return false;
}

/* packetdrill's segment model for the next start() (--segments=tso). */
static bool tso_segments;

/* version: 4, 6, or 46 (AF_INET6 sockets, IPv4-mapped, IPv4 on the wire) */
static int start(int version)
{
	struct stack_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.ip_version = version;
	cfg.mtu = 1500;
	cfg.tso_segments = tso_segments;
	struct stack_error err;
	if (version != 6) {
		cfg.local_ip.family = cfg.remote_ip.family = 4;
		inet_pton(AF_INET, "192.168.0.1", cfg.local_ip.bytes);
		inet_pton(AF_INET, "192.0.2.1", cfg.remote_ip.bytes);
	} else {
		cfg.local_ip.family = cfg.remote_ip.family = 6;
		inet_pton(AF_INET6, "fd3d:fa7b:d17d::", cfg.local_ip.bytes);
		inet_pton(AF_INET6, "2001:db8::1", cfg.remote_ip.bytes);
	}
	if (ops->start(&st, &cfg, &err) != 0) {
		tap_diag("start: %s", err.msg);
		return -1;
	}
	return 0;
}

static void addrs(int family, struct seg *s)
{
	if (family == 4) {
		inet_pton(AF_INET, "192.0.2.1", s->src);
		inet_pton(AF_INET, "192.168.0.1", s->dst);
	} else {
		inet_pton(AF_INET6, "2001:db8::1", s->src);
		inet_pton(AF_INET6, "fd3d:fa7b:d17d::", s->dst);
	}
	s->family = family;
}

/* ---- scenarios ------------------------------------------------------------------ */

/* Threads of process pid, and how many run SCHED_FIFO (/proc/PID/task/TID/
 * stat field 41). */
static void helper_policies(pid_t pid, int *n, int *fifo)
{
	*n = *fifo = 0;
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char stat[384], buf[1024];
		snprintf(stat, sizeof stat, "%s/%s/stat", path, e->d_name);
		FILE *f = fopen(stat, "r");
		if (!f)
			continue;
		size_t len = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[len] = '\0';
		const char *p = strrchr(buf, ')');
		int field = 2; /* ")" ends field 2 */
		for (; p && *p && field < 41; p++)
			if (*p == ' ')
				field++;
		(*n)++;
		if (p && atoi(p) == SCHED_FIFO)
			(*fifo)++;
	}
	closedir(d);
}

static void passive_open(int version)
{
	int family = version == 6 ? 6 : 4; /* on the wire */
	int domain = version == 4 ? AF_INET : AF_INET6;
	if (version == 46)
		subtest("passive open, AF_INET6 socket, IPv4-mapped: blocking accept completes");
	else
		subtest("passive open over IPv%d: SYN in, SYN-ACK out, blocking accept completes",
		        version);
	if (start(version) != 0) {
		fail("stack starts");
		subtest_end();
		return;
	}
	tap_note("setup %llu us; notes: %s", (unsigned long long)stack_linux_setup_us(st),
	         ops->notes(st));
	int lfd = make_socket(domain);
	ok(lfd >= 0, "socket() = %d", lfd);
	is_int(sockopt_int(lfd, SOL_SOCKET, SO_REUSEADDR, 1), 0, "setsockopt(SO_REUSEADDR)");
	is_int(bind_listen(lfd, domain == AF_INET ? 4 : 6, 8080), 0, "bind + listen on 8080");

	struct seg syn = { .sport = 40000, .dport = 8080, .seq = 1000, .flags = SYN, .win = 65535 };
	addrs(family, &syn);
	syn_options(&syn, 100);
	uint64_t t_inject = ops->now(st);
	is_int(inject(&syn), 0, "inject SYN");

	struct seg sa;
	bool got = next_packet(&sa, 1000);
	ok(got, "a packet came out");
	is_hex(sa.flags, SYN | ACK, "it is a SYN-ACK");
	is_uint(sa.sport, 8080, "from port 8080");
	is_uint(sa.dport, 40000, "to port 40000");
	is_uint(sa.ack, 1001, "ack = SYN's seq + 1");
	is_mem(sa.src, family == 4 ? 4u : 16u, syn.dst, family == 4 ? 4u : 16u,
	       "from the local address");
	is_int(sa.mss, family == 4 ? 1460 : 1440, "MSS from MTU 1500");
	ok(sa.sack_ok, "sackOK");
	ok(sa.has_ts && sa.tsecr == 100, "TS ecr echoes our val (%u)", sa.tsecr);
	ok(sa.wscale >= 0, "wscale present (%d)", sa.wscale);
	ok(sa.csum_ok, "TCP checksum is the wire's (TX checksum offload off)");
	ok(ev.time_us >= t_inject && ev.time_us < t_inject + 500000,
	   "timestamp %llu us after start, after the inject at %llu",
	   (unsigned long long)ev.time_us, (unsigned long long)t_inject);
	tap_note("SYN -> SYN-ACK: %lld us (kernel capture timestamp - inject call)",
	         (long long)ev.time_us - (long long)t_inject);

	struct stack_call *acc = mkcall(1, STACK_ACCEPT, lfd);
	acc->out_cap = sizeof(struct sockaddr_storage);
	acc->may_block = true;
	struct stack_error err;
	is_int(ops->call(st, acc, &err), STACK_CALL_PENDING, "blocking accept() is pending");
	if (!getenv("SYNACK_LINUX_RT") || strcmp(getenv("SYNACK_LINUX_RT"), "0") != 0) {
		int n = 0, fifo = 0;
		for (int i = 0; i < 100 && n < 2; i++) {
			helper_policies(stack_linux_pid(st), &n, &fifo);
			if (n < 2)
				usleep(10000);
		}
		ok(n >= 2 && fifo == n,
		   "the helper and the accept's syscall thread run SCHED_FIFO (%d of %d threads)",
		   fifo, n);
	}
	struct stack_event e2;
	ok(!ops->next_event(st, &e2), "nothing happens before the ACK");

	struct seg ackseg = { .sport = 40000,
		              .dport = 8080,
		              .seq = 1001,
		              .ack = sa.seq + 1,
		              .flags = ACK,
		              .win = 502 };
	addrs(family, &ackseg);
	/* <nop,nop,TS val 101 ecr theirs> */
	uint8_t ts[12] = { 1, 1, 8, 10 };
	put32(ts + 4, 101);
	put32(ts + 8, sa.tsval);
	memcpy(ackseg.opts, ts, 12);
	ackseg.optlen = 12;
	uint64_t t_ack = ops->now(st);
	is_int(inject(&ackseg), 0, "inject the handshake's ACK");
	got = next(&ev, 1000);
	ok(got && ev.kind == STACK_EV_CALL_DONE && ev.call == acc,
	   "accept() completes as an event");
	ok(acc->ret >= 0, "accept() = %ld (errno %d)", acc->ret, acc->err);
	ok(acc->done_us >= t_ack, "accept returned after the ACK (%llu >= %llu)",
	   (unsigned long long)acc->done_us, (unsigned long long)t_ack);
	is_uint(acc->out_len,
	        domain == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6),
	        "peer address length");
	int afd = (int)acc->ret;

	/* Data in: 100 bytes, then read them back; the kernel ACKs them. */
	uint8_t data[100];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	struct seg d = ackseg;
	d.flags = PSH | ACK;
	d.data = data;
	d.datalen = sizeof(data);
	is_int(inject(&d), 0, "inject 100 bytes");
	struct stack_call *rd = mkcall(2, STACK_READ, afd);
	rd->out_cap = 1000;
	rd->may_block = true;
	is_int(ops->call(st, rd, &err), STACK_CALL_PENDING, "blocking read() is pending");
	bool read_done = false, acked = false;
	for (int i = 0; i < 4 && !(read_done && acked); i++) {
		if (!next(&ev, 1000))
			break;
		if (ev.kind == STACK_EV_CALL_DONE && ev.call == rd)
			read_done = true;
		struct seg a;
		if (ev.kind == STACK_EV_PACKET && parse(ev.pkt, ev.len, &a) && a.ack == 1101)
			acked = true;
	}
	ok(read_done && rd->ret == 100, "read() = %ld", rd->ret);
	is_mem(rd->out, rd->out_len, data, sizeof(data), "the bytes we sent");
	ok(acked, "the kernel ACKed them (ack 1101)");

	/* A segment larger than the MTU, as packetdrill scripts write them
	 * (`< . 1101:5101(4000)`): injected as one GSO packet. */
	static uint8_t bigdata[4000];
	for (size_t i = 0; i < sizeof(bigdata); i++)
		bigdata[i] = (uint8_t)(i * 13);
	struct seg big = ackseg;
	big.seq = 1101;
	big.flags = ACK;
	big.data = bigdata;
	big.datalen = sizeof(bigdata);
	is_int(inject(&big), 0, "inject a 4000-byte segment (MTU 1500)");
	rd = mkcall(2, STACK_READ, afd);
	rd->out_cap = 8000;
	rd->may_block = true;
	ops->call(st, rd, &err);
	read_done = acked = false;
	for (int i = 0; i < 6 && !(read_done && acked); i++) {
		if (!next(&ev, 1000))
			break;
		if (ev.kind == STACK_EV_CALL_DONE && ev.call == rd)
			read_done = true;
		struct seg a;
		if (ev.kind == STACK_EV_PACKET && parse(ev.pkt, ev.len, &a) && a.ack == 5101)
			acked = true;
	}
	ok(read_done && rd->ret == 4000, "read() = %ld: all of it", rd->ret);
	ok(rd->out_len == sizeof(bigdata) && memcmp(rd->out, bigdata, sizeof(bigdata)) == 0,
	   "the bytes we sent");
	ok(acked, "the kernel ACKed it all (ack 5101)");

	/* Data out. */
	struct stack_call *wr = mkcall(3, STACK_WRITE, afd);
	wr->in = data;
	wr->in_len = 50;
	is_int(do_call(wr), 50, "write(50) = 50");
	struct seg out;
	got = next_packet(&out, 1000);
	ok(got && out.datalen == 50 && out.seq == sa.seq + 1, "50 bytes on the wire at ISN+1");
	ok(out.csum_ok, "data segment checksum correct");

	struct stack_call *cl = mkcall(4, STACK_CLOSE, lfd);
	is_int(do_call(cl), 0, "close(listener)");
	cl = mkcall(4, STACK_CLOSE, lfd);
	is_int(do_call(cl), -1, "close again fails");
	is_int(cl->err, EBADF, "with EBADF");

	/* A deadline waited out with nothing happening is a timer wake-up:
	 * its lateness is reported per script in the notes. */
	uint64_t until = ops->now(st) + 20000;
	is_int(ops->advance(st, until), 0, "advance() 20 ms with nothing due");
	ok(ops->now(st) >= until, "returned at or after the deadline");
	const char *notes = ops->notes(st);
	ok(notes && strstr(notes, "jitter: timer wake-ups "), "notes report the jitter: %s",
	   notes ? notes : "(null)");
	ok(notes && strstr(notes, "; injections ") && strstr(notes, ", sent after mean "),
	   "and how long injections took to reach the kernel");
	ops->stop(st);
	st = NULL;
	subtest_end();
}

static void active_open(void)
{
	subtest("active open: connect() emits a sane SYN; the SYN-ACK completes it");
	if (start(4) != 0) {
		fail("stack starts");
		subtest_end();
		return;
	}
	int fd = make_socket(AF_INET);
	ok(fd >= 0, "socket() = %d", fd);

	struct stack_call *c = mkcall(0, STACK_GETSOCKOPT, fd);
	c->a[0] = IPPROTO_TCP;
	c->a[1] = TCP_CONGESTION;
	c->out_cap = 16;
	is_int(do_call(c), 0, "getsockopt(TCP_CONGESTION)");
	is_str((const char *)c->out, "cubic", "congestion control is cubic (sysctl or fallback)");

	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(8081) };
	inet_pton(AF_INET, "192.0.2.1", &to.sin_addr);
	struct stack_call *con = mkcall(1, STACK_CONNECT, fd);
	con->in = (const uint8_t *)&to;
	con->in_len = sizeof(to);
	con->may_block = true;
	struct stack_error err;
	is_int(ops->call(st, con, &err), STACK_CALL_PENDING, "blocking connect() is pending");

	struct seg syn;
	bool got = next_packet(&syn, 1000);
	ok(got && syn.flags == SYN, "a SYN on the wire");
	is_uint(syn.dport, 8081, "to port 8081");
	ok(syn.sport >= 32768 && syn.sport <= 60999, "from an ephemeral port (%u)", syn.sport);
	is_int(syn.mss, 1460, "MSS 1460");
	ok(syn.sack_ok, "sackOK");
	ok(syn.has_ts && syn.tsecr == 0, "TS with ecr 0");
	/* tcp_rmem max pinned at 15 MiB: wscale 8, as the selftests expect. */
	is_int(syn.wscale, 8, "wscale 8 from the pinned tcp_rmem");
	ok(syn.csum_ok, "checksum correct");
	is_uint(syn.optlen, 20, "Linux's 20-byte SYN option block");

	struct seg sa = { .sport = 8081,
		          .dport = syn.sport,
		          .seq = 5000,
		          .ack = syn.seq + 1,
		          .flags = SYN | ACK,
		          .win = 65535 };
	memcpy(sa.src, syn.dst, 4);
	memcpy(sa.dst, syn.src, 4);
	sa.family = 4;
	syn_options(&sa, 700);
	put32(sa.opts + 12, syn.tsval);
	is_int(inject(&sa), 0, "inject SYN-ACK");
	bool done = false, acked = false;
	for (int i = 0; i < 4 && !(done && acked); i++) {
		if (!next(&ev, 1000))
			break;
		if (ev.kind == STACK_EV_CALL_DONE && ev.call == con)
			done = true;
		struct seg a;
		if (ev.kind == STACK_EV_PACKET && parse(ev.pkt, ev.len, &a) && a.flags == ACK &&
		    a.ack == 5001)
			acked = true;
	}
	ok(done && con->ret == 0, "connect() = %ld (errno %d)", con->ret, con->err);
	ok(acked, "the kernel completes the handshake with ACK 5001");

	c = mkcall(0, STACK_GETSOCKOPT, fd);
	c->a[0] = IPPROTO_TCP;
	c->a[1] = TCP_INFO;
	c->out_cap = 1000;
	is_int(do_call(c), 0, "getsockopt(TCP_INFO)");
	ok(c->has_tcp_info, "the neutral tcp_info is filled");
	is_int(c->tcp_info.state, TCP_ESTABLISHED, "state ESTABLISHED");
	is_int(c->tcp_info.snd_wscale, 7, "snd_wscale = the peer's 7");
	is_int(c->tcp_info.rcv_wscale, 8, "rcv_wscale = ours, 8");
	is_int(c->tcp_info.snd_mss, 1448, "snd_mss 1460 - 12 bytes of timestamps");
	is_int(c->tcp_info.snd_cwnd, 10, "initial cwnd 10");

	c = mkcall(0, STACK_GETPEERNAME, fd);
	c->out_cap = sizeof(struct sockaddr_in);
	is_int(do_call(c), 0, "getpeername()");
	ok(c->out_len == sizeof(to) && memcmp(c->out, &to, sizeof(to)) == 0, "is the remote");

	/* A descriptor the script never opened (the capture's, say) is EBADF. */
	c = mkcall(0, STACK_CLOSE, 3);
	is_int(do_call(c), -1, "close(3) of a descriptor the script doesn't own");
	is_int(c->err, EBADF, "EBADF");
	ops->stop(st);
	st = NULL;
	subtest_end();
}

/* `+0...0.1 connect() = -1 ECONNREFUSED`, `+.1 < R.`, `+0 getsockopt(SO_ERROR)
 * = 0`: the connect, already woken by the RST, returns before the next call
 * on its socket runs, as in packetdrill. Repeated: it is a race otherwise. */
static void woken_call_first(void)
{
	subtest("a call after a woken blocking call on the same socket runs after it");
	if (start(4) != 0) {
		fail("stack starts");
		subtest_end();
		return;
	}
	int good = 0, rounds = 20;
	for (int r = 0; r < rounds; r++) {
		int fd = make_socket(AF_INET);
		struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(8081) };
		inet_pton(AF_INET, "192.0.2.1", &to.sin_addr);
		struct stack_call *con = mkcall(1, STACK_CONNECT, fd);
		con->in = (const uint8_t *)&to;
		con->in_len = sizeof(to);
		con->may_block = true;
		struct stack_error err;
		ops->call(st, con, &err);
		struct seg syn;
		if (!next_packet(&syn, 1000))
			break;
		struct seg rst = { .family = 4,
			           .sport = 8081,
			           .dport = syn.sport,
			           .seq = 0,
			           .ack = syn.seq + 1,
			           .flags = RST | ACK };
		memcpy(rst.src, syn.dst, 4);
		memcpy(rst.dst, syn.src, 4);
		inject(&rst);
		struct stack_call *so = mkcall(0, STACK_GETSOCKOPT, fd);
		so->a[0] = SOL_SOCKET;
		so->a[1] = SO_ERROR;
		so->out_cap = sizeof(int);
		long rc = do_call(so);
		int soerr = -1;
		memcpy(&soerr, so->out, sizeof(soerr));
		bool done = next(&ev, 1000) && ev.kind == STACK_EV_CALL_DONE && ev.call == con;
		if (rc == 0 && soerr == 0 && done && con->ret == -1 && con->err == ECONNREFUSED)
			good++;
		else
			tap_diag("round %d: SO_ERROR %d, connect %ld/%d", r, soerr, con->ret,
			         con->err);
		do_call(mkcall(0, STACK_CLOSE, fd));
	}
	is_int(good, rounds, "connect() got ECONNREFUSED and SO_ERROR read 0, %d times", rounds);
	ops->stop(st);
	st = NULL;
	subtest_end();
}

int main(void)
{
	if (geteuid() != 0)
		tap_plan_skip_all(
		    "linux stack needs root (CAP_NET_ADMIN) to create a network namespace");
	/* A probe outside any subtest: a host that can't run the stack skips. */
	struct stack_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	struct stack_error err;
	if (ops->start(&st, &cfg, &err) != 0) {
		if (err.skip)
			tap_plan_skip_all("%s", err.msg);
		tap_bail("linux stack: %s", err.msg);
	}
	ops->stop(st);
	st = NULL;
	passive_open(4);
	active_open();
	passive_open(6);
	passive_open(46);
	woken_call_first();
	/* The packetdrill segment model (TSO/GSO and TX checksum offload on):
	 * the same checks hold, checksums included (completed on capture). */
	tso_segments = true; /* --segments=tso */
	passive_open(4);
	tso_segments = false;
	done_testing();
}
