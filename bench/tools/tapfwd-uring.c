// tapfwd-uring: the io_uring reference for the TAP-pair benchmark. Like tapfwd it creates two
// TAP devices (IFF_TAP | IFF_NO_PI) and copies every frame read from one to the other, but
// through one io_uring (liburing):
//
// - each TAP has one multishot read (IORING_OP_READ_MULTISHOT, Linux 6.7; liburing 2.3 has no
//   helper for it, so the opcode is set here) that picks buffers from its own provided-buffer
//   ring: one submission keeps delivering frames while buffers last;
// - every frame read becomes a write of the same buffer to the other TAP; when the write
//   completes, the buffer goes back to its ring;
// - a multishot read that ends (no buffer free, an error) is armed again.
//
// Many frames move per io_uring_enter instead of one read and one write system call each. It
// sleeps in the ring when both sides are idle (woken every 50 ms to check for SIGINT/SIGTERM),
// then prints its counters. The TAPs are not persistent: the kernel removes them on exit.
//
// usage: tapfwd-uring IFNAME_A IFNAME_B [--ready FILE]   (link with -luring)
#include "tap.h"  // first: it defines _GNU_SOURCE

#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <sys/mman.h>

// The kernel's opcode for a multishot read (after IORING_OP_SENDMSG_ZC).
#define OP_READ_MULTISHOT (IORING_OP_SENDMSG_ZC + 1)
_Static_assert(IORING_OP_SENDMSG_ZC == 48, "io_uring opcode numbering");

#define BUFFERS 256  // per side, a power of two
#define FRAME_CAPACITY 2048
static int fds[2];
static unsigned char *memory[2];
static struct io_uring_buf_ring *rings[2];
static unsigned long long forwarded[2], refused[2], rearmed[2];

// user_data: bit 0 = 1 for a write; bit 1 = side; bits 2.. = buffer id (writes).
static void arm_read(struct io_uring *ring, int side) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    io_uring_prep_rw(OP_READ_MULTISHOT, sqe, fds[side], NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = (unsigned short)side;
    io_uring_sqe_set_data64(sqe, (unsigned long long)side << 1);
}

static void give_back(int side, unsigned short id) {
    io_uring_buf_ring_add(rings[side], memory[side] + (size_t)id * FRAME_CAPACITY, FRAME_CAPACITY, id,
                          io_uring_buf_ring_mask(BUFFERS), 0);
    io_uring_buf_ring_advance(rings[side], 1);
}

static int setup_buffers(struct io_uring *ring, int side) {
    size_t ring_bytes = BUFFERS * sizeof(struct io_uring_buf);
    rings[side] = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    memory[side] = malloc((size_t)BUFFERS * FRAME_CAPACITY);
    if (rings[side] == MAP_FAILED || !memory[side]) return -ENOMEM;
    io_uring_buf_ring_init(rings[side]);
    struct io_uring_buf_reg reg = {.ring_addr = (unsigned long)rings[side], .ring_entries = BUFFERS, .bgid = (unsigned short)side};
    int status = io_uring_register_buf_ring(ring, &reg, 0);
    if (status < 0) return status;
    for (unsigned short id = 0; id < BUFFERS; id++)
        io_uring_buf_ring_add(rings[side], memory[side] + (size_t)id * FRAME_CAPACITY, FRAME_CAPACITY, id,
                              io_uring_buf_ring_mask(BUFFERS), id);
    io_uring_buf_ring_advance(rings[side], BUFFERS);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: tapfwd-uring IFNAME_A IFNAME_B [--ready FILE]\n"); return 2; }
    fds[0] = tap_open(argv[1], 0, 1);
    fds[1] = tap_open(argv[2], 0, 1);
    if (fds[0] < 0 || fds[1] < 0) { perror("tapfwd-uring: TAP"); return 1; }
    struct io_uring ring;
    int status = io_uring_queue_init(4 * BUFFERS, &ring, 0);
    if (status < 0) { fprintf(stderr, "tapfwd-uring: io_uring_queue_init: %s\n", strerror(-status)); return 1; }
    for (int side = 0; side < 2; side++) {
        status = setup_buffers(&ring, side);
        if (status < 0) { fprintf(stderr, "tapfwd-uring: buffer ring: %s\n", strerror(-status)); return 1; }
        arm_read(&ring, side);
    }
    io_uring_submit(&ring);
    started(argc, argv);
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
            int side = (int)((data >> 1) & 1);
            if (data & 1) {  // a write finished: its buffer goes back to the side it was read from
                if (cqe->res < 0) refused[side]++; else forwarded[side]++;
                give_back(side, (unsigned short)(data >> 2));
                continue;
            }
            if (cqe->res > 0 && (cqe->flags & IORING_CQE_F_BUFFER)) {
                unsigned short id = (unsigned short)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
                struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
                io_uring_prep_write(sqe, fds[1 - side], memory[side] + (size_t)id * FRAME_CAPACITY, (unsigned)cqe->res, 0);
                io_uring_sqe_set_data64(sqe, (unsigned long long)id << 2 | (unsigned long long)side << 1 | 1);
            } else if (cqe->flags & IORING_CQE_F_BUFFER) {
                give_back(side, (unsigned short)(cqe->flags >> IORING_CQE_BUFFER_SHIFT));
            }
            if (!(cqe->flags & IORING_CQE_F_MORE)) {  // the multishot read ended: arm it again
                rearmed[side]++;
                arm_read(&ring, side);
            }
        }
        io_uring_cq_advance(&ring, seen);
    }
    io_uring_queue_exit(&ring);
    printf("forwarded a->b %llu b->a %llu, refused a->b %llu b->a %llu, reads re-armed %llu/%llu\n", forwarded[0], forwarded[1],
           refused[0], refused[1], rearmed[0], rearmed[1]);
    return 0;
}
