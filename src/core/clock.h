/* The one monotonic clock (CLOCK_MONOTONIC): for deadlines, timeouts and
 * durations, never for dates. Any thread. */
#ifndef MER_CLOCK_H
#define MER_CLOCK_H

/* Milliseconds / seconds since an arbitrary fixed point. */
double mer_clock_ms(void);
double mer_clock_s(void);

#endif
