#!/usr/bin/env bash
# make fuzz-coverage: replays every target's seeds and regressions through
# its coverage-instrumented replay driver (build/cov/fuzz-replay/NAME), merges
# the profiles and prints the line coverage of engine/src per file, the
# targets together and each alone; an HTML report of the lines goes to
# BUILD/html/index.html. What the corpora do not reach is where a new seed,
# a target change or a campaign should aim (docs/fuzzing.md, "Coverage").
# Usage: fuzz/coverage.sh COV_BUILD_DIR TARGET...
set -euo pipefail
dir=$1
shift
prof=$dir/profiles
rm -rf "$prof" "$dir/html"
mkdir -p "$prof"
bins=()
for t in "$@"; do
	LLVM_PROFILE_FILE="$prof/$t.profraw" "$dir/fuzz-replay/$t" >"$prof/$t.tap" 2>&1 ||
		{ echo "fuzz-coverage: $t failed its replay ($prof/$t.tap)"; exit 1; }
	llvm-profdata merge -sparse "$prof/$t.profraw" -o "$prof/$t.profdata"
	bins+=("$dir/fuzz-replay/$t")
done
llvm-profdata merge -sparse "$prof"/*.profraw -o "$prof/all.profdata"
# llvm-cov takes the first binary bare and the others after -object.
objects=("${bins[0]}")
for b in "${bins[@]:1}"; do objects+=(-object "$b"); done
report() { # PROFDATA BINARY [-object BINARY]...
	local data=$1
	shift
	llvm-cov report -instr-profile="$data" "$@" engine/src 2>/dev/null
}
# Columns of llvm-cov report: name, regions (3), functions (3), lines
# (count, missed, cover: 8-10), branches (count, missed, cover: 11-13).
row() { awk -v name="$1" '{ printf "  %-16s %7s %7s %8s %9s\n", name ? name : $1, $8, $9, $10, $13 }'; }
all=$(report "$prof/all.profdata" "${objects[@]}")
echo "fuzz-coverage: engine/src, every target together ($*), most missed lines first:"
printf '  %-16s %7s %7s %8s %9s\n' file lines missed "lines %" "branch %"
awk 'NF == 13 && $1 ~ /\.c$/' <<<"$all" | sort -k9,9nr | row ""
awk '$1 == "TOTAL"' <<<"$all" | row TOTAL
echo "fuzz-coverage: engine/src lines each target reaches alone:"
for t in "$@"; do
	report "$prof/$t.profdata" "$dir/fuzz-replay/$t" |
		awk -v t="$t" '$1 == "TOTAL" { printf "  %-16s %6s of %s lines (%s)\n", t, $8 - $9, $8, $10 }'
done
llvm-cov show -format=html -output-dir="$dir/html" -instr-profile="$prof/all.profdata" \
	"${objects[@]}" engine/src >/dev/null 2>&1 &&
	echo "fuzz-coverage: line by line: $dir/html/index.html"
