#!/usr/bin/env bash
# Checks that a built plugin can be unloaded and loaded again beside a newer
# copy: it exports exactly its entry point, has no STB_GNU_UNIQUE symbol, is
# not marked NODELETE and does not register thread-local destructors.
# Usage: check_plugin_exports.sh PLUGIN.so
set -euo pipefail
so=$1
status=0

exported=$(nm -D --defined-only "$so" | awk '{print $3}')
count=$(printf '%s\n' "$exported" | grep -c . || true)
echo "exported dynamic symbols: $count ($(echo $exported | head -c 200))"
if [ "$exported" != "nq_plugin_entry" ]; then
  echo "FAIL: expected exactly one exported symbol, nq_plugin_entry"
  status=1
fi

unique=$(readelf -W --syms --dyn-syms "$so" | grep -c 'UNIQUE' || true)
echo "STB_GNU_UNIQUE symbols: $unique"
[ "$unique" = 0 ] || { echo "FAIL: UNIQUE symbols make dlclose a no-op"; status=1; }

if readelf -W -d "$so" | grep -q 'NODELETE'; then
  echo "FAIL: the library is marked NODELETE"
  status=1
fi

if nm -D --undefined-only "$so" | grep -q '__cxa_thread_atexit'; then
  echo "FAIL: a thread_local with a destructor pins the library (__cxa_thread_atexit)"
  status=1
fi

[ $status = 0 ] && echo "OK: $so"
exit $status
