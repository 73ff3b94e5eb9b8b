/* Two engines talking over a perfect network: a sanity check of the whole
 * lifecycle end to end — handshake, 1 MB each way with flow control, both
 * close orders, TIME_WAIT expiry — with no ACK storms and exact bytes.
 * (Part 2 adds the lossy, reordering version.) */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fixtures.h"
#include "simnet.h"
#include "tap.h"

#define TOTAL (1u << 20)

static uint8_t byte_at(uint32_t i, int dir)
{
	return (uint8_t)((i * 2654435761u) >> (24 - dir));
}

int main(void)
{
	static struct simnet net;
	if (simnet_init(&net, NULL, NULL) < 0)
		tap_bail("simnet_init");
	struct sockaddr_in sa;
	simnet_sockaddr(1, 80, &sa);
	int l = synack_socket(net.st[1], AF_INET, SOCK_STREAM, 0);
	synack_bind(net.st[1], l, (struct sockaddr *)&sa, sizeof(sa));
	synack_listen(net.st[1], l, 16);
	int c = synack_socket(net.st[0], AF_INET, SOCK_STREAM, 0);
	is_int(synack_connect(net.st[0], c, (struct sockaddr *)&sa, sizeof(sa)), -EINPROGRESS,
	       "connect");
	simnet_run(&net, net.now + 10000);
	int s = synack_accept(net.st[1], l, NULL, NULL);
	ok(s >= 0, "accepted after one RTT");
	is_int(synack_connect(net.st[0], c, (struct sockaddr *)&sa, sizeof(sa)), 0, "connected");

	/* 1 MB each way, the applications reading and writing as they can. */
	static uint8_t buf[65536];
	uint32_t sent[2] = { 0, 0 }, got[2] = { 0, 0 };
	int fds[2] = { c, s };
	bool good = true;
	uint64_t start = net.now;
	while ((got[0] < TOTAL || got[1] < TOTAL) && net.now < start + 60000000) {
		for (int i = 0; i < 2; i++) {
			if (sent[i] < TOTAL && (synack_poll(net.st[i], fds[i]) & POLLOUT)) {
				uint32_t n = TOTAL - sent[i] < 32768u ? TOTAL - sent[i] : 32768u;
				for (uint32_t k = 0; k < n; k++)
					buf[k] = byte_at(sent[i] + k, i);
				ssize_t r = synack_send(net.st[i], fds[i], buf, n, 0);
				if (r > 0)
					sent[i] += (uint32_t)r;
			}
			ssize_t r = synack_recv(net.st[1 - i], fds[1 - i], buf, sizeof(buf), 0);
			for (ssize_t k = 0; k < r; k++)
				if (buf[k] != byte_at(got[i] + (uint32_t)k, i))
					good = false;
			if (r > 0)
				got[i] += (uint32_t)r;
		}
		simnet_run(&net, net.now + 1000);
		if (getenv("TWO_DEBUG"))
			fprintf(stderr, "t=%llu sent %u/%u got %u/%u q=%zu pk=%llu\n",
			        (unsigned long long)net.now, sent[0], sent[1], got[0], got[1],
			        net.len, (unsigned long long)(net.dir[0].pkts + net.dir[1].pkts));
	}
	is_uint(got[0], TOTAL, "A -> B: 1 MB");
	is_uint(got[1], TOTAL, "B -> A: 1 MB");
	ok(good, "every byte in order");
	ok(!net.overflow, "the wire never overflowed (no ACK storm)");
	uint64_t pkts = net.dir[0].pkts + net.dir[1].pkts;
	tap_note("%llu packets, %llu ms", (unsigned long long)pkts,
	         (unsigned long long)((net.now - start) / 1000));
	ok(pkts < 4 * (2 * TOTAL / 1448), "packets bounded: %llu", (unsigned long long)pkts);

	/* A closes first: A ends in TIME_WAIT, B in CLOSED. */
	synack_close(net.st[0], c);
	simnet_run(&net, net.now + 10000);
	char x;
	is_int(synack_recv(net.st[1], s, &x, 1, 0), 0, "B sees EOF");
	synack_close(net.st[1], s);
	simnet_run(&net, net.now + 10000);
	is_uint(synack_next_deadline(net.st[1]), SYNACK_NEVER, "B: nothing left");
	ok(synack_next_deadline(net.st[0]) != SYNACK_NEVER, "A: TIME_WAIT");
	simnet_run(&net, net.now + 61000000);
	is_uint(synack_next_deadline(net.st[0]), SYNACK_NEVER, "A: TIME_WAIT over");
	ok(synack_stats(net.st[0])->out_rsts == 0 && synack_stats(net.st[1])->out_rsts == 0,
	   "no RST anywhere");
	simnet_free(&net);
	done_testing();
}
