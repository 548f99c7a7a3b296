# Windows: an NSIS installer and a ZIP. Everything sits in bin/ beside the executables, where
# Windows looks for DLLs: Qt (windeployqt), QCustomPlot, libtorch's DLLs and the MSVC runtime. The
# torch module stays in lib/statelens/ (core/CMakeLists.txt: ../lib/statelens from bin/).
set(CPACK_GENERATOR NSIS ZIP)
set(resources ${CMAKE_SOURCE_DIR}/resources)

# libtorch: every DLL of the official distribution (torch_cpu, c10, fbgemm, libiomp5md, uv, ...).
file(GLOB torch_dlls "${TORCH_INSTALL_PREFIX}/lib/*.dll")
install(FILES ${torch_dlls} DESTINATION ${CMAKE_INSTALL_BINDIR})
install(IMPORTED_RUNTIME_ARTIFACTS QCustomPlotQt6::QCustomPlotQt6 RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
set(CMAKE_INSTALL_SYSTEM_RUNTIME_DESTINATION ${CMAKE_INSTALL_BINDIR})
include(InstallRequiredSystemLibraries)  # the MSVC runtime

# Qt: windeployqt over both executables and QCustomPlot (it pulls in Qt6PrintSupport), with a
# qt.conf. Qt 6.5 or later.
qt_generate_deploy_script(TARGET statelens OUTPUT_SCRIPT deploy_script CONTENT "
qt_deploy_runtime_dependencies(
  EXECUTABLE \"\${QT_DEPLOY_BIN_DIR}/$<TARGET_FILE_NAME:statelens>\"
  ADDITIONAL_EXECUTABLES \"\${QT_DEPLOY_BIN_DIR}/$<TARGET_FILE_NAME:statelens-cli>\"
  ADDITIONAL_LIBRARIES \"\${QT_DEPLOY_BIN_DIR}/$<TARGET_FILE_NAME:QCustomPlotQt6::QCustomPlotQt6>\"
  GENERATE_QT_CONF
  NO_TRANSLATIONS)
")
install(SCRIPT ${deploy_script})

set(CPACK_PACKAGE_ICON ${resources}/icons/statelens.ico)
set(CPACK_NSIS_MUI_ICON ${resources}/icons/statelens.ico)
set(CPACK_NSIS_MUI_UNIICON ${resources}/icons/statelens.ico)
set(CPACK_NSIS_INSTALLED_ICON_NAME bin\\\\statelens.exe)
set(CPACK_NSIS_DISPLAY_NAME Statelens)
set(CPACK_NSIS_PACKAGE_NAME Statelens)
set(CPACK_NSIS_URL_INFO_ABOUT ${PROJECT_HOMEPAGE_URL})
set(CPACK_NSIS_CONTACT "dev@statelens.dev")
set(CPACK_NSIS_ENABLE_UNINSTALL_BEFORE_INSTALL ON)
set(CPACK_NSIS_MODIFY_PATH ON)  # offers to put statelens-cli on PATH
set(CPACK_NSIS_MANIFEST_DPI_AWARE ON)
# File associations: a ProgID and the extensions, removed again on uninstall. The .nsh files use #
# comments: a ; would split the CMake string into a list.
file(READ windows/associations-install.nsh CPACK_NSIS_EXTRA_INSTALL_COMMANDS)
file(READ windows/associations-uninstall.nsh CPACK_NSIS_EXTRA_UNINSTALL_COMMANDS)
