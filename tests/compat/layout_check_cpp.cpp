// The frozen ABI layouts hold for the tree's headers, in C++.
#include "layout_assertions.h"

int nq_abi_layout_checked_in_cpp;
