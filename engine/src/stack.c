/* The stack: memory, addresses, demultiplexing, descriptors, the clock. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void *sa_alloc_raw(struct synack_stack *st, size_t n)
{
	if (st->env.alloc)
		return st->env.alloc(st->env.alloc_ctx, n);
	return malloc(n);
}

void *sa_alloc(struct synack_stack *st, size_t n)
{
	void *p = sa_alloc_raw(st, n);
	if (p)
		memset(p, 0, n);
	return p;
}

void sa_free(struct synack_stack *st, void *p)
{
	if (!p)
		return;
	if (st->env.alloc)
		st->env.free(st->env.alloc_ctx, p);
	else
		free(p);
}

struct synack_stack *synack_stack_new(const struct synack_profile *profile,
                                      const struct synack_env *env)
{
	struct synack_env e = *env;
	struct synack_stack tmp;
	memset(&tmp, 0, sizeof(tmp));
	tmp.env = e;
	struct synack_stack *st = sa_alloc(&tmp, sizeof(*st));
	if (!st)
		return NULL;
	st->env = e;
	if (profile)
		st->prof = *profile;
	else
		synack_profile_linux(&st->prof);
	if (st->prof.max_sockets == 0)
		st->prof.max_sockets = 1;
	if (st->prof.mtu < 128)
		st->prof.mtu = 128;
	/* Bound the tables (and keep max_sockets * SA_T_COUNT in 32 bits). */
	if (st->prof.max_sockets > (1u << 24))
		st->prof.max_sockets = 1u << 24;
	uint32_t buckets = 16;
	while (buckets < 2 * st->prof.max_sockets && buckets < (1u << 24))
		buckets <<= 1;
	st->hash_mask = buckets - 1;
	st->n_fds = st->prof.max_sockets;
	st->heap_cap = st->prof.max_sockets * SA_T_COUNT;
	st->obuf_cap = (size_t)st->prof.mtu + 128;
	st->conn_hash = sa_alloc(st, buckets * sizeof(*st->conn_hash));
	st->bind_hash = sa_alloc(st, buckets * sizeof(*st->bind_hash));
	st->fds = sa_alloc(st, st->n_fds * sizeof(*st->fds));
	st->heap = sa_alloc(st, (size_t)st->heap_cap * sizeof(*st->heap));
	st->obuf = sa_alloc(st, st->obuf_cap);
	if (!st->conn_hash || !st->bind_hash || !st->fds || !st->heap || !st->obuf) {
		synack_stack_free(st);
		return NULL;
	}
	sa_secrets_init(st);
	return st;
}

static void reap(struct synack_stack *st)
{
	while (st->graveyard) {
		struct tcb *t = st->graveyard;
		st->graveyard = t->qnext;
		sa_ring_free(st, &t->sndq);
		sa_ring_free(st, &t->rcvq);
		sa_rmem_free(t); /* window.c */
		sa_ooo_purge(t); /* ooo.c */
		sa_txq_free(t);  /* p2-tx */
		sa_uskb_free(t); /* sndbuf.c */
		sa_free(st, t);
	}
}

void synack_stack_free(struct synack_stack *st)
{
	if (!st)
		return;
	/* Every tcb is reachable from a descriptor, a hash or a listener queue. */
	if (st->fds) {
		for (uint32_t i = 0; i < st->n_fds; i++) {
			struct tcb *t = st->fds[i];
			if (t && t->state == SA_LISTEN)
				sa_listen_close(t);
		}
		for (uint32_t i = 0; i < st->n_fds; i++)
			if (st->fds[i]) {
				struct tcb *t = st->fds[i];
				st->fds[i] = NULL;
				t->fd = -1;
				sa_tcb_free(t);
			}
	}
	if (st->conn_hash)
		for (uint32_t b = 0; b <= st->hash_mask; b++)
			while (st->conn_hash[b])
				sa_tcb_free(st->conn_hash[b]);
	if (st->bind_hash)
		for (uint32_t b = 0; b <= st->hash_mask; b++)
			while (st->bind_hash[b])
				sa_tcb_free(st->bind_hash[b]);
	reap(st);
	sa_free(st, st->conn_hash);
	sa_free(st, st->bind_hash);
	sa_free(st, st->fds);
	sa_free(st, st->heap);
	sa_free(st, st->obuf);
	sa_free(st, st);
}

int synack_add_address(struct synack_stack *st, const struct synack_addr *addr)
{
	if (!addr || (addr->family != 4 && addr->family != 6))
		return -EINVAL;
	if (sa_is_local_addr(st, addr))
		return 0;
	if (st->n_addrs == SA_MAX_ADDRS)
		return -ENOSPC;
	st->addrs[st->n_addrs] = *addr;
	if (addr->family == 4)
		memset(st->addrs[st->n_addrs].bytes + 4, 0, 12);
	st->n_addrs++;
	return 0;
}

bool sa_addr_eq(const struct synack_addr *a, const struct synack_addr *b)
{
	if (a->family != b->family)
		return false;
	return !memcmp(a->bytes, b->bytes, a->family == 6 ? 16 : 4);
}

bool sa_addr_any(const struct synack_addr *a)
{
	static const uint8_t zero[16];
	return !memcmp(a->bytes, zero, a->family == 6 ? 16 : 4);
}

bool sa_is_local_addr(const struct synack_stack *st, const struct synack_addr *a)
{
	for (int i = 0; i < st->n_addrs; i++)
		if (sa_addr_eq(&st->addrs[i], a))
			return true;
	return false;
}

static uint32_t addr_mix(const struct synack_addr *a)
{
	uint32_t h =
	    2166136261u; /* FNV-1a: the table is keyed; adversarial load is bounded by max_sockets */
	int n = a->family == 6 ? 16 : 4;
	for (int i = 0; i < n; i++)
		h = (h ^ a->bytes[i]) * 16777619u;
	return h;
}

static uint32_t conn_bucket(const struct synack_stack *st, const struct synack_addr *la,
                            uint16_t lp, const struct synack_addr *ra, uint16_t rp)
{
	uint32_t h = addr_mix(la) ^ (addr_mix(ra) * 31u) ^ ((uint32_t)lp << 16 | rp);
	h ^= (uint32_t)st->k_port[1];
	h ^= h >> 15;
	h *= 0x2c1b3c6dU;
	h ^= h >> 12;
	return h & st->hash_mask;
}

void sa_conn_hash_add(struct tcb *t)
{
	struct synack_stack *st = t->st;
	if (t->in_conn_hash)
		return;
	uint32_t b = conn_bucket(st, &t->laddr, t->lport, &t->raddr, t->rport);
	t->hnext = st->conn_hash[b];
	st->conn_hash[b] = t;
	t->in_conn_hash = true;
}

void sa_conn_hash_del(struct tcb *t)
{
	struct synack_stack *st = t->st;
	if (!t->in_conn_hash)
		return;
	uint32_t b = conn_bucket(st, &t->laddr, t->lport, &t->raddr, t->rport);
	for (struct tcb **pp = &st->conn_hash[b]; *pp; pp = &(*pp)->hnext)
		if (*pp == t) {
			*pp = t->hnext;
			break;
		}
	t->in_conn_hash = false;
	t->hnext = NULL;
}

struct tcb *sa_conn_lookup(struct synack_stack *st, const struct synack_addr *laddr, uint16_t lport,
                           const struct synack_addr *raddr, uint16_t rport)
{
	uint32_t b = conn_bucket(st, laddr, lport, raddr, rport);
	for (struct tcb *t = st->conn_hash[b]; t; t = t->hnext)
		if (t->lport == lport && t->rport == rport && sa_addr_eq(&t->laddr, laddr) &&
		    sa_addr_eq(&t->raddr, raddr))
			return t;
	return NULL;
}

void sa_bind_hash_add(struct tcb *t)
{
	struct synack_stack *st = t->st;
	if (t->in_bind_hash)
		return;
	uint32_t b = t->lport & st->hash_mask;
	t->bnext = st->bind_hash[b];
	st->bind_hash[b] = t;
	t->in_bind_hash = true;
}

void sa_bind_hash_del(struct tcb *t)
{
	struct synack_stack *st = t->st;
	if (!t->in_bind_hash)
		return;
	uint32_t b = t->lport & st->hash_mask;
	for (struct tcb **pp = &st->bind_hash[b]; *pp; pp = &(*pp)->bnext)
		if (*pp == t) {
			*pp = t->bnext;
			break;
		}
	t->in_bind_hash = false;
	t->bnext = NULL;
}

/* Linux: __inet_lookup_listener — an exact address beats the wildcard. */
/* An AF_INET6 socket on the IPv6 wildcard that is not v6-only also holds
 * the port for IPv4 (Linux: ipv6_rcv_saddr_equal, the listener lookup). */
static bool dual_stack_wildcard(const struct tcb *t)
{
	return t->family == 6 && t->sock_family == 6 && !t->v6only && sa_addr_any(&t->laddr);
}

bool sa_families_overlap(const struct tcb *a, const struct tcb *b)
{
	return a->family == b->family || (b->family == 4 && dual_stack_wildcard(a)) ||
	       (a->family == 4 && dual_stack_wildcard(b));
}

/* Linux: __inet_lookup_listener's compute_score — an exact address beats a
 * wildcard, and for an IPv4 segment an AF_INET wildcard beats a dual-stack
 * AF_INET6 one. */
struct tcb *sa_listener_lookup(struct synack_stack *st, const struct synack_addr *laddr,
                               uint16_t lport, uint8_t family)
{
	struct tcb *wild = NULL, *dual = NULL;
	for (struct tcb *t = st->bind_hash[lport & st->hash_mask]; t; t = t->bnext) {
		if (t->lport != lport || t->state != SA_LISTEN)
			continue;
		if (t->family != family) {
			if (family == 4 && !dual && dual_stack_wildcard(t))
				dual = t;
			continue;
		}
		if (sa_addr_any(&t->laddr)) {
			if (!wild)
				wild = t;
		} else if (sa_addr_eq(&t->laddr, laddr)) {
			return t;
		}
	}
	return wild ? wild : dual;
}

/* Linux: inet_csk_bind_conflict — two sockets may share a port if their
 * addresses differ and neither is the wildcard, or both set SO_REUSEADDR and
 * neither listens. Connections in TIME_WAIT (no descriptor) only conflict
 * without SO_REUSEADDR. */
bool sa_port_in_use(struct synack_stack *st, const struct tcb *self,
                    const struct synack_addr *laddr, uint16_t port, bool reuse)
{
	for (struct tcb *t = st->bind_hash[port & st->hash_mask]; t; t = t->bnext) {
		if (t == self || t->lport != port || !sa_families_overlap(t, self))
			continue;
		if (!sa_addr_any(laddr) && !sa_addr_any(&t->laddr) && !sa_addr_eq(laddr, &t->laddr))
			continue;
		if (reuse && t->reuseaddr && t->state != SA_LISTEN)
			continue;
		if (reuse && t->fd < 0 && t->state == SA_TIME_WAIT)
			continue;
		return true;
	}
	return false;
}

/* Linux: get_unused_fd_flags — the lowest free descriptor (0-2 are stdio). */
int sa_fd_alloc(struct synack_stack *st, struct tcb *t)
{
	for (uint32_t i = 0; i < st->n_fds; i++)
		if (!st->fds[i]) {
			st->fds[i] = t;
			t->fd = (int)i + 3;
			return t->fd;
		}
	return -EMFILE;
}

struct tcb *sa_fd_get(struct synack_stack *st, int fd, int *err)
{
	if (fd < 3 || (uint32_t)(fd - 3) >= st->n_fds || !st->fds[fd - 3]) {
		/* 0-2 exist in a real process but are not sockets. */
		*err = (fd >= 0 && fd < 3) ? -ENOTSOCK : -EBADF;
		return NULL;
	}
	*err = 0;
	return st->fds[fd - 3];
}

void sa_fd_release(struct synack_stack *st, int fd)
{
	if (fd >= 3 && (uint32_t)(fd - 3) < st->n_fds)
		st->fds[fd - 3] = NULL;
}

void synack_input(struct synack_stack *st, uint64_t now_us, const uint8_t *ip_pkt, size_t len)
{
	/* Timers due before now fire first, each at its deadline; those due
	 * at now fire after the packet (timers.c). Then the clock is now_us
	 * (never backwards). */
	sa_timers_run_before_input(st, now_us, true);
	struct synack_segment seg;
	enum synack_seg_error e = synack_seg_parse(ip_pkt, len, st->prof.verify_checksums, &seg);
	/* icmp.c: ICMP errors about our connections (tcp_v4_err / tcp_v6_err). */
	if (e == SYNACK_SEG_NOT_TCP && sa_icmp_input(st, ip_pkt, len)) {
		reap(st);
		return;
	}
	/* RFC 9293 MUST-7: an illegal option length is handled, not trusted —
	 * by Linux's rule or the RFC's (profile bad_option_keeps_segment). */
	bool keep = e == SYNACK_SEG_BAD_OPTION && st->prof.bad_option_keeps_segment;
	if (e != SYNACK_SEG_OK && !keep) {
		if ((unsigned)e < SYNACK_SEG_ERROR_COUNT)
			st->stats.malformed[e]++;
		reap(st);
		return;
	}
	st->stats.in_segs++;
	if (!sa_is_local_addr(st, &seg.dst)) {
		st->stats.not_for_us++;
		reap(st);
		return;
	}
	sa_tcp_input(st, &seg);
	reap(st);
}

void synack_settle(struct synack_stack *st, uint64_t now_us)
{
	sa_timers_run_before_input(st, now_us, true);
	reap(st);
}

void synack_advance(struct synack_stack *st, uint64_t now_us)
{
	sa_timers_run(st, now_us);
	reap(st);
}

uint64_t synack_next_deadline(const struct synack_stack *st)
{
	return sa_timers_next(st);
}

uint64_t synack_now(const struct synack_stack *st)
{
	return st->now_us;
}

const struct synack_stats *synack_stats(const struct synack_stack *st)
{
	return &st->stats;
}

const struct synack_profile *synack_get_profile(const struct synack_stack *st)
{
	return &st->prof;
}

/* Called at the end of each socket call that may free connections. */
void sa_reap(struct synack_stack *st)
{
	reap(st);
}
