#!/usr/bin/env bash
# make fuzz TARGET=NAME ENGINE=libfuzzer|afl JOBS=N DURATION=SECONDS
# A long run of one target on N cores.
#   libfuzzer: -fork=N -ignore_crashes=1 (a finding does not stop the run);
#              corpus in build/fuzz/corpus/NAME, findings in build/fuzz/artifacts/
#   afl:       one -M main and N-1 -S secondaries sharing build/fuzz/afl-sync/NAME;
#              findings in build/fuzz/afl-sync/NAME/*/crashes and hangs. Targets that
#              take whole packets get the checksum post-processor
#              (build/fuzz/afl/libpostchecksum.so).
# Merge what a run found back into the seeds afterwards (docs/fuzzing.md):
#   build/fuzz/libfuzzer/NAME -merge=1 corpora/NAME/seeds build/fuzz/corpus/NAME
set -euo pipefail
build=$1 target=$2 engine=$3 jobs=$4 duration=$5
dict=corpora/$target/$target.dict
dictarg=()
[ -f "$dict" ] && dictarg=(-dict="$dict")
case $engine in
libfuzzer)
	mkdir -p "$build/fuzz/corpus/$target" "$build/fuzz/artifacts" "$build/fuzz/run"
	# -fork starts every job from the binary's path: run a private copy, so
	# that a rebuild during a long run neither mixes two builds in one
	# campaign nor (a deleted binary) makes every job fail at once.
	bin=$build/fuzz/run/$target.$$
	cp "$build/fuzz/libfuzzer/$target" "$bin"
	trap 'rm -f "$bin"' EXIT
	"$bin" -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 \
		-ignore_ooms=1 -max_total_time="$duration" -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$build/fuzz/artifacts/$target-" "${dictarg[@]}" \
		"$build/fuzz/corpus/$target" \
		$(ls -d "corpora/$target/seeds" "corpora/regressions/$target" 2>/dev/null)
	;;
afl)
	sync=$build/fuzz/afl-sync/$target
	in=$build/fuzz/afl-in/$target
	mkdir -p "$sync" "$in"
	cp -f corpora/"$target"/seeds/* "$in"/ 2>/dev/null || true
	cp -f corpora/regressions/"$target"/* "$in"/ 2>/dev/null || true
	[ -n "$(ls -A "$in")" ] || printf 'x' >"$in/empty"
	export AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
	export AFL_ALLOW_TMP=1 AFL_AUTORESUME=1
	if [ "$target" = packet ]; then
		export AFL_CUSTOM_MUTATOR_LIBRARY=$PWD/$build/fuzz/afl/libpostchecksum.so
	fi
	xdict=()
	[ -f "$dict" ] && xdict=(-x "$dict")
	pids=()
	for i in $(seq 2 "$jobs"); do
		afl-fuzz -S "s$i" -i "$in" -o "$sync" -V "$duration" "${xdict[@]}" \
			-- "$build/fuzz/afl/$target" >"$sync/s$i.log" 2>&1 &
		pids+=($!)
	done
	rc=0
	afl-fuzz -M main -i "$in" -o "$sync" -V "$duration" "${xdict[@]}" \
		-- "$build/fuzz/afl/$target" || rc=$?
	for p in "${pids[@]}"; do wait "$p" || true; done
	n=$(find "$sync" -path '*/crashes/id:*' -o -path '*/hangs/id:*' | wc -l)
	echo "afl: $n crashes/hangs under $sync"
	[ "$rc" -eq 0 ] && [ "$n" -eq 0 ]
	;;
*)
	echo "ENGINE must be libfuzzer or afl" >&2
	exit 2
	;;
esac
