/*
 * platform/linux/tap.c: the hosted network driver: a Linux TAP device as a struct netif
 * (net/netif.h). What the process writes to the TAP descriptor enters Linux as if it had
 * arrived on a network card called, say, tap0; what Linux sends out of tap0 the process
 * reads. Each read or write is exactly one Ethernet frame.
 *
 * Checksum offload. With IFF_VNET_HDR every frame is preceded by a struct virtio_net_hdr,
 * and the hints travel in it exactly as they do on Xen's rings, which is why the hosted
 * target uses it: sending, VIRTIO_NET_HDR_F_NEEDS_CSUM with csum_start/csum_offset asks
 * Linux to finish a checksum that holds the pseudo-header sum (NETBUF_CSUM_PARTIAL);
 * receiving, F_NEEDS_CSUM or F_DATA_VALID say the checksum need not be checked
 * (NETBUF_CSUM_VERIFIED). --no-offload turns this off and the stack checksums everything.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include "platform/linux/hosted.h"
#include "net/netif.h"
#include "lib/errno.h"
#include "lib/page_alloc.h"

#define TAP_MAX_FRAGMENTS 16

struct tap {
	struct netif netif;
	int fd;
	bool vnet_header;
	unsigned int loss_percent;      /* --loss: frames dropped on purpose, each way */
	uint64_t loss_state;            /* a fixed-seed generator, so runs repeat */
};

/*
 * Whether to lose this frame on purpose (--loss). Linux here has no netem to lose packets
 * for us, and TCP's retransmission and reassembly deserve a real peer too.
 */
static bool lose_frame(struct tap *tap)
{
	if (tap->loss_percent == 0)
		return false;
	tap->loss_state = tap->loss_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (tap->loss_state >> 33) % 100 < tap->loss_percent;
}

static struct tap taps[HOSTED_MAX_TAPS];

static int tap_transmit(struct netif *netif, struct netbuf *frame)
{
	struct tap *tap = netif->driver;
	struct virtio_net_hdr header = { .gso_type = VIRTIO_NET_HDR_GSO_NONE };
	struct iovec vector[1 + TAP_MAX_FRAGMENTS];
	int count = 0, rc = 0;

	if (lose_frame(tap)) {
		netbuf_free(frame);
		return 0;
	}
	if (tap->vnet_header) {
		if (frame->flags & NETBUF_CSUM_PARTIAL) {
			header.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
			header.csum_start = frame->csum_start;
			header.csum_offset = frame->csum_offset;
		}
		vector[count++] = (struct iovec){ &header, sizeof(header) };
	}
	/* A chain goes out as one frame, gathered by writev: scatter-gather transmit. */
	for (struct netbuf *fragment = frame; fragment != NULL; fragment = fragment->next) {
		if (count == 1 + TAP_MAX_FRAGMENTS) {
			rc = -EMSGSIZE;
			break;
		}
		vector[count++] = (struct iovec){ fragment->data, fragment->length };
	}
	if (rc == 0 && writev(tap->fd, vector, count) < 0)
		rc = errno == EAGAIN ? -ENOBUFS : -EIO;
	netbuf_free(frame);
	return rc;
}

static int tap_poll(struct netif *netif, int budget)
{
	struct tap *tap = netif->driver;
	int received = 0;

	while (received < budget) {
		struct virtio_net_hdr header;
		struct netbuf *frame = netbuf_alloc(0);
		struct iovec vector[2];
		int count = 0;
		ssize_t length;

		if (frame == NULL) {
			/* No memory: leave the frames in the kernel's queue and try again later. */
			netif->stats.rx_dropped++;
			break;
		}
		if (tap->vnet_header)
			vector[count++] = (struct iovec){ &header, sizeof(header) };
		vector[count++] = (struct iovec){ frame->data, netbuf_tailroom(frame) };
		length = readv(tap->fd, vector, count);
		if (length < 0) {
			netbuf_free(frame);
			if (errno != EAGAIN && errno != EINTR)
				netif->stats.rx_errors++;
			break;
		}
		if (tap->vnet_header) {
			if ((size_t)length < sizeof(header) ||
			    header.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
				/* We never offered segmentation offload; such a frame is an error. */
				netif->stats.rx_errors++;
				netbuf_free(frame);
				continue;
			}
			length -= (ssize_t)sizeof(header);
			if (header.flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID))
				frame->flags |= NETBUF_CSUM_VERIFIED;
		}
		netbuf_put(frame, (size_t)length);
		if (lose_frame(tap)) {
			netbuf_free(frame);
			continue;
		}
		netif_input(netif, frame);
		received++;
	}
	return received;
}

static const struct netif_ops tap_ops = {
	.transmit = tap_transmit,
	.poll = tap_poll,
};

static void tap_readable(void *arg)
{
	netif_notify(arg);
}

/* The MTU Linux has for the device (ip link set tap0 mtu ...), or 1500. */
static unsigned int device_mtu(const char *name)
{
	struct ifreq request;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	unsigned int mtu = 1500;

	memset(&request, 0, sizeof(request));
	snprintf(request.ifr_name, IFNAMSIZ, "%s", name);
	if (fd >= 0 && ioctl(fd, SIOCGIFMTU, &request) == 0 && request.ifr_mtu >= 576)
		mtu = (unsigned int)request.ifr_mtu;
	if (fd >= 0)
		close(fd);
	return mtu;
}

static int tap_open(struct tap *tap, const char *name, int index, bool offload)
{
	struct ifreq request;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -ENODEV;
	memset(&request, 0, sizeof(request));
	request.ifr_flags = IFF_TAP | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
	snprintf(request.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &request) < 0) {
		fprintf(stderr, "tap: cannot attach to %s: %s\n", name, strerror(errno));
		close(fd);
		return -ENODEV;
	}
	/* TUN_F_CSUM: we accept frames whose checksum Linux left for us (and know it). */
	if (offload && ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM) < 0) {
		fprintf(stderr, "tap: %s: no checksum offload: %s\n", name, strerror(errno));
		close(fd);
		return -ENODEV;
	}
	memset(tap, 0, sizeof(*tap));
	tap->fd = fd;
	tap->vnet_header = offload;
	tap->loss_percent = hosted_options()->loss_percent;
	tap->loss_state = 0x2545f4914f6cdd1dULL + (uint64_t)index;
	snprintf(tap->netif.name, sizeof(tap->netif.name), "%s", name);
	/* A locally administered unicast MAC (bit 1 of the first byte set): 02:4d:6f:74:65:NN. */
	memcpy(tap->netif.mac, "\x02Mote", 5);
	tap->netif.mac[5] = (uint8_t)index;
	tap->netif.mtu = device_mtu(name);
	tap->netif.features = NETIF_F_TX_SG | (offload ? NETIF_F_TX_CSUM : 0);
	tap->netif.ops = &tap_ops;
	tap->netif.driver = tap;
	/* Frames may already be waiting: have the first poll happen anyway. */
	netif_notify(&tap->netif);
	return hosted_watch_fd(fd, tap_readable, &tap->netif);
}

int netif_platform_open(struct netif **interfaces, int max)
{
	const struct hosted_options *options = hosted_options();
	int count = 0;

	for (int i = 0; i < options->tap_count && count < max; i++) {
		int rc = tap_open(&taps[i], options->taps[i], i, options->offload);

		if (rc < 0)
			return rc;
		interfaces[count++] = &taps[i].netif;
	}
	return count;
}
