// tapfwd: the bare TAP forwarder, the reference for the TAP-pair benchmark. It creates two TAP
// devices (IFF_TAP | IFF_NO_PI, non-blocking) and copies every frame read from one to the
// other: a burst of reads until EAGAIN (at most 256), then one write per frame: the same system
// calls and order as nfv-dataplane's TapPort, and no processing at all. Frames the other
// side refuses (EAGAIN/ENOBUFS) are counted and dropped. It sleeps in poll when both are idle.
// Runs until SIGINT/SIGTERM, then prints its counters. The TAPs are not persistent: the kernel
// removes them when tapfwd exits.
//
// usage: tapfwd IFNAME_A IFNAME_B [--ready FILE]
#include "tap.h"  // first: it defines _GNU_SOURCE

#include <errno.h>
#include <poll.h>

static unsigned long long forwarded[2], refused[2];

#define BURST 256
#define FRAME_CAPACITY 10240
static unsigned char frames[BURST][FRAME_CAPACITY];
static ssize_t lengths[BURST];

// Reads a burst of up to 256 frames from `from` (until EAGAIN), then writes them to `to`:
// the same I/O pattern as nfv-dataplane (burst in, then burst out). Returns frames read.
static int burst(int from, int to, int direction) {
    int count = 0;
    while (count < BURST) {
        ssize_t length = read(from, frames[count], FRAME_CAPACITY);
        if (length < 0) {
            if (errno == EINTR) continue;
            break;  // EAGAIN: empty
        }
        lengths[count++] = length;
    }
    for (int i = 0; i < count; i++) {
        while (write(to, frames[i], (size_t)lengths[i]) < 0) {
            if (errno == EINTR) continue;
            refused[direction]++;
            goto next;
        }
        forwarded[direction]++;
    next:;
    }
    return count;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: tapfwd IFNAME_A IFNAME_B [--ready FILE]\n"); return 2; }
    int a = tap_open(argv[1], 0, 1), b = tap_open(argv[2], 0, 1);
    if (a < 0 || b < 0) { perror("tapfwd: TAP"); return 1; }
    started(argc, argv);
    struct pollfd pollers[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    while (!stopping) {
        int moved = burst(a, b, 0) + burst(b, a, 1);
        if (moved == 0) poll(pollers, 2, 50);
    }
    printf("forwarded a->b %llu b->a %llu, refused a->b %llu b->a %llu\n", forwarded[0], forwarded[1], refused[0], refused[1]);
    return 0;
}
