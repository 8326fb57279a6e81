// tapfwd-uring: the io_uring reference for the TAP-pair benchmark. Like tapfwd it creates two
// TAP devices (IFF_TAP | IFF_NO_PI) and copies every frame read from one to the other, but
// through one io_uring (liburing): 64 reads stay queued on each TAP; a completed read becomes a
// write of the same buffer to the other TAP, and a completed write queues the buffer's read
// again. Many frames move per io_uring_enter instead of one read and one write system call
// each. The fds are blocking, so io_uring waits on them with its internal poll. It sleeps in
// io_uring_wait_cqe when both sides are idle (woken every 50 ms to check for SIGINT/SIGTERM),
// then prints its counters. The TAPs are not persistent: the kernel removes them on exit.
//
// usage: tapfwd-uring IFNAME_A IFNAME_B [--ready FILE]   (link with -luring)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static volatile sig_atomic_t stopping = 0;
static void on_signal(int signal) { (void)signal; stopping = 1; }

static int tap_open(const char *name) {
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) return -1;
    struct ifreq request;
    memset(&request, 0, sizeof request);
    request.ifr_flags = IFF_TAP | IFF_NO_PI;
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &request) < 0) { close(fd); return -1; }
    return fd;
}

#define PER_SIDE 64
#define BUFFERS (2 * PER_SIDE)
#define FRAME_CAPACITY 10240
static unsigned char buffers[BUFFERS][FRAME_CAPACITY];
static int fds[2];
static unsigned long long forwarded[2], refused[2];

// user_data: buffer index << 1 | 1 for a write, 0 for a read. Buffer b reads from side b / PER_SIDE.
static void queue_read(struct io_uring *ring, int buffer) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    io_uring_prep_read(sqe, fds[buffer / PER_SIDE], buffers[buffer], FRAME_CAPACITY, 0);
    io_uring_sqe_set_data64(sqe, (unsigned long long)buffer << 1);
}

static void queue_write(struct io_uring *ring, int buffer, unsigned length) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    io_uring_prep_write(sqe, fds[1 - buffer / PER_SIDE], buffers[buffer], length, 0);
    io_uring_sqe_set_data64(sqe, (unsigned long long)buffer << 1 | 1);
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: tapfwd-uring IFNAME_A IFNAME_B [--ready FILE]\n"); return 2; }
    fds[0] = tap_open(argv[1]);
    fds[1] = tap_open(argv[2]);
    if (fds[0] < 0 || fds[1] < 0) { perror("tapfwd-uring: TAP"); return 1; }
    struct io_uring ring;
    int status = io_uring_queue_init(2 * BUFFERS, &ring, 0);
    if (status < 0) { fprintf(stderr, "tapfwd-uring: io_uring_queue_init: %s\n", strerror(-status)); return 1; }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    for (int buffer = 0; buffer < BUFFERS; buffer++) queue_read(&ring, buffer);
    io_uring_submit(&ring);
    if (argc >= 5 && !strcmp(argv[3], "--ready")) { FILE *ready = fopen(argv[4], "w"); if (ready) fclose(ready); }
    struct __kernel_timespec timeout = {.tv_sec = 0, .tv_nsec = 50 * 1000 * 1000};
    while (!stopping) {
        struct io_uring_cqe *cqe;
        status = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &timeout, NULL);
        if (status < 0 && status != -ETIME && status != -EINTR) {
            fprintf(stderr, "tapfwd-uring: wait: %s\n", strerror(-status));
            break;
        }
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            seen++;
            unsigned long long data = io_uring_cqe_get_data64(cqe);
            int buffer = (int)(data >> 1);
            int side = buffer / PER_SIDE;
            if (data & 1) {  // a write finished: the buffer reads again
                if (cqe->res < 0) refused[side]++; else forwarded[side]++;
                queue_read(&ring, buffer);
            } else if (cqe->res > 0) {
                queue_write(&ring, buffer, (unsigned)cqe->res);
            } else {
                queue_read(&ring, buffer);  // an error or an empty read: try again
            }
        }
        io_uring_cq_advance(&ring, seen);
    }
    io_uring_queue_exit(&ring);
    printf("forwarded a->b %llu b->a %llu, refused a->b %llu b->a %llu\n", forwarded[0], forwarded[1], refused[0], refused[1]);
    return 0;
}
