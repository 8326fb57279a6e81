#ifndef NFV_CPCAP_SHIM_H
#define NFV_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
