# Shared by bin/lakeloop and bin/test: JVM flags, build-if-stale, classpath. Source it.
# shellcheck shell=bash

# Spark on Java 17 outside spark-submit needs the module openings its launcher adds; DL4J's Spark
# training needs a local clock (the default asks a network time server) and a longer Aeron
# unblock timeout (see TOOLCHAIN.md).
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
)

# ND4J (DL4J's math) starts one native thread per core for every operation; Spark already runs
# one task per core, so the two oversubscribe the CPU (bench/train: Spark training at 0.24-0.49 of
# a single-JVM fit with ND4J's default threads, 0.79 with one). One per operation unless set.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"

LAKELOOP_CP_FILE="$ROOT/jobs/modeling/target/classpath.txt"

# True when the jars are missing or any source, resource or pom is newer than the last build.
lakeloop_stale() {
  [[ -f "$LAKELOOP_CP_FILE" ]] || return 0
  [[ -n "$(find "$ROOT/pom.xml" "$ROOT/common" "$ROOT/jobs" \( -path '*/target' -prune \) -o \
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

lakeloop_classpath() {
  local cp
  cp="$ROOT/jobs/modeling/target/classes:$ROOT/jobs/monitoring/target/classes:$ROOT/common/target/classes"
  echo "$cp:$(cat "$LAKELOOP_CP_FILE")"
}
