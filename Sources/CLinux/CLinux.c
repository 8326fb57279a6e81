#define _GNU_SOURCE
#include "CLinux.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <pthread.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/prctl.h>
#include <linux/capability.h>
#include <malloc.h>
#include <sys/socket.h>

int nfv_tap_open(const char *name, int multiQueue, int virtioHeader) {
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return -errno;
    struct ifreq request;
    memset(&request, 0, sizeof request);
    request.ifr_flags = IFF_TAP | IFF_NO_PI | (multiQueue ? IFF_MULTI_QUEUE : 0) | (virtioHeader ? IFF_VNET_HDR : 0);
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &request) < 0) {
        int error = errno;
        close(fd);
        return -error;
    }
    return fd;
}

// Debian 12's linux/if_tun.h predates USO (Linux 6.2).
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

int nfv_tap_set_offloads(int fd, int udpSegmentation) {
    unsigned long flags = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
    if (udpSegmentation) flags |= TUN_F_USO4 | TUN_F_USO6;
    return ioctl(fd, TUNSETOFFLOAD, flags) < 0 ? -errno : 0;
}

int nfv_tap_set_persist(int fd, int persist) {
    return ioctl(fd, TUNSETPERSIST, persist ? 1 : 0) < 0 ? -errno : 0;
}

int nfv_tap_name(int fd, char *name) {
    struct ifreq request;
    memset(&request, 0, sizeof request);
    if (ioctl(fd, TUNGETIFF, &request) < 0) return -errno;
    memcpy(name, request.ifr_name, IFNAMSIZ);
    return 0;
}

int nfv_enter_network_namespace(int fd) {
    return setns(fd, CLONE_NEWNET) < 0 ? -errno : 0;
}

struct nfv_tap_job {
    int namespaceFD;
    const char *name;
    int multiQueue, virtioHeader, persist, count;
    int *fds;
    int created;
    int result;
};

static void *nfv_tap_open_thread(void *argument) {
    struct nfv_tap_job *job = argument;
    if (setns(job->namespaceFD, CLONE_NEWNET) < 0) { job->result = -errno; return NULL; }
    job->created = if_nametoindex(job->name) == 0;
    int opened = 0;
    for (; opened < job->count; opened++) {
        int fd = nfv_tap_open(job->name, job->multiQueue, job->virtioHeader);
        if (fd < 0) { job->result = fd; break; }
        job->fds[opened] = fd;
        if (opened == 0 && job->persist && ioctl(fd, TUNSETPERSIST, 1) < 0) {
            job->result = -errno;
            opened++;
            break;
        }
    }
    if (job->result != 0) {
        // A device made here goes again once its last queue closes.
        if (job->created && opened > 0) ioctl(job->fds[0], TUNSETPERSIST, 0);
        for (int index = 0; index < opened; index++) close(job->fds[index]);
    }
    return NULL;
}

int nfv_tap_open_in_namespace(int namespaceFD, const char *name, int multiQueue, int virtioHeader, int persist,
                              int count, int *fds, int *created) {
    struct nfv_tap_job job = { namespaceFD, name, multiQueue, virtioHeader, persist, count, fds, 0, 0 };
    pthread_t thread;
    int started = pthread_create(&thread, NULL, nfv_tap_open_thread, &job);
    if (started != 0) return -started;
    pthread_join(thread, NULL);
    *created = job.created;
    return job.result;
}

struct nfv_netns_job {
    const char *path;
    int result;
};

// Runs on its own thread: unshare moves only this thread into the new namespace, so the
// caller never leaves its own, whatever fails.
static void *nfv_netns_create_thread(void *argument) {
    struct nfv_netns_job *job = argument;
    if (unshare(CLONE_NEWNET) < 0) { job->result = -errno; return NULL; }
    if (mount("/proc/thread-self/ns/net", job->path, "none", MS_BIND, NULL) < 0) { job->result = -errno; return NULL; }
    job->result = 0;
    return NULL;
}

int nfv_netns_create(const char *path) {
    mkdir("/run/netns", 0755);
    int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (fd < 0) return -errno;
    close(fd);
    struct nfv_netns_job job = { path, -EINVAL };
    pthread_t thread;
    int started = pthread_create(&thread, NULL, nfv_netns_create_thread, &job);
    if (started != 0) { unlink(path); return -started; }
    pthread_join(thread, NULL);
    if (job.result != 0) unlink(path);
    return job.result;
}

int nfv_netns_delete(const char *path) {
    if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL) return -errno;
    return unlink(path) < 0 ? -errno : 0;
}

int nfv_pin_current_thread(int cpu) {
    if (cpu < 0 || cpu >= CPU_SETSIZE) return -EINVAL;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    int result = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
    return result == 0 ? 0 : -result;
}

void nfv_name_current_thread(const char *name) {
    char shortName[16];
    strncpy(shortName, name, sizeof(shortName) - 1);
    shortName[sizeof(shortName) - 1] = 0;
    pthread_setname_np(pthread_self(), shortName);
}

int nfv_eventfd_create(void) {
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return fd >= 0 ? fd : -errno;
}

int nfv_eventfd_signal(int fd) {
    uint64_t one = 1;
    return write(fd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

void nfv_eventfd_drain(int fd) {
    uint64_t count;
    while (read(fd, &count, sizeof(count)) == sizeof(count)) {}
}

int nfv_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
}

long nfv_read(int fd, void *buffer, unsigned long count) {
    return syscall(SYS_read, fd, buffer, count);
}

long nfv_write(int fd, const void *buffer, unsigned long count) {
    return syscall(SYS_write, fd, buffer, count);
}

long nfv_writev(int fd, const struct iovec *vectors, int count) {
    return syscall(SYS_writev, fd, vectors, count);
}

int nfv_set_no_new_privs(void) {
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 ? 0 : -errno;
}

int nfv_keep_capabilities(unsigned long long keep) {
    int last = 63;
    while (last > 0 && prctl(PR_CAPBSET_READ, last, 0, 0, 0) < 0) last--;
    for (int cap = 0; cap <= last; cap++) {
        if (keep & (1ULL << cap)) continue;
        if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) return -errno;
    }
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof(data));
    if (syscall(SYS_capget, &header, data) != 0) return -errno;
    // Only what is held can be kept.
    unsigned long long held = (unsigned long long)data[1].permitted << 32 | data[0].permitted;
    keep &= held;
    data[0].effective = data[0].permitted = (unsigned int)(keep & 0xffffffffULL);
    data[1].effective = data[1].permitted = (unsigned int)(keep >> 32);
    data[0].inheritable = data[1].inheritable = 0;
    return syscall(SYS_capset, &header, data) == 0 ? 0 : -errno;
}

unsigned long long nfv_heap_bytes_in_use(void) {
    struct mallinfo2 info = mallinfo2();
    return (unsigned long long)info.uordblks + (unsigned long long)info.hblkhd;
}

long nfv_send_with_fds(int socket, const void *data, unsigned long count, const int *fds, int fdCount) {
    struct iovec vector = { .iov_base = (void *)data, .iov_len = count };
    struct msghdr message;
    memset(&message, 0, sizeof message);
    message.msg_iov = &vector;
    message.msg_iovlen = 1;
    char control[CMSG_SPACE(sizeof(int) * 253)];
    if (fdCount > 253) return -EINVAL;
    if (fdCount > 0) {
        memset(control, 0, sizeof control);
        message.msg_control = control;
        message.msg_controllen = CMSG_SPACE(sizeof(int) * fdCount);
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int) * fdCount);
        memcpy(CMSG_DATA(header), fds, sizeof(int) * fdCount);
    }
    long sent;
    do { sent = sendmsg(socket, &message, MSG_NOSIGNAL); } while (sent < 0 && errno == EINTR);
    return sent < 0 ? -errno : sent;
}

long nfv_receive_with_fds(int socket, void *data, unsigned long capacity, int *fds, int fdCapacity, int *fdCount) {
    struct iovec vector = { .iov_base = data, .iov_len = capacity };
    struct msghdr message;
    memset(&message, 0, sizeof message);
    message.msg_iov = &vector;
    message.msg_iovlen = 1;
    char control[CMSG_SPACE(sizeof(int) * 253)];
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    *fdCount = 0;
    long received;
    do { received = recvmsg(socket, &message, MSG_CMSG_CLOEXEC); } while (received < 0 && errno == EINTR);
    if (received < 0) return -errno;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
        int count = (int)((header->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        int *passed = (int *)CMSG_DATA(header);
        for (int index = 0; index < count; index++) {
            if (*fdCount < fdCapacity) fds[(*fdCount)++] = passed[index];
            else close(passed[index]);
        }
    }
    return received;
}
