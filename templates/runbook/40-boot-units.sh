# ---- boot units ------------------------------------------------------------------------------
# The units that run at every boot: resctrl groups and schemata, hugepages, SR-IOV, the VMs'
# start order.

host_units() {
  applying host.units
  local u g
  if [ "${#RESCTRL_DEFAULT[@]}" -gt 0 ]; then
    install_file "$HERE/host/resctrl/schemata" /etc/rtc/resctrl/schemata 0644
    for g in "${RESCTRL_GROUPS[@]}"; do
      install_file "$HERE/host/resctrl/$g/cpus_list" "/etc/rtc/resctrl/$g/cpus_list" 0644
      install_file "$HERE/host/resctrl/$g/schemata" "/etc/rtc/resctrl/$g/schemata" 0644
    done
  fi
  local p
  for p in "${SRIOV_PFS[@]}"; do # the VF counts to return to on rollback
    keep "sriov_numvfs-${p%%|*}" read_file "/sys/bus/pci/devices/${p%%|*}/sriov_numvfs"
  done
  [ "${#UNITS[@]}" -gt 0 ] || return 0
  install_units "${UNITS[@]}"
  [ "$WROTE" = 0 ] || REBOOT=1 # the units act at boot
  for u in "${UNITS[@]}"; do
    enable "$u"
  done
}

# install_units UNIT...: the bundle's host/systemd units as /etc/systemd/system files, each recorded
# for rollback; systemd reloads when one was written (WROTE=1 then, for the caller).
install_units() {
  local u
  WROTE=0
  for u in "$@"; do
    install_file "$HERE/host/systemd/$u" "/etc/systemd/system/$u" 0644
    record "unit $u"
  done
  [ "$WROTE" = 0 ] || run systemctl daemon-reload
}

# remove_unit UNIT: disabled, then its file restored (or removed). A unit systemctl could not
# disable keeps its file, so that the next rollback finds it and disables it then.
remove_unit() {
  local f=/etc/systemd/system/$1 before=${#UNDONE[@]}
  [ -e "$ROOT$f" ] || return 0
  try systemctl disable "$1"
  if [ "${#UNDONE[@]}" != "$before" ]; then
    note "$f stays until it is disabled (run rollback again)"
    return 0
  fi
  restore "$f"
  try systemctl daemon-reload
}

# rollback_units: rtc's boot units disabled and removed, its resctrl groups removed (their CPUs
# return to the default group), and the resctrl files it installed.
rollback_units() {
  applying rollback.units
  local u g
  for u in "${UNITS[@]}"; do
    if recorded "unit $u"; then remove_unit "$u"; fi
  done
  for g in "${RESCTRL_GROUPS[@]}"; do
    if [ -d "$ROOT/sys/fs/resctrl/$g" ]; then try rmdir "$ROOT/sys/fs/resctrl/$g"; fi # its CPUs return to the default group
  done
  if [ -d "$ROOT/etc/rtc/resctrl" ]; then try rm -rf "$ROOT/etc/rtc/resctrl"; fi
}
