/* The config file: good files land in the options and the user sources; each
 * bad line gives FILE:LINE and is skipped while the rest applies; the command
 * line overrides the file; --config / --no-config / $XDG_CONFIG_HOME choose it;
 * odd files (a directory, /dev/zero, a huge line) end with a message. */
#define _XOPEN_SOURCE 700 /* nftw, for support/tmpdir.h */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli/commands.h"
#include "core/options.h"
#include "support/tmpdir.h"

static char g_dir[256];    /* a fresh temporary directory per test */
static char g_conf[512];   /* g_dir/meridian.conf */
static char g_stderr[16384]; /* what the last load wrote to stderr */

static int setup(void **state)
{
    (void)state;
    if (!mer_test_mkdtemp(g_dir, sizeof g_dir, "config"))
        return -1;
    snprintf(g_conf, sizeof g_conf, "%s/meridian.conf", g_dir);
    mer_source_clear_user();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mer_test_rmtree(g_dir);
    mer_source_clear_user();
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

/* Runs the loader with stderr captured into g_stderr. */
static mer_opt_status load(mer_options *o, char *err, size_t len, int argc, char **argv)
{
    char cap[600];
    snprintf(cap, sizeof cap, "%s/stderr", g_dir);
    fflush(stderr);
    int saved = dup(2);
    int fd = open(cap, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    mer_opt_status st = mer_options_load_config(o, argc, argv, err, len);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *f = fopen(cap, "r");
    assert_non_null(f);
    size_t n = fread(g_stderr, 1, sizeof g_stderr - 1, f);
    g_stderr[n] = '\0';
    fclose(f);
    unlink(cap);
    return st;
}

#define ARGV(...) ((char *[]){"meridian", __VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){"meridian", __VA_ARGS__}) / sizeof(char *)))
#define LOAD(o, err, ...) load(o, err, sizeof err, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

/* Loads g_conf with defaults first, as main() does. */
static void load_conf(mer_options *o)
{
    char err[512] = "";
    mer_options_defaults(o);
    assert_int_equal(LOAD(o, err, "--config", g_conf), MER_OPT_OK);
}

static void expect_msg(int line, const char *needle)
{
    char want[600];
    snprintf(want, sizeof want, "%s:%d: ", g_conf, line);
    const char *at = strstr(g_stderr, want);
    if (!at)
        fail_msg("no message for line %d in:\n%s", line, g_stderr);
    const char *eol = strchr(at, '\n');
    size_t n = eol ? (size_t)(eol - at) : strlen(at);
    char msg[1024];
    snprintf(msg, sizeof msg, "%.*s", (int)(n < 1000 ? n : 1000), at);
    if (!strstr(msg, needle))
        fail_msg("message '%s' lacks '%s'", msg, needle);
}

static void test_good_file(void **state)
{
    (void)state;
    /* A BOM, CRLF line ends, comments, indented keys and "key: value". */
    write_file(g_conf, "\xef\xbb\xbf# Meridian config\r\n"
                       "source = mytiles\r\n"
                       "lat = 48.8584\n"
                       "  lon = 2.2945\n"
                       "zoom = 12.5   ; inline comment\n"
                       "; another comment\n"
                       "\n"
                       "size: 800x600\n"
                       "max-concurrent = 3\n"
                       "rate = 2.5\n"
                       "cache-size = 300\n"
                       "offline = yes\n"
                       "fullscreen = false\n"
                       "verbose = 2\n"
                       "user-agent = MyAgent/1.0 (me@example.org)\n"
                       "\n"
                       "[source.mytiles]   # my own server\n"
                       "    url = https://{s}.tiles.example.org/{z}/{x}/{y}{r}.png?key=abc\n"
                       "    subdomains = ab\n"
                       "    max_zoom = 18\n"
                       "    min_zoom = 2\n"
                       "    tile_size = 512\n"
                       "    attribution = Tiles (c) Example\n"
                       "    user_agent = Special/2\n"
                       "    max_concurrent = 4\n"
                       "    rate = 7.5\n"
                       "    burst = 12\n"
                       "[source.second]\n"
                       "url = https://second.example.org/{q}.jpg\n");
    mer_options o;
    load_conf(&o);
    assert_string_equal(g_stderr, "");
    assert_string_equal(o.source_arg, "mytiles");
    assert_true(o.have_lat && o.have_lon && o.have_zoom);
    assert_true(o.lat == 48.8584 && o.lon == 2.2945 && o.zoom == 12.5);
    assert_int_equal(o.width, 800);
    assert_int_equal(o.height, 600);
    assert_int_equal(o.max_concurrent, 3);
    assert_true(o.rate == 2.5);
    assert_int_equal(o.cache_size_mb, 300);
    assert_true(o.offline);
    assert_false(o.fullscreen);
    assert_int_equal(o.verbose, 2);
    assert_string_equal(o.user_agent, "MyAgent/1.0 (me@example.org)");

    mer_source s;
    assert_true(mer_source_lookup("mytiles", &s));
    assert_string_equal(s.url, "https://{s}.tiles.example.org/{z}/{x}/{y}{r}.png?key=abc");
    assert_string_equal(s.subdomains, "ab");
    assert_int_equal(s.max_zoom, 18);
    assert_int_equal(s.min_zoom, 2);
    assert_int_equal(s.tile_px, 512);
    assert_string_equal(s.attribution, "Tiles (c) Example");
    assert_string_equal(s.user_agent, "Special/2");
    assert_int_equal(s.max_concurrent, 4);
    assert_true(s.rate == 7.5);
    assert_int_equal(s.burst, 12);
    assert_true(mer_source_lookup("second", &s));
    assert_string_equal(s.url, "https://second.example.org/{q}.jpg");
    assert_int_equal(s.max_zoom, 19); /* defaults: an unknown server's starting point */
    assert_int_equal(s.max_concurrent, 16);
    assert_int_equal(s.start_concurrent, 6);
    assert_true(s.rate == 0); /* no hidden rate: adaptive limits listen to the server */

    /* The options resolve against the user source. */
    char err[512] = "";
    assert_int_equal(mer_options_finish(&o, err, sizeof err), MER_OPT_OK);
    assert_string_equal(o.source.id, "mytiles");
    assert_int_equal(o.source.max_zoom, 18);
}

static void test_bad_lines(void **state)
{
    (void)state;
    char text[8192];
    char longline[3100];
    memset(longline, 'a', sizeof longline - 1);
    longline[sizeof longline - 1] = '\0';
    snprintf(text, sizeof text,
             "user-agent = %s\n"                          /* 1 line too long */
             "lat = 10\n"                                 /* 2 lat without lon */
             "offline = maybe\n"                          /* 3 bad flag */
             "verbose = loud\n"                           /* 4 bad level */
             "zoom = 5\n"                                 /* 5 good */
             "max-concurrent = lots\n"                    /* 6 bad value */
             "frobnicate = 1\n"                           /* 7 unknown option */
             "this line has no equals sign\n"             /* 8 not key = value */
             "rate = 3\n"                                 /* 9 good */
             "config = /etc/other.conf\n"                 /* 10 not allowed here */
             "[weird]\n"                                  /* 11 unknown section */
             "cache-size = 5\n"                           /* 12 ignored with its section */
             "[source.bad name]\n"                        /* 13 bad source name */
             "url = https://bad.example.org/{z}/{x}/{y}.png\n" /* 14 ignored */
             "[source.osm]\n"                             /* 15 preset name */
             "url = https://evil.example.org/{z}/{x}/{y}.png\n" /* 16 ignored */
             "[source.ok]\n"                              /* 17 */
             "url = https://t.example.org/{z}/{x}/{y}.png\n" /* 18 */
             "max_zoom = 99\n"                            /* 19 bad value: default kept */
             "colour = red\n"                             /* 20 unknown source key */
             "[source.broken]\n"                          /* 21 */
             "url = https://x.example.org/{z}/{bogus}\n"  /* 22 bad template */
             "[source.nourl]\n"                           /* 23 no url at all */
             "attribution = x\n"                          /* 24 */
             "[source.subs]\n"                            /* 25 */
             "url = https://{s}.example.org/{z}/{x}/{y}.png\n" /* 26 {s} without subdomains */
             "[source.late\n"                             /* 27 bad header */
             "url = https://late.example.org/{z}/{x}/{y}.png\n", /* 28 ignored */
             longline);
    write_file(g_conf, text);
    mer_options o;
    load_conf(&o);
    expect_msg(1, "line longer than");
    expect_msg(2, "lat and lon must be given together");
    expect_msg(3, "offline");
    expect_msg(4, "verbose");
    expect_msg(6, "max-concurrent");
    expect_msg(7, "unknown option 'frobnicate'");
    expect_msg(8, "not a 'key = value'");
    expect_msg(10, "cannot be set in the config file");
    expect_msg(11, "unknown section [weird]");
    expect_msg(13, "source name");
    expect_msg(15, "taken by a preset");
    expect_msg(19, "max_zoom");
    expect_msg(20, "unknown source key");
    expect_msg(22, "{bogus}");
    expect_msg(23, "source 'nourl' has no url");
    expect_msg(26, "subdomains");
    expect_msg(27, "bad section header");
    /* Exactly one message per bad line: good and skipped lines are silent. */
    int lines = 0;
    for (const char *p = g_stderr; (p = strchr(p, '\n')) != NULL; p++)
        lines++;
    assert_int_equal(lines, 17);

    /* The good lines applied; the bad ones kept their defaults. */
    assert_true(o.have_zoom && o.zoom == 5.0);
    assert_true(o.rate == 3.0);
    assert_int_equal(o.max_concurrent, 0);
    assert_int_equal(o.cache_size_mb, 1024);
    assert_string_equal(o.user_agent, "");
    assert_false(o.have_lat);
    assert_false(o.offline);
    assert_int_equal(o.verbose, 0);
    assert_string_equal(o.config, "");

    mer_source s;
    assert_true(mer_source_lookup("ok", &s));
    assert_int_equal(s.max_zoom, 19);
    assert_false(mer_source_lookup("broken", &s));
    assert_false(mer_source_lookup("nourl", &s));
    assert_false(mer_source_lookup("subs", &s));
    assert_false(mer_source_lookup("bad name", &s));
    assert_false(mer_source_lookup("late", &s));
    assert_true(mer_source_lookup("osm", &s));
    assert_string_equal(s.url, "https://tile.openstreetmap.org/{z}/{x}/{y}.png");

    /* And the program still starts with them. */
    char err[512] = "";
    assert_int_equal(mer_options_finish(&o, err, sizeof err), MER_OPT_OK);
}

/* Checks across keys: a zoom beyond the file's own source, an unknown source. */
static void test_cross_checks(void **state)
{
    (void)state;
    write_file(g_conf, "source = opentopomap\nzoom = 18.5\nlon = 3\n");
    mer_options o;
    load_conf(&o);
    expect_msg(2, "beyond the maximum zoom 17");
    expect_msg(3, "lat and lon must be given together");
    assert_false(o.have_zoom);
    assert_false(o.have_lon);
    assert_string_equal(o.source_arg, "opentopomap");

    write_file(g_conf, "zoom = 3\nsource = nosuchsource\n");
    load_conf(&o);
    expect_msg(2, "unknown source 'nosuchsource'");
    assert_string_equal(o.source_arg, "");
    assert_true(o.have_zoom);
    char err[512] = "";
    assert_int_equal(mer_options_finish(&o, err, sizeof err), MER_OPT_OK);
    assert_string_equal(o.source.id, "osm");
}

/* main()'s order: defaults, config file, command line, finish. */
static void test_cmdline_overrides(void **state)
{
    (void)state;
    write_file(g_conf, "source = opentopomap\nlat = 10\nlon = 20\nzoom = 5\nrate = 1\noffline = true\n"
                       "[source.mine]\nurl = https://mine.example.org/{z}/{x}/{y}.png\nmax_zoom = 21\n");
    char *argv[] = {"meridian", "--config", g_conf, "--zoom", "7", "--source", "mine", "--rate=4", NULL};
    int argc = 8;
    mer_options o;
    char err[512] = "";
    mer_options_defaults(&o);
    assert_int_equal(load(&o, err, sizeof err, argc, argv), MER_OPT_OK);
    assert_int_equal(mer_options_parse(&o, argc, argv, err, sizeof err), MER_OPT_OK);
    assert_int_equal(mer_options_finish(&o, err, sizeof err), MER_OPT_OK);
    assert_true(o.zoom == 7.0);
    assert_true(o.rate == 4.0);
    assert_string_equal(o.source.id, "mine");
    assert_int_equal(o.source.max_zoom, 21);
    /* Not given on the command line: from the file. */
    assert_true(o.lat == 10.0 && o.lon == 20.0);
    assert_true(o.offline);
}

static void test_which_file(void **state)
{
    (void)state;
    mer_options o;
    char err[512] = "";
    write_file(g_conf, "zoom = 4\n");

    mer_options_defaults(&o);
    assert_int_equal(LOAD(&o, err, "--config=", g_conf), MER_OPT_ERROR); /* "--config=" then a stray arg */
    assert_non_null(strstr(err, "--config"));

    char eq[600];
    snprintf(eq, sizeof eq, "--config=%s", g_conf);
    mer_options_defaults(&o);
    assert_int_equal(LOAD(&o, err, eq), MER_OPT_OK);
    assert_true(o.have_zoom && o.zoom == 4.0);

    /* Abbreviations, as getopt_long takes them. */
    mer_options_defaults(&o);
    assert_int_equal(LOAD(&o, err, "--conf", g_conf), MER_OPT_OK);
    assert_true(o.have_zoom);
    mer_options_defaults(&o);
    assert_int_equal(LOAD(&o, err, "--config", g_conf, "--no-conf"), MER_OPT_OK);
    assert_false(o.have_zoom);
    mer_options_defaults(&o);
    assert_int_equal(LOAD(&o, err, "--no-config", "--config", g_conf), MER_OPT_OK);
    assert_false(o.have_zoom);

    /* An explicit file that is missing or a directory is an error. */
    char missing[600];
    snprintf(missing, sizeof missing, "%s/nonexistent.conf", g_dir);
    mer_options_defaults(&o);
    assert_int_equal(LOAD(&o, err, "--config", missing), MER_OPT_ERROR);
    assert_non_null(strstr(err, "nonexistent.conf"));
    assert_int_equal(LOAD(&o, err, "--config", g_dir), MER_OPT_ERROR);
    assert_non_null(strstr(err, "directory"));

    /* The default: $XDG_CONFIG_HOME/meridian/meridian.conf, absolute only. */
    char sub[600], def[700];
    snprintf(sub, sizeof sub, "%s/meridian", g_dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(def, sizeof def, "%s/meridian.conf", sub);
    write_file(def, "zoom = 9\n");
    setenv("XDG_CONFIG_HOME", g_dir, 1);
    setenv("HOME", "/nonexistent", 1);
    mer_options_defaults(&o);
    assert_int_equal(LOAD(&o, err, "--verbose"), MER_OPT_OK);
    assert_true(o.have_zoom && o.zoom == 9.0);
    /* "--" ends the options: what follows is not a --config. */
    mer_options_defaults(&o);
    assert_int_equal(LOAD(&o, err, "--", "--config", "/nonexistent/x.conf"), MER_OPT_OK);
    assert_true(o.zoom == 9.0);

    /* A relative XDG_CONFIG_HOME is ignored; $HOME/.config is used instead. */
    setenv("XDG_CONFIG_HOME", "relative/dir", 1);
    mer_options_defaults(&o);
    assert_int_equal(LOAD(&o, err, "-v"), MER_OPT_OK);
    assert_false(o.have_zoom);
    assert_string_equal(g_stderr, "");
    unsetenv("XDG_CONFIG_HOME");
}

/* /dev/zero has no line ends and no end: reading stops at the size cap. */
static void test_endless_file(void **state)
{
    (void)state;
    if (access("/dev/zero", R_OK) != 0)
        fail_msg("/dev/zero is not readable");
    mer_options o;
    char err[512] = "";
    mer_options_defaults(&o);
    assert_int_equal(LOAD(&o, err, "--config", "/dev/zero"), MER_OPT_OK);
    assert_non_null(strstr(g_stderr, "/dev/zero: larger than"));
    /* /dev/null is an empty config. */
    assert_int_equal(LOAD(&o, err, "--config", "/dev/null"), MER_OPT_OK);
    assert_string_equal(g_stderr, "");
}

/* A long URL template (up to ~1000 characters) fits on a line. */
static void test_long_url(void **state)
{
    (void)state;
    char url[1001], text[1200];
    snprintf(url, sizeof url, "https://tiles.example.org/{z}/{x}/{y}.png?key=");
    size_t n = strlen(url);
    memset(url + n, 'k', 900 - n);
    url[900] = '\0';
    snprintf(text, sizeof text, "[source.long]\nurl = %s\n", url);
    write_file(g_conf, text);
    mer_options o;
    load_conf(&o);
    assert_string_equal(g_stderr, "");
    mer_source s;
    assert_true(mer_source_lookup("long", &s));
    assert_string_equal(s.url, url);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_good_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cross_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cmdline_overrides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_which_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_endless_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_url, setup, teardown),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
