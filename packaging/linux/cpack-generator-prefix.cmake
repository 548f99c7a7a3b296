# CPACK_PROJECT_CONFIG_FILE: cpack reads this once per generator, after CPackConfig.cmake, with
# CPACK_GENERATOR naming that one. Debian and RPM packages install under the system prefix (/usr,
# CPACK_STATELENS_SYSTEM_PREFIX from linux.cmake), never under the build's CMAKE_INSTALL_PREFIX;
# the TGZ keeps cpack's default, paths relative to its top folder.
if(CPACK_GENERATOR STREQUAL "DEB" OR CPACK_GENERATOR STREQUAL "RPM")
  set(CPACK_PACKAGING_INSTALL_PREFIX ${CPACK_STATELENS_SYSTEM_PREFIX})
endif()
