#!/bin/sh
# Build (once) the Debian bookworm base of a hub image with mmdebstrap and print the
# tarball's path. Cached in var/cache/images/ keyed by the package lists, this script and
# the architecture; a changed list builds a new base. No mounts, no loop devices.
# usage: images/build-base.sh amd64|arm64 [cache_dir]
set -eu
arch=${1:?usage: build-base.sh amd64|arm64 [cache_dir]}
cache_dir=${2:-var/cache/images}
here=$(dirname "$0")
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
packages=$(cat "$here/packages/common.txt" "$here/packages/$arch.txt" | sed -e 's/#.*//' | tr -s ' \n' '\n' | grep . | sort -u | paste -sd, -)
key=$(printf '%s\n%s\n%s\n' "$arch" "$packages" "$mirror" | cat - "$0" | sha256sum | cut -c1-16)
tarball="$cache_dir/base-bookworm-$arch-$key.tar"
mkdir -p "$cache_dir"
# One build of an architecture's base at a time: `make test` starts the bases in the
# background while the suite runs (mk/images.mk, image-bases-background), and an image build
# that needs one waits here until it is there, then finds it cached.
exec 9>"$cache_dir/.base-$arch.lock"
flock 9
if [ ! -s "$tarball" ]; then
  if [ "$arch" != "$(dpkg --print-architecture)" ]; then
    "$here/ensure-binfmt.sh" "$arch" >&2
  fi
  start=$(date +%s)
  # raspi-firmware's kernel hook writes into /boot/firmware; there it is a plain directory.
  # update-initramfs is diverted to a no-op while the packages install: the kernel's postinst
  # and initramfs-tools' trigger would each build an initramfs (20 min apiece under
  # qemu-user), and both would be stale once bake.yml has run. build-image.sh removes the
  # diversion and builds the one initramfs the image boots.
  mmdebstrap --quiet --variant=minbase --architectures="$arch" --include="$packages" \
    --components=main,non-free-firmware \
    --skip=cleanup/apt/lists \
    --setup-hook='mkdir -p "$1/boot/firmware" "$1/boot/efi"' \
    --essential-hook='chroot "$1" dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs' \
    --essential-hook='ln -s /bin/true "$1/usr/sbin/update-initramfs"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    bookworm "$cache_dir/.base-$arch-$key.part.tar" \
    "deb $mirror bookworm main non-free-firmware" \
    "deb $mirror bookworm-updates main non-free-firmware" \
    "deb $security bookworm-security main non-free-firmware" >&2
  mv "$cache_dir/.base-$arch-$key.part.tar" "$tarball"
  echo "build-base: $arch base built in $(( $(date +%s) - start )) s: $tarball" >&2
fi
echo "$tarball"
