#!/usr/bin/env bash
# The Debian package (scripts/build-deb.sh): builds it, checks its files (the
# plugin in /usr/lib/<multiarch>/neuroquantum/, the host runtime, headers, the
# CMake package, nq-mock-engine) and that its Depends name the package of
# every library its binaries need; unpacks it into a scratch root and builds
# and runs the out-of-tree example against that root.
# Usage: deb_package_test.sh SOURCE_DIR BUILD_DIR   (BUILD_DIR: for the package's build)
set -euo pipefail
source=$(cd "$1" && pwd) build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

deb=$("$source/scripts/build-deb.sh" "$build" | tail -n 1)
[ -f "$deb" ] || fail "scripts/build-deb.sh made no package"
echo "built: $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)

dpkg-deb -c "$deb" | awk '{print $6}' >"$work/files"
for expected in "usr/lib/$multiarch/neuroquantum/libnq_metrics.so" "usr/lib/$multiarch/libnq_hooks.so.0" \
  usr/include/nq/nq_host.h usr/include/nq/nq_plugin_abi.h usr/include/nq/testing/plugin_contract.hpp \
  "usr/lib/$multiarch/cmake/nq_metrics/nq_metricsConfig.cmake" usr/bin/nq-mock-engine; do
  grep -qx "./$expected" "$work/files" || fail "$expected is not in the package"
done
echo "ok: plugin, host runtime, headers, CMake package and nq-mock-engine are in the package"

# Depends: the package of every shared library the binaries need, except ours.
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
dpkg-deb -x "$deb" "$work/root"
needed=$(find "$work/root" -type f \( -name '*.so*' -o -path '*/bin/*' \) -exec readelf -d {} + 2>/dev/null |
  sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u | grep -v '^libnq_')
for library in $needed; do
  package=$(dpkg -S "*/$multiarch/$library" 2>/dev/null | grep -v "^diversion" | head -n 1 | cut -d: -f1) ||
    fail "no installed package has $library"
  [ -n "$package" ] || fail "no installed package has $library"
  # The package, or a name it provides (libspdlog1.10 provides libspdlog1.10-fmt9).
  names=" $package $(dpkg-query -W -f='${Provides}' "$package" | sed 's/([^)]*)//g; s/,/ /g') "
  named=false
  for dependency in $(sed 's/([^)]*)//g; s/[,|]/ /g' <<<"$depends"); do
    [[ $names == *" ${dependency%:*} "* ]] && named=true
  done
  $named || fail "$library ($package) is needed but not in Depends"
done
echo "ok: Depends names the package of each of $(wc -w <<<"$needed") needed libraries"

# The unpacked tree works: nq-mock-engine runs (its RPATH finds the host
# runtime beside it), and an outside project builds against it.
usage=$("$work/root/usr/bin/nq-mock-engine" --help 2>&1 || true)
grep -q -- '--config' <<<"$usage" || fail "the packaged nq-mock-engine does not run: $usage"
# shellcheck source-path=SCRIPTDIR source=example_lib.sh
source "$(dirname "$0")/example_lib.sh"
build_and_run_example_against "$work/root/usr" "$work/root/usr/lib/$multiarch/neuroquantum/libnq_metrics.so"
echo "ok: the out-of-tree example builds and passes against the unpacked package"
