# NQ_BUILD_ID identifies one build of the plugin: the git commit at configure
# time (with "-dirty" for local changes) unless given with -DNQ_BUILD_ID=...
if(NOT DEFINED NQ_BUILD_ID)
  execute_process(
    COMMAND git describe --always --dirty --abbrev=12
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
    OUTPUT_VARIABLE NQ_BUILD_ID
    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT NQ_BUILD_ID)
    set(NQ_BUILD_ID "unknown")
  endif()
endif()
