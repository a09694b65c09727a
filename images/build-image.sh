#!/bin/bash
# Build a flashable Outlet Hub disk image, without loop devices or mounts:
#   mmdebstrap base (cached) → unpacked tree → provisioning/bake.yml through Ansible's chroot
#   connection → image layer (images/rootfs, first-boot units) → root ext4 with mke2fs -d →
#   boot/EFI FAT with mkfs.vfat + mtools → disk with sfdisk + dd → compressed copy.
# usage: images/build-image.sh nuc|pi   (env: OUT=build/images, WHEELHOUSE=…, COMPRESS=xz|zstd|none,
#   RELEASE_PUBLIC_KEY=<base64 Ed25519 public key the image's hub accepts releases signed with>)
set -euo pipefail
target=${1:?usage: build-image.sh nuc|pi}
case $target in
  nuc) arch=amd64 ;;
  pi) arch=arm64 ;;
  *) echo "unknown target $target (nuc|pi)" >&2; exit 2 ;;
esac
repo=$(cd "$(dirname "$0")/.." && pwd)
here=$repo/images
out=${OUT:-$repo/build/images}
work=$out/$target
wheelhouse=${WHEELHOUSE:-$repo/build/wheelhouse-$arch}
compress=${COMPRESS:-xz}
ansible_bin=${ANSIBLE_BIN:-$repo/.venv/bin}
boot_mib=${BOOT_MIB:-256}
name=outlet-hub-$target
t0=$(date +%s)
step() { echo "== [$target +$(( $(date +%s) - t0 ))s] $*"; }

[ -f "$wheelhouse"/outlet_hub-*.whl ] || { echo "no hub wheel in $wheelhouse (make wheelhouse-$arch)" >&2; exit 1; }
release_key=${RELEASE_PUBLIC_KEY:-}
# 32 raw bytes in base64 (what `python -m scripts.hub_bundle keygen` prints); checked here so a
# pasted PEM or a truncated key fails the build, not every update at the outlets.
if [ -n "$release_key" ] && ! [[ $release_key =~ ^[A-Za-z0-9+/]{43}=$ ]]; then
  echo "RELEASE_PUBLIC_KEY is not a base64 Ed25519 public key (44 characters ending in =)" >&2; exit 2
fi

step "base (mmdebstrap, cached by package list)"
base=$("$here/build-base.sh" "$arch" "$repo/var/cache/images")

root=$work/root
if [ "${REUSE_ROOT:-0}" = 1 ] && [ -e "$root/opt/outlet-hub/current/venv/bin/outlet-hub" ]; then
  # Development shortcut: keep the baked tree, redo the image layer and the disk.
  step "reusing the baked tree $root (REUSE_ROOT=1)"
  resolv_link=../run/systemd/resolve/stub-resolv.conf
else
  step "unpack $base"
  rm -rf "$work"
  mkdir -p "$root"
  tar --numeric-owner --xattrs --xattrs-include='*' -xpf "$base" -C "$root"

  # Package scripts must not start daemons while we work in the tree.
  printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
  chmod 0755 "$root/usr/sbin/policy-rc.d"
  # Name resolution for apt during bake (restored to systemd-resolved's stub afterwards).
  resolv_link=$(readlink "$root/etc/resolv.conf" || true)
  rm -f "$root/etc/resolv.conf"
  cp /etc/resolv.conf "$root/etc/resolv.conf"

  step "bake.yml through the chroot connection"
  (
    cd "$repo/provisioning"
    unset PIP_FIND_LINKS PIP_INDEX_URL PIP_EXTRA_INDEX_URL
    PATH="$ansible_bin:$PATH" ANSIBLE_CONFIG="$repo/provisioning/ansible.cfg" ANSIBLE_NOCOLOR=1 \
      ANSIBLE_FORCE_COLOR=0 ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks \
      ansible-playbook -i "$root," -c community.general.chroot bake.yml \
      -e outlet_hub_wheelhouse_src="$wheelhouse/" -e outlet_hub_ui_src="$repo/ui/" \
      -e base_apt_update_cache=false -e firewall_apt_update_cache=false \
      -e mosquitto_apt_update_cache=false -e outlet_hub_apt_update_cache=false
  ) > "$work/bake.log" 2>&1 || { tail -40 "$work/bake.log"; echo "bake.yml failed (log: $work/bake.log)" >&2; exit 1; }
  grep -A1 '^PLAY RECAP' "$work/bake.log" | tail -1

fi

step "image layer (first boot, growroot, SSH keys, standalone defaults)"
cp -a "$here/rootfs/." "$root/"
# What only one target has (the Pi's initramfs module list).
[ ! -d "$here/rootfs-$target" ] || cp -a "$here/rootfs-$target/." "$root/"
if [ "$target" = pi ]; then bootdir=/boot/firmware; else bootdir=/boot/efi; fi
cat > "$root/etc/fstab" <<EOF
# <file system>  <mount point>  <type>  <options>  <dump>  <pass>
LABEL=HUBROOT    /              ext4    defaults,noatime,errors=remount-ro  0  1
LABEL=HUBBOOT    $bootdir       vfat    defaults,umask=0077,nofail,x-systemd.device-timeout=90s  0  2
EOF
mkdir -p "$root/usr/share/outlet-hub/provisioning" "$root/usr/share/doc/outlet-hub"
# The playbooks and roles firstboot.yml needs; never the inventory or its vault.
cp -a "$repo/provisioning/"{ansible.cfg,firstboot.yml,bake.yml,site.yml,roles,vars} \
  "$root/usr/share/outlet-hub/provisioning/"
cp "$here/README.md" "$root/usr/share/doc/outlet-hub/images-README.md" 2>/dev/null || true
cp "$here/outlet.toml.example" "$root/usr/share/doc/outlet-hub/" 2>/dev/null || true
install -m 0755 "$here/rootfs/etc/outlet-hub/nftables-standalone.conf" "$root/etc/nftables.conf"
if [ -n "$release_key" ]; then
  # Fleet updates (decision 1101): the key every hub of this image trusts until outlet.toml
  # names another; first boot carries it into provisioning's hub.toml.
  sed -i "s|^release_public_key = \"\"\$|release_public_key = \"$release_key\"|" "$root/etc/outlet-hub/hub.toml"
  grep -q "^release_public_key = \"$release_key\"\$" "$root/etc/outlet-hub/hub.toml"
fi
echo outlet-hub > "$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\toutlet-hub\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
ln -sf /usr/share/zoneinfo/UTC "$root/etc/localtime"; echo UTC > "$root/etc/timezone"
cat > "$root/etc/default/prometheus-node-exporter" <<'EOF'
# Outlet Hub image: node exporter on loopback, for a local agent to ship to HQ (the
# prometheus_agent role, provisioning/roles/prometheus_agent). The LAN sees the hub's own
# /metrics on :3002 only.
ARGS="--web.listen-address=127.0.0.1:9100"
EOF

chroot "$root" /bin/sh -eu <<'EOF'
chown root:outlet-hub /etc/outlet-hub /etc/outlet-hub/hub.toml
chmod 0750 /etc/outlet-hub; chmod 0640 /etc/outlet-hub/hub.toml
/opt/outlet-hub/current/venv/bin/outlet-hub check-config --config /etc/outlet-hub/hub.toml >/dev/null
id outlet-admin >/dev/null 2>&1 || useradd --create-home --shell /bin/bash --comment "Outlet Hub IT" outlet-admin
passwd --lock outlet-admin >/dev/null; passwd --lock root >/dev/null
systemctl enable systemd-networkd.service systemd-networkd-wait-online.service systemd-resolved.service \
  ssh.service outlet-hub-growroot.service outlet-hub-sshkeys.service outlet-hub-firstboot.service \
  outlet-hub-provision.service \
  prometheus-node-exporter.service nftables.service mosquitto.service outlet-hub.service >/dev/null 2>&1
systemctl mask systemd-firstboot.service >/dev/null 2>&1 || true
# Wi-Fi is wpa_supplicant@wlan0, enabled by first boot when outlet.toml has [wifi].
systemctl disable wpa_supplicant.service >/dev/null 2>&1 || true
# Running .pyc files directly (python3's binfmt entry) is not something a hub does.
systemctl mask systemd-binfmt.service >/dev/null 2>&1 || true
apt-get clean
EOF

# The hub first: on a small (or emulated) board these would share its CPU while it starts.
for unit in ssh.service outlet-hub-sshkeys.service avahi-daemon.service prometheus-node-exporter.service \
    unattended-upgrades.service e2scrub_reap.service; do
  mkdir -p "$root/etc/systemd/system/$unit.d"
  printf '[Unit]\n# Outlet Hub image: start once the hub serves (it does not need this unit).\nAfter=outlet-hub.service\n' \
    > "$root/etc/systemd/system/$unit.d/outlet-hub-after-hub.conf"
done

# The base was built with update-initramfs diverted to a no-op (images/build-base.sh): the
# one initramfs is made here, for the kernel and /etc/initramfs-tools the image ships. On the
# Pi, raspi-firmware's hook then copies kernel, initrd and DTBs into /boot/firmware.
step "initramfs"
if [ -e "$root/usr/sbin/update-initramfs.distrib" ]; then
  rm -f "$root/usr/sbin/update-initramfs"
  chroot "$root" dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs
fi
# In a private mount and PID namespace with its own /proc (gone when it exits): the kernel
# hooks ask ischroot(1), which needs /proc, and raspi-firmware's refuses an unmounted
# /boot/firmware unless it knows it runs in a chroot.
unshare --mount --pid --fork -- /bin/sh -c 'mount -t proc proc "$1/proc" && chroot "$1" /bin/sh -eu' \
  sh "$root" <<'EOF'
for version in $(ls /lib/modules); do
  if [ -e "/boot/initrd.img-$version" ]; then mode=-u; else mode=-c; fi
  update-initramfs "$mode" -k "$version"
done
EOF

step "seal: no machine-id, no SSH host keys, no apt lists, no policy-rc.d"
rm -f "$root"/etc/ssh/ssh_host_*
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id" "$root/var/lib/systemd/random-seed"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/tmp/* "$root"/var/tmp/* \
  "$root/root/.ansible" "$root"/var/log/*.log "$root/opt/outlet-hub/releases/"*/venv/lib/python3*/site-packages/*/__pycache__/.nothing
mkdir -p "$root/var/lib/apt/lists/partial"
rm -f "$root/usr/sbin/policy-rc.d" "$root/etc/resolv.conf"
ln -s "${resolv_link:-../run/systemd/resolve/stub-resolv.conf}" "$root/etc/resolv.conf"

step "boot partition ($bootdir)"
boot=$work/boot
rm -rf "$boot"
mkdir -p "$boot"
if [ "$target" = nuc ]; then
  [ -e "$root/vmlinuz" ] || ln -sfn "boot/$(cd "$root/boot" && ls vmlinuz-* | sort -V | tail -1)" "$root/vmlinuz"
  [ -e "$root/initrd.img" ] || ln -sfn "boot/$(cd "$root/boot" && ls initrd.img-* | sort -V | tail -1)" "$root/initrd.img"
  # GRUB (Debian's grub-efi-amd64-bin) as one EFI binary; its config lives on the ESP and boots
  # /vmlinuz + /initrd.img of the root, which the kernel packages keep pointing at the newest.
  cat > "$work/grub-embedded.cfg" <<'EOF'
search --no-floppy --label HUBBOOT --set=root
configfile ($root)/EFI/outlet-hub/grub.cfg
EOF
  mkdir -p "$boot/EFI/BOOT" "$boot/EFI/outlet-hub"
  grub-mkstandalone -O x86_64-efi -o "$boot/EFI/BOOT/BOOTX64.EFI" \
    --modules="part_gpt part_msdos fat ext2 search search_label configfile linux normal echo gzio all_video efi_gop serial terminal" \
    --locales= --themes= --fonts= "boot/grub/grub.cfg=$work/grub-embedded.cfg"
  cp "$here/boot/grub.cfg" "$boot/EFI/outlet-hub/grub.cfg"
else
  # raspi-firmware's hooks filled /boot/firmware (firmware, DTBs, kernel, initrd, config.txt);
  # the FAT partition is mounted there on the Pi.
  # (Kept in $work/firmware so REUSE_ROOT=1 rebuilds find it again; there the hook has just
  # rewritten only the kernel's files, so they are merged, not replaced.)
  if [ -n "$(ls -A "$root/boot/firmware")" ]; then
    mkdir -p "$work/firmware"
    cp -a "$root/boot/firmware/." "$work/firmware/"
    find "$root/boot/firmware" -mindepth 1 -delete
  fi
  # cmdline.txt and config.txt are the hook's, from images/rootfs-pi/etc/default/raspi-firmware.
  cp -a "$work/firmware/." "$boot/"
fi
cp "$here/outlet.toml.example" "$boot/outlet.toml.example"
cp "$here/boot/README.txt" "$boot/README-outlet-hub.txt"

step "root ext4 (mke2fs -d)"
used_mib=$(du -sxm "$root" | cut -f1)
root_mib=$(( used_mib * 115 / 100 + 200 ))
rm -f "$work/root.ext4"
mke2fs -q -F -t ext4 -L HUBROOT -m 1 -E root_owner=0:0 -d "$root" "$work/root.ext4" "${root_mib}M"
e2fsck -fn "$work/root.ext4" >/dev/null 2>&1

step "boot FAT ($boot_mib MiB, mkfs.vfat + mcopy)"
rm -f "$work/boot.vfat"
mkfs.vfat -F 32 -n HUBBOOT -C "$work/boot.vfat" $(( boot_mib * 1024 )) >/dev/null
(cd "$boot" && mcopy -s -i "$work/boot.vfat" ./* ::/)

step "disk (sfdisk + dd)"
disk=$out/$name.img
total_mib=$(( 1 + boot_mib + root_mib + 1 ))
rm -f "$disk"
truncate -s "${total_mib}M" "$disk"
if [ "$target" = nuc ]; then
  sfdisk --quiet "$disk" <<EOF
label: gpt
start=1MiB, size=${boot_mib}MiB, type=uefi, name="HUBBOOT"
start=$(( 1 + boot_mib ))MiB, size=${root_mib}MiB, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name="HUBROOT"
EOF
else
  sfdisk --quiet "$disk" <<EOF
label: dos
start=1MiB, size=${boot_mib}MiB, type=c, bootable
start=$(( 1 + boot_mib ))MiB, size=${root_mib}MiB, type=83
EOF
fi
dd if="$work/boot.vfat" of="$disk" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$work/root.ext4" of="$disk" bs=1M seek=$(( 1 + boot_mib )) conv=notrunc,sparse status=none
rm -f "$work/boot.vfat" "$work/root.ext4"
# Offsets for images/configure and the tests.
printf 'boot_offset=%d\nroot_offset=%d\n' $(( 1024 * 1024 )) $(( (1 + boot_mib) * 1024 * 1024 )) > "$disk.offsets"
# The kernel and initrd, for booting the image directly (tests, -kernel/-initrd).
cp -L "$root/boot/"vmlinuz-* "$work/" 2>/dev/null || true
cp -L "$root/boot/"initrd.img-* "$work/" 2>/dev/null || true

case $compress in
  xz) step "compress (xz)"; xz -T0 -6 -k -f "$disk"; packed=$disk.xz ;;
  zstd) step "compress (zstd)"; zstd -q -T0 -19 -f "$disk" -o "$disk.zst"; packed=$disk.zst ;;
  none) packed="" ;;
esac
step "done"
ls -l "$disk" ${packed:+"$packed"}
echo "$name: raw $(( $(stat -c %s "$disk") / 1048576 )) MiB${packed:+, compressed $(( $(stat -c %s "$packed") / 1048576 )) MiB}, built in $(( $(date +%s) - t0 )) s"
