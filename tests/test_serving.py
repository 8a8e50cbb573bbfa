"""`bin/lakeloop serve` on the demo's warehouse in the S3 bucket (moto, configs/s3.conf): its
answers against `score` and the Spark-free consumer, every refusal, bearer tokens, a hot swap under
load to the version a real `compress` publishes, a tampered version refused, SIGKILL under load then
restart and `ingest-served` from the bucket (nothing acknowledged lost, nothing doubled), TLS from a
keystore, and a real Prometheus scraping it and the real Pushgateway the demo's batch jobs pushed to.

The tests share one server and run in file order (each builds on the state the one before left).
They change the bucket (a new champion, served rows in prediction_log), so they run after the
suites that check the demo's own output (test_s3_demo.py sorts before this file)."""
from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import BUCKET, ROOT, free_port, as_users_run, read_s3, run_lakeloop

S3_CONF = ROOT / "configs/s3.conf"
TOKEN = "serve-test-token-3f9a"
# Request ids answered with 200 by the tests before the SIGKILL test, which checks they all landed.
ACKNOWLEDGED: list[str] = []
FEATURES = ["monthly_charges", "data_usage_gb", "tenure_months", "support_calls", "plan", "device"]


class Server:
    """One `bin/lakeloop serve` process on a port, restartable on the same spool."""

    def __init__(self, env: dict, spool: Path, models: Path, token_file: Path, log: Path, extra=(), tls=None):
        self.env, self.port, self.log, self.tls = as_users_run(env), free_port(), log, tls
        # the short JVMs started beside the server (lakeloop commands, the Java consumer): the
        # suites' JVM options
        self.job_env = env
        self.endpoint = env["LAKELOOP_S3_ENDPOINT"]
        self.args = [
            str(ROOT / "bin/lakeloop"), "serve", "--config", str(S3_CONF), "--port", str(self.port),
            "--set", f"lakeloop.serve.log.spool={spool}",
            "--set", f"lakeloop.serve.model-dir={models}",
            "--set", f"lakeloop.serve.token-file={token_file}",
            "--set", "lakeloop.serve.watch-interval=1s",
            "--set", "lakeloop.serve.log.segment-age=2s",
            "--set", "lakeloop.serve.max-batch=100",
            "--set", "lakeloop.serve.max-body-bytes=200000",
            *extra,
        ]
        self.proc = None

    def start(self):
        out = open(self.log, "a")
        self.proc = subprocess.Popen(
            self.args, env=self.env, stdout=out, stderr=out
        )
        for _ in range(600):
            if self.proc.poll() is not None:
                raise AssertionError("serve exited: " + self.log.read_text()[-3000:])
            try:
                status, body = self.request("GET", "/readyz")
                if status == 200:
                    return json.loads(body)
            except OSError:
                pass
            time.sleep(0.1)
        self.proc.kill()
        self.proc.wait(timeout=60)
        raise AssertionError("serve never became ready: " + self.log.read_text()[-3000:])

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        self.proc.wait(timeout=60)

    def request(self, method, path, body=None, token=TOKEN, raw=None):
        if self.tls is None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        else:
            conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30, context=self.tls)
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        conn.request(method, path, body=data, headers=headers)
        r = conn.getresponse()
        out = r.status, r.read()
        conn.close()
        return out

    def predict(self, instances, **kw):
        status, body = self.request("POST", "/v1/models/churn:predict", {"instances": instances}, **kw)
        return status, json.loads(body)


@pytest.fixture(scope="module")
def served(demo_on_s3, tmp_path_factory):
    root = tmp_path_factory.mktemp("serving")
    (root / "tokens").write_text(TOKEN + "\n")
    server = Server(demo_on_s3[3], root / "spool", root / "models", root / "tokens", root / "serve.log")
    server.s3 = demo_on_s3[1]
    info = server.start()
    yield server, info, root
    if server.proc.poll() is None:
        server.stop()


def lakeloop(server, *args):
    return run_lakeloop(*args, "--config", str(S3_CONF), env=server.job_env)


def logged_rows(server, version: str, n: int):
    """Rows `score` logged for the version (not the demo's own served rows, `online-*`)."""
    log = read_s3(server.endpoint, "prediction_log")
    log = log[~log.request_id.str.startswith("online-")]
    return log[log.model_version == version].sort_values("request_id").head(n)


def instance(row, request_id):
    out = {f: (None if getattr(row, f) != getattr(row, f) else getattr(row, f)) for f in FEATURES}
    out["region"] = row.region
    out["request_id"] = request_id
    return out


def test_answers_equal_what_score_logged_and_what_the_consumer_api_predicts(served):
    server, info, root = served
    version = info["model_version"]
    rows = logged_rows(server, version, 200)
    answers = []
    for start in range(0, len(rows), 50):
        chunk = list(rows.iloc[start : start + 50].itertuples(index=False))
        status, body = server.predict([instance(r, "srv-" + r.request_id) for r in chunk])
        assert status == 200, body
        answers += body["predictions"]
    assert [a["request_id"] for a in answers] == ["srv-" + i for i in rows.request_id]
    ACKNOWLEDGED.extend(a["request_id"] for a in answers)
    assert {a["model_version"] for a in answers} == {version}
    classpath = (ROOT / "serving/target/classpath.txt").read_text().strip()
    jar = ROOT / "serving/target/lakeloop-serving-0.1.0-SNAPSHOT.jar"
    proc = subprocess.run(
        ["java", "-cp", f"{jar}:{classpath}", str(ROOT / "tests/ConsumePublished.java"),
         server.env["LAKELOOP_WAREHOUSE"], "churn@champion"],
        input="\n".join(json.dumps(instance(r, "x")) for r in rows.itertuples(index=False)),
        env=server.job_env, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    consumer = [[float(x) for x in line.split(",")] for line in proc.stdout.strip().splitlines()[1:]]
    assert len(consumer) == len(answers) == len(rows) > 0
    for a, c, logged in zip(answers, consumer, rows.scores):
        got = [a["probabilities"]["stay"], a["probabilities"]["churn"]]
        assert max(abs(x - y) for x, y in zip(got, c)) < 1e-9
        assert max(abs(x - y) for x, y in zip(got, logged)) < 1e-5
        assert a["class_index"] == (1 if got[1] > got[0] else 0)
        assert a["label"] == ["stay", "churn"][a["class_index"]]


def test_every_bad_request_gets_its_4xx_naming_the_field_and_nothing_is_logged(served):
    server, info, root = served
    good = instance(next(logged_rows(server, info["model_version"], 1).itertuples(index=False)), "bad-0")
    missing = dict(good, request_id="bad-1")
    del missing["tenure_months"]
    cases = [
        (dict(raw=b"{not json"), 400, "invalid_json", None),
        (dict(body={"rows": []}), 400, "no_instances", "instances"),
        (dict(body={"instances": []}), 400, "empty_batch", "instances"),
        (dict(body={"instances": [good] * 101}), 413, "batch_too_large", "instances"),
        (dict(raw=b'{"instances": [' + b" " * 200_001 + b"]}"), 413, "body_too_large", None),
        (dict(body={"instances": [missing]}), 400, "missing_feature", "instances[0].tenure_months"),
        (dict(body={"instances": [good, dict(good, request_id="bad-2", support_calls="many")]}), 400,
         "not_a_number", "instances[1].support_calls"),
        (dict(body={"instances": [dict(good, plan={"a": 1})]}), 400, "not_a_value", "instances[0].plan"),
        (dict(body={"instances": [good, dict(good)]}), 400, "duplicate_request_id", "instances[1].request_id"),
        (dict(body={"instances": [good]}, token=None), 401, "no_token", "Authorization"),
        (dict(body={"instances": [good]}, token="wrong"), 401, "bad_token", "Authorization"),
    ]
    for kw, status, code, field in cases:
        got, body = server.request("POST", "/v1/models/churn:predict", **kw)
        error = json.loads(body)["error"]
        assert (got, error["code"], error.get("field")) == (status, code, field), (kw.keys(), body)
        assert error["message"]
    got, body = server.request("POST", "/v1/models/other:predict", body={"instances": [good]})
    assert (got, json.loads(body)["error"]["code"]) == (404, "unknown_model")
    assert server.request("GET", "/v1/models/churn:predict")[0] == 405
    assert server.request("GET", "/healthz", token=None)[0] == 200
    for path in ["/readyz", "/metrics", "/v1/models/churn"]:
        assert server.request("GET", path, token=None)[0] == 401
        assert server.request("GET", path, token="wrong")[0] == 401
    status, body = server.request("GET", "/v1/models/churn")
    described = json.loads(body)
    registry = read_s3(server.endpoint, "model_registry")
    row = registry[registry.version == int(described["model_version"])].iloc[0]
    assert described["sha256"] == row.sha256
    # The log is checked at the end: no bad-* request id reaches prediction_log.


def _load(server, stop, acknowledged, failures, prefix, row, pause=0.02):
    """One client thread sending single rows until `stop`, `pause` s apart: four threads are ~150
    requests a second, enough to be mid-request at a swap or a kill while leaving the two cores
    to the job under test (unpaced, they took most of a core and made the swap test's `compress`
    take 5.5 minutes)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    i = 0
    while not stop.wait(pause if i else 0):
        rid = f"{prefix}-{i}"
        i += 1
        try:
            conn.request("POST", "/v1/models/churn:predict", body=json.dumps({"instances": [dict(row, request_id=rid)]}),
                         headers={"Authorization": f"Bearer {TOKEN}"})
            r = conn.getresponse()
            body = r.read()
            if r.status == 200:
                acknowledged.append((rid, json.loads(body)["predictions"][0]["model_version"]))
            else:
                failures.append((rid, r.status, body))
        except (OSError, http.client.HTTPException) as e:
            failures.append((rid, "connection", repr(e)))
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.close()


def _metric(server, name, labels=""):
    status, body = server.request("GET", "/metrics")
    for line in body.decode().splitlines():
        if line.startswith(name + (("{" + labels) if labels else "")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_a_new_champion_is_swapped_in_under_load_and_a_tampered_one_is_refused(served):
    server, info, root = served
    old = info["model_version"]
    row = instance(next(logged_rows(server, old, 1).itertuples(index=False)), "")
    stop, acknowledged, failures = threading.Event(), [], []
    threads = [threading.Thread(target=_load, args=(server, stop, acknowledged, failures, f"swap{t}", row)) for t in range(4)]
    for t in threads:
        t.start()
    try:
        # one pruning step to half sparsity: a new version to swap to is all this needs (the
        # default's four steps of fine-tuning, under this load, were most of the test's time)
        lakeloop(
            server, "compress", "--date", "2026-01-14",
            "--set", "lakeloop.compress.pruning-steps=1", "--set", "lakeloop.compress.target-sparsity=0.5",
        )
        aliases = read_s3(server.endpoint, "model_aliases")
        new = str(int(aliases[(aliases.model_name == "churn") & (aliases.alias == "champion")].version.iloc[0]))
        assert new != old
        deadline = time.time() + 60
        while time.time() < deadline and (not acknowledged or acknowledged[-1][1] != new):
            time.sleep(0.2)
        time.sleep(1)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert failures == []
    versions = [v for _, v in acknowledged]
    assert versions[0] == old and versions[-1] == new and set(versions) == {old, new}
    assert _metric(server, "lakeloop_serve_swaps_total") == 1
    # The old version's artifact changed in the warehouse, then the alias moved back to it: the
    # server refuses it (SHA-256) and the new version keeps serving.
    registry = read_s3(server.endpoint, "model_registry")
    key = registry[registry.version == int(old)].artifact_uri.iloc[0].removeprefix(f"s3a://{BUCKET}/")
    s3 = server.s3
    original = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    tampered = bytearray(original)
    tampered[len(tampered) // 2] ^= 1
    s3.put_object(Bucket=BUCKET, Key=key, Body=bytes(tampered))
    lakeloop(server, "registry", "alias", "churn", "champion", old, "--expect", new)
    deadline = time.time() + 30
    while time.time() < deadline and _metric(server, "lakeloop_serve_swaps_refused_total") < 1:
        time.sleep(0.2)
    assert _metric(server, "lakeloop_serve_swaps_refused_total") == 1
    status, body = server.predict([dict(row, request_id="after-tamper")])
    assert status == 200 and body["predictions"][0]["model_version"] == new
    assert f"refused churn/{old}" in server.log.read_text()
    # Restore the artifact and roll the alias forward again: the bucket is whole for what follows.
    s3.put_object(Bucket=BUCKET, Key=key, Body=original)
    lakeloop(server, "registry", "alias", "churn", "champion", new, "--expect", old)
    ACKNOWLEDGED.extend([rid for rid, _ in acknowledged] + ["after-tamper"])


def test_sigkill_under_load_then_restart_and_ingest_served_lose_and_double_nothing(served):
    server, info, root = served
    row = instance(next(logged_rows(server, info["model_version"], 1).itertuples(index=False)), "")
    stop, acknowledged, failures = threading.Event(), [], []
    threads = [threading.Thread(target=_load, args=(server, stop, acknowledged, failures, f"kill{t}", row)) for t in range(4)]
    for t in threads:
        t.start()
    time.sleep(3)
    server.stop(signal.SIGKILL)
    stop.set()
    for t in threads:
        t.join()
    assert len(acknowledged) > 100
    server.start()
    server.stop()  # a clean stop seals and publishes everything, the killed run's segments too
    today = datetime.now(timezone.utc).date().isoformat()
    first = lakeloop(server, "ingest-served", "--date", today).stdout
    again = lakeloop(server, "ingest-served", "--date", today).stdout
    assert "nothing new" in again, again
    log = read_s3(server.endpoint, "prediction_log")
    served_rows = log[log.event_date.astype(str) == today]
    ids = list(served_rows.request_id)
    assert len(ids) == len(set(ids)), "a served row was loaded twice"
    expected = {rid for rid, _ in acknowledged} | set(ACKNOWLEDGED)
    assert len(ACKNOWLEDGED) > 200
    assert expected <= set(ids), f"{len(expected - set(ids))} acknowledged rows lost: {first}"
    assert not any(i.startswith("bad-") for i in ids)
    # Every row that landed was answered: the only unacknowledged rows are those in flight at the kill.
    unacknowledged = {i for i in ids if i.startswith("kill")} - expected
    assert len(unacknowledged) <= 4
    quarantine = read_s3(server.endpoint, "quarantine")
    assert not quarantine.source_path.fillna("").str.contains("landing/served").any()
    server.start()  # for the Prometheus test


def test_tls_when_a_keystore_is_configured(served, tmp_path):
    """With lakeloop.serve.tls-keystore (a PKCS12 key and self-signed certificate made by the
    JDK's keytool) and its password from LAKELOOP_SERVE_TLS_PASSWORD, the server answers over
    HTTPS only, a client that trusts the certificate gets the same prediction as over plain HTTP
    from the other server, and the start-up line says https and never the password."""
    import ssl

    server, info, root = served
    keystore, password = tmp_path / "serve.p12", "tls-test-pass-81d2"
    keytool = Path(shutil.which("java")).resolve().parent / "keytool"
    subprocess.run(
        [str(keytool), "-genkeypair", "-keystore", str(keystore), "-storetype", "PKCS12", "-storepass", password,
         "-alias", "serve", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
         "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1"],
        check=True, capture_output=True,
    )
    cert = subprocess.run(
        [str(keytool), "-exportcert", "-rfc", "-keystore", str(keystore), "-storepass", password, "-alias", "serve"],
        check=True, capture_output=True, text=True,
    ).stdout
    context = ssl.create_default_context(cadata=cert)
    env = dict(server.env, LAKELOOP_SERVE_TLS_PASSWORD=password)
    secure = Server(
        env, tmp_path / "spool", tmp_path / "models", root / "tokens", tmp_path / "serve.log",
        extra=["--set", f"lakeloop.serve.tls-keystore={keystore}", "--set", "lakeloop.serve.log.enabled=false"],
        tls=context,
    )
    secure.start()
    try:
        row = instance(next(logged_rows(server, info["model_version"], 1).itertuples(index=False)), "tls-1")
        status, body = secure.predict([row])
        assert status == 200
        plain_status, plain = server.predict([dict(row, request_id="tls-plain-1")])
        assert plain_status == 200
        assert body["predictions"][0]["probabilities"] == plain["predictions"][0]["probabilities"]
        with pytest.raises((http.client.HTTPException, ConnectionError, OSError)):
            conn = http.client.HTTPConnection("127.0.0.1", secure.port, timeout=10)
            conn.request("GET", "/healthz")
            answer = conn.getresponse()
            assert answer.status >= 400, "the TLS port answered plain HTTP"
            raise ConnectionError(f"refused plain HTTP with {answer.status}")
        started = secure.log.read_text()
        assert f"https://127.0.0.1:{secure.port}" in started and password not in started
    finally:
        secure.stop()


def _query(port, expr, until=lambda result: bool(result)):
    """Prometheus' HTTP query API, polled until `until(result)` (scrapes run every second)."""
    result = []
    for _ in range(150):
        try:
            q = urllib.request.urlopen(
                f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr}), timeout=5
            )
            result = json.load(q)["data"]["result"]
            if until(result):
                return result
        except OSError:
            pass
        time.sleep(0.2)
    return result


def test_a_real_prometheus_scrapes_the_server_and_the_jobs_pushgateway(served, pushgateway, tmp_path):
    """Prometheus scrapes the server and the Pushgateway the S3 demo's jobs (and this file's
    ingest-served) pushed to: the served count equals /metrics; evaluate's pushed accuracy per model
    version equals eval_metrics' latest labeled day in the bucket; drift's drifted share and
    ingest-served's status and attempt equal what job_runs recorded."""
    server, info, root = served
    prometheus = shutil.which("prometheus")
    assert prometheus, "Debian's prometheus is not installed: run bin/setup-prometheus"
    token_file = root / "tokens"
    port = free_port()
    gateway = pushgateway.removeprefix("http://")
    (tmp_path / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: lakeloop-serve\n"
        f"    authorization: {{credentials_file: {token_file}}}\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{server.port}']}}]\n"
        "  - job_name: pushgateway\n"
        "    honor_labels: true\n"
        f"    static_configs: [{{targets: ['{gateway}']}}]\n"
    )
    status, body = server.predict([instance(next(logged_rows(server, info["model_version"], 1).itertuples(index=False)), "prom-1")])
    assert status == 200
    proc = subprocess.Popen(
        [prometheus, f"--config.file={tmp_path / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        expected = _metric(server, "lakeloop_serve_predictions_total")
        assert expected >= 1
        result = _query(port, "sum(lakeloop_serve_predictions_total)")
        assert float(result[0]["value"][1]) == expected
        up = _query(port, "up", until=lambda r: len(r) == 2)
        assert {r["metric"]["job"]: r["value"][1] for r in up} == {"lakeloop-serve": "1", "pushgateway": "1"}

        metrics = read_s3(server.endpoint, "eval_metrics")
        day = metrics[(metrics.granularity == "1 day") & (metrics.slice_value == "*") & (metrics.metric == "accuracy")]
        day = day[day.value.notna()]
        pushed = _query(port, 'lakeloop_evaluate_metric{job="lakeloop_evaluate",model="churn",metric="accuracy"}')
        starts = _query(port, 'lakeloop_evaluate_metric_window_start_timestamp_seconds{metric="accuracy"}')
        start_of = {r["metric"]["model_version"]: float(r["value"][1]) for r in starts}
        # the served champion's traffic is in the demo's last evaluate; its newest day has no
        # labels yet, so what is pushed is the accuracy of its latest labeled day
        assert info["model_version"] in start_of
        assert set(start_of) == {r["metric"]["model_version"] for r in pushed}
        for r in pushed:
            version = r["metric"]["model_version"]
            latest = day[day.model_version == version].sort_values("window_start").iloc[-1]
            assert latest.window_start.timestamp() == start_of[version]
            assert float(r["value"][1]) == pytest.approx(latest.value, abs=1e-12)

        runs = read_s3(server.endpoint, "job_runs")
        runs = runs[runs.status != "RUNNING"].sort_values("finished_at")
        drift = runs[runs.job == "drift"].iloc[-1]
        drifted, compared = (int(x) for x in dict(drift.summary)["drifted_columns"].split("/"))
        share = _query(port, 'lakeloop_drift_drifted_share{job="lakeloop_drift",model="churn"}')
        assert float(share[0]["value"][1]) == pytest.approx(drifted / compared)
        alerts = _query(port, 'lakeloop_drift_alerts{job="lakeloop_drift"}')
        assert float(alerts[0]["value"][1]) == float(dict(drift.summary)["alerts"])

        ingested = runs[runs.job == "ingest-served"].iloc[-1]
        assert ingested.status == "SUCCEEDED"
        ok = _query(port, 'lakeloop_job_succeeded{job="lakeloop_ingest_served",model="churn"}')
        assert ok[0]["value"][1] == "1"
        attempt = _query(port, 'lakeloop_job_attempt{job="lakeloop_ingest_served"}')
        assert int(float(attempt[0]["value"][1])) == ingested.attempt
        ended = _query(port, 'lakeloop_job_last_success_timestamp_seconds{job="lakeloop_ingest_served"}')
        assert 0 <= float(ended[0]["value"][1]) - ingested.finished_at.timestamp() < 60
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _exposed(text: str) -> set[str]:
    return {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}


def _queried(dashboard: Path) -> tuple[int, set[str]]:
    d = json.loads(dashboard.read_text())
    return len(d["panels"]), {m for p in d["panels"] for t in p["targets"] for m in re.findall(r"lakeloop_[a-z_]+", t["expr"])}


def test_the_grafana_dashboards_query_only_metrics_that_exist(served, pushgateway):
    """grafana/lakeloop-serve.json queries only metrics the server's /metrics exposes (histograms
    by their _bucket/_sum/_count names); grafana/lakeloop-jobs.json only metrics the batch jobs
    pushed to the Pushgateway."""
    server = served[0]
    status, body = server.request("GET", "/metrics")
    panels, queried = _queried(ROOT / "grafana/lakeloop-serve.json")
    assert panels >= 8 and len(queried) >= 10
    assert queried <= _exposed(body.decode()), queried - _exposed(body.decode())
    pushed = _exposed(urllib.request.urlopen(pushgateway + "/metrics", timeout=10).read().decode())
    panels, queried = _queried(ROOT / "grafana/lakeloop-jobs.json")
    assert panels >= 8 and len(queried) >= 8
    assert queried <= pushed, queried - pushed
