#!/bin/sh
# Build, once, the Debian bookworm root every molecule scenario unpacks, and print its path.
# Cached under var/cache/provisioning/ keyed by this script (the package lists and the
# mirror live here); a fresh clone (CI) builds it (~40 s).
# Installed: what Ansible's chroot connection needs. Only downloaded, with fresh apt lists:
# what the roles (hub and HQ, and mosquitto-clients for the ACL test) install, so each scenario's apt tasks run dpkg for real but offline.
set -eu
cache_dir=${1:-var/cache/provisioning}
mirror=http://deb.debian.org/debian
security=http://deb.debian.org/debian-security
installed=python3,systemd,systemd-sysv,apt,ca-certificates
downloaded="mosquitto iproute2 nftables util-linux systemd-timesyncd unattended-upgrades avahi-daemon python3-venv mosquitto-clients postgresql nginx openssl prometheus prometheus-alertmanager prometheus-node-exporter"
key=$(sha256sum "$0" | cut -c1-16)
tarball="$cache_dir/bookworm-$key.tar"
if [ ! -s "$tarball" ]; then
  mkdir -p "$cache_dir"
  mmdebstrap --quiet --variant=minbase --include="$installed" \
    --skip=cleanup/apt/lists,cleanup/apt/cache \
    --customize-hook="chroot \"\$1\" apt-get install --download-only --yes --quiet=2 $downloaded" \
    bookworm "$cache_dir/.bookworm-$key.part.tar" \
    "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
    "deb $security bookworm-security main" >&2
  mv "$cache_dir/.bookworm-$key.part.tar" "$tarball"
fi
echo "$tarball"
