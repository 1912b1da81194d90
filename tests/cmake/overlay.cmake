# Tile-state overlay (N) and network panel (P) tests (src/ui/layer_*.c): the
# meridian binary on a display of its own (tests/support/own_display.sh),
# against rate-limited meridian-tilesim servers the test starts itself.
if(TARGET meridian_ui AND TARGET meridian-tilesim)
  mer_add_unit_test(overlay LABELS gui TIMEOUT 600
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/viewer_driver.c
            ${CMAKE_CURRENT_SOURCE_DIR}/support/test_server.c
            ${CMAKE_CURRENT_SOURCE_DIR}/support/tile_code.c)
  add_dependencies(test_overlay meridian meridian-tilesim)
  target_include_directories(test_overlay PRIVATE ${PROJECT_SOURCE_DIR}/src)
  set_property(TEST overlay APPEND PROPERTY ENVIRONMENT
    "SDL_VIDEODRIVER=x11" "LIBGL_ALWAYS_SOFTWARE=1" "SDL_AUDIODRIVER=dummy")
endif()
