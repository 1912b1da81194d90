# The tile loader, decode workers and `meridian fetch` (issue 4).
mer_add_unit_test(decode LABELS loader tsan)
mer_add_unit_test(loader_policy LABELS loader)
set(MER_TEST_SUPPORT ${CMAKE_CURRENT_SOURCE_DIR}/support/test_server.c
    ${CMAKE_CURRENT_SOURCE_DIR}/support/tile_code.c)
mer_add_unit_test(loader LABELS loader tsan TIMEOUT 300 SOURCES ${MER_TEST_SUPPORT})
if(TARGET meridian-tilesim)
  add_dependencies(test_loader meridian-tilesim)
endif()
mer_add_unit_test(loader_faults LABELS loader tsan TIMEOUT 300 SOURCES ${MER_TEST_SUPPORT})
if(TARGET meridian-tilesim)
  add_dependencies(test_loader_faults meridian-tilesim)
endif()
