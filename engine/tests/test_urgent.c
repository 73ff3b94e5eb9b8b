/* Urgent data (urgent.c): RFC 9293 §3.8.5, RFC 6093, as Linux's tcp_urg,
 * tcp_check_urg, tcp_recv_urg and __tcp_transmit_skb. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "fixtures.h"
#include "tap.h"

#define S(f)   ((f)->st)
#define F_U    SYNACK_TH_URG
#define ATMARK 0x8905 /* SIOCATMARK */

/* The peer sends len bytes of data with URG and the pointer (relative to
 * SEG.SEQ), at seq_off from its next sequence number. */
static void peer_urg(struct fx *f, int32_t seq_off, const char *data, size_t len, uint16_t ptr)
{
	struct synack_segment s;
	fx_mkseg(f, &s, F_A | (ptr ? F_U : 0), seq_off, 0, data, len);
	s.urg_ptr = ptr;
	fx_inject(f, &s);
	if (seq_off == 0)
		f->p_seq += (uint32_t)len;
}

static int atmark(struct fx *f)
{
	int v = -1;
	synack_ioctl(S(f), f->fd, ATMARK, &v);
	return v;
}

static void sending(void)
{
	struct fx f;
	struct synack_segment s;
	static char big[70000];
	subtest(
	    "send(MSG_OOB): URG, pointer past the last urgent byte, on every segment below SND.UP");
	fx_init(&f, NULL, 1201);
	fx_established(&f);
	is_int((int)synack_send(S(&f), f.fd, "abcdefghij", 10, MSG_OOB), 10, "send 10, MSG_OOB");
	if (expect_seg_out(&f, F_PA | F_U, 1, 1, 10, FX_ANY, &s))
		is_int(s.urg_ptr, 10, "pointer 10: octet 11 is the first non-urgent one (MUST-62)");
	/* Retransmitted: the pointer again (Linux: every __tcp_transmit_skb). */
	fx_advance(&f, fx_until_next_us(&f));
	if (expect_seg_out(&f, F_PA | F_U, 1, 1, 10, FX_ANY, &s))
		is_int(s.urg_ptr, 10, "the retransmission carries it too");
	fx_send(&f, F_A, 0, 0, NULL, 0); /* ACK 11: urgent mode ends */
	synack_send(S(&f), f.fd, "k", 1, 0);
	expect_seg(&f, F_PA, 11, 1, 1, FX_ANY);
	fx_free(&f);

	/* A closed window: the pure ACK still carries the pointer. */
	fx_init(&f, NULL, 1202);
	fx_established(&f);
	f.p_win = 0;
	fx_send(&f, F_A, 0, 0, NULL, 0);
	synack_send(S(&f), f.fd, big, 1000, MSG_OOB);
	expect_none(&f);
	fx_send(&f, F_PA, 0, 0, "x", 1);
	fx_advance(&f, 200000);
	struct synack_segment a;
	bool got = false;
	while (fx_pop(&f, &a))
		if (a.payload_len == 0 && (a.flags & F_A) && (a.flags & F_U) && a.urg_ptr == 1000)
			got = true;
	ok(got, "an ACK with no data says URG, pointer 1000 ahead");
	fx_free(&f);

	/* More than 64 KiB ahead: capped at 0xFFFF. */
	fx_init(&f, NULL, 1203);
	fx_established(&f);
	int v = 200000;
	synack_setsockopt(S(&f), f.fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	is_int((int)synack_send(S(&f), f.fd, big, sizeof(big), MSG_OOB), (int)sizeof(big),
	       "70000 bytes urgent");
	if (expect_seg_out(&f, F_A | F_U, 1, 1, FX_ANY, FX_ANY, &s))
		is_int(s.urg_ptr, 0xffff, "pointer capped at 0xFFFF");
	fx_free(&f);

	/* Urgent mode overrides Nagle and TCP_CORK (Linux: tcp_nagle_test). */
	fx_init(&f, NULL, 1204);
	fx_established(&f);
	v = 1;
	synack_setsockopt(S(&f), f.fd, IPPROTO_TCP, TCP_CORK, &v, sizeof(v));
	synack_send(S(&f), f.fd, "ab", 2, 0);
	expect_none(&f);
	synack_send(S(&f), f.fd, "c", 1, MSG_OOB);
	if (expect_seg_out(&f, F_PA | F_U, 1, 1, 3, FX_ANY, &s))
		is_int(s.urg_ptr, 3, "a corked short segment goes in urgent mode");
	is_int((int)synack_send(S(&f), f.fd, "", 0, MSG_OOB), 0, "zero bytes: no mark");
	fx_free(&f);
	subtest_end();
}

static void receiving(void)
{
	struct fx f;
	char b[64];
	subtest("received urgent data: MSG_OOB, the mark, POLLPRI, SIOCATMARK, errors");
	fx_init(&f, NULL, 1210);
	fx_established(&f);
	is_int((int)synack_recv(S(&f), f.fd, b, sizeof b, MSG_OOB), -EINVAL, "none: EINVAL");
	is_int(atmark(&f), 0, "not at the mark");
	/* Pointer 15 on 10 bytes: the urgent byte (15th) has not arrived. */
	peer_urg(&f, 0, "0123456789", 10, 15);
	is_int((int)synack_recv(S(&f), f.fd, b, sizeof b, MSG_OOB), -EAGAIN, "announced: EAGAIN");
	ok(!(synack_poll(S(&f), f.fd) & POLLPRI), "no POLLPRI yet");
	peer_urg(&f, 0, "abcdefghij", 10, 0);
	ok(synack_poll(S(&f), f.fd) & POLLPRI, "POLLPRI once the byte arrived");
	is_int((int)synack_recv(S(&f), f.fd, b, sizeof b, 0), 14, "a read stops at the mark");
	ok(!memcmp(b, "0123456789abcd", 14), "the bytes before it");
	is_int(atmark(&f), 1, "SIOCATMARK");
	int pm = synack_poll(S(&f), f.fd);
	ok((pm & POLLPRI) && (pm & POLLIN), "the urgent byte and more: POLLIN|POLLPRI");
	is_int((int)synack_recv(S(&f), f.fd, b, sizeof b, MSG_OOB | MSG_PEEK), 1, "peek");
	is_int((int)synack_recv(S(&f), f.fd, b, sizeof b, MSG_OOB), 1, "read it");
	is_int(b[0], 'e', "the urgent byte");
	is_int((int)synack_recv(S(&f), f.fd, b, sizeof b, MSG_OOB), -EINVAL, "read: EINVAL");
	is_int((int)synack_recv(S(&f), f.fd, b, sizeof b, 0), 5, "the rest, urgent byte skipped");
	ok(!memcmp(b, "fghij", 5), "fghij");
	is_int(atmark(&f), 0, "past the mark");
	is_int((int)synack_recv(S(&f), f.fd, b, sizeof b, 0), -EAGAIN, "empty");

	/* A pointer into data already queued is not replayed. */
	peer_urg(&f, 0, "klmno", 5, 0);
	peer_urg(&f, -5, "klmno", 5, 2);
	ok(!(synack_poll(S(&f), f.fd) & POLLPRI), "old pointer ignored");
	is_int((int)synack_recv(S(&f), f.fd, b, sizeof b, 0), 5, "inline");
	/* Only the urgent byte left: not readable (Linux: tcp_poll target + 1). */
	peer_urg(&f, 0, "pqrst", 5, 5);
	is_int((int)synack_recv(S(&f), f.fd, b, sizeof b, 0), 4, "pqrs");
	pm = synack_poll(S(&f), f.fd);
	ok((pm & POLLPRI) && !(pm & POLLIN), "only the urgent byte left: POLLPRI, no POLLIN");
	int inq = -1;
	synack_ioctl(S(&f), f.fd, 0x541B, &inq);
	is_int(inq, 0, "SIOCINQ: nothing before the mark (tcp_inq)");
	is_int((int)synack_recv(S(&f), f.fd, b, sizeof b, MSG_OOB), 1, "t");
	ok(!(synack_poll(S(&f), f.fd) & (POLLIN | POLLPRI)), "then neither");
	is_int((int)synack_recv(S(&f), f.fd, b, sizeof b, 0), -EAGAIN, "the read skips it");
	fx_free(&f);
	subtest_end();

	subtest("SO_OOBINLINE: the urgent byte stays in the stream, inherited by accept");
	fx_init(&f, NULL, 1211);
	int one = 1;
	fx_listen(&f);
	synack_setsockopt(S(&f), f.lfd, SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one));
	fx_send_syn(&f);
	fx_drain(&f);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	f.fd = synack_accept(S(&f), f.lfd, NULL, NULL);
	int v = 0;
	socklen_t l = sizeof(v);
	synack_getsockopt(S(&f), f.fd, SOL_SOCKET, SO_OOBINLINE, &v, &l);
	is_int(v, 1, "inherited");
	peer_urg(&f, 0, "0123456789", 10, 4);
	is_int((int)synack_recv(S(&f), f.fd, b, sizeof b, MSG_OOB), -EINVAL, "MSG_OOB: EINVAL");
	is_int((int)synack_recv(S(&f), f.fd, b, sizeof b, 0), 3, "stops at the mark");
	is_int(atmark(&f), 1, "at the mark");
	is_int((int)synack_recv(S(&f), f.fd, b, sizeof b, 0), 7, "the urgent byte inline");
	is_int(b[0], '3', "it is '3'");
	fx_free(&f);
	subtest_end();

	subtest(
	    "odd pointers: 0, beyond the window, a header byte (Linux's offset from skb->data)");
	fx_init(&f, NULL, 1212);
	fx_established(&f);
	/* URG with pointer 0: the first byte of the segment is the urgent one. */
	struct synack_segment s;
	fx_mkseg(&f, &s, F_A | F_U, 0, 0, "xyz", 3);
	s.urg_ptr = 0;
	fx_inject(&f, &s);
	f.p_seq += 3;
	is_int((int)synack_recv(S(&f), f.fd, b, sizeof b, MSG_OOB), 1, "pointer 0");
	is_int(b[0], 'x', "the segment's first byte");
	is_int((int)synack_recv(S(&f), f.fd, b, sizeof b, 0), 2, "then the other two");
	/* Pointer 20 on an empty segment, then out-of-order data past it
	 * starting 18 bytes on: Linux reads byte 14 of its TCP header (32
	 * bytes with timestamps). */
	fx_mkseg(&f, &s, F_A | F_U, 0, 0, NULL, 0);
	s.urg_ptr = 20;
	fx_inject(&f, &s);
	fx_drain(&f);
	fx_mkseg(&f, &s, F_A, 19 + 18, 0, "abc", 3);
	s.window = 0xab12;
	fx_inject(&f, &s);
	fx_drain(&f);
	is_int((int)synack_recv(S(&f), f.fd, b, sizeof b, MSG_OOB), 1, "urgent byte taken");
	is_int((uint8_t)b[0], 0xab, "from the header: the window's high byte");
	char why[256];
	is_int(synack_check_invariants(S(&f), why, sizeof why), 0, "invariants");
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	sending();
	receiving();
	done_testing();
}
