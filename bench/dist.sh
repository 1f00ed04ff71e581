#!/bin/bash
# Sourced by the benchmarks: installs rtc as users get it (the distribution tarball, bin/rtc with
# its class-data archive) into "$work/rtc-VERSION" and sets $rtc to its launcher. The archive is
# trained into "$work/cache" by one run outside any measurement, so no benchmark times the first
# run, and none touches the caller's ~/.cache. Needs $here (the repository) and $work (a scratch
# folder the caller removes).
: "${here:?}" "${work:?}" # set by the benchmark that sources this
"$here/rtc" --version >/dev/null # builds the jar and the tarball when the sources changed
tarball=$(ls "$here"/target/rtc-*.tar.gz)
tar -xzf "$tarball" -C "$work"
rtc=$(ls -d "$work"/rtc-*/bin/rtc)
export XDG_CACHE_HOME=$work/cache
"$rtc" validate "$(ls -d "$work"/rtc-*/share/rtc/examples)/eci-reference.yaml" >/dev/null # trains the class-data archive
ls "$XDG_CACHE_HOME"/rtc/rtc-*.jsa >/dev/null # the class-data archive was made: what users run from then on
