# Packaging and desktop integration (issue 8): config file, geo: URIs, the
# desktop entry, AppStream metainfo, man pages, install-from-prefix.
mer_add_unit_test(geo LABELS packaging)
mer_add_unit_test(config LABELS packaging)

# Shell tests; each prints its checks and "N passed, M failed".
add_test(NAME packaging_validate
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/packaging_validate.sh ${PROJECT_SOURCE_DIR} ${PROJECT_VERSION})
add_test(NAME packaging_cli COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/packaging_cli.sh $<TARGET_FILE:meridian>)
set(MER_PKG_MAN_ARGS ${PROJECT_SOURCE_DIR} $<TARGET_FILE:meridian>)
if(TARGET meridian-tilesim)
  list(APPEND MER_PKG_MAN_ARGS $<TARGET_FILE:meridian-tilesim>)
endif()
add_test(NAME packaging_man COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/packaging_man.sh ${MER_PKG_MAN_ARGS})
# Installs the build tree into a temporary prefix and runs it from there.
add_test(NAME packaging_install
  COMMAND ${MER_ON_OWN_DISPLAY} bash ${CMAKE_CURRENT_SOURCE_DIR}/packaging_install.sh ${CMAKE_COMMAND} ${PROJECT_BINARY_DIR} ${PROJECT_VERSION})
set_tests_properties(packaging_validate packaging_cli packaging_man PROPERTIES TIMEOUT 120 LABELS packaging)
set_tests_properties(packaging_install PROPERTIES TIMEOUT 300 LABELS "packaging;gui")
# Makes the .deb from this build tree into a temporary directory and checks it.
add_test(NAME packaging_deb
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/packaging_deb.sh ${CMAKE_CPACK_COMMAND} ${PROJECT_BINARY_DIR} ${PROJECT_VERSION})
set_tests_properties(packaging_deb PROPERTIES TIMEOUT 300 LABELS packaging)
# libcurl's proxy variables reach the loader (two local tile servers as proxy and origin).
if(TARGET meridian-tilesim)
  add_test(NAME packaging_proxy COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/packaging_proxy.sh
    $<TARGET_FILE:meridian> $<TARGET_FILE:meridian-tilesim>)
  set_tests_properties(packaging_proxy PROPERTIES TIMEOUT 200 LABELS packaging)
endif()
