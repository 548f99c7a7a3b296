#!/usr/bin/env bash
# Renders statelens.svg into the PNG sizes of the hicolor theme, the Windows .ico and the macOS
# .icns, all committed: Windows and macOS builders have no SVG renderer, and the icon rarely changes.
# Needs rsvg-convert (librsvg2-bin), icotool (icoutils) and png2icns (icnsutils).
set -euo pipefail
cd "$(dirname "$0")"
id=dev.statelens.statelens
for size in 16 22 24 32 48 64 128 256 512; do
  mkdir -p "hicolor/${size}x${size}/apps"
  rsvg-convert -w "$size" -h "$size" statelens.svg -o "hicolor/${size}x${size}/apps/$id.png"
done
# 256 stored as PNG (Windows Vista and later read it) to keep the file small.
icotool -c -o statelens.ico hicolor/{16x16,24x24,32x32,48x48,64x64}/apps/$id.png -r hicolor/256x256/apps/$id.png
# png2icns knows 16, 32, 48, 128, 256 and 512.
png2icns statelens.icns hicolor/{16x16,32x32,48x48,128x128,256x256,512x512}/apps/$id.png >/dev/null
