/*
 * xen/netif_none.c: the network interfaces of the Xen platform (net/netif.h), until the
 * netfront driver exists: there are none. netfront replaces this file with its own
 * netif_platform_open(), which opens one interface per vif in xenstore.
 */
#include "net/netif.h"

int netif_platform_open(struct netif **interfaces, int max)
{
	(void)interfaces;
	(void)max;
	return 0;
}
