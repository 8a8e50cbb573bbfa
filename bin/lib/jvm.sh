# Shared by bin/lakeloop and bin/test: JVM flags, build-if-stale, classpath. Source it.
# shellcheck shell=bash

# Spark on Java 17 outside spark-submit needs the module openings its launcher adds; DL4J's Spark
# training needs a local clock (the default asks a network time server) and a longer Aeron
# unblock timeout (see TOOLCHAIN.md). JavaCPP (under ND4J) otherwise reads the process's resident
# memory from the kernel on every native allocation while holding one JVM-wide lock: two DL4J fits
# in one JVM (two Spark tasks) then wait on each other, and one fit pays the system calls
# (bench/tune: the sequential grid 27 % faster, two trials at once 1.43x -> 1.81x).
# ND4J still frees its buffers as before; JavaCPP's byte count (maxbytes) still bounds them.
LAKELOOP_JVM_FLAGS=(
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED
  --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  -Dorg.deeplearning4j.spark.time.TimeSource=org.deeplearning4j.spark.time.SystemClockTimeSource
  -Daeron.publication.unblock.timeout=60000000000
  -Dorg.bytedeco.javacpp.maxphysicalbytes=0
)

# Batch jobs want throughput, not short pauses: the parallel collector runs the same Spark work
# with ~10 % less CPU than the default G1 on two cores (bench/RESULTS.md, "Garbage collector").
# A collector chosen in LAKELOOP_JAVA_OPTS wins (two would stop the JVM at start).
if [[ "${LAKELOOP_JAVA_OPTS:-}" != *-XX:+Use*GC* ]]; then
  LAKELOOP_JVM_FLAGS+=(-XX:+UseParallelGC)
fi

# ND4J (DL4J's math) starts one native thread per core for every operation; Spark already runs
# one task per core, so the two oversubscribe the CPU (bench/train: Spark training at 0.24-0.49 of
# a single-JVM fit with ND4J's default threads, 0.79 with one). One per operation unless set.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"

LAKELOOP_CP_FILE="$ROOT/app/target/classpath.txt"

# True when the jars are missing or any source, resource or pom is newer than the last build.
lakeloop_stale() {
  [[ -f "$LAKELOOP_CP_FILE" ]] || return 0
  [[ -n "$(find "$ROOT/pom.xml" "$ROOT/common" "$ROOT/jobs" "$ROOT/app" "$ROOT/serving" "$ROOT/bench" \( -path '*/target' -prune \) -o \
        \( -path '*/src/main/*' -o -name pom.xml \) -type f -newer "$LAKELOOP_CP_FILE" -print -quit)" ]]
}

lakeloop_ensure_built() {
  if lakeloop_stale; then
    command -v mvn >/dev/null || { echo "lakeloop: Maven (mvn) is needed to build the jars; install it (apt-get install maven)" >&2; exit 2; }
    echo "lakeloop: building the jars (first use or sources changed; takes a few minutes the first time)..." >&2
    local log; log="$(mktemp)"
    if ! (cd "$ROOT" && mvn -B -q -DskipTests -Dspotless.check.skip=true -Dspotless.apply.skip=true install) >"$log" 2>&1; then
      cat "$log" >&2
      echo "lakeloop: the build failed (output above)" >&2
      exit 1
    fi
    rm -f "$log"
    touch "$LAKELOOP_CP_FILE"
  fi
}

# The modules' jars (never target/classes: the JVM can archive classes from jars only) and their
# dependencies as the build resolved them.
lakeloop_classpath() {
  echo "$ROOT/app/target/lakeloop-app-0.1.0-SNAPSHOT.jar:$(cat "$LAKELOOP_CP_FILE")"
}

# bin/lakeloop serve's classpath: the serving module and its dependencies, no Spark, Scala or DL4J.
lakeloop_serving_classpath() {
  echo "$ROOT/serving/target/lakeloop-serving-0.1.0-SNAPSHOT.jar:$(cat "$ROOT/serving/target/classpath.txt")"
}

# The benchmark programs (the bench module, never in a production jar) after lakeloop's own
# classpath, so a benchmark JVM can use the class-data-sharing archive below (the JVM accepts
# entries appended to the archived classpath) and times lakeloop as bin/lakeloop runs it.
lakeloop_bench_classpath() {
  echo "$(lakeloop_classpath):$ROOT/bench/target/lakeloop-bench-0.1.0-SNAPSHOT.jar:$(cat "$ROOT/bench/target/classpath.txt")"
}

# Class data sharing: a JVM maps the ~15,000 classes a lakeloop run loads at start (Spark, Delta,
# Hadoop, lakeloop) from an archive instead of loading and verifying them from the jars, which
# takes ~2.5 s (~4.5 s of CPU) off every command (bench/RESULTS.md, "Class data sharing"). The
# archive is made once per build by a small generate run and kept under LAKELOOP_CDS_DIR (default
# ~/.cache/lakeloop/cds), keyed by the classpath and the jars' size and time; a JVM whose
# classpath does not match it runs without it (the JVM checks, silently with these flags).
LAKELOOP_CDS_DIR="${LAKELOOP_CDS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lakeloop/cds}"

lakeloop_cds_archive() {
  local cp
  cp="$(lakeloop_classpath)"
  echo "$LAKELOOP_CDS_DIR/$( { echo "$cp"; stat -c '%n %s %Y' "${cp%%:*}" \
    "$ROOT/jobs/modeling/target/lakeloop-modeling-0.1.0-SNAPSHOT.jar" \
    "$ROOT/jobs/monitoring/target/lakeloop-monitoring-0.1.0-SNAPSHOT.jar" \
    "$ROOT/common/target/lakeloop-common-0.1.0-SNAPSHOT.jar"; } | sha256sum | cut -c1-16).jsa"
}

# The JVM flags that use the archive, one per line; nothing when it is missing.
lakeloop_cds_flags() {
  local archive
  archive="$(lakeloop_cds_archive)"
  [[ -f "$archive" ]] && printf '%s\n' "-XX:SharedArchiveFile=$archive" -Xlog:cds=off -Xlog:cds+dynamic=off
  return 0
}

# Makes the archive when it is missing: a generate of 2,000 rows into a scratch warehouse, its
# loaded classes written at exit, then moved into place (a reader never sees half an archive).
# The four most recent archives are kept (other clones share the folder).
lakeloop_ensure_cds() {
  local archive scratch
  archive="$(lakeloop_cds_archive)"
  [[ -f "$archive" || "${LAKELOOP_CDS:-on}" == off ]] && return 0
  # a folder that cannot be written only costs the faster start, never the command
  mkdir -p "$LAKELOOP_CDS_DIR" 2>/dev/null && [[ -w "$LAKELOOP_CDS_DIR" ]] || return 0
  scratch="$(mktemp -d)"
  echo "lakeloop: archiving the JVM's start-up classes (once per build, ~20 s)..." >&2
  # Faults armed in the caller's environment (the reliability tests') are not this run's: armed,
  # it would pause in its own generate and write the caller's pause marker.
  if (cd "$scratch" && SPARK_LOCAL_IP=127.0.0.1 LAKELOOP_WAREHOUSE="$scratch/lakehouse" \
      env -u LAKELOOP_PAUSE_AT -u LAKELOOP_PAUSE_MARKER -u LAKELOOP_FAIL_AT java \
      -XX:ArchiveClassesAtExit="$scratch/classes.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off -Xmx1g \
      "${LAKELOOP_JVM_FLAGS[@]}" -Dlog4j2.configurationFile=lakeloop-log4j2.properties \
      -Dlakeloop.rootLogLevel=error -cp "$(lakeloop_classpath)" io.lakeloop.app.Lakeloop generate \
      --config "$ROOT/configs/local.conf" --rows 2000 --days 2 >/dev/null 2>&1) &&
    [[ -s "$scratch/classes.jsa" ]]; then
    mv -f "$scratch/classes.jsa" "$archive" || true
    find "$LAKELOOP_CDS_DIR" -name '*.jsa' -printf '%T@ %p\n' | sort -rn | tail -n +5 | cut -d' ' -f2- |
      xargs -r rm -f || true
  else
    echo "lakeloop: could not archive the start-up classes; running without (slower start)" >&2
  fi
  rm -rf "$scratch"
}
