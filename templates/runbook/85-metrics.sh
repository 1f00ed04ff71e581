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

# The checks check-host runs, by ID, and how many of each differ from the plan now.
metrics_checks() {
  local records ids id failed
  records=$(mktemp)
  TEMP_PATHS+=("$records")
  (
    JSON=1
    STEP_NAME=metrics
    exec 5>"$records"
    FAILS=0
    prove_host >/dev/null 2>&1
  ) || true
  ids=$(sed -n 's/^{"type":"check","step":"metrics","id":"\([^"]*\)","scope":"host","status":"\([a-z]*\)".*/\1 \2/p' "$records")
  printf '# HELP rtc_check_failures What check-host proves, by check ID: how many of its checks differ from the plan now (0: as planned).\n'
  printf '# TYPE rtc_check_failures gauge\n'
  while read -r id; do
    [ -n "$id" ] || continue
    failed=$(awk -v id="$id" '$1 == id && $2 == "failed" { n++ } END { print n + 0 }' <<<"$ids")
    metric rtc_check_failures "check=\"$(prom_label "$id")\"" "$failed"
  done < <(awk '{ print $1 }' <<<"$ids" | sort -u)
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
  cpu0=$(expand_cpus "$ISOLATED" | cut -d, -f1)
  smi=$(smi_count "$cpu0")
  if [ -n "$smi" ]; then
    printf '# HELP rtc_smi_total SMIs the first isolated CPU has counted since boot (MSR_SMI_COUNT).\n'
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
