# The network panel's discovered cap and rate (issue 13): the meridian binary
# under Xvfb with --demo, whose server the panel's keys turn into a limiter.
if(TARGET meridian_ui AND TARGET meridian-tilesim)
  mer_add_unit_test(panel_limits LABELS gui TIMEOUT 600
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/viewer_driver.c
            ${CMAKE_CURRENT_SOURCE_DIR}/support/test_server.c
            ${CMAKE_CURRENT_SOURCE_DIR}/support/tile_code.c)
  add_dependencies(test_panel_limits meridian meridian-tilesim)
  target_include_directories(test_panel_limits PRIVATE ${PROJECT_SOURCE_DIR}/src)
  set_property(TEST panel_limits APPEND PROPERTY ENVIRONMENT
    "SDL_VIDEODRIVER=x11" "LIBGL_ALWAYS_SOFTWARE=1" "SDL_AUDIODRIVER=dummy")
endif()
