/* Whose tile policy governs a URL, decided by the host that curl's URL API
 * parses out of it, never by how the URL is spelled: userinfo
 * ("http://127.0.0.1@tile.openstreetmap.org/"), a host that merely starts
 * with "127." ("127.tile.example.org"), upper case or a trailing dot all
 * land on the host a request would really go to. Pure (no I/O), any thread. */
#ifndef MER_CORE_HOSTPOLICY_H
#define MER_CORE_HOSTPOLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/source.h"

/* The host of url (lower case, no trailing dot, IPv6 in brackets). False if
 * curl's parser refuses the URL or it has no host. */
bool mer_url_host(const char *url, char *host, size_t len);

/* "localhost", any address of 127.0.0.0/8, or [::1]: a server on this machine. */
bool mer_host_is_loopback(const char *host);

/* The built-in preset whose policy covers the host of s's URL (a template is
 * expanded for tile 0/0/0 first): OpenStreetMap for *.openstreetmap.org and
 * *.osm.org, OpenTopoMap for *.opentopomap.org. False for other hosts and for
 * sources that are not URLs. */
bool mer_source_provider(const mer_source *s, mer_source *provider);

/* A source that points at a provider's servers gets that provider's policy,
 * however it was spelled (preset, template, config file): its connection and
 * rate limits become ceilings and bulk downloading is off. Returns true when
 * a provider's policy applied. */
bool mer_source_apply_provider_policy(mer_source *s);

/* May prefetch/export-style bulk downloads use s? Never for a provider that
 * forbids them (by host); always for a server on this machine; otherwise as
 * the source says (allow_bulk). Only URL sources download anything. */
bool mer_source_bulk_allowed(const mer_source *s);

#endif
