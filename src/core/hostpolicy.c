#include "core/hostpolicy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <idn2.h>

bool mer_url_host(const char *url, char *host, size_t len)
{
    if (!url || !host || !len)
        return false;
    host[0] = '\0';
    CURLU *u = curl_url();
    char *h = NULL;
    bool ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK && h && *h;
    /* A host with non-ASCII characters is sent as its IDNA form: libcurl
     * maps "ｔｉｌｅ.openstreetmap.org" or "tile。openstreetmap。org" (fullwidth
     * letters, ideographic full stops) to tile.openstreetmap.org with libidn2
     * (UTS #46, non-transitional, then transitional), so the policy must see
     * the same name. A name libidn2 refuses cannot be requested at all. */
    char *ace = NULL;
    const char *name = h;
    for (const char *p = h; ok && *p; p++)
        if ((unsigned char)*p >= 0x80) {
            if (idn2_lookup_u8((const uint8_t *)h, (uint8_t **)&ace, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) !=
                    IDN2_OK &&
                idn2_lookup_u8((const uint8_t *)h, (uint8_t **)&ace, IDN2_TRANSITIONAL) != IDN2_OK)
                ok = false;
            name = ace;
            break;
        }
    if (ok && name) {
        size_t n = strlen(name);
        while (n > 1 && name[n - 1] == '.')
            n--; /* "tile.openstreetmap.org." is the same host */
        ok = n < len;
        for (size_t i = 0; ok && i < n; i++)
            host[i] = (char)tolower((unsigned char)name[i]);
        if (ok)
            host[n] = '\0';
    }
    idn2_free(ace);
    curl_free(h);
    curl_url_cleanup(u);
    if (!ok)
        host[0] = '\0';
    return ok;
}

bool mer_host_is_loopback(const char *host)
{
    if (!host)
        return false;
    if (strcmp(host, "localhost") == 0)
        return true;
    size_t n = strlen(host);
    if (n > 2 && host[0] == '[' && host[n - 1] == ']' && n < 64) {
        char inner[64];
        memcpy(inner, host + 1, n - 2);
        inner[n - 2] = '\0';
        struct in6_addr a6;
        if (inet_pton(AF_INET6, inner, &a6) != 1)
            return false;
        if (IN6_IS_ADDR_LOOPBACK(&a6))
            return true;
        /* ::ffff:127.x.y.z, an IPv4 loopback address in IPv6 clothing */
        return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
    }
    /* A whole dotted-quad address (curl has already normalised forms such
     * as 0x7f.1), not a name that happens to start with "127.". */
    struct in_addr a;
    if (inet_pton(AF_INET, host, &a) != 1)
        return false;
    return (ntohl(a.s_addr) >> 24) == 127;
}

/* Registrable domains of the providers whose policy Meridian knows. */
static const struct {
    const char *domain, *preset;
} g_providers[] = {
    {"openstreetmap.org", "osm"},
    {"osm.org", "osm"},
    {"opentopomap.org", "opentopomap"},
};

static bool host_in_domain(const char *host, const char *domain)
{
    size_t h = strlen(host), d = strlen(domain);
    if (h == d)
        return strcmp(host, domain) == 0;
    return h > d && host[h - d - 1] == '.' && strcmp(host + h - d, domain) == 0;
}

bool mer_source_provider(const mer_source *s, mer_source *provider)
{
    if (!s || s->kind != MER_SOURCE_URL)
        return false;
    char url[MER_URL_MAX], host[256];
    if (!mer_source_tile_url(s, (mer_tile_id){0, 0, 0}, url, sizeof url) || !mer_url_host(url, host, sizeof host))
        return false;
    for (size_t i = 0; i < sizeof g_providers / sizeof g_providers[0]; i++) {
        mer_source p;
        if (host_in_domain(host, g_providers[i].domain) && mer_source_lookup(g_providers[i].preset, &p)) {
            if (provider)
                *provider = p;
            return true;
        }
    }
    return false;
}

bool mer_source_apply_provider_policy(mer_source *s)
{
    mer_source p;
    if (!mer_source_provider(s, &p))
        return false;
    if (s->max_concurrent <= 0 || s->max_concurrent > p.max_concurrent)
        s->max_concurrent = p.max_concurrent;
    if (p.rate > 0 && (s->rate <= 0 || s->rate > p.rate))
        s->rate = p.rate;
    if (p.burst > 0 && (s->burst <= 0 || s->burst > p.burst))
        s->burst = p.burst;
    s->allow_bulk = s->allow_bulk && p.allow_bulk;
    return true;
}

bool mer_source_bulk_allowed(const mer_source *s)
{
    if (!s || s->kind != MER_SOURCE_URL)
        return false;
    mer_source p;
    if (mer_source_provider(s, &p))
        return p.allow_bulk && s->allow_bulk;
    char url[MER_URL_MAX], host[256];
    if (mer_source_tile_url(s, (mer_tile_id){0, 0, 0}, url, sizeof url) && mer_url_host(url, host, sizeof host) &&
        mer_host_is_loopback(host))
        return true;
    return s->allow_bulk;
}
