#!/bin/sh
# dracut pre-trigger hook of iommu-setup (sourced by dracut's init): udevd
# runs, no device has been triggered yet, so a driver_override set now wins
# over the native driver that the coldplug would load. The binding itself is
# the shared library (shell/iommu-setup-bind.sh in the source tree), which
# module-setup.sh puts into the image.
# IOMMU_SETUP_LIB: another copy of the library (the tests).
# shellcheck source=shell/iommu-setup-bind.sh
. "${IOMMU_SETUP_LIB:-/usr/lib/iommu-setup/iommu-setup-bind.sh}"
# shellcheck disable=SC2119 # no arguments: every configured function
iommu_setup_bind
