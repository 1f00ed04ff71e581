#!/bin/bash
# [=header?no_esc]
# The latency sampler of the real-time VM [=vm], after handover. Installed by cloud-init as
# /usr/local/sbin/rtc-monitor; rtc-monitor.timer runs it every [=every] seconds.
#
# cyclictest measures [=window] seconds on the isolated vCPUs [=cpus] at SCHED_FIFO priority [=priority],
# the lowest real-time priority: it waits behind the application and never preempts it. Its only
# intrusion is the timer interrupt that wakes it, once every [=intervalUs] us during its window: a
# duty cycle under 1% (rtc's docs/monitoring.md says why that is safe, and what it costs). It skips
# its window while anything else measures (a benchmark's cyclictest, rtla).
#
# Each window is added to
#   [=dir]/latency.prom       a Prometheus histogram since the sampler began (counters, kept
#                             across reboots), which runbook.sh metrics on the host exports;
#   [=dir]/days/DATE.hist     that UTC day's per-microsecond histogram, for rtc report's long-term
#                             plot (runbook.sh report fetches them); [=keepDays] days are kept.
set -Eeuo pipefail
umask 022

VM=[=vm]
BUNDLE=[=bundle]
CPUS=[=cpus]
THREADS=[=threads]
MAIN_CPU=[=mainCpu]
WINDOW_SECONDS=[=window]
INTERVAL_US=[=intervalUs]
PRIORITY=[=priority]
HISTOGRAM_US=[=histogramUs]
# The histogram's upper bounds: in microseconds, and as Prometheus writes them (seconds).
BOUNDS_US=(<#list bounds as b>[=b.us]<#sep> </#list>)
BOUNDS_LE=(<#list bounds as b>[=b.le]<#sep> </#list>)
KEEP_DAYS=[=keepDays]
DIR=${RTC_MONITOR_DIR:-[=dir]}

mkdir -p "$DIR/days"
exec 9>"$DIR/.lock"
flock -n 9 || exit 0 # the last window has not ended

# The state: "key value" lines, counters since the sampler began (le.N: samples of N us or less).
declare -A S=()
if [ -r "$DIR/state" ]; then
  while read -r k v; do S[$k]=$v; done <"$DIR/state"
fi
s() { printf '%s' "${S[$1]:-0}"; }

raw=$(mktemp)
trap 'rm -f "$raw" "$DIR/state.$$" "$DIR/latency.prom.$$"' EXIT
outcome=skipped
if pgrep -x cyclictest >/dev/null || pgrep -x rtla >/dev/null; then
  S[skipped]=$(($(s skipped) + 1))
elif cyclictest -q -m -p "$PRIORITY" -i "$INTERVAL_US" -t "$THREADS" -a "$CPUS" --mainaffinity="$MAIN_CPU" \
  -D "$WINDOW_SECONDS" -h "$HISTOGRAM_US" >"$raw" 2>"$DIR/cyclictest.err"; then
  # The window: per-microsecond counts summed over the threads, its longest latency, its overflows.
  window=$(awk '
    /^[0-9]+[ \t]/ { for (i = 2; i <= NF; i++) n[$1 + 0] += $i; next }
    /^# Max Laten/ { for (i = 4; i <= NF; i++) if ($i + 0 > max) max = $i + 0 }
    /^# Histogram Overflows:/ { for (i = 4; i <= NF; i++) over += $i }
    END { for (us in n) if (n[us] > 0) print us, n[us]; print "max", max + 0; print "overflows", over + 0 }' "$raw")
  day=$DIR/days/$(date -u +%Y-%m-%d).hist
  # The day: the window merged into it (the counts added, the longest kept), whole through a rename.
  {
    printf '# rtc latency day: vm=%s bundle=%s; per-microsecond counts of the sampler'\''s windows (UTC), then its totals\n' "$VM" "$BUNDLE"
    { if [ -r "$day" ]; then grep -v '^#' "$day" || true; fi; printf '%s\nwindows 1\n' "$window"; } | awk '
      $1 == "max" { if ($2 > max) max = $2; next }
      { n[$1] += $2 }
      END {
        printf "windows %d\nmax %d\noverflows %d\n", n["windows"], max, n["overflows"]
        fflush()
        for (k in n) if (k ~ /^[0-9]+$/) print k, n[k] | "sort -n"
        close("sort -n")
      }'
  } >"$day.$$"
  mv -f "$day.$$" "$day"
  S[windows]=$(($(s windows) + 1))
  S[max]=$(awk '$1 == "max" { print $2 }' <<<"$window")
  over=$(awk '$1 == "overflows" { print $2 }' <<<"$window")
  S[overflows]=$(($(s overflows) + over))
  count=$(awk '$1 ~ /^[0-9]+$/ { c += $2 } END { printf "%d", c }' <<<"$window")
  # The sum is a lower bound: cyclictest counts whole microseconds, and an overflow as its histogram's end.
  sum=$(awk -v h="$HISTOGRAM_US" '$1 ~ /^[0-9]+$/ { s += $1 * $2 } $1 == "overflows" { s += h * $2 } END { printf "%d", s }' <<<"$window")
  S[count]=$(($(s count) + count + over))
  S[sum_us]=$(($(s sum_us) + sum))
  for b in "${BOUNDS_US[@]}"; do
    S[le.$b]=$(($(s "le.$b") + $(awk -v b="$b" '$1 ~ /^[0-9]+$/ && $1 <= b { c += $2 } END { printf "%d", c }' <<<"$window")))
  done
  S[last]=$(date +%s)
  outcome=measured
else
  S[failed]=$(($(s failed) + 1))
  outcome=failed
fi
for k in "${!S[@]}"; do printf '%s %s\n' "$k" "${S[$k]}"; done | sort >"$DIR/state.$$"
mv -f "$DIR/state.$$" "$DIR/state"

# The metrics, in the text format, whole through a rename (the host reads the file any time).
find "$DIR/days" -name '*.hist' -mtime +"$KEEP_DAYS" -delete
l="bundle=\"$BUNDLE\",vm=\"$VM\""
{
  echo "# HELP rtc_latency_seconds Wake-up latency on the isolated vCPUs, measured by the sampler (cyclictest at SCHED_FIFO $PRIORITY, ${WINDOW_SECONDS}s windows)."
  echo '# TYPE rtc_latency_seconds histogram'
  for i in "${!BOUNDS_US[@]}"; do
    echo "rtc_latency_seconds_bucket{$l,le=\"${BOUNDS_LE[$i]}\"} $(s "le.${BOUNDS_US[$i]}")"
  done
  echo "rtc_latency_seconds_bucket{$l,le=\"+Inf\"} $(s count)"
  echo "rtc_latency_seconds_sum{$l} $(awk -v u="$(s sum_us)" 'BEGIN { printf "%.6f", u / 1e6 }')"
  echo "rtc_latency_seconds_count{$l} $(s count)"
  echo '# HELP rtc_latency_window_max_seconds The longest latency of the last window the sampler measured.'
  echo '# TYPE rtc_latency_window_max_seconds gauge'
  echo "rtc_latency_window_max_seconds{$l} $(awk -v u="$(s max)" 'BEGIN { printf "%.6f", u / 1e6 }')"
  echo "# HELP rtc_latency_overflows_total Samples longer than the histogram's ${HISTOGRAM_US} us."
  echo '# TYPE rtc_latency_overflows_total counter'
  echo "rtc_latency_overflows_total{$l} $(s overflows)"
  echo '# HELP rtc_latency_windows_total Sampling windows, by outcome: measured, skipped (another measure ran) or failed (cyclictest did not run).'
  echo '# TYPE rtc_latency_windows_total counter'
  echo "rtc_latency_windows_total{$l,outcome=\"measured\"} $(s windows)"
  echo "rtc_latency_windows_total{$l,outcome=\"skipped\"} $(s skipped)"
  echo "rtc_latency_windows_total{$l,outcome=\"failed\"} $(s failed)"
  echo '# HELP rtc_latency_sampled_timestamp_seconds When the last window was measured (Unix time).'
  echo '# TYPE rtc_latency_sampled_timestamp_seconds gauge'
  echo "rtc_latency_sampled_timestamp_seconds{$l} $(s last)"
} >"$DIR/latency.prom.$$"
mv -f "$DIR/latency.prom.$$" "$DIR/latency.prom"
if [ "$outcome" = failed ]; then
  echo "rtc-monitor: cyclictest did not measure: $(head -c 300 "$DIR/cyclictest.err" 2>/dev/null)" >&2
  exit 1
fi
