/* An arena allocator for the engine under fuzzing (synack_env.alloc/free).
 *
 * Why: the engine allocates each connection's buffers at full size (a
 * 128 KiB receive ring by default). Under ASan an allocation that large
 * comes from the secondary allocator: a fresh mmap per input, page faults
 * while the engine zeroes it, munmap on free — a tenth of the segment
 * target's time in the profile (bench/, docs/fuzzing.md). The arena hands
 * out memory from one static block that stays mapped and warm, and is
 * reset per input.
 *
 * ASan still sees overflows and use-after-free: chunks are separated by
 * poisoned redzones, a freed chunk is poisoned (its memory is not reused
 * within the input), and everything past the bump pointer is poisoned. Allocations that do not
 * fit fall back to malloc.
 */
#ifndef SYNACK_FUZZ_ARENA_H
#define SYNACK_FUZZ_ARENA_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#endif
#ifdef ARENA_ASAN
void __asan_poison_memory_region(void const volatile *addr, size_t size);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#define ARENA_POISON(p, n)   __asan_poison_memory_region((p), (n))
#define ARENA_UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define ARENA_POISON(p, n)   ((void)(p), (void)(n))
#define ARENA_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define ARENA_SIZE    (4u << 20)
#define ARENA_REDZONE 32u

struct fuzz_arena {
	size_t used;
	int ready;
	_Alignas(64) uint8_t mem[ARENA_SIZE];
};

static inline void arena_reset(struct fuzz_arena *a)
{
	/* Only what the last input used: past it, all is still poisoned. */
	ARENA_POISON(a->mem, a->ready ? a->used : ARENA_SIZE);
	a->ready = 1;
	a->used = 0;
}

static inline void *arena_alloc(void *ctx, size_t n)
{
	struct fuzz_arena *a = ctx;
	size_t start = a->used + ARENA_REDZONE;
	size_t need = (n + 15) & ~(size_t)15;
	if (n > ARENA_SIZE || start + need + ARENA_REDZONE > ARENA_SIZE)
		return malloc(n ? n : 1);
	a->used = start + need;
	/* The size, in the redzone just before the chunk, for arena_free. */
	uint8_t *hdr = a->mem + start - sizeof(size_t);
	ARENA_UNPOISON(hdr, sizeof(size_t));
	memcpy(hdr, &n, sizeof n);
	ARENA_POISON(hdr, sizeof(size_t));
	ARENA_UNPOISON(a->mem + start, n);
	return a->mem + start;
}

static inline void arena_free(void *ctx, void *p)
{
	struct fuzz_arena *a = ctx;
	uint8_t *b = p;
	if (b >= a->mem && b < a->mem + ARENA_SIZE) {
		size_t n;
		ARENA_UNPOISON(b - sizeof n, sizeof n);
		memcpy(&n, b - sizeof n, sizeof n);
		ARENA_POISON(b - sizeof n, sizeof n);
		ARENA_POISON(b, n); /* a use after free is caught */
		return;
	}
	free(p);
}

#endif
