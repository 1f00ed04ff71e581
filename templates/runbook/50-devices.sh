# ---- devices ---------------------------------------------------------------------------------
# Devices given to VMs (VFIO, SR-IOV): drivers, IOMMU groups, and what the guests see of them.

# device_driver ADDRESS: the driver the device is bound to now, or nothing.
device_driver() {
  local link
  link=$(readlink "$ROOT/sys/bus/pci/devices/$1/driver" 2>/dev/null) || return 0
  printf '%s' "${link##*/}"
}

# device_group ADDRESS: its IOMMU group, or nothing while the IOMMU is off.
device_group() {
  local link
  link=$(readlink "$ROOT/sys/bus/pci/devices/$1/iommu_group" 2>/dev/null) || return 0
  printf '%s' "${link##*/}"
}

# check_device WHO ADDRESS ID DRIVER NODE GROUP: the device is where the plan says, as it says.
check_device() {
  local who=$1 addr=$2 id=$3 driver=$4 node=$5 group=$6 dir found before=$FAILS
  dir=/sys/bus/pci/devices/$addr
  if [ ! -e "$ROOT$dir" ]; then
    check_bad device.host "$who" "$who: this host has no PCI device $addr (lspci -D lists them; rtc probe writes host.devices)"
    return 0
  fi
  found="$(read_file "$dir/vendor"):$(read_file "$dir/device")"
  found=${found//0x/}
  if [ "$found" != "$id" ]; then
    check_bad device.host "$who" "$who: $addr is a $found, planned $id: another card in that slot?"
    return 0
  fi
  found=$(read_file "$dir/numa_node")
  [ "$found" = "$node" ] || check_bad device.host "$who" "$who: $addr is on NUMA node $found, planned $node (the VM's CPUs are chosen by it)"
  found=$(device_driver "$addr")
  if [ -n "$driver" ] && [ "$found" != "$driver" ] && [ "$found" != vfio-pci ]; then
    check_bad device.host "$who" "$who: $addr is bound to '${found:-no driver}', planned $driver (or vfio-pci while a VM has it)"
  fi
  found=$(device_group "$addr")
  if [ -n "$group" ] && [ -n "$found" ] && [ "$found" != "$group" ]; then
    check_bad device.host "$who" "$who: $addr is in IOMMU group $found, planned $group (another slot or firmware: probe the host again)"
  fi
  [ "$FAILS" -gt "$before" ] || check_ok device.host "$who" "$who: $addr ($id) on NUMA node $node${group:+, IOMMU group $group}"
}

preflight_devices() {
  local d vm kind addr id driver node group pf vf mac
  [ "${#DEVICES[@]}" -gt 0 ] || return 0
  for d in "${DEVICES[@]}"; do
    IFS='|' read -r vm kind addr id driver node group pf vf mac <<<"$d"
    [ "$kind" = whole ] || continue
    check_device "$vm" "$addr" "$id" "$driver" "$node" "$group"
  done
  for d in "${PF_DEVICES[@]}"; do
    IFS='|' read -r addr id driver node <<<"$d"
    check_device "SR-IOV" "$addr" "$id" "$driver" "$node" ""
    if [ -e "$ROOT/sys/bus/pci/devices/$addr" ] && [ ! -e "$ROOT/sys/bus/pci/devices/$addr/sriov_totalvfs" ]; then
      check_bad device.sriov-capable host "SR-IOV: $addr shows no sriov_totalvfs: SR-IOV is off in the BIOS, or its driver does not offer it"
    fi
  done
  if [ -z "$(ls -A "$ROOT/sys/kernel/iommu_groups" 2>/dev/null)" ]; then
    note "the IOMMU is off until the reboot after 'host' (intel_iommu=on); check-host then checks each device's IOMMU group"
  fi
}

# After the reboot: the IOMMU is on, each whole device's IOMMU group holds only devices of the
# same VM (and bridges), and each physical function has its virtual functions where planned.
prove_devices() {
  [ "${#DEVICES[@]}" -gt 0 ] || return 0
  if [ -z "$(ls -A "$ROOT/sys/kernel/iommu_groups" 2>/dev/null)" ]; then
    check_bad device.iommu host "the IOMMU is off (/sys/kernel/iommu_groups is empty): is VT-d on in the BIOS, and intel_iommu=on on the command line?"
    return 0
  fi
  check_ok device.iommu host "IOMMU on"
  local d e vm kind addr id driver node group pf vf mac member mine others found p count
  for d in "${DEVICES[@]}"; do
    IFS='|' read -r vm kind addr id driver node group pf vf mac <<<"$d"
    if [ "$kind" = vf ]; then
      found=$(readlink "$ROOT/sys/bus/pci/devices/$pf/virtfn$vf" 2>/dev/null) || found=
      if [ "${found##*/}" = "$addr" ]; then check_ok device.vf "$vm" "$vm: VF $vf of $pf is $addr"; else
        check_bad device.vf "$vm" "$vm: VF $vf of $pf is '${found##*/}', planned $addr (systemctl status rtc-sriov)"
      fi
      continue
    fi
    # The devices planned for this VM, to tell the group's members apart.
    mine=" "
    for e in "${DEVICES[@]}"; do [ "${e%%|*}" = "$vm" ] && mine+="$(cut -d'|' -f3 <<<"$e") "; done
    others=()
    found=no
    for member in "$ROOT/sys/bus/pci/devices/$addr/iommu_group/devices/"*; do
      [ -e "$member" ] || [ -L "$member" ] || continue
      member=${member##*/}
      [ "$member" != "$addr" ] || found=yes
      [[ $mine == *" $member "* ]] && continue
      [[ $(read_file "/sys/bus/pci/devices/$member/class") == 0x0604* ]] && continue # a PCI bridge
      others+=("$member")
    done
    if [ "$found" = no ]; then
      check_bad device.iommu-group "$vm" "$vm: $addr is not in an IOMMU group (/sys/bus/pci/devices/$addr/iommu_group): is the device there, and the IOMMU on for it?"
    elif [ "${#others[@]}" -eq 0 ]; then check_ok device.iommu-group "$vm" "$vm: IOMMU group $(device_group "$addr") of $addr holds only its devices"; else
      check_bad device.iommu-group "$vm" "$vm: IOMMU group $(device_group "$addr") of $addr also holds ${others[*]}, which $vm is not given: the VM will not start"
    fi
  done
  for p in "${SRIOV_PFS[@]}"; do
    IFS='|' read -r addr count <<<"$p"
    found=$(read_file "/sys/bus/pci/devices/$addr/sriov_numvfs")
    if [ "$found" = "$count" ]; then check_ok device.sriov-count host "SR-IOV: $count VFs on $addr"; else
      check_bad device.sriov-count host "SR-IOV: $addr has '$found' VFs, planned $count (systemctl status rtc-sriov)"
    fi
  done
}

# What the guest sees: vendor:device of each PCI function, and the MAC of each interface.
guest_pci_ids() { local d; for d in /sys/bus/pci/devices/*; do echo "$(cat "$d/vendor"):$(cat "$d/device")"; done; }
guest_macs() { cat /sys/class/net/*/address; }

# A VM's devices, live: bound to vfio-pci on the host, their interrupts on housekeeping CPUs, and
# seen inside the guest (a whole device by its ids, a virtual function by its MAC).
prove_vm_devices() {
  local vm=$1 d dvm kind addr id driver node group pf vf mac found irq cpus seen
  for d in "${DEVICES[@]}"; do
    IFS='|' read -r dvm kind addr id driver node group pf vf mac <<<"$d"
    [ "$dvm" = "$vm" ] || continue
    found=$(device_driver "$addr")
    if [ "$found" = vfio-pci ]; then check_ok device.vfio "$vm" "$vm: $addr is bound to vfio-pci (the VM has it)"; else
      check_bad device.vfio "$vm" "$vm: $addr is bound to '${found:-no driver}', not vfio-pci: the VM does not have it (virsh dumpxml $vm)"
    fi
    # Its interrupts on the host: the vfio-msi(x)/intx lines of /proc/interrupts that name it.
    while read -r irq; do
      cpus=$(read_file "/proc/irq/$irq/smp_affinity_list")
      if cpus_within "$cpus" "$HOUSEKEEPING"; then check_ok device.irq "$vm" "$vm: IRQ $irq of $addr on housekeeping CPUs $cpus"; else
        check_bad device.irq "$vm" "$vm: IRQ $irq of $addr may run on CPUs $cpus, not only the housekeeping CPUs $HOUSEKEEPING (irqbalance? irqaffinity=?)"
      fi
    done < <(awk -v a="($addr)" 'index($0, a) && /vfio/ { sub(":", "", $1); print $1 }' "$ROOT/proc/interrupts" 2>/dev/null)
    if [ "$DRY_RUN" = 1 ]; then
      printf '   would read in %s: its PCI devices and MACs\n' "$vm"
      continue
    fi
    if [ "$kind" = vf ]; then
      seen=$(guest_run "$vm" 60 /bin/sh -c "$(declare -f guest_macs); guest_macs") || seen=
      if grep -qixF "$mac" <<<"$seen"; then check_ok device.in-guest "$vm" "$vm: the guest has VF $vf of $pf (MAC $mac)"; else
        check_bad device.in-guest "$vm" "$vm: no interface with MAC $mac in the guest (VF $vf of $pf)"
      fi
    else
      seen=$(guest_run "$vm" 60 /bin/sh -c "$(declare -f guest_pci_ids); guest_pci_ids") || seen=
      if grep -qxF "0x${id%%:*}:0x${id#*:}" <<<"$seen"; then check_ok device.in-guest "$vm" "$vm: the guest has $addr ($id)"; else
        check_bad device.in-guest "$vm" "$vm: the guest shows no PCI device $id ($addr)"
      fi
    fi
  done
}

# rollback_devices: whole devices left on vfio-pci given back to their host driver, and each
# physical function's VF count back to what it was.
rollback_devices() {
  applying rollback.devices
  local d kind addr driver prev
  for d in "${DEVICES[@]}"; do
    IFS='|' read -r _ kind addr _ driver _ <<<"$d"
    # A managed device goes back to its host driver when its VM stops; one left on vfio-pci is given
    # back here, unless vfio-pci is where it was before rtc (host.devices says its driver).
    if [ "$kind" = whole ] && [ "$driver" != vfio-pci ] && [ "$(device_driver "$addr")" = vfio-pci ]; then
      try virsh nodedev-reattach "pci_${addr//[:.]/_}"
    fi
  done
  if recorded "unit rtc-sriov.service"; then
    for d in "${SRIOV_PFS[@]}"; do
      addr=${d%%|*}
      prev=$(cat "$STATE/backup/sriov_numvfs-$addr" 2>/dev/null || true)
      [[ $prev =~ ^[0-9]+$ ]] || prev=0
      [ "$(read_file "/sys/bus/pci/devices/$addr/sriov_numvfs")" = "$prev" ] || write_sysfs "/sys/bus/pci/devices/$addr/sriov_numvfs" "$prev"
    done
  fi
}
