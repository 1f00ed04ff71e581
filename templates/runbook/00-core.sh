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
