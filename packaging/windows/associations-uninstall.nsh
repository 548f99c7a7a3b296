# Inserted by CPack into the uninstall section: removes only what associations-install.nsh wrote.
DeleteRegKey SHCTX "Software\Classes\Statelens.Checkpoint"
DeleteRegKey SHCTX "Software\Classes\Applications\statelens.exe"
DeleteRegValue SHCTX "Software\Classes\.pt\OpenWithProgids" "Statelens.Checkpoint"
DeleteRegValue SHCTX "Software\Classes\.pth\OpenWithProgids" "Statelens.Checkpoint"
DeleteRegValue SHCTX "Software\Classes\.ckpt\OpenWithProgids" "Statelens.Checkpoint"
DeleteRegValue SHCTX "Software\Classes\.pt2\OpenWithProgids" "Statelens.Checkpoint"
DeleteRegValue SHCTX "Software\Classes\.safetensors\OpenWithProgids" "Statelens.Checkpoint"
System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
