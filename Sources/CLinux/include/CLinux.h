#ifndef NFV_CLINUX_H
#define NFV_CLINUX_H
// Linux interfaces Swift cannot import directly: the TUN/TAP ioctls are function-like macros
// (TUNSETIFF, TUNSETPERSIST), so they are wrapped here as functions.

/// Opens /dev/net/tun and attaches the fd to TAP device `name` (created if it does not exist),
/// with IFF_TAP | IFF_NO_PI, plus IFF_MULTI_QUEUE when `multiQueue` is non-zero and
/// IFF_VNET_HDR when `virtioHeader` is non-zero (every frame then carries a 10-byte
/// struct virtio_net_hdr in front). The fd is non-blocking and close-on-exec. Returns the fd,
/// or -errno.
int nfv_tap_open(const char *name, int multiQueue, int virtioHeader);

/// Tells the kernel which offloads the reader takes (TUNSETOFFLOAD): partial checksums, TSO
/// for IPv4 and IPv6 with ECN, and UDP segmentation (USO) when `udpSegmentation` is non-zero.
/// Returns 0 or -errno (EINVAL from a kernel without USO).
int nfv_tap_set_offloads(int fd, int udpSegmentation);

/// Makes the device outlive its fds (persist = 1) or not (0). Returns 0 or -errno.
int nfv_tap_set_persist(int fd, int persist);

/// The kernel's name for the device the fd is attached to (IFNAMSIZ bytes). Returns 0 or -errno.
int nfv_tap_name(int fd, char *name);

/// Moves the calling thread into the network namespace open at `fd` (setns with
/// CLONE_NEWNET). Returns 0 or -errno.
int nfv_enter_network_namespace(int fd);

/// Opens `count` queues of TAP `name` inside the network namespace `namespaceFD` (on a thread
/// of its own, so the caller never leaves its namespace), creating the device when it is
/// missing; `persist` makes it outlive the fds (TUNSETPERSIST). The fds go to `fds`; `created`
/// says whether the device was made here. 0, or -errno (nothing left open, and a device made
/// here removed again).
int nfv_tap_open_in_namespace(int namespaceFD, const char *name, int multiQueue, int virtioHeader, int persist,
                              int count, int *fds, int *created);

/// Creates a named network namespace the way `ip netns add` does: a new namespace whose
/// handle is bind-mounted at `path` (e.g. /run/netns/NAME; the directory is created). The
/// calling thread stays in its own namespace. Returns 0 or -errno (-EEXIST when `path` exists).
int nfv_netns_create(const char *path);

/// Removes a named network namespace: unmounts and deletes `path`. The namespace itself ends
/// when nothing else holds it. Returns 0 or -errno.
int nfv_netns_delete(const char *path);

/// Pins the calling thread to CPU `cpu` (pthread_setaffinity_np). Returns 0 or -errno
/// (-EINVAL for a CPU the machine does not have).
int nfv_pin_current_thread(int cpu);

/// Names the calling thread (at most 15 bytes are kept; shown by top -H and ps -L).
void nfv_name_current_thread(const char *name);

/// A non-blocking, close-on-exec eventfd (a wake-up a sleeping worker polls). Returns the fd or -errno.
int nfv_eventfd_create(void);

/// Adds one to the eventfd (wakes a poll on it). Returns 0 or -errno.
int nfv_eventfd_signal(int fd);

/// Reads and clears the eventfd's count (no wait).
void nfv_eventfd_drain(int fd);

#include <spawn.h>
#include <sys/uio.h>

/// read(2), write(2) and writev(2) as plain system calls. glibc's wrappers are cancellation
/// points: in a multi-threaded process each call switches asynchronous cancellation on and off
/// around the system call (two atomic operations, about 4 % of a TAP forwarding core at 64-byte
/// frames). The data plane never cancels a thread. Return the count, or -1 with errno set.
long nfv_read(int fd, void *buffer, unsigned long count);
long nfv_write(int fd, const void *buffer, unsigned long count);
long nfv_writev(int fd, const struct iovec *vectors, int count);

/// Adds "close every fd from `lowest` up" to posix_spawn file actions (glibc's
/// posix_spawn_file_actions_addclosefrom_np, which needs _GNU_SOURCE). Returns 0 or an errno.
int nfv_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest);

/// Sets no_new_privs (prctl PR_SET_NO_NEW_PRIVS): execve can no longer grant privileges
/// (set-user-ID bits, file capabilities). Returns 0 or -errno.
int nfv_set_no_new_privs(void);

/// Keeps only the capabilities in `keep` (a bit mask of CAP_* numbers below 64): drops the
/// others from the bounding set (PR_CAPBSET_DROP, while CAP_SETPCAP is still held), then sets
/// the effective and permitted sets to `keep` and the inheritable set to nothing (capset).
/// Returns 0 or -errno.
int nfv_keep_capabilities(unsigned long long keep);

/// Bytes the heap holds for the program: glibc's arena bytes in use plus its mmap'ed blocks
/// (mallinfo2 uordblks + hblkhd). Counts the main arena and every mmap'ed block; a
/// single-threaded caller's allocations are all there.
unsigned long long nfv_heap_bytes_in_use(void);

/// Sends `count` bytes of `data` on unix socket `socket` with `fdCount` file descriptors
/// attached (SCM_RIGHTS). Returns the bytes sent or -errno.
long nfv_send_with_fds(int socket, const void *data, unsigned long count, const int *fds, int fdCount);

/// Receives up to `capacity` bytes from unix socket `socket` and up to `fdCapacity` file
/// descriptors sent with them (made close-on-exec); `*fdCount` says how many came. Returns
/// the bytes received (0 at end of stream) or -errno.
long nfv_receive_with_fds(int socket, void *data, unsigned long capacity, int *fds, int fdCapacity, int *fdCount);

#endif
