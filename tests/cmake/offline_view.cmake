# Offline browsing, viewer side (issue 6): the loader's coverage / extent /
# failed-revalidation behaviour and `meridian fetch` with the config file.
mer_add_unit_test(loader_offline LABELS loader cache tsan TIMEOUT 240 SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/support/test_server.c
                   ${CMAKE_CURRENT_SOURCE_DIR}/support/tile_code.c)
if(TARGET meridian-tilesim)
  add_dependencies(test_loader_offline meridian-tilesim meridian)
endif()
# The viewer offline on a cache filled online (runs meridian under Xvfb).
if(TARGET meridian_ui AND TARGET meridian-tilesim)
  mer_add_unit_test(offline_view LABELS gui cache TIMEOUT 600
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/viewer_driver.c
            ${CMAKE_CURRENT_SOURCE_DIR}/support/test_server.c
            ${CMAKE_CURRENT_SOURCE_DIR}/support/tile_code.c)
  add_dependencies(test_offline_view meridian meridian-tilesim)
  set_property(TEST offline_view APPEND PROPERTY ENVIRONMENT
    "SDL_VIDEODRIVER=x11" "LIBGL_ALWAYS_SOFTWARE=1" "SDL_AUDIODRIVER=dummy")
endif()
