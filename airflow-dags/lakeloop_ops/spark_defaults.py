"""What every lakeloop spark-submit needs: each command's main class and jar, and the Spark
settings, with LAKELOOP_SPARK_CONF laid over them. Plain Python (no Airflow import), so the
operations tests submit exactly as the DAGs do."""

from __future__ import annotations

import json
import os
from typing import Any

# DL4J timestamps its Spark training statistics with a clock that asks a network time server
# unless this property is set; ND4J starts one native thread per core per operation while Spark
# already runs a task per core (README, "On a cluster: spark-submit").
_TIME_SOURCE = (
    "-Dorg.deeplearning4j.spark.time.TimeSource="
    "org.deeplearning4j.spark.time.SystemClockTimeSource"
)
# JavaCPP (under ND4J) reads the process's resident memory on every native allocation while
# holding one JVM-wide lock unless this is 0: two tasks training in one executor wait on each
# other (bench/RESULTS.md, issue 30). ND4J frees its buffers as before.
_JAVACPP = "-Dorg.bytedeco.javacpp.maxphysicalbytes=0"
# Spark on Java 17 needs these module openings. spark-submit adds them to a client-mode driver
# and to executors, but not to a driver a standalone worker launches in cluster deploy mode
# (it fails with IllegalAccessError ... sun.nio.ch.DirectBuffer), so the DAGs always pass them.
JAVA17_OPENS = " ".join(
    f"--add-opens=java.base/{p}=ALL-UNNAMED"
    for p in (
        "java.lang", "java.lang.invoke", "java.lang.reflect", "java.io", "java.net", "java.nio",
        "java.util", "java.util.concurrent", "java.util.concurrent.atomic", "sun.nio.ch",
        "sun.nio.cs", "sun.security.action", "sun.util.calendar",
    )
)
# Each lakeloop command: its main class and the module whose shaded jar holds it
# (jobs/<module>/target/lakeloop-<module>.jar).
MAIN_CLASSES: dict[str, tuple[str, str]] = {
    "generate": ("io.lakeloop.monitoring.generate.GenerateJob", "monitoring"),
    "ingest-served": ("io.lakeloop.monitoring.ingest.IngestServedJob", "monitoring"),
    "evaluate": ("io.lakeloop.monitoring.evaluate.EvaluateJob", "monitoring"),
    "drift": ("io.lakeloop.monitoring.drift.DriftJob", "monitoring"),
    "report": ("io.lakeloop.monitoring.report.ReportJob", "monitoring"),
    "tune": ("io.lakeloop.modeling.tune.TuneJob", "modeling"),
    "train": ("io.lakeloop.modeling.train.TrainJob", "modeling"),
    "compress": ("io.lakeloop.modeling.compress.CompressJob", "modeling"),
    "registry": ("io.lakeloop.modeling.registry.RegistryJob", "modeling"),
}

# Batch work wants throughput, not short pauses: the parallel collector does the same Spark work
# with ~10 % less CPU than the default G1 (bench/RESULTS.md, "Garbage collector").
THROUGHPUT_GC = "-XX:+UseParallelGC"

DEFAULT_SPARK_CONF: dict[str, str] = {
    "spark.executorEnv.OMP_NUM_THREADS": "1",
    "spark.driver.extraJavaOptions": f"{JAVA17_OPENS} {_TIME_SOURCE} {_JAVACPP} {THROUGHPUT_GC}",
    "spark.executor.extraJavaOptions": f"{_TIME_SOURCE} {_JAVACPP} {THROUGHPUT_GC}",
}


def spark_conf() -> dict[str, str]:
    """DEFAULT_SPARK_CONF with LAKELOOP_SPARK_CONF (a JSON object) laid over it."""
    raw = os.environ.get("LAKELOOP_SPARK_CONF", "").strip()
    extra: Any = {}
    if raw:
        try:
            extra = json.loads(raw)
        except json.JSONDecodeError as e:
            raise ValueError(
                f"LAKELOOP_SPARK_CONF is not valid JSON ({e}); expected an object such as"
                ' {"spark.executor.memory": "4g"}'
            ) from None
        if not isinstance(extra, dict):
            raise ValueError(
                "LAKELOOP_SPARK_CONF must be a JSON object of Spark settings, e.g."
                ' {"spark.executor.memory": "4g"}'
            )
    return {**DEFAULT_SPARK_CONF, **{str(k): str(v) for k, v in extra.items()}}
