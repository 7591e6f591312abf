# Compiler launcher, warnings and sanitizers shared by every target.

# ccache without the build directory in its hash (hash_dir off): sources and
# include directories are named by absolute paths, so a second build tree with
# the same flags (the Debian package's, tests/install/deb_package_test.sh)
# reuses the objects of the first instead of compiling everything again. Only
# their debug info's compilation directory then names the first tree.
find_program(NQ_CCACHE ccache)
if(NQ_CCACHE)
  set(CMAKE_C_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env CCACHE_NOHASHDIR=true ${NQ_CCACHE})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env CCACHE_NOHASHDIR=true ${NQ_CCACHE})
endif()

set(NQ_SANITIZE "" CACHE STRING "Sanitizers to build with, e.g. address,undefined or thread")

add_library(nq_build_flags INTERFACE)
target_compile_options(nq_build_flags INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                                                $<$<BOOL:${NQ_WARNINGS_AS_ERRORS}>:-Werror>)
if(NQ_SANITIZE)
  target_compile_options(nq_build_flags INTERFACE -fsanitize=${NQ_SANITIZE} -fno-omit-frame-pointer)
  target_link_options(nq_build_flags INTERFACE -fsanitize=${NQ_SANITIZE})
  if(NQ_SANITIZE MATCHES "thread" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # Asio's fenced blocks use atomic_thread_fence, which GCC warns TSan cannot model.
    target_compile_options(nq_build_flags INTERFACE -Wno-tsan)
  endif()
endif()
