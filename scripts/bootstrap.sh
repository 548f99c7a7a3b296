#!/usr/bin/env bash
# Installs the Debian 12 packages Statelens needs (only the missing ones), then configures and
# builds into ./build. Used by the README's two commands and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config ccache
  qt6-base-dev libgl-dev libqcustomplot-dev libqcustomplot2.1-qt6
  libqt6svg6   # the SVG icon engine and image plugin: the window and toolbar icons are SVG
  libtorch-dev nlohmann-json3-dev zlib1g-dev libhwy-dev
  python3-torch python3-torchvision   # regenerating fixtures and the benchmarks' baseline
  desktop-file-utils appstream shared-mime-info   # ctest -L packaging validates the desktop files
  clang-14 libclang-rt-14-dev   # the libFuzzer harnesses (fuzz/, scripts/test-all.sh)
  xvfb xauth   # the interaction tests also run on a real X server (xcb), as scripts/test-all.sh does
)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  echo "Installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The `ci` preset (build/, RelWithDebInfo, Ninja): warnings are errors, and the tests that compare
# with libtorch fail rather than skip when the torch module does not load. CI builds exactly this.
cmake --preset ci ${STATELENS_CMAKE_ARGS:-}
# Two cores: two jobs. Translation units that include libtorch are few and kept narrow.
cmake --build build --parallel "${STATELENS_BUILD_JOBS:-2}"
