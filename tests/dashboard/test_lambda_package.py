"""The Lambda package (`ccstream package`): what it holds, that it is reproducible, and that the handlers run from
it alone — in a Python started without this environment's site-packages — against the emulator's table.

moto cannot invoke Lambdas, so the run happens in a subprocess with only the unpacked zip on its path (plus boto3,
which the Lambda runtime provides). It is built for this interpreter's version, since a 3.12 interpreter is not
guaranteed here; the default build (the runtime's 3.12 wheels) is checked for its contents and reproducibility.
pip reads the package index (or its cache, filled by `make setup`)."""

from __future__ import annotations

import base64
import hashlib
import json
import platform
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from consumers.aws import AwsTarget
from consumers.cli.app import app
from consumers.deploy.lambda_package import LAMBDA_RUNTIME, build_lambda_package
from consumers.deploy.templates import load_template
from tests.dashboard.conftest import LoadedFixture
from tests.dashboard.expected import expected
from tests.dashboard.test_lambda_handler import FROM_MS, TO_MS, event, values_of
from tests.infra.conftest import unique_names

pytestmark = pytest.mark.emulator

PLATFORMS = {"x86_64": "manylinux2014_x86_64", "aarch64": "manylinux2014_aarch64"}


def template_functions(name: str) -> dict[str, dict]:
    resources = load_template(name).resources
    return {k: r["Properties"] for k, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}


@pytest.fixture(scope="module")
def runtime_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default build (Lambda runtime wheels), as `ccstream package` makes it."""
    out = tmp_path_factory.mktemp("runtime-package")
    result = CliRunner().invoke(app, ["package", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    return Path(json.loads(result.stdout)["path"])


def test_the_template_runs_the_runtime_the_package_is_built_for(runtime_package: Path) -> None:
    functions = template_functions("dashboard.yaml")
    assert {f["Runtime"] for f in functions.values()} == {LAMBDA_RUNTIME}
    names = set(zipfile.ZipFile(runtime_package).namelist())
    version = LAMBDA_RUNTIME.removeprefix("python").replace(".", "")
    assert f"msgspec/_core.cpython-{version}-x86_64-linux-gnu.so" in names
    handlers = {f["Handler"] for f in functions.values() if isinstance(f.get("Handler"), str)}
    assert handlers == {  # the widget's is an !If
        "consumers.dashboard.lambda_handler.scheduled_handler",
        "consumers.spend.status_lambda.handler",
        "consumers.spend.runaway_lambda.handler",
        "consumers.spend.report.handler",
    }
    for handler in handlers:
        assert handler.rsplit(".", 1)[0].replace(".", "/") + ".py" in names
    for module in ("consumers/dashboard/lambda_handler.py", "consumers/lake/firehose_lambda.py", "pygal/__init__.py"):
        assert module in names
    assert not any("__pycache__" in n or n.endswith(".pyc") or n.startswith(("tests/", "boto3/")) for n in names)
    assert "schemas/catalogue.py" in names and "consumers/dashboard/widgets/catalogue.py" in names


def test_the_package_is_reproducible_uploaded_once_and_deployed(
    runtime_package: Path, tmp_path: Path, aws: AwsTarget
) -> None:
    again = build_lambda_package(tmp_path)
    assert again.path.name == runtime_package.name
    assert again.path.read_bytes() == runtime_package.read_bytes()
    s3 = aws.client("s3")
    bucket = f"artifacts-{runtime_package.stem[-8:]}"
    s3.create_bucket(Bucket=bucket)
    arguments = ["package", "--out", str(tmp_path), "--upload", f"s3://{bucket}/ccstream", "--json"]
    arguments += ["--endpoint-url", str(aws.endpoint_url)]
    first = json.loads(CliRunner().invoke(app, arguments).stdout)
    second = json.loads(CliRunner().invoke(app, arguments).stdout)
    assert first["uploaded"] is True and second["uploaded"] is False
    assert first["key"] == f"ccstream/lambda/{runtime_package.name}"
    assert first["deploy_parameters"] == [
        f"{stack}.{name}={value}"
        for stack in ("analytics", "dashboard")
        for name, value in (("CodeBucket", bucket), ("CodeKey", first["key"]))
    ]
    stored = s3.get_object(Bucket=bucket, Key=first["key"])["Body"].read()
    assert stored == runtime_package.read_bytes()

    # Deployed with those parameters, the dashboard runs the package instead of its placeholder, and the analytics
    # stack creates the transform Lambda and points Firehose at it (event-time partitions).
    names = unique_names("pkg")
    deploy = ["deploy", "--stacks", "streaming,analytics,dashboard", "--prefix", names.prefix, "--json"]
    deploy += ["--log-group", names.log_group, "--endpoint-url", str(aws.endpoint_url)]
    for p in first["deploy_parameters"]:
        deploy += ["-p", p]
    result = CliRunner().invoke(app, deploy, env={"CCSTREAM_TABLE": names.table})
    assert result.exit_code == 0, result.output
    code_sha = base64.b64encode(hashlib.sha256(stored).digest()).decode()
    functions = aws.client("lambda")
    widget = functions.get_function(FunctionName=f"{names.prefix}-dashboard-widget")["Configuration"]
    assert widget["Handler"] == "consumers.dashboard.lambda_handler.handler" and widget["CodeSha256"] == code_sha
    transform = functions.get_function(FunctionName=f"{names.prefix}-lake-transform")["Configuration"]
    assert transform["Handler"] == "consumers.lake.firehose_lambda.handler" and transform["CodeSha256"] == code_sha
    stream = aws.client("firehose").describe_delivery_stream(DeliveryStreamName=f"{names.prefix}-lake")
    destination = stream["DeliveryStreamDescription"]["Destinations"][0]["ExtendedS3DestinationDescription"]
    (processor,) = destination["ProcessingConfiguration"]["Processors"]
    lambda_arn = {p["ParameterName"]: p["ParameterValue"] for p in processor["Parameters"]}["LambdaArn"]
    assert processor["Type"] == "Lambda" and lambda_arn == transform["FunctionArn"]
    assert destination["DynamicPartitioningConfiguration"]["Enabled"] is True
    assert "partitionKeyFromLambda:year" in destination["Prefix"]


def test_a_bad_upload_target_is_refused_with_the_form_it_takes(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["package", "--out", str(tmp_path), "--upload", "my-bucket"])
    assert result.exit_code != 0
    assert "s3://<bucket>[/<prefix>]" in str(result.exception)


def test_the_widget_handler_runs_from_the_package_alone(midnight: LoadedFixture, tmp_path: Path) -> None:
    machine = platform.machine()
    if machine not in PLATFORMS or not sys.platform.startswith("linux"):
        pytest.skip(f"Lambda wheels run only on Linux x86_64/aarch64, not {sys.platform} {machine}")
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    pkg = build_lambda_package(tmp_path / "out", version, PLATFORMS[machine], extra_requirements=("boto3",))
    unpacked = tmp_path / "task"
    zipfile.ZipFile(pkg.path).extractall(unpacked)
    program = f"""
import json, sys
sys.path.insert(0, {str(unpacked)!r})
import msgspec, pygal, yaml
from consumers.dashboard import lambda_handler
from consumers.lake import firehose_lambda
for module in (msgspec, pygal, yaml, lambda_handler, firehose_lambda):
    assert module.__file__.startswith({str(unpacked)!r}), module.__file__
lambda_handler._now_ms = lambda: {TO_MS}
from consumers.aggregates.partials import UserEntry, distinct_sessions
bot = UserEntry()
bot.add_sessions({{f"s{{i}}" for i in range(3000)}}, 1000, "x")  # a CI bot past the limit: an HLL sketch
sessions = distinct_sessions([bot, UserEntry(sessions={{"s1", "t"}})])
assert "numpy" not in sys.modules
print(json.dumps({{"describe": lambda_handler.handler({{"describe": True}}),
                  "html": lambda_handler.handler(json.loads(sys.argv[1])),
                  "sessions": [sessions.value, sessions.approximate]}}))
"""
    env = {
        "AWS_ENDPOINT_URL": str(midnight.target.endpoint_url),
        "AWS_REGION": midnight.target.region,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "CCSTREAM_TABLE": midnight.names.table,
    }
    # -S: no site-packages (so nothing of this environment), -E: no PYTHON* variables; cwd outside the repository.
    done = subprocess.run(
        [sys.executable, "-S", "-E", "-c", program, json.dumps(event("total_tokens"))],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout)
    assert "total_tokens" in answer["describe"]["markdown"]
    want = expected(midnight.points, FROM_MS, TO_MS, TO_MS, [], {}, 1)
    assert values_of(answer["html"])["total"] == want["total_tokens"]["total"] > 0
    # session sketches (a user past CCSTREAM_MAX_SESSIONS_PER_USER) are read there too: the people widgets and the
    # scheduled rollup count them (the package lacked datasketches, so one CI bot broke both)
    value, approximate = answer["sessions"]
    assert approximate is True and abs(value - 3001) < 3001 * 0.05
