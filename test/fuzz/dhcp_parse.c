/*
 * test/fuzz/dhcp_parse.c: libFuzzer target for the DHCP message parser. The input is one
 * UDP payload, copied to a heap block of exactly its size so AddressSanitizer sees any read
 * past the end. A message that parses is encoded again and parsed again: the fields the
 * client uses must survive the round trip.
 */
#include <stdint.h>
#include <stdlib.h>
#include "net/dhcp.h"
#include "lib/string.h"

#undef malloc
#undef free

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size > 0 ? size : 1), encoded[DHCP_MESSAGE_MAX];
	struct dhcp_message message, again;
	int length;

	memcpy(copy, data, size);
	if (dhcp_parse(copy, size, &message) == 0) {
		length = dhcp_encode(&message, encoded, sizeof(encoded));
		if (length < 0 || dhcp_parse(encoded, (size_t)length, &again) != 0 ||
		    again.xid != message.xid || again.type != message.type ||
		    again.yiaddr != message.yiaddr || again.server_id != message.server_id ||
		    again.requested_address != message.requested_address)
			abort();
	}
	free(copy);
	return 0;
}
