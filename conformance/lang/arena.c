/* The per-script arena and the bounded text appender.
 *
 * One arena per script makes freeing a partial tree after an error trivial
 * (the parser longjmps out of any depth) and lets the parser bound memory
 * relative to the input size, so no input can make it allocate without
 * limit. */
#include "lang/lang_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN 8192

struct chunk {
	struct chunk *next;
	size_t size; /* usable bytes after the header */
	size_t used;
	max_align_t data[];
};

struct lang_arena {
	struct chunk *head;
	size_t cap;   /* bytes that may still be handed out in total */
	size_t given; /* bytes handed out so far */
};

struct lang_arena *lang_arena_new(size_t cap)
{
	struct lang_arena *a = calloc(1, sizeof *a);
	if (a)
		a->cap = cap;
	return a;
}

void lang_arena_free(struct lang_arena *a)
{
	if (!a)
		return;
	for (struct chunk *c = a->head, *n; c; c = n) {
		n = c->next;
		free(c);
	}
	free(a);
}

void *lang_arena_alloc(struct lang_arena *a, size_t size)
{
	const size_t align = sizeof(max_align_t);
	size = (size + align - 1) / align * align;
	if (size == 0)
		size = align;
	if (size > a->cap || a->given > a->cap - size)
		return NULL;
	struct chunk *c = a->head;
	if (!c || c->size - c->used < size) {
		size_t want = size > CHUNK_MIN ? size : CHUNK_MIN;
		c = malloc(sizeof *c + want);
		if (!c)
			return NULL;
		c->size = want;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += size;
	a->given += size;
	memset(p, 0, size);
	return p;
}

char *lang_arena_strndup(struct lang_arena *a, const char *s, size_t n)
{
	if (n == SIZE_MAX)
		return NULL;
	char *p = lang_arena_alloc(a, n + 1);
	if (p) {
		if (n)
			memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

void lang_sb_put(struct strbuf *sb, const char *s, size_t n)
{
	if (sb->size && sb->len < sb->size - 1) {
		size_t room = sb->size - 1 - sb->len;
		memcpy(sb->buf + sb->len, s, n < room ? n : room);
	}
	sb->len += n;
	if (sb->size)
		sb->buf[sb->len < sb->size ? sb->len : sb->size - 1] = '\0';
}

void lang_sb_puts(struct strbuf *sb, const char *s)
{
	lang_sb_put(sb, s, strlen(s));
}

void lang_sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof tmp) {
		lang_sb_put(sb, tmp, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big)
		return;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	lang_sb_put(sb, big, (size_t)n);
	free(big);
}
