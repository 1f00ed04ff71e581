#!/bin/bash
# [=header?no_esc]
# The stressor workload of VM [=vm]: runs until it is killed. Installed by cloud-init as
# /usr/local/sbin/rtc-stress and started by runbook.sh's 'stress' step. Needs no internet: its
# packages come with cloud-init's install, from the distribution (or the site's mirror).
set -Eeuo pipefail

workload=[=workload]

case "$workload" in
  kernel-build)
    # The guide's load: build Linux over and over with one job per vCPU, from the source the
    # distribution's linux-source package puts in /usr/src (no download).
    src=/var/tmp/rtc-kernel
    if [ ! -f "$src/Makefile" ]; then
      tarball=$(find /usr/src -maxdepth 2 -name 'linux-source-*.tar.*' | sort -V | tail -n 1)
      [ -n "$tarball" ] || { echo "rtc-stress: no kernel source in /usr/src: is linux-source installed?" >&2; exit 1; }
      rm -rf "$src"
      mkdir -p "$src"
      tar -C "$src" --strip-components=1 -xf "$tarball"
    fi
    cd "$src"
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
