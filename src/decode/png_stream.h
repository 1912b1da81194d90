/* A streaming PNG writer for big RGBA mosaics: the image arrives in bands of
 * rows, in any order, and each band is compressed as soon as it is handed
 * over, so encoding overlaps with whatever produces the bands (the network,
 * for `meridian fetch`) and little is left to do after the last band.
 *
 * Output: 8-bit RGBA (colour type 6), non-interlaced; one IDAT chunk per
 * piece. Any conforming decoder reads it (the tests use libpng and Python's
 * zlib).
 *
 * Threads: mer_png_stream_open starts `threads` compression workers. The
 * functions below are called from one client thread. Workers compress pieces
 * of bands independently and write finished pieces to the FILE in image
 * order; the client must not touch the FILE between open and finish. */
#ifndef MER_DECODE_PNG_STREAM_H
#define MER_DECODE_PNG_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct mer_png_stream mer_png_stream;

typedef struct mer_png_stream_stats {
    uint64_t bytes_out;    /* PNG bytes written so far */
    double compress_ms;    /* summed over workers */
    int threads;
} mer_png_stream_stats;

/* Writes the PNG signature and header to f. width, height: 1..65535; band_h:
 * rows per band (the last band may be shorter); threads: compression workers,
 * 0 = pick from the core count. NULL with a reason in err on failure. */
mer_png_stream *mer_png_stream_open(FILE *f, int width, int height, int band_h, int threads, char *err,
                                    size_t errlen);

/* The number of bands: ceil(height / band_h). */
int mer_png_stream_bands(const mer_png_stream *s);

/* Hands over band `band`: its rows, width * 4 bytes each, tightly packed, top
 * to bottom. Ownership of rgba moves to the stream, which frees it (free())
 * once compressed; the caller clears its pointer. Each band exactly once, in
 * any order. Never blocks on compression. False on a bad or repeated index. */
bool mer_png_stream_put_band(mer_png_stream *s, int band, uint8_t *rgba);

/* Waits for every band to be compressed and written, then writes the end of
 * the PNG and flushes f (which stays open). False with a reason if a band was
 * never handed over or a write failed. Call once. */
bool mer_png_stream_finish(mer_png_stream *s, char *err, size_t errlen);

void mer_png_stream_get_stats(mer_png_stream *s, mer_png_stream_stats *out);

/* Stops the workers and frees everything (bands not yet written are lost).
 * NULL is fine. */
void mer_png_stream_destroy(mer_png_stream *s);

#endif
