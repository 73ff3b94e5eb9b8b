/* libsynack-packetdrill.so through packetdrill's interface alone, as
 * packetdrill's --so_filename loader uses it: dlopen, init, socket calls,
 * netdev_send/receive, and the virtual clock of usleep/gettimeofday. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>

#include "export/packetdrill_abi.h"
#include "synack/segment.h"
#include "tap.h"

static struct packetdrill_interface pd;

static size_t build(uint8_t *buf, uint8_t flags, uint32_t seq, uint32_t ack)
{
	struct synack_segment seg;
	memset(&seg, 0, sizeof seg);
	seg.src = (struct synack_addr){ .family = 4, .bytes = { 192, 0, 2, 1 } };
	seg.dst = (struct synack_addr){ .family = 4, .bytes = { 192, 168, 0, 1 } };
	seg.sport = 40000;
	seg.dport = 8080;
	seg.seq = seq;
	seg.ack = ack;
	seg.flags = flags;
	seg.window = 65535;
	seg.ttl = 64;
	if (flags & SYNACK_TH_SYN) {
		seg.opt.has_mss = true;
		seg.opt.mss = 1460;
	}
	return synack_seg_build(&seg, buf, 1500);
}

static bool receive(struct synack_segment *seg, long long *t, uint8_t *buf)
{
	size_t n = 65536;
	if (pd.netdev_receive(pd.userdata, buf, &n, t) != 0 || n == 0)
		return false;
	return synack_seg_parse(buf, n, true, seg) == SYNACK_SEG_OK;
}

struct blocked {
	int fd;
	int ret;
};

static void *accept_thread(void *arg)
{
	struct blocked *b = arg;
	b->ret = pd.accept(pd.userdata, b->fd, NULL, NULL);
	return NULL;
}

int main(void)
{
	void *dl = dlopen(SYNACK_PACKETDRILL_SO, RTLD_NOW | RTLD_LOCAL);
	if (!dl)
		tap_plan_skip_all("%s not built: %s", SYNACK_PACKETDRILL_SO, dlerror());
	packetdrill_interface_init_t init;
	*(void **)&init = dlsym(dl, PACKETDRILL_INIT_SYMBOL);
	ok(init != NULL, "the library exports %s", PACKETDRILL_INIT_SYMBOL);
	if (!init)
		return tap_done();
	memset(&pd, 0, sizeof pd);
	init("local_ip=192.168.0.1 remote_ip=192.0.2.1", &pd);
	ok(pd.userdata && pd.socket && pd.netdev_send && pd.netdev_receive && pd.usleep &&
	       pd.gettimeofday && pd.free,
	   "init fills userdata and the callbacks");

	struct timeval tv;
	pd.gettimeofday(pd.userdata, &tv, NULL);
	is_int(tv.tv_sec * 1000000 + tv.tv_usec, 0, "virtual time starts at 0");

	int fd = pd.socket(pd.userdata, AF_INET, SOCK_STREAM, IPPROTO_TCP);
	ok(fd >= 0, "socket() = %d", fd);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(8080) };
	inet_pton(AF_INET, "192.168.0.1", &sin.sin_addr);
	is_int(pd.bind(pd.userdata, fd, (struct sockaddr *)&sin, sizeof sin), 0, "bind()");
	is_int(pd.listen(pd.userdata, fd, 1), 0, "listen()");
	errno = 0;
	is_int(pd.bind(pd.userdata, 999, (struct sockaddr *)&sin, sizeof sin), -1,
	       "bind() on a bad descriptor fails");
	is_int(errno, EBADF, "with errno EBADF");

	/* accept() blocks on its own thread, as on packetdrill's syscall thread. */
	struct blocked b = { .fd = fd, .ret = -2 };
	pthread_t th;
	pthread_create(&th, NULL, accept_thread, &b);

	uint8_t pkt[1500], out[65536];
	size_t n = build(pkt, SYNACK_TH_SYN, 0, 0);
	is_int(pd.netdev_send(pd.userdata, pkt, n), 0, "netdev_send(SYN)");
	struct synack_segment seg;
	long long t = -1;
	ok(receive(&seg, &t, out), "netdev_receive: a packet");
	is_int(seg.flags, SYNACK_TH_SYN | SYNACK_TH_ACK, "a SYN-ACK");
	is_int(seg.ack, 1, "acking the SYN");
	is_int(t, 0, "sent at virtual time 0");
	uint32_t isn = seg.seq;
	size_t none = sizeof out;
	pd.netdev_receive(pd.userdata, out, &none, &t);
	is_int(none, 0, "then nothing: count 0");

	is_int(pd.usleep(pd.userdata, 1500000), 0, "usleep(1.5 s)");
	pd.gettimeofday(pd.userdata, &tv, NULL);
	is_int(tv.tv_sec * 1000000 + tv.tv_usec, 1500000, "gettimeofday: 1.5 s of virtual time");
	ok(receive(&seg, &t, out) && seg.flags == (SYNACK_TH_SYN | SYNACK_TH_ACK),
	   "the SYN-ACK retransmitted meanwhile");
	is_int(t, 1000000, "at its 1 s RTO, stamped exactly");

	n = build(pkt, SYNACK_TH_ACK, 1, isn + 1);
	pd.netdev_send(pd.userdata, pkt, n);
	pthread_join(th, NULL);
	ok(b.ret >= 0, "the blocked accept() returned %d once the handshake completed", b.ret);
	ssize_t w = pd.write(pd.userdata, b.ret, "hello", 5);
	is_int(w, 5, "write()");
	ok(receive(&seg, &t, out) && seg.payload_len == 5 && seg.seq == isn + 1,
	   "the data goes out through netdev_receive");
	is_int(t, 1500000, "at the time of the write");

	int (*command)(void *, const char *, char *, size_t);
	*(void **)&command = dlsym(dl, SYNACK_PACKETDRILL_COMMAND_SYMBOL);
	char msg[256] = "";
	ok(command && command(pd.userdata, "sysctl -q net.ipv4.tcp_sack=0", msg, sizeof msg) == 0,
	   "the command extension maps a sysctl: %s", msg);
	ok(command && command(pd.userdata, "rm -rf /", msg, sizeof msg) < 0,
	   "and refuses anything else: %s", msg);
	pd.free(pd.userdata);
	pass("free()");
	dlclose(dl);
	return tap_done();
}
