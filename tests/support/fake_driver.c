/* A stand-in for a GL driver, for tests/test_lsan_canary.c: it keeps one
 * allocation for the life of the process and is meant to be dlclose()d by its
 * loader, as libglvnd does with libGLX_mesa. Built like a distribution
 * library: optimised, no frame pointers, no sanitizer instrumentation. */
#include <stdlib.h>
#include <string.h>

void *mer_fake_driver_state;

int mer_fake_driver_init(void);

int mer_fake_driver_init(void)
{
    char *p = malloc(128);
    if (!p)
        return -1;
    memset(p, 1, 128);
    /* Kept only in a global of this library: unreachable once it is unmapped. */
    mer_fake_driver_state = p;
    return 0;
}
