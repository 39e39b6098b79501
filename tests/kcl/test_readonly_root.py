"""The consumer as its ECS task runs it: `ccstream consume` with no `--log-dir`, the working directory (and the
project, its venv and HOME) read-only, only a temp dir writable, and daemon output on stderr for awslogs.

The read-only part is real: the child runs in its own mount namespace (`unshare -m`, root only) where the project
folder is bind-mounted read-only over itself, so any write under it fails with EROFS. Without root or `unshare`
the test is skipped, not weakened. Expected checkpoints come from the PutRecords answers.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from importlib import util
from pathlib import Path

import pytest

from consumers.aws import AwsTarget
from tests.kcl.cli_run import CCSTREAM, cli_stack

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.kcl,
    pytest.mark.emulator,
    pytest.mark.skipif(shutil.which("java") is None, reason="needs a Java runtime"),
    pytest.mark.skipif(util.find_spec("amazon_kclpy") is None, reason="needs amazon_kclpy: make setup"),
]


def _can_mount_read_only() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        [
            "unshare",
            "-m",
            "--propagation",
            "private",
            "sh",
            "-c",
            f"mount --bind -o ro {shlex.quote(str(ROOT))} "
            f"{shlex.quote(str(ROOT))} && ! touch {shlex.quote(str(ROOT / '.ro-probe'))} 2>/dev/null",
        ],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def read_only_command(argv: list[str]) -> list[str]:
    """`argv` run in the project folder, with the project mounted read-only (in a private mount namespace)."""
    root = shlex.quote(str(ROOT))
    script = (
        f"mount --bind {root} {root} && mount -o remount,bind,ro {root} && cd {root} && "
        f"if touch .ro-probe 2>/dev/null; then echo 'project still writable' >&2; exit 90; fi && "
        f"exec {' '.join(shlex.quote(a) for a in argv)}"
    )
    return ["unshare", "-m", "--propagation", "private", "sh", "-c", script]


@pytest.mark.timeout(300)
@pytest.mark.skipif(not _can_mount_read_only(), reason="needs root and unshare -m to mount the project read-only")
def test_consume_starts_on_a_read_only_work_dir_and_logs_to_stderr(aws: AwsTarget, tmp_path: Path) -> None:
    writable = tmp_path / "tmp"  # plays the task's /tmp volume
    writable.mkdir()
    extra = {"TMPDIR": str(writable), "HOME": str(ROOT), "CCSTREAM_DAEMON_OUTPUT": "stderr"}
    extra |= {"CCSTREAM_FLUSH_INTERVAL_MS": "200", "CCSTREAM_SIZE_FLUSH_INTERVALS": "1h=400,1d=400"}
    extra |= {"CCSTREAM_USER_FLUSH_INTERVAL_MS": "400", "PYTHONDONTWRITEBYTECODE": "1"}
    with cli_stack(aws, **extra) as stack:
        last = stack.put_fixture("midnight.kinesis.jsonl")
        argv = [CCSTREAM, "consume", "--app", "aggregator", "--until-idle", "3"]  # no --log-dir, as in the task
        done = subprocess.run(
            read_only_command(argv), env=stack.env, capture_output=True, text=True, timeout=280, check=False
        )
        assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-4000:])
        assert stack.checkpoints(stack.names.consumer_app) == last

    # The rendered properties went to the writable temp dir, and no log file was written (output went to stderr).
    logs = writable / "ccstream" / "logs"
    assert (logs / f"{stack.names.consumer_app}.properties").is_file()
    assert not list(logs.glob("*.log"))
    assert "MultiLangDaemon" in done.stderr  # the JVM's own lines
    assert "ccstream.processor" in done.stderr  # a record processor's log lines, relayed by the daemon
    assert "idle: every shard drained and checkpointed" in done.stdout


def test_default_log_dir_is_under_the_temp_dir_or_the_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from consumers.kcl.daemon import default_log_dir, default_output

    assert default_log_dir({"CCSTREAM_LOG_DIR": "/x/y"}) == Path("/x/y")
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    assert default_log_dir({}) == tmp_path / "ccstream" / "logs"
    assert default_output({}) == "file"
    assert default_output({"CCSTREAM_DAEMON_OUTPUT": "stderr"}) == "stderr"
    with pytest.raises(Exception, match="file, stderr"):
        default_output({"CCSTREAM_DAEMON_OUTPUT": "syslog"})
