/* Aligning two normalised traces and classifying each difference
 * (compare.h). A global alignment (Needleman-Wunsch) over the two event
 * lists: leaving an event unpaired costs GAP; pairing two events costs
 * nothing when they agree, a little per difference class, and is not
 * allowed across kinds (a packet never pairs with a call) or, for events
 * the script made (inbound packets, calls, commands), across script lines.
 * Outbound packets may pair across lines (a stack that sends its ACK a
 * line later is one timing difference, not a missing and an extra packet),
 * but pairing on the same line is cheaper.
 */
#include <stdlib.h>
#include <string.h>

#include "compare/compare.h"
#include "synack/engine.h"

#define GAP 4
#define INF (1 << 28)

static const char *const class_names[CMP_N_CLASSES] = {
	[CMP_MISSING] = "missing", [CMP_EXTRA] = "extra",     [CMP_FLAGS] = "flags",
	[CMP_SEQACK] = "seq/ack",  [CMP_PAYLOAD] = "payload", [CMP_WINDOW] = "window",
	[CMP_OPTIONS] = "options", [CMP_TIMING] = "timing",   [CMP_SYSCALL] = "syscall",
};

const char *cmp_class_name(enum cmp_class c)
{
	return c < CMP_N_CLASSES ? class_names[c] : "?";
}

int cmp_class_parse(const char *list, unsigned *mask, char *why, size_t cap)
{
	*mask = 0;
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, ",");
		bool found = false;
		for (int c = 0; c < CMP_N_CLASSES; c++) {
			const char *name = class_names[c];
			if ((strlen(name) == n && strncmp(p, name, n) == 0) ||
			    (c == CMP_SEQACK && n == 3 && strncmp(p, "seq", 3) == 0) ||
			    (c == CMP_SEQACK && n == 3 && strncmp(p, "ack", 3) == 0) ||
			    (c == CMP_PAYLOAD && n == 6 && strncmp(p, "length", 6) == 0) ||
			    (c == CMP_TIMING && n == 4 && strncmp(p, "time", 4) == 0)) {
				*mask |= CMP_BIT(c);
				found = true;
			}
		}
		if (n && !found) {
			snprintf(why, cap,
			         "unknown difference class '%.*s' (missing, extra, flags, seq/ack, "
			         "payload, window, options, timing, syscall)",
			         (int)n, p);
			return -1;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

void cmp_class_list(unsigned mask, char *buf, size_t cap)
{
	size_t n = 0;
	buf[0] = 0;
	for (int c = 0; c < CMP_N_CLASSES; c++)
		if (mask & CMP_BIT(c)) {
			int k = snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", class_names[c]);
			if (k < 0 || (size_t)k >= cap - n)
				return;
			n += (size_t)k;
		}
}

int64_t cmp_wheel_lateness_us(int64_t len_us)
{
	const uint32_t hz = 250; /* ../shared/LINUX-DEFAULTS.md */
	/* The wheel's slot, and a tick of the softirq running late. */
	return (int64_t)synack_timer_wheel_slack_us(hz, len_us < 0 ? 0 : (uint64_t)len_us) +
	       1000000 / hz;
}

static int64_t tolerance(const struct cmp_opts *o, int64_t t, int64_t prev_us)
{
	int64_t tol = o->tolerance_us;
	if (prev_us >= 0 && t > prev_us) {
		int64_t dyn = (int64_t)(o->tolerance_percent / 100.0 * (double)(t - prev_us));
		if (dyn > tol)
			tol = dyn;
	}
	return tol;
}

unsigned cmp_event_diff(const struct cmp_event *a, const struct cmp_event *b,
                        const struct cmp_opts *o, int64_t prev_us, int64_t offset_us)
{
	unsigned d = 0;
	if (a->is_pkt && b->is_pkt && a->parsed && b->parsed) {
		if (a->flags != b->flags)
			d |= CMP_BIT(CMP_FLAGS);
		if (a->seq != b->seq || a->ack != b->ack)
			d |= CMP_BIT(CMP_SEQACK);
		if (a->len != b->len)
			d |= CMP_BIT(CMP_PAYLOAD);
		if (a->win != b->win)
			d |= CMP_BIT(CMP_WINDOW);
		if (strcmp(a->opts, b->opts) != 0)
			d |= CMP_BIT(CMP_OPTIONS);
	} else if (a->is_pkt || b->is_pkt) {
		if (a->is_pkt != b->is_pkt || a->parsed != b->parsed ||
		    strcmp(a->opts, b->opts) != 0)
			d |= CMP_BIT(CMP_FLAGS);
	} else if ((a->kind == RUN_OBS_SYSCALL || a->kind == RUN_OBS_RETURN) &&
	           strcmp(a->text, b->text) != 0) {
		d |= CMP_BIT(CMP_SYSCALL);
	}
	/* Only the stack decides when it sends and when a blocked call
	 * returns; the script's own events happen at script times on both, and
	 * a real stack's latency moves them by offset_us, which is not the
	 * stack's behaviour. */
	if (a->kind == RUN_OBS_OUTBOUND || a->kind == RUN_OBS_RETURN) {
		int64_t dt = b->time_us - a->time_us - offset_us;
		/* A kernel's timer fires late, never early, by up to its
		 * wheel slot (docs/compare.md, "Timing"). */
		int64_t late = 0;
		if (dt > 0 && o->b_kernel && !o->a_kernel)
			late = a->wheel_us;
		else if (dt < 0 && o->a_kernel && !o->b_kernel)
			late = b->wheel_us;
		if (dt < 0)
			dt = -dt;
		int64_t slack = a->slack_us > b->slack_us ? a->slack_us : b->slack_us;
		if (dt > tolerance(o, a->time_us, prev_us) + slack + late)
			d |= CMP_BIT(CMP_TIMING);
	}
	return d;
}

static int popcount(unsigned v)
{
	int n = 0;
	for (; v; v &= v - 1)
		n++;
	return n;
}

static bool script_made(const struct cmp_event *e)
{
	return e->kind != RUN_OBS_OUTBOUND;
}

static int pair_cost(const struct cmp_event *a, const struct cmp_event *b, const struct cmp_opts *o,
                     int64_t prev_us)
{
	if (a->kind != b->kind)
		return INF;
	if (script_made(a) && a->line != b->line)
		return INF;
	if (a->is_pkt && a->conn != b->conn)
		return INF;
	unsigned d = cmp_event_diff(a, b, o, prev_us, 0);
	int cost = popcount(d & ~CMP_BIT(CMP_TIMING)) * 2 + ((d & CMP_BIT(CMP_TIMING)) ? 1 : 0);
	if (cost > 2 * GAP - 1)
		cost = 2 * GAP - 1;
	if (!script_made(a) && a->line != b->line)
		cost += 1;
	return cost;
}

/* Leaving an event unpaired. What the script made (an inbound packet, a
 * call) is in both traces by construction, at the same line: leaving one
 * unpaired is the last resort. A real stack that sends its packet after the
 * script's next inbound packet instead of before it (Linux delaying the ACK
 * of a FIN until the next segment) shows as that packet missing here and
 * extra there, never as the script's own packet missing and extra. */
static int gap(const struct cmp_event *e)
{
	return script_made(e) ? 3 * GAP : GAP;
}

/* A timer-sent packet one side has and a kernel lacks, where the kernel's
 * run ended before its wheel had to fire that timer (the packet's time
 * plus its wheel_us, in the kernel's clock, is past the kernel's last
 * event): the kernel was not watched long enough to say it differs. */
static bool unseen_at_end(const struct cmp_trace *a, const struct cmp_trace *b,
                          const struct cmp_row *r, const struct cmp_opts *o, int64_t offset)
{
	const struct cmp_event *e;
	const struct cmp_trace *kernel;
	int64_t to_kernel; /* the kernel's clock minus the other's */
	if (r->a >= 0 && r->b < 0 && o->b_kernel) {
		e = &a->v[r->a];
		kernel = b;
		to_kernel = offset;
	} else if (r->b >= 0 && r->a < 0 && o->a_kernel) {
		e = &b->v[r->b];
		kernel = a;
		to_kernel = -offset;
	} else {
		return false;
	}
	if (e->kind != RUN_OBS_OUTBOUND || !e->timer_len_us || !kernel->n)
		return false;
	return e->time_us + to_kernel + e->wheel_us > kernel->v[kernel->n - 1].time_us;
}

/* The one-sided event of row x, with its side's trace and which side. */
static const struct cmp_event *lone(const struct cmp_trace *a, const struct cmp_trace *b,
                                    const struct cmp_row *r, bool *on_a)
{
	*on_a = r->a >= 0;
	if ((r->a >= 0) == (r->b >= 0))
		return NULL;
	return *on_a ? &a->v[r->a] : &b->v[r->b];
}

/* A kernel's late timer can fire after a script event the other stack's
 * timer came before, and send what that event left: the other side's
 * timer-sent packet is missing on the kernel's side, and the kernel's
 * later one extra. Row x is either half; the other is found in the rows
 * around it: the kernel's packet within the timer's wheel slot after the
 * other's, with its flags, ending where it ends, starting no earlier (an
 * ACK in between trimmed it), with a script event between the two. */
static bool reordered_late(const struct cmp_trace *a, const struct cmp_trace *b,
                           const struct cmp_result *res, size_t x, const struct cmp_opts *o,
                           int64_t offset)
{
	bool x_on_a;
	const struct cmp_event *ex = lone(a, b, &res->rows[x], &x_on_a);
	if (!ex || ex->kind != RUN_OBS_OUTBOUND || !ex->is_pkt)
		return false;
	bool x_kernel = x_on_a ? o->a_kernel : o->b_kernel;
	bool other_kernel = x_on_a ? o->b_kernel : o->a_kernel;
	if (x_kernel == other_kernel)
		return false;
	/* Walk from the timer-sent half towards the kernel's half. */
	int step = x_kernel ? -1 : 1;
	bool script_between = false;
	for (size_t y = x + (size_t)step; y < res->n; y += (size_t)step) {
		const struct cmp_row *ry = &res->rows[y];
		bool y_on_a;
		const struct cmp_event *ey = lone(a, b, ry, &y_on_a);
		if (!ey) {
			const struct cmp_event *both = &a->v[ry->a];
			script_between = script_between || script_made(both);
			continue;
		}
		if (y_on_a == x_on_a || ey->kind != RUN_OBS_OUTBOUND || !ey->is_pkt)
			continue;
		const struct cmp_event *timer = x_kernel ? ey : ex, *kernel = x_kernel ? ex : ey;
		bool kernel_on_a = x_kernel ? x_on_a : y_on_a;
		/* The kernel's clock minus the timer side's. */
		int64_t to_kernel = kernel_on_a ? -offset : offset;
		int64_t late = kernel->time_us - (timer->time_us + to_kernel);
		int64_t allowed = timer->wheel_us + tolerance(o, timer->time_us,
		                                              timer->time_us - timer->timer_len_us);
		return timer->timer_len_us && script_between && late >= 0 && late <= allowed &&
		       timer->conn == kernel->conn && timer->flags == kernel->flags &&
		       timer->seq + timer->len == kernel->seq + kernel->len &&
		       (int32_t)(kernel->seq - timer->seq) >= 0;
	}
	return false;
}

int cmp_align(const struct cmp_trace *a, const struct cmp_trace *b, const struct cmp_opts *o,
              struct cmp_result *out)
{
	memset(out, 0, sizeof *out);
	size_t n = a->n, m = b->n, w = m + 1;
	int *cost = malloc(sizeof *cost * (n + 1) * (m + 1));
	out->rows = calloc(n + m + 1, sizeof *out->rows);
	if (!cost || !out->rows) {
		free(cost);
		free(out->rows);
		out->rows = NULL;
		return -1;
	}
	cost[0] = 0;
	for (size_t i = 1; i <= n; i++)
		cost[i * w] = cost[(i - 1) * w] + gap(&a->v[i - 1]);
	for (size_t j = 1; j <= m; j++)
		cost[j] = cost[j - 1] + gap(&b->v[j - 1]);
	for (size_t i = 1; i <= n; i++) {
		int64_t prev = i >= 2 ? a->v[i - 2].time_us : -1;
		for (size_t j = 1; j <= m; j++) {
			int best = cost[(i - 1) * w + j] + gap(&a->v[i - 1]);
			int left = cost[i * w + j - 1] + gap(&b->v[j - 1]);
			if (left < best)
				best = left;
			int pc = pair_cost(&a->v[i - 1], &b->v[j - 1], o, prev);
			if (pc < INF && cost[(i - 1) * w + j - 1] + pc <= best)
				best = cost[(i - 1) * w + j - 1] + pc;
			cost[i * w + j] = best;
		}
	}
	/* Walk back, then reverse. */
	size_t i = n, j = m, k = 0;
	while (i > 0 || j > 0) {
		struct cmp_row *r = &out->rows[k++];
		int64_t prev = i >= 2 ? a->v[i - 2].time_us : -1;
		int pc = i > 0 && j > 0 ? pair_cost(&a->v[i - 1], &b->v[j - 1], o, prev) : INF;
		if (pc < INF && cost[i * w + j] == cost[(i - 1) * w + j - 1] + pc) {
			r->a = (int)--i;
			r->b = (int)--j;
		} else if (i > 0 && cost[i * w + j] == cost[(i - 1) * w + j] + gap(&a->v[i - 1])) {
			r->a = (int)--i;
			r->b = -1;
			r->diff = CMP_BIT(CMP_MISSING);
		} else {
			r->a = -1;
			r->b = (int)--j;
			r->diff = CMP_BIT(CMP_EXTRA);
		}
	}
	free(cost);
	for (size_t x = 0; x < k / 2; x++) {
		struct cmp_row t = out->rows[x];
		out->rows[x] = out->rows[k - 1 - x];
		out->rows[k - 1 - x] = t;
	}
	out->n = k;
	/* Classify in order: times compare against the offset between the two
	 * runs at the last event the script made. */
	int64_t offset = 0;
	for (size_t x = 0; x < k; x++) {
		struct cmp_row *r = &out->rows[x];
		if (r->a >= 0 && r->b >= 0) {
			const struct cmp_event *ea = &a->v[r->a], *eb = &b->v[r->b];
			int64_t prev = r->a >= 1 ? a->v[r->a - 1].time_us : -1;
			r->diff = cmp_event_diff(ea, eb, o, prev, offset);
			if (script_made(ea) && ea->kind != RUN_OBS_RETURN)
				offset = eb->time_us - ea->time_us;
		} else if (unseen_at_end(a, b, r, o, offset) ||
		           reordered_late(a, b, out, x, o, offset)) {
			r->diff = 0;
		}
		r->diff &= ~o->ignore;
		out->classes |= r->diff;
		if (r->diff)
			out->n_diff_rows++;
		for (int c = 0; c < CMP_N_CLASSES; c++)
			if (r->diff & CMP_BIT(c))
				out->counts[c]++;
	}
	return 0;
}

void cmp_result_free(struct cmp_result *r)
{
	free(r->rows);
	memset(r, 0, sizeof *r);
}
