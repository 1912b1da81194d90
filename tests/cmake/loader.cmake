# The tile loader, decode workers and `meridian fetch` (issue 4).
mer_add_unit_test(decode LABELS loader tsan)
mer_add_unit_test(loader_policy LABELS loader)
