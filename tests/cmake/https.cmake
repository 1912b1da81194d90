# HTTPS and HTTP/2 through nginx in front of tilesim (issue 13): needs
# nginx-light and openssl (scripts/packages.txt).
if(TARGET meridian-tilesim)
  add_test(NAME https COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/https.sh
    $<TARGET_FILE:meridian> $<TARGET_FILE:meridian-tilesim>)
  set_tests_properties(https PROPERTIES TIMEOUT 300 LABELS loader
    ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1;LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/lsan.supp")
endif()
