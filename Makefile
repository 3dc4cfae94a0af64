# pmtorture: a plain Makefile.  `make run` and `make check` are the two
# commands a user needs; everything else is a step of those.

CC      ?= gcc
# Quiet by default, like the kernel's build: `make V=1` shows the commands.
Q       := $(if $(V),,@)
PKG_CONFIG ?= pkg-config
BUILD   := build
ROOT    := $(CURDIR)

# Warnings are errors everywhere: the code is small enough to keep clean.
# Truncated *messages* are acceptable; paths are built with pmt_fmt(), which
# fails instead of truncating, so -Wformat-truncation would only flag messages.
WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-missing-field-initializers -Wno-format-truncation
CSTD    := -std=c11 -D_GNU_SOURCE
OPT     ?= -O2 -g
# Expanded when a recipe runs, not when make reads this file: on a fresh
# machine the -dev packages arrive only with the `deps` step (an order-only
# prerequisite of every binary), after the file was read.
JSON_CFLAGS = $(shell $(PKG_CONFIG) --cflags json-c 2>/dev/null)
JSON_LIBS   = $(shell $(PKG_CONFIG) --libs json-c 2>/dev/null || echo -ljson-c)
# The libvirt backend (vm_libvirt.c); libvirt-qemu for virDomainQemuMonitorCommand.
LIBVIRT_LIBS = $(shell $(PKG_CONFIG) --libs libvirt libvirt-qemu 2>/dev/null || echo -lvirt -lvirt-qemu)

# ---- guest agent (static: it runs from the initramfs with no libc) ----
# The agent runs the workloads, the injectors' guest halves (injectors/guest)
# and its own probes; the protocol is shared with the harness.
AGENT_SRCS := $(wildcard guest-image/agent/*.c) $(wildcard workloads/*.c) \
              $(wildcard injectors/guest/*.c) harness/proto/agent_proto.c
AGENT_HDRS := $(wildcard guest-image/agent/*.h) $(wildcard workloads/*.h) \
              $(wildcard injectors/guest/*.h) harness/proto/agent_proto.h
AGENT   := $(BUILD)/agent/pmtorture-agent

$(AGENT): $(AGENT_SRCS) $(AGENT_HDRS) | deps
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(CSTD) $(WARN) $(OPT) $(JSON_CFLAGS) -Iharness/proto -Iworkloads \
		-Iinjectors/guest -Iguest-image/agent -static -o $@ $(AGENT_SRCS) -ljson-c

agent: $(AGENT)

deps:
	@guest-image/install-deps.sh

.PHONY: agent deps

# ---- harness (the host side) ----
# The durable-image library: its writer's half (durable.c) is shared with the
# flush shim (harness/shim, preloaded into QEMU); its reader's half (epochs.c)
# is the harness's alone.
# The injectors' host halves (injectors/*.c, one file each, listed in
# injectors/registry.c) are part of the harness.
INJECTOR_LIB_SRCS := harness/shim/durable.c harness/shim/epochs.c $(wildcard injectors/*.c)
# The harness is in layers, one folder each, from the bottom up; a layer
# uses only the layers below it (README "Architecture"):
#   harness/proto      the agent protocol, shared with the guest agent
#   workloads          the workload list, shared with the guest agent
#   harness/core       libc helpers: logs, processes, text, verdicts
#   harness/shim       the flush shim QEMU preloads and the durable image it
#                      keeps (libc only); the harness links the image's reader
#   harness/vm         QEMU and libvirt, agent and QMP channels, images
#   harness/select     options, kernels, plan files, shards, parameters
#   harness/case       one case: struct pmt_case, the injector interface
#                      (injector.h), the lifecycle, the case runner
#   injectors          the injectors' host halves and their list
#   harness/check      the checker stage: expectations, promises, crash states
#   harness/report     results folder, reports, baselines, findings
#   harness/scenarios  the scenarios (declarations) and their list
#   harness/run        a session: the cases built from options, plans and the
#                      lists; workers, progress, reports, the exit status
#   harness/cli        main and the subcommands
# Each folder's files are compiled with -I of that folder and the folders
# below it only, so an include that runs up the layers fails to compile; so
# does a header that is not self-contained or that includes from above
# (every header is compiled on its own, as its layer sees it).
HARNESS_LAYERS := harness/proto workloads harness/core harness/shim harness/vm \
                  harness/select harness/case injectors harness/check harness/report \
                  harness/scenarios harness/run harness/cli
# The shim's folder gives the harness two files only (INJECTOR_LIB_SRCS).
HARNESS_DIRS := $(filter-out harness/shim,$(filter harness/%,$(HARNESS_LAYERS)))
HARNESS_SRCS := $(foreach d,$(HARNESS_DIRS),$(wildcard $(d)/*.c)) $(INJECTOR_LIB_SRCS)
HARNESS_HDRS := $(foreach d,$(HARNESS_DIRS),$(wildcard $(d)/*.h)) \
                $(wildcard harness/shim/durable*.h) harness/shim/sys_raw.h \
                $(wildcard injectors/*.h) workloads/workload_list.h
HARNESS_LIB_SRCS := $(filter-out harness/cli/main.c,$(HARNESS_SRCS))
# Layer $(1) and the layers below it, bottom up.
layers_upto = $(if $(2),$(firstword $(2)) $(if $(filter $(1),$(firstword $(2))),,$(call layers_upto,$(1),$(wordlist 2,$(words $(2)),$(2)))))
# The -I list of file $(1): its folder's layer and the ones below.
layer_inc = $(addprefix -I,$(call layers_upto,$(patsubst %/,%,$(dir $(1))),$(HARNESS_LAYERS)))
# Every layer: for the tests and the fuzz targets, which sit on top.
HARNESS_INC := $(addprefix -I,$(HARNESS_LAYERS))
# Before json-c's flags: its include folder has a json_util.h of its own.
HARNESS_CFLAGS = $(CSTD) $(WARN) $(HARNESS_INC) $(JSON_CFLAGS) -DPMT_ROOT='"$(ROOT)"'
# The flags of harness file $(1), as its layer sees the others.
layer_cflags = $(CSTD) $(WARN) $(call layer_inc,$(1)) $(JSON_CFLAGS) -DPMT_ROOT='"$(ROOT)"'
PMTORTURE := $(BUILD)/bin/pmtorture
# The sanitizer build that `make check` exercises, with the same sources.
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
PMTORTURE_SAN := $(BUILD)/asan/pmtorture

# Each header alone, with its layer's -I list (workload_list.h is an
# X-macro list, read inside a definition of PMT_WORKLOAD: not alone).
HDR_CHECKS := $(patsubst %.h,$(BUILD)/hdr-check/%.ok,$(filter-out workloads/workload_list.h,$(HARNESS_HDRS)))

$(BUILD)/hdr-check/%.ok: %.h $(HARNESS_HDRS) | deps
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(call layer_cflags,$<) -fsyntax-only -x c $< && touch $@

# Every object depends on every header (coarse, never stale).
HARNESS_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(HARNESS_SRCS))

$(BUILD)/obj/%.o: %.c $(HARNESS_HDRS) | deps
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(call layer_cflags,$<) $(OPT) -c -o $@ $<

$(PMTORTURE): $(HARNESS_OBJS) $(HDR_CHECKS) | deps
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(OPT) -o $@ $(HARNESS_OBJS) $(JSON_LIBS) $(LIBVIRT_LIBS)

# The sanitizer build's objects, compiled once into one archive that the
# harness, every unit test and every fuzz-replay target link: compiling all
# the sources again for each of ~30 binaries cost minutes of make check on
# 2 cores.
SAN_OBJS := $(patsubst %.c,$(BUILD)/asan-obj/%.o,$(HARNESS_LIB_SRCS))
SAN_LIB := $(BUILD)/asan/libpmtorture.a

$(BUILD)/asan-obj/%.o: %.c $(HARNESS_HDRS) | deps
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(call layer_cflags,$<) -O1 -g $(SAN) -c -o $@ $<

$(SAN_LIB): $(SAN_OBJS)
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $(SAN_OBJS)

$(PMTORTURE_SAN): harness/cli/main.c $(SAN_LIB) $(HARNESS_HDRS) $(HDR_CHECKS) | deps
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(call layer_cflags,$<) -O1 -g $(SAN) -o $@ $< $(SAN_LIB) $(JSON_LIBS) $(LIBVIRT_LIBS)

harness: $(PMTORTURE)

all: $(PMTORTURE) $(AGENT)

# ---- unit tests (Check), with sanitizers ----
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
CHECK_LIBS = $(shell $(PKG_CONFIG) --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)

$(BUILD)/tests/%: tests/unit/%.c $(SAN_LIB) $(HARNESS_HDRS) | deps
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(HARNESS_CFLAGS) -O1 -g $(SAN) -o $@ $< $(SAN_LIB) $(JSON_LIBS) $(LIBVIRT_LIBS) $(CHECK_LIBS)

unit: $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; CK_FORK=yes $$t; done

# ---- fuzzing: libFuzzer targets (clang), and their corpora replayed under gcc ----
# `make fuzz` builds each target with clang and runs it FUZZ_TIME seconds
# (default 300) on tests/fuzz/corpus/NAME; `make fuzz-replay` (part of
# `make check`) feeds the checked-in corpora once to the same entry points,
# built with gcc, ASan and UBSan: no clang needed.
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TIME ?= 300
FUZZ_CC ?= clang

$(BUILD)/fuzz/%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(HARNESS_LIB_SRCS) $(HARNESS_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CLANG   $@"
	$(Q)$(FUZZ_CC) $(CSTD) $(HARNESS_INC) $(JSON_CFLAGS) -DPMT_ROOT='"$(ROOT)"' -O1 -g \
		-fsanitize=fuzzer,address,undefined -o $@ $< $(HARNESS_LIB_SRCS) $(JSON_LIBS) $(LIBVIRT_LIBS)

$(BUILD)/fuzz-replay/%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(wildcard tests/fuzz/*.h) $(SAN_LIB) $(HARNESS_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(HARNESS_CFLAGS) -O1 -g $(SAN) -o $@ $< tests/fuzz/replay.c $(SAN_LIB) $(JSON_LIBS) $(LIBVIRT_LIBS)

fuzz: $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))
	@set -e; for t in $(FUZZ_TARGETS); do mkdir -p $(BUILD)/fuzz/corpus-$$t; \
		echo "== fuzz $$t ($(FUZZ_TIME) s)"; \
		$(BUILD)/fuzz/$$t -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
			-artifact_prefix=$(BUILD)/fuzz/$$t- $(BUILD)/fuzz/corpus-$$t tests/fuzz/corpus/$$t; done

fuzz-replay: $(addprefix $(BUILD)/fuzz-replay/,$(FUZZ_TARGETS))
	@set -e; for t in $(FUZZ_TARGETS); do $(BUILD)/fuzz-replay/$$t tests/fuzz/corpus/$$t; done

.PHONY: fuzz fuzz-replay

# ---- the two commands ----
# `make run`: the main job.  RUN_ARGS passes options through, e.g.
#   make run RUN_ARGS='--fs xfs'   or   make run KERNEL=~/linux/vmlinux MODULES=...
# Known kernel findings (README) are XFAIL, not new failures: see the file.
run: all image
	$(PMTORTURE) run --plan default --expunge results/expected/known-failures.expunge $(if $(KERNEL),--kernel $(KERNEL)) $(if $(MODULES),--modules $(MODULES)) $(if $(DEBIAN_KERNEL),--debian-kernel $(DEBIAN_KERNEL)) $(RUN_ARGS)

# `make bisect`: the first Debian kernel whose verdict differs (README
# "Bisect"); long (tens of minutes under TCG), so not part of make check.
BISECT_ARGS ?= --debian-kernel 6.12.107..6.12.117 --scenario powercut --fs ext4 --crash-at flush-mid --repeat 2
bisect: all image
	$(PMTORTURE) bisect $(BISECT_ARGS)

# `make planted`: the guest's virtio-pmem driver rebuilt with upstream fixes
# reverted (tests/planted/), each tree through the device scenario that
# reaches its path (README "Planted driver bugs"); about 7.5 minutes, so only
# with make check NIGHTLY=1, never in the default check.
planted: all image $(PMTORTURE_SAN)
	tests/integration/run.sh --nightly t_planted

# `make builtin`: a guest kernel with virtio_pmem, nd_pmem and nfit built in,
# built once from Debian's linux-source (tests/builtin/), through mapsync on
# both devices (README "Guests from a snapshot"); the first build takes tens
# of minutes, so only with make check NIGHTLY=1, never in the default check.
builtin: all image $(PMTORTURE_SAN)
	tests/integration/run.sh --nightly t_builtin

# `make check`: unit tests, then integration tests that boot real guests.
# NIGHTLY=1 runs the longer plan.
check: all image $(PMTORTURE_SAN) unit fuzz-replay
	tests/integration/run.sh $(if $(NIGHTLY),--nightly)


clean:
	rm -rf $(BUILD)

.PHONY: harness all unit run check bench bisect clean planted builtin

# ---- guest image (kernel + initramfs); build-image.sh is its own cache ----
IMAGE_DIR := $(BUILD)/guest/default

# The default image (Debian's kernel).  A developer's kernel (make run
# KERNEL=... MODULES=...) gets its own cached image, built by the harness.
image: $(AGENT)
	@guest-image/build-image.sh --out $(IMAGE_DIR) --agent $(AGENT)

.PHONY: image

# ---- the flush shim QEMU preloads (power cuts, flush faults) and its benchmark ----
# The shim is loaded into QEMU, so it links libc only (durable.c is libc only).
# Hidden by default: only the wrapped libc functions are exported.
SHIM    := $(BUILD)/lib/pmtorture-shim.so
SHIM_SRCS := harness/shim/shim.c harness/shim/durable.c harness/shim/uffd_track.c
SHIM_HDRS := harness/shim/durable.h harness/shim/durable_int.h harness/shim/uffd_track.h \
             harness/shim/sys_raw.h
BENCH_DURABLE := $(BUILD)/bench/bench-durable

$(SHIM): $(SHIM_SRCS) $(SHIM_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(CSTD) $(WARN) $(OPT) -fPIC -shared -fvisibility=hidden -pthread \
		-Iharness/shim -o $@ $(SHIM_SRCS) -ldl

$(BENCH_DURABLE): harness/shim/bench_durable.c harness/shim/durable.c \
		harness/shim/epochs.c harness/shim/uffd_track.c $(SHIM_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(CSTD) $(WARN) $(OPT) -Iharness/shim -o $@ \
		harness/shim/bench_durable.c harness/shim/durable.c \
		harness/shim/epochs.c harness/shim/uffd_track.c

shim: $(SHIM)

# Here, not on the `all:` line above: prerequisites expand when read, and
# SHIM is defined only in this section.
all: $(SHIM)

# Figures only, no assertions: BENCH_DIR picks the filesystem (default /var/tmp).
bench-durable: $(BENCH_DURABLE)
	$(BENCH_DURABLE) $(BENCH_DIR)

.PHONY: shim bench-durable
# ---- end of the shim section ----

# Last: its prerequisites are defined in the sections above.
# Figures, never asserted: boot and case times, crash states per minute,
# then the shim's cost per flush and page-diff throughput.
bench: all image $(BENCH_DURABLE)
	$(PMTORTURE) bench $(BENCH_ARGS)
	$(BENCH_DURABLE)
