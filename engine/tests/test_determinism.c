/* Determinism (issue 3 item 12): the same inputs, times and seed give
 * byte-identical output. A long scenario — hundreds of connections opened
 * both ways, data, every close order, resets, retransmissions, SYN cookies,
 * TIME_WAIT expiry — runs twice and every emitted byte is compared. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fixtures.h"
#include "tap.h"

static uint32_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*s >> 33);
}

struct run {
	uint8_t *bytes;
	size_t len;
	uint64_t packets;
	uint64_t end_time;
};

static void scenario(uint64_t seed, struct run *out)
{
	struct fx f;
	struct synack_profile p;
	synack_profile_linux(&p);
	p.time_wait_us = 5000000;
	fx_init(&f, &p, seed);
	f.record = true;
	uint64_t r = 12345; /* the script's own choices: fixed, not the seed */
	fx_listen(&f);
	synack_listen(f.st, f.lfd, 8);
	char data[3000], buf[4096];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7);
	for (int k = 0; k < 300; k++) {
		uint32_t c = lcg(&r);
		f.rport = (uint16_t)(10000 + k);
		f.irs = lcg(&r);
		f.p_tsval = lcg(&r);
		switch (c % 5) {
		case 0:
		case 1:
		case 2: { /* passive open, data both ways, a close order */
			fx_send_syn(&f);
			fx_drain(&f);
			fx_send(&f, F_A, 0, 0, NULL, 0);
			int fd = synack_accept(f.st, f.lfd, NULL, NULL);
			if (fd < 0)
				break;
			size_t n = lcg(&r) % 1400;
			fx_send(&f, F_PA, 0, 0, data, n);
			fx_drain(&f);
			ssize_t got = synack_recv(f.st, fd, buf, sizeof(buf), 0);
			if (got > 0)
				synack_send(f.st, fd, buf, (size_t)got, 0);
			fx_drain(&f);
			fx_advance(&f, lcg(&r) % 300000);
			fx_send(&f, F_A, 0, 0, NULL, 0);
			if (c % 3 == 0) {
				synack_close(f.st, fd);
				fx_drain(&f);
				fx_send(&f, F_FA, 0, 0, NULL, 0);
			} else if (c % 3 == 1) {
				fx_send(&f, F_FA, 0, 0, NULL, 0);
				fx_drain(&f);
				synack_close(f.st, fd);
				fx_drain(&f);
				fx_send(&f, F_A, 0, 0, NULL, 0);
			} else {
				fx_send(&f, F_R, 0, 0, NULL, 0);
				synack_close(f.st, fd);
			}
			fx_drain(&f);
			break;
		}
		case 3: { /* active open that is refused or times out */
			f.lport = 8080;
			if (fx_connect(&f) < 0)
				break;
			if (c & 8) {
				f.p_seq = f.irs;
				fx_send(&f, F_RA, 0, 0, NULL, 0);
			} else {
				for (int j = 0; j < 3; j++)
					fx_advance(&f, synack_next_deadline(f.st) - f.now);
			}
			synack_close(f.st, f.fd);
			f.lport = 8080;
			fx_drain(&f);
			break;
		}
		default: /* a burst of SYNs that overflows into cookies */
			for (int j = 0; j < 12; j++) {
				f.rport = (uint16_t)(20000 + k * 16 + j);
				fx_send_syn(&f);
			}
			fx_drain(&f);
			fx_advance(&f, 2000000);
			fx_drain(&f);
			break;
		}
		fx_advance(&f, lcg(&r) % 1000000);
		fx_drain(&f);
	}
	while (synack_next_deadline(f.st) != SYNACK_NEVER) {
		fx_advance(&f, synack_next_deadline(f.st) - f.now);
		fx_drain(&f);
	}
	out->bytes = f.rec;
	out->len = f.rec_len;
	out->packets = f.emitted;
	out->end_time = f.now;
	f.rec = NULL;
	fx_free(&f);
}

int main(void)
{
	struct run a, b, c;
	scenario(42, &a);
	scenario(42, &b);
	scenario(43, &c);
	ok(a.packets > 1000, "a long scenario: %llu packets, %zu bytes",
	   (unsigned long long)a.packets, a.len);
	is_uint(b.packets, a.packets, "same packet count");
	is_mem(b.bytes, b.len, a.bytes, a.len, "byte-identical output for the same seed");
	is_uint(b.end_time, a.end_time, "same end time");
	ok(c.len != a.len || memcmp(c.bytes, a.bytes, a.len) != 0,
	   "another seed gives other ISNs, ports, timestamps");
	free(a.bytes);
	free(b.bytes);
	free(c.bytes);
	done_testing();
}
