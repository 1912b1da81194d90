/* Options: every invalid value is rejected with a message naming the option;
 * good values land in the struct; the source decides the zoom limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/options.h"

static mer_opt_status parse(mer_options *o, char *err, size_t len, int argc, char **argv)
{
    mer_options_defaults(o);
    mer_opt_status st = mer_options_parse(o, argc, argv, err, len);
    if (st == MER_OPT_OK)
        st = mer_options_finish(o, err, len);
    return st;
}

#define ARGV(...) ((char *[]){"meridian", __VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){"meridian", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(o, err, ...) parse(o, err, sizeof err, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

static void expect_error(const char *needle, int argc, char **argv)
{
    mer_options o;
    char err[512] = "";
    assert_int_equal(parse(&o, err, sizeof err, argc, argv), MER_OPT_ERROR);
    if (!strstr(err, needle))
        fail_msg("'%s' does not mention '%s'", err, needle);
}
#define EXPECT_ERROR(needle, ...) expect_error(needle, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

static void test_good_values(void **state)
{
    (void)state;
    mer_options o;
    char err[512];
    assert_int_equal(PARSE(&o, err, "--lat", "48.85", "--lon=2.29", "-z", "12.5", "--size", "800x600",
                           "--max-concurrent", "4", "--rate", "2.5", "--offline", "-v", "-v",
                           "--source", "opentopomap"),
                     MER_OPT_OK);
    assert_true(o.have_lat && o.have_lon && o.have_zoom);
    assert_true(o.lat == 48.85 && o.lon == 2.29 && o.zoom == 12.5);
    assert_int_equal(o.width, 800);
    assert_int_equal(o.height, 600);
    assert_int_equal(o.max_concurrent, 4);
    assert_true(o.rate == 2.5);
    assert_true(o.offline);
    assert_int_equal(o.verbose, 2);
    assert_string_equal(o.source.id, "opentopomap");
}

static void test_defaults(void **state)
{
    (void)state;
    mer_options o;
    char err[512];
    char *argv[] = {"meridian", NULL};
    assert_int_equal(parse(&o, err, sizeof err, 1, argv), MER_OPT_OK);
    assert_string_equal(o.source.id, "osm");
    assert_false(o.have_lat);
    assert_int_equal(o.width, 1280);
    assert_true(o.rate < 0); /* the source decides */
    assert_int_equal(PARSE(&o, err, "--demo"), MER_OPT_OK);
    assert_string_equal(o.demo, "default");
    assert_string_equal(o.source.id, "demo");
    assert_int_equal(PARSE(&o, err, "--demo=rate-limit"), MER_OPT_OK);
    assert_string_equal(o.demo, "rate-limit");
}

static void test_invalid_values(void **state)
{
    (void)state;
    EXPECT_ERROR("--lat", "--lat", "95");
    EXPECT_ERROR("--lat", "--lat", "abc");
    EXPECT_ERROR("--lat", "--lat", "");
    EXPECT_ERROR("--lat", "--lat", "12x");
    EXPECT_ERROR("--lat", "--lat", "nan");
    EXPECT_ERROR("--lon", "--lon", "181");
    EXPECT_ERROR("--lon", "--lat", "1", "--lon", "inf");
    EXPECT_ERROR("--zoom", "--zoom", "-1");
    EXPECT_ERROR("--zoom", "--zoom", "23");
    EXPECT_ERROR("maximum zoom 19", "--zoom", "20", "--source", "osm");
    EXPECT_ERROR("maximum zoom 17", "--zoom", "18", "--source", "opentopomap");
    EXPECT_ERROR("--size", "--size", "800");
    EXPECT_ERROR("--size", "--size", "0x600");
    EXPECT_ERROR("--size", "--size", "800x");
    EXPECT_ERROR("--size", "--size", "99999x600");
    EXPECT_ERROR("--max-concurrent", "--max-concurrent", "0");
    EXPECT_ERROR("--max-concurrent", "--max-concurrent", "1000");
    EXPECT_ERROR("--rate", "--rate", "-3");
    EXPECT_ERROR("--burst", "--burst", "0");
    EXPECT_ERROR("--cache-size", "--cache-size", "lots");
    EXPECT_ERROR("--demo", "--demo=nope");
    EXPECT_ERROR("--source", "--source", "https://x/{z}/{q}/{bogus}");
    EXPECT_ERROR("--source", "--source", "nosuchpreset");
    EXPECT_ERROR("--user-agent", "--user-agent", "");
    EXPECT_ERROR("unknown option", "--bogus");
    EXPECT_ERROR("needs a value", "--lat");
    EXPECT_ERROR("unexpected argument", "stray");
    EXPECT_ERROR("--lat", "--lat", "10");
    EXPECT_ERROR("geo:", "geo:91,0");
}

static void test_geo_argument(void **state)
{
    (void)state;
    mer_options o;
    char err[512];
    assert_int_equal(PARSE(&o, err, "geo:48.8584,2.2945?z=16"), MER_OPT_OK);
    assert_true(o.have_lat && o.have_zoom);
    assert_true(o.lat == 48.8584 && o.lon == 2.2945 && o.zoom == 16);
}

static void test_set_by_name(void **state)
{
    (void)state;
    mer_options o;
    char err[256];
    mer_options_defaults(&o);
    assert_int_equal(mer_options_set(&o, "max-concurrent", "3", err, sizeof err), MER_OPT_OK);
    assert_int_equal(o.max_concurrent, 3);
    assert_int_equal(mer_options_set(&o, "offline", "yes", err, sizeof err), MER_OPT_OK);
    assert_true(o.offline);
    assert_int_equal(mer_options_set(&o, "offline", "maybe", err, sizeof err), MER_OPT_ERROR);
    assert_int_equal(mer_options_set(&o, "nope", "1", err, sizeof err), MER_OPT_ERROR);
    assert_non_null(strstr(err, "nope"));
}

static void test_parsers(void **state)
{
    (void)state;
    int a, b;
    assert_true(mer_parse_zoom_range("3:7", &a, &b) && a == 3 && b == 7);
    assert_true(mer_parse_zoom_range("5", &a, &b) && a == 5 && b == 5);
    assert_false(mer_parse_zoom_range("7:3", &a, &b));
    assert_false(mer_parse_zoom_range("3:", &a, &b));
    assert_false(mer_parse_zoom_range("-1:3", &a, &b));
    double w, s, e, n;
    assert_true(mer_parse_bbox("2.2,48.8,2.4,48.9", &w, &s, &e, &n) && w == 2.2 && n == 48.9);
    assert_false(mer_parse_bbox("2.2,48.9,2.4,48.8", &w, &s, &e, &n)); /* south > north */
    assert_false(mer_parse_bbox("2.2,48.8,2.4", &w, &s, &e, &n));
    assert_false(mer_parse_bbox("2.2,48.8,2.4,48.9,1", &w, &s, &e, &n));
    assert_false(mer_parse_bbox("200,0,1,1", &w, &s, &e, &n));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_values),    cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_invalid_values), cmocka_unit_test(test_geo_argument),
        cmocka_unit_test(test_set_by_name),    cmocka_unit_test(test_parsers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
