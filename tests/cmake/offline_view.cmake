# Offline browsing, viewer side (issue 6): the loader's coverage / extent /
# failed-revalidation behaviour and `meridian fetch` with the config file.
mer_add_unit_test(loader_offline LABELS loader cache tsan TIMEOUT 240 SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/support/test_server.c
                   ${CMAKE_CURRENT_SOURCE_DIR}/support/tile_code.c)
if(TARGET meridian-tilesim)
  add_dependencies(test_loader_offline meridian-tilesim meridian)
endif()
# The viewer offline on a cache filled online (runs meridian under Xvfb).
mer_add_viewer_test(offline_view LABELS cache)
