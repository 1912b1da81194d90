# meridian-tilesim: tests run the real server binary and talk to it with libcurl.
if(TARGET meridian-tilesim)
  set(TSIM_TEST_SUPPORT ${CMAKE_CURRENT_SOURCE_DIR}/support/test_server.c
      ${CMAKE_CURRENT_SOURCE_DIR}/support/tile_code.c)
  foreach(t tilesim tilesim_load tilesim_faults tilesim_demo tilesim_unit tilesim_limits)
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/test_${t}.c)
      mer_add_unit_test(${t} LIBS tilesim_core LABELS tilesim tsan TIMEOUT 90 SOURCES ${TSIM_TEST_SUPPORT})
      add_dependencies(test_${t} meridian-tilesim)
    endif()
  endforeach()
endif()
