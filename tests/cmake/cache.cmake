# Disk cache, freshness, offline mode, prefetch and export (issue 6).
mer_add_unit_test(cache LABELS cache TIMEOUT 180)
if(TARGET meridian-tilesim)
  set(CACHE_TEST_SUPPORT ${CMAKE_CURRENT_SOURCE_DIR}/support/test_server.c
      ${CMAKE_CURRENT_SOURCE_DIR}/support/tile_code.c)
  # Through the loader and the real tile server (threads: also under TSan).
  mer_add_unit_test(offline LABELS cache tsan TIMEOUT 180 SOURCES ${CACHE_TEST_SUPPORT})
  add_dependencies(test_offline meridian-tilesim)
  # The meridian binary's prefetch and export commands (its loader thread: TSan too).
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/test_prefetch.c)
    mer_add_unit_test(prefetch LABELS cache tsan TIMEOUT 240 SOURCES ${CACHE_TEST_SUPPORT})
    add_dependencies(test_prefetch meridian-tilesim meridian)
  endif()
endif()
