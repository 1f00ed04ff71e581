#!/bin/bash
# [=header?no_esc]
# The stressor workload of VM [=vm]: runs until it is killed. Installed by cloud-init as
# /usr/local/sbin/rtc-stress and started by runbook.sh's 'stress' step.
set -Eeuo pipefail

workload=[=workload]

case "$workload" in
  kernel-build)
    # The guide's load: build Linux over and over with one job per vCPU.
    version=6.7
    src=/var/tmp/rtc-kernel
    if [ ! -d "$src/linux-$version" ]; then
      mkdir -p "$src"
      wget -q -O "$src/linux-$version.tar.xz" "https://cdn.kernel.org/pub/linux/kernel/v6.x/linux-$version.tar.xz"
      tar -C "$src" -xf "$src/linux-$version.tar.xz"
    fi
    cd "$src/linux-$version"
    make x86_64_defconfig >/dev/null
    while true; do
      make -j"$(nproc)" >/dev/null 2>&1 || true
      make clean >/dev/null 2>&1
    done
    ;;
  stress-ng)
    # CPU, cache and memory pressure on every vCPU.
    exec stress-ng --cpu 0 --cache "$(nproc)" --vm 2 --vm-bytes 50% --timeout 0
    ;;
  *)
    echo "rtc-stress: unknown workload '$workload'" >&2
    exit 2
    ;;
esac
