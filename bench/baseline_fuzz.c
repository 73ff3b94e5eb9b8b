/* The trivial libFuzzer target `make bench` measures next to the real ones,
 * built with the same flags (FUZZ_CFLAGS): what libFuzzer + ASan + UBSan +
 * coverage cost on this machine with no work behind them, so the targets'
 * exec/s read as a ratio to it (TOOLCHAIN.md: ~500k exec/s here). */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned h = 0;
	for (size_t i = 0; i < size && i < 64; i++)
		h = h * 31 + data[i];
	if (size > 2 && data[0] == 'S' && data[1] == 'A')
		h ^= 1;
	sink = h;
	return 0;
}
