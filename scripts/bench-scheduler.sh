#!/usr/bin/env bash
# The scheduler benchmark (JMH): one placement of 10,000 pods on 1,000 nodes, as throughput (pods/s) and latency.
# About 35 s. Run from anywhere; builds the test classes of kiln-cluster first.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
export JAVA_HOME="${KILN_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
cd "$here"
./mvnw -q -B -pl kiln-cluster -am test-compile
./mvnw -q -B -pl kiln-cluster dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
exec "$JAVA_HOME/bin/java" -cp "kiln-cluster/target/test-classes:kiln-cluster/target/classes:kiln-api/target/classes:$(cat kiln-cluster/target/cp.txt)" \
    dev.kiln.cluster.sched.SchedulerBenchmark "$@"
