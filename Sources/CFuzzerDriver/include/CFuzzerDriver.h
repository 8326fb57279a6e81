#ifndef CFUZZERDRIVER_H
#define CFUZZERDRIVER_H
#include <stddef.h>
#include <stdint.h>

/// One fuzz input: returns 0.
typedef int (*nfv_fuzz_callback)(const uint8_t *data, size_t size);

/// Runs libFuzzer's driver (LLVMFuzzerRunDriver) with `callback` when the executable was linked
/// with -sanitize=fuzzer; otherwise runs `callback` once over every file named in argv (and
/// every file in every directory named), as a corpus regression run, and returns 0.
int nfv_fuzz_run(int *argc, char ***argv, nfv_fuzz_callback callback);

#endif
