/* Colours of the tile-state overlay (layer_overlay.c) and the network panel
 * (layer_panel.c). Tests include this header and look for these exact RGB
 * values in screenshots: each slot's outline is drawn opaque (no blending)
 * in its state's colour, MER_OV_BORDER_PX logical pixels wide, just inside
 * the slot. The tint inside is translucent and only for people.
 *
 * Saturated hues that the tilesim map and OpenStreetMap rarely use, chosen to
 * stay apart for the common colour-vision deficiencies where it matters most:
 * in flight (yellow) vs retry (orange) vs paused (red) differ in lightness as
 * well as hue. */
#ifndef MER_OVERLAY_COLORS_H
#define MER_OVERLAY_COLORS_H

typedef struct mer_ov_rgb {
    unsigned char r, g, b;
} mer_ov_rgb;

#define MER_OV_QUEUED    ((mer_ov_rgb){92, 107, 255})  /* #5C6BFF indigo: waiting in the queue */
#define MER_OV_IN_FLIGHT ((mer_ov_rgb){255, 214, 0})   /* #FFD600 yellow: request on the wire */
#define MER_OV_DECODING  ((mer_ov_rgb){255, 255, 160}) /* #FFFFA0 pale yellow: bytes in, decoding */
#define MER_OV_RETRY     ((mer_ov_rgb){255, 109, 0})   /* #FF6D00 orange: backing off before a retry */
#define MER_OV_PAUSED    ((mer_ov_rgb){255, 23, 68})   /* #FF1744 red: host paused by Retry-After */
#define MER_OV_FAILED    ((mer_ov_rgb){170, 0, 255})   /* #AA00FF violet: gave up */
#define MER_OV_EMPTY     ((mer_ov_rgb){176, 190, 197}) /* #B0BEC5 grey: 404, nothing there */
#define MER_OV_DISK      ((mer_ov_rgb){0, 229, 255})   /* #00E5FF cyan: from the disk cache */
#define MER_OV_FRESH     ((mer_ov_rgb){0, 230, 118})   /* #00E676 green: just arrived from the network */

/* Cache coverage layer (layer_coverage.c, key C), same outline rule. */
#define MER_COV_CACHED   ((mer_ov_rgb){41, 98, 255})   /* #2962FF blue: the disk cache has the tile */
#define MER_COV_MISSING  ((mer_ov_rgb){255, 61, 0})    /* #FF3D00 red-orange: not cached */

/* Outline width in logical pixels (times the display scale, rounded). */
#define MER_OV_BORDER_PX 3
/* How long a tile that just arrived from the network stays highlighted. */
#define MER_OV_FRESH_S 1.5

/* Panel accents. */
#define MER_PANEL_REQ  ((mer_ov_rgb){64, 196, 255})    /* requests/s sparkline */
#define MER_PANEL_429  MER_OV_PAUSED                   /* 429s/s sparkline */
#define MER_PANEL_BYTES ((mer_ov_rgb){0, 230, 118})    /* bytes/s sparkline */
#define MER_PANEL_CAP  MER_OV_IN_FLIGHT                /* in-flight bar, cap over time */

#endif
