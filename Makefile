# Makefile - the one entry point of mlsysbench.
#
#   make            build build/mlsysbench (installs nothing)
#   make deps       install missing Debian packages (apt-get, sudo when not root)
#   make run        deps + build + the quick suite on the CPU SUT
#   make test       deps + build + every test (cmocka units and CLI end-to-end)
#   make test SANITIZE=address,undefined   the same under ASan+UBSan (own build dir)
#   make test-tsan  loadgen and SUT tests under ThreadSanitizer
#   make fuzz       the serial line parser under libFuzzer (clang) for FUZZ_SECONDS
#   make bench      the harness's own cost with the null workload (not a test)
#   make bench-peer the CPU SUT against PyTorch CPU on the same shapes (not a test)
#   make install    PREFIX=/usr/local
#
# Knobs: CC, OPT, SANITIZE, V=1 (show commands), PREFIX, TESTS (test folders to run).

CC       ?= cc
OPT      ?= -O2
SANITIZE ?=
V        ?= 0
PREFIX   ?= /usr/local
TESTS    ?= loadgen workloads sut serial reports hardware_profiles harness e2e

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
LDLIBS  = $(shell pkg-config --libs $(PKGS)) -lsde -lcsv -ldl -lm -pthread
LDFLAGS = $(SANFLAGS)

LG_SRC  := $(wildcard loadgen/*.c)
LIB_SRC := $(wildcard workloads/*.c) $(wildcard sut/*.c) $(wildcard sut/cpu/*.c) $(wildcard sut/serial/*.c) \
           $(wildcard reports/*.c) $(wildcard hardware_profiles/*.c) $(filter-out harness/main.c,$(wildcard harness/*.c))
LG_OBJ  := $(LG_SRC:%.c=$(BUILD)/obj/%.o)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC := $(foreach d,$(TESTS),$(wildcard tests/$(d)/test_*.c))
TEST_BIN := $(TEST_SRC:%.c=$(BUILD)/%)
BIN     := $(BUILD)/mlsysbench

.PHONY: all deps run test test-run test-tsan bench bench-peer install clean tests fuzz
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
	$(Q)MLSB=$(BIN) BUILD=$(BUILD) sh tests/run.sh $(TESTS)

test-tsan: deps
	$(Q)$(MAKE) --no-print-directory test-run SANITIZE=thread TESTS="loadgen sut"

bench: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/mlsysbench-bench
	$(Q)$(BUILD)/mlsysbench-bench

# The serial line parser under libFuzzer + ASan + UBSan for FUZZ_SECONDS; seeds from
# tests/serial/corpus (replayed by `make test`), new inputs kept in $(BUILD)/fuzz/corpus,
# a crash written to $(BUILD)/fuzz/ (add it to tests/serial/corpus once fixed).
FUZZ_SECONDS ?= 60
fuzz:
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

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

-include $(shell find build -name '*.d' 2>/dev/null)
