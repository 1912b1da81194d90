# Disk cache, freshness, offline mode, prefetch and export (issue 6).
mer_add_unit_test(cache LABELS cache TIMEOUT 180)
