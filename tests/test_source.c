/* Sources and URL templates: every placeholder, each invalid template, presets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/source.h"

static mer_source custom(const char *tmpl, const char *subs)
{
    mer_source s;
    memset(&s, 0, sizeof s);
    snprintf(s.url, sizeof s.url, "%s", tmpl);
    snprintf(s.subdomains, sizeof s.subdomains, "%s", subs);
    s.max_zoom = 19;
    s.tile_px = 256;
    return s;
}

static void expect_url(const mer_source *s, mer_tile_id t, const char *want)
{
    char buf[MER_URL_MAX];
    assert_true(mer_source_tile_url(s, t, buf, sizeof buf));
    assert_string_equal(buf, want);
}

static void test_placeholders(void **state)
{
    (void)state;
    mer_tile_id t = {3, 3, 5};
    mer_source s = custom("https://h/{z}/{x}/{y}.png", "");
    expect_url(&s, t, "https://h/3/3/5.png");
    s = custom("https://h/{z}/{x}/{-y}.png", "");
    expect_url(&s, t, "https://h/3/3/2.png"); /* TMS: 7 - 5 */
    s = custom("https://{s}.h/{z}/{x}/{y}.png", "abc");
    expect_url(&s, t, "https://c.h/3/3/5.png"); /* (3+5) % 3 = 2 -> 'c' */
    s = custom("http://h/tiles/{q}.jpeg", "");
    expect_url(&s, t, "http://h/tiles/213.jpeg");
    s = custom("https://h/{z}/{x}/{y}{r}.png", "");
    expect_url(&s, t, "https://h/3/3/5.png");
    s.retina = true;
    expect_url(&s, t, "https://h/3/3/5@2x.png");
    char small[8];
    assert_false(mer_source_tile_url(&s, t, small, sizeof small));
    mer_tile_id bad = {3, 9, 0};
    char buf[256];
    assert_false(mer_source_tile_url(&s, bad, buf, sizeof buf));
}

static void expect_invalid(const char *tmpl, const char *subs, const char *needle)
{
    char err[256] = "";
    assert_false(mer_template_validate(tmpl, subs, err, sizeof err));
    if (!strstr(err, needle))
        fail_msg("template '%s': error '%s' lacks '%s'", tmpl, err, needle);
}

static void test_invalid_templates(void **state)
{
    (void)state;
    expect_invalid("https://x/{z}/{q}/{bogus}", "", "{bogus}");
    expect_invalid("https://x/{z}/{x}.png", "", "{y}");
    expect_invalid("https://x/{x}/{y}.png", "", "{z}");
    expect_invalid("https://x/{z}/{y}.png", "", "{x}");
    expect_invalid("https://x/{z}/{x}/{y", "", "unclosed");
    expect_invalid("https://x/{z}/{x}/y}", "", "unmatched");
    expect_invalid("ftp://x/{z}/{x}/{y}.png", "", "http");
    expect_invalid("file:///etc/{z}/{x}/{y}", "", "http");
    expect_invalid("", "", "empty");
    expect_invalid("https://{s}.x/{z}/{x}/{y}.png", "", "subdomains");
    char err[64];
    assert_true(mer_template_validate("https://x/{q}", "", err, sizeof err));
    assert_true(mer_template_validate("HTTPS://x/{z}/{x}/{-y}", "", err, sizeof err));
}

static void test_presets(void **state)
{
    (void)state;
    mer_source s;
    char err[256];
    assert_true(mer_source_from_arg("osm", &s, err, sizeof err));
    assert_string_equal(s.url, "https://tile.openstreetmap.org/{z}/{x}/{y}.png");
    assert_int_equal(s.max_zoom, 19);
    assert_string_equal(s.attribution, "\xc2\xa9 OpenStreetMap contributors");
    assert_int_equal(s.max_concurrent, 2);
    assert_false(s.allow_bulk);
    assert_true(mer_source_from_arg("opentopomap", &s, err, sizeof err));
    assert_true(mer_template_validate(s.url, s.subdomains, err, sizeof err));
    assert_true(mer_source_from_arg("demo", &s, err, sizeof err));
    assert_true(s.is_demo);
    mer_source_set_demo_port(&s, 4242);
    mer_tile_id t = {1, 0, 1};
    expect_url(&s, t, "http://127.0.0.1:4242/1/0/1.png");
    for (size_t i = 0; mer_source_at(i); i++)
        assert_true(mer_source_at(i)->kind != MER_SOURCE_URL ||
                    mer_template_validate(mer_source_at(i)->url, mer_source_at(i)->subdomains, err, sizeof err));
}

static void test_from_arg(void **state)
{
    (void)state;
    mer_source s;
    char err[256];
    assert_true(mer_source_from_arg("http://127.0.0.1:9/{z}/{x}/{y}.png", &s, err, sizeof err));
    assert_int_equal(s.kind, MER_SOURCE_URL);
    assert_string_equal(s.id, "custom");
    assert_true(mer_source_from_arg("/tmp/area.mbtiles", &s, err, sizeof err));
    assert_int_equal(s.kind, MER_SOURCE_MBTILES);
    assert_string_equal(s.url, "/tmp/area.mbtiles");
    assert_false(mer_source_from_arg("nosuchpreset", &s, err, sizeof err));
    assert_non_null(strstr(err, "nosuchpreset"));
    assert_false(mer_source_from_arg("https://x/{z}/{q}/{bogus}", &s, err, sizeof err));
    assert_non_null(strstr(err, "{bogus}"));
    assert_false(mer_source_from_arg("", &s, err, sizeof err));
}

static void test_user_sources(void **state)
{
    (void)state;
    mer_source u = custom("https://tiles.example.org/{z}/{x}/{y}.png", "");
    snprintf(u.id, sizeof u.id, "mine");
    char err[256];
    assert_true(mer_source_add_user(&u, err, sizeof err));
    mer_source got;
    assert_true(mer_source_lookup("mine", &got));
    assert_string_equal(got.url, u.url);
    mer_source bad = custom("https://x/{nope}", "");
    snprintf(bad.id, sizeof bad.id, "bad");
    assert_false(mer_source_add_user(&bad, err, sizeof err));
    assert_false(mer_source_lookup("bad", &got));
    mer_source_clear_user();
    assert_false(mer_source_lookup("mine", &got));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_placeholders), cmocka_unit_test(test_invalid_templates),
        cmocka_unit_test(test_presets),      cmocka_unit_test(test_from_arg),
        cmocka_unit_test(test_user_sources),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
