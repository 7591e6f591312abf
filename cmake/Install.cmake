# cmake --install: the ABI header, the host runtime, the plugin, the mock
# engine and the testing kit, with a package config, so that an outside
# project does find_package(nq_metrics) and links nq::abi, nq::hooks or
# nq::testing_kit (docs/TESTING-HOOKS.md).
include(CMakePackageConfigHelpers)

set(NQ_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/nq_metrics)
set(NQ_PLUGIN_SUBDIR nq-metrics CACHE STRING
  "Directory of the plugins under the library directory (the Debian package: neuroquantum)")
set(NQ_PLUGIN_DIR ${CMAKE_INSTALL_LIBDIR}/${NQ_PLUGIN_SUBDIR})

target_include_directories(nq_abi INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_include_directories(nq_hooks PUBLIC $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
set_target_properties(nq_abi PROPERTIES EXPORT_NAME abi)
set_target_properties(nq_hooks PROPERTIES EXPORT_NAME hooks)
set_target_properties(nq_testing_kit PROPERTIES EXPORT_NAME testing_kit)
set_target_properties(nq-mock-engine PROPERTIES INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")

install(TARGETS nq_abi nq_hooks nq_testing_kit EXPORT nq_metrics_targets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS nq_metrics nq_mock_plugin LIBRARY DESTINATION ${NQ_PLUGIN_DIR})
install(TARGETS nq-mock-engine RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY
    ${PROJECT_SOURCE_DIR}/abi/include/
    ${PROJECT_SOURCE_DIR}/hooks/include/
    ${PROJECT_SOURCE_DIR}/mocks/testing_kit/include/
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT nq_metrics_targets NAMESPACE nq:: DESTINATION ${NQ_PACKAGE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/nq_metricsConfig.cmake.in
  ${PROJECT_BINARY_DIR}/nq_metricsConfig.cmake
  INSTALL_DESTINATION ${NQ_PACKAGE_DIR}
  PATH_VARS CMAKE_INSTALL_BINDIR NQ_PLUGIN_DIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/nq_metricsConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/nq_metricsConfig.cmake
  ${PROJECT_BINARY_DIR}/nq_metricsConfigVersion.cmake
  DESTINATION ${NQ_PACKAGE_DIR})
