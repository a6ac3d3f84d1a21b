/* logs.h - the engine's multiplexed log stream (8-byte frame headers) */
#ifndef CFIR_LOGS_H
#define CFIR_LOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

enum {
	CFIR_STREAM_STDIN = 0,
	CFIR_STREAM_STDOUT = 1,
	CFIR_STREAM_STDERR = 2,
	CFIR_STREAM_RAW = 3,	/* bytes after a malformed header, kept as they came */
};

typedef int (*cfir_demux_fn)(void *ctx, int stream, const void *buf, size_t len,
			     struct cfir_err *err);

/*
 * Frames are [stream, 0, 0, 0, size (4 bytes, big endian)] + payload. A
 * header that breaks that shape switches the demuxer to raw: the rest of
 * the stream goes out unchanged as CFIR_STREAM_RAW, nothing is dropped.
 */
struct cfir_demux {
	cfir_demux_fn out;
	void *ctx;
	unsigned char hdr[8];
	size_t hlen;
	uint32_t left;		/* payload bytes left in the current frame */
	int stream;
	bool raw;
	uint64_t frames;
	uint64_t bytes[4];
};

int cfir_demux_feed(struct cfir_demux *d, const void *buf, size_t len,
		    struct cfir_err *err);
/* At end of stream: an error when it stopped inside a frame. */
int cfir_demux_finish(struct cfir_demux *d, struct cfir_err *err);

#endif
