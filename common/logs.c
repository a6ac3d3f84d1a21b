/* logs.c - demultiplex the engine's framed stdout/stderr stream */
#include <string.h>

#include "common/logs.h"

static int
emit(struct cfir_demux *d, int stream, const void *buf, size_t len,
     struct cfir_err *err)
{
	if (len == 0)
		return 0;
	d->bytes[stream] += len;
	return d->out(d->ctx, stream, buf, len, err);
}

int
cfir_demux_feed(struct cfir_demux *d, const void *buf, size_t len,
		struct cfir_err *err)
{
	const unsigned char *p = buf;
	size_t take;

	while (len > 0) {
		if (d->raw)
			return emit(d, CFIR_STREAM_RAW, p, len, err);
		if (d->left > 0) {
			take = len < d->left ? len : d->left;
			if (emit(d, d->stream, p, take, err) < 0)
				return -1;
			d->left -= (uint32_t)take;
			p += take;
			len -= take;
			continue;
		}
		take = 8 - d->hlen < len ? 8 - d->hlen : len;
		memcpy(d->hdr + d->hlen, p, take);
		d->hlen += take;
		p += take;
		len -= take;
		if (d->hlen < 8)
			break;
		d->hlen = 0;
		if (d->hdr[0] > CFIR_STREAM_STDERR || d->hdr[1] || d->hdr[2] || d->hdr[3]) {
			d->raw = true;
			if (emit(d, CFIR_STREAM_RAW, d->hdr, 8, err) < 0)
				return -1;
			continue;
		}
		d->stream = d->hdr[0];
		d->left = (uint32_t)d->hdr[4] << 24 | (uint32_t)d->hdr[5] << 16 |
			  (uint32_t)d->hdr[6] << 8 | d->hdr[7];
		d->frames++;
	}
	return 0;
}

int
cfir_demux_finish(struct cfir_demux *d, struct cfir_err *err)
{
	if (d->raw)
		return cfir_err_set(err, EX_DATAERR, 0,
				    "log stream has a malformed frame header after %llu frames",
				    (unsigned long long)d->frames);
	if (d->hlen > 0) {
		/* a header cut short: keep its bytes */
		d->raw = true;
		if (emit(d, CFIR_STREAM_RAW, d->hdr, d->hlen, err) < 0)
			return -1;
		return cfir_err_set(err, EX_DATAERR, 0, "log stream ends inside a frame header");
	}
	if (d->left > 0)
		return cfir_err_set(err, EX_DATAERR, 0,
				    "log stream ends %u bytes short of its last frame", d->left);
	return 0;
}
