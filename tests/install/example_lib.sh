# shellcheck shell=bash
# Shared by the install tests (sourced; $work and $source set): builds
# examples/plugin_test as an outside project would, against an installed tree.

quiet() { "$@" >"$work/out.log" 2>&1 || { cat "$work/out.log"; echo "FAIL: $*"; exit 1; }; }

# Builds the example with CMAKE_PREFIX_PATH=$1 (find_package(nq_metrics) only),
# checks that it tests the plugin $2 of that tree (not this build), runs it.
build_and_run_example_against() {
  local prefix=$1 plugin=$2
  quiet cmake -S "$source/examples/plugin_test" -B "$work/example" -G Ninja \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=RelWithDebInfo
  quiet cmake --build "$work/example"
  grep -q "$plugin" "$work/example/CMakeFiles/plugin_test.dir/flags.make" 2>/dev/null \
    || grep -rq "$plugin" "$work/example/build.ninja" \
    || { echo "FAIL: the example does not test the installed plugin $plugin"; exit 1; }
  "$work/example/plugin_test"
}
