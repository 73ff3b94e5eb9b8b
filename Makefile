# synack — build, test, conformance, fuzzing, benchmarks.
#
# Sources are discovered by directory, so adding a file never means editing
# this Makefile:
#   engine/src/*.c                 -> libsynack-engine.a
#   conformance/{lang,run,stacks}/*.c -> libsynack-conformance.a
#   conformance/synack.c           -> the synack CLI
#   {harness,engine,conformance}/tests/test_*.c  -> one TAP test binary each;
#       any other .c in the same tests/ directory is support code linked into
#       each of that directory's tests
#   harness/tests/helpers/*.c      -> helper binaries the harness tests run
#   fuzz/fuzz_*.c                  -> one fuzz target each (other fuzz/*.c: support)
#   bench/bench_*.c                -> one benchmark each (+ engine/tests/simnet.c)
# Everything builds out of tree under $(BUILD), twice for the tests: plain
# (gcc) and with ASan+UBSan (clang).

BUILD    ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
ASAN_CC  ?= clang
FUZZ_CC  ?= clang
PROVE    ?= prove
JOBS     ?= 2

# Quiet by default; `make V=1` shows every command.
V ?= 0
Q    :=
ifeq ($(V),0)
say   = @printf '  %-8s %s\n' '$(1)' '$(2)';
else
say   =
endif

ifeq ($(origin CC),default)
CC := gcc
endif

WARN      := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wno-missing-field-initializers
DEFS      := -D_DEFAULT_SOURCE
DEFS      += -DSYNACK_PACKETDRILL_SO=\"$(abspath $(BUILD))/plain/lib/libsynack-packetdrill.so\"
INCS      := -Iengine/include -Iengine/src -Iconformance -Iharness
PLAIN_CFLAGS := -O2 -g
ASAN_CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
                -fno-sanitize-recover=all
FUZZ_CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=all
FUZZLIB_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
                -fsanitize-coverage-ignorelist=$(CURDIR)/fuzz/coverage-ignore.txt \
                -fno-sanitize-recover=all -DSYNACK_FUZZING=1

ENGINE_SRC  := $(sort $(wildcard engine/src/*.c))
CONF_SRC    := $(sort $(wildcard conformance/lang/*.c conformance/run/*.c conformance/stacks/*.c \
                 conformance/compare/*.c conformance/record/*.c))
# libsynack-packetdrill.so: the engine behind packetdrill's shared-object
# interface (docs/compare.md), built from the engine, the engine stack and
# conformance/export/*.c, all compiled separately with -fPIC.
EXPORT_SRC  := $(sort $(wildcard conformance/export/*.c))
PD_SO       := $(BUILD)/plain/lib/libsynack-packetdrill.so
PD_SO_SRC   := $(ENGINE_SRC) conformance/stacks/engine.c conformance/stacks/pinned_sysctls.c $(EXPORT_SRC)
CLI_SRC     := $(wildcard conformance/synack.c)
HARNESS_SRC := harness/tap.c
TEST_DIRS   := harness/tests engine/tests conformance/tests
TEST_SRC    := $(sort $(foreach d,$(TEST_DIRS),$(wildcard $(d)/test_*.c)))
HELPER_SRC  := $(sort $(wildcard harness/tests/helpers/*.c))
FUZZ_SRC    := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_SUPPORT:= $(filter-out $(FUZZ_SRC) fuzz/replay_main.c fuzz/afl_%.c,$(wildcard fuzz/*.c))
FUZZ_NAMES  := $(patsubst fuzz/fuzz_%.c,%,$(FUZZ_SRC))
BENCH_SRC   := $(sort $(wildcard bench/bench_*.c))
ALL_C_H     := $(sort $(wildcard engine/include/synack/*.h engine/src/*.[ch] engine/tests/*.[ch] \
                 conformance/*.[ch] conformance/*/*.[ch] harness/*.[ch] harness/tests/*.[ch] \
                 harness/tests/helpers/*.c fuzz/*.[ch] bench/*.[ch]))

# The Linux stack needs libnet, libpcap and threads; only linked when present.
LINUX_STACK := $(wildcard conformance/stacks/linux*.c)
SYS_LIBS    := -lpthread $(if $(LINUX_STACK),-lnet -lpcap) -ldl

support_of = $(filter-out $(wildcard $(dir $(1))test_*.c),$(wildcard $(dir $(1))*.c))
# $(1) variant dir, $(2) a test's source: the objects of its directory's support code
support_objs = $(addprefix $(1)/obj/,$(patsubst %.c,%.o,$(call support_of,$(2))))

.PHONY: coverage-matrix diff-fuzz fuzz-coverage script-seeds all check test lint format conformance conformance-engine conformance-linux cflite-local fuzz fuzz-smoke bench install clean deps
.DEFAULT_GOAL := all

# ---- dependencies: one list, in harness/deps.sh ------------------------------
$(BUILD)/.deps-%: harness/deps.sh
	@mkdir -p $(BUILD)
	@harness/deps.sh $*
	@touch $@

deps: $(BUILD)/.deps-build $(BUILD)/.deps-check $(BUILD)/.deps-linux

# ---- one build variant ------------------------------------------------------
# $(1) variant name, $(2) compiler, $(3) flags
define VARIANT
$(1)_DIR  := $(BUILD)/$(1)
$(1)_CC   := $(2)
$(1)_FLAGS:= $(WARN) $(DEFS) $(INCS) $(3) -DSYNACK_SOURCE_DIR=\"$(CURDIR)\" \
             -DSYNACK_BUILD_DIR=\"$(abspath $(BUILD)/$(1))\"
$(1)_ENGINE_LIB := $$($(1)_DIR)/lib/libsynack-engine.a
$(1)_CONF_LIB   := $$($(1)_DIR)/lib/libsynack-conformance.a
$(1)_TAP_LIB    := $$($(1)_DIR)/lib/libtap.a
$(1)_TESTS      := $$(patsubst %.c,$$($(1)_DIR)/tests/%,$(TEST_SRC))
$(1)_HELPERS    := $$(patsubst %.c,$$($(1)_DIR)/tests/%,$(HELPER_SRC))
$(1)_CLI        := $(if $(CLI_SRC),$$($(1)_DIR)/bin/synack)
$(1)_REPLAY     := $$(patsubst %,$$($(1)_DIR)/fuzz-replay/%,$(FUZZ_NAMES))

# Objects depend on the Makefile too: a change of flags (say, which files are
# built without comparison tracing) must rebuild them, not leave stale ones.
$$($(1)_DIR)/obj/%.o: %.c Makefile | $(BUILD)/.deps-build
	@mkdir -p $$(@D)
	$$(call say,CC $(1),$$<)$(Q)$$($(1)_CC) $$($(1)_FLAGS) -MMD -MP -c $$< -o $$@

$$($(1)_ENGINE_LIB): $$(patsubst %.c,$$($(1)_DIR)/obj/%.o,$(ENGINE_SRC))
	@mkdir -p $$(@D)
	$$(call say,AR,$$@)$(Q)rm -f $$@ && ar rcs $$@ $$^

$$($(1)_CONF_LIB): $$(patsubst %.c,$$($(1)_DIR)/obj/%.o,$(CONF_SRC))
	@mkdir -p $$(@D)
	$$(call say,AR,$$@)$(Q)rm -f $$@ && ar rcs $$@ $$^

$$($(1)_TAP_LIB): $$($(1)_DIR)/obj/harness/tap.o
	@mkdir -p $$(@D)
	$$(call say,AR,$$@)$(Q)rm -f $$@ && ar rcs $$@ $$^

$$($(1)_DIR)/bin/synack: $$($(1)_DIR)/obj/conformance/synack.o $$($(1)_CONF_LIB) $$($(1)_ENGINE_LIB)
	@mkdir -p $$(@D)
	$$(call say,LD,$$@)$(Q)$$($(1)_CC) $$($(1)_FLAGS) $$^ $(SYS_LIBS) -o $$@

$$($(1)_DIR)/tests/harness/tests/helpers/%: $$($(1)_DIR)/obj/harness/tests/helpers/%.o $$($(1)_TAP_LIB)
	@mkdir -p $$(@D)
	$$(call say,LD,$$@)$(Q)$$($(1)_CC) $$($(1)_FLAGS) $$^ -o $$@

$$($(1)_DIR)/tests/%: $$($(1)_DIR)/obj/%.o $$$$(call support_objs,$$($(1)_DIR),$$$$*.c) \
		$$($(1)_CONF_LIB) $$($(1)_ENGINE_LIB) $$($(1)_TAP_LIB)
	@mkdir -p $$(@D)
	$$(call say,LD,$$@)$(Q)$$($(1)_CC) $$($(1)_FLAGS) $$^ $(SYS_LIBS) -o $$@

# A fuzz target linked with the replay driver, which replays corpora/NAME/.
$$($(1)_DIR)/obj/fuzz/replay-%.o: fuzz/replay_main.c Makefile | $(BUILD)/.deps-build
	@mkdir -p $$(@D)
	$$(call say,CC $(1),$$@)$(Q)$$($(1)_CC) $$($(1)_FLAGS) -DREPLAY_CORPUS=\"$(CURDIR)/corpora/$$*\" \
	    -DREPLAY_REGRESSIONS=\"$(CURDIR)/corpora/regressions/$$*\" -c $$< -o $$@

$$($(1)_DIR)/fuzz-replay/%: $$($(1)_DIR)/obj/fuzz/fuzz_%.o $$($(1)_DIR)/obj/fuzz/replay-%.o \
		$$(patsubst %.c,$$($(1)_DIR)/obj/%.o,$(FUZZ_SUPPORT)) \
		$$($(1)_CONF_LIB) $$($(1)_ENGINE_LIB)
	@mkdir -p $$(@D)
	$$(call say,LD,$$@)$(Q)$$($(1)_CC) $$($(1)_FLAGS) $$^ $(SYS_LIBS) -o $$@

-include $$(shell find $$($(1)_DIR)/obj -name '*.d' 2>/dev/null)
endef

.SECONDEXPANSION:
.SECONDARY:
$(eval $(call VARIANT,plain,$(CC),$(PLAIN_CFLAGS)))
$(eval $(call VARIANT,asan,$(ASAN_CC),$(ASAN_CFLAGS)))
$(eval $(call VARIANT,fuzzlib,$(FUZZ_CC),$(FUZZLIB_CFLAGS)))
# The engine's state machine is built without comparison tracing
# (-fsanitize-coverage=trace-cmp, on by default with -fsanitize=fuzzer): the
# targets hand it sequence numbers, windows and lengths derived from the
# tracked connection, so libFuzzer cannot splice the compared values into the
# input, and the hooks on every comparison (every NULL check) were a third of
# the segment target's time (docs/fuzzing.md, "Speed"). The parsers keep it:
# there, compared constants (option kinds and lengths, flags) are input bytes.
FUZZ_CMP_SRC   := engine/src/segment.c engine/src/options.c
FUZZ_NOCMP_OBJ := $(patsubst %.c,$(fuzzlib_DIR)/obj/%.o,$(filter-out $(FUZZ_CMP_SRC),$(ENGINE_SRC)))
$(FUZZ_NOCMP_OBJ): fuzzlib_FLAGS += -fno-sanitize-coverage=trace-cmp
# The state-machine targets go further: engine, parsers and target all without
# comparison tracing. Their inputs reach the parsers only as packets the
# targets built (or, in segment, a raw header now and then, and network's
# one-bit corruptions); the parser targets (packet, options, script) keep the
# tracing where raw bytes meet the comparisons. Measured: a quarter of
# segment's CPU per execution (docs/fuzzing.md, "Speed").
FUZZ_STATE_NAMES := segment segment_inet6 network network_inet6
$(eval $(call VARIANT,fuzzstate,$(FUZZ_CC),$(FUZZLIB_CFLAGS) -fno-sanitize-coverage=trace-cmp))
$(eval $(call VARIANT,afl,afl-clang-fast,-O1 -g -DSYNACK_FUZZING=1))
# Source coverage of what the fuzz corpora reach (make fuzz-coverage): the
# replay drivers built with clang's profile instrumentation.
$(eval $(call VARIANT,cov,clang,-O0 -g -fprofile-instr-generate -fcoverage-mapping -DSYNACK_FUZZING=1))

# ---- libsynack-packetdrill.so ---------------------------------------------------
$(BUILD)/plain/pic/%.o: %.c | $(BUILD)/.deps-build
	@mkdir -p $(@D)
	$(call say,CC pic,$<)$(Q)$(plain_CC) $(plain_FLAGS) -fPIC -fvisibility=hidden -MMD -MP -c $< -o $@

$(PD_SO): $(patsubst %.c,$(BUILD)/plain/pic/%.o,$(PD_SO_SRC))
	@mkdir -p $(@D)
	$(call say,LD,$@)$(Q)$(plain_CC) -shared $^ -lpthread -o $@

-include $(shell find $(BUILD)/plain/pic -name '*.d' 2>/dev/null)

# The tutorial test runs the CLI of its own variant (docs/writing-scripts.md).
$(filter %/test_tutorial %/test_cli_parallel,$(plain_TESTS)): | $(plain_CLI)
$(filter %/test_tutorial %/test_cli_parallel,$(asan_TESTS)): | $(asan_CLI)

# The so: stack's tests dlopen the library.
$(foreach v,plain asan,$(filter $($(v)_DIR)/tests/conformance/tests/test_so_%,$($(v)_TESTS))): | $(PD_SO)

# ---- user-facing targets ------------------------------------------------------
all: $(PD_SO)
all: $(plain_ENGINE_LIB) $(if $(CONF_SRC),$(plain_CONF_LIB)) $(plain_CLI)
	@$(if $(plain_CLI),ln -sf plain/bin/synack $(BUILD)/synack)

TESTS_TO_RUN = $(plain_TESTS) $(asan_TESTS) $(plain_REPLAY) $(asan_REPLAY)
test: $(BUILD)/.deps-check $(plain_HELPERS) $(asan_HELPERS) $(TESTS_TO_RUN)
	@echo "prove: $(words $(TESTS_TO_RUN)) test binaries (plain and ASan+UBSan)"
	$(if $(strip $(TESTS_TO_RUN)),@$(PROVE) -j$(JOBS) $(PROVE_FLAGS) $(TESTS_TO_RUN))

# The README's test command: lint, every unit test twice, and the conformance
# corpus on the engine and on Linux (as root; otherwise each Linux script is a
# TAP "# SKIP" saying why).
check: lint test $(if $(CLI_SRC),conformance-engine conformance-linux)

lint: $(BUILD)/.deps-check
	@echo "clang-format --dry-run (all C sources)"
	@clang-format --dry-run --Werror $(ALL_C_H)
	@echo "cppcheck"
	@cppcheck -q --error-exitcode=1 --std=c11 --enable=warning,portability,performance \
	    --inline-suppr --suppress=missingIncludeSystem $(INCS) $(DEFS) \
	    $(ENGINE_SRC) $(CONF_SRC) $(EXPORT_SRC) $(CLI_SRC) $(HARNESS_SRC)

format: $(BUILD)/.deps-check
	clang-format -i $(ALL_C_H)

# Conformance: every script on the engine; on Linux too for `make conformance`
# (the CLI reports the Linux stack as a TAP "# SKIP" with the reason when it
# cannot run, e.g. without root).
SCRIPTS_DIR ?= conformance/scripts
SCRIPTS      = $(shell find $(SCRIPTS_DIR) -name '*.pkt' 2>/dev/null | sort)
# $(1) stack, $(2) prove options, $(3) the scripts in the order to start them
# (default: sorted), $(4) an address family (default ipv4).
prove_scripts = echo "conformance: $(words $(if $(findstring list --longest-first,$(3)),$(SCRIPTS),$(or $(3),$(SCRIPTS)))) scripts on the $(1) stack, $(or $(4),ipv4)"; $(PROVE) $(PROVE_FLAGS) $(2) --exec '$(abspath $(plain_CLI)) run --tap --stack $(1) $(call ip_flags,$(or $(4),ipv4))' $(or $(3),$(SCRIPTS))
run_scripts  = $(if $(SCRIPTS),@$(call prove_scripts,$(1),$(2),$(3),$(4)),@echo "no conformance scripts under $(SCRIPTS_DIR)")
# Every script runs in three address families unless its // @ip_versions:
# says otherwise: IPv4, IPv6 (MTU 1520 so the MSS stays 1460, as the kernel
# selftests run it) and AF_INET6 sockets over IPv4 (v4-mapped addresses).
IP_VERSIONS = ipv4 ipv6 ipv4-mapped-ipv6
define nl


endef
ip_flags     = --ip_version=$(1)$(if $(filter ipv6,$(1)), --mtu=1520)
# Real time: prove -j starts scripts in the order given, so give them longest
# first (script time as written) — the 60-130 s TIME_WAIT scripts start at
# once instead of running alone at the end.
LINUX_ORDER  = $$($(abspath $(plain_CLI)) list --longest-first --stack linux $(SCRIPTS))

# The engine is deterministic: a script marked `@divergence: engine` that
# passes there is a stale mark, and would hide the next regression. Fail.
# Then the scripts that also run on Linux, on the engine with every timer as
# late as Linux's timer wheel fires it on a busy machine (profile linux-late:
# a slot of its level, then two ticks): a script written against a kernel's
# usual timing fails here, deterministically, instead of one CI run in ten
# (docs/linux-stack.md, "Timer slack").
conformance-engine: $(plain_CLI)
	@{ $(call prove_scripts,engine); echo $$? > $(BUILD)/conformance-engine.rc; } | tee $(BUILD)/conformance-engine.tap
	@test "$$(cat $(BUILD)/conformance-engine.rc)" = 0
	@if grep -B1 'TODO passed' $(BUILD)/conformance-engine.tap | grep '\.pkt'; then \
	    echo "error: these scripts pass on the engine but are marked '@divergence: engine': drop the mark"; exit 1; fi
	$(if $(SCRIPTS),@$(call prove_scripts,engine:linux-late,,$(LINUX_ORDER)))
	$(foreach v,$(filter-out ipv4,$(IP_VERSIONS)),$(call run_scripts,engine,,,$(v))$(nl))

# Real time, JOBS scripts at a time (CI: 2 on 2 cores). Measured on a loaded
# 2-core VM (docs/linux-stack.md, "Running in parallel"): no verdict lost to
# parallelism at -j2, and -j2 halves the wall time (~487 s -> ~245 s for 218
# scripts; the 127 s TIME_WAIT script bounds it from below). The
# helper, its syscall threads and the driving thread run SCHED_FIFO, so other
# work on the machine doesn't push answers past the 4 ms tolerance.
# make check runs Linux in IPv4 only (the other two families would add
# ~11 minutes to CI; the engine runs all three there), and the scripts that
# do not run as IPv4 at all (// @ip_versions: without ipv4) in their
# families, so every script meets the kernel in CI; make conformance runs
# all three families.
LINUX_JOBS ?= $(JOBS)
LINUX_IP_VERSIONS ?= ipv4
NOT_IPV4 = $(shell grep -lE '^// @ip_versions:' $(SCRIPTS) /dev/null | xargs -r grep -LE '^// @ip_versions:(.*[ ,])?ipv4([ ,]|$$)')
conformance-linux: $(plain_CLI) $(BUILD)/.deps-linux
	$(foreach v,$(LINUX_IP_VERSIONS),$(call run_scripts,linux,-j$(LINUX_JOBS),$(LINUX_ORDER),$(v))$(nl))
	$(if $(NOT_IPV4),$(foreach v,$(filter-out $(LINUX_IP_VERSIONS),$(filter-out ipv4,$(IP_VERSIONS))),@$(call prove_scripts,linux,-j$(LINUX_JOBS),$(NOT_IPV4),$(v))$(nl)))

# docs/coverage.md: every RFC 9293 MUST/SHLD (conformance/requirements/rfc9293.txt)
# with the scripts whose // @requirement: cites it. Fails, writing nothing, when a
# script's header is incomplete or cites an unknown ID; make check fails when the
# file is stale (conformance/tests/test_coverage.c).
coverage-matrix: $(plain_CLI)
	$(plain_CLI) list --requirements $(SCRIPTS_DIR) > docs/coverage.md.tmp
	@mv docs/coverage.md.tmp docs/coverage.md
	@echo "docs/coverage.md written"

conformance: all $(BUILD)/.deps-linux
	$(foreach v,$(IP_VERSIONS),$(call run_scripts,engine,,,$(v))$(nl))
	$(foreach v,$(IP_VERSIONS),$(call run_scripts,linux,-j$(JOBS),$(LINUX_ORDER),$(v))$(nl))

# ---- differential fuzzing (docs/compare.md) ---------------------------------
# Generated scripts on two stacks; every divergence minimised and saved under
# corpora/divergences/ as a ready-to-read script.
# DURATION defaults to 60 s here; `make fuzz`'s own default (3600 s, below)
# applies only when DURATION is not given.
STACKS   ?= engine,linux
DIFF_FUZZ_DURATION = $(if $(filter file undefined,$(origin DURATION)),60,$(DURATION))
diff-fuzz: all
	$(plain_CLI) compare --stacks $(STACKS) --fuzz $(DIFF_FUZZ_DURATION) --out corpora/divergences

# ---- fuzzing -----------------------------------------------------------------
# Each fuzz/fuzz_NAME.c is one plain LLVMFuzzerTestOneInput, built three ways:
# libFuzzer (build/fuzz/libfuzzer/NAME), AFL++ (build/fuzz/afl/NAME, persistent
# mode through AFL++'s libFuzzer driver), and the replay driver that runs
# corpora/NAME/ in `make check` (build/{plain,asan}/fuzz-replay/NAME).
FUZZ_TIME ?= 30
# fuzz-smoke's libFuzzer seed: fixed, so a smoke run is repeatable (0: random).
FUZZ_SEED ?= 1
# The network target's liveness oracle needs retransmission with a real RTO
# (engine/src/rto.c, issue 5) and the persist timer (engine/src/persist.c):
# on by itself once both are in the tree; NETWORK_LIVENESS=0|1 forces it
# (the network objects rebuild by themselves: LIVENESS_STAMP below).
NETWORK_LIVENESS ?= $(if $(and $(wildcard engine/src/rto.c),$(wildcard engine/src/persist.c)),1,0)
$(foreach v,plain asan fuzzlib fuzzstate afl,$(eval $(v)_FLAGS += -DNETWORK_LIVENESS=$(NETWORK_LIVENESS)))
# Objects do not track flags: the network target's objects depend on a stamp
# named after the setting, so a change (rto.c arriving with a merge) rebuilds
# them instead of leaving a stale replay binary with the old setting.
LIVENESS_STAMP := $(BUILD)/.network-liveness
$(shell mkdir -p $(BUILD) && [ "$$(cat $(LIVENESS_STAMP) 2>/dev/null)" = $(NETWORK_LIVENESS) ] || \
    echo $(NETWORK_LIVENESS) >$(LIVENESS_STAMP))
$(foreach v,plain asan fuzzlib fuzzstate afl,$(foreach t,network network_inet6,$($(v)_DIR)/obj/fuzz/fuzz_$(t).o)): $(LIVENESS_STAMP)
FUZZ_LIBF := $(patsubst %,$(BUILD)/fuzz/libfuzzer/%,$(FUZZ_NAMES))
FUZZ_AFL  := $(patsubst %,$(BUILD)/fuzz/afl/%,$(FUZZ_NAMES))

$(BUILD)/fuzz/libfuzzer/%: $(fuzzlib_DIR)/obj/fuzz/fuzz_%.o \
		$(patsubst %.c,$(fuzzlib_DIR)/obj/%.o,$(FUZZ_SUPPORT)) \
		$(fuzzlib_CONF_LIB) $(fuzzlib_ENGINE_LIB) | $(BUILD)/.deps-fuzz
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $^ $(SYS_LIBS) -o $@

$(patsubst %,$(BUILD)/fuzz/libfuzzer/%,$(FUZZ_STATE_NAMES)): $(BUILD)/fuzz/libfuzzer/%: \
		$(fuzzstate_DIR)/obj/fuzz/fuzz_%.o \
		$(patsubst %.c,$(fuzzstate_DIR)/obj/%.o,$(FUZZ_SUPPORT)) \
		$(fuzzstate_ENGINE_LIB) | $(BUILD)/.deps-fuzz
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $^ $(SYS_LIBS) -o $@

$(BUILD)/fuzz/afl/%: $(afl_DIR)/obj/fuzz/fuzz_%.o $(patsubst %.c,$(afl_DIR)/obj/%.o,$(FUZZ_SUPPORT)) \
		$(afl_CONF_LIB) $(afl_ENGINE_LIB) | $(BUILD)/.deps-fuzz
	@mkdir -p $(@D)
	AFL_QUIET=1 afl-clang-fast -fsanitize=fuzzer $^ $(SYS_LIBS) -o $@

# AFL++'s checksum-fixing post-processor for targets that take whole packets
# (fuzz/afl_post_checksum.c; AFL_CUSTOM_MUTATOR_LIBRARY).
AFL_POST := $(BUILD)/fuzz/afl/libpostchecksum.so
AFL_POST_SRC := fuzz/afl_post_checksum.c engine/src/segment.c engine/src/checksum.c \
                engine/src/options.c
$(AFL_POST): $(AFL_POST_SRC) fuzz/packet_fix.h | $(BUILD)/.deps-build
	@mkdir -p $(@D)
	$(call say,LD,$@)$(Q)$(CC) $(WARN) $(DEFS) $(INCS) -O2 -shared -fPIC $(AFL_POST_SRC) -o $@

# make fuzz: build every target both ways. With TARGET=NAME, a long run:
#   make fuzz TARGET=segment ENGINE=libfuzzer|afl JOBS=N DURATION=SECONDS
ENGINE   ?= libfuzzer
DURATION ?= 3600
fuzz: $(BUILD)/.deps-fuzz $(FUZZ_LIBF) $(FUZZ_AFL) $(AFL_POST)
	$(if $(TARGET),fuzz/run-fuzz.sh $(BUILD) $(TARGET) $(ENGINE) $(JOBS) $(DURATION))

# A short libFuzzer run of every target (CI smoke), FUZZ_TIME seconds each;
# fails on any finding, prints exec/s per target. New corpus entries go to
# build/fuzz/corpus/NAME, findings to build/fuzz/artifacts/, logs to
# build/fuzz/logs/.
fuzz-smoke: $(BUILD)/.deps-fuzz $(FUZZ_LIBF)
	@fuzz/smoke.sh $(BUILD) $(FUZZ_TIME) $(FUZZ_SEED) $(FUZZ_NAMES)

# Which engine lines the seed corpora and regressions of every fuzz target
# reach, per file, and where the rest are (fuzz/coverage.sh): what a new
# seed, target or campaign should aim at. COV_TARGETS narrows the targets.
COV_TARGETS ?= $(FUZZ_NAMES)
fuzz-coverage: $(BUILD)/.deps-build $(patsubst %,$(cov_DIR)/fuzz-replay/%,$(COV_TARGETS))
	@fuzz/coverage.sh $(cov_DIR) $(COV_TARGETS)

# The script target's seeds take every conformance script that reaches
# something they do not (libFuzzer -merge=1): run after adding scripts.
script-seeds: $(BUILD)/fuzz/libfuzzer/script
	$(BUILD)/fuzz/libfuzzer/script -merge=1 -timeout=10 corpora/script/seeds conformance/scripts

# The ClusterFuzzLite/OSS-Fuzz build script, run here with the variables those
# services set, so a broken build.sh is caught before it reaches them.
cflite-local: $(BUILD)/.deps-fuzz
	@mkdir -p $(BUILD)/cflite/out $(BUILD)/cflite/work
	CC=clang CXX=clang++ SRC= WORK=$(abspath $(BUILD)/cflite/work) OUT=$(abspath $(BUILD)/cflite/out) \
	CFLAGS="-O1 -g -fsanitize=address,undefined -fsanitize=fuzzer-no-link" \
	CXXFLAGS="-O1 -g -fsanitize=address,undefined -fsanitize=fuzzer-no-link" \
	LIB_FUZZING_ENGINE=-fsanitize=fuzzer bash .clusterfuzzlite/build.sh
	@ls $(BUILD)/cflite/out

# ---- benchmarks ----------------------------------------------------------------
# bench/bench_*.c: plain -O2 programs that print ratios (make bench runs them).
# bench/fuzz-bench.sh: exec/s of every libFuzzer target next to a trivial
# baseline target built with the same flags (bench/baseline_fuzz.c), measured
# in the same run; BENCH_TIME seconds each.
# bench/bench_engine.c: the two-engine bulk transfer over engine/tests/simnet
# at 0 % and 1 % loss (BENCH_MB MB), payload bytes per CPU second next to a
# memcpy of the same bytes, and instructions per segment from callgrind
# (valgrind: harness/deps.sh bench). `make check` builds the benchmarks
# without running them, so they never bit-rot.
# bench/engine-corpus.sh: wall vs script time of the 60 s TIME_WAIT script
# and of the whole corpus on the engine stack (virtual time).
# bench/linux-corpus.sh: the conformance corpus on --stack linux at each of
# BENCH_LINUX_JOBS (wall time, verdicts, fixed overhead vs script time; root
# only, SKIP otherwise; ~12 min for 1 2).
BENCH_TIME ?= 10
BENCH_MB   ?= 8
BENCH_LINUX_JOBS ?= 1 2
# BENCH_AGAINST=DIR: another build directory (say, of main) whose targets are
# measured beside this build's, in the same run: a before/after ratio.
BENCH_AGAINST ?=
BENCH_BIN := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
BENCH_SUPPORT := engine/tests/simnet.c engine/tests/simnet.h
FUZZ_BASELINE := $(BUILD)/fuzz/bench/baseline
$(BUILD)/bench/%: bench/%.c $(BENCH_SUPPORT) $(plain_ENGINE_LIB) $(if $(CONF_SRC),$(plain_CONF_LIB)) \
		| $(BUILD)/.deps-build
	@mkdir -p $(@D)
	$(call say,LD,$@)$(Q)$(CC) $(WARN) $(DEFS) $(INCS) -Iengine/tests -O2 -g $(filter-out %.h,$^) \
	    $(SYS_LIBS) -o $@

test: $(BENCH_BIN)

$(FUZZ_BASELINE): bench/baseline_fuzz.c | $(BUILD)/.deps-fuzz
	@mkdir -p $(@D)
	$(FUZZ_CC) $(WARN) $(DEFS) $(INCS) $(FUZZ_CFLAGS) $< -o $@

bench: $(BUILD)/.deps-bench $(BENCH_BIN) $(FUZZ_LIBF) $(FUZZ_BASELINE) $(plain_CLI)
	@set -e; for b in $(BENCH_BIN); do echo "== $$b"; BENCH_MB=$(BENCH_MB) $$b; done
	$(if $(plain_CLI),@bench/engine-corpus.sh $(abspath $(plain_CLI)) $(SCRIPTS_DIR))
	@BENCH_AGAINST=$(BENCH_AGAINST) bench/fuzz-bench.sh $(BUILD) $(BENCH_TIME) $(FUZZ_NAMES)
	$(if $(plain_CLI),@bench/linux-corpus.sh $(abspath $(plain_CLI)) $(SCRIPTS_DIR) $(BENCH_LINUX_JOBS))

# ---- install -------------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/synack
	install -m 644 $(plain_ENGINE_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 engine/include/synack/*.h $(DESTDIR)$(PREFIX)/include/synack/
	$(if $(plain_CLI),install -d $(DESTDIR)$(PREFIX)/bin && install -m 755 $(plain_CLI) $(DESTDIR)$(PREFIX)/bin/synack)
	$(if $(CONF_SRC),install -m 644 $(plain_CONF_LIB) $(DESTDIR)$(PREFIX)/lib/)
	$(if $(wildcard docs/synack.1),install -d $(DESTDIR)$(PREFIX)/share/man/man1 && install -m 644 docs/synack.1 $(DESTDIR)$(PREFIX)/share/man/man1/)

clean:
	rm -rf $(BUILD)
