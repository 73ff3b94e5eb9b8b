/* The Internet checksum (RFC 1071): published and hand-computed vectors, odd
 * lengths and alignments against a naive reference, chaining, RFC 1624
 * incremental updates, and both pseudo-headers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checksum.h"
#include "synack/segment.h"
#include "tap.h"

/* The textbook algorithm, one big-endian 16-bit word at a time. */
static uint16_t ref_csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 32);
}

static struct synack_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct synack_addr x = { .family = 4, .bytes = { a, b, c, d } };
	return x;
}

/* 10.0.0.1:40000 -> 10.0.0.2:8080 SYN, seq 1, win 65535, <mss 1460>, "abc":
 * 27 bytes, so the final word is odd. Checksums computed by hand (a separate
 * 16-bit-word implementation) for IPv4 and for 2001:db8::1 -> 2001:db8::2. */
static const uint8_t syn_abc[27] = {
	0x9c, 0x40, 0x1f, 0x90, 0, 0, 0,    1,    0,    0,    0,   0,   0x60, 0x02,
	0xff, 0xff, 0,    0,    0, 0, 0x02, 0x04, 0x05, 0xb4, 'a', 'b', 'c',
};

static void test_vectors(void)
{
	subtest("known vectors");
	/* RFC 1071 §3: the ones' complement sum of these bytes is ddf2. */
	static const uint8_t rfc1071[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	is_hex(synack_inet_checksum(rfc1071, sizeof rfc1071), 0x220d, "RFC 1071 §3 example");
	is_hex(synack_csum_add(0, rfc1071, sizeof rfc1071), 0xddf2,
	       "RFC 1071 §3 sum before complement");

	/* A classic IPv4 header (192.168.0.1 -> 192.168.0.199, UDP). */
	uint8_t ip[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		           0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	is_hex(synack_inet_checksum(ip, 20), 0xb861, "IPv4 header checksum");
	ip[10] = 0xb8;
	ip[11] = 0x61;
	is_hex(synack_inet_checksum(ip, 20), 0, "a correct header sums to 0");

	struct synack_addr s4 = v4(10, 0, 0, 1), d4 = v4(10, 0, 0, 2);
	is_hex(synack_tcp_checksum(&s4, &d4, syn_abc, sizeof syn_abc), 0x03ed,
	       "TCP over IPv4, odd length");
	struct synack_addr s6 = { .family = 6, .bytes = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };
	struct synack_addr d6 = { .family = 6, .bytes = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 } };
	is_hex(synack_tcp_checksum(&s6, &d6, syn_abc, sizeof syn_abc), 0xbc7a,
	       "TCP over IPv6 (RFC 8200 §8.1 pseudo-header)");

	uint8_t seg[27];
	memcpy(seg, syn_abc, sizeof seg);
	seg[16] = 0x03;
	seg[17] = 0xed;
	is_hex(synack_tcp_checksum(&s4, &d4, seg, sizeof seg), 0,
	       "verifying a correct segment gives 0");
	seg[26] ^= 1;
	ok(synack_tcp_checksum(&s4, &d4, seg, sizeof seg) != 0, "one flipped bit is detected");
	is_hex(synack_inet_checksum(NULL, 0), 0xffff, "empty data");
	subtest_end();
}

static void test_against_reference(void)
{
	subtest("odd lengths and alignments match the reference");
	uint8_t buf[300];
	int bad = 0;
	for (int round = 0; round < 4; round++) {
		for (size_t i = 0; i < sizeof buf; i++)
			buf[i] = round == 0 ? 0xff : round == 1 ? 0 : (uint8_t)xorshift();
		for (size_t off = 0; off < 8; off++)
			for (size_t len = 0; len + off <= sizeof buf; len++)
				bad += synack_inet_checksum(buf + off, len) !=
				       ref_csum(buf + off, len);
	}
	is_int(bad, 0, "every length 0..299 at offsets 0..7, all-ones, zeros, random");

	/* All-0xff data stresses the carries: 64 KiB of it. */
	size_t big = 65536 + 3;
	uint8_t *p = malloc(big);
	memset(p, 0xff, big);
	is_hex(synack_inet_checksum(p, big), ref_csum(p, big), "64 KiB of 0xff");
	free(p);
	subtest_end();
}

static void test_incremental(void)
{
	subtest("chaining and incremental update");
	uint8_t buf[257];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)xorshift();
	int bad = 0;
	for (size_t cut = 0; cut <= sizeof buf; cut += 2) {
		uint32_t s =
		    synack_csum_add(synack_csum_add(0, buf, cut), buf + cut, sizeof buf - cut);
		bad += synack_csum_finish(s) != ref_csum(buf, sizeof buf);
	}
	is_int(bad, 0, "any even split, chained, equals the whole");

	bad = 0;
	for (int k = 0; k < 2000; k++) {
		size_t w = (xorshift() % (sizeof buf / 2)) * 2;
		uint16_t before = ref_csum(buf, sizeof buf);
		uint16_t old = (uint16_t)(buf[w] << 8 | buf[w + 1]);
		uint16_t neu = (uint16_t)xorshift();
		if (k % 7 == 0)
			neu = (uint16_t)~old; /* the -0 / +0 edge of RFC 1624 */
		buf[w] = (uint8_t)(neu >> 8);
		buf[w + 1] = (uint8_t)neu;
		uint16_t inc = synack_csum_update16(before, old, neu);
		uint16_t full = ref_csum(buf, sizeof buf);
		/* 0x0000 and 0xffff are the same ones' complement value. */
		bad += !(inc == full || (uint16_t)(inc + full) == 0xffff);
	}
	is_int(bad, 0, "RFC 1624 eqn. 3 matches a full recompute (2000 random edits)");
	subtest_end();
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#endif

/* The summing loop runs without ASan's per-load checks (checksum.c checks
 * the whole range first): a sum that reads one byte past a heap buffer must
 * still end in ASan's report, in a child so that this test lives on. */
static void test_overread_caught(void)
{
	subtest("a read past the buffer is still caught (ASan builds)");
#ifndef TEST_ASAN
	tap_skip(1, "not an AddressSanitizer build");
#else
	int fds[2];
	if (pipe(fds) != 0)
		tap_bail("pipe");
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], 2);
		size_t n = 37;
		uint8_t *buf = malloc(n);
		memset(buf, 0xab, n);
		volatile uint32_t s = synack_csum_add(0, buf, n + 1);
		(void)s;
		_exit(0);
	}
	close(fds[1]);
	char out[8192];
	size_t got = 0;
	ssize_t r;
	while (got < sizeof out - 1 && (r = read(fds[0], out + got, sizeof out - 1 - got)) > 0)
		got += (size_t)r;
	out[got] = 0;
	close(fds[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	ok(!(WIFEXITED(status) && WEXITSTATUS(status) == 0) &&
	       strstr(out, "heap-buffer-overflow") && strstr(out, "synack_csum_add"),
	   "summing 38 bytes of a 37-byte heap buffer: ASan reports heap-buffer-overflow in "
	   "synack_csum_add");
#endif
	subtest_end();
}

int main(void)
{
	test_overread_caught();
	test_vectors();
	test_against_reference();
	test_incremental();
	done_testing();
}
