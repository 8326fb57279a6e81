// tapfwd-vnet: the offload reference for the TAP-pair benchmark. Like tapfwd it creates two
// TAP devices and copies every frame read from one to the other, but it opens them with
// IFF_VNET_HDR and turns the offloads on (TUNSETOFFLOAD: TUN_F_CSUM, TSO4, TSO6, TSO_ECN, and
// USO4/USO6 where the kernel has them), so the kernel hands it GSO super-frames (up to 64 KiB)
// with unfinished checksums, each behind a virtio_net_hdr, and it writes them out as they came:
// what a forwarder that passes offloads through can carry, with no processing at all.
//
// The virtio header (struct virtio_net_hdr, 10 bytes, TUNSETVNETHDRSZ default) travels with the
// frame; the receiving TAP's kernel side segments or finishes checksums as its own offloads say.
// Runs until SIGINT/SIGTERM, then prints its counters (frames and GSO frames forwarded).
//
// usage: tapfwd-vnet IFNAME_A IFNAME_B [--ready FILE]
#include "tap.h"  // first: it defines _GNU_SOURCE

#include <errno.h>
#include <linux/virtio_net.h>
#include <poll.h>

#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

// A TAP with IFF_VNET_HDR and every offload the kernel takes.
static int vnet_tap_open(const char *name) {
    int fd = tap_open(name, IFF_VNET_HDR, 1);
    if (fd < 0) return -1;
    unsigned long offloads = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
    // USO (UDP segmentation) exists from Linux 6.2; older kernels refuse the flag.
    if (ioctl(fd, TUNSETOFFLOAD, offloads | TUN_F_USO4 | TUN_F_USO6) < 0 && ioctl(fd, TUNSETOFFLOAD, offloads) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static unsigned long long forwarded[2], gso[2], refused[2];

#define BURST 64
#define FRAME_CAPACITY (sizeof(struct virtio_net_hdr) + 65536 + 18)
static unsigned char frames[BURST][FRAME_CAPACITY];
static ssize_t lengths[BURST];

// A burst of reads until EAGAIN (at most BURST), then one write per frame, header included.
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
        const struct virtio_net_hdr *header = (const struct virtio_net_hdr *)frames[i];
        while (write(to, frames[i], (size_t)lengths[i]) < 0) {
            if (errno == EINTR) continue;
            refused[direction]++;
            goto next;
        }
        forwarded[direction]++;
        if (header->gso_type != VIRTIO_NET_HDR_GSO_NONE) gso[direction]++;
    next:;
    }
    return count;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: tapfwd-vnet IFNAME_A IFNAME_B [--ready FILE]\n"); return 2; }
    int a = vnet_tap_open(argv[1]), b = vnet_tap_open(argv[2]);
    if (a < 0 || b < 0) { perror("tapfwd-vnet: TAP"); return 1; }
    started(argc, argv);
    struct pollfd pollers[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    while (!stopping) {
        int moved = burst(a, b, 0) + burst(b, a, 1);
        if (moved == 0) poll(pollers, 2, 50);
    }
    printf("forwarded a->b %llu (%llu GSO) b->a %llu (%llu GSO), refused a->b %llu b->a %llu\n", forwarded[0], gso[0],
           forwarded[1], gso[1], refused[0], refused[1]);
    return 0;
}
