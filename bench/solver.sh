#!/bin/bash
# Placement time over growing hosts (up to 8 sockets x 1024 CPUs x 256 VMs), feasible and
# infeasible, median of 15 warm runs each: prints a table. Not a test.
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mvn -B -q test-compile
cpfile=$(mktemp)
trap 'rm -f "$cpfile"' EXIT
mvn -B -q dependency:build-classpath -Dmdep.outputFile="$cpfile" >/dev/null
cp=$(cat "$cpfile")
java -cp "target/classes:target/test-classes:$cp" dev.rtc.bench.SolverBenchmark
