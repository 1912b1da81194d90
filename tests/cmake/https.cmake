# HTTPS and HTTP/2 through nginx in front of tilesim, and limits through the
# command line (issue 13): needs nginx-light and openssl (scripts/packages.txt).
# Sanitizer settings come from scripts/test and the compiled-in run-time
# (src/cli/sanitizer_rt.c), as for every other test.
if(TARGET meridian-tilesim)
  add_test(NAME https COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/https.sh
    $<TARGET_FILE:meridian> $<TARGET_FILE:meridian-tilesim>)
  set_tests_properties(https PROPERTIES TIMEOUT 300 LABELS loader)
  # The viewer's HUD on a refused certificate (a GUI test: the display comes
  # is its own, tests/support/own_display.sh).
  if(TARGET meridian_ui)
    add_test(NAME https_viewer COMMAND ${MER_ON_OWN_DISPLAY} bash ${CMAKE_CURRENT_SOURCE_DIR}/https.sh
      $<TARGET_FILE:meridian> $<TARGET_FILE:meridian-tilesim> --viewer)
    set_tests_properties(https_viewer PROPERTIES TIMEOUT 300 LABELS "loader;gui")
  endif()
  # Limits through the command line: summary notes, defaults vs --no-adaptive.
  add_test(NAME limits_cli COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/limits_cli.sh
    $<TARGET_FILE:meridian> $<TARGET_FILE:meridian-tilesim>)
  set_tests_properties(limits_cli PROPERTIES TIMEOUT 300 LABELS loader)
endif()
