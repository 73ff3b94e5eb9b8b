#!/usr/bin/env bash
# exec/s of every libFuzzer target next to the trivial baseline target
# (bench/baseline_fuzz.c, same flags), one after the other in this run, each
# for SECONDS on its seeds (and regressions), fuzzing (mutations, not replay).
# Absolute numbers depend on the machine and its load; the ratio to the
# baseline is what to compare across runs. Goals (issue 8): segment >= 50k
# exec/s on one core, network >= 5k.
# With BENCH_AGAINST=OTHER_BUILD_DIR (e.g. a build of main), every target of
# that build is measured right after this one's, and its exec/s and ratio are
# printed beside them: a before/after in one run, under the same load.
# Usage: bench/fuzz-bench.sh BUILD_DIR SECONDS TARGET...
set -uo pipefail
build=$1 secs=$2
against=${BENCH_AGAINST:-}
shift 2
# libFuzzer reads -max_total_time=0 as "no limit": a bench that never ends.
if ! [ "$secs" -ge 1 ] 2>/dev/null; then
	echo "fuzz-bench: SECONDS must be a whole number >= 1 (got '$secs')" >&2
	exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
measure() { # name binary corpus-dirs...
	local name=$1 bin=$2
	shift 2
	mkdir -p "$tmp/$name"
	"$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 \
		-artifact_prefix="$tmp/" "$tmp/$name" "$@" >"$tmp/$name.log" 2>&1
	sed -n 's/^stat::average_exec_per_sec: *//p' "$tmp/$name.log" | tail -1
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4g", b ? a / b : 0 }'; }
base=$(measure baseline "$build/fuzz/bench/baseline")
base=${base:-0}
echo "fuzz targets: exec/s over ${secs}s each, libFuzzer + ASan + UBSan, load $(cut -d' ' -f1 /proc/loadavg)"
if [ -n "$against" ]; then
	obase=$(measure obaseline "$against/fuzz/bench/baseline")
	obase=${obase:-0}
	echo "  against $against (measured after each target, both on the seeds)"
	printf '  %-14s %10s %10s %12s %10s %8s\n' target exec/s "of base" "other exec/s" "of base" speedup
	printf '  %-14s %10s %10s %12s %10s\n' baseline "$base" "1.000" "$obase" "1.000"
else
	printf '  %-14s %10s %10s\n' target exec/s "of base"
	printf '  %-14s %10s %10s\n' baseline "$base" "1.000"
fi
for t in "$@"; do
	# Against another build: the seeds only (a regression this build fixed
	# may crash the other one, which then reports no exec/s).
	corp=$(ls -d "corpora/$t/seeds" 2>/dev/null)
	[ -n "$against" ] || corp=$(ls -d "corpora/$t/seeds" "corpora/regressions/$t" 2>/dev/null)
	# shellcheck disable=SC2086
	e=$(measure "$t" "$build/fuzz/libfuzzer/$t" $corp)
	e=${e:-0}
	goal=""
	case $t in segment*) goal="(goal 50000)" ;; network*) goal="(goal 5000)" ;; esac
	if [ -n "$against" ]; then
		# shellcheck disable=SC2086
		o=$(measure "o$t" "$against/fuzz/libfuzzer/$t" $corp)
		o=${o:-0}
		r=$(ratio "$e" "$base") orr=$(ratio "$o" "$obase")
		printf '  %-14s %10s %10s %12s %10s %8s %s\n' "$t" "$e" "$r" "$o" "$orr" \
			"$(ratio "$r" "$orr")" "$goal"
	else
		printf '  %-14s %10s %10s %s\n' "$t" "$e" "$(ratio "$e" "$base")" "$goal"
	fi
done
