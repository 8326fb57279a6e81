// What the TAP forwarders of the TAP-pair benchmark share: opening a TAP, the stop flag set by
// SIGINT/SIGTERM, and the --ready file that tells the script the TAPs exist.
#ifndef NFV_BENCH_TAP_H
#define NFV_BENCH_TAP_H
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static volatile sig_atomic_t stopping = 0;
static void on_signal(int signal) { (void)signal; stopping = 1; }

// A TAP device NAME (IFF_TAP | IFF_NO_PI | extra_flags), non-persistent; -1 on failure.
static int tap_open(const char *name, short extra_flags, int nonblocking) {
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | (nonblocking ? O_NONBLOCK : 0));
    if (fd < 0) return -1;
    struct ifreq request;
    memset(&request, 0, sizeof request);
    request.ifr_flags = IFF_TAP | IFF_NO_PI | extra_flags;
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &request) < 0) { close(fd); return -1; }
    return fd;
}

// Stops on SIGINT/SIGTERM; with `--ready FILE` after the two names, creates FILE.
static void started(int argc, char **argv) {
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (argc >= 5 && !strcmp(argv[3], "--ready")) {
        FILE *ready = fopen(argv[4], "w");
        if (ready) fclose(ready);
    }
}
#endif
