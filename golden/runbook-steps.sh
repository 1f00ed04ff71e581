# shellcheck shell=bash
# The steps of an rtc runbook, the same in every bundle of this rtc version: runbook.sh sets the
# plan (its variables) and sources this file. Run ./runbook.sh, not this file.

# ---- core ------------------------------------------------------------------------------------
# Output, running commands, and what changes and how it is undone: the record of changes,
# backups, restore.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=${RTC_ROOT:-}      # tests point this at a fake /: its /proc, /sys, /etc, /boot and /var
STATE=$ROOT/var/lib/rtc/$BUNDLE
DRY_RUN=0
REPLACE_DISKS=0
# bench --diagnose: measure and take the autopsy on a host that cannot be judged, with no verdict.
DIAGNOSE=0
DIAGNOSE_WHY=
GUEST_TIMEOUT=1800
LOAD_SAMPLE=${RTC_LOAD_SAMPLE_SECONDS:-30}
FAILS=0
NOT_REALTIME=()
VERDICT_CODE=0

say() { printf '\n== %s\n' "$*"; }
# ok: something already as planned (a state, not a check: checks report with check_ok).
ok() {
  printf '   ok: %s\n' "$*"
  record_json state "${CHANGE_ID:-$STEP_NAME}" "$CHANGE_SCOPE" unchanged false "$*"
}
note() {
  printf '   note: %s\n' "$*"
  record_json note "${CHANGE_ID:-$STEP_NAME}" "$CHANGE_SCOPE" note false "$*"
}
# bad: a failed check; the step goes on, so all of them are seen, and fails at its end.
bad() {
  printf '   FAIL: %s\n' "$*" >&2
  FAILS=$((FAILS + 1))
  record_json check "${CHANGE_ID:-$STEP_NAME}" "$CHANGE_SCOPE" failed false "$*"
}
fail() {
  printf '   FAIL: %s\n' "$*" >&2
  STEP_MESSAGE=$*
  exit 1
}

# ---- records (--json) ------------------------------------------------------------------------
# With --json, every check, change, state and note is also one JSON object on a line of standard
# output (fd 5), and each step ends with a record of its own; what a person reads goes to standard
# error and the log. rtc's docs/runbook-checks.md documents the records and the exit codes.
JSON=0
STEP_NAME=
STEP_OPEN=0
STEP_CHANGED=0
STEP_MESSAGE=
REBOOT=0
VERDICT=
CHANGE_ID=
CHANGE_SCOPE=host

# applying ID [SCOPE]: the changes that follow belong to ID (a catalogue ID), in SCOPE (host or a VM).
applying() {
  CHANGE_ID=$1
  CHANGE_SCOPE=${2:-host}
}

# json_string TEXT: TEXT as a JSON string.
json_string() {
  local s=$1 out='' c i
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\t'/\\t}
  s=${s//$'\r'/\\r}
  if [[ $s =~ [[:cntrl:]] ]]; then
    for ((i = 0; i < ${#s}; i++)); do
      c=${s:i:1}
      if [[ $c =~ [[:cntrl:]] ]]; then out+=$(printf '\\u%04x' "'$c"); else out+=$c; fi
    done
    s=$out
  fi
  printf '"%s"' "$s"
}

# record_json TYPE ID SCOPE STATUS CHANGED MESSAGE: one record, under --json.
record_json() {
  [ "$1" != change ] || [ "$5" != true ] || STEP_CHANGED=1
  [ "$JSON" = 1 ] || return 0
  printf '{"type":%s,"step":%s,"id":%s,"scope":%s,"status":%s,"changed":%s,"message":%s}\n' "$(json_string "$1")" \
    "$(json_string "$STEP_NAME")" "$(json_string "$2")" "$(json_string "$3")" "$(json_string "$4")" "$5" "$(json_string "$6")" >&5
}

# step_begin NAME, step_end STATUS EXIT: a step's own record, with whether it changed anything and
# whether the host must reboot before the next step.
step_begin() {
  STEP_NAME=$1
  STEP_OPEN=1
  STEP_CHANGED=0
  STEP_MESSAGE=
  CHANGE_ID=
  CHANGE_SCOPE=host
}
step_end() {
  STEP_OPEN=0
  [ "$JSON" = 1 ] || return 0
  local changed=false reboot=false verdict=null
  [ "$STEP_CHANGED" = 0 ] || changed=true
  [ "$REBOOT" = 0 ] || reboot=true
  [ -z "$VERDICT" ] || verdict=$(json_string "$VERDICT")
  printf '{"type":"step","step":%s,"status":%s,"exit":%s,"changed":%s,"reboot_required":%s,"dry_run":%s,"failures":%s,"verdict":%s,"message":%s}\n' \
    "$(json_string "$STEP_NAME")" "$(json_string "$1")" "$2" "$changed" "$reboot" "$([ "$DRY_RUN" = 1 ] && echo true || echo false)" \
    "$FAILS" "$verdict" "$(json_string "$STEP_MESSAGE")" >&5
}

# verdict_word TEXT: GREAT, GOOD, FAIL or NO VERDICT, from the judge's RESULT line; nothing without one.
verdict_word() { sed -n 's/^RESULT: \(GREAT\|GOOD\|FAIL\|NO VERDICT\) - .*/\1/p' <<<"$1" | head -n 1; }

# On every way out: a step cut short by a failure still gets its record; then what cleanup_temp and
# the log need.
on_exit() {
  local code=$? cmd=${FAILED_COMMAND:-$BASH_COMMAND}
  # A step that stops without saying why (a command that failed where nothing expected it to): say
  # where, so that whoever reads the log can tell it from a check that failed.
  if [ "$code" != 0 ] && [ "$STEP_OPEN" = 1 ] && [ -z "$STEP_MESSAGE" ]; then
    STEP_MESSAGE="stopped unexpectedly: '${cmd:0:200}' failed (exit $code)"
    printf '   FAIL: %s in step %s, where no failure was expected. Send %s to whoever gave you this bundle; it is a fault of the runbook, not of the host.\n' \
      "${STEP_MESSAGE}" "$STEP_NAME" "$STATE/runbook.log" >&2
  fi
  [ "$STEP_OPEN" = 0 ] || step_end failed "$code"
  cleanup_temp
  if [ -n "${TEE_PID-}" ]; then
    exec 1>&3 2>&4
    wait "$TEE_PID" 2>/dev/null || true
  fi
}

# run CMD...: runs a command that changes the host, or prints it under --dry-run.
run() {
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would run:'
    printf ' %q' "$@"
    printf '\n'
    record_json change "${CHANGE_ID:-$STEP_NAME}" "$CHANGE_SCOPE" would-change true "$*"
    return 0
  fi
  printf '   +'
  printf ' %q' "$@"
  printf '\n'
  record_json change "${CHANGE_ID:-$STEP_NAME}" "$CHANGE_SCOPE" changed true "$*"
  "$@"
}

# try CMD...: run, for rollback: a failure is listed at the end instead of stopping the undo.
UNDONE=()
try() {
  if run "$@"; then
    return 0
  fi
  UNDONE+=("$*")
  printf '   could not: %s (going on)\n' "$*" >&2
}

# Temporary files that hold a secret (the Ubuntu Pro token): removed on every way out of the
# script, a failure or an interrupt included (the EXIT trap), never left in the state folder.
TEMP_PATHS=()
cleanup_temp() { [ "${#TEMP_PATHS[@]}" = 0 ] || rm -rf -- "${TEMP_PATHS[@]}"; }
trap on_exit EXIT
# The command whose failure set -e is about to exit on, and its line, for on_exit to name: the ERR
# trap runs just before that exit (in a subshell it sets the subshell's copy only, which is gone).
FAILED_COMMAND=
trap 'FAILED_COMMAND="$BASH_COMMAND (line $LINENO of ${BASH_SOURCE[0]##*/})"' ERR

need_root() {
  [ "$DRY_RUN" = 1 ] || [ -n "$ROOT" ] || [ "$(id -u)" = 0 ] || fail "run as root (sudo ./runbook.sh $1)"
}

have() { command -v "$1" >/dev/null 2>&1; }

read_file() { if [ -r "$ROOT$1" ]; then tr -d '\n' <"$ROOT$1"; else printf 'absent'; fi; }

# A file rtc wrote carries its provenance line; rtc replaces or removes no other.
is_rtc_file() { grep -q '^# Generated by rtc ' "$1" 2>/dev/null; }

# Every change is recorded in $STATE/changes, and every file rtc replaces is copied to
# $STATE/backup/ before its first change (or marked absent), so rollback restores what was there.

record() {
  [ "$DRY_RUN" = 1 ] || grep -qxF -- "$*" "$STATE/changes" 2>/dev/null || printf '%s\n' "$*" >>"$STATE/changes"
}
recorded() { grep -qxF -- "$*" "$STATE/changes" 2>/dev/null; }

backup() {
  local b=$STATE/backup$1
  if [ -e "$b" ] || [ -e "$b.absent" ]; then
    return 0
  fi
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would back up: %s\n' "$1"
    return 0
  fi
  mkdir -p "$(dirname "$b")"
  if [ -e "$ROOT$1" ]; then cp -p "$ROOT$1" "$b"; else : >"$b.absent"; fi
}

# keep NAME CMD...: saves CMD's output once, before rtc's first change (the state to return to).
keep() {
  local f=$STATE/backup/$1
  shift
  [ -e "$f" ] && return 0
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would keep for rollback: %s\n' "$*"
    return 0
  fi
  mkdir -p "$STATE/backup"
  "$@" >"$f" 2>/dev/null || true
}

restore() {
  local b=$STATE/backup$1
  if [ -e "$b" ]; then
    try cp -p "$b" "$ROOT$1"
  elif [ -e "$b.absent" ] && [ -e "$ROOT$1" ]; then
    try rm -f "$ROOT$1"
  fi
}

# install_file SRC DEST MODE: the bundle's file as DEST on the host, backed up first. Sets WROTE=1
# when it wrote (or, in a dry run, would write), so that what depends on the file runs only then.
WROTE=0
install_file() {
  if [ -e "$ROOT$2" ] && cmp -s "$1" "$ROOT$2"; then
    ok "$2 is as planned"
    return 0
  fi
  WROTE=1
  backup "$2"
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would write: %s (%s)\n' "$2" "${1#"$HERE"/}"
    record_json change "${CHANGE_ID:-$STEP_NAME}" "$CHANGE_SCOPE" would-change true "write $2"
    return 0
  fi
  install -D -m "$3" "$1" "$ROOT$2"
  printf '   wrote: %s\n' "$2"
  record_json change "${CHANGE_ID:-$STEP_NAME}" "$CHANGE_SCOPE" changed true "wrote $2"
}

# write_file DEST MODE TEXT: a small file rtc makes, backed up first.
write_file() {
  if [ -e "$ROOT$1" ] && [ "$(cat "$ROOT$1")" = "${3%$'\n'}" ]; then
    ok "$1 is as planned"
    return 0
  fi
  WROTE=1
  backup "$1"
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would write: %s\n' "$1"
    record_json change "${CHANGE_ID:-$STEP_NAME}" "$CHANGE_SCOPE" would-change true "write $1"
    return 0
  fi
  mkdir -p "$(dirname "$ROOT$1")"
  printf '%s' "$3" >"$ROOT$1"
  chmod "$2" "$ROOT$1"
  printf '   wrote: %s\n' "$1"
  record_json change "${CHANGE_ID:-$STEP_NAME}" "$CHANGE_SCOPE" changed true "wrote $1"
}

# ---- checks ----------------------------------------------------------------------------------
# The plan's checks are data: CHECKS in runbook.sh holds one row for each value rtc planned and a
# step reads back, as
#
#   SCOPE|ID|READ|COMPARE|PLANNED|WHAT|FIX
#
# SCOPE is host or a VM's name. ID is the check's stable name, from the catalogue (rtc's
# docs/runbook-checks.md); several rows may share one (a sysctl each, a NUMA node each). READ says
# what to read: a file (on the host, or in a guest through its agent), os-release, siblings (how
# many threads cpu0's core has), flag:NAME (a CPU flag), dir:PATH (yes or no), schemata:PATH (a
# resctrl schemata file's lines), percpu:CPUS:FILE (FILE under each CPU's sysfs folder: its one
# value when all agree, else each CPU's). COMPARE says how what was found is held to PLANNED. WHAT says
# in words what is checked, FIX what to do when it differs. The one engine reading them is
# check_rows; the checks that are more than a value (the kernel, its command line, devices,
# pins) are functions, which report through check_ok and check_bad with an ID of the same
# catalogue.

# check_ok ID SCOPE MESSAGE, check_bad ID SCOPE MESSAGE: one check's result, as a person reads it.
check_ok() {
  printf '   ok: %s\n' "$3"
  record_json check "$1" "$2" ok false "$3"
}
check_bad() {
  printf '   FAIL: %s\n' "$3" >&2
  FAILS=$((FAILS + 1))
  record_json check "$1" "$2" failed false "$3"
}

# table_row ID WHAT PLANNED FOUND MARK: a row of the identity table (and its record: failed on a
# MISMATCH, unknown when the row cannot say yet).
table_row() {
  printf '   %-34s %-22s %-22s %s\n' "$2" "$3" "$4" "$5"
  local status=ok
  case $5 in MISMATCH) status=failed ;; unsure*) status=unknown ;; esac
  record_json check "$1" host "$status" false "$2: planned $3, found $4"
}

# check_read READ: what is there, as text ("absent" when there is nothing to read). With
# CHECK_FACTS set (collect_facts' output, from a guest), a file is read from those facts.
check_read() {
  local v
  case $1 in
    os-release)
      v=$(os_release VERSION_ID)
      printf '%s %s' "$(os_release ID)" "$v" ;;
    siblings)
      v=$(read_file /sys/devices/system/cpu/cpu0/topology/thread_siblings_list)
      if [ "$v" = absent ]; then printf 'unreadable'; else expand_cpus "$v" | tr ',' '\n' | grep -c . || true; fi ;;
    flag:*) has_flag "${1#flag:}" ;;
    dir:*) if [ -d "$ROOT${1#dir:}" ]; then printf 'yes'; else printf 'no'; fi ;;
    schemata:*) schemata_lines "${1#schemata:}" ;;
    percpu:*) percpu_read "${1#percpu:}" ;;
    /*) if [ -n "${CHECK_FACTS-}" ]; then fact "$CHECK_FACTS" "file:$1"; else read_file "$1"; fi ;;
    *) printf 'unreadable' ;;
  esac
}

# percpu_read CPUS:FILE: FILE of each CPU (/sys/devices/system/cpu/cpuN/FILE). One value when every
# CPU has the same, else "cpuN=VALUE" for each, so a mismatch names the CPU.
percpu_read() {
  local cpus=${1%%:*} file=${1#*:} cpu v first='' same=1 all=''
  for cpu in $(expand_cpus "$cpus" | tr ',' ' '); do
    v=$(read_file "/sys/devices/system/cpu/cpu$cpu/$file")
    if [ -z "$all" ]; then first=$v; elif [ "$v" != "$first" ]; then same=0; fi
    all+="cpu$cpu=$v "
  done
  if [ "$same" = 1 ]; then printf '%s' "$first"; else printf '%s' "${all% }"; fi
}

# check_matches COMPARE FOUND PLANNED: whether what was found is what was planned.
#   equal            the same text
#   equal-or-absent  the same, or no such file (a knob some kernels lack)
#   selected         the bracketed choice of a sysfs list ("always madvise [never]")
#   selected-or-absent  the same, or no such file (a kernel built without the feature)
#   mask             a cpumask ("00000000,0000000f"), as a number ("f")
#   hex              a number in hex, leading zeros aside (resctrl's cbm_mask)
#   cpus             a CPU list, as a set ("4-5" is "4,5")
#   at-least         a number, no less than planned
#   os               ID and VERSION_ID, the version as precise as planned ("rhel 9" is "rhel 9.4")
#   schemata         every planned resource's line, masks compared as numbers
check_matches() {
  case $1 in
    equal) [ "$2" = "$3" ] ;;
    equal-or-absent) [ "$2" = "$3" ] || [ "$2" = absent ] ;;
    selected) [[ $2 == *"[$3]"* ]] ;;
    selected-or-absent) [[ $2 == *"[$3]"* ]] || [ "$2" = absent ] ;;
    mask) [ "$(normalize_mask "$2")" = "$3" ] ;;
    hex) [ "$(normalize_mask "$2")" = "$(normalize_mask "$3")" ] ;;
    cpus) [ "$(expand_cpus "$2")" = "$(expand_cpus "$3")" ] ;;
    at-least) [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge "$3" ] ;;
    os) [ "$2" = "$3" ] || [[ $2 == "$3".* ]] ;;
    schemata) schemata_has "$2" "$3" ;;
    *) return 1 ;;
  esac
}

# check_rows MODE SCOPE PREFIX: every row of SCOPE whose ID starts with PREFIX, read and compared.
# MODE table prints the identity table's rows (what, planned, found, ok or MISMATCH); MODE lines
# prints an ok or FAIL line for each and counts failures in FAILS.
check_rows() {
  local mode=$1 scope=$2 prefix=$3 row s id read compare planned what fix found extra least
  for row in "${CHECKS[@]}"; do
    IFS='|' read -r s id read compare planned what fix <<<"$row"
    if [ "$s" != "$scope" ] || [[ $id != "$prefix"* ]]; then continue; fi
    found=$(check_read "$read")
    [ "$compare" != schemata ] || found=$(schemata_for "$found" "$planned")
    if [ "$mode" = table ]; then
      if check_matches "$compare" "$found" "$planned"; then
        table_row "$id" "$what" "$planned" "$planned" ok
      else
        table_row "$id" "$what" "$planned" "${found:-empty}" MISMATCH
      fi
    elif check_matches "$compare" "$found" "$planned"; then
      check_ok "$id" "$scope" "$scope: $what"
    else
      extra=
      if [ "$scope" = host ] && [[ $read == /proc/sys/* ]]; then
        extra=$(sysctl_sources "$read")
        extra=${extra:+ (set by ${extra% }, which TuneD applies again after its profile: change it there)}
      fi
      least=
      [ "$compare" != at-least ] || least=' at least'
      check_bad "$id" "$scope" "$scope: $what: ${read#*:} is '${found:-empty}', planned$least '$planned'$extra${fix:+ ($fix)}"
    fi
  done
}

# check_files SCOPE PREFIX: the files the rows of SCOPE read, one per line (what collect_facts
# reads in a guest).
check_files() {
  local row s id read
  for row in "${CHECKS[@]}"; do
    IFS='|' read -r s id read _ <<<"$row"
    if [ "$s" = "$1" ] && [[ $id == "$2"* ]] && [[ $read == /* ]]; then printf '%s\n' "$read"; fi
  done
}

# schemata_lines FILE: a resctrl schemata file's lines, spaces taken out, one line of them.
schemata_lines() {
  if [ -r "$ROOT$1" ]; then tr -d ' ' <"$ROOT$1" | grep -v '^$' | paste -sd ' ' -; else printf 'absent'; fi
}

# schemata_for FOUND PLANNED: FOUND's lines of the resources PLANNED has a line for (or FOUND as it
# is, when it has none of them: "absent").
schemata_for() {
  local line out=()
  for line in $2; do
    line=$(tr ' ' '\n' <<<"$1" | grep -E "^${line%%:*}:" || true)
    [ -z "$line" ] || out+=("$line")
  done
  if [ "${#out[@]}" -gt 0 ]; then printf '%s' "${out[*]}"; else printf '%s' "$1"; fi
}

# schemata_has FOUND PLANNED: every line of PLANNED (space-separated, RESOURCE:ID=MASK;...) is
# in FOUND for its resource, masks compared as numbers (kernels print them with or without
# leading zeros, in either case).
schemata_has() {
  local line found
  for line in $2; do
    found=$(tr ' ' '\n' <<<"$1" | grep -E "^${line%%:*}:" || true)
    [ "$(normalize_schemata "$found")" = "$(normalize_schemata "$line")" ] || return 1
  done
}

# A cpumask as the kernel prints it ("00000000,0000000f") as a bare number ("f").
normalize_mask() {
  local m
  m=$(printf '%s' "$1" | tr -d ',' | tr 'A-F' 'a-f' | sed 's/^0*//')
  printf '%s' "${m:-0}"
}

# Kernels print masks with or without leading zeros; compare them as numbers.
normalize_schemata() {
  printf '%s' "$1" | sed -E 's/=0*([0-9a-fA-F])/=\1/g' | tr 'A-F' 'a-f'
}

# ---- identity --------------------------------------------------------------------------------
# Is this the manifest's host? Its topology, cache ways and facts, read and compared before any
# change.

os_release() {
  local v
  v=$(sed -n "s/^$1=//p" "$ROOT/etc/os-release" 2>/dev/null | tr -d "\"'" | head -n 1 || true)
  printf '%s' "${v:-absent}"
}

cpu_flags() { sed -n 's/^flags[[:space:]]*: //p' "$ROOT/proc/cpuinfo" 2>/dev/null | head -n 1; }
has_flag() { case " $(cpu_flags) " in *" $1 "*) echo yes ;; *) echo no ;; esac; }

# The rows that say whether this is the manifest's host (CHECKS' identity rows); MISMATCH marks
# a difference.
topology_rows() {
  check_rows table host topology.
  if [ -d "$ROOT/sys/fs/resctrl/info" ]; then
    check_rows table host resctrl-info.
  elif [ -n "$RESCTRL_INFO" ]; then
    # A fresh host: resctrl is mounted by rtc-resctrl.service at the next boot. Until then the
    # CPU's flags say whether the cache allocation the plan needs is there at all.
    check_rows table host cpu.
    cache_ways_row
    table_row resctrl-info.mounted "resctrl" "mounted" "not mounted yet" "ok (its parameters are checked after the reboot)"
  fi
}

# Before resctrl is mounted: the cache's ways, which the plan's masks are made of, so that a host
# with another number of ways is refused before the host step, not after its reboot. sysfs gives
# the cache's associativity, which on CAT parts is the mask's length too; where the two differ,
# resctrl is mounted for a moment to read cbm_mask itself, then unmounted (not in a dry run).
cache_ways_row() {
  local level=${RESCTRL_INFO:1:1} want ways
  want=$(mask_bits "$EXPECTED_CBM_MASK")
  ways=$(read_file "/sys/devices/system/cpu/cpu0/cache/index$level/ways_of_associativity")
  if [ "$ways" = "$want" ]; then
    table_row cpu.cache-ways "L$level ways (associativity)" "$want" "$ways" ok
  elif ! [[ $ways =~ ^[0-9]+$ ]]; then
    table_row cpu.cache-ways "L$level ways (associativity)" "$want" "unreadable" "ok (cbm_mask is checked after the reboot)"
  elif [ "$DRY_RUN" = 1 ]; then
    table_row cpu.cache-ways "L$level ways (associativity)" "$want" "$ways" "unsure: a real run mounts resctrl a moment to read cbm_mask"
  else
    ways=$(cbm_mask_now "$level")
    if check_matches hex "$ways" "$EXPECTED_CBM_MASK"; then
      table_row cpu.cache-ways "resctrl L$level cbm_mask (mounted a moment)" "$EXPECTED_CBM_MASK" "$ways" ok
    else
      table_row cpu.cache-ways "resctrl L$level cbm_mask (mounted a moment)" "$EXPECTED_CBM_MASK" "$ways" MISMATCH
    fi
  fi
}

# mask_bits HEX: how many bits are set.
mask_bits() {
  local v=$((16#$1)) n=0
  while [ "$v" -gt 0 ]; do
    n=$((n + (v & 1)))
    v=$((v >> 1))
  done
  echo "$n"
}

# cbm_mask_now LEVEL: the cache's cbm_mask from a resctrl mounted for the moment of reading it.
cbm_mask_now() {
  if mount -t resctrl resctrl "$ROOT/sys/fs/resctrl" 2>/dev/null; then
    read_file "/sys/fs/resctrl/info/L$1/cbm_mask" | sed 's/^0*//'
    umount "$ROOT/sys/fs/resctrl" 2>/dev/null || true
  else
    echo "resctrl-unmountable"
  fi
}

TABLE_HEAD=$(printf '   %-34s %-22s %-22s' "" "expected" "found")

# guard STEP: every step that changes the host runs this first. On any difference from the
# manifest it shows the table and stops, before anything is changed.
guard() {
  need_root "$1"
  local table
  table=$(topology_rows)
  if grep -q 'MISMATCH$' <<<"$table"; then
    printf '%s\n%s\n' "$TABLE_HEAD" "$table"
    fail "refusing '$1': this is not the host the manifest describes (table above), and nothing was changed. To describe this host: ./runbook.sh facts > facts.txt, then rtc probe facts.txt on any machine with rtc"
  fi
  start_changes
}

# Once per run of the script: the state folder, a lock against a second runbook, and the log.
start_changes() {
  [ "$DRY_RUN" = 0 ] && [ -z "${CHANGING-}" ] || return 0
  CHANGING=1
  mkdir -p "$STATE"
  exec 9>>"$STATE/lock"
  have flock && { flock -n 9 || fail "another runbook.sh of $BUNDLE is running on this host; wait for it to finish"; }
  # Everything to the terminal and to the log. On exit, close the pipe and wait for tee, so the
  # last lines (the verdict) are on screen and in the log before the prompt returns.
  exec 3>&1 4>&2
  exec > >(tee -a "$STATE/runbook.log") 2>&1
  TEE_PID=$!
  echo "rtc runbook for $BUNDLE: ${STEPS[*]} ($(date -u +%Y-%m-%dT%H:%M:%SZ)); log: $STATE/runbook.log"
}

# collect_facts FILE...: the running kernel, command line and tuning as key=value lines. The same
# function runs on the host and, sent through the guest agent, in a guest (with ROOT empty).
collect_facts() {
  local f v
  printf 'osrelease=%s\n' "$(tr -d '\n' <"$ROOT/proc/sys/kernel/osrelease" 2>/dev/null || echo absent)"
  printf 'version=%s\n' "$(tr -d '\n' <"$ROOT/proc/sys/kernel/version" 2>/dev/null || echo absent)"
  printf 'realtime=%s\n' "$(tr -d '\n' <"$ROOT/sys/kernel/realtime" 2>/dev/null || echo absent)"
  printf 'cmdline=%s\n' "$(tr -d '\n' <"$ROOT/proc/cmdline" 2>/dev/null || echo absent)"
  if command -v tuned-adm >/dev/null 2>&1; then
    printf 'tuned.active=%s\n' "$(tuned-adm active 2>/dev/null | sed -n 's/^Current active profile: //p')"
    # A profile may set knobs this kernel lacks (PREEMPT_RT kernels have no net.core.busy_poll): TuneD's
    # verify fails on them even with --ignore-missing (2.20), and logs each as "= 'None'". Those alone
    # are no difference from the profile; any other failure is.
    local log=$ROOT/var/log/tuned/tuned.log n failed
    n=$({ wc -l <"$log"; } 2>/dev/null || echo 0)
    if tuned-adm verify >/dev/null 2>&1; then
      echo 'tuned.verify=ok'
    else
      # No log (TuneD logging elsewhere, or never started): no knob to excuse, so verify's failure stands.
      failed=$({ tail -n +"$((n + 1))" "$log" 2>/dev/null || true; } | sed -n "s/.*verify: failed: '\([^']*\)' = '\([^']*\)'.*/\1=\2/p")
      if [ -n "$failed" ] && ! grep -qv '=None$' <<<"$failed"; then
        printf 'tuned.verify=missing %s\n' "$(sort -u <<<"${failed//=None/}" | paste -sd ' ' -)"
      else
        echo 'tuned.verify=failed'
      fi
    fi
  else
    printf 'tuned.active=\ntuned.verify=absent\n'
  fi
  printf 'stalld=%s\n' "$(systemctl is-active stalld 2>/dev/null || true)"
  for f in "$@"; do
    v=$(tr -d '\n' <"$ROOT$f" 2>/dev/null) || v=absent
    printf 'file:%s=%s\n' "$f" "$v"
  done
  # Where else kernel arguments are set (not rtc's drop-in): a guest's files are seen only through these lines.
  for f in /etc/default/grub /etc/default/grub.d/*.cfg /etc/kernel/cmdline /etc/tuned/bootcmdline; do
    if [ -f "$ROOT$f" ] && [ "${f##*/}" != 99-rtc.cfg ]; then
      printf 'src:%s=%s\n' "$f" "$(grep -v '^[[:space:]]*#' "$ROOT$f" 2>/dev/null | tr '\n' ' ')"
    fi
  done
}

# fact FACTS KEY: the value of KEY in collect_facts' output.
fact() { awk -v k="$2=" 'index($0, k) == 1 { print substr($0, length(k) + 1); exit }' <<<"$1"; }

# facts: prints this host's CPUs, caches, NUMA nodes and resctrl parameters as path:value lines,
# which rtc probe reads back into the manifest's topology block. Writes nothing.
step_facts() {
  local r=$ROOT
  (
    shopt -s nullglob
    grep -rH . "$r"/etc/os-release "$r"/sys/devices/system/cpu/{online,offline} "$r"/sys/devices/system/cpu/cpu[0-9]*/topology/{core_id,physical_package_id,thread_siblings_list} \
      "$r"/sys/devices/system/cpu/cpu[0-9]*/cache/index[0-9]*/{level,type,id,size,shared_cpu_list} \
      "$r"/sys/devices/system/node/node[0-9]*/{cpulist,meminfo} "$r"/sys/devices/cpu_{core,atom}/cpus "$r"/sys/fs/resctrl/info \
      </dev/null 2>/dev/null || true
    # PCI devices, for host.devices: their files, and where their driver, IOMMU group and physical function links point.
    # (With nullglob, a host without PCI devices leaves grep no file: stdin is /dev/null, never the caller's.)
    grep -H . "$r"/sys/bus/pci/devices/*/{vendor,device,class,numa_node,sriov_totalvfs,sriov_offset,sriov_stride} \
      "$r"/sys/bus/pci/devices/*/net/*/ifindex </dev/null 2>/dev/null || true
    local d l t
    for d in "$r"/sys/bus/pci/devices/*; do
      for l in driver iommu_group physfn; do
        if [ -L "$d/$l" ]; then t=$(readlink "$d/$l"); printf '%s/%s:%s\n' "$d" "$l" "${t##*/}"; fi
      done
    done
  ) | awk -v r="$r" 'r != "" && index($0, r) == 1 { $0 = substr($0, length(r) + 1) } { print }'
}

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

# ---- qualify ---------------------------------------------------------------------------------
# The platform before the plan is judged on it: the firmware's and the hardware's own noise on the
# CPUs to be isolated, the SMIs that cause it, C-states and clock frequency, cache allocation
# against the manifest, and the board's facts. Each run is a record of its own under
# $STATE/qualify/, never overwritten; bench gives a verdict only on a host whose latest record passed
# for this bundle, on the kernel and command line that run now.
#
# A record's findings, each passed, failed, or not-measured (the kernel or hardware cannot tell):
#   qualify.hwlat      hwlatdetect's worst gap with interrupts off (firmware, SMIs) below the limit
#   qualify.osnoise    rtla osnoise's worst single noise on the isolated CPUs below the limit
#   qualify.smi        SMIs counted during the windows (MSR_SMI_COUNT), with what they cost
#   qualify.cstates    no idle state deeper than C1 entered on an isolated CPU
#   qualify.frequency  the isolated CPUs' clock within 10% of itself over the windows
#   qualify.rdt        the cache allocation the plan needs is what resctrl and the CPU offer
#   qualify.iommu      an IOMMU (VT-d) where the plan passes devices through
#   qualify.planned    the planned kernel and command line run (else the tuning is not judged)
# A record passes when nothing failed and the noise was measured on the planned kernel; without
# the tracers (a stock kernel has neither hwlat nor osnoise) it is incomplete, and says so.

QUALIFY_SECONDS=${RTC_QUALIFY_SECONDS:-$QUALIFY_SECONDS}

# tracefs: where the kernel's tracers are, or nothing.
tracefs() {
  local d
  for d in /sys/kernel/tracing /sys/kernel/debug/tracing; do
    [ -r "$ROOT$d/available_tracers" ] && { printf '%s' "$ROOT$d"; return 0; }
  done
  return 1
}
has_tracer() {
  local t
  t=$(tracefs) || return 1
  grep -qw "$1" "$t/available_tracers"
}

# smi_count CPU: MSR_SMI_COUNT (0x34), as turbostat and cyclictest --smi read it; empty when the
# msr driver is not there.
smi_count() {
  local dev=$ROOT/dev/cpu/$1/msr
  if [ ! -r "$dev" ] && [ -z "$ROOT" ]; then modprobe -q msr 2>/dev/null || true; fi
  [ -r "$dev" ] || return 0
  dd if="$dev" bs=1 skip=52 count=4 2>/dev/null | od -An -t u4 | tr -d ' \n'
}

# cpuidle_usage CPUS: "cpu state name usage latency" for each idle state of each CPU (latency: its
# wake-up, in us, as the idle driver declares it).
cpuidle_usage() {
  local cpu s
  for cpu in $(expand_cpus "$1" | tr ',' ' '); do
    for s in "$ROOT/sys/devices/system/cpu/cpu$cpu/cpuidle"/state[0-9]*; do
      [ -r "$s/usage" ] || continue
      printf '%s %s %s %s %s\n' "$cpu" "${s##*/state}" "$(tr -d ' \n' <"$s/name")" "$(tr -d '\n' <"$s/usage")" \
        "$(tr -d '\n' 2>/dev/null <"$s/latency" || printf 0)"
    done
  done
}

# cpu_freqs CPUS: "cpu kHz" for each CPU with a cpufreq driver.
cpu_freqs() {
  local cpu f
  for cpu in $(expand_cpus "$1" | tr ',' ' '); do
    f=$ROOT/sys/devices/system/cpu/cpu$cpu/cpufreq/scaling_cur_freq
    [ -r "$f" ] && printf '%s %s\n' "$cpu" "$(tr -d '\n' <"$f")"
  done
  return 0
}

dmi() { local v; v=$(tr -d '\n' <"$ROOT/sys/class/dmi/id/$1" 2>/dev/null || true); printf '%s' "${v:-unknown}"; }

# bundle_digest: sha256 of the bundle's SHA256SUMS, which names every file of the bundle.
bundle_digest() {
  if [ -r "$HERE/SHA256SUMS" ]; then printf 'sha256:%s' "$(sha256sum "$HERE/SHA256SUMS" | cut -d' ' -f1)"; else printf 'unknown'; fi
}

# finding ID STATUS VALUE MESSAGE: one finding of the record, and its check record.
QFINDINGS=()
finding() {
  QFINDINGS+=("$1|$2|$3|$4")
  case $2 in
    passed) check_ok "$1" host "$4" ;;
    failed) check_bad "$1" host "$4" ;;
    *) printf '   not measured: %s\n' "$4"; record_json check "$1" host unknown false "$4" ;;
  esac
}

step_qualify() {
  applying qualify.record
  guard qualify
  local planned=1 id dir n=1
  say "qualify: the platform's own noise on the CPUs to isolate ($ISOLATED), ${QUALIFY_SECONDS} s per measure, against a limit of $QUALIFY_NOISE_US us"
  running_as_planned || planned=0
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would measure: hwlatdetect and rtla osnoise for %s s each (where the kernel has their tracers), SMIs, C-states, clock frequency, cache allocation, board facts\n' "$QUALIFY_SECONDS"
    printf '   would write: %s/qualify/<time>.json and the raw outputs beside it\n' "$STATE"
    return 0
  fi
  id=$(date -u +%Y%m%dT%H%M%SZ)
  while [ -e "$STATE/qualify/$id.json" ] || [ -e "$STATE/qualify/$id" ]; do
    n=$((n + 1))
    id=$(date -u +%Y%m%dT%H%M%SZ)-$n
  done
  dir=$STATE/qualify/$id
  mkdir -p "$dir"
  QFINDINGS=()
  FAILS=0
  if [ "$planned" = 1 ]; then
    finding qualify.planned passed yes "the planned kernel and command line run: the tuning is judged too"
  else
    finding qualify.planned not-measured no "the planned kernel and command line do not run yet (./runbook.sh host, then reboot): the firmware is measured, the tuning is not judged; qualify again after the reboot"
  fi
  qualify_platform_facts >"$dir/platform.txt"
  qualify_rdt
  qualify_iommu
  local smi0 smi1 cpu0
  cpu0=$(expand_cpus "$ISOLATED" | cut -d, -f1)
  smi0=$(smi_count "$cpu0")
  cpuidle_usage "$ISOLATED" >"$dir/cpuidle-before.txt"
  cpu_freqs "$ISOLATED" >"$dir/frequency.txt"
  qualify_hwlat "$dir"
  cpu_freqs "$ISOLATED" >>"$dir/frequency.txt"
  qualify_osnoise "$dir" "$ISOLATED" "$planned"
  cpu_freqs "$ISOLATED" >>"$dir/frequency.txt"
  smi1=$(smi_count "$cpu0")
  cpuidle_usage "$ISOLATED" >"$dir/cpuidle-after.txt"
  qualify_smi "$smi0" "$smi1" "$cpu0"
  qualify_cstates "$dir" "$planned"
  qualify_frequency "$dir" "$planned"
  local status
  status=$(qualify_status)
  qualify_record "$id" "$status" "$planned" "$ISOLATED" >"$STATE/qualify/$id.json"
  printf '%s\n' "$id" >"$STATE/qualify/latest"
  record_json change qualify.record host changed true "wrote $STATE/qualify/$id.json"
  case $status in
    passed) say "qualify: PASSED - the platform qualifies for this plan (record $STATE/qualify/$id.json); bench may judge it" ;;
    failed) fail "qualify: FAILED - $FAILS findings above (record $STATE/qualify/$id.json): no benchmark on this platform gives a verdict until they are fixed and qualify passes" ;;
    *) say "qualify: INCOMPLETE - what could not be measured is above (record $STATE/qualify/$id.json); bench gives no verdict until a qualify passes" ;;
  esac
}

# qualify_status: failed when a finding failed; incomplete when the plan's kernel does not run or
# no noise could be measured; else passed.
qualify_status() {
  local f id status measured=0
  for f in "${QFINDINGS[@]}"; do
    IFS='|' read -r id status _ <<<"$f"
    [ "$status" != failed ] || { echo failed; return; }
    case $id in qualify.hwlat | qualify.osnoise) [ "$status" != passed ] || measured=1 ;; esac
    [ "$id" != qualify.planned ] || [ "$status" = passed ] || { echo incomplete; return; }
  done
  if [ "$measured" = 1 ]; then echo passed; else echo incomplete; fi
}

qualify_platform_facts() {
  printf 'vendor=%s\nproduct=%s\nboard=%s\nbios_vendor=%s\nbios_version=%s\nbios_date=%s\n' "$(dmi sys_vendor)" "$(dmi product_name)" \
    "$(dmi board_name)" "$(dmi bios_vendor)" "$(dmi bios_version)" "$(dmi bios_date)"
  printf 'cpu=%s\n' "$(sed -n 's/^model name[[:space:]]*: //p' "$ROOT/proc/cpuinfo" 2>/dev/null | head -n 1)"
  printf 'microcode=%s\n' "$(sed -n 's/^microcode[[:space:]]*: //p' "$ROOT/proc/cpuinfo" 2>/dev/null | head -n 1)"
  printf 'smt=%s\n' "$(read_file /sys/devices/system/cpu/smt/control)"
  if compgen -G "$ROOT/sys/class/iommu/*" >/dev/null; then echo iommu=yes; else echo iommu=no; fi
}

# The cache the plan gives a real-time VM is its own only if no other agent fills it: the ways in
# resctrl's shareable_bits are used by I/O (DDIO) or a GPU whatever the groups say. The sizes and
# counts themselves are the identity table's, which every step checks first.
qualify_rdt() {
  if [ -z "$RESCTRL_INFO" ]; then
    finding qualify.rdt passed none "cache allocation: the plan allocates none (CPU flag cat_l3: $(has_flag cat_l3))"
    return 0
  fi
  local info=/sys/fs/resctrl/info/$RESCTRL_INFO shareable vm line dom overlaps=()
  if [ ! -d "$ROOT$info" ]; then
    finding qualify.rdt not-measured none "cache allocation: resctrl is not mounted yet (rtc-resctrl.service mounts it at boot)"
    return 0
  fi
  shareable=$(normalize_mask "$(read_file "$info/shareable_bits")")
  [[ $shareable =~ ^[0-9a-f]+$ ]] || shareable=0
  for vm in "${VMS[@]}"; do
    [ "${VM_ROLE[$vm]}" = realtime ] || continue
    for line in ${VM_RESCTRL[$vm]}; do
      IFS=';' read -r -a doms <<<"${line#*:}"
      for dom in "${doms[@]}"; do
        [ $((0x${dom#*=} & 0x$shareable)) = 0 ] || overlaps+=("$vm ${line%%:*} cache ${dom%%=*}: ways ${dom#*=} and shareable $shareable")
      done
    done
  done
  if [ "${#overlaps[@]}" -gt 0 ]; then
    finding qualify.rdt failed "$shareable" "cache allocation: a real-time VM's ways are also I/O's or another agent's (resctrl shareable_bits $shareable): ${overlaps[*]}; its cache is not its own: switch Intel DDIO (Data Direct I/O) off in the BIOS, or move the I/O device to another socket (rtc does not plan around these ways yet)"
  else
    finding qualify.rdt passed "$shareable" "cache allocation ($RESCTRL_INFO): no real-time VM's ways are shared with I/O or other agents (shareable_bits $shareable)"
  fi
}

qualify_iommu() {
  if [ "${#DEVICES[@]}" = 0 ]; then
    return 0
  fi
  if compgen -G "$ROOT/sys/class/iommu/*" >/dev/null; then
    finding qualify.iommu passed yes "an IOMMU is on, for the ${#DEVICES[@]} devices the plan passes through"
  else
    finding qualify.iommu failed no "no IOMMU in /sys/class/iommu, and the plan passes ${#DEVICES[@]} devices through: switch on VT-d in the BIOS, and intel_iommu=on"
  fi
}

# hwlatdetect: the hwlat tracer spins with interrupts off and records every gap in the time it
# reads; what it sees is the firmware's (SMIs) and the hardware's, never the kernel's.
qualify_hwlat() {
  local dir=$1 max
  if ! has_tracer hwlat; then
    finding qualify.hwlat not-measured none "hardware latency: this kernel has no hwlat tracer (PREEMPT_RT kernels like Debian's linux-image-rt-amd64 have it)"
    return 0
  fi
  if ! have hwlatdetect; then
    finding qualify.hwlat not-measured none "hardware latency: hwlatdetect is not installed (rt-tests)"
    return 0
  fi
  hwlatdetect --duration="${QUALIFY_SECONDS}s" --threshold=1us --cpu-list="$ISOLATED" --report="$dir/hwlat-samples.txt" >"$dir/hwlat.txt" 2>&1 || true
  max=$(sed -n 's/^Max Latency: \([0-9]*\)us$/\1/p; s/^Max Latency: Below threshold$/0/p' "$dir/hwlat.txt" | head -n 1)
  if [[ ! $max =~ ^[0-9]+$ ]]; then
    finding qualify.hwlat failed none "hardware latency: hwlatdetect gave no result ($dir/hwlat.txt)"
  elif [ "$max" -lt "$QUALIFY_NOISE_US" ]; then
    finding qualify.hwlat passed "$max" "hardware latency: at most $max us with interrupts off over ${QUALIFY_SECONDS} s (limit $QUALIFY_NOISE_US us)"
  else
    finding qualify.hwlat failed "$max" "hardware latency: $max us with interrupts off (limit $QUALIFY_NOISE_US us): the firmware takes the CPU (SMIs, power management); see the BIOS checklist (bios-checklist.md) and the SMI count"
  fi
}

# rtla osnoise: a thread per isolated CPU reads the time with everything enabled; its worst single
# gap is what the kernel, its interrupts and threads and the hardware leave on that CPU.
qualify_osnoise() {
  local dir=$1 cpus=$2 planned=$3 worst
  if ! has_tracer osnoise; then
    finding qualify.osnoise not-measured none "operating system noise: this kernel has no osnoise tracer"
    return 0
  fi
  if ! have rtla; then
    finding qualify.osnoise not-measured none "operating system noise: rtla is not installed"
    return 0
  fi
  rtla osnoise top -c "$cpus" -d "${QUALIFY_SECONDS}s" -q >"$dir/osnoise.txt" 2>&1 || true
  # CPU Period Runtime Noise %Aval MaxNoise MaxSingle HW NMI IRQ Softirq Thread
  worst=$(awk '$1 ~ /^[0-9]+$/ && $2 ~ /^#/ && NF >= 12 { if ($7 + 0 >= m) { m = $7 + 0; w = $1 " " $7 " " $8 " " $9 " " $10 " " $11 " " $12 } } END { print w }' "$dir/osnoise.txt")
  if [ -z "$worst" ]; then
    finding qualify.osnoise failed none "operating system noise: rtla osnoise gave no result ($dir/osnoise.txt)"
    return 0
  fi
  local cpu max hw nmi irq sirq thread
  read -r cpu max hw nmi irq sirq thread <<<"$worst"
  local what="worst single noise $max us on CPU $cpu over ${QUALIFY_SECONDS} s (there: $hw hardware, $nmi NMI, $irq IRQ, $sirq softirq, $thread thread interferences)"
  if [ "$max" -lt "$QUALIFY_NOISE_US" ]; then
    finding qualify.osnoise passed "$max" "operating system noise: $what, limit $QUALIFY_NOISE_US us"
  elif [ "$planned" = 1 ]; then
    finding qualify.osnoise failed "$max" "operating system noise: $what, limit $QUALIFY_NOISE_US us: interrupts or threads still run on the isolated CPUs (./runbook.sh check-host, and /proc/interrupts)"
  else
    finding qualify.osnoise not-measured "$max" "operating system noise: $what; not judged before the planned kernel and command line run"
  fi
}

qualify_smi() {
  local n
  if [ -z "$1" ] || [ -z "$2" ]; then
    finding qualify.smi not-measured none "SMIs: MSR_SMI_COUNT is not readable (modprobe msr; an AMD CPU or a VM has none)"
    return 0
  fi
  n=$(($2 - $1))
  if [ "$n" = 0 ]; then
    finding qualify.smi passed 0 "SMIs: none on CPU $3 during the measures"
  else
    # SMIs are the firmware's; their cost is what hwlat measured. Many boards have a few per second
    # (a thermal or USB legacy handler); they fail the platform only through that cost.
    finding qualify.smi passed "$n" "SMIs: $n on CPU $3 during the measures (their cost is in the hardware latency above)"
  fi
}

qualify_cstates() {
  local dir=$1 planned=$2 deep
  if [ ! -s "$dir/cpuidle-before.txt" ]; then
    finding qualify.cstates passed none "C-states: no cpuidle driver on the isolated CPUs (they idle by polling or halt only)"
    return 0
  fi
  if [ "$POWER" = balanced ]; then
    qualify_cstates_held "$dir" "$planned"
    return 0
  fi
  # States beyond state1 (POLL is 0, C1 is 1) that an isolated CPU entered during the measures.
  deep=$(awk 'NR == FNR { u[$1 " " $2] = $4; next } $2 >= 2 && $4 > u[$1 " " $2] { printf "CPU %s %s %d times; ", $1, $3, $4 - u[$1 " " $2] }' \
    "$dir/cpuidle-before.txt" "$dir/cpuidle-after.txt")
  if [ -z "$deep" ]; then
    finding qualify.cstates passed 0 "C-states: no isolated CPU went deeper than C1"
  elif [ "$planned" = 1 ]; then
    finding qualify.cstates failed "${deep%; }" "C-states: deeper than C1 on isolated CPUs (${deep%; }): their wake-up is tens of us; the plan's processor.max_cstate=1 does not hold: disable C6/C1E (package C-states) in the BIOS"
  else
    finding qualify.cstates not-measured "${deep%; }" "C-states: deeper than C1 on isolated CPUs (${deep%; }); not judged before the planned command line runs"
  fi
}

# host.power: balanced: only POWER_HELD is held, per CPU, to states waking within POWER_HELD_US.
qualify_cstates_held() {
  local dir=$1 planned=$2 deep
  if [ -z "$POWER_HELD" ]; then
    finding qualify.cstates passed none "C-states: host.power is balanced and no CPU is held (no real-time VM): every CPU may sleep deep"
    return 0
  fi
  deep=$(awk -v held=",$(expand_cpus "$POWER_HELD")," -v lim="$POWER_HELD_US" 'NR == FNR { u[$1 " " $2] = $4; next }
    index(held, "," $1 ",") && $5 > lim && $4 > u[$1 " " $2] { printf "CPU %s %s (wakes in %s us) %d times; ", $1, $3, $5, $4 - u[$1 " " $2] }' \
    "$dir/cpuidle-before.txt" "$dir/cpuidle-after.txt")
  if [ -z "$deep" ]; then
    finding qualify.cstates passed 0 "C-states: no real-time VM's CPU ($POWER_HELD) entered a state waking slower than $POWER_HELD_US us; the others may sleep deep (host.power: balanced)"
  elif [ "$planned" = 1 ]; then
    finding qualify.cstates failed "${deep%; }" "C-states: real-time VMs' CPUs slept deeper than planned (${deep%; }): the plan's per-CPU limit (pm_qos_resume_latency_us $POWER_HELD_US, host.power: balanced) does not hold: run tuned-adm verify; is TuneD running its rtc profile?"
  else
    finding qualify.cstates not-measured "${deep%; }" "C-states: real-time VMs' CPUs slept deeper than planned (${deep%; }); not judged before the planned kernel and TuneD profile run"
  fi
}

qualify_frequency() {
  local dir=$1 planned=$2 spread
  if [ ! -s "$dir/frequency.txt" ]; then
    finding qualify.frequency not-measured none "clock frequency: no cpufreq driver reports it"
    return 0
  fi
  # The widest spread of one CPU's samples, in percent of its lowest.
  spread=$(awk '{ if (!($1 in lo) || $2 < lo[$1]) lo[$1] = $2; if ($2 > hi[$1]) hi[$1] = $2 }
    END { for (c in lo) if (lo[c] > 0) { s = int((hi[c] - lo[c]) * 100 / lo[c]); if (s >= m) { m = s; w = c } } print m + 0, w, lo[w], hi[w] }' "$dir/frequency.txt")
  local pct cpu lo hi
  read -r pct cpu lo hi <<<"$spread"
  if [ "$pct" -le 10 ]; then
    finding qualify.frequency passed "$pct" "clock frequency: steady within $pct% on the isolated CPUs"
  elif [ "$planned" = 1 ]; then
    finding qualify.frequency failed "$pct" "clock frequency: CPU $cpu between $lo and $hi kHz ($pct%): turbo or speed stepping moves it; fix it in the BIOS (turbo, EIST/HWP off)"
  else
    finding qualify.frequency not-measured "$pct" "clock frequency: CPU $cpu between $lo and $hi kHz ($pct%); not judged before the planned tuning runs"
  fi
}

# qualify_record ID STATUS PLANNED ISOLATED: the record, as JSON (rtc's docs/runbook-checks.md).
qualify_record() {
  local f id status value message k v first=1 facts
  facts=$(collect_facts)
  printf '{\n  "rtcQualification": 1,\n  "status": "%s",\n' "$2"
  printf '  "id": %s,\n  "bundle": %s,\n  "bundleDigest": %s,\n' "$(json_string "$1")" "$(json_string "$BUNDLE")" "$(json_string "$(bundle_digest)")"
  printf '  "planned": %s,\n  "seconds": %s,\n  "noiseLimitUs": %s,\n  "isolated": %s,\n' "$([ "$3" = 1 ] && echo true || echo false)" \
    "$QUALIFY_SECONDS" "$QUALIFY_NOISE_US" "$(json_string "$4")"
  printf '  "kernel": %s,\n  "cmdline": %s,\n' "$(json_string "$(fact "$facts" osrelease)")" "$(json_string "$(fact "$facts" cmdline)")"
  printf '  "platform": {'
  while IFS='=' read -r k v; do
    [ -n "$k" ] || continue
    [ "$first" = 1 ] || printf ','
    first=0
    printf '\n    %s: %s' "$(json_string "$k")" "$(json_string "$v")"
  done <"$STATE/qualify/$1/platform.txt"
  printf '\n  },\n  "findings": ['
  first=1
  for f in "${QFINDINGS[@]}"; do
    IFS='|' read -r id status value message <<<"$f"
    [ "$first" = 1 ] || printf ','
    first=0
    printf '\n    {"id": %s, "status": %s, "value": %s, "message": %s}' "$(json_string "$id")" "$(json_string "$status")" \
      "$(json_string "$value")" "$(json_string "$message")"
  done
  printf '\n  ]\n}\n'
}

# qualify_raw FILE KEY: a top-level value of a record as JSON text ("passed", 60), as qualify_record
# writes them: compared with json_string of what runs now, never unescaped.
qualify_raw() { sed -n "s/^  \"$2\": \(.*[^,]\),\{0,1\}\$/\1/p" "$1" 2>/dev/null | head -n 1; }

# qualified: whether bench may give a verdict; sets QUALIFY_WHY to why not, and QUALIFY_RECORD to
# the latest record.
QUALIFY_RECORD=
QUALIFY_WHY=
qualified() {
  local id f facts
  id=$(cat "$STATE/qualify/latest" 2>/dev/null || true)
  f=$STATE/qualify/$id.json
  if [ -z "$id" ] || [ ! -r "$f" ]; then
    QUALIFY_WHY="this host has not been qualified: run ./runbook.sh qualify (the platform's own noise first, then the plan's latency)"
    return 1
  fi
  QUALIFY_RECORD=$f
  case $(qualify_raw "$f" status) in
    '"passed"') ;;
    '"failed"') QUALIFY_WHY="the last qualification ($id) failed: $(qualify_failures "$f"); fix that, then ./runbook.sh qualify"; return 1 ;;
    *) QUALIFY_WHY="the last qualification ($id) is incomplete ($f says what was not measured): run ./runbook.sh qualify on the planned kernel"; return 1 ;;
  esac
  if [ "$(qualify_raw "$f" bundleDigest)" != "$(json_string "$(bundle_digest)")" ]; then
    QUALIFY_WHY="the last qualification ($id) was of another bundle (its digest differs): run ./runbook.sh qualify with this one"
    return 1
  fi
  facts=$(collect_facts)
  if [ "$(qualify_raw "$f" kernel)" != "$(json_string "$(fact "$facts" osrelease)")" ] \
    || [ "$(qualify_raw "$f" cmdline)" != "$(json_string "$(fact "$facts" cmdline)")" ]; then
    QUALIFY_WHY="the last qualification ($id) was on another kernel or command line than the running one: run ./runbook.sh qualify again"
    return 1
  fi
}

# qualify_failures FILE: the messages of a record's failed findings, one line.
qualify_failures() {
  sed -n 's/^    {"id": "\([^"]*\)", "status": "failed", .*"message": "\(.*\)"},\{0,1\}$/\1: \2/p' "$1" | paste -sd ';' - | sed 's/;/; /g'
}

# ---- devices ---------------------------------------------------------------------------------
# Devices given to VMs (VFIO, SR-IOV): drivers, IOMMU groups, and what the guests see of them.

# device_driver ADDRESS: the driver the device is bound to now, or nothing.
device_driver() {
  local link
  link=$(readlink "$ROOT/sys/bus/pci/devices/$1/driver" 2>/dev/null) || return 0
  printf '%s' "${link##*/}"
}

# device_group ADDRESS: its IOMMU group, or nothing while the IOMMU is off.
device_group() {
  local link
  link=$(readlink "$ROOT/sys/bus/pci/devices/$1/iommu_group" 2>/dev/null) || return 0
  printf '%s' "${link##*/}"
}

# check_device WHO ADDRESS ID DRIVER NODE GROUP: the device is where the plan says, as it says.
check_device() {
  local who=$1 addr=$2 id=$3 driver=$4 node=$5 group=$6 dir found before=$FAILS
  dir=/sys/bus/pci/devices/$addr
  if [ ! -e "$ROOT$dir" ]; then
    check_bad device.host "$who" "$who: this host has no PCI device $addr (lspci -D lists them; rtc probe writes host.devices)"
    return 0
  fi
  found="$(read_file "$dir/vendor"):$(read_file "$dir/device")"
  found=${found//0x/}
  if [ "$found" != "$id" ]; then
    check_bad device.host "$who" "$who: $addr is a $found, planned $id: another card in that slot?"
    return 0
  fi
  found=$(read_file "$dir/numa_node")
  [ "$found" = "$node" ] || check_bad device.host "$who" "$who: $addr is on NUMA node $found, planned $node (the VM's CPUs are chosen by it)"
  found=$(device_driver "$addr")
  if [ -n "$driver" ] && [ "$found" != "$driver" ] && [ "$found" != vfio-pci ]; then
    check_bad device.host "$who" "$who: $addr is bound to '${found:-no driver}', planned $driver (or vfio-pci while a VM has it)"
  fi
  found=$(device_group "$addr")
  if [ -n "$group" ] && [ -n "$found" ] && [ "$found" != "$group" ]; then
    check_bad device.host "$who" "$who: $addr is in IOMMU group $found, planned $group (another slot or firmware: probe the host again)"
  fi
  [ "$FAILS" -gt "$before" ] || check_ok device.host "$who" "$who: $addr ($id) on NUMA node $node${group:+, IOMMU group $group}"
}

preflight_devices() {
  local d vm kind addr id driver node group pf vf mac
  [ "${#DEVICES[@]}" -gt 0 ] || return 0
  for d in "${DEVICES[@]}"; do
    IFS='|' read -r vm kind addr id driver node group pf vf mac <<<"$d"
    [ "$kind" = whole ] || continue
    check_device "$vm" "$addr" "$id" "$driver" "$node" "$group"
  done
  for d in "${PF_DEVICES[@]}"; do
    IFS='|' read -r addr id driver node <<<"$d"
    check_device "SR-IOV" "$addr" "$id" "$driver" "$node" ""
    if [ -e "$ROOT/sys/bus/pci/devices/$addr" ] && [ ! -e "$ROOT/sys/bus/pci/devices/$addr/sriov_totalvfs" ]; then
      check_bad device.sriov-capable host "SR-IOV: $addr shows no sriov_totalvfs: SR-IOV is off in the BIOS, or its driver does not offer it"
    fi
  done
  if [ -z "$(ls -A "$ROOT/sys/kernel/iommu_groups" 2>/dev/null)" ]; then
    note "the IOMMU is off until the reboot after 'host' (intel_iommu=on); check-host then checks each device's IOMMU group"
  fi
}

# After the reboot: the IOMMU is on, each whole device's IOMMU group holds only devices of the
# same VM (and bridges), and each physical function has its virtual functions where planned.
prove_devices() {
  [ "${#DEVICES[@]}" -gt 0 ] || return 0
  if [ -z "$(ls -A "$ROOT/sys/kernel/iommu_groups" 2>/dev/null)" ]; then
    check_bad device.iommu host "the IOMMU is off (/sys/kernel/iommu_groups is empty): is VT-d on in the BIOS, and intel_iommu=on on the command line?"
    return 0
  fi
  check_ok device.iommu host "IOMMU on"
  local d e vm kind addr id driver node group pf vf mac member mine others found p count
  for d in "${DEVICES[@]}"; do
    IFS='|' read -r vm kind addr id driver node group pf vf mac <<<"$d"
    if [ "$kind" = vf ]; then
      found=$(readlink "$ROOT/sys/bus/pci/devices/$pf/virtfn$vf" 2>/dev/null) || found=
      if [ "${found##*/}" = "$addr" ]; then check_ok device.vf "$vm" "$vm: VF $vf of $pf is $addr"; else
        check_bad device.vf "$vm" "$vm: VF $vf of $pf is '${found##*/}', planned $addr (systemctl status rtc-sriov)"
      fi
      continue
    fi
    # The devices planned for this VM, to tell the group's members apart.
    mine=" "
    for e in "${DEVICES[@]}"; do [ "${e%%|*}" = "$vm" ] && mine+="$(cut -d'|' -f3 <<<"$e") "; done
    others=()
    found=no
    for member in "$ROOT/sys/bus/pci/devices/$addr/iommu_group/devices/"*; do
      [ -e "$member" ] || [ -L "$member" ] || continue
      member=${member##*/}
      [ "$member" != "$addr" ] || found=yes
      [[ $mine == *" $member "* ]] && continue
      [[ $(read_file "/sys/bus/pci/devices/$member/class") == 0x0604* ]] && continue # a PCI bridge
      others+=("$member")
    done
    if [ "$found" = no ]; then
      check_bad device.iommu-group "$vm" "$vm: $addr is not in an IOMMU group (/sys/bus/pci/devices/$addr/iommu_group): is the device there, and the IOMMU on for it?"
    elif [ "${#others[@]}" -eq 0 ]; then check_ok device.iommu-group "$vm" "$vm: IOMMU group $(device_group "$addr") of $addr holds only its devices"; else
      check_bad device.iommu-group "$vm" "$vm: IOMMU group $(device_group "$addr") of $addr also holds ${others[*]}, which $vm is not given: the VM will not start"
    fi
  done
  for p in "${SRIOV_PFS[@]}"; do
    IFS='|' read -r addr count <<<"$p"
    found=$(read_file "/sys/bus/pci/devices/$addr/sriov_numvfs")
    if [ "$found" = "$count" ]; then check_ok device.sriov-count host "SR-IOV: $count VFs on $addr"; else
      check_bad device.sriov-count host "SR-IOV: $addr has '$found' VFs, planned $count (systemctl status rtc-sriov)"
    fi
  done
}

# What the guest sees: vendor:device of each PCI function, and the MAC of each interface.
guest_pci_ids() { local d; for d in /sys/bus/pci/devices/*; do echo "$(cat "$d/vendor"):$(cat "$d/device")"; done; }
guest_macs() { cat /sys/class/net/*/address; }

# A VM's devices, live: bound to vfio-pci on the host, their interrupts on housekeeping CPUs, and
# seen inside the guest (a whole device by its ids, a virtual function by its MAC).
prove_vm_devices() {
  local vm=$1 d dvm kind addr id driver node group pf vf mac found irq cpus seen
  for d in "${DEVICES[@]}"; do
    IFS='|' read -r dvm kind addr id driver node group pf vf mac <<<"$d"
    [ "$dvm" = "$vm" ] || continue
    found=$(device_driver "$addr")
    if [ "$found" = vfio-pci ]; then check_ok device.vfio "$vm" "$vm: $addr is bound to vfio-pci (the VM has it)"; else
      check_bad device.vfio "$vm" "$vm: $addr is bound to '${found:-no driver}', not vfio-pci: the VM does not have it (virsh dumpxml $vm)"
    fi
    # Its interrupts on the host: the vfio-msi(x)/intx lines of /proc/interrupts that name it.
    while read -r irq; do
      cpus=$(read_file "/proc/irq/$irq/smp_affinity_list")
      if cpus_within "$cpus" "$HOUSEKEEPING"; then check_ok device.irq "$vm" "$vm: IRQ $irq of $addr on housekeeping CPUs $cpus"; else
        check_bad device.irq "$vm" "$vm: IRQ $irq of $addr may run on CPUs $cpus, not only the housekeeping CPUs $HOUSEKEEPING (irqbalance? irqaffinity=?)"
      fi
    done < <(awk -v a="($addr)" 'index($0, a) && /vfio/ { sub(":", "", $1); print $1 }' "$ROOT/proc/interrupts" 2>/dev/null)
    if [ "$DRY_RUN" = 1 ]; then
      printf '   would read in %s: its PCI devices and MACs\n' "$vm"
      continue
    fi
    if [ "$kind" = vf ]; then
      seen=$(guest_run "$vm" 60 /bin/sh -c "$(declare -f guest_macs); guest_macs") || seen=
      if grep -qixF "$mac" <<<"$seen"; then check_ok device.in-guest "$vm" "$vm: the guest has VF $vf of $pf (MAC $mac)"; else
        check_bad device.in-guest "$vm" "$vm: no interface with MAC $mac in the guest (VF $vf of $pf)"
      fi
    else
      seen=$(guest_run "$vm" 60 /bin/sh -c "$(declare -f guest_pci_ids); guest_pci_ids") || seen=
      if grep -qxF "0x${id%%:*}:0x${id#*:}" <<<"$seen"; then check_ok device.in-guest "$vm" "$vm: the guest has $addr ($id)"; else
        check_bad device.in-guest "$vm" "$vm: the guest shows no PCI device $id ($addr)"
      fi
    fi
  done
}

# rollback_devices: whole devices left on vfio-pci given back to their host driver, and each
# physical function's VF count back to what it was.
rollback_devices() {
  applying rollback.devices
  local d kind addr driver prev
  for d in "${DEVICES[@]}"; do
    IFS='|' read -r _ kind addr _ driver _ <<<"$d"
    # A managed device goes back to its host driver when its VM stops; one left on vfio-pci is given
    # back here, unless vfio-pci is where it was before rtc (host.devices says its driver).
    if [ "$kind" = whole ] && [ "$driver" != vfio-pci ] && [ "$(device_driver "$addr")" = vfio-pci ]; then
      try virsh nodedev-reattach "pci_${addr//[:.]/_}"
    fi
  done
  if recorded "unit rtc-sriov.service"; then
    for d in "${SRIOV_PFS[@]}"; do
      addr=${d%%|*}
      prev=$(cat "$STATE/backup/sriov_numvfs-$addr" 2>/dev/null || true)
      [[ $prev =~ ^[0-9]+$ ]] || prev=0
      [ "$(read_file "/sys/bus/pci/devices/$addr/sriov_numvfs")" = "$prev" ] || write_sysfs "/sys/bus/pci/devices/$addr/sriov_numvfs" "$prev"
    done
  fi
}

# ---- images ----------------------------------------------------------------------------------
# Each VM's disk on its base image, and its cloud-init seed.

preflight_images() {
  local vm img seen=" "
  for vm in "${VMS[@]}"; do
    img=${VM_BASE_IMAGE[$vm]}
    case "$seen" in *" $img "*) continue ;; esac
    seen="$seen$img "
    if [ ! -r "$ROOT$img" ]; then
      check_bad preflight.base-image host "base image $img is missing (for $vm; README.md says where it comes from)"
    elif [ -n "${VM_BASE_SHA256[$vm]}" ]; then
      if [ "$(sha256sum <"$ROOT$img" | cut -d' ' -f1)" = "${VM_BASE_SHA256[$vm]}" ]; then
        check_ok preflight.base-image host "base image $img (sha256 as planned)"
      else
        check_bad preflight.base-image host "base image $img has another sha256 than the manifest's ${VM_BASE_SHA256[$vm]}: download it again"
      fi
    else
      check_ok preflight.base-image host "base image $img"
    fi
  done
}

step_images() {
  guard images
  say "images: disks and cloud-init seeds"
  local vm why
  # Every refusal before the first change: a missing base image, a disk made from another one,
  # a missing Ubuntu Pro token stop the step before any VM's disk or seed is made.
  for vm in "${VMS[@]}"; do
    [ -r "$ROOT${VM_BASE_IMAGE[$vm]}" ] || [ "$DRY_RUN" = 1 ] || fail "$vm: base image ${VM_BASE_IMAGE[$vm]} is missing (README.md says where it comes from); nothing was changed"
    why=$(disk_problem "$vm")
    [ -z "$why" ] || [ "$REPLACE_DISKS" = 1 ] || fail "$vm: $why: to replace it, run ./runbook.sh --replace-disks images (the old one is moved aside); nothing was changed"
    if [ "${VM_PRO[$vm]}" = 1 ] && [ "$DRY_RUN" = 0 ] && ! seed_current "$vm" && [ ! -s "$ROOT$PRO_TOKEN_FILE" ]; then
      fail "$vm: its real-time kernel comes with Ubuntu Pro: put your token in $PRO_TOKEN_FILE (chmod 600); nothing was changed"
    fi
    if [ "${VM_RHEL[$vm]}" = 1 ] && [ "$DRY_RUN" = 0 ] && ! seed_current "$vm" && ! rhel_key_ok; then
      fail "$vm: a real-time RHEL guest registers with an activation key: put org= and key= lines in $RHEL_KEY_FILE (chmod 600); nothing was changed"
    fi
  done
  applying vm.image
  [ -d "$ROOT$IMAGE_DIR" ] || run install -d -m 0755 "$ROOT$IMAGE_DIR"
  for vm in "${VMS[@]}"; do
    applying vm.image "$vm"
    image_disk "$vm"
    image_seed "$vm"
  done
}

# disk_problem VM: why the VM's disk cannot be used as it is; nothing when it can, or there is none.
disk_problem() {
  local vm=$1 disk=$ROOT$IMAGE_DIR/$1.qcow2 base=${VM_BASE_IMAGE[$1]} info backing made
  [ -e "$disk" ] || return 0
  info=$(qemu-img info --output=json -U "$disk") || { echo "qemu-img cannot read $disk"; return 0; }
  backing=$(jq -r '.["full-backing-filename"] // .["backing-filename"] // ""' <<<"$info")
  made=$(cat "$STATE/disks/$vm.base" 2>/dev/null || true)
  if [ "$backing" != "$base" ]; then
    echo "$disk was made from ${backing:-no base image}, the plan says $base. Its data would be lost by a new disk"
  elif [ -n "$made" ] && [ "$made" != "$(base_identity "$base")" ]; then
    echo "$disk was made on $base when that file was $made (bytes, modification time); it is $(base_identity "$base") now. The guest would read a corrupt disk through it: put the old image back, or lose the disk's data with a new one"
  fi
}

# A VM's disk: an overlay on its base image, at the planned size. Kept when it is already right,
# grown when the plan grew, and never silently made from another base image, or used on a base
# image that changed under it: an overlay reads every block the guest has not written from its
# base, so the same path with other content there is a corrupt disk (the guest boots garbage, or
# stops in its boot loader). What the base was when the disk was made is recorded beside the
# other records of this bundle.
image_disk() {
  local vm=$1 disk=$ROOT$IMAGE_DIR/$1.qcow2 base=${VM_BASE_IMAGE[$1]} info backing size made why
  if [ -e "$disk" ]; then
    why=$(disk_problem "$vm")
    info=$(qemu-img info --output=json -U "$disk") || fail "$vm: qemu-img cannot read $disk"
    backing=$(jq -r '.["full-backing-filename"] // .["backing-filename"] // ""' <<<"$info")
    size=$(jq -r '.["virtual-size"]' <<<"$info")
    made=$(cat "$STATE/disks/$vm.base" 2>/dev/null || true)
    if [ -n "$why" ]; then
      local aside
      aside="$disk.replaced-$(date -u +%Y%m%dT%H%M%SZ)"
      run mv "$disk" "$aside"
      note "$vm: its old disk (made from ${backing:-no base image}) is kept as $aside"
    else
      [ -n "$made" ] || note "$vm: $disk has no record of the base image it was made on (made by hand, or by an older runbook); rtc cannot tell whether $base has changed since"
      if [ "$size" -lt "${VM_DISK_BYTES[$vm]}" ]; then
        run qemu-img resize "$disk" "${VM_DISK_SIZE[$vm]}"
      elif [ "$size" -gt "${VM_DISK_BYTES[$vm]}" ]; then
        note "$vm: $disk is larger than the plan's ${VM_DISK_SIZE[$vm]} and is kept so (shrinking would cut the guest's file system)"
      else
        ok "$vm: $disk (${VM_DISK_SIZE[$vm]}, on $base)"
      fi
      return 0
    fi
  fi
  run qemu-img create -f qcow2 -F qcow2 -b "$base" "$disk"
  if [ "$DRY_RUN" != 1 ]; then
    mkdir -p "$STATE/disks"
    base_identity "$base" >"$STATE/disks/$vm.base"
  fi
  # A resize that fails leaves the disk at the base's size; the next run of this step grows it.
  run qemu-img resize "$disk" "${VM_DISK_SIZE[$vm]}"
}

# What tells one content of a base image from another without reading gigabytes: its size and
# modification time (a new cloud image copied over the old one changes both).
base_identity() { stat -L -c '%s %Y' "$ROOT$1" 2>/dev/null || printf 'absent'; }

# A VM's cloud-init seed, made again only when its user-data or meta-data changed. With Ubuntu
# Pro, a vendor-data with the token (read on this host, never in the bundle) goes beside them.
seed_sums() { cat "$HERE/vms/$1/user-data" "$HERE/vms/$1/meta-data" | sha256sum | cut -d' ' -f1; }
seed_current() { [ -e "$ROOT$IMAGE_DIR/$1-seed.iso" ] && [ "$(cat "$STATE/seeds/$1.sha256" 2>/dev/null)" = "$(seed_sums "$1")" ]; }

image_seed() {
  local vm=$1 seed=$ROOT$IMAGE_DIR/$1-seed.iso sums vendor=
  sums=$(seed_sums "$vm")
  if seed_current "$vm"; then
    ok "$vm: seed $IMAGE_DIR/$vm-seed.iso is as planned"
    return 0
  fi
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would write: %s (cloud-init seed from vms/%s/user-data, meta-data%s)\n' "$IMAGE_DIR/$vm-seed.iso" "$vm" \
      "$([ "${VM_PRO[$vm]}" = 1 ] && echo ', and a vendor-data with the Ubuntu Pro token')"
    return 0
  fi
  local tmp
  tmp=$(mktemp -d "$STATE/seed.XXXXXX")
  TEMP_PATHS+=("$tmp")
  if [ "${VM_PRO[$vm]}" = 1 ]; then
    [ -s "$ROOT$PRO_TOKEN_FILE" ] || fail "$vm: its real-time kernel comes with Ubuntu Pro: put your token in $PRO_TOKEN_FILE (chmod 600)"
    vendor=$tmp/vendor-data
    # JSON is YAML: jq writes the document, escaping the token; cloud-init enables the service.
    # ubuntu_pro, as cloud-init 24.1 and newer (Ubuntu's current 22.04 and 24.04 images) name the module; the
    # older ubuntu_advantage leaves their status degraded, and with both keys they warn that one is ignored.
    # An older cloud-init reads no ubuntu_pro: the guest's runcmd then attaches with this token itself.
    { echo '#cloud-config'; jq -n --rawfile t "$ROOT$PRO_TOKEN_FILE" '{ubuntu_pro: {token: ($t | gsub("\\s"; "")), enable: ["realtime-kernel"]}}'; } >"$vendor"
  fi
  if [ "${VM_RHEL[$vm]}" = 1 ]; then
    vendor=$tmp/vendor-data
    # cloud-init's rh_subscription registers the guest and enables its real-time repositories before runcmd.
    { echo '#cloud-config'; jq -n --arg org "$(sed -n 's/^org=//p' "$ROOT$RHEL_KEY_FILE" | head -n 1)" \
      --arg key "$(sed -n 's/^key=//p' "$ROOT$RHEL_KEY_FILE" | head -n 1)" '$ARGS.positional as $repos |
      {rh_subscription: {org: ($org | if test("^[0-9]+$") then tonumber else . end), "activation-key": $key, "enable-repo": $repos}}' \
      --args "${RHEL_GUEST_REPOS[@]}"; } >"$vendor" # a numeric org as a number: older cloud-init's schema takes no other
  fi
  if have cloud-localds; then
    run cloud-localds ${vendor:+-V "$vendor"} "$tmp/seed.iso" "$HERE/vms/$vm/user-data" "$HERE/vms/$vm/meta-data"
  else
    run genisoimage -quiet -output "$tmp/seed.iso" -volid cidata -joliet -rock -graft-points \
      "user-data=$HERE/vms/$vm/user-data" "meta-data=$HERE/vms/$vm/meta-data" ${vendor:+"vendor-data=$vendor"}
  fi
  # Moved into place whole: a running VM keeps the seed it booted with.
  chmod 0600 "$tmp/seed.iso"
  mv "$tmp/seed.iso" "$seed"
  rm -rf "$tmp"
  mkdir -p "$STATE/seeds"
  printf '%s\n' "$sums" >"$STATE/seeds/$vm.sha256"
}

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

# ---- steps -----------------------------------------------------------------------------------
# The steps, each running the subjects above in order; rollback, which undoes them; usage and
# main.

step_preflight() {
  need_root preflight
  say "preflight: is this the host the manifest describes, and is it ready?"
  local table
  table=$(topology_rows)
  printf '%s\n%s\n' "$TABLE_HEAD" "$table"
  if grep -q 'MISMATCH$' <<<"$table"; then
    fail "this host differs from the manifest (table above), so no step of this bundle will change it. To describe it: ./runbook.sh facts > facts.txt, then rtc probe facts.txt on any machine with rtc, and compile again"
  fi
  ok "host matches the manifest"
  FAILS=0
  preflight_virtualization
  preflight_tools
  preflight_images
  preflight_cmdline
  preflight_pro
  preflight_rhel
  preflight_network
  preflight_devices
  [ "$FAILS" = 0 ] || fail "$FAILS problems above; fix them and run preflight again"
  ok "ready for: ./runbook.sh host"
}

preflight_virtualization() {
  if [ "$(has_flag vmx)" = no ] && [ "$(has_flag svm)" = no ]; then
    check_bad preflight.virtualization host "the CPU shows no VT-x (flag vmx): switch on Intel VMX virtualization (and VT-d) in the BIOS"
  elif [ ! -e "$ROOT/dev/kvm" ]; then
    note "/dev/kvm is missing: the host step installs QEMU, and kvm_intel loads at the next boot"
  else
    check_ok preflight.virtualization host "VT-x, /dev/kvm"
  fi
}

preflight_tools() {
  local c missing=()
  for c in virsh qemu-img jq curl tuned-adm flock; do
    have "$c" || missing+=("$c")
  done
  have cloud-localds || have genisoimage || missing+=("cloud-localds")
  if [ "${#missing[@]}" -gt 0 ]; then
    note "not installed yet: ${missing[*]}; the host step installs ${HOST_PACKAGES[*]}"
  else
    check_ok preflight.tools host "tools: virsh, qemu-img, jq, curl, tuned-adm, a seed builder"
  fi
  if [ "$APT" = 1 ] && have apt-get; then
    local out
    # A dry run of the install, which reads the package lists only: are the packages to be had?
    if out=$(apt-get -s -q install "${DISTRO_PACKAGES[@]}" 2>&1); then
      check_ok preflight.packages host "the distribution's packages are available from this host's APT sources"
    else
      check_bad preflight.packages host "apt-get cannot install the host packages: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
    fi
  fi
}

step_host() {
  guard host
  host_refuse_foreign
  say "host: real-time kernel, tuning, kernel arguments and boot units"
  host_kernel
  host_tuning
  host_cmdline
  host_units
  host_monitor
  # A reboot when this run changed what acts only at boot, or the running kernel or command line
  # is not the plan's yet (an earlier run changed them, and the host has not rebooted since).
  if [ "$REBOOT" = 1 ] || ! running_as_planned; then
    REBOOT=1
    say "host: done. Reboot now (reboot), then run: ./runbook.sh all"
  else
    say "host: done; the planned kernel and command line already run, so no reboot is needed. Next: ./runbook.sh all"
  fi
}

# running_as_planned: the running kernel is the planned one, with every planned argument.
running_as_planned() {
  local facts arg
  facts=$(collect_facts)
  if [ "$HOST_KERNEL_RT" = 1 ]; then
    [ "$(fact "$facts" realtime)" = 1 ] || [[ $(fact "$facts" version) == *PREEMPT_RT* ]] || return 1
    # shellcheck disable=SC2053 # the release is a glob
    [ -z "$HOST_KERNEL_RELEASE" ] || [[ $(fact "$facts" osrelease) == $HOST_KERNEL_RELEASE ]] || return 1
  fi
  for arg in "${HOST_ARGS[@]}"; do
    case " $(fact "$facts" cmdline) " in *" $arg "*) ;; *) return 1 ;; esac
  done
}

# Before the host step's first change: a file in its way that rtc did not write stops it, so a
# refusal never comes after a repository was added, packages installed or TuneD switched.
host_refuse_foreign() {
  local dropin=/etc/default/grub.d/99-rtc.cfg
  if [ "$GRUBBY" = 0 ] && [ -e "$ROOT$dropin" ] && ! is_rtc_file "$ROOT$dropin"; then
    fail "$dropin exists and rtc did not write it (it has no 'Generated by rtc' line): rename it, then run the host step again; nothing was changed"
  fi
}

# prove_host: every proof on the host; counts failures in FAILS.
prove_host() {
  local facts files=()
  mapfile -t files < <(check_files host tuning.)
  facts=$(collect_facts "${files[@]}")
  prove_kernel host "$facts" "$HOST_KERNEL_RT" "$HOST_KERNEL_RELEASE" "$HOST_KERNEL_NAME"
  prove_kvm
  prove_cmdline host "$(fact "$facts" cmdline)" "${HOST_ARGS[@]}"
  check_rows lines host resctrl.
  check_rows lines host memory.
  prove_devices
  prove_tuning host "$facts" "$TUNED_PROFILE" "$STALLD"
}

# The running kernel has KVM: /dev/kvm, and the kvm module with its vendor part (loaded, or built in:
# either way they are in /sys/module). A real-time kernel without its KVM modules boots fine and
# starts no VM.
prove_kvm() {
  local missing=()
  [ -e "$ROOT/dev/kvm" ] || missing+=(/dev/kvm)
  [ -d "$ROOT/sys/module/kvm" ] || missing+=("the kvm module")
  [ -d "$ROOT/sys/module/kvm_intel" ] || [ -d "$ROOT/sys/module/kvm_amd" ] || missing+=("kvm_intel (or kvm_amd)")
  if [ "${#missing[@]}" = 0 ]; then
    check_ok kernel.kvm host "KVM: /dev/kvm and its modules in the running kernel"
  elif [ "$EXPECTED_OS_ID" = rhel ]; then
    check_bad kernel.kvm host "KVM is missing from the running kernel (${missing[*]}): RHEL's kernel-rt needs kernel-rt-kvm (dnf install kernel-rt-kvm, then reboot)"
  else
    check_bad kernel.kvm host "KVM is missing from the running kernel (${missing[*]}): modprobe kvm_intel; if it refuses, switch on VT-x in the BIOS"
  fi
}

step_check_host() {
  say "check-host: is the host real-time, as planned?"
  FAILS=0
  NOT_REALTIME=()
  prove_host
  [ "$FAILS" = 0 ] || fail "$FAILS checks failed (above): the host is not as planned, and bench will not judge it"
  ok "the host is as planned"
}

step_rollback() {
  need_root rollback
  start_changes
  say "rollback: undo what this bundle's steps changed (disks in $IMAGE_DIR and the evidence in $STATE stay)"
  if [ ! -e "$STATE/changes" ]; then
    ok "nothing to undo: no step of $BUNDLE has changed this host"
    return 0
  fi
  # Each subject undoes its own changes, in the reverse order of the steps that made them.
  rollback_vms
  rollback_devices
  rollback_networks
  rollback_monitor
  rollback_units
  rollback_tuning
  rollback_kernel
  if [ "${#UNDONE[@]}" -gt 0 ]; then
    printf '   could not undo:\n' >&2
    printf '     %s\n' "${UNDONE[@]}" >&2
    fail "${#UNDONE[@]} changes are not undone (above); fix what stops them and run rollback again"
  fi
  [ "$DRY_RUN" = 1 ] || mv "$STATE/changes" "$STATE/changes.undone-$(date -u +%Y%m%dT%H%M%SZ)"
  say "rollback: done. Reboot to run without rtc's kernel arguments; the resctrl default group gets every way back at boot"
}

usage() {
  # The header comment, from its first line of prose to the line before 'set -E'.
  sed -n '/^# Provisions/,/^set -E/{/^set -E/d;p;}' "$HERE/runbook.sh" | sed 's/^# \{0,1\}//'
  echo "Steps: preflight host check-host qualify images vms wait verify stress bench status collect report all rollback facts metrics guest judge"
}

# run_step NAME: one step, between its records. A step's exit: 0 done, 1 a check failed (or the
# verdict is FAIL), 3 no verdict; a failure ends the script there (on_exit records it).
run_step() {
  step_begin "$1"
  "step_${1//-/_}"
  local code=0
  case $1 in bench | collect | report) code=$VERDICT_CODE ;; esac
  step_end finished "$code"
}

main() {
  STEPS=()
  # --json anywhere: facts, guest and judge, which return at once, print no records and refuse it.
  case " $* " in *" --json "*) JSON=1 ;; esac
  while [ $# -gt 0 ]; do
    case "$1" in
      --dry-run) DRY_RUN=1 ;;
      --json) JSON=1 ;;
      --replace-disks) REPLACE_DISKS=1 ;;
      --diagnose) DIAGNOSE=1 ;;
      --autopsy-us)
        [[ ${2-} =~ ^[1-9][0-9]{0,6}$ ]] || { echo "--autopsy-us takes a number of microseconds, not '${2-}'" >&2; return 2; }
        AUTOPSY_US=$2
        shift ;;
      --wait-minutes)
        [[ ${2-} =~ ^[1-9][0-9]{0,3}$ ]] || { echo "--wait-minutes takes a number of minutes, not '${2-}'" >&2; return 2; }
        GUEST_TIMEOUT=$(($2 * 60))
        shift ;;
      --duration)
        # A shorter (or longer) benchmark than the plan's, e.g. a 10m smoke test: 30s, 10m, 2h, 1d.
        [[ ${2-} =~ ^([1-9][0-9]{0,5})([smhd])$ ]] || { echo "--duration takes a number and s, m, h or d (e.g. 10m), not '${2-}'" >&2; return 2; }
        BENCH_DURATION=$2
        case ${BASH_REMATCH[2]} in s) BENCH_SECONDS=${BASH_REMATCH[1]} ;; m) BENCH_SECONDS=$((BASH_REMATCH[1] * 60)) ;;
          h) BENCH_SECONDS=$((BASH_REMATCH[1] * 3600)) ;; d) BENCH_SECONDS=$((BASH_REMATCH[1] * 86400)) ;; esac
        shift ;;
      --qualify-seconds)
        [[ ${2-} =~ ^[1-9][0-9]{0,4}$ ]] || { echo "--qualify-seconds takes a number of seconds, not '${2-}'" >&2; return 2; }
        QUALIFY_SECONDS=$2
        shift ;;
      -h | --help) usage; return 0 ;;
      judge) # judge FILE: cyclictest's output against the plan; judge DIR: a run's folder, as collect judges it
        [ "$JSON" = 0 ] || { echo "--json is for the steps, not judge" >&2; return 2; }
        [ $# -ge 2 ] || { usage >&2; return 2; }
        if [ -d "$2" ]; then evidence_verdict "$2"; else judge "$2"; fi
        return ;;
      guest) [ "$JSON" = 0 ] || { echo "--json is for the steps, not guest" >&2; return 2; }; shift; step_guest "$@"; return ;;
      facts) [ "$JSON" = 0 ] || { echo "--json is for the steps, not facts" >&2; return 2; }; step_facts; return ;;
      metrics) # metrics [--textfile DIR]: read-only, for node_exporter's textfile collector
        [ "$JSON" = 0 ] || { echo "--json is for the steps, not metrics" >&2; return 2; }
        shift
        if [ "${1-}" = --textfile ]; then
          [ -n "${2-}" ] || { echo "--textfile takes node_exporter's textfile folder" >&2; return 2; }
          TEXTFILE_DIR=$2
          shift 2
        fi
        [ $# = 0 ] || { usage >&2; return 2; }
        step_metrics
        return ;;
      preflight | host | check-host | qualify | images | vms | wait | verify | stress | bench | status | collect | report | all | rollback) STEPS+=("$1") ;;
      *) usage >&2; return 2 ;;
    esac
    shift
  done
  [ "${#STEPS[@]}" -gt 0 ] || { usage; return 2; }
  # --json: the records on standard output (fd 5), everything a person reads on standard error.
  if [ "$JSON" = 1 ]; then exec 5>&1 1>&2; fi
  [ "$DRY_RUN" = 0 ] || echo "rtc runbook for $BUNDLE: ${STEPS[*]} (dry run: nothing is written or changed)"
  local s t
  for s in "${STEPS[@]}"; do
    case "$s" in
      # A verdict of FAIL or NO VERDICT still packs the evidence, then exits with its code.
      all)
        step_begin all
        guard all
        step_end finished 0
        for t in check-host qualify images vms wait verify stress bench report; do run_step "$t"; done ;;
      *) run_step "$s" ;;
    esac
  done
  return "$VERDICT_CODE"
}

main "$@"
