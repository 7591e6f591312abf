#!/usr/bin/env bash
# Builds the Debian package nq-metrics_VERSION_ARCH.deb (cmake/Package.cmake):
# configures the preset deb (prefix /usr, plugin in
# /usr/lib/<multiarch>/neuroquantum/, no tests), builds it, runs cpack, and
# prints the path of the .deb. Needs dpkg-dev (dpkg-shlibdeps) and file (CPack
# runs both) for Depends.
#
# Usage: scripts/build-deb.sh [BUILD_DIR]   (default build/deb)
#   Install it with: apt-get install ./build/deb/nq-metrics_0.1.0_amd64.deb
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build/deb}
case $build in -*) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;; esac

cd "$root"
cmake --preset deb -B "$build" >/dev/null
cmake --build "$build"
rm -f "$build"/nq-metrics_*.deb
(cd "$build" && cpack -G DEB >cpack.log 2>&1) || { cat "$build/cpack.log" >&2; exit 1; }
ls "$build"/nq-metrics_*.deb
