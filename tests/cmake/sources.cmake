# Sources (issue 14 items 5-7): stable cache identity of presets, MBTiles "no
# data", HiDPI (@2x, 512 px) tiles.
mer_add_unit_test(cache_identity LABELS cache tsan TIMEOUT 240
                  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/support/test_server.c
                          ${CMAKE_CURRENT_SOURCE_DIR}/support/tile_code.c)
if(TARGET meridian-tilesim)
  add_dependencies(test_cache_identity meridian-tilesim)
endif()
# The viewer: --demo, then --demo --offline on the same cache (Xvfb).
mer_add_viewer_test(demo_offline LABELS cache TIMEOUT 400)
# An MBTiles file made with the sqlite3 tool: absent tiles are "no data".
if(NOT TARGET PkgConfig::PNG)
  pkg_check_modules(PNG REQUIRED IMPORTED_TARGET libpng)
endif()
mer_add_unit_test(mbtiles_nodata LIBS PkgConfig::PNG LABELS cache loader tsan TIMEOUT 240
                  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/support/test_server.c
                          ${CMAKE_CURRENT_SOURCE_DIR}/support/tile_code.c
                          ${CMAKE_CURRENT_SOURCE_DIR}/support/mbtiles_fixture.c)
if(TARGET meridian-tilesim)
  add_dependencies(test_mbtiles_nodata meridian-tilesim meridian)
endif()
mer_add_viewer_test(mbtiles_view LABELS cache TIMEOUT 400
                    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/support/mbtiles_fixture.c)
# HiDPI: @2x sources, {r}, 512 px tiles (unit and loader), and in the viewer
# with a forced display scale (MERIDIAN_SCALE) under Xvfb.
mer_add_unit_test(hidpi LABELS loader TIMEOUT 240
                  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/support/test_server.c
                          ${CMAKE_CURRENT_SOURCE_DIR}/support/tile_code.c)
if(TARGET meridian-tilesim)
  add_dependencies(test_hidpi meridian-tilesim)
endif()
mer_add_viewer_test(hidpi_view TIMEOUT 400)
