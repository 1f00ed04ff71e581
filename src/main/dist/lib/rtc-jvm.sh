# shellcheck shell=bash
# Sourced by both launchers (bin/rtc of the tarball, ./rtc of the source tree): the JVM flags rtc
# runs with. rtc_jvm ARGS... sets the array jvm for the command those arguments give.
#
# Cold start is most of rtc's run time. The JVM runs with C1 only (one compiler thread, so the two
# cores of a small machine go to rtc's own threads), the serial GC and no perf data file. Objects
# that survive a young collection (the schema, templates, JAXB's model: built once) go straight
# to the old generation instead of being copied between survivor spaces at every collection.
#
# C1's thresholds depend on the work: a fleet (a folder of manifests, or several) gains from
# compiling early, at a fifth of the usual invocation counts, so that the first hundred manifests
# spend less time in the interpreter; one manifest, the common case, gains from compiling less.
# Interleaved runs on 2 CPUs: a fleet of 1000, 4.33 s at 0.2 against 4.81 s at 1.0; one reference
# compile 681 ms at 0.2 against 652 ms at 1.0 (and 10% less CPU); a 256-VM manifest 1.34 s
# against 1.32 s. The value of -o/--output is not counted; a wrong guess costs a few per cent,
# never a different result. No subshell: a process costs milliseconds of a 150 ms --help.
#
# The heap and the code cache ask for transparent huge pages when the kernel gives them on request
# (madvise, the usual default). A short run touches each page once, and every first touch is a page
# fault: with 2 MiB pages a reference compile took 9,600 of them instead of 16,300, and in a VM
# whose faults are dear (nested paging) that was 642 -> 555 ms, the 256-VM manifest 1.56 -> 1.23 s,
# --help 138 -> 128 ms, a fleet of 1000 4.6 -> 4.4 s (interleaved runs, 2 CPUs); peak RSS grew by
# 4-10 MiB. With "always" the kernel does it unasked; with "never", or no THP in the kernel (older
# PREEMPT_RT kernels), JDK 17 would print a warning on stdout at every run, so the flag is left out.
# The JVM's own memory (C1's arenas, symbol tables) comes from glibc's malloc, told the same
# through GLIBC_TUNABLES: one arena, grown 8 MiB at a time, on huge pages where the kernel gives
# them. That took the faults to 7,500 and a reference compile 654 -> 627 ms, the 256-VM manifest
# 1.23 -> 1.18 s, a fleet 4.89 -> 4.75 s. A user's own tunables come after ours, so they win; a
# glibc without these tunables, or another libc, ignores them.
: "${rtc_thp:=/sys/kernel/mm/transparent_hugepage/enabled}" # a test points this at a file of its own
rtc_jvm() {
  local a manifests=0 skip=0 scaling=1.0 thp=
  for a in "$@"; do
    if [ "$skip" = 1 ]; then
      skip=0
      continue
    fi
    case $a in
      -o | --output) skip=1 ;;
      -*) ;;
      *.yaml | *.yml) manifests=$((manifests + 1)) ;;
      *) if [ -d "$a" ]; then manifests=$((manifests + 2)); fi ;;
    esac
  done
  if [ "$manifests" -gt 1 ]; then
    scaling=0.2
  fi
  # shellcheck disable=SC2034 # the launcher that sources this reads it
  jvm=(-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:CompileThresholdScaling="$scaling" -XX:+UseSerialGC
    -XX:MaxTenuringThreshold=0 -XX:-UsePerfData -Xshare:auto)
  if [ -r "$rtc_thp" ]; then
    read -r thp <"$rtc_thp" || true # "always [madvise] never": the mode in force is bracketed
  fi
  case $thp in
    *'[madvise]'*) jvm+=(-XX:+UseTransparentHugePages) ;;
  esac
  export GLIBC_TUNABLES="glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1:glibc.malloc.top_pad=8388608${GLIBC_TUNABLES:+:$GLIBC_TUNABLES}"
}
