# The built-in world map: data file checks, rendering, the `world` source (issue 14).
mer_add_unit_test(world LABELS world loader tsan TIMEOUT 300)
add_dependencies(test_world meridian) # test_fetch_world runs `meridian fetch --source world`
