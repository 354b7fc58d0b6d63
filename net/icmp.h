/*
 * net/icmp.h: the Internet Control Message Protocol (RFC 792) as far as a host needs it:
 * answering echo requests ("ping"), and telling a sender that no one listens on a UDP port.
 */
#ifndef NET_ICMP_H
#define NET_ICMP_H

#include <stdint.h>
#include "net/ipv4.h"
#include "net/netbuf.h"

#define ICMP_ECHO_REPLY          0
#define ICMP_DEST_UNREACHABLE    3
#define ICMP_ECHO_REQUEST        8
#define ICMP_CODE_PORT_UNREACHABLE 3

/* A received ICMP message (IPv4 header pulled); takes it. */
void icmp_input(const struct ipv4_info *info, struct netbuf *packet);

/*
 * Send "destination unreachable" with `code` about the received packet described by
 * `info`, quoting its IPv4 header and the first 8 bytes after it (RFC 792), which are in
 * `payload`. Never answers a broadcast, and at most ICMP_ERRORS_PER_SECOND go out, so we
 * cannot be used to amplify a flood (RFC 1122 3.2.2).
 */
#define ICMP_ERRORS_PER_SECOND 10
void icmp_send_unreachable(const struct ipv4_info *info, uint8_t code,
			   const struct netbuf *payload);

#endif
