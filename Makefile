# Makefile - the one entry point of mlsysbench.
#
#   make            build build/mlsysbench (installs nothing)
#   make deps       install missing Debian packages (apt-get, sudo when not root)
#   make run        deps + build + the quick suite on the CPU SUT
#   make test       deps + build + every test (cmocka units and CLI end-to-end)
#   make test SANITIZE=address,undefined   the same under ASan+UBSan (own build dir)
#   make test-tsan  loadgen, SUT and CUDA SUT tests under ThreadSanitizer
#   make fuzz       the serial line parser under libFuzzer (clang) for FUZZ_SECONDS
#   make bench      the harness's own cost with the null workload (not a test)
#   make bench-peer the CPU SUT against PyTorch CPU on the same shapes (not a test)
#   make install    PREFIX=/usr/local
#   make firmware   the Cortex-M images (QEMU mps2-an385/an386) under build/firmware/
#   make dut-sim    build/mlsb-dut-sim, the simulated serial DUT (sut/firmware/sim/)
#
# Knobs: CC, OPT, SANITIZE, V=1 (show commands), PREFIX, TESTS (test folders to run),
#        NVCC (the CUDA compiler; found on PATH or in /usr/local/cuda; NVCC=/nonexistent
#        builds without CUDA), CUDA_ARCHS (fat binary targets).

CC       ?= cc
OPT      ?= -O2
SANITIZE ?=
V        ?= 0
PREFIX   ?= /usr/local
TESTS    ?= loadgen workloads sut serial reports hardware_profiles harness firmware leaderboard cuda e2e
NVCC     ?= $(shell command -v nvcc 2>/dev/null || { [ -x /usr/local/cuda/bin/nvcc ] && echo /usr/local/cuda/bin/nvcc; })
CUDA_ARCHS ?= -gencode arch=compute_80,code=sm_80 -gencode arch=compute_89,code=sm_89 \
              -gencode arch=compute_90,code=[sm_90,compute_90]

comma := ,
ifeq ($(SANITIZE),)
BUILD ?= build
else
BUILD ?= build/san-$(subst $(comma),-,$(SANITIZE))
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

VERSION = $(shell git describe --always --dirty --tags 2>/dev/null || echo unknown)
PKGS    = hwloc json-c papi
# submission bundles and the leaderboard server (reports/bundle.c, harness/submit.c, harness/leaderboard.c)
PKGS   += libarchive libcrypto sqlite3 libmicrohttpd libcurl
CFLAGS  = -std=c11 -D_GNU_SOURCE $(OPT) -g -Wall -Wextra -Wshadow -Wno-unused-parameter \
          -pthread -MMD -MP -I. $(SANFLAGS) $(shell pkg-config --cflags $(PKGS)) \
          -DMB_VERSION='"$(VERSION)"' -DMB_PROFILE_DIRS='"$(CURDIR)/hardware_profiles:$(PREFIX)/share/mlsysbench/hardware_profiles"' \
          $(EXTRA_CFLAGS)
LDLIBS  = $(shell pkg-config --libs $(PKGS)) -lsde -lcsv $(CUDA_LIBS) -ldl -lm -pthread
LDFLAGS = $(SANFLAGS)

# CUDA: sut/cuda/ when an nvcc of CUDA 12 or 13 is found, else sut/cuda/unavailable.c
# (the "cuda" SUT then says why) and the host-only parts its tests use (precision.c,
# batcher.c). cudart is linked statically; cuBLAS is dlopen'ed from $(CUDA_HOME)/lib64
# (then the loader's path) when a gemm run needs it, so no process pays its start-up.
CUDA_MAJOR := $(if $(NVCC),$(shell "$(NVCC)" --version 2>/dev/null | sed -n 's/.*release \([0-9]*\)\..*/\1/p'))
ifneq ($(filter 12 13,$(CUDA_MAJOR)),)
CUDA_HOME ?= $(patsubst %/bin/nvcc,%,$(NVCC))
CUDA_SRC  := $(filter-out sut/cuda/unavailable.c,$(wildcard sut/cuda/*.c))
CU_OBJ    := $(patsubst %.cu,$(BUILD)/obj/%.cu.o,$(wildcard sut/cuda/*.cu))
CUDA_LIBS := -L$(CUDA_HOME)/lib64 -lcudart_static -lrt -lstdc++
NVCCFLAGS  = -std=c++17 -O2 -g -I. $(CUDA_ARCHS) -Xcompiler -Wall,-Wextra -MMD -MP
$(BUILD)/obj/sut/cuda/%.o: EXTRA_CFLAGS += -I$(CUDA_HOME)/include
$(BUILD)/obj/sut/cuda/blas.o: EXTRA_CFLAGS += -DSUT_CUDA_LIBDIR='"$(CUDA_HOME)/lib64"' 
else
CUDA_SRC  := sut/cuda/unavailable.c sut/cuda/precision.c sut/cuda/batcher.c
CU_OBJ    :=
CUDA_LIBS :=
ifneq ($(CUDA_MAJOR),)
$(BUILD)/obj/sut/cuda/unavailable.o: EXTRA_CFLAGS += -DSUT_CUDA_UNAVAILABLE_WHY='"nvcc $(CUDA_MAJOR) was found at build time; CUDA 12 or 13 is needed"'
endif
endif

LG_SRC  := $(wildcard loadgen/*.c)
LIB_SRC := $(wildcard workloads/*.c) $(wildcard sut/*.c) $(wildcard sut/cpu/*.c) $(wildcard sut/serial/*.c) \
           $(wildcard reports/*.c) $(wildcard hardware_profiles/*.c) $(filter-out harness/main.c,$(wildcard harness/*.c))
LIB_SRC += $(CUDA_SRC)
LG_OBJ  := $(LG_SRC:%.c=$(BUILD)/obj/%.o)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(CU_OBJ)
TEST_SRC := $(foreach d,$(TESTS),$(wildcard tests/$(d)/test_*.c))
TEST_BIN := $(TEST_SRC:%.c=$(BUILD)/%)
BIN     := $(BUILD)/mlsysbench

.PHONY: all deps run test test-run test-tsan bench bench-peer install clean tests fuzz firmware firmware-images dut-sim
all: $(BIN)

deps:
	$(Q)sh harness/deps.sh

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(BIN) suite quick

test: deps
	$(Q)sh harness/deps.sh test
	$(Q)$(MAKE) --no-print-directory test-run

tests: $(BIN) $(TEST_BIN)

test-run: $(BIN) $(TEST_BIN)
	$(Q)MLSB=$(BIN) BUILD=$(BUILD) SANITIZE=$(SANITIZE) sh tests/run.sh $(TESTS)

test-tsan: deps
	$(Q)$(MAKE) --no-print-directory test-run SANITIZE=thread TESTS="loadgen sut cuda"

bench: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/mlsysbench-bench
	$(Q)$(BUILD)/mlsysbench-bench

# The serial line parser under libFuzzer + ASan + UBSan for FUZZ_SECONDS; seeds from
# tests/serial/corpus (replayed by `make test`), new inputs kept in $(BUILD)/fuzz/corpus,
# a crash written to $(BUILD)/fuzz/ (add it to tests/serial/corpus once fixed).
FUZZ_SECONDS ?= 60
fuzz: deps
	$(Q)sh harness/deps.sh fuzz
	$(Q)mkdir -p $(BUILD)/fuzz/corpus
	@echo "  FUZZ    sut/serial/line.c ($(FUZZ_SECONDS) s)"
	$(Q)clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined \
	  -o $(BUILD)/fuzz/fuzz_line tests/serial/fuzz_line.c sut/serial/line.c
	$(Q)$(BUILD)/fuzz/fuzz_line -max_total_time=$(FUZZ_SECONDS) -max_len=20000 \
	  -artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/corpus tests/serial/corpus

# PyTorch CPU (Debian's python3-torch) on the same shapes, side by side (not a test)
bench-peer: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)sh harness/bench/peer.sh $(BIN)

install: $(BIN) $(BUILD)/libloadgen.a
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include/mlsysbench $(DESTDIR)$(PREFIX)/lib
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/mlsysbench
	install -m 644 loadgen/loadgen.h $(DESTDIR)$(PREFIX)/include/mlsysbench/loadgen.h
	install -m 644 $(BUILD)/libloadgen.a $(DESTDIR)$(PREFIX)/lib/libloadgen.a
	install -d $(DESTDIR)$(PREFIX)/share/mlsysbench/hardware_profiles
	for f in hardware_profiles/*.json; do [ -f "$$f" ] && install -m 644 "$$f" $(DESTDIR)$(PREFIX)/share/mlsysbench/hardware_profiles/ || true; done

clean:
	rm -rf build

$(BUILD)/libloadgen.a: $(LG_OBJ)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/libmlsb.a: $(LIB_OBJ)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN): $(BUILD)/obj/harness/main.o $(BUILD)/libmlsb.a $(BUILD)/libloadgen.a
	@echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/mlsysbench-bench: $(BUILD)/obj/harness/bench/bench.o $(BUILD)/libmlsb.a $(BUILD)/libloadgen.a
	@echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(BUILD)/libmlsb.a $(BUILD)/libloadgen.a
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libmlsb.a $(BUILD)/libloadgen.a $(LDFLAGS) $(LDLIBS) -lcmocka

$(BUILD)/obj/%.cu.o: %.cu
	@mkdir -p $(dir $@)
	@echo "  NVCC    $<"
	$(Q)"$(NVCC)" $(NVCCFLAGS) -c -o $@ $<

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

# ---- the device side (sut/firmware/): generated model tables, the simulated DUT ----
# mlsb-fwgen dumps the int8 tables of kws, ic, vww and ad (the CPU SUT's wl_qnet) as C
# into $(FW_GEN); it rewrites only files whose text changed.
FW_DIR     := $(BUILD)/firmware
FW_GEN     := $(FW_DIR)/gen
FW_MODELS  := kws ic vww ad
FW_GEN_C   := $(FW_MODELS:%=$(FW_GEN)/fw_model_%.c)
FW_LIB_SRC := sut/firmware/fw.c sut/firmware/fmt.c
FW_LIB_OBJ := $(FW_LIB_SRC:%.c=$(BUILD)/obj/%.o)
FW_GEN_OBJ := $(FW_MODELS:%=$(BUILD)/obj/fwgen/fw_model_%.o)
DUT_SIM    := $(BUILD)/mlsb-dut-sim

dut-sim: $(DUT_SIM)

$(BUILD)/mlsb-fwgen: $(BUILD)/obj/sut/firmware/gen/fwgen.o $(BUILD)/libmlsb.a $(BUILD)/libloadgen.a
	@echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(FW_GEN)/.stamp: $(BUILD)/mlsb-fwgen
	@mkdir -p $(FW_GEN)
	@echo "  GEN     $(FW_GEN)"
	$(Q)$(BUILD)/mlsb-fwgen $(FW_GEN) && touch $@

$(FW_GEN)/fw_models.h $(FW_GEN_C): $(FW_GEN)/.stamp ;

$(BUILD)/obj/fwgen/%.o: $(FW_GEN)/%.c $(FW_GEN)/fw_models.h
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -I$(FW_GEN) -c -o $@ $<

$(BUILD)/obj/sut/firmware/sim/dut_sim.o: EXTRA_CFLAGS += -I$(FW_GEN)
$(BUILD)/obj/sut/firmware/sim/dut_sim.o: $(FW_GEN)/fw_models.h

$(BUILD)/libsutfw.a: $(FW_LIB_OBJ) $(FW_GEN_OBJ)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(DUT_SIM): $(BUILD)/obj/sut/firmware/sim/dut_sim.o $(BUILD)/libsutfw.a $(BUILD)/libmlsb.a
	@echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lutil $(LDLIBS)

# tests/firmware links the device library and the generated models too
$(BUILD)/tests/firmware/%: tests/firmware/%.c $(FW_GEN)/fw_models.h $(BUILD)/libsutfw.a $(BUILD)/libmlsb.a $(BUILD)/libloadgen.a
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	$(Q)$(CC) $(CFLAGS) -I$(FW_GEN) -o $@ $< $(BUILD)/libsutfw.a $(BUILD)/libmlsb.a $(BUILD)/libloadgen.a $(LDFLAGS) $(LDLIBS) -lutil -lcmocka

$(BUILD)/tests/firmware/test_sim: $(DUT_SIM)
# the serial SUT's fault tests drive the simulated DUT
$(BUILD)/tests/serial/test_sim: $(DUT_SIM)

# ---- the Cortex-M images: $(FW_DIR)/<workload>-mps2-an385.elf (Cortex-M3, soft float)
# and <workload>-mps2-an386.elf (Cortex-M4F, hard float), one per workload, with
# arm-none-eabi-gcc and no C library (libgcc only). Skipped when the compiler is absent.
FW_CC      ?= arm-none-eabi-gcc
FW_SIZE    ?= arm-none-eabi-size
FW_HAVE_CC := $(shell command -v $(FW_CC) 2>/dev/null)
FW_CFLAGS  = -std=c11 -O2 -g -ffreestanding -ffp-contract=off -ffunction-sections \
             -fdata-sections -Wall -Wextra -Wno-unused-parameter -MMD -MP -I. -I$(FW_GEN)
FW_LDFLAGS = -nostdlib -nostartfiles -T sut/firmware/boards/mps2/mps2.ld -Wl,--gc-sections
FW_ARCH_m3  := -mcpu=cortex-m3 -mthumb -mfloat-abi=soft
FW_ARCH_m4f := -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16
FW_COMMON  := sut/firmware/fw.c sut/firmware/fmt.c workloads/qkernel.c \
              sut/firmware/boards/mps2/startup.c sut/firmware/boards/mps2/libc_min.c
FW_ELFS    := $(foreach m,$(FW_MODELS),$(FW_DIR)/$(m)-mps2-an385.elf $(FW_DIR)/$(m)-mps2-an386.elf)

FW_OBJ     := $(foreach a,m3 m4f,$(FW_COMMON:%.c=$(FW_DIR)/obj/$(a)/%.o) \
              $(FW_MODELS:%=$(FW_DIR)/obj/$(a)/board-%.o) $(FW_MODELS:%=$(FW_DIR)/obj/$(a)/gen/fw_model_%.o))
.SECONDARY: $(FW_OBJ)
# dependency files are never made from anything (make would try board-kws.d from board.c)
$(FW_DIR)/%.d: ;

# `make firmware` installs the toolchain first (deps.sh firmware), then builds
firmware:
	$(Q)sh harness/deps.sh firmware
	$(Q)$(MAKE) --no-print-directory firmware-images

ifneq ($(FW_HAVE_CC),)
$(BUILD)/tests/firmware/test_qemu: $(FW_ELFS)
firmware-images: $(FW_ELFS)
	$(Q)$(FW_SIZE) $(FW_ELFS)
else
firmware-images:
	@echo "make firmware: $(FW_CC) not found; install gcc-arm-none-eabi (sh harness/deps.sh firmware)" >&2
	@false
endif

$(FW_DIR)/obj/%/sut/firmware/boards/mps2/libc_min.o: EXTRA_FW := -fno-builtin -fno-tree-loop-distribute-patterns

# objects of one architecture (m3 or m4f): $(1)
define FW_ARCH_RULES
$(FW_DIR)/obj/$(1)/%.o: %.c $(FW_GEN)/fw_models.h
	@mkdir -p $$(dir $$@)
	@echo "  ARMCC   $$< ($(1))"
	$(Q)$(FW_CC) $(FW_CFLAGS) $(FW_ARCH_$(1)) $$(EXTRA_FW) -c -o $$@ $$<

$(FW_DIR)/obj/$(1)/gen/%.o: $(FW_GEN)/%.c $(FW_GEN)/fw_models.h
	@mkdir -p $$(dir $$@)
	@echo "  ARMCC   $$< ($(1))"
	$(Q)$(FW_CC) $(FW_CFLAGS) $(FW_ARCH_$(1)) -c -o $$@ $$<

$(FW_DIR)/obj/$(1)/board-%.o: sut/firmware/boards/mps2/board.c $(FW_GEN)/fw_models.h
	@mkdir -p $$(dir $$@)
	@echo "  ARMCC   $$< ($$* $(1))"
	$(Q)$(FW_CC) $(FW_CFLAGS) $(FW_ARCH_$(1)) -DSUT_FW_IMAGE=$$* \
	  -DSUT_FW_IMAGE_UP=$$(shell echo $$* | tr a-z A-Z) -c -o $$@ $$<
endef
$(eval $(call FW_ARCH_RULES,m3))
$(eval $(call FW_ARCH_RULES,m4f))

$(FW_DIR)/%-mps2-an385.elf: $(FW_DIR)/obj/m3/board-%.o $(FW_DIR)/obj/m3/gen/fw_model_%.o \
                            $(FW_COMMON:%.c=$(FW_DIR)/obj/m3/%.o) sut/firmware/boards/mps2/mps2.ld
	@echo "  ARMLD   $@"
	$(Q)$(FW_CC) $(FW_ARCH_m3) $(FW_LDFLAGS) -o $@ $(filter %.o,$^) -lgcc

$(FW_DIR)/%-mps2-an386.elf: $(FW_DIR)/obj/m4f/board-%.o $(FW_DIR)/obj/m4f/gen/fw_model_%.o \
                            $(FW_COMMON:%.c=$(FW_DIR)/obj/m4f/%.o) sut/firmware/boards/mps2/mps2.ld
	@echo "  ARMLD   $@"
	$(Q)$(FW_CC) $(FW_ARCH_m4f) $(FW_LDFLAGS) -o $@ $(filter %.o,$^) -lgcc

-include $(shell find build -name '*.d' 2>/dev/null)
