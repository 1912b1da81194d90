# Desktop integration, manual pages, docs and the Debian package (issue 8).
# Included from the top-level CMakeLists.txt, after the programs, shaders and
# assets are installed. Everything follows GNUInstallDirs, so
# `cmake --install build --prefix DIR` gives a self-contained tree under DIR;
# the programs find their data relative to their own location
# (src/ui/datadir.c), not from the compiled-in prefix.

set(MER_APP_ID io.github.meridian_map.Meridian)
set(MER_PKG_DIR ${PROJECT_SOURCE_DIR}/packaging)

# Desktop entry (registers the geo: URI scheme), AppStream metadata, icons.
install(FILES ${MER_PKG_DIR}/${MER_APP_ID}.desktop
        DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES ${MER_PKG_DIR}/${MER_APP_ID}.metainfo.xml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
install(DIRECTORY ${MER_PKG_DIR}/icons/hicolor
        DESTINATION ${CMAKE_INSTALL_DATADIR}/icons
        FILES_MATCHING PATTERN "*.png")
install(FILES ${PROJECT_SOURCE_DIR}/assets/meridian.svg
        DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps
        RENAME ${MER_APP_ID}.svg)

# Manual pages, gzipped as Debian policy asks (man reads both).
set(MER_MAN_PAGES meridian)
if(TARGET meridian-tilesim)
  list(APPEND MER_MAN_PAGES meridian-tilesim)
endif()
set(MER_MAN_GZ)
foreach(page ${MER_MAN_PAGES})
  set(src ${PROJECT_SOURCE_DIR}/man/${page}.1)
  set(gz ${PROJECT_BINARY_DIR}/man/${page}.1.gz)
  add_custom_command(OUTPUT ${gz}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
    COMMAND sh -c "gzip -9 -n -c '${src}' > '${gz}'"
    DEPENDS ${src} VERBATIM)
  list(APPEND MER_MAN_GZ ${gz})
endforeach()
add_custom_target(mer_man_pages ALL DEPENDS ${MER_MAN_GZ})
install(FILES ${MER_MAN_GZ} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# Docs: README, the licence when the project has one, a config example.
foreach(doc README.md LICENSE COPYING docs/ARCHITECTURE.md)
  if(EXISTS ${PROJECT_SOURCE_DIR}/${doc})
    install(FILES ${PROJECT_SOURCE_DIR}/${doc} DESTINATION ${CMAKE_INSTALL_DOCDIR})
  endif()
endforeach()
install(FILES ${MER_PKG_DIR}/meridian.conf.example
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples RENAME meridian.conf)

# ---- Debian package: `cpack -G DEB` in the build tree (scripts/package) ----
set(CPACK_PACKAGE_NAME meridian)
set(CPACK_PACKAGE_VENDOR "The Meridian developers")
set(CPACK_PACKAGE_CONTACT "The Meridian developers <meridian@users.noreply.github.com>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "fast desktop viewer for slippy-map raster tiles")
# The summary is the Description's first line; this is the long text after it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "Meridian shows maps made of raster tiles, such as those of OpenStreetMap,
in a window that stays fluid while tiles stream in. Tiles are loaded with
per-host connection and rate limits, kept in a disk cache in MBTiles layout
(with an offline mode) and drawn with OpenGL.
.
The package also holds meridian-tilesim, a local tile server for demos and
tests, so that `meridian --demo` works without the internet.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "The Meridian developers <meridian@users.noreply.github.com>")
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE https://github.com/meridian-map/meridian)
# Library dependencies computed by dpkg-shlibdeps from the binaries.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# SDL2 loads libGL at run time (dlopen), so shlibdeps cannot see it, and
# libsdl2 does not depend on it. libgl1 brings Mesa's GLX (and its drivers,
# llvmpipe included) unless another vendor's is there. https needs the CA
# certificates for TLS verification.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libgl1")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates, libgl1-mesa-dri")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# meridian_<version>_<arch>.deb
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_GENERATOR DEB)
set(CPACK_SOURCE_GENERATOR "")
include(CPack)
