# Packaging and desktop integration (issue 8): config file, geo: URIs, the
# desktop entry, AppStream metainfo, man pages, install-from-prefix.
mer_add_unit_test(geo LABELS packaging)
mer_add_unit_test(config LABELS packaging)
