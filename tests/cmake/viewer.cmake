# Viewer tests (src/ui). test_viewer runs the meridian binary under the
# display of its own (tests/support/own_display.sh), against meridian-tilesim.
if(TARGET meridian_ui AND TARGET meridian-tilesim)
  mer_add_unit_test(viewer_camera LIBS meridian_ui)
  mer_add_unit_test(viewer_texcache LIBS meridian_ui LABELS gui)
  set_property(TEST viewer_texcache APPEND PROPERTY ENVIRONMENT "SDL_VIDEODRIVER=x11" "LIBGL_ALWAYS_SOFTWARE=1")
  mer_add_unit_test(viewer LABELS gui TIMEOUT 600
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/viewer_driver.c
            ${CMAKE_CURRENT_SOURCE_DIR}/support/test_server.c
            ${CMAKE_CURRENT_SOURCE_DIR}/support/tile_code.c)
  add_dependencies(test_viewer meridian meridian-tilesim)
  set_property(TEST viewer APPEND PROPERTY ENVIRONMENT
    "SDL_VIDEODRIVER=x11" "LIBGL_ALWAYS_SOFTWARE=1" "SDL_AUDIODRIVER=dummy")
  # Low zooms fill the window, the world beneath missing tiles (issue 14).
  foreach(t viewer_fill viewer_world)
    mer_add_unit_test(${t} LABELS gui TIMEOUT 600
      SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/viewer_driver.c
              ${CMAKE_CURRENT_SOURCE_DIR}/support/test_server.c
              ${CMAKE_CURRENT_SOURCE_DIR}/support/tile_code.c)
    add_dependencies(test_${t} meridian meridian-tilesim)
    set_property(TEST ${t} APPEND PROPERTY ENVIRONMENT
      "SDL_VIDEODRIVER=x11" "LIBGL_ALWAYS_SOFTWARE=1" "SDL_AUDIODRIVER=dummy")
  endforeach()
endif()
