#include "ui/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Frame times are kept for percentiles; beyond this many (hours of
 * animation) the oldest are overwritten, which keeps memory bounded. */
#define MAX_SAMPLES (1u << 20)
#define MAX_LINES 4096
/* The slowest frames, each with its breakdown, for --stats (bench/frames). */
#define N_SLOWEST 5

typedef struct line_rec {
    int line;
    char cmd[16];
    uint64_t frames;
    double ms;
    double max_frame_ms; /* the slowest frame while the line ran */
    double view[3];
} line_rec;

struct mer_stats {
    float *times;
    size_t n, cap;
    uint64_t frames;
    double max_ms;
    int uploads_max;
    double upload_ms_max;
    uint64_t uploads_total;
    uint64_t exact_total, standin_total, world_total, placeholder_total, failed_total, not_cached_total;
    int exact_max, standin_max, world_max, placeholder_max, failed_max, not_cached_max;
    uint64_t empty_total, no_data_total;
    int empty_max, no_data_max;
    uint64_t shots;      /* frames that saved a screenshot (reading the frame back and
                          * writing a PNG takes tens of ms: kept out of frame_ms) */
    double shot_ms_max, shot_ms_total;
    mer_frame_sample last;
    double draw_total, draw_max, swap_total, swap_max;
    double overdraw_total, overdraw_max;
    line_rec *lines;
    size_t n_lines;
    double line_max_ms; /* slowest frame since the last script line ended */
    size_t upload_bytes_max;
    uint64_t moving_frames;     /* frames while the map moved, and their uploads */
    uint64_t moving_uploads;
    int moving_uploads_max;
    size_t moving_bytes_max;
    mer_frame_sample slowest[N_SLOWEST]; /* by frame_ms, slowest first */
    int n_slowest;
};

mer_stats *mer_stats_create(void)
{
    mer_stats *s = calloc(1, sizeof *s);
    return s;
}

void mer_stats_destroy(mer_stats *s)
{
    if (!s)
        return;
    free(s->times);
    free(s->lines);
    free(s);
}

static void push_time(mer_stats *s, float ms)
{
    if (s->n == s->cap && s->cap < MAX_SAMPLES) {
        size_t nc = s->cap ? s->cap * 2 : 1024;
        float *t = realloc(s->times, nc * sizeof *t);
        if (t) {
            s->times = t;
            s->cap = nc;
        }
    }
    if (s->n < s->cap)
        s->times[s->n++] = ms;
    else if (s->cap)
        s->times[s->frames % s->cap] = ms;
}

#define MAXI(a, b) ((a) > (b) ? (a) : (b))

/* Keeps the N_SLOWEST slowest frames, slowest first. */
static void note_slow(mer_stats *s, const mer_frame_sample *f)
{
    int i;
    if (s->n_slowest < N_SLOWEST) {
        i = s->n_slowest++;
    } else {
        i = N_SLOWEST - 1;
        if (s->slowest[i].frame_ms >= f->frame_ms)
            return;
    }
    while (i > 0 && s->slowest[i - 1].frame_ms < f->frame_ms) {
        s->slowest[i] = s->slowest[i - 1];
        i--;
    }
    s->slowest[i] = *f;
}

void mer_stats_frame(mer_stats *s, const mer_frame_sample *f)
{
    s->frames++;
    if (f->screenshot) {
        s->shots++;
        s->shot_ms_max = fmax(s->shot_ms_max, f->frame_ms);
        s->shot_ms_total += f->frame_ms;
    } else {
        push_time(s, (float)f->frame_ms);
        s->max_ms = fmax(s->max_ms, f->frame_ms);
        note_slow(s, f);
        s->line_max_ms = fmax(s->line_max_ms, f->frame_ms);
    }
    s->uploads_max = MAXI(s->uploads_max, f->uploads);
    s->upload_ms_max = fmax(s->upload_ms_max, f->upload_ms);
    s->uploads_total += (uint64_t)f->uploads;
    if (f->upload_bytes > s->upload_bytes_max)
        s->upload_bytes_max = f->upload_bytes;
    if (f->moving) {
        s->moving_frames++;
        s->moving_uploads += (uint64_t)f->uploads;
        s->moving_uploads_max = MAXI(s->moving_uploads_max, f->uploads);
        if (f->upload_bytes > s->moving_bytes_max)
            s->moving_bytes_max = f->upload_bytes;
    }
    s->exact_total += (uint64_t)f->exact;
    s->standin_total += (uint64_t)f->standin;
    s->world_total += (uint64_t)f->world;
    s->placeholder_total += (uint64_t)f->placeholder;
    s->failed_total += (uint64_t)f->failed;
    s->not_cached_total += (uint64_t)f->not_cached;
    s->empty_total += (uint64_t)f->empty;
    s->no_data_total += (uint64_t)f->no_data;
    s->empty_max = MAXI(s->empty_max, f->empty);
    s->no_data_max = MAXI(s->no_data_max, f->no_data);
    s->exact_max = MAXI(s->exact_max, f->exact);
    s->standin_max = MAXI(s->standin_max, f->standin);
    s->world_max = MAXI(s->world_max, f->world);
    s->placeholder_max = MAXI(s->placeholder_max, f->placeholder);
    s->failed_max = MAXI(s->failed_max, f->failed);
    s->not_cached_max = MAXI(s->not_cached_max, f->not_cached);
    if (!f->screenshot) {
        s->draw_total += f->draw_ms;
        s->draw_max = fmax(s->draw_max, f->draw_ms);
        s->swap_total += f->swap_ms;
        s->swap_max = fmax(s->swap_max, f->swap_ms);
    }
    s->overdraw_total += f->overdraw;
    s->overdraw_max = fmax(s->overdraw_max, f->overdraw);
    s->last = *f;
}

uint64_t mer_stats_frames(const mer_stats *s)
{
    return s->frames;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

double mer_stats_frame_pct(mer_stats *s, double pct)
{
    if (s->n == 0)
        return 0;
    float *tmp = malloc(s->n * sizeof *tmp);
    if (!tmp)
        return 0;
    memcpy(tmp, s->times, s->n * sizeof *tmp);
    qsort(tmp, s->n, sizeof *tmp, cmp_float);
    /* Nearest-rank percentile. */
    size_t rank = (size_t)ceil(pct / 100.0 * (double)s->n);
    if (rank < 1)
        rank = 1;
    if (rank > s->n)
        rank = s->n;
    double v = tmp[rank - 1];
    free(tmp);
    return v;
}

void mer_stats_script_line(mer_stats *s, int line, const char *cmd, uint64_t frames, double ms,
                           const double view[3])
{
    if (s->n_lines >= MAX_LINES)
        return;
    if (!s->lines) {
        s->lines = calloc(MAX_LINES, sizeof *s->lines);
        if (!s->lines)
            return;
    }
    line_rec *r = &s->lines[s->n_lines++];
    r->line = line;
    snprintf(r->cmd, sizeof r->cmd, "%s", cmd);
    r->frames = frames;
    r->ms = ms;
    r->max_frame_ms = s->line_max_ms;
    s->line_max_ms = 0;
    memcpy(r->view, view, sizeof r->view);
}

static double avg(uint64_t total, uint64_t frames)
{
    return frames ? (double)total / (double)frames : 0.0;
}

bool mer_stats_write(mer_stats *s, FILE *f, const char *loader_json, const char *extra_json)
{
    fprintf(f, "{\n  \"frames\": %llu,\n", (unsigned long long)s->frames);
    fprintf(f, "  \"frame_ms\": {\"p50\": %.3f, \"p95\": %.3f, \"p99\": %.3f, \"max\": %.3f},\n",
            mer_stats_frame_pct(s, 50), mer_stats_frame_pct(s, 95), mer_stats_frame_pct(s, 99), s->max_ms);
    fprintf(f, "  \"screenshot_frames\": {\"count\": %llu, \"ms_avg\": %.3f, \"ms_max\": %.3f},\n",
            (unsigned long long)s->shots, s->shots ? s->shot_ms_total / (double)s->shots : 0.0, s->shot_ms_max);
    fprintf(f, "  \"uploads_per_frame_max\": %d,\n  \"uploads_total\": %llu,\n", s->uploads_max,
            (unsigned long long)s->uploads_total);
    fprintf(f, "  \"upload_ms_per_frame_max\": %.3f,\n", s->upload_ms_max);
    fprintf(f, "  \"upload_bytes_per_frame_max\": %zu,\n", s->upload_bytes_max);
    fprintf(f, "  \"uploads_moving\": {\"frames\": %llu, \"tiles\": %llu, \"tiles_max\": %d, \"bytes_max\": %zu},\n",
            (unsigned long long)s->moving_frames, (unsigned long long)s->moving_uploads, s->moving_uploads_max,
            s->moving_bytes_max);
    fprintf(f, "  \"draw_ms\": {\"avg\": %.3f, \"max\": %.3f},\n  \"swap_ms\": {\"avg\": %.3f, \"max\": %.3f},\n",
            s->n ? s->draw_total / (double)(s->frames - s->shots) : 0.0, s->draw_max,
            s->n ? s->swap_total / (double)(s->frames - s->shots) : 0.0, s->swap_max);
    fprintf(f, "  \"map_overdraw\": {\"avg\": %.3f, \"max\": %.3f, \"last\": %.3f},\n",
            s->frames ? s->overdraw_total / (double)s->frames : 0.0, s->overdraw_max, s->last.overdraw);
    fprintf(f,
            "  \"tiles_drawn\": {\n"
            "    \"exact\": {\"per_frame_avg\": %.2f, \"per_frame_max\": %d, \"last\": %d},\n"
            "    \"standin\": {\"per_frame_avg\": %.2f, \"per_frame_max\": %d, \"last\": %d},\n"
            "    \"world\": {\"per_frame_avg\": %.2f, \"per_frame_max\": %d, \"last\": %d},\n"
            "    \"placeholder\": {\"per_frame_avg\": %.2f, \"per_frame_max\": %d, \"last\": %d},\n"
            "    \"failed\": {\"per_frame_avg\": %.2f, \"per_frame_max\": %d, \"last\": %d},\n"
            "    \"not_cached\": {\"per_frame_avg\": %.2f, \"per_frame_max\": %d, \"last\": %d},\n"
            "    \"empty\": {\"per_frame_avg\": %.2f, \"per_frame_max\": %d, \"last\": %d},\n"
            "    \"no_data\": {\"per_frame_avg\": %.2f, \"per_frame_max\": %d, \"last\": %d}\n  },\n",
            avg(s->exact_total, s->frames), s->exact_max, s->last.exact, avg(s->standin_total, s->frames),
            s->standin_max, s->last.standin, avg(s->world_total, s->frames), s->world_max, s->last.world,
            avg(s->placeholder_total, s->frames), s->placeholder_max, s->last.placeholder,
            avg(s->failed_total, s->frames), s->failed_max, s->last.failed,
            avg(s->not_cached_total, s->frames), s->not_cached_max, s->last.not_cached,
            avg(s->empty_total, s->frames), s->empty_max, s->last.empty,
            avg(s->no_data_total, s->frames), s->no_data_max, s->last.no_data);
    if (extra_json && *extra_json)
        fprintf(f, "  %s,\n", extra_json);
    fprintf(f, "  \"script\": [");
    for (size_t i = 0; i < s->n_lines; i++)
        fprintf(f, "%s\n    {\"line\": %d, \"cmd\": \"%s\", \"frames\": %llu, \"ms\": %.1f, \"max_frame_ms\": %.1f, "
                "\"lat\": %.9f, \"lon\": %.9f, \"zoom\": %.6f}",
                i ? "," : "", s->lines[i].line, s->lines[i].cmd, (unsigned long long)s->lines[i].frames,
                s->lines[i].ms, s->lines[i].max_frame_ms, s->lines[i].view[0], s->lines[i].view[1], s->lines[i].view[2]);
    fprintf(f, "%s],\n", s->n_lines ? "\n  " : "");
    /* After the script lines and with names of their own: tests and scripts
     * find a value by the first key of its name ("line", "world", ...). */
    fprintf(f, "  \"slowest_frames\": [");
    for (int i = 0; i < s->n_slowest; i++) {
        const mer_frame_sample *w = &s->slowest[i];
        fprintf(f, "%s\n    {\"n\": %llu, \"ms\": %.2f, \"script_line\": %d, \"moving\": %s, \"tiles_uploaded\": %d, "
                "\"world_tiles_uploaded\": %d, \"upload_kb\": %zu, \"upload_ms\": %.2f, \"draw_ms\": %.2f, "
                "\"swap_ms\": %.2f, \"exact_tiles\": %d, \"standin_tiles\": %d, \"world_tiles\": %d}",
                i ? "," : "", (unsigned long long)w->frame, w->frame_ms, w->line, w->moving ? "true" : "false",
                w->uploads, w->world_uploads, w->upload_bytes / 1024, w->upload_ms, w->draw_ms, w->swap_ms, w->exact,
                w->standin, w->world);
    }
    fprintf(f, "%s],\n", s->n_slowest ? "\n  " : "");
    fprintf(f, "  \"loader\": %s\n}\n", loader_json && *loader_json ? loader_json : "null");
    return !ferror(f);
}
