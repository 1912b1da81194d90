#include "core/demo_preset.h"

#include <stdio.h>
#include <string.h>

/* Retry-After is always sent with 429 and 503. A burst of 10 is tilesim's
 * default; it matters only where a rate is set. */
static const mer_demo_preset g_presets[] = {
    {"default", 120, 40, 0, 10, 0, 0, "", true, 0},
    /* 8 req/s, bursts of 4, 4 in flight: a viewer asking for a screenful of
     * tiles at once runs into all three limits within a second. */
    {"rate-limit", 150, 0, 8, 4, 4, 0, "", true, 2},
    {"slow", 600, 400, 0, 10, 0, 0, "", true, 0},
    /* Errors the loader must retry: 503s, corrupt and truncated bodies. */
    {"flaky", 120, 40, 0, 10, 0, 0.15, "corrupt=0.05,truncated=0.05", true, 4},
    /* Panel only: an open, fast server and a stricter limiter. */
    {"open", 80, 20, 0, 10, 0, 0, "", false, 1},
    {"strict", 200, 0, 2, 2, 2, 0, "", false, 3},
};
#define N_PRESETS (sizeof g_presets / sizeof g_presets[0])

const mer_demo_preset *mer_demo_preset_at(size_t i)
{
    return i < N_PRESETS ? &g_presets[i] : NULL;
}

const mer_demo_preset *mer_demo_preset_find(const char *name)
{
    if (!name || !*name)
        name = "default";
    for (size_t i = 0; i < N_PRESETS; i++)
        if (strcmp(name, g_presets[i].name) == 0)
            return &g_presets[i];
    return NULL;
}

const mer_demo_preset *mer_demo_preset_for_key(int n)
{
    for (size_t i = 0; i < N_PRESETS && n > 0; i++)
        if (g_presets[i].panel_key == n)
            return &g_presets[i];
    return NULL;
}

void mer_demo_preset_args(const mer_demo_preset *p, mer_demo_args *out)
{
    memset(out, 0, sizeof *out);
    size_t n = 0;
    snprintf(out->num[0], sizeof out->num[0], "%d", p->latency_ms);
    snprintf(out->num[1], sizeof out->num[1], "%d", p->jitter_ms);
    snprintf(out->num[2], sizeof out->num[2], "%g", p->rate);
    snprintf(out->num[3], sizeof out->num[3], "%d", p->burst);
    snprintf(out->num[4], sizeof out->num[4], "%d", p->max_concurrent);
    snprintf(out->num[5], sizeof out->num[5], "%g", p->fail_rate);
    static const char *const names[6] = {"--latency", "--jitter", "--rate", "--burst", "--max-concurrent",
                                         "--fail-rate"};
    for (int i = 0; i < 6; i++) {
        out->argv[n++] = names[i];
        out->argv[n++] = out->num[i];
    }
    if (p->faults[0]) {
        out->argv[n++] = "--faults";
        out->argv[n++] = p->faults;
    }
    out->argv[n] = NULL;
}

bool mer_demo_preset_query(const mer_demo_preset *p, char *out, size_t len)
{
    /* The fault list's '=' and ',' are percent-encoded inside the value. */
    char faults[128];
    size_t k = 0;
    for (const char *c = p->faults; *c && k + 4 < sizeof faults; c++) {
        if (*c == '=' || *c == ',')
            k += (size_t)snprintf(faults + k, sizeof faults - k, "%%%02X", (unsigned char)*c);
        else
            faults[k++] = *c;
    }
    faults[k] = '\0';
    int w = snprintf(out, len, "latency=%d&jitter=%d&rate=%g&burst=%d&max-concurrent=%d&fail-rate=%g&faults=%s",
                     p->latency_ms, p->jitter_ms, p->rate, p->burst, p->max_concurrent, p->fail_rate, faults);
    return w > 0 && (size_t)w < len;
}
