#include "ui/gfx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <cglm/cglm.h>
#include <epoxy/gl.h>

#include "core/log.h"
#include "decode/png_stream.h"
#include "ui/datadir.h"

#define TAG "gfx"
#define SHADER_MAX_BYTES (256 * 1024)

/* One program per fragment shader; uniforms by name. */
typedef struct prog {
    GLuint id;
    GLint u_proj, u_rect, u_uv, u_uv2, u_tex, u_under, u_mode, u_alpha, u_color;
} prog;

struct mer_gfx {
    prog tile, mix, ui;
    GLuint vao, vbo;
    GLuint samp_linear, samp_nearest;
    /* Current state, to skip redundant GL calls (llvmpipe validates state on
     * every change). */
    const prog *cur;
    int mode;
    GLuint tex, samp;
    GLuint tex1; /* unit 1: the ancestor under a fading tile (mix program) */
    int blend;
    float alpha;
    /* Pixels covered by tiles and patterns since mer_gfx_begin (clipped to
     * the viewport): the map's overdraw, the main fragment cost in software GL. */
    int vw, vh;
    double covered;
};

static GLuint compile(GLenum type, const char *rel, char *err, size_t len)
{
    char path[4096];
    if (!mer_data_find(rel, path, sizeof path)) {
        snprintf(err, len, "shader %s not found (set MERIDIAN_DATADIR to the folder holding shaders/)", rel);
        return 0;
    }
    char *src = mer_read_text_file(path, SHADER_MAX_BYTES);
    if (!src) {
        snprintf(err, len, "cannot read shader %s", path);
        return 0;
    }
    GLuint s = glCreateShader(type);
    const char *p = src;
    glShaderSource(s, 1, &p, NULL);
    glCompileShader(s);
    free(src);
    GLint ok = 0;
    glGetShaderiv(s, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        char log[1024] = "";
        glGetShaderInfoLog(s, sizeof log, NULL, log);
        snprintf(err, len, "shader %s failed to compile: %s", path, log);
        glDeleteShader(s);
        return 0;
    }
    return s;
}

static bool link_program(prog *out, const char *vert, const char *frag, char *err, size_t len)
{
    GLuint vs = compile(GL_VERTEX_SHADER, vert, err, len);
    if (!vs)
        return false;
    GLuint fs = compile(GL_FRAGMENT_SHADER, frag, err, len);
    if (!fs) {
        glDeleteShader(vs);
        return false;
    }
    GLuint p = glCreateProgram();
    glAttachShader(p, vs);
    glAttachShader(p, fs);
    glLinkProgram(p);
    glDeleteShader(vs);
    glDeleteShader(fs);
    GLint ok = 0;
    glGetProgramiv(p, GL_LINK_STATUS, &ok);
    if (!ok) {
        char log[1024] = "";
        glGetProgramInfoLog(p, sizeof log, NULL, log);
        snprintf(err, len, "shaders %s + %s failed to link: %s", vert, frag, log);
        glDeleteProgram(p);
        return false;
    }
    out->id = p;
    out->u_proj = glGetUniformLocation(p, "u_proj");
    out->u_rect = glGetUniformLocation(p, "u_rect");
    out->u_uv = glGetUniformLocation(p, "u_uv");
    out->u_uv2 = glGetUniformLocation(p, "u_uv2");
    out->u_under = glGetUniformLocation(p, "u_under");
    out->u_tex = glGetUniformLocation(p, "u_tex");
    out->u_mode = glGetUniformLocation(p, "u_mode");
    out->u_alpha = glGetUniformLocation(p, "u_alpha");
    out->u_color = glGetUniformLocation(p, "u_color");
    glUseProgram(p);
    glUniform1i(out->u_tex, 0);
    if (out->u_under >= 0)
        glUniform1i(out->u_under, 1);
    return true;
}

static GLuint make_sampler(GLint filter)
{
    GLuint s;
    glGenSamplers(1, &s);
    glSamplerParameteri(s, GL_TEXTURE_MIN_FILTER, filter);
    glSamplerParameteri(s, GL_TEXTURE_MAG_FILTER, filter);
    glSamplerParameteri(s, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glSamplerParameteri(s, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    return s;
}

mer_gfx *mer_gfx_create(char *err, size_t len)
{
    mer_gfx *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(err, len, "out of memory");
        return NULL;
    }
    if (!link_program(&g->tile, "shaders/tile.vert", "shaders/tile.frag", err, len) ||
        !link_program(&g->mix, "shaders/tile.vert", "shaders/tile_mix.frag", err, len) ||
        !link_program(&g->ui, "shaders/tile.vert", "shaders/ui.frag", err, len)) {
        if (g->tile.id)
            glDeleteProgram(g->tile.id);
        if (g->mix.id)
            glDeleteProgram(g->mix.id);
        free(g);
        return NULL;
    }
    static const float quad[] = {0, 0, 1, 0, 0, 1, 1, 1};
    glGenVertexArrays(1, &g->vao);
    glBindVertexArray(g->vao);
    glGenBuffers(1, &g->vbo);
    glBindBuffer(GL_ARRAY_BUFFER, g->vbo);
    glBufferData(GL_ARRAY_BUFFER, sizeof quad, quad, GL_STATIC_DRAW);
    glEnableVertexAttribArray(0);
    glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 0, NULL);
    g->samp_linear = make_sampler(GL_LINEAR);
    g->samp_nearest = make_sampler(GL_NEAREST);
    return g;
}

void mer_gfx_destroy(mer_gfx *g)
{
    if (!g)
        return;
    glDeleteSamplers(1, &g->samp_linear);
    glDeleteSamplers(1, &g->samp_nearest);
    glDeleteBuffers(1, &g->vbo);
    glDeleteVertexArrays(1, &g->vao);
    glDeleteProgram(g->tile.id);
    glDeleteProgram(g->mix.id);
    glDeleteProgram(g->ui.id);
    free(g);
}

void mer_gfx_begin(mer_gfx *g, int dw, int dh)
{
    g->vw = dw;
    g->vh = dh;
    g->covered = 0;
    glViewport(0, 0, dw, dh);
    glDisable(GL_DEPTH_TEST);
    glDisable(GL_BLEND);
    glBlendFunc(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA);
    glClearColor(0.87f, 0.87f, 0.85f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    glBindVertexArray(g->vao);
    mat4 proj;
    glm_ortho(0.0f, (float)dw, (float)dh, 0.0f, -1.0f, 1.0f, proj);
    const prog *ps[3] = {&g->tile, &g->mix, &g->ui};
    for (int i = 0; i < 3; i++) {
        glUseProgram(ps[i]->id);
        glUniformMatrix4fv(ps[i]->u_proj, 1, GL_FALSE, (const float *)proj);
    }
    g->cur = &g->ui;
    glActiveTexture(GL_TEXTURE1);
    glBindTexture(GL_TEXTURE_2D, 0);
    glBindSampler(1, g->samp_linear);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, 0);
    glBindSampler(0, g->samp_linear);
    g->tex1 = 0;
    g->mode = -1;
    g->tex = 0;
    g->samp = g->samp_linear;
    g->blend = 0;
    g->alpha = -1;
}

static void use(mer_gfx *g, const prog *p)
{
    if (g->cur != p) {
        glUseProgram(p->id);
        g->cur = p;
    }
}

static void set_blend(mer_gfx *g, bool on)
{
    if (g->blend != (int)on) {
        if (on)
            glEnable(GL_BLEND);
        else
            glDisable(GL_BLEND);
        g->blend = on;
    }
}

static void set_mode(mer_gfx *g, int mode)
{
    use(g, &g->ui);
    if (g->mode != mode) {
        glUniform1i(g->ui.u_mode, mode);
        g->mode = mode;
    }
}

static void bind(mer_gfx *g, GLuint tex, bool crisp)
{
    if (g->tex != tex) {
        glBindTexture(GL_TEXTURE_2D, tex);
        g->tex = tex;
    }
    GLuint s = crisp ? g->samp_nearest : g->samp_linear;
    if (g->samp != s) {
        glBindSampler(0, s);
        g->samp = s;
    }
}

static double clip_len(double a, double len, double lim)
{
    double lo = a > 0 ? a : 0, hi = a + len < lim ? a + len : lim;
    return hi > lo ? hi - lo : 0;
}

static void count_area(mer_gfx *g, float x, float y, float w, float h)
{
    g->covered += clip_len(x, w, g->vw) * clip_len(y, h, g->vh);
}

double mer_gfx_map_overdraw(const mer_gfx *g)
{
    double area = (double)g->vw * (double)g->vh;
    return area > 0 ? g->covered / area : 0;
}

static void draw(mer_gfx *g, float x, float y, float w, float h)
{
    glUniform4f(g->cur->u_rect, x, y, w, h);
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
}

void mer_gfx_tile(mer_gfx *g, unsigned tex, float x, float y, float w, float h, float u0, float v0,
                  float u1, float v1, float alpha, bool crisp)
{
    use(g, &g->tile);
    set_blend(g, alpha < 1.0f);
    if (crisp) {
        /* Drawn at its own size: snap to whole pixels and sample texel for
         * texel, sharp while panning and cheaper in a software rasteriser. */
        x = floorf(x + 0.5f);
        y = floorf(y + 0.5f);
    }
    bind(g, tex, crisp);
    glUniform4f(g->tile.u_uv, u0, v0, u1, v1);
    if (g->alpha != alpha) {
        glUniform1f(g->tile.u_alpha, alpha);
        g->alpha = alpha;
    }
    count_area(g, x, y, w, h);
    draw(g, x, y, w, h);
}

void mer_gfx_tile_over(mer_gfx *g, unsigned tex, float x, float y, float w, float h, bool crisp,
                       unsigned under, float u0, float v0, float u1, float v1, float alpha)
{
    use(g, &g->mix);
    set_blend(g, false);
    if (crisp) {
        x = floorf(x + 0.5f);
        y = floorf(y + 0.5f);
    }
    if (g->tex1 != under) {
        glActiveTexture(GL_TEXTURE1);
        glBindTexture(GL_TEXTURE_2D, under);
        glActiveTexture(GL_TEXTURE0);
        g->tex1 = under;
    }
    bind(g, tex, crisp);
    glUniform4f(g->mix.u_uv, 0, 0, 1, 1);
    glUniform4f(g->mix.u_uv2, u0, v0, u1, v1);
    glUniform1f(g->mix.u_alpha, alpha);
    count_area(g, x, y, w, h);
    draw(g, x, y, w, h);
}

/* Patterns and rectangles sample nothing, but llvmpipe compiles a shader
 * variant per bound texture and sampler state all the same; binding one fixed
 * state keeps them to the few variants the warm-up compiles (otherwise a
 * placeholder drawn after a crisp tile compiled a new one mid-pan: a 40 ms frame). */
static void unbind(mer_gfx *g)
{
    bind(g, 0, false);
}

void mer_gfx_pattern(mer_gfx *g, mer_pattern p, float x, float y, float w, float h)
{
    set_mode(g, (int)p);
    set_blend(g, false);
    unbind(g);
    count_area(g, x, y, w, h);
    draw(g, x, y, w, h);
}

void mer_gfx_rect(mer_gfx *g, float x, float y, float w, float h, float r, float gr, float b, float a)
{
    set_mode(g, 3);
    set_blend(g, a < 1.0f);
    unbind(g);
    glUniform4f(g->ui.u_color, r, gr, b, a);
    draw(g, x, y, w, h);
}

void mer_gfx_text(mer_gfx *g, unsigned tex, float x, float y, float w, float h, float r, float gr,
                  float b, float a)
{
    set_mode(g, 4);
    set_blend(g, true);
    bind(g, tex, true);
    glUniform4f(g->ui.u_uv, 0, 0, 1, 1);
    glUniform4f(g->ui.u_color, r, gr, b, a);
    draw(g, floorf(x + 0.5f), floorf(y + 0.5f), w, h);
}

unsigned mer_gfx_texture_new(int w, int h, const void *pixels, bool bgra)
{
    GLuint t = 0;
    glGenTextures(1, &t);
    if (!t)
        return 0;
    glBindTexture(GL_TEXTURE_2D, t);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, w, h, 0, bgra ? GL_BGRA : GL_RGBA, GL_UNSIGNED_BYTE, pixels);
    return t;
}

void mer_gfx_warm_up(mer_gfx *g, int dw, int dh)
{
    /* llvmpipe compiles a variant per state combination (blend, filter,
     * power-of-two texture or not) and has a separate fast path, compiled on
     * first use, for quads sampled texel for texel: touch each case the
     * frames will use, with a tile-sized texture drawn 1:1 and scaled. */
    enum { T = 256 };
    uint8_t *px = calloc((size_t)T * T, 4);
    if (!px)
        return;
    /* A tile, and label-like textures with each power-of-two combination of
     * width and height (llvmpipe's variants differ by that). */
    GLuint t[4] = {mer_gfx_texture_new(T, T, px, false), mer_gfx_texture_new(3, 3, px, true),
                   mer_gfx_texture_new(4, 3, px, true), mer_gfx_texture_new(3, 4, px, true)};
    free(px);
    mer_gfx_begin(g, dw, dh);
    for (int k = 0; k < 4; k++) {
        float a = k & 1 ? 0.5f : 1.0f;
        bool crisp = k & 2;
        mer_gfx_tile(g, t[0], 10, 10, T, T, 0, 0, 1, 1, a, crisp);
        mer_gfx_tile(g, t[0], 10.5f, 10.5f, T * 1.5f, T * 1.5f, 0.25f, 0.25f, 0.75f, 0.75f, a, crisp);
        mer_gfx_tile(g, t[1], 0, 0, 3, 3, 0, 0, 1, 1, a, crisp);
        /* Tiles crossing the window's edges take other set-up paths. */
        mer_gfx_tile(g, t[0], -100, -100, T, T, 0, 0, 1, 1, a, crisp);
        mer_gfx_tile(g, t[0], (float)dw - 100, (float)dh - 100, T, T, 0, 0, 1, 1, a, crisp);
        /* A tile fading in over its ancestor (one pass, two textures). */
        mer_gfx_tile_over(g, t[0], 10, 10, T, T, crisp, t[0], 0.25f, 0.25f, 0.75f, 0.75f, a);
        mer_gfx_tile_over(g, t[0], 10.5f, 10.5f, T * 1.5f, T * 1.5f, crisp, t[0], 0, 0, 0.5f, 0.5f, a);
        mer_gfx_tile_over(g, t[0], -100, -100, T, T, crisp, t[0], 0.5f, 0.5f, 1, 1, a);
    }
    for (int i = 0; i < 4; i++) {
        mer_gfx_text(g, t[i], 0, 0, 3, 3, 1, 1, 1, 1);
        mer_gfx_text(g, t[i], 0, 0, 64, 16, 1, 1, 1, 1);
    }
    for (int p = 0; p < 2; p++) {
        float x = p ? -100.0f : 0.0f;
        mer_gfx_pattern(g, MER_PAT_PLACEHOLDER, x, x, T, T);
        mer_gfx_pattern(g, MER_PAT_FAILED, x, x, T, T);
        mer_gfx_pattern(g, MER_PAT_NOT_CACHED, x, x, T, T);
    }
    mer_gfx_rect(g, 0, 0, 64, 64, 1, 1, 1, 0.5f);
    mer_gfx_rect(g, 0, 0, 64, 64, 1, 1, 1, 1.0f);
    glFinish();
    glActiveTexture(GL_TEXTURE1);
    glBindTexture(GL_TEXTURE_2D, 0);
    glActiveTexture(GL_TEXTURE0);
    glDeleteTextures(4, t);
    g->tex = 0;
    g->tex1 = 0;
}

/* GL rows run bottom-up, PNG rows top-down; the window is opaque. */
static void flip_opaque(uint8_t *rgba, int w, int h)
{
    size_t stride = (size_t)w * 4;
    for (int y = 0; y < h; y++) {
        uint8_t *row = rgba + (size_t)y * stride;
        for (int x = 0; x < w; x++)
            row[x * 4 + 3] = 255;
    }
    uint8_t tmp[4096];
    for (int y = 0; y < h / 2; y++) {
        uint8_t *a = rgba + (size_t)y * stride, *b = rgba + (size_t)(h - 1 - y) * stride;
        for (size_t off = 0; off < stride; off += sizeof tmp) {
            size_t n = stride - off < sizeof tmp ? stride - off : sizeof tmp;
            memcpy(tmp, a + off, n);
            memcpy(a + off, b + off, n);
            memcpy(b + off, tmp, n);
        }
    }
}

/* Written with the mosaic's PNG writer (decode/png_stream.c, zlib), so the
 * viewer needs no image library of its own. */
bool mer_gfx_screenshot(int dw, int dh, const char *path, char *err, size_t len)
{
    uint8_t *rgba = dw > 0 && dh > 0 ? malloc((size_t)dw * (size_t)dh * 4) : NULL;
    if (!rgba) {
        snprintf(err, len, "screenshot: out of memory");
        return false;
    }
    glPixelStorei(GL_PACK_ALIGNMENT, 4);
    glReadBuffer(GL_BACK);
    glReadPixels(0, 0, dw, dh, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
    flip_opaque(rgba, dw, dh);
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, len, "screenshot %s: %s", path, strerror(errno));
        free(rgba);
        return false;
    }
    err[0] = '\0';
    mer_png_stream *png = mer_png_stream_open(f, dw, dh, dh, 0, err, len);
    bool ok = png && mer_png_stream_put_band(png, 0, rgba); /* rgba belongs to png now */
    if (!png)
        free(rgba);
    ok = ok && mer_png_stream_finish(png, err, len);
    mer_png_stream_destroy(png);
    ok = fclose(f) == 0 && ok;
    if (!ok) {
        if (!err[0])
            snprintf(err, len, "screenshot %s: could not write it", path);
        remove(path);
    }
    return ok;
}
