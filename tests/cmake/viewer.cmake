# Viewer tests (src/ui). test_viewer runs the meridian binary under the
# display of its own (tests/support/own_display.sh), against meridian-tilesim.
if(TARGET meridian_ui AND TARGET meridian-tilesim)
  mer_add_unit_test(viewer_camera LIBS meridian_ui)
  mer_add_unit_test(viewer_texcache LIBS meridian_ui LABELS gui)
  set_property(TEST viewer_texcache APPEND PROPERTY ENVIRONMENT "SDL_VIDEODRIVER=x11" "LIBGL_ALWAYS_SOFTWARE=1")
  mer_add_viewer_test(viewer)
  # Low zooms fill the window, the world beneath missing tiles (issue 14).
  mer_add_viewer_test(viewer_fill)
  mer_add_viewer_test(viewer_world)
endif()
