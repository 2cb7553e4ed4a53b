# iommu-setup — see README.md
PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
DRACUTDIR ?= $(PREFIX)/lib/dracut/modules.d
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
# the kernel hooks (kernel/): kernel-install's plugins are under /usr/lib
# whatever the prefix; Debian's postinst.d hooks under /etc
KERNELINSTALLDIR ?= /usr/lib/kernel/install.d
KERNELPOSTINSTDIR ?= /etc/kernel/postinst.d
# the binding by address (shell/iommu-setup-bind.sh, one source file): the
# initramfs-tools hook and boot script and the udev rule live where those
# tools look, whatever the prefix; the library and the udev helper at the
# fixed path the scripts source and the rule runs
ITOOLSDIR ?= /usr/share/initramfs-tools
UDEVRULESDIR ?= /usr/lib/udev/rules.d
BINDLIBDIR = /usr/lib/iommu-setup
DESTDIR ?=
VERSION := 0.1

CC ?= cc
CLANG ?= clang
PKG_CONFIG ?= pkg-config
DEPS = libkmod blkid efivar libpci

WARN = -Wall -Wextra -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes -Wshadow \
       -Wno-unused-parameter
# Warnings are errors in CI (CI=true) and on request (WERROR=1).
ifneq ($(filter true 1,$(CI) $(WERROR)),)
WARN += -Werror
endif
CFLAGS ?= -O2 -g
BASE_CFLAGS = -std=gnu11 $(WARN) -D_GNU_SOURCE -DVERSION='"$(VERSION)"' \
	      -DRULES_DIR='"$(DATADIR)/iommu-setup/rules.d"' -Isrc \
	      $(shell $(PKG_CONFIG) --cflags $(DEPS) 2>/dev/null)
# libefivar is dlopen()ed (src/gather/boot.c): its backend is chosen when it loads, from
# EFIVARFS_PATH, which must point into --root first. Headers only at build time.
LDLIBS_DEPS = $(shell $(PKG_CONFIG) --libs libkmod blkid libpci 2>/dev/null) -ldl
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# The layers are folders (src/README.md). The pure ones do no I/O: they are
# unit-tested and fuzzed on their own, and build-aux/check-layers holds them
# (and the I/O layers) to their rules. The lists come from the folders.
PURE_DIRS = base acpi facts decide report
IO_DIRS = root gather act cli
PURE_SRC = $(foreach d,$(PURE_DIRS),$(sort $(wildcard src/$(d)/*.c)))
IO_SRC = $(foreach d,$(IO_DIRS),$(sort $(wildcard src/$(d)/*.c)))
SRC = $(PURE_SRC) $(IO_SRC)
# the root object, which the unit tests of the root layer link too
ROOT_SRC = $(sort $(wildcard src/root/*.c))
HDR = $(wildcard src/*/*.h)

B = build
BIN = $(B)/iommu-setup
ASAN_BIN = $(B)/asan/iommu-setup
# unit tests, one program per module (tests/unit/test-*.c), and the helpers
# the corpus checkers drive: all link the pure folders only, as an archive;
# test-root, the root layer's own test, links src/root/ too
UNIT_TESTS = $(patsubst tests/unit/test-%.c,$(B)/asan/unit/test-%,$(wildcard tests/unit/test-*.c))
HELPERS = $(B)/asan/shellvars-eval $(B)/asan/grub-edit $(B)/asan/nextboot-plan
FUZZERS = $(B)/fuzz/fuzz-dmar $(B)/fuzz/fuzz-ivrs $(B)/fuzz/fuzz-cpuinfo $(B)/fuzz/fuzz-shellvars \
	  $(B)/fuzz/fuzz-grub-edit $(B)/fuzz/fuzz-record $(B)/fuzz/fuzz-nextboot \
	  $(B)/fuzz/fuzz-readiness $(B)/fuzz/fuzz-trial
FUZZ_SECONDS ?= 30
# the test runner's parallel jobs (tests/run -j): one per core
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all run check check-layers check-vm check-e2e fuzz fuzz-build install uninstall clean deps \
	deps-test update-golden format format-check test-programs

all: $(BIN) $(B)/iommu-setup.8

$(B)/iommu-setup.8: man/iommu-setup.8.scd
	@mkdir -p $(@D)
	scdoc < $< > $@

$(BIN): $(SRC) $(HDR) Makefile
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $(SRC) $(LDLIBS_DEPS) $(LDLIBS)

$(ASAN_BIN): $(SRC) $(HDR) Makefile
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -O1 -g $(SAN_FLAGS) -o $@ $(SRC) $(LDLIBS_DEPS)

# the pure folders as archives: with ASan/UBSan for the unit tests and
# helpers, with libFuzzer's instrumentation for the fuzzers
$(B)/asan/pure/%.o: src/%.c $(HDR) Makefile
	@mkdir -p $(@D)
	@$(CC) $(BASE_CFLAGS) -O1 -g $(SAN_FLAGS) -c -o $@ $<
$(B)/asan/libpure.a: $(patsubst src/%.c,$(B)/asan/pure/%.o,$(PURE_SRC))
	@rm -f $@ && ar rcs $@ $^
$(B)/asan/libroot.a: $(patsubst src/%.c,$(B)/asan/pure/%.o,$(ROOT_SRC))
	@rm -f $@ && ar rcs $@ $^

$(B)/asan/unit/test-%: tests/unit/test-%.c tests/unit/unit.h $(B)/asan/libpure.a $(B)/asan/libroot.a
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -O1 -g $(SAN_FLAGS) -Itests/unit -o $@ $< \
		$(if $(filter root,$*),$(B)/asan/libroot.a) $(B)/asan/libpure.a

$(HELPERS): $(B)/asan/%: tests/unit/%.c $(B)/asan/libpure.a
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -O1 -g $(SAN_FLAGS) -Itests/unit -o $@ $< $(B)/asan/libpure.a

FUZZ_CFLAGS = $(BASE_CFLAGS) -O1 -g -fsanitize=fuzzer-no-link,address,undefined \
	      -fno-sanitize-recover=all
FUZZ_LINK = -fsanitize=fuzzer,address,undefined
$(B)/fuzz/pure/%.o: src/%.c $(HDR) Makefile
	@mkdir -p $(@D)
	@$(CLANG) $(FUZZ_CFLAGS) -c -o $@ $<
$(B)/fuzz/libpure.a: $(patsubst src/%.c,$(B)/fuzz/pure/%.o,$(PURE_SRC))
	@rm -f $@ && ar rcs $@ $^

$(B)/fuzz/fuzz-dmar: fuzz/fuzz-acpi.c $(B)/fuzz/libpure.a
	$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_LINK) -o $@ $< $(B)/fuzz/libpure.a

$(B)/fuzz/fuzz-ivrs: fuzz/fuzz-acpi.c $(B)/fuzz/libpure.a
	$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_LINK) -DFUZZ_IVRS -o $@ $< $(B)/fuzz/libpure.a

$(B)/fuzz/fuzz-cpuinfo $(B)/fuzz/fuzz-shellvars $(B)/fuzz/fuzz-grub-edit $(B)/fuzz/fuzz-record \
$(B)/fuzz/fuzz-nextboot $(B)/fuzz/fuzz-readiness $(B)/fuzz/fuzz-trial: $(B)/fuzz/fuzz-%: fuzz/fuzz-%.c $(B)/fuzz/libpure.a
	$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_LINK) -o $@ $< $(B)/fuzz/libpure.a

test-programs: $(UNIT_TESTS) $(HELPERS)

# One object per source, for build-aux/check-layers (nm reads what each calls)
LAYER_OBJS = $(patsubst %.c,$(B)/obj/%.o,$(SRC))
$(B)/obj/%.o: %.c $(HDR) Makefile
	@mkdir -p $(@D)
	@$(CC) $(BASE_CFLAGS) -O0 -c -o $@ $<

check-layers: $(LAYER_OBJS)
	@build-aux/check-layers $(B)/obj

deps:
	@build-aux/install-deps build

deps-test:
	@build-aux/install-deps test

# Build and run the read-only readiness report on this machine. "Not ready"
# (exit 1) is a finding, not a failure of the tool.
run: deps
	@$(MAKE) --no-print-directory all
	@IOMMU_SETUP_RULES_DIR=data/vendor-rules ./$(BIN) check; s=$$?; echo "(iommu-setup check exited with status $$s)"; [ $$s -le 1 ]

# the layer rules first (build-aux/check-layers), then every case of
# tests/ts/ through tests/run, $(JOBS) at a time; TESTS=... selects cases
# (tests/run --list shows them; not globbed by the shell: 'kernel/*' and
# 'fuzz/*' are folders of the tree too); in CI (CI=true) a skipped case fails
check: deps-test
	@$(MAKE) -j $(JOBS) --no-print-directory all $(ASAN_BIN) test-programs fuzz-build
	@$(MAKE) -j $(JOBS) --no-print-directory check-layers
	@set -f; tests/run -j $(JOBS) --build $(B) --fuzz-seconds $(FUZZ_SECONDS) \
		$(if $(filter true 1,$(CI)),--strict) $(TESTS)

fuzz-build: $(FUZZERS)

fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run-fuzz $(B)

# Real-kernel tests: QEMU guests with emulated Intel and AMD IOMMUs (tests/vm/)
check-vm: $(BIN)
	tests/vm/run-all

# End to end: Debian 12 images with dracut and with initramfs-tools, apply
# --device in a first boot, booted with an Intel, an AMD and no IOMMU; an
# image configured in its chroot with --hardware any (tests/e2e/, about 35
# minutes)
check-e2e: $(BIN)
	tests/e2e/run-e2e

# make dist, make deb, make rpm (packaging/packaging.mk)
include packaging/packaging.mk

update-golden: $(BIN)
	tests/update-golden $(BIN)

install: $(BIN) $(B)/iommu-setup.8
	install -Dm0755 $(BIN) $(DESTDIR)$(SBINDIR)/iommu-setup
	install -Dm0644 $(B)/iommu-setup.8 $(DESTDIR)$(MANDIR)/man8/iommu-setup.8
	install -d $(DESTDIR)$(DATADIR)/iommu-setup/rules.d
	for f in data/vendor-rules/*.rules; do \
		[ -e "$$f" ] || continue; \
		install -m0644 "$$f" $(DESTDIR)$(DATADIR)/iommu-setup/rules.d/; \
	done
	install -Dm0755 dracut/50iommu-setup/module-setup.sh \
		$(DESTDIR)$(DRACUTDIR)/50iommu-setup/module-setup.sh
	install -Dm0755 dracut/50iommu-setup/iommu-setup-bind.sh \
		$(DESTDIR)$(DRACUTDIR)/50iommu-setup/iommu-setup-bind.sh
	install -Dm0644 shell/iommu-setup-bind.sh $(DESTDIR)$(DRACUTDIR)/50iommu-setup/iommu-setup-lib.sh
	install -Dm0644 shell/iommu-setup-bind.sh $(DESTDIR)$(BINDLIBDIR)/iommu-setup-bind.sh
	install -Dm0755 udev/iommu-setup-udev $(DESTDIR)$(BINDLIBDIR)/iommu-setup-udev
	install -Dm0644 udev/40-iommu-setup.rules $(DESTDIR)$(UDEVRULESDIR)/40-iommu-setup.rules
	install -Dm0755 initramfs-tools/hooks/iommu-setup $(DESTDIR)$(ITOOLSDIR)/hooks/iommu-setup
	install -Dm0755 initramfs-tools/scripts/init-top/iommu-setup \
		$(DESTDIR)$(ITOOLSDIR)/scripts/init-top/iommu-setup
	install -Dm0644 completion/iommu-setup.bash $(DESTDIR)$(BASHCOMPDIR)/iommu-setup
	install -Dm0644 schema/iommu-setup-1.json $(DESTDIR)$(DATADIR)/iommu-setup/schema/iommu-setup-1.json
	install -Dm0755 kernel/95-iommu-setup.install \
		$(DESTDIR)$(KERNELINSTALLDIR)/95-iommu-setup.install
	install -Dm0755 kernel/zzz-iommu-setup $(DESTDIR)$(KERNELPOSTINSTDIR)/zzz-iommu-setup

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/iommu-setup $(DESTDIR)$(MANDIR)/man8/iommu-setup.8
	rm -rf $(DESTDIR)$(DATADIR)/iommu-setup $(DESTDIR)$(DRACUTDIR)/50iommu-setup
	rm -f $(DESTDIR)$(BASHCOMPDIR)/iommu-setup
	rm -rf $(DESTDIR)$(BINDLIBDIR)
	rm -f $(DESTDIR)$(UDEVRULESDIR)/40-iommu-setup.rules $(DESTDIR)$(ITOOLSDIR)/hooks/iommu-setup \
		$(DESTDIR)$(ITOOLSDIR)/scripts/init-top/iommu-setup
	rm -f $(DESTDIR)$(KERNELINSTALLDIR)/95-iommu-setup.install \
		$(DESTDIR)$(KERNELPOSTINSTDIR)/zzz-iommu-setup

FORMATTED = src/*/*.c src/*/*.h tests/unit/*.c fuzz/*.c

format:
	clang-format -i $(FORMATTED)

format-check:
	clang-format --dry-run -Werror $(FORMATTED)

clean:
	rm -rf $(B)
