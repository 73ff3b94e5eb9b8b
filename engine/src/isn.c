/* Secrets, ISNs and keyed hashes.
 *
 * RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
 * with F a keyed hash (SipHash-2-4 here, as Linux's secure_tcp_seq uses) and M
 * a clock. Linux's M is the real-time clock in 64 ns ticks; ours is the
 * injected clock in the same unit, so ISNs advance like Linux's do.
 */
#include <string.h>

#include "internal.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND                   \
	do {                       \
		v0 += v1;          \
		v1 = ROTL(v1, 13); \
		v1 ^= v0;          \
		v0 = ROTL(v0, 32); \
		v2 += v3;          \
		v3 = ROTL(v3, 16); \
		v3 ^= v2;          \
		v0 += v3;          \
		v3 = ROTL(v3, 21); \
		v3 ^= v0;          \
		v2 += v1;          \
		v1 = ROTL(v1, 17); \
		v1 ^= v2;          \
		v2 = ROTL(v2, 32); \
	} while (0)

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* SipHash-2-4 (Aumasson & Bernstein), byte-order independent. */
uint64_t sa_siphash(const uint64_t k[2], const uint8_t *p, size_t n)
{
	uint64_t v0 = 0x736f6d6570736575ULL ^ k[0];
	uint64_t v1 = 0x646f72616e646f6dULL ^ k[1];
	uint64_t v2 = 0x6c7967656e657261ULL ^ k[0];
	uint64_t v3 = 0x7465646279746573ULL ^ k[1];
	uint64_t b = (uint64_t)n << 56;
	size_t i;
	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t m = le64(p + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; i + j < n; j++)
		b |= (uint64_t)p[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* splitmix64: expands the one seed into independent keys. */
static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void sa_secrets_init(struct synack_stack *st)
{
	uint64_t s = st->env.seed;
	st->k_isn[0] = splitmix(&s);
	st->k_isn[1] = splitmix(&s);
	st->k_ts[0] = splitmix(&s);
	st->k_ts[1] = splitmix(&s);
	st->k_port[0] = splitmix(&s);
	st->k_port[1] = splitmix(&s);
	st->k_cookie[0] = splitmix(&s);
	st->k_cookie[1] = splitmix(&s);
}

static size_t put_addr(uint8_t *b, const struct synack_addr *a)
{
	size_t n = a->family == 6 ? 16 : 4;
	memcpy(b, a->bytes, n);
	return n;
}

uint32_t sa_tuple_hash(const uint64_t k[2], const struct synack_addr *la, uint16_t lp,
                       const struct synack_addr *ra, uint16_t rp, uint32_t extra)
{
	uint8_t b[48];
	size_t n = 0;
	n += put_addr(b + n, la);
	n += put_addr(b + n, ra);
	b[n++] = (uint8_t)(lp >> 8);
	b[n++] = (uint8_t)lp;
	b[n++] = (uint8_t)(rp >> 8);
	b[n++] = (uint8_t)rp;
	for (int i = 0; i < 4; i++)
		b[n++] = (uint8_t)(extra >> (8 * i));
	return (uint32_t)sa_siphash(k, b, n);
}

uint32_t sa_isn(struct synack_stack *st, const struct synack_addr *la, uint16_t lp,
                const struct synack_addr *ra, uint16_t rp)
{
	/* RFC 6528 §3: M ticks every 64 ns as Linux's seq_scale() does. */
	uint32_t m = (uint32_t)((st->now_us * 1000u) >> 6);
	return sa_tuple_hash(st->k_isn, la, lp, ra, rp, 0) + m;
}

/* Linux: secure_tcp_ts_off() — a keyed hash of the addresses only, so every
 * connection between two hosts shares the offset (PAWS across reuse). */
uint32_t sa_ts_offset(struct synack_stack *st, const struct synack_addr *la,
                      const struct synack_addr *ra)
{
	/* Linux: secure_tcp_ts_off only with tcp_timestamps=1. */
	if (st->prof.timestamps == 2)
		return 0;
	return sa_tuple_hash(st->k_ts, la, 0, ra, 0, 0);
}

/* Linux: secure_ipv4_port_ephemeral() — the start of the port search. */
uint32_t sa_port_hash(struct synack_stack *st, const struct synack_addr *la,
                      const struct synack_addr *ra, uint16_t rp)
{
	return sa_tuple_hash(st->k_port, la, 0, ra, rp, 0);
}
