#!/usr/bin/env bash
# `cmake --install` into a fresh prefix, then build examples/plugin_test as an
# outside project would (find_package(nq_metrics) only), and run its tests:
# the worked example of docs/TESTING-HOOKS.md against the installed plugin.
# Usage: out_of_tree_example_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
for installed in include/nq/nq_plugin_abi.h include/nq/nq_host.h include/nq/testing/plugin_contract.hpp \
  lib/cmake/nq_metrics/nq_metricsConfig.cmake lib/nq-metrics/libnq_metrics.so bin/nq-mock-engine; do
  [ -e "$work/prefix/$installed" ] || { echo "FAIL: $installed not installed"; exit 1; }
done
# It finds the installed host runtime (RPATH) and prints its usage.
usage=$("$work/prefix/bin/nq-mock-engine" --help 2>&1 || true)
grep -q -- '--config' <<<"$usage" || { echo "FAIL: installed nq-mock-engine does not run: $usage"; exit 1; }

# shellcheck source-path=SCRIPTDIR source=example_lib.sh
source "$(dirname "$0")/example_lib.sh"
build_and_run_example_against "$work/prefix" "$work/prefix/lib/nq-metrics/libnq_metrics.so"
echo "ok: the out-of-tree example builds and passes against the install"
