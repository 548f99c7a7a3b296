# macOS: a disk image holding statelens.app. Everything is inside the bundle (see the install
# directories in the top-level CMakeLists.txt): statelens-cli in Contents/MacOS, the torch module in
# Contents/PlugIns/statelens, Qt (macdeployqt), QCustomPlot and libtorch in Contents/Frameworks.
set(CPACK_GENERATOR DragNDrop)
set(CPACK_DMG_VOLUME_NAME Statelens)
set(CPACK_DMG_FORMAT UDZO)
set(frameworks statelens.app/Contents/Frameworks)

# The executables find their libraries in Frameworks, the module (two folders down) too.
set_target_properties(statelens statelens-cli PROPERTIES INSTALL_RPATH "@executable_path/../Frameworks")
if(TARGET statelens_torch)
  set_target_properties(statelens_torch PROPERTIES INSTALL_RPATH "@loader_path/../../Frameworks")
  # The official libtorch's dylibs (libtorch, libtorch_cpu, libc10, libomp, ...).
  file(GLOB torch_dylibs "${TORCH_INSTALL_PREFIX}/lib/*.dylib")
  install(FILES ${torch_dylibs} DESTINATION ${frameworks})
endif()
install(IMPORTED_RUNTIME_ARTIFACTS QCustomPlotQt6::QCustomPlotQt6 LIBRARY DESTINATION ${frameworks})

# Qt: macdeployqt over the bundle and statelens-cli inside it. Qt 6.5 or later.
qt_generate_deploy_script(TARGET statelens OUTPUT_SCRIPT deploy_script CONTENT "
qt_deploy_runtime_dependencies(
  EXECUTABLE \"$<TARGET_FILE_NAME:statelens>.app\"
  ADDITIONAL_EXECUTABLES \"statelens.app/Contents/MacOS/$<TARGET_FILE_NAME:statelens-cli>\"
  GENERATE_QT_CONF
  NO_TRANSLATIONS)
")
install(SCRIPT ${deploy_script})
# Every binary was changed by install_name_tool above: sign the bundle again (ad hoc; a release
# signed with a Developer ID would pass --sign with its identity instead of -).
install(CODE "execute_process(COMMAND codesign --force --deep --sign - \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/statelens.app\" COMMAND_ERROR_IS_FATAL ANY)")
