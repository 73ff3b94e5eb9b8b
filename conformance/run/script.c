/* The executable script model: defaults, arena, synack annotations. */
#include "run/script.h"

#include <stdlib.h>
#include <string.h>

void run_config_defaults(struct run_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->ip_version = RUN_IPV4;
	cfg->tolerance_usecs = 4000;
	cfg->tolerance_percent = 12.5;
	cfg->bind_port = 8080;
	cfg->connect_port = 8080;
	cfg->mtu = 1500;
	cfg->timeout_s = 60;
	cfg->seed = 1;
}

/* Each block is preceded by a link to the previous one. */
struct arena_block {
	struct arena_block *prev;
	max_align_t data[];
};

void *run_script_alloc(struct run_script *s, size_t n)
{
	struct arena_block *b = calloc(1, sizeof *b + n + 1);
	if (!b)
		abort(); /* scripts are small; out of memory here is not recoverable */
	b->prev = s->arena;
	s->arena = b;
	return b->data;
}

char *run_script_strdup(struct run_script *s, const char *str)
{
	size_t n = strlen(str);
	char *p = run_script_alloc(s, n + 1);
	memcpy(p, str, n + 1);
	return p;
}

int64_t run_script_duration_us(const struct run_script *s)
{
	int64_t prev = 0, last = 0;
	for (int i = 0; i < s->n_events; i++) {
		const struct run_time *t = &s->events[i].time;
		int64_t base = t->kind == RUN_TIME_ABS ? 0 : prev;
		int64_t at = t->kind == RUN_TIME_ANY ? prev : base + t->start_us;
		if (t->range || t->blocking)
			at = base + t->end_us;
		if (at > last)
			last = at;
		prev = at;
	}
	return last;
}

struct run_event *run_script_add_event(struct run_script *s)
{
	/* Events live in one array so the executor can index them; grow by
	 * doubling (the old array stays in the arena: scripts are small). */
	if (s->n_events == s->cap_events) {
		int cap = s->cap_events ? s->cap_events * 2 : 16;
		struct run_event *v = run_script_alloc(s, sizeof *v * (size_t)cap);
		if (s->n_events)
			memcpy(v, s->events, sizeof *v * (size_t)s->n_events);
		s->events = v;
		s->cap_events = cap;
	}
	struct run_event *e = &s->events[s->n_events++];
	memset(e, 0, sizeof *e);
	return e;
}

void run_script_free(struct run_script *s)
{
	struct arena_block *b = s->arena;
	while (b) {
		struct arena_block *prev = b->prev;
		free(b);
		b = prev;
	}
	s->arena = NULL;
	if (s->owner_free && s->owner)
		s->owner_free(s->owner);
	s->owner = NULL;
	s->events = NULL;
	s->n_events = s->cap_events = 0;
}

static void copy_word(char *dst, size_t cap, const char **p)
{
	size_t n = 0;
	while (**p == ' ' || **p == '\t')
		(*p)++;
	while (**p && **p != ' ' && **p != '\t' && **p != '\n') {
		if (n + 1 < cap)
			dst[n++] = **p;
		(*p)++;
	}
	dst[n] = '\0';
}

static void copy_rest(char *dst, size_t cap, const char *p)
{
	size_t n = 0;
	while (*p == ' ' || *p == '\t')
		p++;
	while (*p && *p != '\n' && n + 1 < cap)
		dst[n++] = *p++;
	while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '\t' || dst[n - 1] == '\r'))
		n--;
	dst[n] = '\0';
}

void run_script_scan_annotations(struct run_script *s, const char *src)
{
	for (const char *line = src; line && *line;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		const char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "//", 2) != 0)
			continue;
		p += 2;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "@stacks:", 8) == 0) {
			copy_rest(s->stacks, sizeof s->stacks, p + 8);
		} else if (strncmp(p, "@ip_versions:", 13) == 0) {
			copy_rest(s->ip_versions, sizeof s->ip_versions, p + 13);
		} else if (strncmp(p, "@requirement:", 13) == 0) {
			copy_rest(s->requirement, sizeof s->requirement, p + 13);
		} else if (strncmp(p, "@divergence:", 12) == 0 &&
		           s->n_divergences <
		               (int)(sizeof s->divergences / sizeof s->divergences[0])) {
			const char *q = p + 12;
			int i = s->n_divergences++;
			copy_word(s->divergences[i].stack, sizeof s->divergences[i].stack, &q);
			copy_rest(s->divergences[i].reason, sizeof s->divergences[i].reason, q);
		}
	}
}

/* "engine:rfc" is the engine stack with a profile. An annotation naming a
 * stack ("engine") covers all its profiles; one naming a profile
 * ("engine:rfc") only that one. */
static bool same_stack(const char *a, size_t alen, const char *stack)
{
	if (memchr(a, ':', alen))
		return alen == strlen(stack) && strncmp(a, stack, alen) == 0;
	size_t slen = strcspn(stack, ":");
	return alen == slen && strncmp(a, stack, slen) == 0;
}

bool run_word_next(const char **p, const char **word, size_t *n)
{
	*p += strspn(*p, " \t,");
	*word = *p;
	*n = strcspn(*p, " \t,");
	*p += *n;
	return *n != 0;
}

bool run_script_for_stack(const struct run_script *s, const char *stack)
{
	if (!s->stacks[0])
		return true;
	const char *w;
	size_t n;
	for (const char *p = s->stacks; run_word_next(&p, &w, &n);)
		if (same_stack(w, n, stack))
			return true;
	return false;
}

const char *run_ip_version_name(enum run_ip_version v)
{
	return v == RUN_IPV6 ? "ipv6" : v == RUN_IPV4_MAPPED_IPV6 ? "ipv4-mapped-ipv6" : "ipv4";
}

bool run_ip_version_parse(const char *w, size_t n, enum run_ip_version *v)
{
	static const enum run_ip_version all[] = { RUN_IPV4, RUN_IPV6, RUN_IPV4_MAPPED_IPV6 };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		const char *name = run_ip_version_name(all[i]);
		if (n == strlen(name) && !strncmp(w, name, n)) {
			*v = all[i];
			return true;
		}
	}
	return false;
}

bool run_script_for_ip_version(const struct run_script *s, enum run_ip_version v)
{
	if (!s->ip_versions[0])
		return true;
	const char *w;
	size_t n;
	enum run_ip_version got;
	for (const char *p = s->ip_versions; run_word_next(&p, &w, &n);)
		if (run_ip_version_parse(w, n, &got) && got == v)
			return true;
	return false;
}

const char *run_script_divergence(const struct run_script *s, const char *stack)
{
	for (int i = 0; i < s->n_divergences; i++)
		if (same_stack(s->divergences[i].stack, strlen(s->divergences[i].stack), stack))
			return s->divergences[i].reason;
	return NULL;
}
