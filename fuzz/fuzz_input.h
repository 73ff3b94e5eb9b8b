/* A byte reader over a fuzz input: FuzzedDataProvider's idea in C.
 *
 * Reads never fail: past the end every read returns zero, so a target's
 * decisions are total functions of the input and short inputs still drive
 * the code. Structure-aware targets take their choices from the front
 * (fi_u8 …) and bulk bytes from wherever the cursor is.
 */
#ifndef SYNACK_FUZZ_INPUT_H
#define SYNACK_FUZZ_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Every target defines this (libFuzzer's entry point; AFL++ drives it
 * through its libFuzzer driver; replay_main.c through files). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_input {
	const uint8_t *p;
	size_t left;
};

static inline struct fuzz_input fi_init(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	return in;
}

static inline bool fi_empty(const struct fuzz_input *in)
{
	return in->left == 0;
}

static inline uint8_t fi_u8(struct fuzz_input *in)
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

static inline uint16_t fi_u16(struct fuzz_input *in)
{
	uint16_t hi = fi_u8(in);
	return (uint16_t)(hi << 8 | fi_u8(in));
}

static inline uint32_t fi_u32(struct fuzz_input *in)
{
	uint32_t hi = fi_u16(in);
	return hi << 16 | fi_u16(in);
}

static inline bool fi_bool(struct fuzz_input *in)
{
	return fi_u8(in) & 1;
}

/* A value in [lo, hi]; hi - lo must fit in 16 bits for an even spread. */
static inline uint32_t fi_range(struct fuzz_input *in, uint32_t lo, uint32_t hi)
{
	if (hi <= lo)
		return lo;
	uint32_t span = hi - lo + 1;
	uint32_t v = span <= 256 ? fi_u8(in) : span <= 65536 ? fi_u16(in) : fi_u32(in);
	return lo + v % span;
}

/* Copies up to n bytes; returns how many were available. */
static inline size_t fi_bytes(struct fuzz_input *in, uint8_t *out, size_t n)
{
	size_t k = n < in->left ? n : in->left;
	memcpy(out, in->p, k);
	in->p += k;
	in->left -= k;
	return k;
}

/* Takes the next n bytes in place (fewer at the end). */
static inline const uint8_t *fi_take(struct fuzz_input *in, size_t n, size_t *got)
{
	const uint8_t *p = in->p;
	*got = n < in->left ? n : in->left;
	in->p += *got;
	in->left -= *got;
	return p;
}

#endif
