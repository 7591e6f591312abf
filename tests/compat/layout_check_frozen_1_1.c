/* The frozen headers of ABI 1.1 still have exactly their frozen layout
 * (compiled against tests/compat/abi-1.1/, never the tree). */
#define NQ_LAYOUT_EXACT
#include "layout_assertions.h"

int nq_abi_layout_frozen_1_1_checked;
