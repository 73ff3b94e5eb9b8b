/* simnet: two engine stacks joined by a simulated network (simnet.h). */
#include "simnet.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* splitmix64 */
static uint64_t rnd(struct simnet *net)
{
	uint64_t z = (net->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static bool chance(struct simnet *net, uint32_t ppm)
{
	return ppm && rnd(net) % 1000000u < ppm;
}

static bool before(const struct simnet *net, uint32_t a, uint32_t b)
{
	const struct simnet_pkt *x = &net->slot[a], *y = &net->slot[b];
	return x->at < y->at || (x->at == y->at && x->order < y->order);
}

static void heap_push(struct simnet *net, uint32_t s)
{
	size_t i = net->len++;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (!before(net, s, net->heap[up]))
			break;
		net->heap[i] = net->heap[up];
		i = up;
	}
	net->heap[i] = s;
}

static uint32_t heap_pop(struct simnet *net)
{
	uint32_t top = net->heap[0], last = net->heap[--net->len];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= net->len)
			break;
		if (c + 1 < net->len && before(net, net->heap[c + 1], net->heap[c]))
			c++;
		if (!before(net, net->heap[c], last))
			break;
		net->heap[i] = net->heap[c];
		i = c;
	}
	if (net->len)
		net->heap[i] = last;
	return top;
}

/* RFC 3168 §5: CE is ECN field 11. IPv4: the TOS byte's low bits, and the
 * header checksum redone; IPv6: the traffic class's low bits. */
static bool ect(const uint8_t *p, size_t n)
{
	if (n >= 20 && (p[0] >> 4) == 4)
		return (p[1] & 3) == 1 || (p[1] & 3) == 2;
	if (n >= 40 && (p[0] >> 4) == 6)
		return ((p[1] >> 4) & 3) == 1 || ((p[1] >> 4) & 3) == 2;
	return false;
}

static void mark_ce(uint8_t *p)
{
	if ((p[0] >> 4) == 6) {
		p[1] |= 0x30;
		return;
	}
	size_t ihl = (size_t)(p[0] & 15) * 4;
	p[1] |= 3;
	p[10] = p[11] = 0;
	uint32_t sum = 0;
	for (size_t i = 0; i < ihl; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	p[10] = (uint8_t)(~sum >> 8);
	p[11] = (uint8_t)~sum;
}

static void enqueue(struct simnet *net, int to, const uint8_t *p, size_t n, bool corrupt)
{
	struct simnet_dir_stats *d = &net->dir[!to];
	if (!net->nfree) {
		net->overflow = true;
		return;
	}
	uint32_t s = net->free_slots[--net->nfree];
	struct simnet_pkt *w = &net->slot[s];
	memcpy(w->data, p, n);
	w->len = (uint16_t)n;
	w->to = (uint8_t)to;
	w->at = net->now + net->cfg.delay_us;
	if (net->cfg.jitter_us)
		w->at += rnd(net) % ((uint64_t)net->cfg.jitter_us + 1);
	if (chance(net, net->cfg.reorder_ppm)) {
		d->reordered++;
		w->at += 1 + rnd(net) % net->cfg.reorder_us;
	}
	if (corrupt) {
		/* One byte of the TCP segment, never its data offset (byte 12),
		 * XORed with a non-zero mask: RFC 1071's sum always sees it. */
		size_t ip = (p[0] >> 4) == 4 ? (size_t)(p[0] & 15) * 4 : 40, at;
		do
			at = ip + (size_t)(rnd(net) % (n - ip));
		while (at == ip + 12);
		w->data[at] ^= (uint8_t)(1 + rnd(net) % 255);
		d->corrupted++;
	}
	if (net->cfg.ce_ppm && ect(p, n) && chance(net, net->cfg.ce_ppm)) {
		mark_ce(w->data);
		d->ce_marked++;
	}
	w->order = net->order++;
	heap_push(net, s);
}

/* TCP payload length of an IPv4 or IPv6 packet (no extension headers). */
static size_t payload_len(const uint8_t *p, size_t n)
{
	size_t ip, total;
	if (n >= 20 && (p[0] >> 4) == 4) {
		ip = (size_t)(p[0] & 15) * 4;
		total = (size_t)p[2] << 8 | p[3];
	} else if (n >= 40 && (p[0] >> 4) == 6) {
		ip = 40;
		total = 40 + ((size_t)p[4] << 8 | p[5]);
	} else {
		return 0;
	}
	if (total > n || ip + 20 > total)
		return 0;
	size_t tcp = (size_t)(p[ip + 12] >> 4) * 4;
	return ip + tcp <= total ? total - ip - tcp : 0;
}

static void emit(void *ctx, const uint8_t *p, size_t n)
{
	struct simnet_port *port = ctx;
	struct simnet *net = port->net;
	struct simnet_dir_stats *d = &net->dir[port->side];
	size_t pl = payload_len(p, n);
	d->pkts++;
	d->data_segs += pl > 0;
	d->payload += pl;
	if (n > SIMNET_PKTMAX) {
		net->overflow = true;
		return;
	}
	if (chance(net, net->cfg.loss_ppm)) {
		d->dropped++;
		return;
	}
	enqueue(net, !port->side, p, n, chance(net, net->cfg.corrupt_ppm));
	if (chance(net, net->cfg.dup_ppm)) {
		d->duplicated++;
		enqueue(net, !port->side, p, n, false);
	}
}

void simnet_sockaddr(int side, uint16_t port, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	uint8_t a[4] = { 10, 0, 0, (uint8_t)(side + 1) };
	memcpy(&sin->sin_addr, a, 4);
}

/* Everything but the packet buffers, which net already has. */
static int setup(struct simnet *net, const struct simnet_config *cfg,
                 const struct synack_profile *p)
{
	if (cfg)
		net->cfg = *cfg;
	if (!net->cfg.delay_us)
		net->cfg.delay_us = 1000;
	if (!net->cfg.reorder_us)
		net->cfg.reorder_us = 10000;
	net->rng = net->cfg.seed;
	for (uint32_t i = 0; i < SIMNET_QMAX; i++)
		net->free_slots[i] = SIMNET_QMAX - 1 - i;
	net->nfree = SIMNET_QMAX;

	struct synack_profile linux_profile;
	if (!p) {
		synack_profile_linux(&linux_profile);
		p = &linux_profile;
	}
	net->now = 1000000;
	for (int i = 0; i < 2; i++) {
		net->port[i] = (struct simnet_port){ net, i };
		struct synack_env env = { .emit = emit,
			                  .ctx = &net->port[i],
			                  .seed = (uint64_t)i + 1 };
		net->st[i] = synack_stack_new(p, &env);
		if (!net->st[i]) {
			simnet_free(net);
			return -1;
		}
		struct synack_addr a = { .family = 4, .bytes = { 10, 0, 0, (uint8_t)(i + 1) } };
		synack_add_address(net->st[i], &a);
		synack_advance(net->st[i], net->now);
	}
	return 0;
}

int simnet_init(struct simnet *net, const struct simnet_config *cfg, const struct synack_profile *p)
{
	memset(net, 0, sizeof(*net));
	net->slot = malloc(SIMNET_QMAX * sizeof(*net->slot));
	net->heap = malloc(SIMNET_QMAX * sizeof(*net->heap));
	net->free_slots = malloc(SIMNET_QMAX * sizeof(*net->free_slots));
	if (!net->slot || !net->heap || !net->free_slots) {
		simnet_free(net);
		return -1;
	}
	return setup(net, cfg, p);
}

int simnet_reinit(struct simnet *net, const struct simnet_config *cfg,
                  const struct synack_profile *p)
{
	struct simnet_pkt *slot = net->slot;
	uint32_t *heap = net->heap, *free_slots = net->free_slots;
	for (int i = 0; i < 2; i++)
		if (net->st[i])
			synack_stack_free(net->st[i]);
	memset(net, 0, sizeof(*net));
	net->slot = slot;
	net->heap = heap;
	net->free_slots = free_slots;
	return setup(net, cfg, p);
}

void simnet_free(struct simnet *net)
{
	for (int i = 0; i < 2; i++)
		if (net->st[i])
			synack_stack_free(net->st[i]);
	free(net->slot);
	free(net->heap);
	free(net->free_slots);
	memset(net, 0, sizeof(*net));
}

uint64_t simnet_next_event(const struct simnet *net)
{
	uint64_t next = net->len ? net->slot[net->heap[0]].at : SYNACK_NEVER;
	for (int i = 0; i < 2; i++) {
		uint64_t d = synack_next_deadline(net->st[i]);
		if (d < next)
			next = d;
	}
	return next;
}

bool simnet_step(struct simnet *net, uint64_t until)
{
	uint64_t next = simnet_next_event(net);
	if (next > until)
		return false;
	if (next > net->now)
		net->now = next;
	if (net->len && net->slot[net->heap[0]].at <= net->now) {
		uint32_t s = heap_pop(net);
		const struct simnet_pkt *w = &net->slot[s];
		synack_input(net->st[w->to], net->now, w->data, w->len);
		net->free_slots[net->nfree++] = s;
	}
	for (int i = 0; i < 2; i++)
		synack_advance(net->st[i], net->now);
	return true;
}

void simnet_run(struct simnet *net, uint64_t until)
{
	while (simnet_step(net, until))
		;
	if (until > net->now)
		net->now = until;
	for (int i = 0; i < 2; i++)
		synack_advance(net->st[i], net->now);
}

int simnet_connect(struct simnet *net, int *client_fd, int *server_fd)
{
	struct sockaddr_in sa;
	simnet_sockaddr(1, 80, &sa);
	int l = synack_socket(net->st[1], AF_INET, SOCK_STREAM, 0);
	if (l < 0 || synack_bind(net->st[1], l, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    synack_listen(net->st[1], l, 16) < 0)
		return -1;
	int c = synack_socket(net->st[0], AF_INET, SOCK_STREAM, 0);
	if (c < 0 ||
	    synack_connect(net->st[0], c, (struct sockaddr *)&sa, sizeof(sa)) != -EINPROGRESS)
		return -1;
	/* Up to a minute: the handshake may need SYN retransmissions. */
	int s = -EAGAIN;
	for (uint64_t end = net->now + 60000000; s == -EAGAIN && net->now < end;) {
		simnet_run(net, net->now + 10000);
		s = synack_accept(net->st[1], l, NULL, NULL);
	}
	if (s < 0 || synack_connect(net->st[0], c, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return -1;
	*client_fd = c;
	*server_fd = s;
	return 0;
}
