#!/usr/bin/env bash
# make fuzz-smoke: every libFuzzer target for FUZZ_TIME seconds, one after
# the other, on its seeds and regressions; fails on any finding (crash,
# sanitizer report, oracle abort, timeout, leak, OOM) and prints exec/s per
# target at the end.
#
# SEED (FUZZ_SEED, default 1) makes a run repeatable: with the same binary,
# seeds and regressions, libFuzzer's mutations are the same sequence, so a
# CI run finds what the same command finds on a developer's machine and a
# change cannot turn CI red by the luck of a random seed. SEED 0 asks
# libFuzzer for a random one (exploration; `make fuzz` for long runs).
# A finding is printed whole (base64) with the command that reproduces it:
# a CI machine's build/ does not outlive the run.
# Usage: fuzz/smoke.sh BUILD_DIR SECONDS SEED TARGET...
set -uo pipefail
build=$1 secs=$2 seed=$3
shift 3
mkdir -p "$build/fuzz/artifacts" "$build/fuzz/logs"
failed=() summary=()
for t in "$@"; do
	corpus=$build/fuzz/corpus/$t
	mkdir -p "$corpus"
	dict=corpora/$t/$t.dict
	log=$build/fuzz/logs/smoke-$t.log
	echo "fuzz-smoke: $t for ${secs}s"
	# shellcheck disable=SC2046
	"$build/fuzz/libfuzzer/$t" -seed="$seed" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$build/fuzz/artifacts/$t-" \
		$([ -f "$dict" ] && echo "-dict=$dict") \
		"$corpus" $(ls -d "corpora/$t/seeds" "corpora/regressions/$t" 2>/dev/null) \
		>"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	if [ $rc -ne 0 ]; then
		failed+=("$t")
		echo "fuzz-smoke: $t FAILED (exit $rc); log $log, input:"
		grep -E 'oracle failed|ERROR: |SUMMARY|Test unit written' "$log" | head -20
		art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
		if [ -n "$art" ] && [ -f "$art" ]; then
			echo "fuzz-smoke: the input, base64 ($(wc -c <"$art") bytes):"
			base64 -w 76 "$art" | head -200
			echo "fuzz-smoke: reproduce: base64 -d >IN <<'EOF' ... EOF;" \
				"FUZZ_TRACE=1 $build/plain/fuzz-replay/$t IN"
		fi
	fi
	summary+=("$(printf '%-14s %8s exec/s %10s runs  %s' "$t" "${execs:-?}" "${runs:-?}" \
		"$([ $rc -eq 0 ] && echo ok || echo FAILED)")")
done
echo "fuzz-smoke summary (${secs}s per target, seed $seed):"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -ne 0 ]; then
	echo "fuzz-smoke: findings in: ${failed[*]} (artifacts in $build/fuzz/artifacts/)"
	exit 1
fi
