/* Connections by 4-tuple (see conns.h). */
#include "run/conns.h"

#include <string.h>

void run_conns_init(struct run_conns *cs)
{
	memset(cs, 0, sizeof *cs);
	cs->current = -1;
	/* Passive opens come from ports packetdrill-like scripts never bind. */
	cs->next_rport = 48000;
}

static bool addr_eq(const struct synack_addr *a, const struct synack_addr *b)
{
	size_t n = a->family == 6 ? 16 : 4;
	return a->family == b->family && memcmp(a->bytes, b->bytes, n) == 0;
}

int run_conns_find(const struct run_conns *cs, const struct synack_addr *local, uint16_t lport,
                   const struct synack_addr *remote, uint16_t rport)
{
	/* Newest first: a reused tuple means the newest incarnation. */
	for (int i = cs->n - 1; i >= 0; i--) {
		const struct run_conn *c = &cs->v[i];
		if (c->lport == lport && c->rport == rport && addr_eq(&c->local, local) &&
		    addr_eq(&c->remote, remote))
			return i;
	}
	return -1;
}

int run_conns_by_fd(const struct run_conns *cs, int stack_fd)
{
	for (int i = cs->n - 1; i >= 0; i--)
		if (cs->v[i].stack_fd == stack_fd)
			return i;
	return -1;
}

int run_conns_add(struct run_conns *cs, const struct synack_addr *local, uint16_t lport,
                  const struct synack_addr *remote, uint16_t rport)
{
	if (cs->n == RUN_MAX_CONNS)
		return -1;
	struct run_conn *c = &cs->v[cs->n];
	memset(c, 0, sizeof *c);
	c->local = *local;
	c->remote = *remote;
	c->lport = lport;
	c->rport = rport;
	c->stack_fd = -1;
	cs->current = cs->n;
	return cs->n++;
}

uint16_t run_conns_new_rport(struct run_conns *cs)
{
	for (;;) {
		uint16_t port = cs->next_rport++;
		if (cs->next_rport == 0)
			cs->next_rport = 48000;
		bool used = false;
		for (int i = 0; i < cs->n && !used; i++)
			used = cs->v[i].rport == port;
		if (!used && port != 0)
			return port;
	}
}

uint32_t run_conn_local_off(const struct run_conn *c, bool syn)
{
	if (!c->isn_known)
		return 0;
	return syn ? c->local_isn - c->script_local_isn : c->local_isn;
}

uint32_t run_conn_remote_off(const struct run_conn *c, bool syn)
{
	return syn ? 0 : c->remote_isn;
}
