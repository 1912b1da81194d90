# HTTPS and HTTP/2 through nginx in front of tilesim (issue 13): needs
# nginx-light and openssl (scripts/packages.txt).
if(TARGET meridian-tilesim)
  add_test(NAME https COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/https.sh
    $<TARGET_FILE:meridian> $<TARGET_FILE:meridian-tilesim>)
  set_tests_properties(https PROPERTIES TIMEOUT 300 LABELS loader
    ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1;LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/lsan.supp")
  # The viewer's HUD on a refused certificate (a GUI test: the display comes
  # from scripts/test's xvfb-run).
  if(TARGET meridian_ui)
    add_test(NAME https_viewer COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/https.sh
      $<TARGET_FILE:meridian> $<TARGET_FILE:meridian-tilesim> --viewer)
    set_tests_properties(https_viewer PROPERTIES TIMEOUT 300 LABELS "loader;gui"
      ENVIRONMENT "LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/lsan.supp")
  endif()
endif()
