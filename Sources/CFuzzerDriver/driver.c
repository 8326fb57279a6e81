#include "CFuzzerDriver.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* libFuzzer's entry point, present only when linked with -sanitize=fuzzer. */
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size)) __attribute__((weak));

static int run_file(const char *path, nfv_fuzz_callback callback) {
    FILE *file = fopen(path, "rb");
    if (!file) { perror(path); return 1; }
    fseek(file, 0, SEEK_END);
    long length = ftell(file);
    fseek(file, 0, SEEK_SET);
    /* Exactly the input's size, so a read past its end is a read past the allocation. */
    uint8_t *data = malloc(length > 0 ? (size_t)length : 1);
    size_t read = length > 0 ? fread(data, 1, (size_t)length, file) : 0;
    fclose(file);
    callback(data, read);
    free(data);
    return 0;
}

int nfv_fuzz_run(int *argc, char ***argv, nfv_fuzz_callback callback) {
    if (LLVMFuzzerRunDriver) return LLVMFuzzerRunDriver(argc, argv, callback);
    int failures = 0, inputs = 0;
    for (int index = 1; index < *argc; index++) {
        const char *path = (*argv)[index];
        if (path[0] == '-') continue; /* a libFuzzer flag: meaningless here */
        struct stat info;
        if (stat(path, &info) != 0) { perror(path); failures++; continue; }
        if (S_ISDIR(info.st_mode)) {
            DIR *directory = opendir(path);
            struct dirent *entry;
            while (directory && (entry = readdir(directory))) {
                if (entry->d_name[0] == '.') continue;
                char child[4096];
                snprintf(child, sizeof child, "%s/%s", path, entry->d_name);
                failures += run_file(child, callback);
                inputs++;
            }
            if (directory) closedir(directory);
        } else {
            failures += run_file(path, callback);
            inputs++;
        }
    }
    printf("ran %d inputs without libFuzzer\n", inputs);
    return failures != 0;
}
