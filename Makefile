# iommu-setup — see README.md
PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
DRACUTDIR ?= $(PREFIX)/lib/dracut/modules.d
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
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
	      -DRULES_DIR='"$(DATADIR)/iommu-setup/rules.d"' \
	      $(shell $(PKG_CONFIG) --cflags $(DEPS) 2>/dev/null)
# libefivar is dlopen()ed (src/boot.c): its backend is chosen when it loads, from
# EFIVARFS_PATH, which must point into --root first. Headers only at build time.
LDLIBS_DEPS = $(shell $(PKG_CONFIG) --libs libkmod blkid libpci 2>/dev/null) -ldl
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# Pure modules (no I/O): unit-tested and fuzzed on their own.
PURE_SRC = src/acpi.c src/acpi-dmar.c src/acpi-ivrs.c src/acpi-print.c src/json.c \
	   src/cpuinfo.c src/checks.c src/report.c src/cmdline.c src/shellvars.c src/state.c src/tar.c src/devices.c \
	   src/kparams.c src/grub-edit.c src/bootcfg-edit.c src/rules.c src/efi-loadopt.c src/record.c \
	   src/modconf.c src/nextboot.c src/plan.c src/regen-decide.c src/commalist.c src/path-util.c src/textsafe.c src/journal.c
IO_SRC = src/root.c src/host.c src/kernel.c src/modules.c src/boot.c src/log.c \
	 src/pdev.c src/verb-acpi.c src/verb-check.c src/verb-snapshot.c src/verb-devices.c \
	 src/plan-input.c src/rules-load.c src/regen.c src/verb-plan.c src/verb-rules.c \
	 src/verb-apply.c src/verb-revert.c src/apply-report.c src/apply-run.c src/apply-readback.c \
	 src/txn.c src/fileops.c src/exec.c src/probe.c src/output.c
SRC = $(PURE_SRC) $(IO_SRC) src/main.c
# the root object, which the unit tests and their helpers link too
ROOT_SRC = src/root.c src/fileops.c
HDR = $(wildcard src/*.h)

B = build
BIN = $(B)/iommu-setup
ASAN_BIN = $(B)/asan/iommu-setup
UNIT = $(B)/asan/unit-tests
HELPERS = $(B)/asan/shellvars-eval $(B)/asan/grub-edit $(B)/asan/nextboot-plan
FUZZERS = $(B)/fuzz/fuzz-dmar $(B)/fuzz/fuzz-ivrs $(B)/fuzz/fuzz-cpuinfo $(B)/fuzz/fuzz-shellvars \
	  $(B)/fuzz/fuzz-grub-edit $(B)/fuzz/fuzz-record $(B)/fuzz/fuzz-nextboot
FUZZ_SECONDS ?= 30

.PHONY: all run check check-vm check-e2e check-unit fuzz fuzz-build install uninstall clean deps deps-test \
	update-golden format format-check

all: $(BIN) $(B)/iommu-setup.8

$(B)/iommu-setup.8: src/iommu-setup.8.scd
	@mkdir -p $(@D)
	scdoc < $< > $@

$(BIN): $(SRC) $(HDR) Makefile
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $(SRC) $(LDLIBS_DEPS) $(LDLIBS)

$(ASAN_BIN): $(SRC) $(HDR) Makefile
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -O1 -g $(SAN_FLAGS) -o $@ $(SRC) $(LDLIBS_DEPS)

$(UNIT): tests/unit/unit-tests.c $(PURE_SRC) $(ROOT_SRC) $(HDR) Makefile
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -O1 -g $(SAN_FLAGS) -Isrc -o $@ tests/unit/unit-tests.c \
		$(PURE_SRC) $(ROOT_SRC)

$(HELPERS): $(B)/asan/%: tests/unit/%.c $(PURE_SRC) $(ROOT_SRC) $(HDR) Makefile
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -O1 -g $(SAN_FLAGS) -Isrc -o $@ $< $(PURE_SRC) $(ROOT_SRC)

FUZZ_CFLAGS = $(BASE_CFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined \
	      -fno-sanitize-recover=all -Isrc

$(B)/fuzz/fuzz-dmar: fuzz/fuzz-acpi.c $(PURE_SRC) $(HDR) Makefile
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(PURE_SRC)

$(B)/fuzz/fuzz-ivrs: fuzz/fuzz-acpi.c $(PURE_SRC) $(HDR) Makefile
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -DFUZZ_IVRS -o $@ $< $(PURE_SRC)

$(B)/fuzz/fuzz-cpuinfo $(B)/fuzz/fuzz-shellvars $(B)/fuzz/fuzz-grub-edit $(B)/fuzz/fuzz-record \
$(B)/fuzz/fuzz-nextboot: $(B)/fuzz/fuzz-%: fuzz/fuzz-%.c $(PURE_SRC) $(HDR) Makefile
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(PURE_SRC)

deps:
	@build-aux/install-deps build

deps-test:
	@build-aux/install-deps test

# Build and run the read-only readiness report on this machine. "Not ready"
# (exit 1) is a finding, not a failure of the tool.
run: deps
	@$(MAKE) --no-print-directory all
	@IOMMU_SETUP_RULES_DIR=data/vendor-rules ./$(BIN) check; s=$$?; echo "(iommu-setup check exited with status $$s)"; [ $$s -le 1 ]

check: deps-test
	@$(MAKE) --no-print-directory all $(ASAN_BIN) $(UNIT) $(HELPERS) fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run-tests $(B)

fuzz-build: $(FUZZERS)

fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run-fuzz $(B)

# Real-kernel tests: QEMU guests with emulated Intel and AMD IOMMUs (tests/vm/)
check-vm: $(BIN)
	tests/vm/run-all

# End to end: a Debian 12 image with dracut, apply --device in a first boot,
# booted with an Intel, an AMD and no IOMMU (tests/e2e/, about 10 minutes)
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
	install -Dm0644 completion/iommu-setup.bash $(DESTDIR)$(BASHCOMPDIR)/iommu-setup
	install -Dm0644 schema/iommu-setup-1.json $(DESTDIR)$(DATADIR)/iommu-setup/schema/iommu-setup-1.json

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/iommu-setup $(DESTDIR)$(MANDIR)/man8/iommu-setup.8
	rm -rf $(DESTDIR)$(DATADIR)/iommu-setup $(DESTDIR)$(DRACUTDIR)/50iommu-setup
	rm -f $(DESTDIR)$(BASHCOMPDIR)/iommu-setup

FORMATTED = src/*.c src/*.h tests/unit/*.c fuzz/*.c

format:
	clang-format -i $(FORMATTED)

format-check:
	clang-format --dry-run -Werror $(FORMATTED)

clean:
	rm -rf $(B)
