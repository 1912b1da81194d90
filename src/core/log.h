/* Logging: one module for every thread. Lines go to stderr as
 * "meridian[tag] level: message". Thread-safe: each line is written with one
 * locked fprintf so lines from different threads never interleave. */
#ifndef MER_LOG_H
#define MER_LOG_H

typedef enum {
    MER_LOG_ERROR = 0,
    MER_LOG_WARN = 1,
    MER_LOG_INFO = 2,
    MER_LOG_DEBUG = 3,
    MER_LOG_TRACE = 4,
} mer_log_level;

/* Default level is WARN; --verbose raises it (INFO, then DEBUG, TRACE). */
void mer_log_set_level(mer_log_level level);
mer_log_level mer_log_get_level(void);
int mer_log_enabled(mer_log_level level);

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void mer_log(mer_log_level level, const char *tag, const char *fmt, ...);

#define MER_LOGE(tag, ...) mer_log(MER_LOG_ERROR, tag, __VA_ARGS__)
#define MER_LOGW(tag, ...) mer_log(MER_LOG_WARN, tag, __VA_ARGS__)
#define MER_LOGI(tag, ...) mer_log(MER_LOG_INFO, tag, __VA_ARGS__)
#define MER_LOGD(tag, ...) \
    do { if (mer_log_enabled(MER_LOG_DEBUG)) mer_log(MER_LOG_DEBUG, tag, __VA_ARGS__); } while (0)

#endif
