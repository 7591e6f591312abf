#!/usr/bin/env bash
# Checks that a built plugin needs no shared library beyond the ones it is
# known to call (its DT_NEEDED entries against the list below): a new
# dependency of the plugin is a decision, made here and justified in the
# README's "Dependencies", not a side effect of a link line.
# Usage: check_plugin_needed.sh PLUGIN.so
set -euo pipefail
so=$1

allowed=(
  libspdlog.so.1.10 libfmt.so.9  # the plugin's log, into the engine's
  libssl.so.3 libcrypto.so.3     # TLS of the listener
  libyaml-cpp.so.0.7             # the listener's web config file
  libcrypt.so.1                  # bcrypt hashes of basic auth
  libisal.so.2                   # gzip of scrape bodies (igzip)
  libstdc++.so.6 libm.so.6 libgcc_s.so.1 libc.so.6 'ld-linux-*.so.*'
)

status=0
mapfile -t needed < <(readelf -W -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
echo "needed: ${needed[*]}"
for library in "${needed[@]}"; do
  known=0
  for pattern in "${allowed[@]}"; do
    # shellcheck disable=SC2053 # the patterns are globs
    [[ $library == $pattern ]] && known=1
  done
  if [ $known = 0 ]; then
    echo "FAIL: $so needs $library, which is not in the allowed list"
    status=1
  fi
done
[ $status = 0 ] && echo "OK: $so needs only allowed libraries"
exit $status
