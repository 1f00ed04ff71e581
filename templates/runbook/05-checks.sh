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
