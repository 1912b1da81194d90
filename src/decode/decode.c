#include "decode/decode.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <SDL_image.h>
#include <webp/decode.h>

#define MAX_SIDE 4096

void mer_decode_init(void)
{
    /* IMG_Init loads codec state that IMG_Load_RW would otherwise set up
     * lazily (an unlocked static flag): do it once, before workers exist. */
    static int done;
    if (!done) {
        IMG_Init(IMG_INIT_PNG | IMG_INIT_JPG);
        done = 1;
    }
}

void mer_decode_thread_done(void)
{
    SDL_TLSCleanup();
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

static bool check_size(int w, int h, int expect, const char *fmt, char *reason, size_t rlen)
{
    if (w <= 0 || h <= 0 || w > MAX_SIDE || h > MAX_SIDE) {
        snprintf(reason, rlen, "%s image has a bad size %dx%d", fmt, w, h);
        return false;
    }
    if (expect > 0 && (w != expect || h != expect)) {
        snprintf(reason, rlen, "%s image is %dx%d, expected %dx%d", fmt, w, h, expect, expect);
        return false;
    }
    return true;
}

static bool decode_webp(const uint8_t *d, size_t len, int expect, uint8_t **out, int *w, int *h,
                        char *reason, size_t rlen)
{
    if (!WebPGetInfo(d, len, w, h)) {
        snprintf(reason, rlen, "WebP header is invalid");
        return false;
    }
    if (!check_size(*w, *h, expect, "WebP", reason, rlen))
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

static bool decode_sdl(const uint8_t *d, size_t len, const char *fmt, int expect, uint8_t **out,
                       int *w, int *h, char *reason, size_t rlen)
{
    SDL_RWops *rw = SDL_RWFromConstMem(d, (int)len);
    SDL_Surface *s = rw ? IMG_Load_RW(rw, 1) : NULL;
    SDL_Surface *rgba = NULL;
    bool ok = false;
    if (!s) {
        snprintf(reason, rlen, "%s data is corrupt or truncated (%.50s)", fmt, IMG_GetError());
        goto out;
    }
    *w = s->w;
    *h = s->h;
    if (!check_size(s->w, s->h, expect, fmt, reason, rlen))
        goto out;
    /* SDL_PIXELFORMAT_RGBA32 is R,G,B,A in byte order on any endianness. */
    rgba = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_RGBA32, 0);
    if (!rgba) {
        snprintf(reason, rlen, "cannot convert %s to RGBA (%.50s)", fmt, SDL_GetError());
        goto out;
    }
    size_t stride = (size_t)rgba->w * 4;
    uint8_t *buf = malloc(stride * (size_t)rgba->h);
    if (!buf) {
        snprintf(reason, rlen, "out of memory");
        goto out;
    }
    for (int y = 0; y < rgba->h; y++)
        memcpy(buf + stride * (size_t)y, (const uint8_t *)rgba->pixels + (size_t)rgba->pitch * (size_t)y,
               stride);
    *out = buf;
    ok = true;
out:
    SDL_FreeSurface(rgba);
    SDL_FreeSurface(s);
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
    case MER_IMG_PNG:
    case MER_IMG_JPEG:
        return decode_sdl(data, len, mer_img_format_name(f), expect_px, rgba, w, h, reason, reason_len);
    default:
        describe_unknown(data, data ? len : 0, reason, reason_len);
        return false;
    }
}
