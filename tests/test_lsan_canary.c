/* The leak checker is on and sees our leaks, whatever the machine's GL driver
 * (issue 11). Runs itself as a child that creates a GL context (so the real
 * driver's process-lifetime allocations are made), loads and dlclose()s a
 * stand-in driver that keeps memory (tests/support/fake_driver.c), and leaks
 * exactly one block of its own. The child's leak report must name that block
 * and nothing else:
 *  - if LeakSanitizer were off (detect_leaks=0 anywhere), no report: fails;
 *  - if the suppressions hid our code, no report: fails;
 *  - if a driver frame lost its module name (the library unmapped before the
 *    report, as on a fresh machine's Mesa), its suppression would not match
 *    and more than one block would be reported: fails. */
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <SDL.h>

#define CANARY_BYTES 77

static char *g_self;

void *canary_leak(void);
void *canary_leak(void)
{
    void *p = malloc(CANARY_BYTES);
    if (p)
        memset(p, 7, CANARY_BYTES);
    return p;
}

static void *volatile g_sink;

static int child(const char *driver)
{
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        fprintf(stderr, "child: SDL_Init: %s\n", SDL_GetError());
        return 3;
    }
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
    SDL_Window *w = SDL_CreateWindow("canary", 0, 0, 64, 64, SDL_WINDOW_OPENGL | SDL_WINDOW_HIDDEN);
    SDL_GLContext gl = w ? SDL_GL_CreateContext(w) : NULL;
    if (!gl) {
        fprintf(stderr, "child: no GL context: %s\n", SDL_GetError());
        return 3;
    }
    SDL_GL_SwapWindow(w);
    void *h = dlopen(driver, RTLD_NOW | RTLD_LOCAL);
    int (*init)(void) = h ? (int (*)(void))dlsym(h, "mer_fake_driver_init") : NULL;
    if (!init || init() != 0) {
        fprintf(stderr, "child: cannot load %s: %s\n", driver, dlerror());
        return 3;
    }
    dlclose(h);
    /* Reachable through a global until we drop it: then it is our leak. */
    g_sink = canary_leak();
    g_sink = NULL;
    SDL_GL_DeleteContext(gl);
    SDL_DestroyWindow(w);
    SDL_Quit();
    return 0;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static void test_our_leak_alone_is_reported(void **state)
{
    (void)state;
    const char *d = getenv("DISPLAY");
    assert_non_null(d); /* ctest gives it a display (tests/support/own_display.sh) */
    const char *driver = getenv("MER_FAKE_DRIVER");
    assert_non_null(driver);
    char log[] = "/tmp/mer-canary-XXXXXX";
    int fd = mkstemp(log);
    assert_true(fd >= 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fd, 2);
        execl(g_self, g_self, "--child", driver, (char *)NULL);
        _exit(127);
    }
    close(fd);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    char *out = slurp(log);
    unlink(log);
    assert_non_null(out);
    print_message("%s", out);
    /* Exit 0 would mean no leak report at all. */
    assert_false(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_false(WIFEXITED(st) && WEXITSTATUS(st) == 3);
    assert_non_null(strstr(out, "ERROR: LeakSanitizer: detected memory leaks"));
    assert_non_null(strstr(out, "canary_leak"));
    char want[128];
    snprintf(want, sizeof want, "SUMMARY: AddressSanitizer: %d byte(s) leaked in 1 allocation(s).",
             CANARY_BYTES);
    assert_non_null(strstr(out, want));
    assert_null(strstr(out, "<unknown module>"));
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--child") == 0)
        return child(argv[2]);
    g_self = argv[0];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_our_leak_alone_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
