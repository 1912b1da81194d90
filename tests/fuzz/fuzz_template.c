/* libFuzzer: a --source argument (URL template, preset name or .mbtiles
 * path) through validation, expansion for several tiles and the host policy
 * (curl's URL parser). Input: the template, optionally "\n" and subdomains. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hostpolicy.h"
#include "core/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *subs = strchr(text, '\n');
    if (subs)
        *subs++ = '\0';
    char err[256];
    mer_source s;
    if (mer_template_validate(text, subs ? subs : "abc", err, sizeof err)) {
        memset(&s, 0, sizeof s);
        s.kind = MER_SOURCE_URL;
        snprintf(s.url, sizeof s.url, "%s", text);
        snprintf(s.subdomains, sizeof s.subdomains, "%s", subs ? subs : "abc");
        const mer_tile_id tiles[] = {{0, 0, 0}, {1, 1, 0}, {19, 524287, 1}, {30, 1073741823, 1073741823}};
        char url[MER_URL_MAX];
        for (size_t i = 0; i < sizeof tiles / sizeof tiles[0]; i++) {
            s.retina = i & 1;
            if (mer_source_tile_url(&s, tiles[i], url, sizeof url) && strlen(url) >= sizeof url)
                abort();
        }
        (void)mer_source_bulk_allowed(&s);
        (void)mer_source_apply_provider_policy(&s);
    }
    if (mer_source_from_arg(text, &s, err, sizeof err)) {
        (void)mer_source_bulk_allowed(&s);
        mer_source p;
        (void)mer_source_provider(&s, &p);
    }
    char host[256];
    if (mer_url_host(text, host, sizeof host))
        (void)mer_host_is_loopback(host);
    free(text);
    return 0;
}
