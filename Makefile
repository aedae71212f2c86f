# libbrev-nebius — build, test, install.
#   make            library (static + shared) and the CLI
#   make test       every suite under ASan+UBSan (see scripts/run-tests.sh)
#   make demo       full lifecycle through the CLI against the local simulator
#   make help       all targets

CC       ?= cc
PREFIX   ?= /usr/local
LIBDIR   ?= $(PREFIX)/lib
INCDIR   ?= $(PREFIX)/include
BINDIR   ?= $(PREFIX)/bin
DESTDIR  ?=
BUILD    ?= build
PYTHON   ?= /usr/bin/python3

VERSION  := 0.1.0
SO_MAJOR := 0
LIBNAME  := libbrev-nebius
SONAME   := $(LIBNAME).so.$(SO_MAJOR)

PKGS_LIB := libprotobuf-c libjwt openssl jansson
PKG_CFLAGS := $(shell pkg-config --cflags grpc $(PKGS_LIB) jansson yaml-0.1 2>/dev/null)
# pkg-config --libs grpc lists absl's static archives, which a shared build does not need.
LIB_LIBS := -lgrpc -lgpr $(shell pkg-config --libs $(PKGS_LIB) 2>/dev/null) -lpthread
CLI_LIBS := $(shell pkg-config --libs jansson yaml-0.1 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

STD_FLAGS := -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L
INC_FLAGS := -Iinclude -Isrc -Igen
WARN      := -Wall -Wextra -Werror
GEN_WARN  := -w
OPT       ?= -O2 -g
SAN       := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -O1 -g
COMMON    := $(STD_FLAGS) $(INC_FLAGS) $(PKG_CFLAGS) -fPIC -fvisibility=hidden -MMD -MP

LIB_SRC  := $(shell find src -name '*.c' -not -path 'src/cli/*' | LC_ALL=C sort)
GEN_SRC  := $(shell find gen -name '*.pb-c.c' 2>/dev/null | LC_ALL=C sort)
CLI_SRC  := $(shell find src/cli -name '*.c' 2>/dev/null | LC_ALL=C sort)
PROTOS   := $(shell find proto -name '*.proto' | LC_ALL=C sort)

OBJ      := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(GEN_SRC:%.c=$(BUILD)/obj/%.o)
ASAN_OBJ := $(LIB_SRC:%.c=$(BUILD)/asan/obj/%.o) $(GEN_SRC:%.c=$(BUILD)/asan/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)

STATIC   := $(BUILD)/$(LIBNAME).a
SHARED   := $(BUILD)/$(LIBNAME).so.$(VERSION)
ASAN_LIB := $(BUILD)/asan/$(LIBNAME).a
CLI      := $(BUILD)/brev-nebius

UNIT_SRC   := $(sort $(wildcard test/unit/*.c))
INTEG_SRC  := $(sort $(wildcard test/integration/*.c))
TCOMMON    := $(sort $(wildcard test/common/*.c))
UNIT_BIN   := $(UNIT_SRC:test/%.c=$(BUILD)/asan/test/%)
INTEG_BIN  := $(INTEG_SRC:test/%.c=$(BUILD)/asan/test/%)
TCOMMON_OBJ := $(TCOMMON:%.c=$(BUILD)/asan/obj/%.o)
TEST_FLAGS := $(STD_FLAGS) $(INC_FLAGS) -Itest/common $(PKG_CFLAGS) $(shell pkg-config --cflags check 2>/dev/null) $(WARN) $(SAN) -MMD -MP
TEST_LIBS  := $(ASAN_LIB) $(LIB_LIBS) $(CLI_LIBS) $(CHECK_LIBS) -lpthread

.PHONY: all lib asan-lib cli deps tests test test-unit test-integration check-one gen gen-check certs pyproto \
        install uninstall clean demo bench valgrind fuzz help

# The CLI is built once src/cli exists.
CLI_TARGET := $(if $(CLI_SRC),$(CLI))

all: lib $(CLI_TARGET)

lib: $(STATIC) $(BUILD)/$(LIBNAME).so

asan-lib: $(ASAN_LIB)

cli: $(CLI_TARGET)

# --- objects -------------------------------------------------------------
$(BUILD)/obj/gen/%.o: gen/%.c
	@mkdir -p $(@D)
	$(CC) $(COMMON) $(OPT) $(GEN_WARN) -c $< -o $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(COMMON) $(OPT) $(WARN) -c $< -o $@

$(BUILD)/asan/obj/gen/%.o: gen/%.c
	@mkdir -p $(@D)
	$(CC) $(COMMON) $(SAN) $(GEN_WARN) -c $< -o $@

$(BUILD)/asan/obj/test/%.o: test/%.c
	@mkdir -p $(@D)
	$(CC) $(TEST_FLAGS) -c $< -o $@

$(BUILD)/asan/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(COMMON) $(SAN) $(WARN) -c $< -o $@

# --- libraries -----------------------------------------------------------
$(STATIC): $(OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/exports.map:
	@mkdir -p $(@D)
	printf '{\n  global: brev_*;\n  local: *;\n};\n' > $@

$(SHARED): $(OBJ) $(BUILD)/exports.map
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=$(BUILD)/exports.map -Wl,--no-undefined \
	    -o $@ $(OBJ) $(LIB_LIBS)

$(BUILD)/$(LIBNAME).so: $(SHARED)
	ln -sf $(LIBNAME).so.$(VERSION) $(BUILD)/$(SONAME)
	ln -sf $(LIBNAME).so.$(VERSION) $@

$(ASAN_LIB): $(ASAN_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The CLI links the shared library, so it can only reach the public API.
$(CLI): $(CLI_OBJ) $(BUILD)/$(LIBNAME).so
	$(CC) $(OPT) -o $@ $(CLI_OBJ) -L$(BUILD) -lbrev-nebius $(CLI_LIBS) \
	    -Wl,-rpath,'$$ORIGIN' -Wl,-rpath,'$$ORIGIN/../lib'

# --- tests ---------------------------------------------------------------
# Objects reached only through pattern rules (test objects, the valgrind and
# fuzz builds) are intermediates to make: it would delete them after a build
# and rebuild every test binary on the next run. Keep every target.
.SECONDARY:

$(BUILD)/asan/test/%: $(BUILD)/asan/obj/test/%.o $(TCOMMON_OBJ) $(ASAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SAN) -o $@ $< $(TCOMMON_OBJ) $(TEST_LIBS)

tests: $(UNIT_BIN) $(INTEG_BIN)

certs: $(BUILD)/certs/ca.pem

$(BUILD)/certs/ca.pem: scripts/gen-test-certs.sh
	bash scripts/gen-test-certs.sh $(BUILD)/certs

pyproto: $(BUILD)/py/.stamp

$(BUILD)/py/.stamp: $(PROTOS)
	@rm -rf $(BUILD)/py && mkdir -p $(BUILD)/py
	protoc -I proto -I /usr/include --python_out=$(BUILD)/py $(PROTOS)
	@touch $@

# `make test` and `make demo` first install what is missing (quiet when all is there).
deps:
	@bash scripts/install-deps.sh

# A plain `make test` builds on every core; an explicit -j is kept.
NPROC := $(shell nproc 2>/dev/null || echo 2)
JOBS  := $(if $(filter -j%,$(MAKEFLAGS)),,-j$(NPROC))

test: deps
	@$(MAKE) --no-print-directory $(JOBS) all tests certs pyproto
	BUILD=$(BUILD) bash scripts/run-tests.sh all

test-unit: all $(UNIT_BIN) certs pyproto
	BUILD=$(BUILD) bash scripts/run-tests.sh unit

test-integration: all $(INTEG_BIN) certs pyproto
	BUILD=$(BUILD) bash scripts/run-tests.sh integration

# make check-one T=build/asan/test/unit/NAME
# (with the sanitizer settings and suppressions of scripts/run-tests.sh)
check-one: all tests certs pyproto
	BREV_TEST_BUILD=$(BUILD) \
	ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0} \
	UBSAN_OPTIONS=$${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	LSAN_OPTIONS=$${LSAN_OPTIONS:-suppressions=$(CURDIR)/test/lsan.supp:print_suppressions=0} \
	GRPC_VERBOSITY=$${GRPC_VERBOSITY:-ERROR} $(T)

# --- valgrind: the same suites without sanitizers, in one process -------
VG_OBJ     := $(LIB_SRC:%.c=$(BUILD)/vg/obj/%.o) $(GEN_SRC:%.c=$(BUILD)/vg/obj/%.o)
VG_LIB     := $(BUILD)/vg/$(LIBNAME).a
VG_TCOMMON := $(TCOMMON:%.c=$(BUILD)/vg/obj/%.o)
VG_BIN     := $(UNIT_SRC:test/%.c=$(BUILD)/vg/test/%) $(INTEG_SRC:test/%.c=$(BUILD)/vg/test/%)
VG_FLAGS   := -O0 -g

$(BUILD)/vg/obj/gen/%.o: gen/%.c
	@mkdir -p $(@D)
	$(CC) $(COMMON) $(VG_FLAGS) $(GEN_WARN) -c $< -o $@

$(BUILD)/vg/obj/test/%.o: test/%.c
	@mkdir -p $(@D)
	$(CC) $(STD_FLAGS) $(INC_FLAGS) -Itest/common $(PKG_CFLAGS) $(shell pkg-config --cflags check 2>/dev/null) $(WARN) $(VG_FLAGS) -MMD -MP -c $< -o $@

$(BUILD)/vg/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(COMMON) $(VG_FLAGS) $(WARN) -c $< -o $@

$(VG_LIB): $(VG_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/vg/test/%: $(BUILD)/vg/obj/test/%.o $(VG_TCOMMON) $(VG_LIB)
	@mkdir -p $(@D)
	$(CC) -o $@ $< $(VG_TCOMMON) $(VG_LIB) $(LIB_LIBS) $(CLI_LIBS) $(CHECK_LIBS) -lpthread

valgrind: $(VG_BIN) certs pyproto
	BUILD=$(BUILD) bash scripts/run-valgrind.sh $(VG_BIN)

# --- fuzzing: libFuzzer targets under test/fuzz (clang) --------------------
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_SRC     := $(sort $(wildcard test/fuzz/*.c))
FUZZ_BIN     := $(FUZZ_SRC:test/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_OBJ     := $(LIB_SRC:%.c=$(BUILD)/fuzz/obj/%.o) $(GEN_SRC:%.c=$(BUILD)/fuzz/obj/%.o)
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -g -O1


$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(COMMON) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -w -c $< -o $@

$(BUILD)/fuzz/%: test/fuzz/%.c $(FUZZ_OBJ)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(STD_FLAGS) $(INC_FLAGS) $(PKG_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(LIB_LIBS) $(CLI_LIBS)

fuzz: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do \
	  n=$$(basename $$f); mkdir -p $(BUILD)/fuzz/corpus/$$n; \
	  echo "=== fuzz $$n ($(FUZZ_SECONDS) s)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $(BUILD)/fuzz/corpus/$$n test/fuzz/seeds/$$n || exit 1; \
	done

# --- benchmark against nebius-sim ------------------------------------------
BENCH := $(BUILD)/bench/brev-bench
$(BENCH): test/bench/bench.c $(TCOMMON) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(STD_FLAGS) $(INC_FLAGS) -Itest/common $(PKG_CFLAGS) $(shell pkg-config --cflags check 2>/dev/null) $(WARN) -O2 -g \
	    -o $@ test/bench/bench.c $(TCOMMON) $(STATIC) $(LIB_LIBS) $(CLI_LIBS) $(CHECK_LIBS) -lpthread

bench: $(BENCH) certs pyproto
	BREV_TEST_BUILD=$(BUILD) $(BENCH)

# --- generated code ------------------------------------------------------
gen:
	bash scripts/gen.sh gen

gen-check:
	@tmp=$$(mktemp -d) && bash scripts/gen.sh $$tmp >/dev/null && \
	if diff -r gen $$tmp >/dev/null; then echo "gen-check: gen/ matches proto/"; echo "gen-check: 1 passed, 0 failed"; rm -rf $$tmp; \
	else diff -r gen $$tmp | head -20; rm -rf $$tmp; echo "gen-check: gen/ is stale or hand-edited: run make gen"; echo "gen-check: 0 passed, 1 failed"; exit 1; fi

# --- install -------------------------------------------------------------
# The .pc file is written at install time: it records this install's PREFIX.
install: all
	install -d $(DESTDIR)$(INCDIR)/brev $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(BINDIR)
	install -m 644 include/brev/*.h $(DESTDIR)$(INCDIR)/brev/
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/
	ln -sf $(LIBNAME).so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(LIBNAME).so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(LIBNAME).so
	printf 'prefix=%s\nlibdir=%s\nincludedir=%s\n\nName: libbrev-nebius\nDescription: Nebius cloud instances over native gRPC, the Brev Cloud SDK way\nVersion: %s\nRequires.private: libprotobuf-c libjwt openssl jansson\nLibs: -L$${libdir} -lbrev-nebius\nLibs.private: -lgrpc -lgpr -lpthread\nCflags: -I$${includedir}\n' \
	    '$(PREFIX)' '$(LIBDIR)' '$(INCDIR)' '$(VERSION)' > $(DESTDIR)$(LIBDIR)/pkgconfig/$(LIBNAME).pc
	$(if $(CLI_TARGET),install -m 755 $(CLI) $(DESTDIR)$(BINDIR)/)

uninstall:
	rm -rf $(DESTDIR)$(INCDIR)/brev
	rm -f $(DESTDIR)$(LIBDIR)/$(LIBNAME).* $(DESTDIR)$(LIBDIR)/pkgconfig/$(LIBNAME).pc $(DESTDIR)$(BINDIR)/brev-nebius

# --- other jobs ----------------------------------------------------------
demo:
	bash scripts/demo.sh

clean:
	rm -rf $(BUILD)

help:
	@echo "make [all]          library ($(STATIC), $(BUILD)/$(LIBNAME).so) and CLI ($(CLI))"
	@echo "make lib            the library only"
	@echo "make test           every suite under ASan+UBSan (gen check, wire, unit, integration, sim, CLI, demo)"
	@echo "make test-unit      unit suites only; make test-integration: integration suites only"
	@echo "make check-one T=build/asan/test/unit/NAME   one Check binary"
	@echo "make gen            regenerate gen/ from proto/; make gen-check: fail if gen/ is stale"
	@echo "make demo           full lifecycle through the CLI against nebius-sim"
	@echo "make bench          benchmark against nebius-sim"
	@echo "make valgrind       suites under valgrind (no ASan); make fuzz: libFuzzer targets"
	@echo "make install PREFIX=... DESTDIR=...; make clean"

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
