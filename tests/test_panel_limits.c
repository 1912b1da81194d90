/* GUI test of the network panel's discovered limits (issue 13), under Xvfb:
 * the viewer with --demo (an open server) and default settings (adaptive
 * limits on), the panel on; key 3 turns the demo server into a strict
 * limiter (2 requests/s, 2 at once) through its /control endpoint, and a new
 * view loads against it. The panel's figures (written next to a screenshot)
 * show a request rate limit that was none while the server was open and
 * follows the server's 2/s after the change, and every tile arrived. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "viewer_driver.h"

#define RUN_TIMEOUT_S 400
#define HIST 30

typedef struct panel_dump {
    int cap, adaptive;
    double rate, rate_max;
    unsigned long long throttled;
    double hist[HIST]; /* the rate limit per second, oldest first; 0 = none */
    char server[128];
} panel_dump;

static bool read_dump(const char *path, panel_dump *d)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    memset(d, 0, sizeof *d);
    int n = fscanf(f, "cap %d cap_max %*d adaptive %d rate %lf in_flight %*d status_429 %*u paused_ms %*f "
                      "cache_hits %*u rate_max %lf throttled %llu rate_hist",
                   &d->cap, &d->adaptive, &d->rate, &d->rate_max, &d->throttled);
    for (int i = 0; n == 5 && i < HIST; i++)
        if (fscanf(f, " %lf", &d->hist[i]) != 1)
            n = -1;
    char line[128] = "";
    if (fgets(line, sizeof line, f) && fgets(line, sizeof line, f)) /* the end of line 1, then line 2 */
        snprintf(d->server, sizeof d->server, "%s", line);
    fclose(f);
    return n == 5;
}

static void test_panel_shows_discovered_rate(void **state)
{
    (void)state;
    VD_NEED_DISPLAY();
    vd_run r;
    assert_true(vd_prepare(&r));
    char script[4096] = "key h\nwait-idle 60000\nkey p\nscreenshot @/open.png\nkey 3\n";
    /* Poll the panel's report of the server request for up to 4 s. */
    for (int i = 0; i < 40; i++) {
        size_t n = strlen(script);
        snprintf(script + n, sizeof script - n, "sleep 100\nscreenshot @/p%d.png\n", i);
    }
    strncat(script, "goto 40 60 5\nwait-idle 200000\nscreenshot @/strict.png\nquit\n",
            sizeof script - strlen(script) - 1);
    const char *args[] = {"--demo", "--size", "768x512", "--lat", "20", "--lon", "10", "--zoom", "4", NULL};
    assert_true(vd_run_script(&r, script, args, RUN_TIMEOUT_S));
    if (r.status != 0)
        fprintf(stderr, "%s\n", r.err);
    assert_int_equal(r.status, 0);

    char path[600];
    panel_dump open, strict;
    snprintf(path, sizeof path, "%s/open.png.panel.txt", r.dir);
    assert_true(read_dump(path, &open));
    assert_int_equal(open.adaptive, 1); /* the default */
    assert_true(open.rate == 0);        /* an open server: no rate limit found */
    bool applied = false;
    for (int i = 0; i < 40 && !applied; i++) {
        panel_dump p;
        snprintf(path, sizeof path, "%s/p%d.png.panel.txt", r.dir, i);
        applied = read_dump(path, &p) && strncmp(p.server, "server strict applied", 21) == 0;
    }
    if (!applied)
        fail_msg("the demo server did not confirm the strict preset within 4 s");

    snprintf(path, sizeof path, "%s/strict.png.panel.txt", r.dir);
    assert_true(read_dump(path, &strict));
    printf("# strict server (2/s, 2 at once): discovered rate %.2f/s, cap %d, %llu refused; last 30 s:",
           strict.rate, strict.cap, strict.throttled);
    for (int i = 0; i < HIST; i++)
        printf(" %.1f", strict.hist[i]);
    printf("\n");
    assert_true(strict.throttled > 0);             /* the server really refused */
    /* The rate came down to about the server's 2/s (it may have grown a
     * little since, probing: a rough value, not an exact one). */
    assert_true(strict.rate > 0 && strict.rate <= 4.0);
    assert_true(strict.rate_max == 0); /* a discovered limit, not a configured one */
    /* The history drawn: seconds with a limit of about 2/s (before them,
     * seconds without one while the server was open, if they are still
     * within the last 30 s). */
    int near2 = 0;
    for (int i = 0; i < HIST; i++)
        near2 += strict.hist[i] > 0 && strict.hist[i] <= 3.0;
    assert_true(near2 >= 3);
    assert_true(vd_json_num(r.stats, "\"loader\"", "tiles_failed") == 0);
    assert_true(vd_json_num(r.stats, "\"loader\"", "limit_decreases") >= 1);
}

static int teardown(void **state)
{
    (void)state;
    vd_cleanup_all();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_panel_shows_discovered_rate),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
