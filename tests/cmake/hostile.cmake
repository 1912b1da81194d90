# Hostile input (issue 12): decompression bombs, cache and header poisoning,
# bulk-download guards, and the fuzz targets' corpora run as regression tests.
if(TARGET meridian-tilesim)
  mer_add_unit_test(hostile_decode LIBS tilesim_core LABELS hostile tsan)
endif()
if(TARGET meridian-tilesim)
  mer_add_unit_test(hostile_fetch LIBS tilesim_core LABELS hostile TIMEOUT 180
                    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/support/test_server.c)
  add_dependencies(test_hostile_fetch meridian meridian-tilesim)
  mer_add_unit_test(hostile_redirect LIBS tilesim_core LABELS hostile TIMEOUT 180
                    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/support/test_server.c)
  add_dependencies(test_hostile_redirect meridian meridian-tilesim)
endif()
if(TARGET meridian-tilesim)
  mer_add_unit_test(hostile_cache LIBS tilesim_core LABELS hostile tsan)
endif()
if(TARGET meridian-tilesim)
  mer_add_unit_test(hostile_http LABELS hostile tsan TIMEOUT 180
                    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/support/test_server.c
                            ${CMAKE_CURRENT_SOURCE_DIR}/support/tile_code.c)
  add_dependencies(test_hostile_http meridian-tilesim)
endif()
if(TARGET meridian-tilesim)
  mer_add_unit_test(hostile_guard LABELS hostile TIMEOUT 240
                    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/support/test_server.c)
  add_dependencies(test_hostile_guard meridian meridian-tilesim)
endif()
