# Linux: desktop integration, man pages and the DEB, RPM and TGZ packages.
set(resources ${CMAKE_SOURCE_DIR}/resources)

# Desktop entry, MIME types, AppStream metadata and icons, all named by the application id. Their
# own component, so tests/packaging can install and validate them without a build.
install(FILES ${resources}/linux/${STATELENS_APP_ID}.desktop
        DESTINATION ${CMAKE_INSTALL_DATADIR}/applications COMPONENT desktop)
install(FILES ${resources}/linux/${STATELENS_APP_ID}.mime.xml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/mime/packages RENAME ${STATELENS_APP_ID}.xml COMPONENT desktop)
install(FILES ${resources}/linux/${STATELENS_APP_ID}.metainfo.xml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo COMPONENT desktop)
install(FILES ${resources}/icons/statelens.svg
        DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps RENAME ${STATELENS_APP_ID}.svg COMPONENT desktop)
install(DIRECTORY ${resources}/icons/hicolor DESTINATION ${CMAKE_INSTALL_DATADIR}/icons COMPONENT desktop)

# Man pages and the changelog, compressed as Debian policy wants (-n: no name or time stamp, so
# the package is reproducible).
find_program(GZIP_PROGRAM gzip REQUIRED)
set(compressed)
foreach(source ${resources}/man/statelens.1 ${resources}/man/statelens-cli.1 ${CMAKE_CURRENT_SOURCE_DIR}/linux/changelog)
  get_filename_component(name ${source} NAME)
  add_custom_command(OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/${name}.gz
    COMMAND ${GZIP_PROGRAM} -9nc ${source} > ${CMAKE_CURRENT_BINARY_DIR}/${name}.gz
    DEPENDS ${source} VERBATIM)
  list(APPEND compressed ${CMAKE_CURRENT_BINARY_DIR}/${name}.gz)
endforeach()
add_custom_target(statelens_compressed_docs ALL DEPENDS ${compressed})
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/statelens.1.gz ${CMAKE_CURRENT_BINARY_DIR}/statelens-cli.1.gz
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
# A native package's changelog and its copyright file (lintian: no-changelog, no-copyright-file).
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/changelog.gz linux/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB RPM TGZ)
# DEB and RPM install under /usr whatever prefix the build was configured with (a default configure
# says /usr/local, which lintian rejects in a .deb); the generator-specific file sets it per
# generator, so the TGZ keeps its paths relative to its top folder. Every install destination is
# relative (the torch module is found from the executable's folder), so only the prefix moves.
set(CPACK_STATELENS_SYSTEM_PREFIX /usr)
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_CURRENT_SOURCE_DIR}/linux/cpack-generator-prefix.cmake)

# DEB: dpkg-shlibdeps turns the ELF files' needs into the distribution's packages (Qt 6,
# QCustomPlot, Highway, zlib; libtorch through the torch module). It cannot see plugins Qt loads
# by name: on Debian 12 the xcb and offscreen platforms come with libqt6gui6 (qt6-qpa-plugins holds
# only VNC), Wayland's with qt6-wayland, and the SVG icon engine (the window icon) with libqt6svg6.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libqt6svg6, qt6-wayland")
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE ${PROJECT_HOMEPAGE_URL})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
# No maintainer scripts: dpkg triggers of shared-mime-info, desktop-file-utils and the icon cache
# refresh their databases.

# RPM: rpmbuild's automatic requirements do what dpkg-shlibdeps does. The directories below belong
# to the filesystem and the desktop's own packages, not to us.
set(CPACK_RPM_PACKAGE_LICENSE ${STATELENS_LICENSE})
set(CPACK_RPM_PACKAGE_URL ${PROJECT_HOMEPAGE_URL})
set(CPACK_RPM_PACKAGE_AUTOREQPROV ON)
set(CPACK_RPM_PACKAGE_REQUIRES "qt6-qtbase-gui")  # Fedora's platform plugins
set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(share ${CPACK_STATELENS_SYSTEM_PREFIX}/${CMAKE_INSTALL_DATADIR})
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
  ${share}/applications
  ${share}/icons ${share}/icons/hicolor
  ${share}/man ${CPACK_STATELENS_SYSTEM_PREFIX}/${CMAKE_INSTALL_MANDIR}/man1
  ${share}/metainfo
  ${share}/mime ${share}/mime/packages
  ${CPACK_STATELENS_SYSTEM_PREFIX}/${CMAKE_INSTALL_LIBDIR})
foreach(size 16 22 24 32 48 64 128 256 512)
  list(APPEND CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
    ${share}/icons/hicolor/${size}x${size} ${share}/icons/hicolor/${size}x${size}/apps)
endforeach()
list(APPEND CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION ${share}/icons/hicolor/scalable ${share}/icons/hicolor/scalable/apps)

# The fast check of the files above (the slow one, packaging/test-deb.sh, builds and installs the
# .deb in a clean Debian root).
if(STATELENS_BUILD_TESTS)
  add_test(NAME desktop_files_validate
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/check-desktop-files.sh ${CMAKE_BINARY_DIR} ${CMAKE_CURRENT_BINARY_DIR}/desktop-check)
  set_tests_properties(desktop_files_validate PROPERTIES LABELS packaging TIMEOUT 60)
endif()
