# ---- autopsy ---------------------------------------------------------------------------------
# Why a run's worst latencies happened. After cyclictest, each real-time guest runs rtla timerlat on
# its isolated vCPUs for AUTOPSY_SECONDS, with the guest's osnoise events (every interrupt, softirq,
# thread and NMI there), stopping at the first window over the great threshold and saving the trace
# before it. Meanwhile the host traces the CPUs those vCPUs are pinned to (VM exits and entries,
# interrupt handlers, scheduler switches, workqueue items) in a tracefs instance of its own, with a
# bounded buffer, removed afterwards. rtc report sorts the worst windows into causes
# (docs/spike-causes.md); this only records, in the run's results/autopsy/.

AUTOPSY_SECONDS=${RTC_AUTOPSY_SECONDS:-60}
# The first window over this stops the trace (--autopsy-us): by default the great threshold, the budget.
AUTOPSY_US=
AUTOPSY_EVENTS=(kvm/kvm_exit kvm/kvm_entry irq/irq_handler_entry irq/irq_handler_exit sched/sched_switch workqueue/workqueue_execute_start
  workqueue/workqueue_execute_end)

# cpumask_hex LIST: a CPU list as tracefs's cpumask files take it: 32-bit hex words, highest first, joined by commas.
cpumask_hex() {
  local cpu i mask='' words=()
  for cpu in $(expand_cpus "$1" | tr ',' ' '); do words[cpu / 32]=$((${words[cpu / 32]:-0} | 1 << (cpu % 32))); done
  for ((i = ${#words[@]} > 0 ? $(printf '%s\n' "${!words[@]}" | sort -n | tail -n 1) : 0; i >= 0; i--)); do
    mask+=$(printf '%08x' "${words[i]:-0}")
    [ "$i" = 0 ] || mask+=,
  done
  printf '%s' "$mask"
}

# The host CPUs the real-time VMs' vCPUs are pinned to.
autopsy_host_cpus() {
  local vm cpus=()
  for vm in "${VMS[@]}"; do [ "${VM_ROLE[$vm]}" != realtime ] || cpus+=("${VM_PINS[$vm]}"); done
  local IFS=,
  printf '%s' "${cpus[*]}"
}

host_trace_start() {
  local inst=$1 ev
  mkdir -p "$inst" 2>/dev/null && [ -w "$inst/tracing_on" ] || return 1
  printf '%s\n' "$(cpumask_hex "$(autopsy_host_cpus)")" >"$inst/tracing_cpumask" 2>/dev/null || true
  echo 4096 >"$inst/buffer_size_kb" 2>/dev/null || true
  for ev in "${AUTOPSY_EVENTS[@]}"; do
    [ ! -w "$inst/events/$ev/enable" ] || echo 1 >"$inst/events/$ev/enable"
  done
  echo 1 >"$inst/tracing_on"
}

host_trace_stop() {
  echo 0 >"$1/tracing_on" 2>/dev/null || true
  tail -n 200000 "$1/trace" >"$2" 2>/dev/null || true
  rmdir "$1" 2>/dev/null || true
}

# worst_window TRACE: the trace's worst window in words: its vCPU, its thread latency, and the three
# longest things the guest saw run there meanwhile (the local timer, which wakes the measuring thread,
# left out). Facts only: rtc report classifies them.
worst_window() {
  awk '
    match($0, /\[[0-9]+\]/) { cpu = substr($0, RSTART + 1, RLENGTH - 2) + 0 }
    / (nmi|irq|softirq|thread)_noise: / {
      line = $0; sub(/.*_noise: */, "", line)
      name = line; sub(/ *start .*/, "", name); if (name == "") name = "NMI"
      ev = $0; sub(/_noise: .*/, "", ev); sub(/.* /, "", ev)
      dur = line; sub(/.*duration /, "", dur); sub(/ ns.*/, "", dur)
      if (ev == "irq" && name ~ /^local_timer:/) next # the timer that wakes the measuring thread
      n[cpu]++; what[cpu, n[cpu]] = ev " " name; ns[cpu, n[cpu]] = dur + 0
      next
    }
    / context +thread timer_latency / {
      lat = $0; sub(/.*timer_latency +/, "", lat); sub(/ ns.*/, "", lat); lat += 0
      if (lat > worst) {
        worst = lat; wcpu = cpu; list = ""
        for (k = 0; k < 3; k++) {
          best = 0
          for (i = 1; i <= n[cpu]; i++) if (!(i in used) && ns[cpu, i] > ns[cpu, best]) best = i
          if (best == 0) break
          used[best] = 1
          list = list (k ? ", " : "") sprintf("%s %.1f us", what[cpu, best], ns[cpu, best] / 1000)
        }
        delete used
      }
      n[cpu] = 0
    }
    END { if (worst) printf "vCPU %d, %.1f us; the longest there meanwhile: %s", wcpu, worst / 1000, (list == "" ? "nothing the guest saw" : list) }
  ' "$1" 2>/dev/null || true
}

# autopsy DIR: the traces of a run, into DIR/results/autopsy/.
autopsy() {
  local dir=$1/results/autopsy vm tr inst='' gdir traced=0
  mkdir -p "$dir"
  AUTOPSY_US=${AUTOPSY_US:-$VERDICT_GREAT_US}
  say "autopsy: rtla timerlat in the real-time guests for ${AUTOPSY_SECONDS} s (stopping at $AUTOPSY_US us), the host tracing their CPUs ($(autopsy_host_cpus))"
  if tr=$(tracefs) && [ -d "$tr/instances" ]; then
    inst=$tr/instances/rtc-autopsy
    host_trace_start "$inst" || { note "the host cannot trace (tracefs instances): the autopsy has the guests' view only"; inst=; }
  else
    note "this host has no tracefs instances: the autopsy has the guests' view only"
  fi
  for vm in "${VMS[@]}"; do
    [ "${VM_ROLE[$vm]}" = realtime ] || continue
    gdir=/var/lib/rtc/autopsy
    mkdir -p "$dir/$vm"
    monitor_pause "$vm"
    # In the guest: its isolated CPUs, rtla timerlat on them, the trace saved when a window passes the threshold.
    # shellcheck disable=SC2016 # the guest's shell expands these
    if guest_run "$vm" $((AUTOPSY_SECONDS + 120)) /bin/sh -c 'd=$1; s=$2; t=$3; rm -rf "$d"; mkdir -p "$d" && cd "$d" || exit 2
      command -v rtla >/dev/null || { echo "rtla is not installed in the guest" >timerlat.err; exit 3; }
      grep -qw timerlat /sys/kernel/tracing/available_tracers 2>/dev/null || { echo "the guest kernel has no timerlat tracer (not PREEMPT_RT?)" >timerlat.err; exit 3; }
      c=$(cat /sys/devices/system/cpu/isolated 2>/dev/null)
      end=$(($(date +%s) + s)); n=0; most=0
      while :; do
        rm -f timerlat_trace.txt
        rtla timerlat top -q -d "${s}s" ${c:+-c "$c"} -T "$t" -s "$t" -t -e osnoise >timerlat.txt 2>timerlat.err; echo $? >exit
        [ -e timerlat_trace.txt ] || break
        # A stop within its first 100 windows (rtla 6.1 has no --warm-up) leaves little to compare: again, while time
        # is left; the trace with the most windows is kept, with its summary.
        w=$(grep -c "context thread" timerlat_trace.txt)
        if [ "$w" -gt "$most" ]; then most=$w; mv timerlat_trace.txt kept_trace.txt; cp timerlat.txt kept.txt; fi
        [ "$w" -lt 100 ] || break
        s=$((end - $(date +%s))); n=$((n + 1))
        [ "$s" -ge 5 ] && [ "$n" -lt 10 ] || break
      done
      [ ! -e kept_trace.txt ] || { mv kept_trace.txt timerlat_trace.txt && mv kept.txt timerlat.txt; }' \
      sh "$gdir" "$AUTOPSY_SECONDS" "$AUTOPSY_US" >/dev/null; then
      guest_run "$vm" 60 cat "$gdir/timerlat.txt" >"$dir/$vm/timerlat.txt" 2>/dev/null || true
      if guest_run "$vm" 120 tail -n 20000 "$gdir/timerlat_trace.txt" >"$dir/$vm/timerlat_trace.txt" 2>/dev/null; then
        traced=1
        ok "$vm: a window passed $AUTOPSY_US us; its trace is in results/autopsy/$vm/"
        note "$vm: worst traced window: $(worst_window "$dir/$vm/timerlat_trace.txt")"
      else
        rm -f "$dir/$vm/timerlat_trace.txt"
        ok "$vm: no window passed $AUTOPSY_US us in ${AUTOPSY_SECONDS} s of timerlat"
      fi
    else
      guest_run "$vm" 60 cat "$gdir/timerlat.err" >"$dir/$vm/timerlat.err" 2>/dev/null || true
      note "$vm: no autopsy: $(head -n 1 "$dir/$vm/timerlat.err" 2>/dev/null || echo "the guest did not run rtla")"
    fi
  done
  [ -z "$inst" ] || host_trace_stop "$inst" "$dir/host-trace.txt"
  [ "$traced" = 0 ] || say "autopsy: the causes of the worst windows: rtc report <this run's folder> (report.md, Why)"
}
