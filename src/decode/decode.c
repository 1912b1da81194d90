/* Tile image decoding: bytes -> RGBA, on any thread.
 *
 * Tiles come from servers and files we do not control, so every decoder
 * learns the image's dimensions from its header first and refuses anything
 * larger than a tile may be ("image too large") before any pixel memory
 * exists: a 1 KB PNG may declare 60000x60000 (14 GB of RGBA). PNG goes
 * through libpng and JPEG through libjpeg-turbo directly (not SDL_image) so
 * that the limits are ours and explicit (dimensions, ancillary-chunk sizes,
 * progressive scans, the decoder's working memory) and so that a worker thread
 * never touches SDL's per-thread error state. WebP uses libwebp's header
 * parser the same way. Errors inside libpng/libjpeg unwind by longjmp to the
 * one setjmp in each decoder; everything allocated after it is volatile and
 * freed at its single exit. */
#include "decode/decode.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>
#include <webp/decode.h>

/* Ancillary PNG chunks (text, ICC profiles) are of no use to a tile: cap what
 * libpng may allocate for one, so a zTXt bomb costs at most this much. */
#define PNG_CHUNK_MAX (256 * 1024)
#define PNG_CHUNK_CACHE_MAX 64
/* A progressive JPEG may carry thousands of tiny scans, each a full pass over
 * the coefficients (a CPU bomb); real encoders write about ten. */
#define JPEG_MAX_SCANS 100
/* libjpeg's working memory for one tile (coefficient buffers of a progressive
 * 1024 px image are about 12 MB). */
#define JPEG_MAX_MEMORY (32L * 1024 * 1024)

void mer_decode_init(void)
{
    /* Nothing to set up any more: libpng, libjpeg and libwebp keep no global
     * state. Kept so callers need not know which decoders are used. */
}

mer_img_format mer_decode_sniff(const uint8_t *d, size_t len)
{
    static const uint8_t png[8] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
    if (!d)
        return MER_IMG_UNKNOWN;
    if (len >= 8 && memcmp(d, png, 8) == 0)
        return MER_IMG_PNG;
    if (len >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff)
        return MER_IMG_JPEG;
    if (len >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0)
        return MER_IMG_WEBP;
    return MER_IMG_UNKNOWN;
}

const char *mer_img_format_name(mer_img_format f)
{
    switch (f) {
    case MER_IMG_PNG: return "PNG";
    case MER_IMG_JPEG: return "JPEG";
    case MER_IMG_WEBP: return "WebP";
    default: return "unknown";
    }
}

int mer_decode_max_side(int expect_px)
{
    /* Twice the expected side leaves room for @2x tiles of a source that
     * declares 256 px, up to MER_DECODE_MAX_SIDE; a configured tile size
     * above that is allowed itself, never more than MER_DECODE_HARD_MAX. */
    if (expect_px <= 0)
        return MER_DECODE_MAX_SIDE;
    if (expect_px >= MER_DECODE_MAX_SIDE)
        return expect_px < MER_DECODE_HARD_MAX ? expect_px : MER_DECODE_HARD_MAX;
    return 2 * expect_px < MER_DECODE_MAX_SIDE ? 2 * expect_px : MER_DECODE_MAX_SIDE;
}

/* "not an image (starts with "<html>")": printable prefix only. */
static void describe_unknown(const uint8_t *d, size_t len, char *reason, size_t rlen)
{
    char head[17];
    size_t n = 0;
    for (size_t i = 0; i < len && n < 16; i++)
        head[n++] = isprint(d[i]) ? (char)d[i] : '.';
    head[n] = '\0';
    if (len == 0)
        snprintf(reason, rlen, "empty body, not an image");
    else
        snprintf(reason, rlen, "not an image (starts with \"%s\")", head);
}

/* The header's dimensions against what a tile may be; runs before any pixel
 * buffer is allocated. w, h are unsigned: headers hold 32-bit values. */
static bool check_size(unsigned long w, unsigned long h, int expect, const char *fmt, char *reason,
                       size_t rlen)
{
    unsigned long max = (unsigned long)mer_decode_max_side(expect);
    if (w == 0 || h == 0) {
        snprintf(reason, rlen, "%s image has a bad size %lux%lu", fmt, w, h);
        return false;
    }
    if (w > max || h > max) {
        snprintf(reason, rlen, MER_DECODE_TOO_LARGE " (%s %lux%lu, a tile is at most %lux%lu)", fmt, w,
                 h, max, max);
        return false;
    }
    if (expect > 0 && (w != (unsigned long)expect || h != (unsigned long)expect)) {
        snprintf(reason, rlen, "%s image is %lux%lu, expected %dx%d", fmt, w, h, expect, expect);
        return false;
    }
    return true;
}

/* ---- WebP ---- */

static bool decode_webp(const uint8_t *d, size_t len, int expect, uint8_t **out, int *w, int *h,
                        char *reason, size_t rlen)
{
    if (!WebPGetInfo(d, len, w, h)) {
        snprintf(reason, rlen, "WebP header is invalid");
        return false;
    }
    if (!check_size((unsigned long)*w, (unsigned long)*h, expect, "WebP", reason, rlen))
        return false;
    size_t stride = (size_t)*w * 4, size = stride * (size_t)*h;
    uint8_t *buf = malloc(size);
    if (!buf) {
        snprintf(reason, rlen, "out of memory");
        return false;
    }
    if (!WebPDecodeRGBAInto(d, len, buf, size, (int)stride)) {
        free(buf);
        snprintf(reason, rlen, "WebP data is corrupt or truncated");
        return false;
    }
    *out = buf;
    return true;
}

/* ---- PNG (libpng) ---- */

typedef struct png_ctx {
    const uint8_t *d;
    size_t len, pos;
    char msg[64];
} png_ctx;

static void png_read_mem(png_structp png, png_bytep out, size_t n)
{
    png_ctx *c = png_get_io_ptr(png);
    if (n > c->len - c->pos)
        png_error(png, "truncated");
    memcpy(out, c->d + c->pos, n);
    c->pos += n;
}

static void png_on_error(png_structp png, png_const_charp msg)
{
    png_ctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof c->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
    (void)png; /* a tile's cosmetic problems are not worth a log line */
    (void)msg;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The first chunk must be IHDR (PNG spec 5.6): its width and height are read
 * here, before libpng sees a byte. */
static bool png_header_size(const uint8_t *d, size_t len, uint32_t *w, uint32_t *h)
{
    if (len < 8 + 8 + 8 || be32(d + 8) != 13 || memcmp(d + 12, "IHDR", 4) != 0)
        return false;
    *w = be32(d + 16);
    *h = be32(d + 20);
    return true;
}

/* Every chunk's declared length fits in the bytes we have. libpng allocates
 * a chunk's buffer from its length before reading it (a zTXt declaring
 * 256 MB in a 300-byte file made it ask for 256 MB; found by
 * tests/fuzz/fuzz_decode.c), so a chunk that cannot be there is refused here. */
static bool png_chunks_fit(const uint8_t *d, size_t len)
{
    size_t i = 8;
    /* A chunk whose length and type are there but whose data and CRC are not
     * counts too: libpng would allocate for it from the 8 header bytes. */
    while (len - i >= 8) {
        uint32_t n = be32(d + i);
        if (n > 0x7fffffffu || len - i < 12 || n > len - i - 12)
            return false;
        if (memcmp(d + i + 4, "IEND", 4) == 0)
            return true;
        i += 12 + (size_t)n;
    }
    return true; /* cut short inside a chunk header: libpng reports it */
}

static bool decode_png(const uint8_t *d, size_t len, int expect, uint8_t **out, int *w, int *h,
                       char *reason, size_t rlen)
{
    uint32_t hw, hh;
    if (!png_header_size(d, len, &hw, &hh)) {
        snprintf(reason, rlen, "PNG data is corrupt or truncated (no IHDR)");
        return false;
    }
    if (!png_chunks_fit(d, len)) {
        snprintf(reason, rlen, "PNG data is corrupt or truncated (a chunk is longer than the data)");
        return false;
    }
    if (!check_size(hw, hh, expect, "PNG", reason, rlen))
        return false;
    png_ctx c = {.d = d, .len = len, .pos = 0, .msg = ""};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &c, png_on_error, png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    uint8_t *volatile buf = NULL;
    png_bytep *volatile rows = NULL;
    volatile bool ok = false;
    if (!info) {
        snprintf(reason, rlen, "out of memory");
        goto out;
    }
    if (setjmp(png_jmpbuf(png))) {
        snprintf(reason, rlen, "PNG data is corrupt or truncated (%s)", c.msg);
        goto out;
    }
    /* The same limit again inside libpng, in case it ever reads a size we
     * did not (belt and braces), and caps on ancillary chunks. */
    png_set_user_limits(png, (png_uint_32)mer_decode_max_side(expect),
                        (png_uint_32)mer_decode_max_side(expect));
    png_set_chunk_malloc_max(png, PNG_CHUNK_MAX);
    png_set_chunk_cache_max(png, PNG_CHUNK_CACHE_MAX);
    png_set_read_fn(png, &c, png_read_mem);
    png_read_info(png, info);
    png_uint_32 iw, ih;
    int depth, ctype, interlace;
    png_get_IHDR(png, info, &iw, &ih, &depth, &ctype, &interlace, NULL, NULL);
    if (iw != hw || ih != hh) {
        snprintf(reason, rlen, "PNG data is corrupt (IHDR read twice differently)");
        goto out;
    }
    /* Everything to 8-bit RGBA, no gamma change (tiles are sRGB as stored). */
    if (ctype == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS))
        png_set_tRNS_to_alpha(png);
    if (depth == 16)
        png_set_strip_16(png);
    if (ctype == PNG_COLOR_TYPE_GRAY || ctype == PNG_COLOR_TYPE_GRAY_ALPHA)
        png_set_gray_to_rgb(png);
    png_set_filler(png, 0xff, PNG_FILLER_AFTER); /* no-op when alpha exists */
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    size_t stride = (size_t)iw * 4;
    if (png_get_rowbytes(png, info) != stride) {
        snprintf(reason, rlen, "PNG has a pixel layout Meridian cannot convert");
        goto out;
    }
    buf = malloc(stride * ih);
    rows = malloc(sizeof(png_bytep) * ih);
    if (!buf || !rows) {
        snprintf(reason, rlen, "out of memory");
        goto out;
    }
    for (png_uint_32 y = 0; y < ih; y++)
        rows[y] = buf + stride * y;
    png_read_image(png, rows);
    *w = (int)iw;
    *h = (int)ih;
    *out = buf;
    ok = true;
out:
    png_destroy_read_struct(png ? &png : NULL, info ? &info : NULL, NULL);
    free(rows);
    if (!ok)
        free(buf);
    return ok;
}

/* ---- JPEG (libjpeg-turbo) ---- */

typedef struct jpeg_err {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
    bool truncated;
} jpeg_err;

static void jpeg_on_error(j_common_ptr ci)
{
    jpeg_err *e = (jpeg_err *)ci->err;
    ci->err->format_message(ci, e->msg);
    longjmp(e->jb, 1);
}

/* Warnings are not printed; a premature end of data makes the tile a
 * failure (libjpeg would pad it with grey) so that it is fetched again. */
static void jpeg_on_message(j_common_ptr ci, int level)
{
    jpeg_err *e = (jpeg_err *)ci->err;
    if (level < 0 && ci->err->msg_code == JWRN_JPEG_EOF)
        e->truncated = true;
}

static void jpeg_on_progress(j_common_ptr ci)
{
    j_decompress_ptr di = (j_decompress_ptr)ci;
    jpeg_err *e = (jpeg_err *)ci->err;
    if (di->input_scan_number > JPEG_MAX_SCANS) {
        snprintf(e->msg, sizeof e->msg, "more than %d scans", JPEG_MAX_SCANS);
        longjmp(e->jb, 1);
    }
}

static bool decode_jpeg(const uint8_t *d, size_t len, int expect, uint8_t **out, int *w, int *h,
                        char *reason, size_t rlen)
{
    struct jpeg_decompress_struct di;
    memset(&di, 0, sizeof di);
    struct jpeg_progress_mgr progress = {.progress_monitor = jpeg_on_progress};
    jpeg_err err;
    uint8_t *volatile buf = NULL;
    volatile bool ok = false;
    memset(&err, 0, sizeof err);
    di.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = jpeg_on_error;
    err.pub.emit_message = jpeg_on_message;
    if (setjmp(err.jb)) {
        snprintf(reason, rlen, "JPEG data is corrupt or truncated (%s)", err.msg);
        goto out;
    }
    jpeg_create_decompress(&di);
    di.mem->max_memory_to_use = JPEG_MAX_MEMORY;
    di.progress = &progress;
    jpeg_mem_src(&di, d, (unsigned long)len);
    /* Walks the markers up to the first scan: SOF gives the size. No pixel
     * or coefficient memory exists before jpeg_start_decompress. */
    jpeg_read_header(&di, TRUE);
    if (!check_size(di.image_width, di.image_height, expect, "JPEG", reason, rlen))
        goto out;
    if (di.jpeg_color_space != JCS_GRAYSCALE && di.jpeg_color_space != JCS_YCbCr &&
        di.jpeg_color_space != JCS_RGB) {
        snprintf(reason, rlen, "JPEG colour space %d is not supported", (int)di.jpeg_color_space);
        goto out;
    }
    di.out_color_space = JCS_EXT_RGBA;
    jpeg_start_decompress(&di);
    if (di.output_width != di.image_width || di.output_height != di.image_height ||
        di.output_components != 4) {
        snprintf(reason, rlen, "JPEG output layout is unexpected");
        goto out;
    }
    size_t stride = (size_t)di.output_width * 4;
    buf = malloc(stride * di.output_height);
    if (!buf) {
        snprintf(reason, rlen, "out of memory");
        goto out;
    }
    while (di.output_scanline < di.output_height) {
        JSAMPROW row = buf + stride * di.output_scanline;
        if (jpeg_read_scanlines(&di, &row, 1) != 1)
            break;
    }
    if (err.truncated || di.output_scanline < di.output_height) {
        snprintf(reason, rlen, "JPEG data is corrupt or truncated (premature end)");
        goto out;
    }
    *w = (int)di.output_width;
    *h = (int)di.output_height;
    *out = buf;
    ok = true;
out:
    jpeg_destroy_decompress(&di); /* also after an error: no finish needed */
    if (!ok)
        free(buf);
    return ok;
}

bool mer_decode_image(const uint8_t *data, size_t len, int expect_px, uint8_t **rgba, int *w,
                      int *h, char *reason, size_t reason_len)
{
    char dummy[8];
    if (!reason || !reason_len) {
        reason = dummy;
        reason_len = sizeof dummy;
    }
    *rgba = NULL;
    *w = *h = 0;
    reason[0] = '\0';
    if (len > (size_t)INT32_MAX) {
        snprintf(reason, reason_len, "body too large");
        return false;
    }
    mer_img_format f = mer_decode_sniff(data, len);
    switch (f) {
    case MER_IMG_WEBP: return decode_webp(data, len, expect_px, rgba, w, h, reason, reason_len);
    case MER_IMG_PNG: return decode_png(data, len, expect_px, rgba, w, h, reason, reason_len);
    case MER_IMG_JPEG: return decode_jpeg(data, len, expect_px, rgba, w, h, reason, reason_len);
    default:
        describe_unknown(data, data ? len : 0, reason, reason_len);
        return false;
    }
}

bool mer_decode_too_large(const char *reason)
{
    return reason && strncmp(reason, MER_DECODE_TOO_LARGE, strlen(MER_DECODE_TOO_LARGE)) == 0;
}
