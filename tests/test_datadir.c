/* core/datadir: the one place that finds the running program and the data
 * files (shaders, fonts, the world map) for the viewer, the tile server, the
 * decode workers and --demo. */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/datadir.h"
#include "support/tmpdir.h"

static void real(const char *p, char *out)
{
    assert_non_null(realpath(p, out));
}

/* This test program lives in the build tree's tests/ folder. */
static void test_exe_dir_is_this_programs(void **state)
{
    (void)state;
    char dir[PATH_MAX], got[PATH_MAX], want[PATH_MAX], expect[PATH_MAX + 8];
    assert_true(mer_exe_dir(dir, sizeof dir));
    real(dir, got);
    const char *build = getenv("MER_BUILD_DIR");
    assert_non_null(build);
    snprintf(expect, sizeof expect, "%s/tests", build);
    real(expect, want);
    assert_string_equal(got, want);
    char tiny[4];
    assert_false(mer_exe_dir(tiny, sizeof tiny)); /* never a cut path */
}

static void test_environment_first(void **state)
{
    (void)state;
    char tmp[256], sub[300], file[320], out[PATH_MAX];
    assert_true(mer_test_mkdtemp(tmp, sizeof tmp, "datadir"));
    snprintf(sub, sizeof sub, "%s/assets", tmp);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(file, sizeof file, "%s/world.bin", sub);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    setenv("MERIDIAN_DATADIR", tmp, 1);
    assert_true(mer_data_find("assets/world.bin", out, sizeof out));
    assert_string_equal(out, file);
    unsetenv("MERIDIAN_DATADIR");
    mer_test_rmtree(tmp);
}

/* From a build tree, the source tree's data is found (a test one level below). */
static void test_build_tree_finds_source_data(void **state)
{
    (void)state;
    unsetenv("MERIDIAN_DATADIR");
    char out[PATH_MAX];
    assert_true(mer_data_find("assets/world.bin", out, sizeof out));
    assert_string_equal(out, MERIDIAN_SOURCE_DIR "/assets/world.bin");
    assert_true(mer_data_find("shaders/tile.frag", out, sizeof out));
    assert_false(mer_data_find("assets/no-such-file.bin", out, sizeof out));
    assert_false(mer_data_find("assets", out, sizeof out)); /* a folder is no file */
    char tiny[8];
    assert_false(mer_data_find("assets/world.bin", tiny, sizeof tiny));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exe_dir_is_this_programs),
        cmocka_unit_test(test_environment_first),
        cmocka_unit_test(test_build_tree_finds_source_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
