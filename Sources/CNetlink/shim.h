#ifndef NFV_CNETLINK_SHIM_H
#define NFV_CNETLINK_SHIM_H
// Glibc's net/if.h only: <linux/if.h> clashes with it (struct ifreq).
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/errno.h>
#include <netlink/socket.h>
#include <netlink/cache.h>
#include <netlink/route/link.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/inet6.h>
#include <netlink/addr.h>
#include <linux/neighbour.h>
#endif
