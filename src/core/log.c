#include "core/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

static _Atomic int g_level = MER_LOG_WARN;

static const char *const g_names[] = {"error", "warning", "info", "debug", "trace"};

void mer_log_set_level(mer_log_level level)
{
    if (level < MER_LOG_ERROR)
        level = MER_LOG_ERROR;
    if (level > MER_LOG_TRACE)
        level = MER_LOG_TRACE;
    atomic_store(&g_level, (int)level);
}

mer_log_level mer_log_get_level(void)
{
    return (mer_log_level)atomic_load(&g_level);
}

int mer_log_enabled(mer_log_level level)
{
    return (int)level <= atomic_load(&g_level);
}

void mer_log(mer_log_level level, const char *tag, const char *fmt, ...)
{
    if (!mer_log_enabled(level))
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* One fprintf per line: stdio locks the stream for the call. */
    fprintf(stderr, "meridian[%s] %s: %s\n", tag ? tag : "-", g_names[level], msg);
}
