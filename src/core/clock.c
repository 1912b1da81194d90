#include "core/clock.h"

#include <time.h>

double mer_clock_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

double mer_clock_s(void)
{
    return mer_clock_ms() / 1e3;
}
