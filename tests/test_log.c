/* Logging: levels filter, and lines from several threads never interleave. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/log.h"

static void *writer(void *arg)
{
    for (int i = 0; i < 200; i++)
        MER_LOGW("t", "thread %ld line %d %s", (long)(intptr_t)arg, i, "xxxxxxxxxxxxxxxxxxxxxxxx");
    return NULL;
}

static void test_levels_and_threads(void **state)
{
    (void)state;
    char path[] = "/tmp/mer-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    mer_log_set_level(MER_LOG_WARN);
    assert_false(mer_log_enabled(MER_LOG_INFO));
    MER_LOGI("t", "hidden");
    MER_LOGD("t", "hidden too");
    pthread_t th[4];
    for (intptr_t i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, writer, (void *)i);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    mer_log_set_level(MER_LOG_DEBUG);
    MER_LOGD("t", "visible");
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *f = fopen(path, "r");
    char line[512];
    int n = 0, debug = 0;
    while (fgets(line, sizeof line, f)) {
        assert_non_null(strstr(line, "meridian[t] "));
        assert_null(strstr(line, "hidden"));
        if (strstr(line, "visible"))
            debug++;
        else
            assert_non_null(strstr(line, "xxxxxxxxxxxxxxxxxxxxxxxx\n"));
        n++;
    }
    fclose(f);
    close(fd);
    unlink(path);
    assert_int_equal(n, 801);
    assert_int_equal(debug, 1);
    mer_log_set_level(MER_LOG_TRACE + 5);
    assert_int_equal(mer_log_get_level(), MER_LOG_TRACE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_levels_and_threads)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
