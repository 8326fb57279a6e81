#ifndef NFV_CALLOCCOUNTER_H
#define NFV_CALLOCCOUNTER_H
#include <stdint.h>

/// Number of heap allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc,
/// memalign) made by this process since it started. Linking this target into an executable
/// interposes those functions for the whole process; each call forwards to glibc's allocator.
uint64_t nfv_allocation_count(void);

#endif
