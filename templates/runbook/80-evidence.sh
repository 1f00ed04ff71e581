# ---- evidence and verdict --------------------------------------------------------------------
# The report tarball, and the judge that rtc report agrees with.

step_report() {
  applying evidence.report
  guard report
  say "report: pack the evidence to send back"
  local id dir out n=1 vm group
  id=$(current_run)
  if [ -z "$id" ]; then
    id=host-$(date -u +%Y%m%dT%H%M%SZ)
    note "no benchmark has run yet: the report holds the host's state only"
  fi
  dir=$STATE/runs/$id
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would write: %s/results/{host,vms}/ and %s/reports/rtc-%s-%s.tar.gz\n' "$dir" "$STATE" "$BUNDLE" "$id"
    return 0
  fi
  mkdir -p "$dir/results/host" "$dir/results/vms" "$STATE/reports"
  [ -e "$dir/plan.json" ] || cp "$HERE/plan.json" "$dir/plan.json"
  read_file /proc/cmdline >"$dir/results/host/cmdline.txt"
  echo >>"$dir/results/host/cmdline.txt"
  : >"$dir/results/host/resctrl.txt"
  for group in "$ROOT"/sys/fs/resctrl "$ROOT"/sys/fs/resctrl/*/; do
    [ -r "$group/schemata" ] || continue
    { echo "# ${group#"$ROOT"}"; cat "$group/schemata"; } >>"$dir/results/host/resctrl.txt"
  done
  if have lscpu; then lscpu >"$dir/results/host/lscpu.txt" || true; fi
  step_facts >"$dir/results/host/facts.txt"
  collect_facts >"$dir/results/host/state.txt"
  # The platform's latest qualification, where the run does not carry one (a report of the host alone).
  local q
  q=$(cat "$STATE/qualify/latest" 2>/dev/null || true)
  if [ ! -e "$dir/results/host/qualify.json" ] && [ -n "$q" ] && [ -r "$STATE/qualify/$q.json" ]; then
    cp "$STATE/qualify/$q.json" "$dir/results/host/qualify.json"
  fi
  for vm in "${VMS[@]}"; do
    virsh dumpxml "$vm" >"$dir/results/vms/$vm.xml" 2>/dev/null || echo "(not defined)" >"$dir/results/vms/$vm.xml"
    [ "${VM_ROLE[$vm]}" = realtime ] || continue
    # The latency sampler's daily histograms since handover (rtc report draws them, worst day first).
    mkdir -p "$dir/results/monitor/$vm"
    guest_run "$vm" 120 tar -cf - -C /var/lib/rtc/monitor days 2>/dev/null | tar -xf - -C "$dir/results/monitor/$vm" 2>/dev/null \
      || note "$vm: no daily latency histograms (its sampler, rtc-monitor.timer, has not measured yet)"
    rmdir "$dir/results/monitor/$vm" 2>/dev/null || true
  done
  cp "$STATE/runbook.log" "$dir/results/runbook.log" 2>/dev/null || true
  (cd "$dir" && find . -type f ! -name SHA256SUMS -print0 | sort -z | xargs -0 sha256sum) >"$dir/SHA256SUMS"
  # Never over an earlier report: a second one of the same run gets a number.
  out=$STATE/reports/rtc-$BUNDLE-$id.tar.gz
  while [ -e "$out" ]; do
    n=$((n + 1))
    out=$STATE/reports/rtc-$BUNDLE-$id-$n.tar.gz
  done
  tar -czf "$out" -C "$STATE/runs" "$id"
  record_json change evidence.report host changed true "packed $out"
  ok "the evidence: the run's output and autopsy traces, the platform's qualification, the host's command line, resctrl groups, topology facts and kernel state, each VM's live XML, with checksums"
  say "report: send $out. On any machine with rtc, unpack it and run: rtc report $id (report.html: percentiles and a histogram per thread)"
}

# One verdict in two languages: these rules, in this order, are rtc report's (LatencyReport with its
# Evidence), and src/test/resources/verdicts/ holds both judges to the same verdict on every run.

# evidence_verdict DIR: the verdict on a run's folder (meta, results/): a kernel that is not
# PREEMPT_RT (by the plan, or by cyclictest's own sysinfo), then a platform without a passed
# qualification (results/host/qualify.json), then stressors below their planned load, make NO
# VERDICT (exit 3) whatever the latency; cyclictest failing is a FAIL; else judge's verdict.
evidence_verdict() {
  local dir=$1 base status=0 seconds rc vm pct rt idle=() nort=() unqualified=
  seconds=$(sed -n 's/^seconds=//p' "$dir/meta" 2>/dev/null | head -n 1)
  [[ $seconds =~ ^[0-9]{1,9}$ ]] || seconds=$BENCH_SECONDS
  base=$(JUDGE_SECONDS=$seconds judge "$dir/results/cyclictest.txt" 2>&1) || status=$?
  if [[ $base != RESULT:* ]]; then # judge stopped on unreadable output: its "FAIL: why" is the verdict's reason
    base=${base#"${base%%[! ]*}"}
    base="RESULT: FAIL - ${base#FAIL: }"
  fi
  [ "$HOST_KERNEL_RT" = 1 ] || nort+=(host)
  if [ "${VM_KERNEL_RT[$BENCH_VM]}" != 1 ]; then
    nort+=("$BENCH_VM")
  elif [ -s "$dir/results/cyclictest.json" ] && have jq; then
    rt=$(jq -r '[((.sysinfo.realtime // 0) == 1) or ((.sysinfo.version // "") | contains("PREEMPT_RT")),
      ((.sysinfo.release // "") + " " + (.sysinfo.version // ""))] | map(tostring) | join("|")' "$dir/results/cyclictest.json" 2>/dev/null || true)
    [ "${rt%%|*}" != false ] || nort+=("$BENCH_VM (cyclictest's sysinfo: ${rt#*|})")
  fi
  if [ -s "$dir/results/host/diagnose.txt" ]; then
    unqualified="the run was measured for its autopsy only (bench --diagnose): $(head -n 1 "$dir/results/host/diagnose.txt")"
  elif [ ! -r "$dir/results/host/qualify.json" ]; then
    unqualified="the run has no qualification record of the platform (results/host/qualify.json): ./runbook.sh qualify, then bench"
  elif [ "$(qualify_raw "$dir/results/host/qualify.json" status)" != '"passed"' ]; then
    unqualified="the platform's qualification did not pass (results/host/qualify.json)"
  fi
  while read -r vm pct; do
    if [[ $pct =~ ^[0-9]+$ ]] && [ "$pct" -lt "$STRESS_LOAD_MIN" ]; then idle+=("$vm $pct%"); fi
  done < <(cat "$dir/results/load.txt" 2>/dev/null || true)
  rc=$(head -n 1 "$dir/results/cyclictest.exit" 2>/dev/null || true)
  if [ "${#nort[@]}" -gt 0 ]; then
    echo "RESULT: NO VERDICT - ${nort[*]} ran a kernel that is not PREEMPT_RT: the latency says nothing about a real-time plan; ${base#RESULT: }"
    return 3
  elif [ -n "$unqualified" ]; then
    echo "RESULT: NO VERDICT - $unqualified; ${base#RESULT: }"
    return 3
  elif [ "${#idle[@]}" -gt 0 ]; then
    echo "RESULT: NO VERDICT - the stressors gave too little load during the run (${idle[*]}; at least $STRESS_LOAD_MIN% planned; results/load.txt); ${base#RESULT: }"
    return 3
  elif [[ $rc =~ ^[0-9]+$ ]] && [ "$rc" != 0 ]; then
    echo "RESULT: FAIL - cyclictest exited with status $rc (results/cyclictest.err); ${base#RESULT: }"
    return 1
  fi
  echo "$base"
  return "$status"
}

# judge FILE: the verdict from cyclictest's output: the -h histogram's trailer (# Total, # Max
# Latencies, # Histogram Overflows) or, without -h, its summary lines (T: n ... Max: us).
# A missing thread, an overflow or a cut-short file is a FAIL with its reason, never a pass.
judge() {
  local threads max overflows samples expected
  [ -r "$1" ] || fail "no cyclictest output at $1"
  if grep -q '^# Max Latencies:' "$1"; then
    threads=$(awk '/^# Total:/ { print NF - 2 }' "$1")
    max=$(awk '/^# Max Latencies:/ { for (i = 4; i <= NF; i++) if ($i + 0 > m) m = $i + 0 } END { print m + 0 }' "$1")
    overflows=$(awk '/^# Histogram Overflows:/ { for (i = 4; i <= NF; i++) s += $i } END { print s + 0 }' "$1")
    # The fewest samples of any thread: its binned samples (# Total:) and its overflows.
    samples=$(awk '/^# Total:/ { for (i = 3; i <= NF; i++) t[i] = $i + 0; n = NF }
      /^# Histogram Overflows:/ { for (i = 4; i <= NF; i++) o[i - 1] = $i + 0 }
      END { m = -1; for (i = 3; i <= n; i++) { s = t[i] + o[i]; if (m < 0 || s < m) m = s }; print m < 0 ? 0 : m }' "$1")
  elif grep -q '^# Histogram' "$1"; then
    fail "the histogram in $1 has no '# Max Latencies:' trailer: cyclictest's output is cut short"
  else
    threads=$(grep -c '^T:' "$1" || true)
    [ "$threads" -gt 0 ] || fail "no cyclictest summary lines or histogram in $1"
    # cyclictest prints "Max:%8ld", so a 9-digit latency runs into the label: split on it instead.
    max=$(awk -F'Max:' '/^T:/ { split($2, f, " "); if (f[1] + 0 > m) m = f[1] + 0 } END { print m + 0 }' "$1")
    samples=$(awk -F'C:' '/^T:/ { split($2, f, " "); if (m == "" || f[1] + 0 < m) m = f[1] + 0 } END { print m + 0 }' "$1")
    overflows=0
  fi
  if [ -n "$BENCH_THREADS" ] && [ "$threads" != "$BENCH_THREADS" ]; then
    echo "RESULT: FAIL - $threads of $BENCH_THREADS measuring threads reported; a missing thread cannot be judged"
    return 1
  fi
  if [ "$overflows" -gt 0 ]; then
    echo "RESULT: FAIL - $overflows samples above the histogram's range (max latency $max us); rerun with a larger -h"
    return 1
  fi
  # Judging a run (JUDGE_SECONDS, from evidence_verdict): a thread short of nine tenths of duration
  # / interval stopped early, as rtc report counts it. A bare file has no duration to hold it to.
  expected=$(( ${JUDGE_SECONDS:-0} * 1000000 / ${BENCH_INTERVAL_US:-1000} ))
  if [ "$((samples * 10))" -lt "$((expected * 9))" ]; then
    echo "RESULT: FAIL - a thread has $samples samples where the run's duration and interval give about $expected: the run stopped early"
    return 1
  fi
  if [ "$max" -lt "$VERDICT_GREAT_US" ]; then
    echo "RESULT: GREAT - max latency $max us < $VERDICT_GREAT_US us over $threads threads"
  elif [ "$max" -lt "$VERDICT_GOOD_US" ]; then
    echo "RESULT: GOOD - max latency $max us < $VERDICT_GOOD_US us over $threads threads"
  else
    echo "RESULT: FAIL - max latency $max us >= $VERDICT_GOOD_US us over $threads threads"
    return 1
  fi
}
