/* Streaming PNG writer (see png_stream.h).
 *
 * Design: a PNG's pixels are one zlib stream split over IDAT chunks. A zlib
 * stream may be made of independently compressed pieces (the way pigz works):
 * each piece is raw deflate ending in a sync flush (an empty stored block,
 * byte-aligned, not final), only the last piece ends with a final block, and
 * the Adler-32 of the whole is combined from the pieces' checksums
 * (adler32_combine). So bands can be compressed in any order and on several
 * threads, and the bytes written in image order are still one valid stream.
 *
 * Each band is cut into up to `threads` pieces, so the last band (the one
 * that is on the critical path after the last tile) is compressed by all
 * workers at once. Level 1 and the Up filter (Sub on a band's first row, so
 * no piece needs another band's pixels): measured on tilesim mosaics, level 1
 * with Up is as fast as no filter and a third smaller; higher levels cost 1.5-2x
 * the time for 5-10 % less.
 *
 * Threads: `threads` workers own nothing but the piece they compress. Shared
 * state is under `lock`. Whoever finishes the piece that is next in image
 * order becomes the writer (`writing`) and writes every consecutive finished
 * piece, without the lock held; one writer at a time keeps the file in order. */
#include "decode/png_stream.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "core/clock.h"

#define MAX_THREADS 4
#define MIN_PIECE_ROWS 16
#define ZLEVEL 1

typedef struct piece {
    int band, row0, rows; /* rows row0 .. row0 + rows - 1 of the band */
    bool done;            /* lock */
    uint8_t *out;         /* compressed; lock until done, then the writer's */
    size_t out_len;
    uLong adler;          /* of the filtered bytes */
    size_t raw_len;
} piece;

typedef struct band {
    uint8_t *rgba;        /* lock (set once); freed when pieces_left reaches 0 */
    int rows, pieces_left;
    bool given;
} band;

struct mer_png_stream {
    FILE *f;
    int w, h, band_h, nbands, per_band, npieces;
    size_t stride;
    band *bands;
    piece *pieces;
    pthread_mutex_t lock;
    pthread_cond_t work;      /* queue non-empty or stop */
    pthread_cond_t progress;  /* a piece was written or failed */
    int *queue, q_head, q_tail; /* lock: piece indices to compress */
    int next_write;           /* lock: first piece not yet written */
    bool writing;             /* lock: a thread is writing pieces */
    bool stop, failed;        /* lock */
    char why[160];            /* lock: first failure */
    uint64_t bytes_out;       /* lock */
    double compress_ms;       /* lock */
    uLong adler;              /* the writer's: Adler-32 of pieces written */
    pthread_t th[MAX_THREADS];
    int nthreads;
};

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Writes one chunk whose data is head + body + tail (any may be empty). */
static bool write_chunk(FILE *f, const char type[4], const uint8_t *head, size_t hlen, const uint8_t *body,
                        size_t blen, const uint8_t *tail, size_t tlen)
{
    uint8_t lenb[4], crcb[4];
    put32(lenb, (uint32_t)(hlen + blen + tlen));
    /* (crc32 with a NULL buffer would return the initial value: skip empties) */
    uLong crc = crc32(0L, (const Bytef *)type, 4);
    if (hlen)
        crc = crc32(crc, head, (uInt)hlen);
    for (size_t off = 0; off < blen;) { /* crc32 takes uInt lengths */
        size_t n = blen - off > (1u << 30) ? (1u << 30) : blen - off;
        crc = crc32(crc, body + off, (uInt)n);
        off += n;
    }
    if (tlen)
        crc = crc32(crc, tail, (uInt)tlen);
    put32(crcb, (uint32_t)crc);
    return fwrite(lenb, 1, 4, f) == 4 && fwrite(type, 1, 4, f) == 4 && (!hlen || fwrite(head, 1, hlen, f) == hlen) &&
           (!blen || fwrite(body, 1, blen, f) == blen) && (!tlen || fwrite(tail, 1, tlen, f) == tlen) &&
           fwrite(crcb, 1, 4, f) == 4;
}

static void fail_locked(mer_png_stream *s, const char *why)
{
    if (!s->failed)
        snprintf(s->why, sizeof s->why, "%s", why);
    s->failed = true;
    pthread_cond_broadcast(&s->progress);
}

/* Filters one row into dst (filter byte first): Up, or Sub without a row above. */
static void filter_row(const uint8_t *row, const uint8_t *above, size_t stride, uint8_t *dst)
{
    if (above) {
        dst[0] = 2;
        for (size_t i = 0; i < stride; i++)
            dst[1 + i] = (uint8_t)(row[i] - above[i]);
    } else {
        dst[0] = 1;
        memcpy(dst + 1, row, stride < 4 ? stride : 4);
        for (size_t i = 4; i < stride; i++)
            dst[1 + i] = (uint8_t)(row[i] - row[i - 4]);
    }
}

/* Compresses piece p of band b (pixels rgba) into p->out; false on failure. */
static bool compress_piece(const mer_png_stream *s, piece *p, const uint8_t *rgba, bool last)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, ZLEVEL, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return false;
    size_t line = s->stride + 1;
    p->raw_len = line * (size_t)p->rows;
    size_t cap = deflateBound(&z, (uLong)p->raw_len) + 64; /* + the flush marker */
    uint8_t *row = malloc(line);
    p->out = malloc(cap);
    p->adler = adler32(0L, Z_NULL, 0);
    bool ok = row && p->out;
    z.next_out = p->out;
    z.avail_out = (uInt)cap;
    for (int r = 0; ok && r < p->rows; r++) {
        int y = p->row0 + r;
        const uint8_t *px = rgba + (size_t)y * s->stride;
        filter_row(px, y > 0 ? px - s->stride : NULL, s->stride, row);
        p->adler = adler32(p->adler, row, (uInt)line);
        z.next_in = row;
        z.avail_in = (uInt)line;
        int flush = r + 1 < p->rows ? Z_NO_FLUSH : last ? Z_FINISH : Z_SYNC_FLUSH;
        int zr = deflate(&z, flush);
        /* deflateBound covers the whole piece, so the output never runs out. */
        ok = (flush == Z_FINISH ? zr == Z_STREAM_END : zr == Z_OK) && z.avail_in == 0;
    }
    p->out_len = cap - z.avail_out;
    deflateEnd(&z);
    free(row);
    if (!ok) {
        free(p->out);
        p->out = NULL;
    }
    return ok;
}

/* Writes piece i; the caller holds the writer role, not the lock. */
static bool write_piece(mer_png_stream *s, int i)
{
    piece *p = &s->pieces[i];
    static const uint8_t zhead[2] = {0x78, 0x01}; /* deflate, 32 KiB window, "fastest" */
    uint8_t ztail[4];
    s->adler = i == 0 ? p->adler : adler32_combine(s->adler, p->adler, (z_off_t)p->raw_len);
    bool last = i == s->npieces - 1;
    if (last)
        put32(ztail, (uint32_t)s->adler);
    return write_chunk(s->f, "IDAT", zhead, i == 0 ? 2 : 0, p->out, p->out_len, ztail, last ? 4 : 0);
}

/* Writes every consecutive finished piece, unless someone else already is. */
static void write_ready_locked(mer_png_stream *s)
{
    if (s->writing)
        return;
    s->writing = true;
    while (!s->failed && s->next_write < s->npieces && s->pieces[s->next_write].done) {
        int i = s->next_write;
        pthread_mutex_unlock(&s->lock);
        bool ok = write_piece(s, i);
        pthread_mutex_lock(&s->lock);
        s->bytes_out += s->pieces[i].out_len + 12 + (i == 0 ? 2 : 0) + (i == s->npieces - 1 ? 4 : 0);
        free(s->pieces[i].out);
        s->pieces[i].out = NULL;
        s->next_write++;
        if (!ok)
            fail_locked(s, "write error");
        pthread_cond_broadcast(&s->progress);
    }
    s->writing = false;
}

static void *worker(void *arg)
{
    mer_png_stream *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        if (s->q_head == s->q_tail) {
            pthread_cond_wait(&s->work, &s->lock);
            continue;
        }
        int i = s->queue[s->q_head++];
        piece *p = &s->pieces[i];
        band *b = &s->bands[p->band];
        const uint8_t *rgba = b->rgba;
        pthread_mutex_unlock(&s->lock);

        double t0 = mer_clock_ms();
        bool ok = compress_piece(s, p, rgba, i == s->npieces - 1);
        double dt = mer_clock_ms() - t0;

        pthread_mutex_lock(&s->lock);
        s->compress_ms += dt;
        uint8_t *release = --b->pieces_left == 0 ? b->rgba : NULL;
        if (release)
            b->rgba = NULL;
        if (!ok) {
            fail_locked(s, "out of memory or zlib error while compressing");
        } else {
            p->done = true;
            write_ready_locked(s);
        }
        pthread_mutex_unlock(&s->lock);
        free(release);
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static int pick_threads(int threads)
{
    if (threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (int)n : 1;
    }
    return threads > MAX_THREADS ? MAX_THREADS : threads;
}

static bool write_header(FILE *f, int w, int h)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    uint8_t ihdr[13];
    put32(ihdr, (uint32_t)w);
    put32(ihdr + 4, (uint32_t)h);
    ihdr[8] = 8;  /* bits per sample */
    ihdr[9] = 6;  /* RGBA */
    ihdr[10] = 0; /* deflate */
    ihdr[11] = 0; /* adaptive filtering (per-row filter bytes) */
    ihdr[12] = 0; /* not interlaced */
    return fwrite(sig, 1, 8, f) == 8 && write_chunk(f, "IHDR", NULL, 0, ihdr, 13, NULL, 0);
}

mer_png_stream *mer_png_stream_open(FILE *f, int width, int height, int band_h, int threads, char *err,
                                    size_t errlen)
{
    if (!f || width < 1 || width > 65535 || height < 1 || height > 65535 || band_h < 1) {
        snprintf(err, errlen, "bad PNG size %dx%d (bands of %d rows)", width, height, band_h);
        return NULL;
    }
    mer_png_stream *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->f = f;
    s->w = width;
    s->h = height;
    s->band_h = band_h;
    s->stride = (size_t)width * 4;
    s->nbands = (height + band_h - 1) / band_h;
    s->nthreads = pick_threads(threads);
    s->per_band = band_h / MIN_PIECE_ROWS < s->nthreads ? band_h / MIN_PIECE_ROWS : s->nthreads;
    if (s->per_band < 1)
        s->per_band = 1;
    s->bands = calloc((size_t)s->nbands, sizeof *s->bands);
    s->pieces = calloc((size_t)s->nbands * (size_t)s->per_band, sizeof *s->pieces);
    s->queue = calloc((size_t)s->nbands * (size_t)s->per_band, sizeof *s->queue);
    if (!s->bands || !s->pieces || !s->queue) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (int b = 0; b < s->nbands; b++) {
        int rows = b + 1 < s->nbands ? band_h : height - b * band_h;
        int k = rows < s->per_band ? rows : s->per_band;
        s->bands[b].rows = rows;
        s->bands[b].pieces_left = k;
        for (int j = 0; j < k; j++) {
            piece *p = &s->pieces[s->npieces++];
            p->band = b;
            p->row0 = rows * j / k;
            p->rows = rows * (j + 1) / k - p->row0;
        }
    }
    if (!write_header(f, width, height)) {
        snprintf(err, errlen, "write error");
        goto fail;
    }
    s->bytes_out = 8 + 12 + 13; /* signature, IHDR */
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->work, NULL);
    pthread_cond_init(&s->progress, NULL);
    for (int i = 0; i < s->nthreads; i++)
        if (pthread_create(&s->th[i], NULL, worker, s) != 0) {
            s->nthreads = i;
            if (i == 0) {
                snprintf(err, errlen, "cannot start a compression thread");
                mer_png_stream_destroy(s);
                return NULL;
            }
            break;
        }
    return s;
fail:
    free(s->bands);
    free(s->pieces);
    free(s->queue);
    free(s);
    return NULL;
}

int mer_png_stream_bands(const mer_png_stream *s)
{
    return s->nbands;
}

bool mer_png_stream_put_band(mer_png_stream *s, int b, uint8_t *rgba)
{
    pthread_mutex_lock(&s->lock);
    if (b < 0 || b >= s->nbands || s->bands[b].given || !rgba) {
        pthread_mutex_unlock(&s->lock);
        free(rgba);
        return false;
    }
    s->bands[b].given = true;
    s->bands[b].rgba = rgba;
    for (int i = 0; i < s->npieces; i++) /* pieces are in band order; a band has few */
        if (s->pieces[i].band == b)
            s->queue[s->q_tail++] = i;
    pthread_mutex_unlock(&s->lock);
    pthread_cond_broadcast(&s->work);
    return true;
}

bool mer_png_stream_finish(mer_png_stream *s, char *err, size_t errlen)
{
    pthread_mutex_lock(&s->lock);
    for (int b = 0; b < s->nbands; b++)
        if (!s->bands[b].given)
            fail_locked(s, "a band of the image was never handed over");
    while (!s->failed && s->next_write < s->npieces)
        pthread_cond_wait(&s->progress, &s->lock);
    bool ok = !s->failed;
    if (!ok)
        snprintf(err, errlen, "%s", s->why);
    pthread_mutex_unlock(&s->lock);
    if (ok && (!write_chunk(s->f, "IEND", NULL, 0, NULL, 0, NULL, 0) || fflush(s->f) != 0)) {
        snprintf(err, errlen, "write error");
        ok = false;
    }
    if (ok) {
        pthread_mutex_lock(&s->lock);
        s->bytes_out += 12;
        pthread_mutex_unlock(&s->lock);
    }
    return ok;
}

void mer_png_stream_get_stats(mer_png_stream *s, mer_png_stream_stats *out)
{
    pthread_mutex_lock(&s->lock);
    out->bytes_out = s->bytes_out;
    out->compress_ms = s->compress_ms;
    out->threads = s->nthreads;
    pthread_mutex_unlock(&s->lock);
}

void mer_png_stream_destroy(mer_png_stream *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_mutex_unlock(&s->lock);
    pthread_cond_broadcast(&s->work);
    for (int i = 0; i < s->nthreads; i++)
        pthread_join(s->th[i], NULL);
    for (int b = 0; b < s->nbands; b++)
        free(s->bands[b].rgba);
    for (int i = 0; i < s->npieces; i++)
        free(s->pieces[i].out);
    pthread_cond_destroy(&s->work);
    pthread_cond_destroy(&s->progress);
    pthread_mutex_destroy(&s->lock);
    free(s->bands);
    free(s->pieces);
    free(s->queue);
    free(s);
}
