#include "ui/gfx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <SDL_image.h>
#include <cglm/cglm.h>
#include <epoxy/gl.h>

#include "core/log.h"
#include "ui/datadir.h"

#define TAG "gfx"
#define SHADER_MAX_BYTES (256 * 1024)

struct mer_gfx {
    GLuint prog, vao, vbo;
    GLint u_proj, u_rect, u_uv, u_tex, u_mode, u_alpha, u_color;
    int mode;  /* last u_mode set, to skip redundant uniform calls */
    GLuint tex; /* last bound texture */
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

static GLuint link_program(char *err, size_t len)
{
    GLuint vs = compile(GL_VERTEX_SHADER, "shaders/tile.vert", err, len);
    if (!vs)
        return 0;
    GLuint fs = compile(GL_FRAGMENT_SHADER, "shaders/tile.frag", err, len);
    if (!fs) {
        glDeleteShader(vs);
        return 0;
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
        snprintf(err, len, "shaders tile.vert + tile.frag failed to link: %s", log);
        glDeleteProgram(p);
        return 0;
    }
    return p;
}

mer_gfx *mer_gfx_create(char *err, size_t len)
{
    mer_gfx *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(err, len, "out of memory");
        return NULL;
    }
    g->prog = link_program(err, len);
    if (!g->prog) {
        free(g);
        return NULL;
    }
    g->u_proj = glGetUniformLocation(g->prog, "u_proj");
    g->u_rect = glGetUniformLocation(g->prog, "u_rect");
    g->u_uv = glGetUniformLocation(g->prog, "u_uv");
    g->u_tex = glGetUniformLocation(g->prog, "u_tex");
    g->u_mode = glGetUniformLocation(g->prog, "u_mode");
    g->u_alpha = glGetUniformLocation(g->prog, "u_alpha");
    g->u_color = glGetUniformLocation(g->prog, "u_color");
    static const float quad[] = {0, 0, 1, 0, 0, 1, 1, 1};
    glGenVertexArrays(1, &g->vao);
    glBindVertexArray(g->vao);
    glGenBuffers(1, &g->vbo);
    glBindBuffer(GL_ARRAY_BUFFER, g->vbo);
    glBufferData(GL_ARRAY_BUFFER, sizeof quad, quad, GL_STATIC_DRAW);
    glEnableVertexAttribArray(0);
    glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 0, NULL);
    glUseProgram(g->prog);
    glUniform1i(g->u_tex, 0);
    g->mode = -1;
    return g;
}

void mer_gfx_destroy(mer_gfx *g)
{
    if (!g)
        return;
    glDeleteBuffers(1, &g->vbo);
    glDeleteVertexArrays(1, &g->vao);
    glDeleteProgram(g->prog);
    free(g);
}

void mer_gfx_begin(mer_gfx *g, int dw, int dh)
{
    glViewport(0, 0, dw, dh);
    glDisable(GL_DEPTH_TEST);
    glEnable(GL_BLEND);
    glBlendFunc(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA);
    glClearColor(0.87f, 0.87f, 0.85f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    glUseProgram(g->prog);
    glBindVertexArray(g->vao);
    mat4 proj;
    glm_ortho(0.0f, (float)dw, (float)dh, 0.0f, -1.0f, 1.0f, proj);
    glUniformMatrix4fv(g->u_proj, 1, GL_FALSE, (const float *)proj);
    glActiveTexture(GL_TEXTURE0);
    g->mode = -1;
    g->tex = 0;
    glBindTexture(GL_TEXTURE_2D, 0);
}

static void set_mode(mer_gfx *g, int mode)
{
    if (g->mode != mode) {
        glUniform1i(g->u_mode, mode);
        g->mode = mode;
    }
}

static void bind(mer_gfx *g, GLuint tex)
{
    if (g->tex != tex) {
        glBindTexture(GL_TEXTURE_2D, tex);
        g->tex = tex;
    }
}

static void draw(mer_gfx *g, float x, float y, float w, float h)
{
    glUniform4f(g->u_rect, x, y, w, h);
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
}

void mer_gfx_tile(mer_gfx *g, unsigned tex, float x, float y, float w, float h, float u0, float v0,
                  float u1, float v1, float alpha)
{
    set_mode(g, 0);
    bind(g, tex);
    glUniform4f(g->u_uv, u0, v0, u1, v1);
    glUniform1f(g->u_alpha, alpha);
    draw(g, x, y, w, h);
}

void mer_gfx_pattern(mer_gfx *g, mer_pattern p, float x, float y, float w, float h)
{
    set_mode(g, (int)p);
    glUniform1f(g->u_alpha, 1.0f);
    draw(g, x, y, w, h);
}

void mer_gfx_rect(mer_gfx *g, float x, float y, float w, float h, float r, float gr, float b, float a)
{
    set_mode(g, 3);
    glUniform1f(g->u_alpha, 1.0f);
    glUniform4f(g->u_color, r, gr, b, a);
    draw(g, x, y, w, h);
}

void mer_gfx_text(mer_gfx *g, unsigned tex, float x, float y, float w, float h, float r, float gr,
                  float b, float a)
{
    set_mode(g, 4);
    bind(g, tex);
    glUniform4f(g->u_uv, 0, 0, 1, 1);
    glUniform1f(g->u_alpha, 1.0f);
    glUniform4f(g->u_color, r, gr, b, a);
    draw(g, x, y, w, h);
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

bool mer_gfx_screenshot(int dw, int dh, const char *path, char *err, size_t len)
{
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, dw, dh, 32, SDL_PIXELFORMAT_ABGR8888);
    if (!s) {
        snprintf(err, len, "screenshot: %s", SDL_GetError());
        return false;
    }
    uint8_t *row = malloc((size_t)dw * 4);
    bool ok = row != NULL;
    if (ok) {
        glPixelStorei(GL_PACK_ALIGNMENT, 4);
        glReadBuffer(GL_BACK);
        /* GL rows run bottom-up; PNG rows top-down. */
        for (int y = 0; y < dh; y++) {
            glReadPixels(0, dh - 1 - y, dw, 1, GL_RGBA, GL_UNSIGNED_BYTE, row);
            uint8_t *dst = (uint8_t *)s->pixels + (size_t)y * (size_t)s->pitch;
            for (int x = 0; x < dw; x++)
                row[x * 4 + 3] = 255; /* the window is opaque */
            memcpy(dst, row, (size_t)dw * 4);
        }
        free(row);
        ok = IMG_SavePNG(s, path) == 0;
        if (!ok)
            snprintf(err, len, "screenshot %s: %s", path, IMG_GetError());
    } else {
        snprintf(err, len, "screenshot: out of memory");
    }
    SDL_FreeSurface(s);
    return ok;
}
