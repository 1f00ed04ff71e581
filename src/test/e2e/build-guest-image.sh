#!/bin/bash
# Builds a bootable Debian 12 (bookworm) qcow2 image for the end-to-end test, from Debian's
# package registry only: debootstrap into an ext4 partition, then GRUB in the MBR gap by hand.
#
#   build-guest-image.sh OUTPUT.qcow2 [MIRROR]
#
# Needs root, debootstrap, sfdisk, losetup, mkfs.ext4 and qemu-img. The machines this runs on have
# no udev for loop partitions, so the partition is a loop device at an offset, and GRUB's boot
# sector and core image are written with dd instead of grub-install (which would probe devices).
# The image carries what the bundle's cloud-init would otherwise download under emulation
# (qemu-guest-agent, rt-tests, rtla, stress-ng, tuned), so the test's first boot is shorter; and
# Debian's PREEMPT_RT kernel, linux-image-rt-amd64, whose initramfs costs seconds here and over 30
# minutes under emulation. The image boots its stock kernel first: the bundle's cloud-init makes the
# real-time kernel GRUB's default and reboots into it, as on a real guest.
set -Eeuo pipefail

out=$1
mirror=${2:-http://deb.debian.org/debian}
work=$(mktemp -d /var/tmp/rtc-image.XXXXXX)
raw=$work/disk.raw
mnt=$work/mnt
loop=

cleanup() {
  set +e
  for m in dev/pts dev proc sys; do mountpoint -q "$mnt/$m" && umount "$mnt/$m"; done
  mountpoint -q "$mnt" && umount "$mnt"
  [ -n "$loop" ] && losetup -d "$loop"
  rm -rf "$work"
}
trap cleanup EXIT

size_mib=3072
truncate -s "${size_mib}M" "$raw"
# One bootable Linux partition from 1 MiB to the end; the gap before it holds GRUB's core image.
printf 'label: dos\nstart=2048, type=83, bootable\n' | sfdisk -q "$raw"
loop=$(losetup -f --show -o $((2048 * 512)) --sizelimit $(((size_mib - 1) * 1024 * 1024)) "$raw")
mkfs.ext4 -q -L root "$loop"
mkdir -p "$mnt"
mount "$loop" "$mnt"

# Phase 1: the base system. Phase 2: the rest inside the new system, with services kept from
# starting (policy-rc.d) and grub-pc told not to install itself anywhere (that is done by hand below).
debootstrap --include=ca-certificates bookworm "$mnt" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -40 "$mnt/debootstrap/debootstrap.log" >&2; exit 1; }
for m in proc sys dev dev/pts; do mount --bind "/$m" "$mnt/$m"; done
printf '#!/bin/sh\nexit 101\n' >"$mnt/usr/sbin/policy-rc.d"
chmod +x "$mnt/usr/sbin/policy-rc.d"
chroot "$mnt" debconf-set-selections <<DEBCONF
grub-pc grub-pc/install_devices multiselect
grub-pc grub-pc/install_devices_empty boolean true
DEBCONF
DEBIAN_FRONTEND=noninteractive chroot "$mnt" apt-get install -y -q --no-install-recommends \
  linux-image-amd64 linux-image-rt-amd64 grub-pc cloud-init qemu-guest-agent ifupdown isc-dhcp-client rt-tests rtla stress-ng tuned tuna jq sudo \
  >"$work/apt.log" 2>&1 || { tail -60 "$work/apt.log" >&2; exit 1; }
chroot "$mnt" apt-get clean
rm -f "$mnt/usr/sbin/policy-rc.d"
for m in dev/pts dev sys proc; do umount "$mnt/$m"; done

cat >"$mnt/etc/fstab" <<FSTAB
LABEL=root / ext4 errors=remount-ro 0 1
FSTAB
echo rtc-e2e >"$mnt/etc/hostname"
cat >"$mnt/etc/apt/sources.list" <<APT
deb $mirror bookworm main
APT
# Cloud-init: the NoCloud seed only (no network metadata lookups that would time out), and a
# locale every glibc has (the image has no locales package).
cat >"$mnt/etc/cloud/cloud.cfg.d/90-rtc-e2e.cfg" <<CFG
datasource_list: [ NoCloud, None ]
locale: C.UTF-8
CFG

# GRUB: boot.img's first 440 bytes in the MBR (the partition table stays), core.img from sector 1.
# core.img finds /boot/grub on the first partition; the guest's update-grub writes grub.cfg.
chroot "$mnt" grub-mkimage -O i386-pc -o /tmp/core.img -p '(hd0,msdos1)/boot/grub' biosdisk part_msdos ext2
dd if="$mnt/usr/lib/grub/i386-pc/boot.img" of="$raw" bs=440 count=1 conv=notrunc status=none
dd if="$mnt/tmp/core.img" of="$raw" bs=512 seek=1 conv=notrunc status=none
rm -f "$mnt/tmp/core.img"
mkdir -p "$mnt/boot/grub"
cp -r "$mnt/usr/lib/grub/i386-pc" "$mnt/boot/grub/"
kernel=$(cd "$mnt/boot" && ls vmlinuz-* | grep -v -- '-rt-' | sort -V | tail -1)
initrd=initrd.img-${kernel#vmlinuz-}
# A first grub.cfg; cloud-init's update-grub replaces it on the first boot.
cat >"$mnt/boot/grub/grub.cfg" <<GRUB
serial --speed=115200
terminal_input console serial
terminal_output console serial
set timeout=0
menuentry 'Debian GNU/Linux' {
  insmod part_msdos
  insmod ext2
  search --no-floppy --label root --set=root
  linux /boot/$kernel root=LABEL=root ro console=ttyS0,115200
  initrd /boot/$initrd
}
GRUB
# update-grub in the guest: as Debian's cloud images have it, GRUB itself on the serial console
# and the text console (not gfxterm: the domain has no video device, and a GRUB message there
# waits for a key nobody can see or press), the kernel's console on ttyS0, no os-prober.
cat >>"$mnt/etc/default/grub" <<GRUBDEF
GRUB_CMDLINE_LINUX="console=tty0 console=ttyS0,115200"
GRUB_TIMEOUT=0
GRUB_RECORDFAIL_TIMEOUT=0
GRUB_TERMINAL="console serial"
GRUB_SERIAL_COMMAND="serial --speed=115200"
GRUB_GFXPAYLOAD_LINUX=text
GRUB_DISABLE_OS_PROBER=true
GRUBDEF

umount "$mnt"
losetup -d "$loop"
loop=
qemu-img convert -f raw -O qcow2 "$raw" "$out"
