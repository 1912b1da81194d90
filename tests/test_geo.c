/* geo: URIs (RFC 5870 plus ?z= and Android's ?q=LAT,LON): the values of valid
 * URIs, and a reason for each kind of invalid one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/geo.h"

#define EPS 1e-12

/* Debian 12's cmocka (1.1.5) has only assert_float_equal, which truncates to float. */
static void assert_double_equal(double a, double b, double eps)
{
    if (fabs(a - b) > eps)
        fail_msg("%.15g != %.15g", a, b);
}

static mer_geo parse_ok(const char *uri)
{
    mer_geo g;
    char err[256] = "";
    memset(&g, 0xab, sizeof g);
    if (!mer_geo_parse(uri, &g, err, sizeof err))
        fail_msg("'%s' rejected: %s", uri, err);
    return g;
}

static void expect_bad(const char *uri, const char *needle)
{
    mer_geo g = {.lat = 7.0, .lon = 8.0};
    char err[256] = "";
    if (mer_geo_parse(uri, &g, err, sizeof err))
        fail_msg("'%s' accepted (lat %g lon %g)", uri, g.lat, g.lon);
    if (!strstr(err, "invalid geo: URI") || !strstr(err, needle))
        fail_msg("'%s': message '%s' lacks '%s'", uri, err, needle);
    /* Nothing is written on failure. */
    assert_true(g.lat == 7.0 && g.lon == 8.0);
}

static void test_basic(void **state)
{
    (void)state;
    mer_geo g = parse_ok("geo:48.8584,2.2945?z=16");
    assert_double_equal(g.lat, 48.8584, EPS);
    assert_double_equal(g.lon, 2.2945, EPS);
    assert_true(g.have_zoom);
    assert_double_equal(g.zoom, 16.0, EPS);
    assert_false(g.have_alt);
    assert_false(g.have_u);

    g = parse_ok("geo:-33.8568,151.2153");
    assert_double_equal(g.lat, -33.8568, EPS);
    assert_double_equal(g.lon, 151.2153, EPS);
    assert_false(g.have_zoom);

    g = parse_ok("GEO:0,0"); /* the scheme is case-insensitive */
    assert_double_equal(g.lat, 0.0, EPS);
    assert_double_equal(g.lon, 0.0, EPS);
}

/* The examples of RFC 5870 section 6 and friends. */
static void test_rfc_examples(void **state)
{
    (void)state;
    mer_geo g = parse_ok("geo:13.4125,103.8667");
    assert_double_equal(g.lat, 13.4125, EPS);
    assert_double_equal(g.lon, 103.8667, EPS);

    g = parse_ok("geo:48.2010,16.3695,183");
    assert_true(g.have_alt);
    assert_double_equal(g.alt, 183.0, EPS);

    g = parse_ok("geo:48.198634,16.371648;crs=wgs84;u=40");
    assert_double_equal(g.lat, 48.198634, EPS);
    assert_true(g.have_u);
    assert_double_equal(g.uncertainty, 40.0, EPS);

    g = parse_ok("geo:90,-22.43;crs=WGS84"); /* labels are case-insensitive */
    assert_double_equal(g.lat, 90.0, EPS);
    assert_double_equal(g.lon, -22.43, EPS);

    g = parse_ok("geo:-90,180");
    assert_double_equal(g.lat, -90.0, EPS);
    assert_double_equal(g.lon, 180.0, EPS);

    /* Unknown parameters, with and without a value, are ignored. */
    g = parse_ok("geo:1.5,2.5;u=0.5;foo=bar;flag?z=3.5");
    assert_double_equal(g.uncertainty, 0.5, EPS);
    assert_double_equal(g.zoom, 3.5, EPS);
}

static void test_query(void **state)
{
    (void)state;
    mer_geo g = parse_ok("geo:1,2?foo=bar&z=0");
    assert_true(g.have_zoom);
    assert_double_equal(g.zoom, 0.0, EPS);

    g = parse_ok("geo:1,2?z=22");
    assert_double_equal(g.zoom, 22.0, EPS);

    /* Android: geo:0,0?q=LAT,LON(label) puts the point in q. */
    g = parse_ok("geo:0,0?q=51.5007,-0.1246(Big%20Ben)");
    assert_double_equal(g.lat, 51.5007, EPS);
    assert_double_equal(g.lon, -0.1246, EPS);
    g = parse_ok("geo:0,0?q=51.5%2C-0.12&z=12");
    assert_double_equal(g.lat, 51.5, EPS);
    assert_double_equal(g.lon, -0.12, EPS);
    assert_double_equal(g.zoom, 12.0, EPS);

    /* With real coordinates, a search text in q is only a label. */
    g = parse_ok("geo:10,20?q=coffee");
    assert_double_equal(g.lat, 10.0, EPS);
    assert_double_equal(g.lon, 20.0, EPS);
}

static void test_invalid(void **state)
{
    (void)state;
    expect_bad("", "start with 'geo:'");
    expect_bad("http://example.org/", "start with 'geo:'");
    expect_bad("geo", "start with 'geo:'");
    expect_bad("geo:", "LAT,LON");
    expect_bad("geo:48.85", "LAT,LON");
    expect_bad("geo:48.85,", "longitude");
    expect_bad("geo:abc,2", "LAT,LON");
    /* Only the RFC's number syntax. */
    expect_bad("geo: 48,2", "LAT,LON");
    expect_bad("geo:+48,2", "LAT,LON");
    expect_bad("geo:4.8e1,2", "LAT,LON");
    expect_bad("geo:0x10,2", "LAT,LON");
    expect_bad("geo:inf,2", "LAT,LON");
    expect_bad("geo:nan,2", "LAT,LON");
    expect_bad("geo:48.,2", "LAT,LON");
    expect_bad("geo:.5,2", "LAT,LON");
    expect_bad("geo:48.8.1,2", "LAT,LON");
    expect_bad("geo:1,2 ", "unexpected text");
    expect_bad("geo:1,2#frag", "unexpected text");
    expect_bad("geo:1,2,x", "altitude");
    expect_bad("geo:1,2,3,4", "unexpected text");
    expect_bad("geo:1,2/3", "unexpected text");
    expect_bad("geo:1234567890123456789012345678901234567890123,2", "LAT,LON");
    /* Ranges. */
    expect_bad("geo:90.000001,0", "latitude");
    expect_bad("geo:-91,0", "latitude");
    expect_bad("geo:0,180.5", "longitude");
    expect_bad("geo:0,-181", "longitude");
    /* Parameters. */
    expect_bad("geo:1,2;crs=utm", "crs=wgs84");
    expect_bad("geo:1,2;crs=wgs84x", "crs=wgs84");
    expect_bad("geo:1,2;crs", "crs=wgs84");
    expect_bad("geo:1,2;u=-5", "u=");
    expect_bad("geo:1,2;u=abc", "u=");
    expect_bad("geo:1,2;;u=5", "parameter name");
    expect_bad("geo:1,2;u=", "parameter value");
    /* Query. */
    expect_bad("geo:1,2?z=23", "z must");
    expect_bad("geo:1,2?z=-1", "z must");
    expect_bad("geo:1,2?z=abc", "z must");
    expect_bad("geo:1,2?z=", "z must");
    expect_bad("geo:1,2?z=5x", "z must");
    expect_bad("geo:1,2?z=5 6", "query");
    expect_bad("geo:0,0?q=Paris", "not supported");
    expect_bad("geo:0,0?q=95,0", "latitude");
}

/* The same double as strtod (the nearest one), not merely a close one. */
static void test_exact_values(void **state)
{
    (void)state;
    static const char *const nums[] = {"48.8584", "2.2945", "-33.8568", "151.2153", "0.1", "0.3",
                                       "89.999999999", "-179.123456789012", "12.3456789012345678901",
                                       "0.000000000000000000001", "000000000000000000042.5", "7"};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        char uri[128];
        double want = strtod(nums[i], NULL);
        snprintf(uri, sizeof uri, "geo:0,%s", nums[i]);
        mer_geo g = parse_ok(uri);
        if (g.lon != want)
            fail_msg("longitude %s parsed as %.17g, strtod gives %.17g", nums[i], g.lon, want);
        if (fabs(want) <= 90.0) {
            snprintf(uri, sizeof uri, "geo:%s,0", nums[i]);
            g = parse_ok(uri);
            if (g.lat != want)
                fail_msg("latitude %s parsed as %.17g, strtod gives %.17g", nums[i], g.lat, want);
        }
    }
}

static void test_null_and_small_buffers(void **state)
{
    (void)state;
    mer_geo g;
    assert_false(mer_geo_parse(NULL, &g, NULL, 0));
    char tiny[8];
    assert_false(mer_geo_parse("geo:x", &g, tiny, sizeof tiny));
    assert_int_equal(strlen(tiny), sizeof tiny - 1); /* truncated, terminated */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_rfc_examples),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_exact_values),
        cmocka_unit_test(test_null_and_small_buffers),
    };
    return cmocka_run_group_tests_name("geo", tests, NULL, NULL);
}
