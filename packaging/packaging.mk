# Distribution packages; included by the Makefile (VERSION and B come from it).
#
#   make dist   build/iommu-setup-$(VERSION).tar.gz: every file git tracks or
#               would track (untracked but not ignored files too, so that the
#               work tree can be packaged before it is committed), below a
#               top directory iommu-setup-$(VERSION)/. Needs a git work tree.
#   make deb    the .deb (dpkg-buildpackage -b) built from that tarball in
#               build/deb/, so the work tree is never written to.
#   make rpm    the binary RPM (rpmbuild -tb) from that tarball, in build/rpm/;
#               RPMBUILD_FLAGS adds options, on Debian: RPMBUILD_FLAGS=--nodeps
#               (no rpm database of the build dependencies there).

# Guarded, so that `make -f Makefile -f packaging/packaging.mk dist` also works
# once the Makefile includes this file.
ifndef IOMMU_SETUP_PACKAGING_MK
IOMMU_SETUP_PACKAGING_MK := 1
# Wherever the include line is, `make` alone still builds what it did.
packaging_default_goal := $(.DEFAULT_GOAL)

DIST_NAME = iommu-setup-$(VERSION)
DIST_TAR = $(B)/$(DIST_NAME).tar.gz
RPMBUILD_FLAGS ?=
# The package builds run make again, in another tree: this make's flags and
# command-line variables (B=..., which their `make clean` would remove) must
# not reach it through MAKEFLAGS.
PKG_ENV = env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES

.PHONY: dist deb rpm

# The tarball is reproducible: names sorted, owner root, mtimes those of the
# last commit (or SOURCE_DATE_EPOCH), no timestamp in the gzip header.
# Deleted files git still tracks are left out; symbolic links stay links.
dist:
	@git rev-parse --is-inside-work-tree >/dev/null 2>&1 || \
		{ echo "make dist: needs a git work tree (git ls-files lists the files)" >&2; exit 1; }
	@mkdir -p $(B)
	@set -e; \
	epoch=$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || date +%s)}; \
	git ls-files -z --deleted | LC_ALL=C sort -zu >$(DIST_TAR).deleted; \
	git ls-files -z --cached --others --exclude-standard | LC_ALL=C sort -zu | \
		LC_ALL=C comm -z -23 - $(DIST_TAR).deleted >$(DIST_TAR).files; \
	test -s $(DIST_TAR).files; \
	tar --null --no-recursion -T $(DIST_TAR).files --sort=name --owner=0 --group=0 \
		--numeric-owner --mtime=@$$epoch --transform 's,^,$(DIST_NAME)/,S' \
		-cf $(DIST_TAR).tar; \
	gzip -9n <$(DIST_TAR).tar >$(DIST_TAR).tmp; \
	rm -f $(DIST_TAR).deleted $(DIST_TAR).files $(DIST_TAR).tar; \
	mv $(DIST_TAR).tmp $(DIST_TAR)
	@echo "$(DIST_TAR)"

deb: dist
	rm -rf $(B)/deb
	mkdir -p $(B)/deb
	tar -C $(B)/deb -xzf $(DIST_TAR)
	cd $(B)/deb/$(DIST_NAME) && $(PKG_ENV) dpkg-buildpackage -us -uc -b
	@ls $(B)/deb/*.deb

rpm: dist
	rm -rf $(B)/rpm
	$(PKG_ENV) rpmbuild -tb --define "_topdir $(abspath $(B))/rpm" $(RPMBUILD_FLAGS) $(DIST_TAR)
	@find $(B)/rpm/RPMS -name '*.rpm'

.DEFAULT_GOAL := $(packaging_default_goal)
endif
