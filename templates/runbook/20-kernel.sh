# ---- kernel and command line -----------------------------------------------------------------
# The real-time kernel (Intel ECI, the distribution's, Ubuntu Pro, RHEL's kernel-rt), the kernel
# command line (the GRUB drop-in, or grubby), their proofs and their undo.

# The kernel command line has one owner: an rtc argument set anywhere else as well would be
# given twice. Found before the host step, named with the file to change.
preflight_cmdline() {
  local linux key files f
  linux=$(grub_cmdline_linux)
  for key in "${HOST_ARG_KEYS[@]}"; do
    case " $linux " in
      *" $key "* | *" $key="*)
        files=$(grep -ls -- "$key" "$ROOT/etc/default/grub" "$ROOT"/etc/default/grub.d/*.cfg 2>/dev/null | grep -v '/99-rtc.cfg$' | sed "s|^$ROOT||" | paste -sd ' ' - || true)
        check_bad preflight.cmdline-owner host "GRUB_CMDLINE_LINUX sets $key (in ${files:-/etc/default/grub}), which rtc sets: remove it there, or it is given twice" ;;
    esac
  done
  for f in "$ROOT"/etc/grub.d/*; do
    if [ ! -f "$f" ] || [ ! -x "$f" ]; then continue; fi
    case "${f##*/}" in 00_header | 05_debian_theme | 10_linux | 10_linux_zfs | 20_linux_xen | 20_memtest86+ | 30_os-prober | 30_uefi-firmware | 35_fwupd | 40_custom | 41_custom | 00_tuned) continue ;; esac
    if grep -qE -- '(isolcpus|nohz_full|rcu_nocbs|irqaffinity)' "$f"; then
      if [ "${f##*/}" = 09_eci ] && [ "$HOST_KERNEL_ECI" = 1 ]; then
        note "${f#"$ROOT"} adds ECI's own isolation arguments: the host step stops it from running (dpkg-statoverride), as rtc owns the command line"
      else
        check_bad preflight.cmdline-owner host "${f#"$ROOT"} adds its own kernel arguments (isolcpus, nohz_full, ...), which rtc sets: make it not executable (chmod -x), or they are given twice"
      fi
    fi
  done
  # The drop-in takes the administrator's other values of rtc's keys out of GRUB_CMDLINE_LINUX_DEFAULT:
  # said here, with the file each comes from, before the host step does it.
  local word planned
  for word in $(grub_cmdline_linux GRUB_CMDLINE_LINUX_DEFAULT); do
    for planned in "${HOST_ARGS[@]}"; do
      if [ "${word%%=*}" = "${planned%%=*}" ] && [ "$word" != "$planned" ]; then
        files=$(grep -lsF -- "$word" "$ROOT/etc/default/grub" "$ROOT"/etc/default/grub.d/*.cfg 2>/dev/null | grep -v '/99-rtc.cfg$' | sed "s|^$ROOT||" | paste -sd ' ' - || true)
        note "rtc's GRUB drop-in replaces $word (in ${files:-/etc/default/grub}) with $planned"
      fi
    done
  done
  f=$(sed -n 's/^TUNED_BOOT_CMDLINE=//p' "$ROOT/etc/tuned/bootcmdline" 2>/dev/null | tr -d '"' || true)
  if [ -n "$f" ]; then
    note "TuneD's bootloader plugin adds '$f'; rtc's TuneD profile switches the plugin off, and check-host makes sure nothing is given twice"
  fi
}

# grub_cmdline_linux [VARIABLE]: GRUB_CMDLINE_LINUX (or the variable named) as grub-mkconfig sees it:
# /etc/default/grub and every drop-in but rtc's, sourced in a subshell.
grub_cmdline_linux() {
  (
    set +eu
    GRUB_CMDLINE_LINUX=
    # shellcheck disable=SC2034 # read through ${!1}
    GRUB_CMDLINE_LINUX_DEFAULT=
    # shellcheck disable=SC1090,SC1091
    [ -r "$ROOT/etc/default/grub" ] && . "$ROOT/etc/default/grub" >/dev/null 2>&1
    for f in "$ROOT"/etc/default/grub.d/*.cfg; do
      # shellcheck disable=SC1090
      [ -r "$f" ] && [ "${f##*/}" != 99-rtc.cfg ] && . "$f" >/dev/null 2>&1
    done
    printf '%s' "${!1:-$GRUB_CMDLINE_LINUX}"
  )
}

# rhel_key_ok: the activation key file holds an org= and a key= line.
rhel_key_ok() { [ -r "$ROOT$RHEL_KEY_FILE" ] && grep -q '^org=.' "$ROOT$RHEL_KEY_FILE" && grep -q '^key=.' "$ROOT$RHEL_KEY_FILE"; }

preflight_rhel() {
  [ "$NEEDS_RHEL_KEY" = 1 ] || return 0
  if rhel_key_ok; then
    check_ok preflight.rhel-key host "RHEL activation key in $RHEL_KEY_FILE (the real-time guests register with it; it stays out of the bundle)"
  else
    check_bad preflight.rhel-key host "the real-time RHEL guests register with an activation key: put org=<organization ID> and key=<activation key> lines in $RHEL_KEY_FILE (chmod 600), or point RTC_RHEL_ACTIVATION_KEY_FILE at it; a site mirror (site.mirrors.rhel) needs none"
  fi
}

preflight_pro() {
  [ "$NEEDS_PRO_TOKEN" = 1 ] || return 0
  if [ -r "$ROOT$PRO_TOKEN_FILE" ] && [ -s "$ROOT$PRO_TOKEN_FILE" ]; then
    check_ok preflight.ubuntu-pro host "Ubuntu Pro token in $PRO_TOKEN_FILE (for the real-time kernel; it stays out of the bundle)"
  else
    check_bad preflight.ubuntu-pro host "Ubuntu's real-time kernel comes with Ubuntu Pro: put your token in $PRO_TOKEN_FILE (chmod 600), or point RTC_UBUNTU_PRO_TOKEN_FILE at it"
  fi
}

# missing_packages PKG...: those not installed yet (dpkg's or rpm's database), one per line.
missing_packages() {
  local p
  if [ "$APT" = 1 ]; then
    local installed
    installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "$@" 2>/dev/null | awk '$1 == "ii" { print $2 }' || true)
    for p in "$@"; do grep -qxF -- "$p" <<<"$installed" || echo "$p"; done
  else
    for p in "$@"; do rpm -q --quiet -- "$p" 2>/dev/null || echo "$p"; done
  fi
}

host_kernel() {
  applying host.kernel
  if [ -n "$REPO_LIST" ]; then
    # The guide's repository: its key in a keyring of its own, named by the list with signed-by.
    WROTE=0
    if [ -s "$ROOT$REPO_KEYRING" ]; then
      ok "$REPO_KEYRING is there"
    else
      backup "$REPO_KEYRING"
      run curl -fsSL --retry 5 -o "$ROOT$REPO_KEYRING" "$REPO_KEY_URL"
      WROTE=1
    fi
    write_file "$REPO_LIST" 0644 "$REPO_LINE"$'\n'
    write_file "$REPO_PREF_FILE" 0644 "$REPO_PREF"
    record "apt-repository $REPO_LIST"
    [ "$WROTE" = 0 ] || run apt-get update
  fi
  if [ "${#EXTRA_REPOS[@]}" -gt 0 ]; then
    # Only the repositories not enabled yet, each recorded: rollback disables what rtc enabled.
    local enabled enable=() r
    enabled=$(subscription-manager repos --list-enabled 2>/dev/null | sed -n 's/^Repo ID:[[:space:]]*//p' || true)
    for r in "${EXTRA_REPOS[@]}"; do
      if grep -qxF -- "$r" <<<"$enabled"; then ok "repository $r is enabled"; else enable+=("--enable=$r"); fi
    done
    if [ "${#enable[@]}" -gt 0 ]; then
      run subscription-manager repos "${enable[@]}"
      for r in "${enable[@]}"; do record "rhel-repository ${r#--enable=}"; done
    fi
  fi
  [ "$HOST_KERNEL_PRO" = 0 ] || pro_attach
  local missing
  missing=$(missing_packages "${HOST_PACKAGES[@]}")
  if [ -z "$missing" ]; then
    ok "packages installed: ${HOST_PACKAGES[*]}"
  else
    # A repository added on an earlier run may not have been read yet: read it before installing.
    if [ -n "$REPO_LIST" ] && [ "$WROTE" = 0 ]; then run apt-get update; fi
    run "${INSTALL[@]}" "${HOST_PACKAGES[@]}"
    REBOOT=1 # a new kernel runs after the next boot
  fi
  if [ "$HOST_KERNEL_PRO" = 1 ]; then
    if pro status --format json 2>/dev/null | jq -e '.services[]? | select(.name == "realtime-kernel") | .status == "enabled"' >/dev/null 2>&1; then
      ok "Ubuntu Pro's realtime-kernel is enabled"
    else
      run pro enable realtime-kernel --assume-yes
      REBOOT=1
    fi
    record "ubuntu-pro realtime-kernel"
  fi
  if [ "$HOST_KERNEL_ECI" = 1 ]; then
    # eci-customizations' /etc/grub.d/09_eci adds its own isolcpus, nohz_full, rcu_nocbs and
    # more; rtc owns the command line, so the script stays installed but does not run.
    if dpkg-statoverride --list /etc/grub.d/09_eci >/dev/null 2>&1; then
      ok "/etc/grub.d/09_eci stays off"
    else
      run dpkg-statoverride --update --add root root 0644 /etc/grub.d/09_eci
      record "statoverride /etc/grub.d/09_eci"
    fi
  fi
}

# Ubuntu Pro: attached with the token from a file on the host, never from the bundle.
pro_attach() {
  if pro status --format json 2>/dev/null | jq -e '.attached == true' >/dev/null 2>&1; then
    ok "Ubuntu Pro is attached"
    return 0
  fi
  [ -s "$ROOT$PRO_TOKEN_FILE" ] || fail "Ubuntu Pro's real-time kernel needs this host attached: put your token in $PRO_TOKEN_FILE (chmod 600), or set RTC_UBUNTU_PRO_TOKEN_FILE; it stays out of the bundle"
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would run: pro attach --attach-config (the token from %s)\n' "$PRO_TOKEN_FILE"
    return 0
  fi
  local cfg
  cfg=$(mktemp "$STATE/pro-attach.XXXXXX")
  TEMP_PATHS+=("$cfg")
  jq -n --rawfile t "$ROOT$PRO_TOKEN_FILE" '{token: ($t | gsub("\\s"; "")), enable_services: []}' >"$cfg"
  printf '   + pro attach --attach-config (the token from %s)\n' "$PRO_TOKEN_FILE"
  pro attach --attach-config "$cfg" || {
    rm -f "$cfg"
    fail "pro attach refused the token in $PRO_TOKEN_FILE"
  }
  rm -f "$cfg"
  record "ubuntu-pro attached"
}

host_cmdline() {
  applying host.cmdline
  if [ "$GRUBBY" = 1 ]; then
    # BLS boot entries: the arguments go into every installed kernel's entry, replacing earlier
    # values of the same keys. What was there is kept first, for rollback.
    keep grubby-info grubby --info=ALL
    keep grubby-default grubby --default-kernel
    backup /etc/default/grub
    backup /etc/kernel/cmdline
    if grubby_args_set; then
      ok "every boot entry has rtc's kernel arguments"
    else
      run grubby --update-kernel=ALL --args="${HOST_ARGS[*]}"
      REBOOT=1 # the command line changes at the next boot
    fi
    record "grubby-args"
    if [ "$HOST_KERNEL_RT" = 1 ]; then
      local rt
      rt=$(newest_rt_kernel)
      if [ -n "$rt" ] && [ "$(grubby --default-kernel 2>/dev/null)" = "/boot/vmlinuz-$rt" ]; then
        ok "the default boot entry is $rt"
      elif [ -n "$rt" ]; then
        run grubby --set-default="/boot/vmlinuz-$rt"
        REBOOT=1
      elif [ "$DRY_RUN" = 0 ]; then
        fail "no kernel with CONFIG_PREEMPT_RT=y in /boot after installing $HOST_KERNEL_NAME"
      fi
    fi
  else
    local dropin=/etc/default/grub.d/99-rtc.cfg
    install_file "$HERE/host/grub/99-rtc.cfg" "$dropin" 0644
    record "grub-dropin"
    # GRUB's menu is made again when what it is made from changed since rtc last made it (the
    # drop-ins, /etc/default/grub, the scripts in /etc/grub.d, the kernels in /boot), and never
    # by a rerun that changed none of them.
    if [ "$(cat "$STATE/grub-inputs" 2>/dev/null)" = "$(grub_inputs)" ]; then
      ok "GRUB's menu was made from these files already"
    else
      run "${GRUB_UPDATE[@]}"
      REBOOT=1 # the menu, and the command line, change at the next boot
      [ "$DRY_RUN" = 1 ] || grub_inputs >"$STATE/grub-inputs"
    fi
  fi
}

# What update-grub makes the menu from, as one checksum.
grub_inputs() {
  {
    cat "$ROOT/etc/default/grub" "$ROOT"/etc/default/grub.d/*.cfg 2>/dev/null || true
    ls -l --time-style=+%s "$ROOT"/etc/grub.d/ "$ROOT"/boot/ 2>/dev/null || true
  } | sha256sum | cut -d' ' -f1
}

# Every boot entry's arguments hold each of rtc's, with rtc's value (false when there is no entry).
grubby_args_set() {
  local info entries=0 args a
  info=$(grubby --info=ALL 2>/dev/null) || return 1
  while IFS= read -r args; do
    entries=$((entries + 1))
    for a in "${HOST_ARGS[@]}"; do
      case " $args " in *" $a "*) ;; *) return 1 ;; esac
    done
  done < <(sed -n 's/^args="\(.*\)"$/\1/p' <<<"$info")
  [ "$entries" -gt 0 ]
}

# The newest kernel in /boot built with CONFIG_PREEMPT_RT=y, by version.
newest_rt_kernel() {
  local c
  for c in "$ROOT"/boot/config-*; do
    if grep -qx 'CONFIG_PREEMPT_RT=y' "$c" 2>/dev/null && [ -e "$ROOT/boot/vmlinuz-${c##*/config-}" ]; then echo "${c##*/config-}"; fi
  done | sort -V | tail -n 1
}

# prove_kernel WHO FACTS RT RELEASE NAME: the planned kernel runs, PREEMPT_RT when it should be.
prove_kernel() {
  local who=$1 facts=$2 rt=$3 release=$4 name=$5 running
  running=$(fact "$facts" osrelease)
  if [ "$rt" = 0 ]; then
    note "$who runs its stock kernel $running, as the manifest chose (realtime: none): isolated, not real-time"
    NOT_REALTIME+=("$who")
    return 0
  fi
  # shellcheck disable=SC2053 # $release is a glob
  if [ "$(fact "$facts" realtime)" != 1 ] && [[ $(fact "$facts" version) != *PREEMPT_RT* ]]; then
    check_bad kernel.realtime "$who" "$who runs $running, which is not a PREEMPT_RT kernel; planned: $name (installed, and the default boot entry?)"
  elif [ -n "$release" ] && [[ $running != $release ]]; then
    check_bad kernel.realtime "$who" "$who runs the real-time kernel $running, not $name (a release like $release)"
  else
    check_ok kernel.realtime "$who" "$who runs $running (PREEMPT_RT, $name)"
  fi
}

# prove_cmdline WHO CMDLINE ARG...: every planned argument exactly once, with rtc's value.
prove_cmdline() {
  local who=$1 cmdline=$2 arg key w found words=() lacking=0 before=$FAILS
  shift 2
  read -r -a words <<<"$cmdline"
  for arg in "$@"; do
    key=${arg%%=*}
    found=()
    for w in "${words[@]}"; do
      [ "${w%%=*}" = "$key" ] && found+=("$w")
    done
    if [ "${#found[@]}" = 0 ]; then
      lacking=$((lacking + 1))
      check_bad kernel.cmdline "$who" "$who: /proc/cmdline lacks $arg"
    elif [ "${#found[@]}" -gt 1 ]; then
      check_bad kernel.cmdline "$who" "$who: $key is on the command line ${#found[@]} times (${found[*]}); rtc's is $arg$(arg_sources "$who" "$key")"
    elif [ "${found[0]}" != "$arg" ]; then
      check_bad kernel.cmdline "$who" "$who: /proc/cmdline has ${found[0]} where rtc planned $arg$(arg_sources "$who" "$key")"
    fi
  done
  if [ "$lacking" -gt 0 ] && [ "$lacking" = "$#" ]; then
    note "$who: none of rtc's arguments are there: did the host step (or cloud-init) run, and did it reboot since?"
  fi
  [ "$FAILS" -gt "$before" ] || check_ok kernel.cmdline "$who" "$who: all $# planned kernel arguments once each, with rtc's values"
}

# Where else an argument comes from, on the host: the files to fix.
arg_sources() {
  local files
  if [ "$1" != host ]; then
    # A guest's files, as its collect_facts printed them (src:FILE=its lines).
    files=$(awk -v k="$2" 'index($0, "src:") == 1 { i = index($0, "="); if (index(substr($0, i + 1), k)) printf "%s ", substr($0, 5, i - 5) }' \
      <<<"${SOURCE_FACTS-}")
    [ -z "$files" ] || printf '; also set in the guest: %s' "${files% }"
    return 0
  fi
  files=$(grep -ls -- "$2" "$ROOT/etc/default/grub" "$ROOT"/etc/default/grub.d/*.cfg "$ROOT"/etc/grub.d/* "$ROOT/etc/tuned/bootcmdline" \
    "$ROOT/etc/kernel/cmdline" 2>/dev/null | grep -v '/99-rtc.cfg$' | sed "s|^$ROOT||" | paste -sd ' ' - || true)
  [ -z "$files" ] || printf '; also set in: %s' "$files"
}

# RHEL: each boot entry gets back the values it had before rtc for rtc's keys (none, if it had
# none), and the default kernel is the one it was.
rollback_grubby() {
  local info=$STATE/backup/grubby-info kernel args key w keep
  try grubby --update-kernel=ALL --remove-args="${HOST_ARG_KEYS[*]}"
  while IFS= read -r kernel; do
    args=$(awk -v k="kernel=\"$kernel\"" '$0 == k { found = 1; next } found && /^args=/ { sub(/^args="/, ""); sub(/"$/, ""); print; exit }' "$info")
    keep=()
    for w in $args; do
      for key in "${HOST_ARG_KEYS[@]}"; do
        [ "${w%%=*}" = "$key" ] && keep+=("$w")
      done
    done
    [ "${#keep[@]}" = 0 ] || try grubby --update-kernel="$kernel" --args="${keep[*]}"
  done < <(sed -n 's/^kernel="\(.*\)"$/\1/p' "$info" 2>/dev/null)
  kernel=$(cat "$STATE/backup/grubby-default" 2>/dev/null || true)
  [ -z "$kernel" ] || try grubby --set-default="$kernel"
  restore /etc/default/grub
  restore /etc/kernel/cmdline
}

# rollback_kernel: the kernel command line as it was (the drop-in, or each boot entry's arguments),
# the repositories rtc added; the kernel packages stay, and the boot default is what it was.
rollback_kernel() {
  applying rollback.kernel
  if recorded "grub-dropin"; then
    if [ -e "$ROOT/etc/default/grub.d/99-rtc.cfg" ] && ! is_rtc_file "$ROOT/etc/default/grub.d/99-rtc.cfg"; then
      note "/etc/default/grub.d/99-rtc.cfg is no longer rtc's file: left alone"
    else
      restore /etc/default/grub.d/99-rtc.cfg
    fi
  fi
  if recorded "statoverride /etc/grub.d/09_eci"; then
    # eci-customizations stays installed, and its 09_eci would put ECI's own isolcpus, nohz_full
    # and rcu_nocbs on a command line the host never had before rtc: it stays off.
    note "/etc/grub.d/09_eci stays off (eci-customizations stays installed; apt-get purge eci-customizations removes both)"
  fi
  if recorded "apt-repository $REPO_LIST"; then
    restore "$REPO_LIST"
    restore "$REPO_PREF_FILE"
    restore "$REPO_KEYRING"
  fi
  local r disable=()
  while IFS= read -r r; do disable+=("--disable=${r#rhel-repository }"); done < <(grep '^rhel-repository ' "$STATE/changes" || true)
  [ "${#disable[@]}" = 0 ] || try subscription-manager repos "${disable[@]}"
  if recorded "grubby-args"; then rollback_grubby; fi
  if recorded "grub-dropin"; then try "${GRUB_UPDATE[@]}"; fi
  if recorded "ubuntu-pro attached" || recorded "ubuntu-pro realtime-kernel"; then
    note "Ubuntu Pro stays attached, and its real-time kernel installed (pro detach undoes it)"
  fi
  note "packages stay installed (${HOST_PACKAGES[*]}); the boot default is what it was before"
}
