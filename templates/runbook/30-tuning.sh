# ---- tuning ----------------------------------------------------------------------------------
# TuneD: the profile, the services, and the sysctls and sysfs values read back.

# Applying a TuneD profile is not free on a running host (it resets NIC channels, moves
# workqueues, walks every CPU): it is applied only when another profile is active or its file changed.
host_tuning() {
  applying host.tuning
  keep tuned-profile sh -c "tuned-adm active 2>/dev/null | sed -n 's/^Current active profile: //p'"
  WROTE=0
  install_file "$HERE/host/tuned/$TUNED_PROFILE/tuned.conf" "/etc/tuned/$TUNED_PROFILE/tuned.conf" 0644
  record "tuned-profile $TUNED_PROFILE"
  enable_now tuned
  local active
  active=$(tuned-adm active 2>/dev/null | sed -n 's/^Current active profile: //p' || true)
  if [ "$WROTE" = 0 ] && [ "$active" = "$TUNED_PROFILE" ]; then
    ok "TuneD profile $TUNED_PROFILE is active and unchanged"
  else
    run tuned-adm profile "$TUNED_PROFILE"
  fi
  if [ "$STALLD" = 1 ]; then
    keep stalld-enabled systemctl is-enabled stalld
    enable_now stalld
    record "stalld"
  fi
}

# enable_now UNIT: enabled and running, by systemctl only when it is not both already.
enable_now() {
  if systemctl is-enabled "$1" >/dev/null 2>&1 && systemctl is-active -q "$1" 2>/dev/null; then
    ok "$1 is enabled and running"
  else
    run systemctl enable --now "$1"
  fi
}

# enable UNIT: enabled at boot, by systemctl only when it is not already.
enable() {
  if systemctl is-enabled "$1" >/dev/null 2>&1; then
    ok "$1 is enabled"
  else
    run systemctl enable "$1"
  fi
}

# prove_tuning WHO FACTS PROFILE STALLD: the TuneD profile active and verified, and the values it
# sets read back (WHO's tuning.value rows of CHECKS; a guest's from its FACTS).
prove_tuning() {
  local who=$1 facts=$2 profile=$3 stalld=$4 active
  active=$(fact "$facts" tuned.active)
  if [ "$active" = "$profile" ]; then check_ok tuned.profile "$who" "$who: TuneD profile $profile active"; else
    check_bad tuned.profile "$who" "$who: TuneD's active profile is '${active:-none}', planned $profile (tuned-adm profile $profile)"
  fi
  case $(fact "$facts" tuned.verify) in
    ok) check_ok tuned.verify "$who" "$who: tuned-adm verify passes" ;;
    missing\ *) check_ok tuned.verify "$who" "$who: tuned-adm verify passes but for knobs this kernel does not have: $(fact "$facts" tuned.verify | cut -d' ' -f2-)" ;;
    absent) check_bad tuned.verify "$who" "$who: TuneD is not installed" ;;
    *) check_bad tuned.verify "$who" "$who: tuned-adm verify fails: the live settings differ from the profile (run tuned-adm verify; /var/log/tuned/tuned.log names them)" ;;
  esac
  if [ "$who" = host ]; then
    check_rows lines host tuning.
  else
    CHECK_FACTS=$facts check_rows lines "$who" tuning.
  fi
  if [ "$stalld" = 1 ]; then
    if [ "$(fact "$facts" stalld)" = active ]; then check_ok tuning.stalld "$who" "$who: stalld running"; else
      check_bad tuning.stalld "$who" "$who: stalld is not running (systemctl enable --now stalld)"
    fi
  fi
}

# sysctl_sources PATH: the files that set PATH's sysctl key (sysctl.d in every place systemd reads
# it, and /etc/sysctl.conf), space-separated; TuneD applies them again after its profile
# (reapply_sysctl = 1), so one of them, not the profile, decides the value.
sysctl_sources() {
  local key=${1#/proc/sys/} f
  key=${key//\//.}
  for f in "$ROOT"/etc/sysctl.d/*.conf "$ROOT"/run/sysctl.d/*.conf "$ROOT"/usr/local/lib/sysctl.d/*.conf "$ROOT"/usr/lib/sysctl.d/*.conf \
    "$ROOT"/lib/sysctl.d/*.conf "$ROOT"/etc/sysctl.conf; do
    [ -f "$f" ] || continue
    if awk -v k="$key" -F= '{ gsub(/[[:space:]]/, "", $1); sub(/^-/, "", $1); gsub(/\//, ".", $1) } $1 == k { found = 1 } END { exit !found }' "$f"; then
      printf '%s ' "${f#"$ROOT"}"
    fi
  done
}

# write_sysfs FILE VALUE: for rollback, a kernel setting back to VALUE (a VF count through 0, as the kernel asks).
write_sysfs() {
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would write: %s to %s\n' "$2" "$1"
    return 0
  fi
  printf '   + echo %s > %s\n' "$2" "$1"
  if ! { [[ $1 != */sriov_numvfs ]] || echo 0 >"$ROOT$1"; } 2>/dev/null || ! echo "$2" >"$ROOT$1" 2>/dev/null; then
    UNDONE+=("echo $2 > $1")
    printf '   could not: echo %s > %s (going on)\n' "$2" "$1" >&2
  fi
}

# rollback_tuning: the TuneD profile that was active before (or TuneD off), rtc's profile file,
# and stalld as it was.
rollback_tuning() {
  applying rollback.tuning
  local profile
  if recorded "tuned-profile $TUNED_PROFILE"; then
    profile=$(cat "$STATE/backup/tuned-profile" 2>/dev/null || true)
    if [ -n "$profile" ] && [ "$profile" != "$TUNED_PROFILE" ]; then try tuned-adm profile "$profile"; else try tuned-adm off; fi
    restore "/etc/tuned/$TUNED_PROFILE/tuned.conf"
  fi
  if recorded stalld && [ "$(cat "$STATE/backup/stalld-enabled" 2>/dev/null)" != enabled ]; then try systemctl disable --now stalld; fi
}
