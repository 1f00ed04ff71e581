# ---- metrics ---------------------------------------------------------------------------------
# After handover: what check-host proves, as metrics Prometheus reads through node_exporter's
# textfile collector (no daemon of rtc's, no port): each check ID's failures now, whether the
# planned kernel and command line run, the bundle's digest, the SMIs and device interrupts on the
# isolated CPUs since boot, and resctrl's cache occupancy and memory bandwidth per group where the
# hardware monitors them. Read-only; the rules in monitoring/ alert on them (docs/monitoring.md).

# prom_label VALUE: a label value as the text format escapes it (backslash, quote, newline).
prom_label() {
  local v=${1//\\/\\\\}
  v=${v//\"/\\\"}
  printf '%s' "${v//$'\n'/\\n}"
}

# metric NAME LABELS VALUE: one sample, with the bundle's label first.
metric() { printf '%s{bundle="%s"%s} %s\n' "$1" "$(prom_label "$BUNDLE")" "${2:+,$2}" "$3"; }

# The checks check-host runs, by ID, and verify's of each VM (pins, emulator threads, cache group,
# devices; in a real-time guest its kernel, command line and tuning, read through its agent): how
# many of each differ from the plan now.
metrics_checks() {
  local records rows
  records=$(mktemp)
  TEMP_PATHS+=("$records")
  (
    JSON=1
    STEP_NAME=metrics
    exec 5>"$records"
    FAILS=0
    NOT_REALTIME=()
    prove_host >/dev/null 2>&1
    prove_vms >/dev/null 2>&1
  ) || true
  # "scope id status" per check record; the host's checks have scope host, a guest's its VM's name.
  rows=$(sed -n 's/^{"type":"check","step":"metrics","id":"\([^"]*\)","scope":"\([^"]*\)","status":"\([a-z]*\)".*/\2 \1 \3/p' "$records")
  printf '# HELP rtc_check_failures What check-host and verify prove, by check ID (vm: a VM'"'"'s): how many of its checks differ from the plan now (0: as planned).\n'
  printf '# TYPE rtc_check_failures gauge\n'
  awk '{ key = $1 " " $2; if (!(key in n)) { order[++k] = key; n[key] = 0 } if ($3 == "failed") n[key]++ }
    END { for (i = 1; i <= k; i++) print order[i], n[order[i]] }' <<<"$rows" | sort | while read -r scope id failed; do
    if [ "$scope" = host ]; then
      metric rtc_check_failures "check=\"$(prom_label "$id")\"" "$failed"
    else
      metric rtc_check_failures "check=\"$(prom_label "$id")\",vm=\"$(prom_label "$scope")\"" "$failed"
    fi
  done
}

# Each real-time guest's latency sampler (vms/VM/monitor/rtc-monitor.sh): its histogram and
# counters, fetched through the guest agent, with this bundle's digest added, so that a new bundle
# starts new series. Only the sampler's own families pass, and only with the guest's VM label.
metrics_guests() {
  local vm out digest
  digest=$(prom_label "$(bundle_digest)")
  for vm in "${VMS[@]}"; do
    [ "${VM_ROLE[$vm]}" = realtime ] || continue
    out=$(guest_run "$vm" 30 cat /var/lib/rtc/monitor/latency.prom 2>/dev/null) || continue
    awk -v vm="vm=\"$vm\"" -v d="digest=\"$digest\"" '
      /^# (HELP|TYPE) rtc_latency_[a-z_]+ / { print; next }
      /^rtc_latency_[a-z_]+\{[^}]*\} [0-9.e+-]+$/ && index($0, vm) { sub(/\{/, "{" d ","); print }' <<<"$out"
  done | awk '
    # One group per family, its HELP and TYPE once, whichever guests it came from.
    /^# (HELP|TYPE) / { f = $3; if (!(f in seen)) { seen[f] = 1; order[++k] = f } if (!((f, $2) in head)) head[f, $2] = $0; next }
    { name = $0; sub(/\{.*/, "", name); f = name; if (!(f in seen)) { b = name; sub(/_(bucket|sum|count)$/, "", b); if (b in seen) f = b }
      body[f] = body[f] $0 "\n" }
    END { for (i = 1; i <= k; i++) { f = order[i]; if (body[f] == "") continue; print head[f, "HELP"]; print head[f, "TYPE"]; printf "%s", body[f] } }'
}

# Device interrupts (the numbered rows of /proc/interrupts) handled on each isolated CPU since boot.
metrics_interrupts() {
  local cpu
  [ -r "$ROOT/proc/interrupts" ] || return 0
  printf '# HELP rtc_isolated_device_interrupts_total Device interrupts handled on an isolated CPU since boot (/proc/interrupts).\n'
  printf '# TYPE rtc_isolated_device_interrupts_total counter\n'
  for cpu in $(expand_cpus "$ISOLATED" | tr ',' ' '); do
    metric rtc_isolated_device_interrupts_total "cpu=\"$cpu\"" "$(awk -v c="CPU$cpu" '
      NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) col = i + 1; next }
      col && $1 ~ /^[0-9]+:$/ && $col ~ /^[0-9]+$/ { s += $col }
      END { print s + 0 }' "$ROOT/proc/interrupts")"
  done
}

# resctrl's monitoring: each group's L3 occupancy and total memory bandwidth, per cache instance.
metrics_resctrl() {
  local g d name f n head=0
  for g in "$ROOT/sys/fs/resctrl" "$ROOT"/sys/fs/resctrl/*/; do
    g=${g%/}
    [ -d "$g/mon_data" ] || continue
    name=${g#"$ROOT"/sys/fs/resctrl}
    name=${name#/}
    for d in "$g"/mon_data/mon_L3_*; do
      for f in llc_occupancy mbm_total_bytes; do
        if [ ! -r "$d/$f" ] || [[ ! $(cat "$d/$f") =~ ^[0-9]+$ ]]; then continue; fi
        if [ "$head" = 0 ]; then
          printf '# HELP rtc_resctrl_llc_occupancy_bytes L3 cache a resctrl group occupies now, per cache instance.\n'
          printf '# TYPE rtc_resctrl_llc_occupancy_bytes gauge\n'
          printf '# HELP rtc_resctrl_mbm_total_bytes_total Memory bandwidth a resctrl group used since it was made, per cache instance.\n'
          printf '# TYPE rtc_resctrl_mbm_total_bytes_total counter\n'
          head=1
        fi
        if [ "$f" = llc_occupancy ]; then n=rtc_resctrl_llc_occupancy_bytes; else n=rtc_resctrl_mbm_total_bytes_total; fi
        metric "$n" "group=\"$(prom_label "${name:-default}")\",cache=\"${d##*_}\"" "$(cat "$d/$f")"
      done
    done
  done
}

# metrics_all: every metric, in the text format node_exporter's textfile collector reads.
metrics_all() {
  local smi cpu0 planned=0
  printf '# HELP rtc_info The bundle this host runs, and the digest of its files (sha256 of SHA256SUMS).\n'
  printf '# TYPE rtc_info gauge\n'
  metric rtc_info "digest=\"$(prom_label "$(bundle_digest)")\"" 1
  running_as_planned && planned=1
  printf '# HELP rtc_running_as_planned 1 when the planned kernel runs with every planned argument.\n'
  printf '# TYPE rtc_running_as_planned gauge\n'
  metric rtc_running_as_planned "" "$planned"
  metrics_checks
  metrics_guests
  # An SMI stops every CPU, so a housekeeping CPU counts them all; reading an isolated CPU's MSR
  # would interrupt it (rdmsr on another CPU is an IPI).
  cpu0=$(expand_cpus "$HOUSEKEEPING" | cut -d, -f1)
  smi=$(smi_count "$cpu0")
  if [ -n "$smi" ]; then
    printf '# HELP rtc_smi_total SMIs a housekeeping CPU has counted since boot (MSR_SMI_COUNT); an SMI stops every CPU.\n'
    printf '# TYPE rtc_smi_total counter\n'
    metric rtc_smi_total "cpu=\"$cpu0\"" "$smi"
  fi
  metrics_interrupts
  metrics_resctrl
  printf '# HELP rtc_metrics_timestamp_seconds When these metrics were collected (Unix time).\n'
  printf '# TYPE rtc_metrics_timestamp_seconds gauge\n'
  metric rtc_metrics_timestamp_seconds "" "$(date +%s)"
}

# metrics [--textfile DIR]: the metrics on standard output, or into DIR/rtc_BUNDLE.prom, written whole
# (a temporary file renamed over it) so the collector never reads half of it.
step_metrics() {
  local out
  if [ -z "${TEXTFILE_DIR-}" ]; then
    metrics_all
    return 0
  fi
  [ -d "$TEXTFILE_DIR" ] || fail "metrics: $TEXTFILE_DIR is not a folder (node_exporter's --collector.textfile.directory)"
  out=$TEXTFILE_DIR/rtc_$BUNDLE.prom
  metrics_all >"$out.$$"
  mv -f "$out.$$" "$out"
}

# monitor_pause VM: the guest's latency sampler ends a window it is in (its timer stays; the next
# window skips itself while cyclictest or rtla measures), so that bench and the autopsy measure alone.
monitor_pause() {
  guest_run "$1" 60 /bin/sh -c 'systemctl stop rtc-monitor.service 2>/dev/null; true' >/dev/null 2>&1 || true
}

# ---- watching after handover --------------------------------------------------------------------
# The host step keeps a copy of this bundle in $STATE/bundle, where rtc-metrics.timer runs its
# runbook.sh metrics every few minutes into node_exporter's textfile folder (the unit's
# RTC_TEXTFILE_DIR), on the housekeeping CPUs. Started now when the planned kernel already runs;
# otherwise it starts with the reboot, so that provisioning does not page anyone.
MONITOR_UNITS=(rtc-metrics.service rtc-metrics.timer)

host_monitor() {
  applying host.monitor
  local copy=$STATE/bundle
  if [ -r "$copy/SHA256SUMS" ] && cmp -s "$HERE/SHA256SUMS" "$copy/SHA256SUMS" \
    && (cd "$copy" && sha256sum --quiet --strict -c SHA256SUMS >/dev/null 2>&1); then
    ok "${copy#"$ROOT"} holds this bundle, for rtc-metrics.service"
  else
    run copy_bundle "$copy"
  fi
  record "bundle copy"
  install_units "${MONITOR_UNITS[@]}"
  if running_as_planned; then enable_now rtc-metrics.timer; else enable rtc-metrics.timer; fi
}

# copy_bundle DIR: the files SHA256SUMS names, and it, into DIR, whole: made beside it, then renamed.
copy_bundle() {
  local dir=$1
  rm -rf -- "$dir.new"
  mkdir -p "$dir.new"
  (cd "$HERE" && sed 's/^[0-9a-f]\{64\} [ *]//' SHA256SUMS | tar -cf - SHA256SUMS -T -) | tar -xpf - -C "$dir.new"
  rm -rf -- "$dir"
  mv -- "$dir.new" "$dir"
}

# rollback_monitor: the metrics timer and service removed, the bundle's copy, and the textfile the
# timer wrote in the default folder (a host without rtc has no rtc metrics to go silent).
rollback_monitor() {
  applying rollback.monitor
  local u
  for u in rtc-metrics.timer rtc-metrics.service; do
    if recorded "unit $u"; then remove_unit "$u"; fi
  done
  if recorded "bundle copy" && [ -d "$STATE/bundle" ]; then try rm -rf -- "$STATE/bundle"; fi
  if recorded "bundle copy" && [ -e "$ROOT$TEXTFILE_DEFAULT/rtc_$BUNDLE.prom" ]; then try rm -f -- "$ROOT$TEXTFILE_DEFAULT/rtc_$BUNDLE.prom"; fi
}
