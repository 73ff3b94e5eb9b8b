/* AFL++ custom post-processor: fixes IP lengths and checksums of every
 * input before it reaches a target that takes whole packets (fuzz_packet.c),
 * since AFL++'s libFuzzer driver ignores LLVMFuzzerCustomMutator.
 *
 * Built as build/fuzz/afl/libpostchecksum.so (make fuzz); used with
 *   AFL_CUSTOM_MUTATOR_LIBRARY=build/fuzz/afl/libpostchecksum.so afl-fuzz ...
 * (`make fuzz TARGET=packet ENGINE=afl` sets it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet_fix.h"

struct post_state {
	uint8_t *buf;
	size_t cap;
	unsigned n;
};

void *afl_custom_init(void *afl, unsigned int seed);
size_t afl_custom_post_process(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf);
void afl_custom_deinit(void *data);

void *afl_custom_init(void *afl, unsigned int seed)
{
	(void)afl;
	struct post_state *s = calloc(1, sizeof *s);
	if (s)
		s->n = seed;
	return s;
}

size_t afl_custom_post_process(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf)
{
	struct post_state *s = data;
	if (buf_size > s->cap) {
		uint8_t *nb = realloc(s->buf, buf_size);
		if (!nb) {
			*out_buf = buf;
			return buf_size;
		}
		s->buf = nb;
		s->cap = buf_size;
	}
	if (buf_size)
		memcpy(s->buf, buf, buf_size);
	packet_fix(s->buf, buf_size, ++s->n);
	*out_buf = s->buf;
	return buf_size;
}

void afl_custom_deinit(void *data)
{
	struct post_state *s = data;
	free(s->buf);
	free(s);
}
