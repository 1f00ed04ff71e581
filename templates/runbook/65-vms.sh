# ---- VMs -------------------------------------------------------------------------------------
# Networks, definitions, the first boot, the guest agent, and what each guest proves.

preflight_network() {
  local n
  for n in "${BRIDGES[@]}"; do
    if [ -d "$ROOT/sys/class/net/$n/bridge" ]; then check_ok network.bridge host "bridge $n exists"; else
      check_bad network.bridge host "the VMs' NICs need bridge $n, which this host does not have (ip link add $n type bridge, and a port on it)"
    fi
  done
  for n in "${MACVTAP_IFACES[@]}"; do
    if [ -e "$ROOT/sys/class/net/$n" ]; then check_ok network.macvtap host "interface $n exists (macvtap)"; else
      check_bad network.macvtap host "the VMs' NICs need host interface $n (macvtap), which this host does not have (ip link lists them)"
    fi
  done
  have virsh || return 0
  for n in "${SITE_NETWORKS[@]}"; do
    if virsh net-info "$n" 2>/dev/null | grep -qE '^Active:[[:space:]]+yes'; then check_ok network.libvirt host "libvirt network $n is active"; else
      check_bad network.libvirt host "the VMs' NICs need libvirt network $n, which is not defined or not active here (virsh net-list --all)"
    fi
  done
  for n in "${NETWORKS[@]}"; do
    if virsh net-info "$n" >/dev/null 2>&1; then
      check_ok network.libvirt host "libvirt network $n exists"
    else
      note "libvirt network $n does not exist yet: the vms step defines it from ${NETWORK_FILE[$n]}"
    fi
  done
}

step_vms() {
  guard vms
  say "vms: networks, then define and start the VMs in the plan's order"
  local n vm owner sum
  # Every domain's owner before the first change: a foreign domain named like the second VM
  # stops the step before the first VM is defined, not after it was started.
  for vm in "${VMS[@]}"; do
    owner=$(domain_owner "$vm")
    if [ "$owner" = other ]; then
      fail "a domain named $vm exists and rtc did not define it (it has no rtc metadata): rename or remove it, then run vms again; nothing was changed"
    fi
  done
  applying host.networks
  for n in "${NETWORKS[@]}"; do ensure_network "$n"; done
  for vm in "${VMS[@]}"; do
    applying vm.domain "$vm"
    owner=$(domain_owner "$vm")
    sum=$(sha256sum <"$HERE/vms/$vm/domain.xml" | cut -d' ' -f1)
    if [ "$owner" = rtc ] && [ "$(cat "$STATE/domains/$vm.sha256" 2>/dev/null)" = "$sum" ]; then
      ok "$vm is defined as planned"
    else
      run virsh define "$HERE/vms/$vm/domain.xml"
      [ "$DRY_RUN" = 1 ] || { mkdir -p "$STATE/domains" && printf '%s\n' "$sum" >"$STATE/domains/$vm.sha256"; }
      # Started by rtc-vms.service in plan order, never by libvirt's autostart in its own order.
      run virsh autostart --disable "$vm"
    fi
    record "domain $vm"
    if [ "$(virsh domstate "$vm" 2>/dev/null)" = running ]; then
      ok "$vm is running (a changed domain.xml applies at its next start: virsh shutdown $vm, then ./runbook.sh vms)"
    else
      run virsh start "$vm"
    fi
  done
  applying host.vms-unit
  WROTE=0
  install_file "$HERE/host/systemd/rtc-vms.service" /etc/systemd/system/rtc-vms.service 0644
  record "unit rtc-vms.service"
  [ "$WROTE" = 0 ] || run systemctl daemon-reload
  enable rtc-vms.service
}

# A network the VMs use: there and active, or defined from the bundle and started.
ensure_network() {
  local n=$1 info
  if info=$(virsh net-info "$n" 2>/dev/null); then
    if grep -qE '^Active:[[:space:]]+yes' <<<"$info"; then
      ok "libvirt network $n is active"
    else
      run virsh net-start "$n"
    fi
    grep -qE '^Autostart:[[:space:]]+yes' <<<"$info" || run virsh net-autostart "$n"
    return 0
  fi
  run virsh net-define "$HERE/${NETWORK_FILE[$n]}"
  record "network $n"
  run virsh net-autostart "$n"
  run virsh net-start "$n"
}

# A domain rtc defined for this bundle carries rtc's element in its metadata.
# Who owns domain $1: none (there is no such domain), rtc (it carries this bundle's metadata) or
# other. virsh's words are read, not only its exit code: a busy domain (its job lock held by a
# guest-agent call just made) fails too, and is asked again; if virsh still cannot say, neither
# can the runbook, and it stops rather than guess (a guess either leaves rtc's VM running or
# touches one that is not rtc's).
domain_owner() {
  local out i
  for i in 1 2 3 4 5 6; do
    if out=$(virsh metadata "$1" --uri https://rtc.dev/xmlns/libvirt/1 2>&1); then
      case $out in *"name=\"$BUNDLE\""*) echo rtc ;; *) echo other ;; esac
      return 0
    fi
    case $out in
      *"metadata not found"*) echo other; return 0 ;;
      *"failed to get domain"* | *"Domain not found"*) echo none; return 0 ;;
    esac
    [ "$i" = 6 ] || sleep 2
  done
  fail "cannot tell whether domain $1 is rtc's; virsh says: $out"
}

step_wait() {
  applying vm.first-boot
  need_root wait
  say "wait: each VM's first boot (cloud-init installs its packages, and real-time VMs reboot once)"
  local vm
  for vm in "${VMS[@]}"; do wait_guest "$vm"; done
}

# Bounded: the guest agent answers, cloud-init is done, and a real-time VM has rebooted into
# rtc's kernel arguments. On a timeout, says what was seen last and where to look.
wait_guest() {
  local vm=$1 deadline=$((SECONDS + GUEST_TIMEOUT)) status='' seen="no answer from its guest agent" next=$SECONDS
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would wait for %s: its guest agent, cloud-init done%s\n' "$vm" "$([ -n "${VM_GUEST_ARGS[$vm]}" ] && echo ', and its reboot')"
    return 0
  fi
  while :; do
    if virsh qemu-agent-command "$vm" '{"execute":"guest-ping"}' >/dev/null 2>&1; then
      status=$(guest_run "$vm" 60 cloud-init status 2>/dev/null | sed -n 's/^status: //p' || true)
      seen="cloud-init: ${status:-no status}"
      case $status in
        done)
          if [ -z "${VM_GUEST_ARGS[$vm]}" ] || guest_run "$vm" 60 cat /proc/cmdline 2>/dev/null | grep -q -- "${VM_GUEST_ARGS[$vm]%% *}"; then
            ok "$vm: ready (cloud-init done$([ -n "${VM_GUEST_ARGS[$vm]}" ] && echo ', rebooted into its kernel arguments'))"
            return 0
          fi
          seen="cloud-init done, but not yet rebooted into rtc's kernel arguments" ;;
        error | degraded*)
          fail "$vm: cloud-init reports '$status'. Look: ./runbook.sh guest $vm cloud-init status --long, and /var/log/cloud-init-output.log in the guest" ;;
      esac
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      fail "$vm: not ready after $((GUEST_TIMEOUT / 60)) minutes ($seen). Look: virsh console $vm (its first boot installs packages and reboots once), virsh domstate $vm; then run wait again"
    fi
    if [ "$SECONDS" -ge "$next" ]; then
      printf '   waiting for %s: %s (%d of at most %d minutes)\n' "$vm" "$seen" "$(((SECONDS - deadline + GUEST_TIMEOUT) / 60))" "$((GUEST_TIMEOUT / 60))"
      next=$((SECONDS + 60))
    fi
    sleep 5
  done
}

step_verify() {
  say "verify: pins, cache groups and each real-time guest's kernel, arguments and tuning"
  FAILS=0
  NOT_REALTIME=()
  prove_vms
  [ "$FAILS" = 0 ] || fail "$FAILS checks failed (above): the VMs are not as planned, and bench will not judge them"
  ok "the VMs are as planned"
}

prove_vms() {
  local vm expected found i pins
  for vm in "${VMS[@]}"; do
    IFS=, read -r -a pins <<<"${VM_PINS[$vm]}"
    local before=$FAILS
    for i in "${!pins[@]}"; do
      # virsh prints a table: " VCPU   CPU Affinity", a rule, then " 0      4".
      found=$(virsh vcpupin "$vm" --vcpu "$i" --live 2>/dev/null | awk -v i="$i" '$1 == i && NF >= 2 { print $2 }' || true)
      [ "$(expand_cpus "$found")" = "${pins[$i]}" ] || check_bad vm.pins "$vm" "$vm vCPU $i runs on CPU '${found}', planned ${pins[$i]}"
    done
    [ "$FAILS" -gt "$before" ] || check_ok vm.pins "$vm" "$vm: vCPUs 0-$((${#pins[@]} - 1)) pinned to ${VM_PINS[$vm]}"
    # "emulator: CPU Affinity", a rule, then "       *: 56,58,60,62" (libvirt may write ranges).
    found=$(virsh emulatorpin "$vm" --live 2>/dev/null | awk -F: 'NF > 1 && $1 ~ /\*/ { gsub(/ /, "", $2); print $2 }' || true)
    expected=${VM_EMULATOR[$vm]}
    if [ "$(expand_cpus "$found")" = "$(expand_cpus "$expected")" ]; then check_ok vm.emulator "$vm" "$vm: emulator threads on $expected"; else
      check_bad vm.emulator "$vm" "$vm emulator threads on '$found', planned $expected"
    fi
    if [ -n "${VM_RESCTRL[$vm]}" ]; then
      local group
      if [ "${#RESCTRL_GROUPS[@]}" -gt 0 ]; then
        group=$ROOT/sys/fs/resctrl/${VM_GROUP[$vm]}
      else
        # libvirt names its group qemu-<domid>-<name>-vcpus_<list>; the domain id changes at every start.
        group=$(find "$ROOT/sys/fs/resctrl" -maxdepth 1 -name "qemu-*-$vm-vcpus_*" -print -quit 2>/dev/null || true)
      fi
      found=$(schemata_for "$(schemata_lines "${group#"$ROOT"}/schemata")" "${VM_RESCTRL[$vm]}")
      if [ -n "$group" ] && check_matches schemata "$found" "${VM_RESCTRL[$vm]}"; then
        check_ok resctrl.vm-group "$vm" "$vm: cache group ${VM_RESCTRL[$vm]}"
      else
        [ -n "$group" ] || found=missing
        check_bad resctrl.vm-group "$vm" "$vm cache group is '$found', planned '${VM_RESCTRL[$vm]}'"
      fi
    fi
    prove_vm_devices "$vm"
    [ "${VM_ROLE[$vm]}" = realtime ] || continue
    prove_guest "$vm"
  done
}

# cpus_within LIST SET: every CPU of LIST is in SET (cpulists, as the kernel writes them).
cpus_within() {
  local c set
  set=",$(expand_cpus "$2"),"
  for c in $(expand_cpus "$1" | tr , ' '); do
    [[ $set == *",$c,"* ]] || return 1
  done
}

# A real-time guest's kernel, command line and tuning, read inside it through its agent.
prove_guest() {
  local vm=$1 facts files=()
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would read in %s: its kernel, /proc/cmdline and TuneD state\n' "$vm"
    return 0
  fi
  mapfile -t files < <(check_files "$vm" tuning.)
  if ! facts=$(guest_run "$vm" 120 /bin/bash -c "$(declare -f collect_facts); ROOT=; collect_facts \"\$@\"" facts "${files[@]}"); then
    check_bad guest.agent "$vm" "$vm: its guest agent does not answer (is it booted? ./runbook.sh wait)"
    return 0
  fi
  prove_kernel "$vm" "$facts" "${VM_KERNEL_RT[$vm]}" "${VM_KERNEL_RELEASE[$vm]}" "${VM_KERNEL_NAME[$vm]}"
  local args=()
  read -r -a args <<<"${VM_GUEST_ARGS[$vm]}"
  SOURCE_FACTS=$facts prove_cmdline "$vm" "$(fact "$facts" cmdline)" "${args[@]}"
  prove_tuning "$vm" "$facts" "${VM_TUNED_PROFILE[$vm]}" "${VM_STALLD[$vm]}"
}

# expand_cpus LIST: a cpulist as comma-separated CPUs ("4-6,9" -> "4,5,6,9"), to compare sets
# however libvirt or the kernel chose to write them.
expand_cpus() {
  local part i out=() parts=()
  IFS=, read -r -a parts <<<"$1"
  for part in "${parts[@]}"; do
    if [[ $part =~ ^[0-9]+-[0-9]+$ ]]; then
      for ((i = ${part%-*}; i <= ${part#*-}; i++)); do out+=("$i"); done
    else
      out+=("$part")
    fi
  done
  local IFS=,
  echo "${out[*]}"
}

# json_strings ARG...: the arguments as a JSON array. Each goes through jq on its input: given
# to jq as arguments, one like -c would be taken for jq's own option.
json_strings() {
  local a
  for a in "$@"; do printf '%s' "$a" | jq -Rs .; done | jq -sc .
}

# guest_run VM TIMEOUT_SECONDS CMD...: runs CMD in the guest through the QEMU guest agent and
# prints its standard output; fails when the agent does not answer, CMD exits non-zero, or it
# outlives the timeout.
guest_run() {
  local vm=$1 timeout=$2 request pid status deadline
  shift 2
  request=$(jq -nc --arg path "$1" --argjson arg "$(json_strings "${@:2}")" \
    '{execute: "guest-exec", arguments: {path: $path, arg: $arg, "capture-output": true}}')
  pid=$(virsh qemu-agent-command "$vm" "$request" 2>/dev/null | jq -r '.return.pid // empty' 2>/dev/null) || true
  [ -n "$pid" ] || { echo "the guest agent of $vm does not answer" >&2; return 1; }
  deadline=$((SECONDS + timeout))
  while :; do
    status=$(virsh qemu-agent-command "$vm" "$(jq -nc --argjson pid "$pid" '{execute: "guest-exec-status", arguments: {pid: $pid}}')" 2>/dev/null) || status=
    if [ -n "$status" ] && [ "$(jq -r '.return.exited // false' <<<"$status" 2>/dev/null)" = true ]; then
      jq -r '.return["out-data"] // ""' <<<"$status" | base64 -d
      [ "$(jq -r '.return.exitcode' <<<"$status")" = 0 ] || return 1
      return 0
    fi
    [ "$SECONDS" -lt "$deadline" ] || { echo "guest command timed out in $vm: $*" >&2; return 1; }
    sleep 1
  done
}

step_guest() {
  need_root guest
  [ $# -ge 2 ] || { echo "usage: ./runbook.sh guest VM COMMAND [ARG...]" >&2; exit 2; }
  if [ "$DRY_RUN" = 1 ]; then
    # The command may change the guest (and through its devices, the plant): a dry run only says it.
    echo "rtc runbook for $BUNDLE: guest (dry run: nothing is written or changed)"
    printf '   would run in %s:' "$1"
    printf ' %q' "${@:2}"
    printf '\n'
    return 0
  fi
  guest_run "$1" 300 "${@:2}"
}

# rollback_vms: rtc's domains stopped and undefined (last first), and their boot unit; a domain
# rtc did not define is left alone.
rollback_vms() {
  applying rollback.vms
  local i vm owner
  for ((i = ${#VMS[@]} - 1; i >= 0; i--)); do
    vm=${VMS[$i]}
    if ! owner=$(domain_owner "$vm"); then
      UNDONE+=("virsh undefine $vm (virsh could not say whether it is rtc's)")
    elif [ "$owner" = none ]; then
      ok "$vm: not defined"
    elif [ "$owner" = rtc ]; then
      [ "$(virsh domstate "$vm" 2>/dev/null)" != running ] || try virsh destroy "$vm"
      try virsh undefine "$vm"
    else
      note "$vm: a domain of that name exists, but rtc did not define it: left alone"
    fi
  done
  if recorded "unit rtc-vms.service"; then remove_unit rtc-vms.service; fi
}

# rollback_networks: the libvirt networks rtc defined.
rollback_networks() {
  applying rollback.networks
  local n
  for n in "${NETWORKS[@]}"; do
    if recorded "network $n"; then
      virsh net-info "$n" >/dev/null 2>&1 && { try virsh net-destroy "$n"; try virsh net-undefine "$n"; }
    fi
  done
}
