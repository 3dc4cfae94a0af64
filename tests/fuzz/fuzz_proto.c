// SPDX-License-Identifier: MIT
/* Fuzz target: the agent protocol's line buffer and decoder, fed guest bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "agent_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pmt_linebuf lb;
	const char *line;
	size_t len, half = size / 2;
	char err[256];

	pmt_linebuf_init(&lb);
	pmt_linebuf_feed(&lb, (const char *)data, half);
	pmt_linebuf_feed(&lb, (const char *)data + half, size - half);
	for (;;) {
		enum pmt_line_status st = pmt_linebuf_next(&lb, &line, &len);
		struct pmt_msg m;

		if (st == PMT_LINE_NONE)
			break;
		if (st != PMT_LINE_OK)
			continue;
		if (pmt_msg_decode(line, len, &m, err, sizeof(err)) == 0)
			pmt_msg_release(&m);
	}
	pmt_linebuf_free(&lb);
	return 0;
}
