# Inserted by CPack into the install section (CPACK_NSIS_EXTRA_INSTALL_COMMANDS). Explorer offers
# Statelens for checkpoints: one ProgID, and each extension lists it under OpenWithProgids, so an
# existing default (another viewer, Python for .pth) is kept rather than taken over.
WriteRegStr SHCTX "Software\Classes\Statelens.Checkpoint" "" "PyTorch checkpoint"
WriteRegStr SHCTX "Software\Classes\Statelens.Checkpoint\DefaultIcon" "" "$INSTDIR\bin\statelens.exe,0"
WriteRegStr SHCTX "Software\Classes\Statelens.Checkpoint\shell\open\command" "" '"$INSTDIR\bin\statelens.exe" "%1"'
WriteRegStr SHCTX "Software\Classes\.pt\OpenWithProgids" "Statelens.Checkpoint" ""
WriteRegStr SHCTX "Software\Classes\.pth\OpenWithProgids" "Statelens.Checkpoint" ""
WriteRegStr SHCTX "Software\Classes\.ckpt\OpenWithProgids" "Statelens.Checkpoint" ""
WriteRegStr SHCTX "Software\Classes\.pt2\OpenWithProgids" "Statelens.Checkpoint" ""
WriteRegStr SHCTX "Software\Classes\.safetensors\OpenWithProgids" "Statelens.Checkpoint" ""
WriteRegStr SHCTX "Software\Classes\Applications\statelens.exe\shell\open\command" "" '"$INSTDIR\bin\statelens.exe" "%1"'
WriteRegStr SHCTX "Software\Classes\Applications\statelens.exe\SupportedTypes" ".pt" ""
WriteRegStr SHCTX "Software\Classes\Applications\statelens.exe\SupportedTypes" ".pth" ""
WriteRegStr SHCTX "Software\Classes\Applications\statelens.exe\SupportedTypes" ".ckpt" ""
WriteRegStr SHCTX "Software\Classes\Applications\statelens.exe\SupportedTypes" ".pt2" ""
WriteRegStr SHCTX "Software\Classes\Applications\statelens.exe\SupportedTypes" ".safetensors" ""
# Tell Explorer the associations changed (SHCNE_ASSOCCHANGED, SHCNF_IDLIST).
System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
