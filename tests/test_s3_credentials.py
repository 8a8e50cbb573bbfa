"""S3 credentials missing or wrong, against a real S3-compatible server that checks them: moto
with authentication on (INITIAL_NO_AUTH_ACTION_COUNT: the first requests, which create an IAM user,
its access key, its policy and the bucket, are let through; every later one must be signed by a
known key). lakeloop must fail with a message that names the problem and the fix, and print no
secret."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request

import boto3
import botocore.exceptions
import pytest

from conftest import ROOT, VENV_BIN, base_env, free_port

BUCKET = "lakeloop-auth"
SETUP_REQUESTS = 4  # create_user, create_access_key, put_user_policy, create_bucket


@pytest.fixture(scope="module")
def authenticating_s3():
    port = free_port()
    proc = subprocess.Popen(
        [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        env={**base_env(), "INITIAL_NO_AUTH_ACTION_COUNT": str(SETUP_REQUESTS)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(endpoint + "/moto-api/data.json").read()
                break
            except OSError:
                time.sleep(0.2)
        anyone = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="setup", aws_secret_access_key="setup")
        iam = boto3.client("iam", **anyone)
        iam.create_user(UserName="lakeloop")
        key = iam.create_access_key(UserName="lakeloop")["AccessKey"]
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        iam.put_user_policy(UserName="lakeloop", PolicyName="s3", PolicyDocument=json.dumps(policy))
        boto3.client("s3", **anyone).create_bucket(Bucket=BUCKET)
        yield endpoint, key["AccessKeyId"], key["SecretAccessKey"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _generate(endpoint: str, prefix: str, **credentials: str) -> subprocess.CompletedProcess:
    env = base_env(
        LAKELOOP_WAREHOUSE=f"s3a://{BUCKET}/{prefix}",
        LAKELOOP_S3_ENDPOINT=endpoint,
        LAKELOOP_S3_PATH_STYLE="true",
        LAKELOOP_S3_SSL="false",
        AWS_REGION="us-east-1",
    )
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        env.pop(name, None)
    env.update(credentials)
    return subprocess.run(
        [str(ROOT / "bin/lakeloop"), "generate", "--config", str(ROOT / "configs/s3.conf"),
         "--rows", "200", "--days", "2", "--run-id", "auth"],
        env=env, capture_output=True, text=True, timeout=900,
    )


def test_the_server_checks_keys(authenticating_s3):
    """The server really authenticates: boto3 with the key lists the bucket, with a wrong secret it
    is refused. (moto's signature check does not accept the Java SDK v1 signatures that s3a sends
    even with the right key, so the positive case for lakeloop itself is the S3 demo on moto
    without authentication, tests/test_s3_demo.py.)"""
    endpoint, key, secret = authenticating_s3
    client = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key)
    boto3.client("s3", aws_secret_access_key=secret, **client).list_objects_v2(Bucket=BUCKET)
    with pytest.raises(botocore.exceptions.ClientError, match="SignatureDoesNotMatch"):
        boto3.client("s3", aws_secret_access_key="wrong", **client).list_objects_v2(Bucket=BUCKET)


def test_a_wrong_secret_fails_naming_the_path_and_the_fix_without_printing_a_secret(authenticating_s3):
    endpoint, key, secret = authenticating_s3
    wrong = "wrong-" + secret[6:]
    proc = _generate(endpoint, "wrong", AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=wrong)
    assert proc.returncode == 2, proc.stderr[-3000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("lakeloop generate: error: the object store refused access to s3a://lakeloop-auth/wrong/"), last
    assert "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in last
    for s in (secret, wrong):
        assert s not in proc.stdout + proc.stderr


def test_an_unknown_key_fails_the_same_way(authenticating_s3):
    endpoint, _, secret = authenticating_s3
    proc = _generate(endpoint, "unknown", AWS_ACCESS_KEY_ID="AKIANOTAKNOWNKEY0000", AWS_SECRET_ACCESS_KEY=secret)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "error: the object store refused access to s3a://lakeloop-auth/unknown/" in proc.stderr
    assert secret not in proc.stdout + proc.stderr


def test_no_credentials_at_all_says_where_to_set_them(authenticating_s3):
    endpoint, _, _ = authenticating_s3
    proc = _generate(endpoint, "none")
    assert proc.returncode == 2, proc.stderr[-3000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert "lakeloop generate: error:" in last and "AWS_ACCESS_KEY_ID" in last, last
