// udpgen: the TAP-pair benchmark's traffic generator. Sends minimum-size Ethernet/IPv4/UDP
// frames (60 bytes before the FCS, so 64 on a wire) out of one interface through an AF_PACKET
// socket, in batches of `--batch` frames per sendmmsg(2), as fast as the kernel takes them,
// for `--seconds`. Each frame is a real packet: IPv4 header checksum and UDP checksum are
// computed, so a stateful chain (firewall, NAT, LB) sees valid traffic. `--flows N` cycles the
// UDP source port over N values, giving N distinct flows.
//
// usage: udpgen IFNAME SRC_MAC DST_MAC SRC_IP DST_IP DST_PORT [--flows N] [--seconds S] [--batch B]
// prints: sent=<frames accepted by the kernel> seconds=<elapsed> pps=<sent/seconds>
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME_BYTES 60
#define MAX_BATCH 256

static int parse_mac(const char *text, uint8_t *mac) {
    return sscanf(text, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) == 6 ? 0 : -1;
}

static uint16_t checksum(const uint8_t *data, size_t length, uint32_t sum) {
    for (size_t i = 0; i + 1 < length; i += 2) sum += (uint32_t)data[i] << 8 | data[i + 1];
    if (length & 1) sum += (uint32_t)data[length - 1] << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void build(uint8_t *frame, const uint8_t *src_mac, const uint8_t *dst_mac, uint32_t src_ip, uint32_t dst_ip,
                  uint16_t src_port, uint16_t dst_port) {
    memset(frame, 0, FRAME_BYTES);
    memcpy(frame, dst_mac, 6);
    memcpy(frame + 6, src_mac, 6);
    frame[12] = 0x08; frame[13] = 0x00;
    uint8_t *ip = frame + 14;
    uint16_t ip_length = FRAME_BYTES - 14;  // 46: 20 IP + 8 UDP + 18 payload
    ip[0] = 0x45; ip[2] = ip_length >> 8; ip[3] = ip_length & 0xff;
    ip[6] = 0x40;  // DF
    ip[8] = 64; ip[9] = 17;
    memcpy(ip + 12, &src_ip, 4);
    memcpy(ip + 16, &dst_ip, 4);
    uint16_t ip_sum = checksum(ip, 20, 0);
    ip[10] = ip_sum >> 8; ip[11] = ip_sum & 0xff;
    uint8_t *udp = ip + 20;
    uint16_t udp_length = ip_length - 20;
    udp[0] = src_port >> 8; udp[1] = src_port & 0xff;
    udp[2] = dst_port >> 8; udp[3] = dst_port & 0xff;
    udp[4] = udp_length >> 8; udp[5] = udp_length & 0xff;
    memcpy(udp + 8, "nfv-bench-udpgen!!", 18);
    // Pseudo-header: addresses, protocol, UDP length.
    uint32_t sum = 0;
    for (int i = 12; i < 20; i += 2) sum += (uint32_t)ip[i] << 8 | ip[i + 1];
    sum += 17 + udp_length;
    uint16_t udp_sum = checksum(udp, udp_length, sum);
    if (udp_sum == 0) udp_sum = 0xffff;
    udp[6] = udp_sum >> 8; udp[7] = udp_sum & 0xff;
}

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: udpgen IFNAME SRC_MAC DST_MAC SRC_IP DST_IP DST_PORT [--flows N] [--seconds S] [--batch B]\n");
        return 2;
    }
    int flows = 64, batch = 64;
    double seconds = 10;
    for (int i = 7; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--flows")) flows = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch")) batch = atoi(argv[i + 1]);
        else { fprintf(stderr, "udpgen: unknown option %s\n", argv[i]); return 2; }
    }
    if (flows < 1 || flows > 65535 || batch < 1 || batch > MAX_BATCH || seconds <= 0) {
        fprintf(stderr, "udpgen: --flows 1..65535, --batch 1..%d, --seconds > 0\n", MAX_BATCH);
        return 2;
    }
    uint8_t src_mac[6], dst_mac[6];
    struct in_addr src_ip, dst_ip;
    if (parse_mac(argv[2], src_mac) || parse_mac(argv[3], dst_mac) || !inet_aton(argv[4], &src_ip) || !inet_aton(argv[5], &dst_ip)) {
        fprintf(stderr, "udpgen: bad MAC or IPv4 address\n");
        return 2;
    }
    uint16_t dst_port = (uint16_t)atoi(argv[6]);
    int fd = socket(AF_PACKET, SOCK_RAW, 0);  // protocol 0: send only, never receives
    if (fd < 0) { perror("udpgen: socket(AF_PACKET)"); return 1; }
    struct sockaddr_ll address = {0};
    address.sll_family = AF_PACKET;
    address.sll_ifindex = if_nametoindex(argv[1]);
    address.sll_halen = 6;
    memcpy(address.sll_addr, dst_mac, 6);
    if (!address.sll_ifindex) { fprintf(stderr, "udpgen: no interface %s\n", argv[1]); return 1; }
    if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) { perror("udpgen: bind"); return 1; }
    int bypass = 1;  // straight to the driver, as pktgen-style senders do (no qdisc)
    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &bypass, sizeof bypass);

    uint8_t *frames = malloc((size_t)flows * FRAME_BYTES);
    for (int f = 0; f < flows; f++)
        build(frames + (size_t)f * FRAME_BYTES, src_mac, dst_mac, src_ip.s_addr, dst_ip.s_addr, (uint16_t)(10000 + f), dst_port);
    struct mmsghdr messages[MAX_BATCH];
    struct iovec vectors[MAX_BATCH];
    memset(messages, 0, sizeof messages);

    unsigned long long sent = 0, refused = 0;
    int next = 0;
    double start = now_seconds(), end = start + seconds, current = start;
    while (current < end) {
        for (int i = 0; i < batch; i++) {
            vectors[i].iov_base = frames + (size_t)next * FRAME_BYTES;
            vectors[i].iov_len = FRAME_BYTES;
            messages[i].msg_hdr.msg_iov = &vectors[i];
            messages[i].msg_hdr.msg_iovlen = 1;
            next = next + 1 == flows ? 0 : next + 1;
        }
        int result = sendmmsg(fd, messages, batch, 0);
        if (result > 0) sent += result;
        else if (errno == ENOBUFS || errno == EAGAIN) refused++;
        else if (result < 0 && errno != EINTR) { perror("udpgen: sendmmsg"); return 1; }
        current = now_seconds();
    }
    double elapsed = current - start;
    printf("sent=%llu seconds=%.3f pps=%.0f refused_batches=%llu\n", sent, elapsed, sent / elapsed, refused);
    return 0;
}
