/* Frame statistics for --stats (main thread): frame times, uploads per frame,
 * tiles drawn by kind, and per script line how many frames it rendered. */
#ifndef MER_STATS_H
#define MER_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct mer_stats mer_stats;

typedef struct mer_frame_sample {
    uint64_t frame;    /* the frame's number (1 = the first counted frame) */
    int line;          /* the script line running, 0 = none */
    double frame_ms;   /* input handling + uploads + drawing + swap */
    bool screenshot;   /* this frame saved a screenshot: counted apart, not in frame_ms */
    bool moving;       /* the map moved (animation, fling, drag): the tighter upload budget */
    int uploads;       /* textures uploaded, world tiles included */
    int world_uploads; /* of uploads: the world map beneath */
    size_t upload_bytes; /* texel bytes uploaded */
    double upload_ms;
    int exact, standin, world, placeholder, failed, not_cached;
    int empty, no_data; /* of exact: 404s, and tiles an MBTiles file lacks */
    double draw_ms;    /* map, layers and HUD */
    double swap_ms;    /* SDL_GL_SwapWindow */
    double overdraw;   /* map pixels drawn / window pixels (1.0: each once) */
} mer_frame_sample;

mer_stats *mer_stats_create(void);
void mer_stats_destroy(mer_stats *s);
void mer_stats_frame(mer_stats *s, const mer_frame_sample *f);
uint64_t mer_stats_frames(const mer_stats *s);

/* Percentile (0..100) of frame times (screenshot frames left out); 0 with no frames. */
double mer_stats_frame_pct(mer_stats *s, double pct);

/* Script trace: which line ran and how many frames it rendered. */
/* view: lat, lon, zoom after the line ran. */
void mer_stats_script_line(mer_stats *s, int line, const char *cmd, uint64_t frames, double ms,
                           const double view[3]);

/* Writes the JSON document; loader_json is an object (may be NULL). */
bool mer_stats_write(mer_stats *s, FILE *f, const char *loader_json, const char *extra_json);

#endif
