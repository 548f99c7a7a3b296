#!/usr/bin/env bash
# ctest desktop_files_validate: installs the "desktop" component (desktop entry, MIME types,
# metainfo, icons) into a scratch root and runs the freedesktop validators on the installed tree,
# as distributions and software centres will: desktop-file-validate, update-mime-database (which
# rejects a malformed package and reports unknown elements), appstreamcli validate-tree (the
# metainfo's launchable must name the installed desktop file).
# Usage: check-desktop-files.sh BUILD_DIR WORK_DIR
set -euo pipefail
build=$1 work=$2
rm -rf "$work"
cmake --install "$build" --component desktop --prefix "$work/usr" >/dev/null
share=$work/usr/share
id=dev.statelens.statelens

desktop-file-validate "$share/applications/$id.desktop"

# Every warning of update-mime-database is a defect in our XML.
mime_log=$(update-mime-database -V "$share/mime" 2>&1)
if grep -qiE 'warning|error|unknown' <<<"$mime_log"; then
  echo "$mime_log" >&2
  exit 1
fi
for type in x-pytorch-checkpoint x-safetensors; do
  grep -qx "application/$type" "$share/mime/types" || { echo "MIME type application/$type not registered" >&2; exit 1; }
done

appstreamcli validate-tree --no-net --pedantic "$work"

for size in 16x16 32x32 48x48 128x128 256x256 512x512 scalable; do
  ls "$share/icons/hicolor/$size/apps/$id".* >/dev/null
done
echo "desktop entry, MIME types, metainfo and icons validate"
