#!/bin/bash -eu
# Builds every fuzz/fuzz_NAME.c for ClusterFuzzLite / OSS-Fuzz with only the
# variables they provide ($CC $CFLAGS $CXX $CXXFLAGS $LIB_FUZZING_ENGINE $OUT),
# and ships NAME.dict, NAME.options and NAME_seed_corpus.zip beside each.
# Run it locally with: make cflite-local
if [ -n "${SRC:-}" ] && [ -d "$SRC/synack" ]; then
	cd "$SRC/synack"
else
	cd "$(dirname "$0")/.."
fi

WORK=${WORK:-$(mktemp -d)}
FLAGS="-std=c11 -D_DEFAULT_SOURCE -DSYNACK_FUZZING=1 -Iengine/include -Iengine/src -Iconformance -Iharness"

objs=()
for src in engine/src/*.c conformance/lang/*.c conformance/run/*.c \
	conformance/stacks/engine.c conformance/stacks/stack.c; do
	[ -f "$src" ] || continue
	obj="$WORK/$(echo "$src" | tr / _).o"
	$CC $CFLAGS $FLAGS -c "$src" -o "$obj"
	objs+=("$obj")
done
for src in fuzz/*.c; do
	case "$src" in fuzz/fuzz_*.c | fuzz/replay_main.c | fuzz/afl_*.c) continue ;; esac
	obj="$WORK/$(echo "$src" | tr / _).o"
	$CC $CFLAGS $FLAGS -c "$src" -o "$obj"
	objs+=("$obj")
done

for target in fuzz/fuzz_*.c; do
	name=$(basename "$target" .c)
	name=${name#fuzz_}
	$CC $CFLAGS $FLAGS -c "$target" -o "$WORK/target_$name.o"
	$CXX $CXXFLAGS "$WORK/target_$name.o" "${objs[@]}" $LIB_FUZZING_ENGINE -o "$OUT/$name"
	[ -f "corpora/$name/$name.dict" ] && cp "corpora/$name/$name.dict" "$OUT/$name.dict"
	[ -f "corpora/$name/$name.options" ] && cp "corpora/$name/$name.options" "$OUT/$name.options"
	find "corpora/$name/seeds" "corpora/regressions/$name" -type f 2>/dev/null |
		zip -q -j -@ "$OUT/${name}_seed_corpus.zip" || true
done
