# TIP: top-level, non-recursive Makefile.
#
# Honours CC, CROSS_COMPILE, CPPFLAGS, CFLAGS, LDFLAGS, DESTDIR, PREFIX and
# O= (out-of-tree build folder, default ./build).  Flags the code needs live
# in TIP_* variables so `make CFLAGS=...` (OpenWrt, Buildroot) cannot drop
# them.  The configuration is $(O)/.config (Kconfig); without one, `make`
# starts from configs/defconfig.
#
#   make defconfig | menuconfig | all | check | bench | demo | install | clean

O ?= build
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DEFCONFIG ?= configs/defconfig

ifeq ($(origin CC),default)
CC := $(CROSS_COMPILE)gcc
endif
ifeq ($(origin AR),default)
AR := $(CROSS_COMPILE)ar
endif

CFLAGS ?= -O2 -g
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

# _FILE_OFFSET_BITS=64: 64-bit off_t and getdents64 on 32-bit targets.
# Without it readdir fails with EOVERFLOW on ext4 under a 64-bit kernel
# (armhf userland on arm64, qemu-arm) and stat fails on files >= 2 GiB.
TIP_CPPFLAGS := -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DTIP_VERSION='"$(VERSION)"' -I$(O)/include

# Layering: each folder is compiled with only the headers it may use, so a
# wrong include does not compile: store/ its own, sensor/ and tools/
# store's and their own, tests/ all.  scripts/deps-graph.sh checks the
# same rules (and the ones the compiler cannot see); `make deps-graph`
# prints the graph.  -iquote: project headers (sensor/sched.h) must not
# shadow system ones (<sched.h>).
iquote_store := -iquote store
iquote_sensor := -iquote store -iquote sensor
iquote_tools := -iquote store -iquote tools
iquote_tests := -iquote store -iquote sensor -iquote tools
iquote = $(or $(iquote_$(firstword $(subst /, ,$(1)))),$(iquote_tests))
# A parameter the program's code ignores is marked TIP_UNUSED (cdefs.h),
# so -Wextra shows a leftover; cmocka's test functions all take a
# `void **state` that most of them ignore, so tests/ go without the warning.
cflags_tests := -Wno-unused-parameter
# libev's watcher macros (ev_init, ev_timer_set...) reach a watcher through
# casts to its base types, which is type punning under C's aliasing rules.
# GCC warns of it wherever ev.h is not a system header (OpenWrt's staging
# dir, a sysroot given with -I) and may optimise on it everywhere: the
# folders whose code uses libev are compiled without strict aliasing, as
# the kernel is; store/ keeps it (doc/decisions.md).
cflags_sensor := -fno-strict-aliasing
cflags_tools := -fno-strict-aliasing
cflags_tests += -fno-strict-aliasing
TIP_CFLAGS := -std=gnu11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-pthread -MMD -MP
TIP_LDFLAGS := -pthread
# Size (tipd's budget, tests/bench/tipd.sh): each function and object in a
# section of its own and the unused ones dropped at link (the store
# library holds code only tip calls); no .eh_frame, which only C++
# exceptions, pthread_cancel/pthread_exit and backtrace() read (none is
# used: threads return from their function; gdb reads -g's .debug_frame).
# Together about 57 KB of an -Os tipd on amd64 (doc/decisions.md).
TIP_CFLAGS += -ffunction-sections -fdata-sections
TIP_LDFLAGS += -Wl,--gc-sections
ifeq ($(SANITIZE),1)
TIP_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
TIP_LDFLAGS += -fsanitize=address,undefined
endif
# (kept for the sanitizer and fuzz builds: their reports unwind through them)
ifeq ($(SANITIZE)$(FUZZ_BUILD),)
TIP_CFLAGS += -fno-asynchronous-unwind-tables -fno-unwind-tables
endif

# Kernel-style output: one "  CC      store/rec.o" line a step; `make V=1`
# prints the commands in full, `make -s` neither.
ifeq ($(V),1)
Q :=
say :=
else
Q := @
ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
say :=
else
say = @printf '  %-7s %s\n' '$(1)' '$(patsubst $(O)/%,%,$(2))'
endif
endif

# -lbearssl: SHA-256 of mail and attachments (store/mail.c)
LIBS_STORE := -lcdb -lbearssl
LIBS_SENSOR := -lev -ludns -lcdb
LIBS_TLS := -lbearssl
LIBS_TEST := -lcmocka

config := $(O)/.config
cfghdr := $(O)/include/tip_config.h

# The .config is make syntax: including it makes make build it first (by
# the $(config) rule below) and restart with its values, so a fresh clone's
# `make check` builds the programs the default configuration selects.
ifeq ($(filter defconfig %_defconfig menuconfig distclean check-fresh,$(MAKECMDGOALS)),)
-include $(config)
endif
cfg_on = $(if $(filter y,$(CONFIG_$(1))),1)

# store/peer.c (keys and pinning for sharing) needs BearSSL: it is linked
# into tip and tipd only, never into libtipstore, so the store-only
# programs (tests/cross) build without it.
store_src := $(filter-out store/peer.c,$(wildcard store/*.c))
tools_src := $(wildcard tools/*.c)
sensor_src := $(wildcard sensor/*.c)
unit_src := $(wildcard tests/unit/test_*.c)
bench_src := $(wildcard tests/bench/bench_*.c)
helper_src := $(wildcard tests/helpers/*.c)

store_obj := $(store_src:%.c=$(O)/%.o)
tools_obj := $(filter-out $(O)/tools/main.o,$(tools_src:%.c=$(O)/%.o))
sensor_obj := $(filter-out $(O)/sensor/main.o,$(sensor_src:%.c=$(O)/%.o))
unit_bin := $(unit_src:tests/unit/%.c=$(O)/tests/%)
bench_bin := $(bench_src:tests/bench/%.c=$(O)/tests/%)
helper_bin := $(helper_src:tests/helpers/%.c=$(O)/tests/%)

progs :=
ifeq ($(call cfg_on,TIP),1)
progs += $(O)/tip
endif
ifeq ($(call cfg_on,TIPD),1)
progs += $(O)/tipd
endif
ifeq ($(call cfg_on,TLS),1)
LIBS_SENSOR += $(LIBS_TLS)
peer_obj := $(O)/store/peer.o
endif
# zlib: gzip feeds, for the modules that fetch (FETCH_GZIP in sensor/fetch.h).
ifneq ($(call cfg_on,MODULE_BLACKLIST)$(call cfg_on,MODULE_SPAMTRAP),)
LIBS_SENSOR += -lz
endif

.PHONY: all defconfig menuconfig oldconfig savedefconfig deps deps-graph tests check check-unit \
	check-asan check-cross check-fresh store-tests bench demo demo-offline install clean distclean
.DEFAULT_GOAL := all

all: $(cfghdr) $(progs)

# ---- configuration -------------------------------------------------------
KCONF_ENV = KCONFIG_CONFIG=$(config) KCONFIG_AUTOHEADER=$(O)/include/generated/autoconf.h \
	KCONFIG_AUTOCONFIG=$(O)/include/config/auto.conf KCONFIG_TRISTATE=$(O)/include/config/tristate.conf

defconfig:
	@mkdir -p $(O)/include/config $(O)/include/generated
	@$(KCONF_ENV) kconfig-conf --defconfig=$(DEFCONFIG) Kconfig >/dev/null
	@$(MAKE) -s --no-print-directory $(cfghdr)
	@echo "configured $(O) from $(DEFCONFIG)"

%_defconfig:
	@$(MAKE) --no-print-directory defconfig DEFCONFIG=configs/$@

menuconfig: | $(config)
	@$(KCONF_ENV) kconfig-mconf Kconfig

oldconfig: | $(config)
	@$(KCONF_ENV) kconfig-conf --olddefconfig Kconfig

savedefconfig: | $(config)
	@$(KCONF_ENV) kconfig-conf --savedefconfig=$(O)/defconfig Kconfig && echo "wrote $(O)/defconfig"

$(config):
	@scripts/deps.sh build
	@$(MAKE) --no-print-directory defconfig

$(cfghdr): $(config) Kconfig scripts/kconfig-header.sh
	@mkdir -p $(dir $@)
	@scripts/kconfig-header.sh Kconfig $(config) > $@.tmp && mv $@.tmp $@

deps:
	@scripts/deps.sh build

# ---- objects and programs ------------------------------------------------
$(O)/%.o: %.c | $(cfghdr)
	@mkdir -p $(dir $@)
	$(call say,CC,$@)
	$(Q)$(CC) $(TIP_CPPFLAGS) $(call iquote,$<) $(CPPFLAGS) $(TIP_CFLAGS) \
		$(cflags_$(firstword $(subst /, ,$<))) $(CFLAGS) -c -o $@ $<

$(O)/libtipstore.a: $(store_obj)
	@rm -f $@
	$(call say,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(O)/libtipsensor.a: $(sensor_obj)
	@rm -f $@
	$(call say,AR,$@)
	$(Q)$(AR) rcs $@ $^ $(if $^,,$(error no sensor objects))

$(O)/libtiptools.a: $(tools_obj)
	@rm -f $@
	$(call say,AR,$@)
	$(Q)$(AR) rcs $@ $^

# LIBS_TIP: libev for `tip serve`'s event loop (the one library tip adds
# to the store's; the sensor links it already).
# BearSSL for `tip pull` and `tip keygen` when TLS is configured.
LIBS_TIP := -lev
ifeq ($(call cfg_on,TLS),1)
LIBS_TIP += $(LIBS_TLS)
endif

$(O)/tip: $(O)/tools/main.o $(O)/libtiptools.a $(peer_obj) $(O)/libtipstore.a
	$(call say,LD,$@)
	$(Q)$(CC) $(TIP_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_TIP) $(LIBS_STORE) -lm $(LDLIBS)

$(O)/tipd: $(O)/sensor/main.o $(O)/libtipsensor.a $(peer_obj) $(O)/libtipstore.a
	$(call say,LD,$@)
	$(Q)$(CC) $(TIP_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_SENSOR) $(LDLIBS)

# ---- tests ---------------------------------------------------------------
test_libs = $(O)/libtiptools.a $(if $(sensor_obj),$(O)/libtipsensor.a) $(peer_obj) $(O)/libtipstore.a
test_ldlibs = $(LIBS_TEST) $(if $(sensor_obj),$(LIBS_SENSOR)) $(LIBS_TIP) $(LIBS_STORE) -lm $(LDLIBS)

$(O)/tests/test_%: $(O)/tests/unit/test_%.o $(test_libs)
	$(call say,LD,$@)
	$(Q)$(CC) $(TIP_LDFLAGS) $(LDFLAGS) -o $@ $^ $(test_ldlibs)

$(O)/tests/bench_%: $(O)/tests/bench/bench_%.o $(test_libs)
	$(call say,LD,$@)
	$(Q)$(CC) $(TIP_LDFLAGS) $(LDFLAGS) -o $@ $^ $(test_ldlibs) -lsqlite3

$(O)/tests/%: $(O)/tests/helpers/%.o $(test_libs)
	$(call say,LD,$@)
	$(Q)$(CC) $(TIP_LDFLAGS) $(LDFLAGS) -o $@ $^ $(test_ldlibs)

# Store-only programs: the store's unit tests (test_M.c for each store/M.c,
# or the list in STORE_TESTS) and the helpers that write and read stores.
# They link libtipstore alone, whatever the configuration, so they build
# for any target the store builds for: tests/cross/run.sh runs
# `make store-tests` for s390x and armhf against sysroots that have tinycdb
# and cmocka but no libev or udns.  These explicit rules take precedence
# over the pattern rules above, which link the sensor library too.
STORE_TESTS ?= $(patsubst store/%.c,%,$(store_src))
store_test_bin := $(patsubst tests/unit/%.c,$(O)/tests/%,\
	$(filter $(STORE_TESTS:%=tests/unit/test_%.c),$(unit_src)))
store_helper_bin := $(filter $(O)/tests/mkstore $(O)/tests/storecat,$(helper_bin))

$(store_test_bin): $(O)/tests/test_%: $(O)/tests/unit/test_%.o $(O)/libtipstore.a
	$(call say,LD,$@)
	$(Q)$(CC) $(TIP_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_TEST) $(LIBS_STORE) -lm $(LDLIBS)

$(store_helper_bin): $(O)/tests/%: $(O)/tests/helpers/%.o $(O)/libtipstore.a
	$(call say,LD,$@)
	$(Q)$(CC) $(TIP_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_STORE) -lm $(LDLIBS)

store-tests: $(cfghdr) $(store_test_bin) $(store_helper_bin)

tests: all $(unit_bin) $(helper_bin)

# The feed tests again against the parser's portable word path, the one
# routers run (FEED_SSE2=0 in store/feed.c), so an amd64 `make check-unit`
# checks both: store/feed.c compiled a second time, linked ahead of the
# library so that its feed.o is not taken.  test_feed_nosse_os builds it
# at -Os as well, a router's build, which leaves the parser's line loops
# out (FEED_FAST in store/feed.c): each path the ports take is tested.
# test_feed_nossse3 is the SSE2 path that an x86 CPU without SSSE3 takes
# (FEED_SSSE3=0), where test_feed takes the SSSE3 one on a CPU that has it.
$(O)/store/feed-nossse3.o: store/feed.c | $(cfghdr)
	@mkdir -p $(dir $@)
	$(call say,CC,$@)
	$(Q)$(CC) $(TIP_CPPFLAGS) $(call iquote,$<) $(CPPFLAGS) -DFEED_SSSE3=0 $(TIP_CFLAGS) \
		$(cflags_store) $(CFLAGS) -c -o $@ $<

$(O)/store/feed-nosse.o: store/feed.c | $(cfghdr)
	@mkdir -p $(dir $@)
	$(call say,CC,$@)
	$(Q)$(CC) $(TIP_CPPFLAGS) $(call iquote,$<) $(CPPFLAGS) -DFEED_SSE2=0 $(TIP_CFLAGS) \
		$(cflags_store) $(CFLAGS) -c -o $@ $<

$(O)/store/feed-nosse_os.o: store/feed.c | $(cfghdr)
	@mkdir -p $(dir $@)
	$(call say,CC,$@)
	$(Q)$(CC) $(TIP_CPPFLAGS) $(call iquote,$<) $(CPPFLAGS) -DFEED_SSE2=0 $(TIP_CFLAGS) \
		$(cflags_store) $(CFLAGS) -Os -c -o $@ $<

$(O)/tests/test_feed_nosse $(O)/tests/test_feed_nosse_os $(O)/tests/test_feed_nossse3: \
		$(O)/tests/test_feed_%: \
		$(O)/tests/unit/test_feed.o $(O)/store/feed-%.o $(O)/libtipstore.a
	$(call say,LD,$@)
	$(Q)$(CC) $(TIP_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_TEST) $(LIBS_STORE) -lm $(LDLIBS)

tests: $(O)/tests/test_feed_nosse $(O)/tests/test_feed_nosse_os $(O)/tests/test_feed_nossse3

# `make check` is the README's test command and all CI runs: plain unit
# tests, the same under ASan+UBSan, integration tests with real servers,
# and the store tests on big-endian and 32-bit targets under qemu-user.
check:
	@scripts/deps.sh check cross
	@scripts/deps-graph.sh -q
	@$(MAKE) --no-print-directory tests
	@tests/check.sh "$(O)"

check-unit: tests
	@tests/run-unit.sh "$(O)"

# The cross-architecture stage of `make check` alone (tests/cross/run.sh).
check-cross:
	@scripts/deps.sh cross
	@tests/cross/run.sh "$(O)"

# The include graph of store/, sensor/ and tools/, checked against the
# layering above; fails on a file that includes what its folder may not.
deps-graph:
	@scripts/deps-graph.sh

bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory all $(bench_bin) $(helper_bin) CFLAGS="-O2 -g"
	@tests/bench/run.sh "$(O)"

# The main job: tipd's fast-flux module against a PowerDNS scenario on
# loopback for about a minute, then the flux table, the top domain's
# addresses and its graph.  demo-offline shows the tools on imported
# passive DNS, no sensor and no server.
demo:
	@scripts/deps.sh demo
	@$(MAKE) --no-print-directory all
	@scripts/demo-live.sh "$(O)"

# The README's two commands on a brand-new Debian 12 root (mmdebstrap), as
# a new user's machine runs them; CI runs this (.ci/run).  Needs root.
check-fresh:
	@scripts/check-fresh.sh

demo-offline:
	@scripts/deps.sh build
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh "$(O)"

# ==== fuzz targets (tests/fuzz/README.md) ==================================
# Each tests/fuzz/fuzz_<surface>.c defines LLVMFuzzerTestOneInput and is
# built twice:
#   $(O)/tests/fuzz_<surface>   with $(CC) and tests/fuzz/replay.c's main(),
#                               which feeds it every file of a corpus (built
#                               by `make tests`, so the ASan build has it too);
#   $(O)/fuzz/fuzz_<surface>    with clang -fsanitize=fuzzer,address,undefined
#                               against the project's objects built again in
#                               $(O)/fuzz/obj (`make fuzz-build`).
# `make fuzz` runs each libFuzzer target for FUZZ_S seconds (FUZZ=name runs
# one), growing tests/fuzz/corpus/<surface>/ in $(O)/fuzz/corpus.
FUZZ_CC ?= clang
FUZZ_S ?= 60
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
fuzz_src := $(wildcard tests/fuzz/fuzz_*.c)
fuzz_names := $(fuzz_src:tests/fuzz/%.c=%)
fuzz_common := $(O)/tests/fuzz/util.o $(O)/tests/fuzz/stubs.o
fuzz_replay_bin := $(fuzz_names:%=$(O)/tests/%)

$(O)/tests/fuzz_%: $(O)/tests/fuzz/fuzz_%.o $(O)/tests/fuzz/replay.o $(fuzz_common) $(test_libs)
	$(call say,LD,$@)
	$(Q)$(CC) $(TIP_LDFLAGS) $(LDFLAGS) -o $@ $^ $(test_ldlibs)

tests: $(fuzz_replay_bin)
.SECONDARY: $(fuzz_src:%.c=$(O)/%.o) $(O)/tests/fuzz/replay.o

ifeq ($(FUZZ_BUILD),1)
# The inner build of fuzz-build: every object with coverage for libFuzzer.
TIP_CFLAGS += -fsanitize=fuzzer-no-link $(FUZZ_SAN)
TIP_LDFLAGS += $(FUZZ_SAN)
$(O)/lf/fuzz_%: $(O)/tests/fuzz/fuzz_%.o $(fuzz_common) $(test_libs)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) -fsanitize=fuzzer $(TIP_LDFLAGS) $(LDFLAGS) -o $@ $^ $(test_ldlibs)
fuzz-inner: $(cfghdr) $(fuzz_names:%=$(O)/lf/%)
endif

.PHONY: fuzz fuzz-build fuzz-inner check-fuzz
fuzz-build: | $(config)
	@scripts/deps.sh fuzz
	@mkdir -p $(O)/fuzz/obj
	@cmp -s $(O)/.config $(O)/fuzz/obj/.config || cp $(O)/.config $(O)/fuzz/obj/.config
	@$(MAKE) --no-print-directory O=$(O)/fuzz/obj CC=$(FUZZ_CC) FUZZ_BUILD=1 CFLAGS="-O1 -g" fuzz-inner
	@for n in $(fuzz_names); do ln -sf obj/lf/$$n $(O)/fuzz/$$n; done

fuzz: fuzz-build
	@tests/fuzz/run.sh "$(O)" "$(FUZZ_S)" $(FUZZ)

# The fuzz stage of `make check` alone: replay every corpus (plain and
# ASan builds) and run each libFuzzer target for a few seconds.
check-fuzz: tests
	@tests/fuzz/check.sh "$(O)"

# Fault injection (tests/integration/faults.sh): an LD_PRELOAD shim that
# fails the N-th write, fsync, rename, ... under a path.  Built without the
# sanitizers whatever SANITIZE says: it is preloaded into any build.
$(O)/tests/faultinj.so: tests/fault/faultinj.c
	@mkdir -p $(dir $@)
	$(call say,CC,$@)
	$(Q)$(CC) -shared -fPIC -O1 -g -Wall -Wextra -o $@ $< -ldl
# The seccomp test's shim (tests/integration/sandbox.sh): a forbidden call on SIGUSR2.
$(O)/tests/forbidden.so: tests/fault/forbidden.c
	@mkdir -p $(dir $@)
	$(call say,CC,$@)
	$(Q)$(CC) -shared -fPIC -O1 -g -Wall -Wextra -o $@ $<
# The clock-step test's shim: CLOCK_REALTIME offset by a file's seconds.
$(O)/tests/clockstep.so: tests/fault/clockstep.c
	@mkdir -p $(dir $@)
	$(call say,CC,$@)
	$(Q)$(CC) -shared -fPIC -O1 -g -Wall -Wextra -o $@ $< -ldl
tests: $(O)/tests/faultinj.so $(O)/tests/forbidden.so $(O)/tests/clockstep.so
# ==== end of fuzz targets and fault injection ==============================

# ---- install -------------------------------------------------------------
# The example configuration goes to $(SYSCONFDIR)/tipd.conf.example, and
# to $(SYSCONFDIR)/tipd.conf only when there is none: an operator's file is
# never overwritten.
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)
	$(if $(filter $(O)/tip,$(progs)),install -m 0755 $(O)/tip $(DESTDIR)$(BINDIR)/tip)
	$(if $(filter $(O)/tipd,$(progs)),install -m 0755 $(O)/tipd $(DESTDIR)$(SBINDIR)/tipd)
	for m in $(wildcard doc/*.1); do install -m 0644 $$m $(DESTDIR)$(MANDIR)/man1/; done
	for m in $(wildcard doc/*.5); do install -m 0644 $$m $(DESTDIR)$(MANDIR)/man5/; done
	for m in $(wildcard doc/*.8); do install -m 0644 $$m $(DESTDIR)$(MANDIR)/man8/; done
	install -m 0644 configs/tipd.conf.example $(DESTDIR)$(SYSCONFDIR)/tipd.conf.example
	[ -e $(DESTDIR)$(SYSCONFDIR)/tipd.conf ] || \
		install -m 0644 configs/tipd.conf.example $(DESTDIR)$(SYSCONFDIR)/tipd.conf

clean:
	rm -rf $(O)/store $(O)/tools $(O)/sensor $(O)/tests $(O)/*.a $(O)/tip $(O)/tipd $(O)/asan $(O)/cross $(O)/fuzz

distclean:
	rm -rf $(O)

# The test programs' objects are intermediate files of the pattern rules
# above; kept, so a second `make tests` compiles nothing.
.SECONDARY: $(unit_src:%.c=$(O)/%.o) $(bench_src:%.c=$(O)/%.o) $(helper_src:%.c=$(O)/%.o)

# The dependency files of this build's objects only: $(O)/asan, $(O)/cross
# and the ports' builds below $(O) are other builds with their own.
-include $(shell find $(addprefix $(O)/,store sensor tools tests) -name '*.d' -type f 2>/dev/null)
