# cpack -G DEB: the Debian package nq-metrics, made of what cmake --install
# installs (cmake/Install.cmake). Built by scripts/build-deb.sh with the
# preset deb (prefix /usr, so the libraries go to /usr/lib/<multiarch>/ and
# the plugin to /usr/lib/<multiarch>/neuroquantum/). Depends come from
# dpkg-shlibdeps over the installed binaries.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME nq-metrics)
set(CPACK_PACKAGE_VENDOR "NeuroQuantumDB")
set(CPACK_PACKAGE_CONTACT "NeuroQuantumDB maintainers <nq-metrics@neuroquantumdb.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Prometheus metrics plugin for NeuroQuantumDB")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "The nq_metrics plugin (libnq_metrics.so) that a NeuroQuantumDB server loads to serve\n\
Prometheus metrics, the host runtime (libnq_hooks) and headers for embedding\n\
it, the testing kit, a CMake package (find_package(nq_metrics)) and\n\
nq-mock-engine, an engine stand-in that loads the plugin and runs a workload.")
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/neuroquantumdb/nq-metrics")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)   # nq-metrics_VERSION_ARCH.deb
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_STRIP_FILES OFF)                # keep the symbols: stack traces of a plugin in a server
include(CPack)
