/* Static assertions over the frozen layouts of tests/compat/abi-N.M/
 * (layout_lp64.h), compiled in C11 and in C++ against the tree's headers: a
 * field that moved, changed size or disappeared fails the build. A struct may
 * grow at its end (sizeof at least the frozen one); with NQ_LAYOUT_EXACT
 * defined (the frozen headers themselves) it must be exactly the frozen size. */
#ifndef NQ_LAYOUT_ASSERTIONS_H
#define NQ_LAYOUT_ASSERTIONS_H

#include <stddef.h>

#include "nq/nq_host.h"
#include "nq/nq_plugin_abi.h"

#ifdef __cplusplus
#define NQ_LAYOUT_ASSERT(condition, message) static_assert(condition, message);
#define NQ_LAYOUT_ALIGNOF(type) alignof(type)
#else
#define NQ_LAYOUT_ASSERT(condition, message) _Static_assert(condition, message);
#define NQ_LAYOUT_ALIGNOF(type) _Alignof(type)
#endif

#ifdef NQ_LAYOUT_EXACT
#define NQ_LAYOUT_SIZE_HOLDS(type, size) (sizeof(type) == (size))
#else
#define NQ_LAYOUT_SIZE_HOLDS(type, size) (sizeof(type) >= (size))
#endif

#define NQ_LAYOUT_SIZE(type, size, align)                                                  \
  NQ_LAYOUT_ASSERT(NQ_LAYOUT_SIZE_HOLDS(type, size) && NQ_LAYOUT_ALIGNOF(type) == (align), \
                   #type ": size or alignment differs from the frozen ABI")
#define NQ_LAYOUT_FIELD(type, field, offset, size)                                           \
  NQ_LAYOUT_ASSERT(offsetof(type, field) == (offset) && sizeof(((type*)0)->field) == (size), \
                   #type "." #field ": offset or size differs from the frozen ABI")

#if defined(__LP64__)
#include "abi-1.1/layout_lp64.h"
#if NQ_ABI_VERSION_MINOR >= 2 && !defined(NQ_LAYOUT_EXACT)
#include "layout_current_lp64.h" /* the unfrozen minor's appended fields */
#endif
#elif defined(NQ_LAYOUT_REQUIRE_LP64)
#error "NQ_LAYOUT_REQUIRE_LP64: this target is not LP64, no layout was checked"
#endif

#endif
