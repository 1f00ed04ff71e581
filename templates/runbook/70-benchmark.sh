# ---- benchmark -------------------------------------------------------------------------------
# The stressors' load, cyclictest in the real-time guest, its status and its collection.

step_stress() {
  applying bench.stress
  guard stress
  say "stress: start the stressor workloads, and measure the load they put on the host"
  local vm any=0
  for vm in "${VMS[@]}"; do
    [ "${VM_ROLE[$vm]}" = stressor ] || continue
    any=1
    if [ "$DRY_RUN" = 1 ]; then
      printf '   would run in %s: systemd-run --unit=rtc-stress /usr/local/sbin/rtc-stress\n' "$vm"
    else
      guest_run "$vm" 60 /bin/sh -c 'systemctl is-active -q rtc-stress || systemd-run --unit=rtc-stress /usr/local/sbin/rtc-stress' >/dev/null \
        || fail "$vm: could not start its workload (./runbook.sh guest $vm systemctl status rtc-stress)"
      ok "$vm: workload started (unit rtc-stress in the guest)"
    fi
  done
  [ "$any" = 1 ] || return 0
  [ "$DRY_RUN" = 0 ] || return 0
  FAILS=0
  measure_load "$LOAD_SAMPLE"
  [ "$FAILS" = 0 ] || fail "a stressor does not load the host as planned (above): a benchmark now would measure an idle host"
}

# vcpu_time VM: the VM's vCPU threads' CPU time so far, in nanoseconds, as the host counts it.
vcpu_time() { { virsh domstats --vcpu "$1" 2>/dev/null || true; } | awk -F= '/vcpu\.[0-9]+\.time=/ { s += $2 } END { printf "%d\n", s }'; }

# measure_load SECONDS: each stressor's load over a window, against STRESS_LOAD_MIN.
measure_load() {
  local vm t0 t1 start end
  declare -A t0s=()
  start=$(date +%s)
  for vm in "${VMS[@]}"; do [ "${VM_ROLE[$vm]}" = stressor ] && t0s[$vm]=$(vcpu_time "$vm"); done
  sleep "$1"
  end=$(date +%s)
  for vm in "${!t0s[@]}"; do
    t0=${t0s[$vm]}
    t1=$(vcpu_time "$vm")
    load_verdict "$vm" "$t0" "$t1" "$((end - start))"
  done
}

# load_verdict VM T0 T1 SECONDS: prints the load and counts a shortfall in FAILS.
load_verdict() {
  local pct
  pct=$((($3 - $2) / 10000000 / ($4 > 0 ? $4 : 1) / ${VM_VCPUS[$1]}))
  if [ "$pct" -ge "$STRESS_LOAD_MIN" ]; then
    ok "$1 loads its ${VM_VCPUS[$1]} vCPUs to $pct% (at least $STRESS_LOAD_MIN% planned)"
  else
    bad "$1 loads its ${VM_VCPUS[$1]} vCPUs to only $pct% over $4 s (at least $STRESS_LOAD_MIN% planned): is its workload running? (./runbook.sh guest $1 systemctl status rtc-stress)"
  fi
  printf '%s %s\n' "$1" "$pct" >>"${LOAD_FILE:-/dev/null}"
}

# The benchmark runs in the real-time guest as a systemd unit of its own, so it goes on when the
# terminal is lost; its output stays in the guest until 'collect' fetches it. Each run has its
# own folder under $STATE/runs, laid out as rtc report reads it (plan.json, results/), and a
# collected run is never overwritten.

current_run() { cat "$STATE/runs/current" 2>/dev/null || true; }
run_meta() { sed -n "s/^$2=//p" "$STATE/runs/$1/meta" 2>/dev/null || true; }

step_bench() {
  applying bench.run
  [ -n "$BENCH_VM" ] || { say "bench: the manifest has no benchmark"; return 0; }
  guard bench
  local id
  id=$(current_run)
  if [ -n "$id" ] && [ ! -e "$STATE/runs/$id/results/verdict.txt" ]; then
    say "bench: run $id has not been collected yet; waiting for it instead of starting another"
    bench_wait "$id"
    bench_collect "$id"
    return
  fi
  say "bench: first, proof that the host and the VMs are real-time as planned"
  FAILS=0
  NOT_REALTIME=()
  prove_host
  prove_vms
  local why=
  if [ "$FAILS" -gt 0 ]; then
    why="$FAILS checks failed (above): latency measured on a system that is not as planned would say nothing about it"
  elif ! qualified; then
    why=$QUALIFY_WHY
  else
    ok "the platform qualified: $QUALIFY_RECORD"
  fi
  if [ -n "$why" ] && ! diagnose_anyway "$why"; then
    say "bench: to measure anyway and learn why the latency is what it is, with no verdict: ./runbook.sh bench --diagnose"
    return 0
  fi
  say "bench: the stressors' load"
  if [ "$DRY_RUN" = 0 ]; then
    measure_load "$LOAD_SAMPLE"
  fi
  if [ "$FAILS" -gt 0 ] && [ -z "$why" ]; then
    diagnose_anyway "the stressors do not load the host (above); start them: ./runbook.sh stress" || return 0
  fi
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would run in %s, as unit rtc-bench-<run>:' "$BENCH_VM"
    printf ' %q' cyclictest "${BENCH_ARGS[@]}" -D "$BENCH_DURATION" -h "$BENCH_BUCKETS"
    printf '\n'
    printf '   would then run rtla timerlat in the real-time guests for %s s, tracing host CPUs %s\n' "$AUTOPSY_SECONDS" "$(autopsy_host_cpus)"
    return 0
  fi
  id=$(date -u +%Y%m%dT%H%M%SZ)
  bench_start "$id"
  bench_wait "$id"
  bench_collect "$id"
}

# diagnose_anyway WHY: no verdict for WHY; with --diagnose the run goes on, measured for its autopsy
# (DIAGNOSE_WHY travels with it), else it ends here (returns 1).
diagnose_anyway() {
  if [ "$DIAGNOSE" = 0 ]; then
    say "RESULT: NO VERDICT - $1"
    VERDICT_CODE=3
    VERDICT="NO VERDICT"
    return 1
  fi
  DIAGNOSE_WHY=$1
  note "bench --diagnose: no verdict ($1); measuring anyway, for the autopsy"
}

bench_start() {
  local id=$1 dir=$STATE/runs/$1 gdir=/var/lib/rtc/runs/$1 vm
  mkdir -p "$dir/results/host"
  cp "$HERE/plan.json" "$dir/plan.json"
  {
    echo "vm=$BENCH_VM"
    echo "start=$(date +%s)"
    echo "seconds=$BENCH_SECONDS"
    echo "duration=$BENCH_DURATION"
    echo "unit=rtc-bench-$id"
    echo "guest_dir=$gdir"
    echo "smi_before=$(smi_count "$(autopsy_host_cpus | cut -d, -f1)")"
    for vm in "${VMS[@]}"; do
      [ "${VM_ROLE[$vm]}" = stressor ] && echo "vcpu_time_$vm=$(vcpu_time "$vm")"
    done
  } >"$dir/meta"
  collect_facts >"$dir/results/host/kernel.txt"
  # The qualification the verdict rests on travels with the run (the judges read it there).
  [ -z "${QUALIFY_RECORD:-}" ] || cp "$QUALIFY_RECORD" "$dir/results/host/qualify.json"
  # A run measured with --diagnose says so: both judges give it no verdict, whatever it measured.
  [ -z "$DIAGNOSE_WHY" ] || printf '%s\n' "$DIAGNOSE_WHY" >"$dir/results/host/diagnose.txt"
  monitor_pause "$BENCH_VM"
  # In the guest: a transient unit that writes cyclictest's output and its exit status to files.
  # timeout interrupts a cyclictest that outlives its duration, and kills it a minute later.
  # shellcheck disable=SC2016 # the guest's shell expands these
  guest_run "$BENCH_VM" 60 /bin/sh -c 'd=$1; u=$2; shift 2; mkdir -p "$d" && exec systemd-run --unit="$u" --quiet /bin/sh -c '\''d=$1; shift; "$@" >"$d/cyclictest.txt" 2>"$d/cyclictest.err"; echo $? >"$d/exit"'\'' sh "$d" "$@"' \
    sh "$gdir" "rtc-bench-$id" /usr/bin/timeout --signal=INT --kill-after=60 "$((BENCH_SECONDS + 120))" \
    cyclictest "${BENCH_ARGS[@]}" -D "$BENCH_DURATION" -h "$BENCH_BUCKETS" --json="$gdir/cyclictest.json" >/dev/null \
    || fail "could not start cyclictest in $BENCH_VM (./runbook.sh guest $BENCH_VM systemctl status rtc-bench-$id)"
  printf '%s\n' "$id" >"$STATE/runs/current"
  ok "run $id: cyclictest runs in $BENCH_VM for $BENCH_DURATION, as unit rtc-bench-$id"
  say "bench: safe to disconnect now; the run goes on. Later: ./runbook.sh status, and ./runbook.sh collect once it is done"
}

# bench_finished ID: the guest has written cyclictest's exit status.
bench_finished() {
  guest_run "$(run_meta "$1" vm)" 60 test -e "$(run_meta "$1" guest_dir)/exit" >/dev/null 2>&1
}

bench_wait() {
  local id=$1 start seconds next=0 now
  start=$(run_meta "$id" start)
  seconds=$(run_meta "$id" seconds)
  while ! bench_finished "$id"; do
    now=$(date +%s)
    if [ "$now" -gt $((start + seconds + 900)) ]; then
      note "run $id should have ended $(((now - start - seconds) / 60)) minutes ago; collecting what it wrote"
      return 0
    fi
    if [ "$now" -ge "$next" ]; then
      printf '   run %s: %s of %s done, about %s left\n' "$id" "$(span $((now - start)))" "$(span "$seconds")" "$(span $((start + seconds - now)))"
      next=$((now + 600))
    fi
    sleep $((seconds < 600 ? 5 : 60))
  done
}

span() {
  local s=$(($1 < 0 ? 0 : $1))
  if [ "$s" -ge 3600 ]; then printf '%dh%02dm' $((s / 3600)) $((s % 3600 / 60)); else printf '%dm%02ds' $((s / 60)) $((s % 60)); fi
}

bench_collect() {
  local id=$1 dir=$STATE/runs/$1 vm gdir start end t0 rc
  if [ -e "$dir/results/verdict.txt" ]; then
    say "collect: run $id was collected before; its verdict:"
    cat "$dir/results/verdict.txt"
    VERDICT_CODE=$(cat "$dir/results/exit" 2>/dev/null || echo 1)
    VERDICT=$(verdict_word "$(cat "$dir/results/verdict.txt")")
    return 0
  fi
  vm=$(run_meta "$id" vm)
  gdir=$(run_meta "$id" guest_dir)
  say "collect: run $id from $vm"
  guest_run "$vm" 120 cat "$gdir/cyclictest.txt" >"$dir/results/cyclictest.txt" || note "no cyclictest.txt in $vm"
  guest_run "$vm" 120 cat "$gdir/cyclictest.json" >"$dir/results/cyclictest.json" 2>/dev/null || rm -f "$dir/results/cyclictest.json"
  guest_run "$vm" 60 cat "$gdir/cyclictest.err" >"$dir/results/cyclictest.err" 2>/dev/null || true
  rc=$(guest_run "$vm" 60 cat "$gdir/exit" 2>/dev/null || true)
  [[ ! $rc =~ ^[0-9]+$ ]] || printf '%s\n' "$rc" >"$dir/results/cyclictest.exit"
  # The SMIs the platform took during the run, then the autopsy (the stressors still running).
  printf '%s %s\n' "$(run_meta "$id" smi_before)" "$(smi_count "$(autopsy_host_cpus | cut -d, -f1)")" >"$dir/results/host/smi.txt"
  autopsy "$dir"
  # The load the stressors gave over the whole run, from their vCPU time on the host.
  start=$(run_meta "$id" start)
  end=$(date +%s)
  LOAD_FILE=$dir/results/load.txt
  : >"$LOAD_FILE"
  FAILS=0
  for vm in "${VMS[@]}"; do
    [ "${VM_ROLE[$vm]}" = stressor ] || continue
    t0=$(run_meta "$id" "vcpu_time_$vm")
    load_verdict "$vm" "${t0:-0}" "$(vcpu_time "$vm")" "$((end - start))"
  done
  local verdict status=0
  verdict=$(evidence_verdict "$dir") || status=$?
  printf '%s\n' "$verdict" | tee "$dir/results/verdict.txt"
  echo "$status" >"$dir/results/exit"
  VERDICT_CODE=$status
  VERDICT=$(verdict_word "$verdict")
  say "collect: evidence in $dir; for percentiles and charts, on any machine with rtc: rtc report <that folder>"
}

step_status() {
  local id now start seconds
  id=$(current_run)
  [ -n "$id" ] || { say "status: no benchmark has been started on this host"; return 0; }
  start=$(run_meta "$id" start)
  seconds=$(run_meta "$id" seconds)
  now=$(date +%s)
  if [ -e "$STATE/runs/$id/results/verdict.txt" ]; then
    say "status: run $id is collected: $(cat "$STATE/runs/$id/results/verdict.txt")"
  elif bench_finished "$id"; then
    say "status: run $id has finished; fetch and judge it: ./runbook.sh collect"
  else
    say "status: run $id in $(run_meta "$id" vm): $(span $((now - start))) of $(span "$seconds") done, about $(span $((start + seconds - now))) left"
  fi
}

step_collect() {
  applying evidence.collect
  local id
  id=$(current_run)
  [ -n "$id" ] || fail "no benchmark has been started on this host (./runbook.sh bench)"
  guard collect
  bench_finished "$id" || fail "run $id is still running: ./runbook.sh status"
  bench_collect "$id"
}
