# `meridian fetch` output: the streaming PNG writer, stdout, world file, bounds (issue 15).
if(NOT TARGET PkgConfig::PNG)
  pkg_check_modules(PNG REQUIRED IMPORTED_TARGET libpng)
endif()
# libpng reads the writer's output back: a decoder independent of zlib-only code paths.
mer_add_unit_test(png_stream LIBS PkgConfig::PNG LABELS fetch tsan)
if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/test_fetch_out.c)
  mer_add_unit_test(fetch_out LIBS PkgConfig::PNG LABELS fetch TIMEOUT 300
                    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/support/test_server.c
                            ${CMAKE_CURRENT_SOURCE_DIR}/support/tile_code.c)
  add_dependencies(test_fetch_out meridian meridian-tilesim)
endif()
