#!/usr/bin/env bash
# Packaging test: builds the .deb, installs it with apt into a clean Debian 12 root (so its declared
# dependencies, not this machine's packages, decide whether it runs) and there runs the CLI, the
# torch module and the GUI on the offscreen platform; then lintian on the .deb. Slow and needs the
# network (debootstrap, apt): not part of ctest. Run as root.
#
# Usage: packaging/test-deb.sh BUILD_DIR [PACKAGE.deb]
#   BUILD_DIR  a configured and built tree (cmake --preset release; the .deb installs under /usr
#              whatever its CMAKE_INSTALL_PREFIX); cpack -G DEB runs there unless PACKAGE.deb is given.
# Environment: STATELENS_MIRROR (default http://deb.debian.org/debian); STATELENS_ROOT_CACHE, a
# debootstrap tarball reused between runs (default /var/cache/statelens-pack/bookworm-minbase.tgz).
set -euo pipefail
build=$(realpath "$1")
deb=${2:-}
mirror=${STATELENS_MIRROR:-http://deb.debian.org/debian}
cache=${STATELENS_ROOT_CACHE:-/var/cache/statelens-pack/bookworm-minbase.tgz}
step() { printf '\n== %s\n' "$*"; }

step "tools"
need=()
for tool in debootstrap:debootstrap lintian:lintian; do
  command -v "${tool%%:*}" >/dev/null || need+=("${tool#*:}")
done
if ((${#need[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

if [ -z "$deb" ]; then
  step "cpack -G DEB in $build"
  (cd "$build" && flock /tmp/statelens-build.lock cpack -G DEB)
  deb=$(ls -t "$build"/statelens_*.deb | head -1)
fi
deb=$(realpath "$deb")
echo "$deb"
dpkg-deb --field "$deb"
# Before the slow steps: every path under /usr and none under /usr/local, whatever prefix the build had.
misplaced=$(dpkg-deb --contents "$deb" | awk '$6 != "./" && ($6 !~ /^\.\/usr\// || $6 ~ /^\.\/usr\/local\//) {print $6}')
if [ -n "$misplaced" ]; then
  printf 'the .deb installs outside /usr (CPACK_PACKAGING_INSTALL_PREFIX, packaging/linux):\n%s\n' "$misplaced" >&2
  exit 1
fi

step "a clean Debian 12 root"
root=$(mktemp -d /tmp/statelens-root.XXXXXX)
cleanup() {
  mountpoint -q "$root/proc" && umount "$root/proc"
  rm -rf --one-file-system "$root"
}
trap cleanup EXIT
if [ ! -f "$cache" ]; then
  mkdir -p "$(dirname "$cache")"
  debootstrap --variant=minbase --make-tarball="$cache" bookworm "$root" "$mirror"
  rm -rf "$root" && mkdir "$root"
fi
debootstrap --variant=minbase --unpack-tarball="$cache" bookworm "$root" "$mirror" >/dev/null
# Updates and security as on any installed system: the package was built against them.
cat > "$root/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"  # Qt finds its executable's folder, and so the module, via /proc
cp "$deb" "$root/tmp/statelens.deb"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
# A chroot has no /dev/pts for dpkg's pty, and the _apt user cannot read the copied .deb.
apt_quiet=(-o Dpkg::Use-Pty=0 -o APT::Sandbox::User=root)

step "apt-get install ./statelens.deb (dependencies from the archive)"
in_root apt-get "${apt_quiet[@]}" update -qq
in_root env DEBIAN_FRONTEND=noninteractive apt-get "${apt_quiet[@]}" install -y -qq --no-install-recommends /tmp/statelens.deb >/dev/null
in_root dpkg -s statelens | grep -E '^(Status|Version|Depends)'

sample=/usr/share/statelens/samples/simple_cnn.pth
step "statelens-cli --version"
in_root statelens-cli --version
step "statelens-cli ls $sample"
in_root statelens-cli ls "$sample"
step "statelens-cli devices (loads the installed libtorch module)"
in_root statelens-cli devices

step "statelens on the offscreen platform for 5 s"
install -d -m 700 "$root/run/user/0"
status=0
in_root env QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR=/run/user/0 timeout 5 statelens "$sample" || status=$?
# 124: still running when timeout stopped it, as a window waiting for its user should be.
[ "$status" = 124 ] || { echo "statelens exited with $status within 5 s" >&2; exit 1; }
echo "statelens ran for 5 s"
step "statelens --screenshot (opens the sample, draws its histogram, quits)"
in_root env QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR=/run/user/0 timeout 60 statelens --screenshot /tmp/shots "$sample"
in_root ls /tmp/shots

step "lintian"
# Errors fail the test; warnings and below are listed.
lintian --fail-on error --display-info --tag-display-limit 0 "$deb"
echo "lintian: no errors"
step "packaging test passed"
