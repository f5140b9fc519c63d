# SPDX-License-Identifier: GPL-2.0-only
# bindprof build. `make` builds build/bindprof; `make test` runs every test suite; `make demo` runs the
# main job on the bundled demo target. Missing Debian packages are installed by scripts/install-deps.sh.
.DELETE_ON_ERROR:
.SUFFIXES:
.SECONDARY:

OUT      := build
ARCH     := x86
TRIPLET  := $(shell gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)
CLANG    ?= clang
BPFTOOL  ?= bpftool
CC       ?= gcc
VERSION  := 0.1.0

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-I$(OUT)/bpf -Ibpf -Ivmlinux/$(ARCH) -I/usr/include/$(TRIPLET)
CFLAGS   ?= -g -O2
CFLAGS   += -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter -MMD -MP \
	-I$(OUT)/bpf -I$(OUT)/gen -I. -Iuser -I/usr/include/postgresql -DBINDPROF_VERSION='"$(VERSION)"'
LDLIBS   := -lbpf -lelf -ldw -lz -lcjson -lhttp_parser -lffi -lcapstone -lprotobuf-c -lsqlite3 -lpq -lwslay -lnettle -lm -lpthread

BPF_OBJS := core syscalls python floor stacks ffi requests follow net
BPF_SKELS := $(patsubst %,$(OUT)/bpf/%.skel.h,$(BPF_OBJS))

USER_SRCS := $(filter-out user/cli/main.c,$(wildcard user/*/*.c))
USER_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(USER_SRCS)) $(OUT)/gen/syscall_names.o $(OUT)/gen/profile.pb-c.o
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))
TOOL_SRCS := $(filter-out tools/lib%.c tools/ffiext.c tools/heapext.c,$(wildcard tools/*.c))
TOOL_BINS := $(patsubst tools/%.c,$(OUT)/tools/%,$(TOOL_SRCS)) $(OUT)/tools/libdemo.so $(OUT)/tools/libffitest.so \
	$(OUT)/tools/libatom.so \
	$(OUT)/tools/calltree-nofp $(OUT)/bench/probe_floor

.PHONY: all deps test unit integration demo clean vmlinux
all: $(OUT)/bindprof $(TOOL_BINS)

# Install what is missing (prints the sudo command as non-root). Cheap when all is there. A plain
# `make` never runs it; `make test` and `make demo` (the README's two commands) do, first.
deps:
	$(Q)scripts/install-deps.sh

$(OUT)/bpf $(OUT)/gen $(OUT)/tests $(OUT)/tools $(OUT)/bench:
	$(Q)mkdir -p $@

# BPF: clang -> bpftool gen object (static link) -> bpftool gen skeleton.
$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c | $(OUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(OUT)/bpf/%.o: $(OUT)/bpf/%.bpf.o
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<

$(OUT)/bpf/%.skel.h: $(OUT)/bpf/%.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

# The syscall-name table is generated from the system's header, never typed by hand.
$(OUT)/gen/syscall_names.c: scripts/gen-syscalls.sh /usr/include/$(TRIPLET)/asm/unistd_64.h | $(OUT)/gen
	$(call msg,GEN,$@)
	$(Q)scripts/gen-syscalls.sh /usr/include/$(TRIPLET)/asm/unistd_64.h $@

# The pprof encoder's C, generated from proto/profile.proto by protoc-c (libprotobuf-c).
$(OUT)/gen/profile.pb-c.c $(OUT)/gen/profile.pb-c.h &: proto/profile.proto | $(OUT)/gen
	$(call msg,PROTOC,$@)
	$(Q)protoc-c --c_out=$(OUT)/gen --proto_path=proto $<

$(OUT)/gen/%.o: $(OUT)/gen/%.c
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# Skeletons are order-only: they exist before any compile, and the -MMD files then rebuild
# exactly the objects that include a changed one.
$(OUT)/user/%.o: user/%.c | $(BPF_SKELS) $(OUT)/gen/profile.pb-c.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/bindprof: $(OUT)/user/cli/main.o $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/tests/%: tests/unit/%.c $(USER_OBJS) | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(USER_OBJS) $(LDLIBS) -lcmocka -o $@

# The benchmark floor links the loader's target helpers and the floor skeleton.
$(OUT)/bench/probe_floor: scripts/bench/probe_floor.c $(USER_OBJS) | $(OUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(USER_OBJS) $(LDLIBS) -o $@

# The demo's bundled native library (loaded by tools/demo_server.py through ctypes).
$(OUT)/tools/lib%.so: tools/lib%.c | $(OUT)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) -g -O2 -Wall -Wextra -Werror -fPIC -shared $< -o $@

# The stack tests' call tree, with frame pointers and without (no DWARF either: .eh_frame only,
# as distributions ship).
$(OUT)/tools/calltree: tools/calltree.c | $(OUT)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -fno-omit-frame-pointer -Wall -Wextra -Werror $< -o $@

$(OUT)/tools/calltree-nofp: tools/calltree.c | $(OUT)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -fomit-frame-pointer -Wall -Wextra -Werror $< -o $@

$(OUT)/tools/%: tools/%.c | $(OUT)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) -g -O2 -Wall -Wextra -Werror -MMD -MP $< -o $@ -lpthread -ldl

# make test: the build (parallel), the unit tests, then the integration suites TEST_JOBS at a time
# (default 3) with the hardening step (check-asan, fuzz-smoke) as one more job beside them
# (tests/run.sh says how; the README has the measured time).
NPROC := $(shell nproc 2>/dev/null || echo 2)
test: deps
	$(Q)$(MAKE) --no-print-directory -j$(NPROC) all $(UNIT_BINS)
	$(Q)tests/run.sh unit integration hardening

unit: all $(UNIT_BINS)
	$(Q)tests/run.sh unit

integration: all
	$(Q)tests/run.sh integration

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

vmlinux:
	$(Q)scripts/gen-vmlinux.sh $(ARCH)

clean:
	$(Q)rm -rf $(OUT) $(FUZZ_OUT) $(ASAN_OUT)

# --- Hardening: fuzz targets and the ASan+UBSan unit build (docs/failure.md) ---------------------
# `make fuzz` runs every fuzz target for FUZZ_SECS seconds (default 60) from its seed corpus
# fuzz/corpus/<target>/ (new inputs go to build-fuzz/corpus/<target>/, crashes to
# build-fuzz/crashes/<target>/); `make fuzz-smoke` is the short pass of `make test` (FUZZ_SECS=10).
# `make fuzz FUZZ_TARGETS=suites` runs one. Targets: libFuzzer through clang -fsanitize=fuzzer,
# with AddressSanitizer and UndefinedBehaviorSanitizer (any report aborts the run).
FUZZ_OUT     := build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECS    ?= 60
FUZZ_TARGETS ?= suites manifest httpresp endpoint profile
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS  := -g -O1 -std=gnu11 -D_GNU_SOURCE -Wall -Wno-unused-parameter -MMD -MP -I$(OUT)/bpf -I$(OUT)/gen \
	-I. -Iuser -DBINDPROF_VERSION='"$(VERSION)"' $(FUZZ_SAN)
FUZZ_SRCS_suites   := user/load/suites.c user/load/httpcheck.c user/lib/file.c
FUZZ_SRCS_manifest := user/load/appmanifest.c user/lib/file.c
FUZZ_SRCS_httpresp := user/load/httpresp.c
FUZZ_SRCS_endpoint := user/load/endpoint.c
FUZZ_SRCS_profile  := user/output/document.c user/output/reader.c user/lib/json.c user/lib/file.c user/lib/util.c \
	user/lib/log.c user/lib/validate.c user/cli/diff.c user/cli/options.c user/stats/gate.c user/stats/perftarget.c \
	user/stats/verdict.c user/stats/wlhealth.c user/stats/stats.c user/output/html.c user/output/html_shapes.c \
	user/output/flamegraph.c user/output/stackset.c user/lib/strmap.c user/history/trend.c
FUZZ_ALL     := suites manifest httpresp endpoint profile
FUZZ_BINS    := $(patsubst %,$(FUZZ_OUT)/fuzz_%,$(FUZZ_ALL))

$(FUZZ_OUT)/obj/%.o: %.c | $(BPF_SKELS)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

define fuzz_link
$(FUZZ_OUT)/fuzz_$(1): $(FUZZ_OUT)/obj/fuzz/fuzz_$(1).o $(patsubst %.c,$(FUZZ_OUT)/obj/%.o,$(FUZZ_SRCS_$(1)))
	$$(call msg,FUZZ-LD,$$@)
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $$^ $(LDLIBS) -o $$@
endef
$(foreach t,$(FUZZ_ALL),$(eval $(call fuzz_link,$(t))))

.PHONY: fuzz-build fuzz fuzz-smoke check-asan
fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	$(Q)FUZZ_SECS=$(FUZZ_SECS) fuzz/run.sh $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build
	$(Q)FUZZ_SECS=10 fuzz/run.sh $(FUZZ_TARGETS)

# The unit tests built again with -fsanitize=address,undefined (gcc, the main build's warnings),
# in build-asan/, and run: any sanitizer report fails the test binary.
ASAN_OUT    := build-asan
ASAN_FLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_OBJS   := $(patsubst $(OUT)/%,$(ASAN_OUT)/%,$(USER_OBJS)) # the main build's objects, instrumented
ASAN_BINS   := $(patsubst tests/unit/%.c,$(ASAN_OUT)/tests/%,$(UNIT_SRCS))

$(ASAN_OUT)/user/%.o: user/%.c | $(BPF_SKELS) $(OUT)/gen/profile.pb-c.h
	$(call msg,ASAN-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -O1 $(ASAN_FLAGS) -c $< -o $@

$(ASAN_OUT)/gen/%.o: $(OUT)/gen/%.c
	$(call msg,ASAN-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -O1 $(ASAN_FLAGS) -c $< -o $@

$(ASAN_OUT)/tests/%: tests/unit/%.c $(ASAN_OBJS)
	$(call msg,ASAN-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -O1 $(ASAN_FLAGS) $< $(ASAN_OBJS) $(LDLIBS) -lcmocka -o $@

check-asan: $(ASAN_BINS)
	$(Q)tests/run-asan.sh $(ASAN_BINS)

-include $(wildcard $(OUT)/*/*.d $(OUT)/*/*/*.d)
-include $(wildcard $(FUZZ_OUT)/obj/*/*.d $(FUZZ_OUT)/obj/*/*/*.d $(ASAN_OUT)/*/*.d $(ASAN_OUT)/*/*/*.d)
