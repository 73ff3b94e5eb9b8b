#!/bin/bash -eu
# Builds every fuzz/fuzz_NAME.c for ClusterFuzzLite / OSS-Fuzz with only the
# variables they provide ($CC $CFLAGS $CXX $CXXFLAGS $LIB_FUZZING_ENGINE $OUT),
# and ships NAME.dict, NAME.options and NAME_seed_corpus.zip beside each.
# Run it locally with: make cflite-local
set -euo pipefail # also when run as `bash build.sh`, which ignores the #! flags
if [ -n "${SRC:-}" ] && [ -d "$SRC/synack" ]; then
	cd "$SRC/synack"
else
	cd "$(dirname "$0")/.."
fi

WORK=${WORK:-$(mktemp -d)}
# The network target's liveness oracle: on once the engine has an RTO and a
# persist timer (as in the Makefile).
liveness=0
[ -f engine/src/rto.c ] && [ -f engine/src/persist.c ] && liveness=1
FLAGS="-std=c11 -D_DEFAULT_SOURCE -DSYNACK_FUZZING=1 -DNETWORK_LIVENESS=$liveness"
FLAGS="$FLAGS -Iengine/include -Iengine/src -Iconformance -Iharness"

# As the Makefile does (docs/fuzzing.md, "Speed"): no coverage in the checksum
# loops and the invariant checker's helpers, no comparison tracing in the
# engine's state machine (the parsers keep it, except in the state-machine
# targets below). Clang only.
cov=() nocmp=()
if $CC --version 2>/dev/null | grep -q clang; then
	cov=(-fsanitize-coverage-ignorelist="$PWD/fuzz/coverage-ignore.txt")
	nocmp=(-fno-sanitize-coverage=trace-cmp)
fi

objs=()
for src in engine/src/*.c conformance/lang/*.c conformance/run/*.c \
	conformance/stacks/engine.c conformance/stacks/pinned_sysctls.c conformance/stacks/stack.c; do
	[ -f "$src" ] || continue
	obj="$WORK/$(echo "$src" | tr / _).o"
	extra=("${cov[@]}")
	case "$src" in
	engine/src/segment.c | engine/src/options.c) ;;
	engine/src/*) extra+=("${nocmp[@]}") ;;
	esac
	$CC $CFLAGS $FLAGS "${extra[@]}" -c "$src" -o "$obj"
	objs+=("$obj")
done
for src in fuzz/*.c; do
	case "$src" in fuzz/fuzz_*.c | fuzz/replay_main.c | fuzz/afl_*.c) continue ;; esac
	obj="$WORK/$(echo "$src" | tr / _).o"
	$CC $CFLAGS $FLAGS -c "$src" -o "$obj"
	objs+=("$obj")
done

# The state-machine targets (Makefile FUZZ_STATE_NAMES) link an engine built
# entirely without comparison tracing, and are built without it themselves.
state_names=$(sed -n 's/^FUZZ_STATE_NAMES *:= *//p' Makefile)
state_objs=()
for src in engine/src/*.c; do
	obj="$WORK/state_$(echo "$src" | tr / _).o"
	$CC $CFLAGS $FLAGS "${cov[@]}" "${nocmp[@]}" -c "$src" -o "$obj"
	state_objs+=("$obj")
done
rm -f "$WORK/libsynack-fuzz-state.a"
ar rcs "$WORK/libsynack-fuzz-state.a" "${state_objs[@]}"

# An archive, so a target links only what it uses (the conformance library's
# stack table refers to the Linux stack, which needs raw sockets and libnet and
# has no place in a hermetic fuzz target).
rm -f "$WORK/libsynack-fuzz.a"
ar rcs "$WORK/libsynack-fuzz.a" "${objs[@]}"

for target in fuzz/fuzz_*.c; do
	name=$(basename "$target" .c)
	name=${name#fuzz_}
	lib=libsynack-fuzz.a extra=()
	case " $state_names " in *" $name "*) lib=libsynack-fuzz-state.a extra=("${nocmp[@]}") ;; esac
	$CC $CFLAGS $FLAGS "${extra[@]}" -c "$target" -o "$WORK/target_$name.o"
	$CXX $CXXFLAGS "$WORK/target_$name.o" "$WORK/$lib" $LIB_FUZZING_ENGINE -o "$OUT/$name"
	[ ! -f "corpora/$name/$name.dict" ] || cp "corpora/$name/$name.dict" "$OUT/$name.dict"
	[ ! -f "corpora/$name/$name.options" ] || cp "corpora/$name/$name.options" "$OUT/$name.options"
	find "corpora/$name/seeds" "corpora/regressions/$name" -type f 2>/dev/null |
		zip -q -j -@ "$OUT/${name}_seed_corpus.zip" || true
done
