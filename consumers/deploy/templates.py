"""Finding and reading the CloudFormation templates in `infra/`.

Templates are sent to CloudFormation as the exact YAML text on disk when it fits an inline TemplateBody (51,200
bytes); a longer one is sent as its parsed content in compact JSON (the same template for CloudFormation, without
the comments and indentation, ~15 % smaller). They are also parsed here (short-form tags such as `!Ref` and
`!GetAtt` turned into their long form) so the deployer can see their parameters and the emulator gap-filler can
read resource properties.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from consumers.errors import ConfigError

#: CloudFormation's limit for an inline TemplateBody (bigger templates must be uploaded to S3 first).
TEMPLATE_BODY_LIMIT_BYTES = 51_200

INFRA_DIR_ENV = "CCSTREAM_INFRA_DIR"


def infra_dir() -> Path:
    """The folder holding the templates: $CCSTREAM_INFRA_DIR, else `infra/` next to the `consumers` package."""
    configured = os.environ.get(INFRA_DIR_ENV)
    folder = Path(configured) if configured else Path(__file__).resolve().parents[2] / "infra"
    if not (folder / "streaming.yaml").is_file():
        raise ConfigError(
            f"CloudFormation templates not found in {folder}. Run from a checkout of ccstream, "
            f"or set {INFRA_DIR_ENV} to the folder containing streaming.yaml."
        )
    return folder


_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: 10x faster


class _CfnLoader(_SafeLoader):
    """A YAML loader that understands CloudFormation's short-form intrinsic functions."""


def _construct_tag(loader: _CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        resource, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [resource, attribute]}
    return {f"Fn::{tag_suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def parse_template(text: str) -> dict[str, Any]:
    """Parse template text (YAML with short-form tags, or JSON) into plain dicts and lists."""
    loaded = yaml.load(text, Loader=_CfnLoader)  # a SafeLoader subclass: only adds CFN tags
    if not isinstance(loaded, dict) or "Resources" not in loaded:
        raise ConfigError("not a CloudFormation template (no Resources section)")
    return loaded


@dataclass(frozen=True)
class Template:
    """One template file: its text, its parsed form, and what CloudFormation receives (`body`)."""

    path: Path

    @cached_property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @cached_property
    def document(self) -> dict[str, Any]:
        return parse_template(self.text)

    @cached_property
    def body(self) -> str:
        """The YAML as written when it fits inline, else the same template as compact JSON."""
        if len(self.text.encode("utf-8")) <= TEMPLATE_BODY_LIMIT_BYTES:
            return self.text
        return json.dumps(self.document, separators=(",", ":"), ensure_ascii=False)

    @property
    def parameters(self) -> dict[str, dict[str, Any]]:
        return dict(self.document.get("Parameters") or {})

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.document["Resources"])

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple((self.document.get("Outputs") or {}).keys())


def load_template(file_name: str, folder: Path | None = None) -> Template:
    """Load `infra/<file_name>`; a clear error if it is missing or too big to send inline, even as JSON."""
    path = (folder or infra_dir()) / file_name
    if not path.is_file():
        raise ConfigError(f"template {path} is missing")
    template = Template(path)
    size = len(template.body.encode("utf-8"))
    if size > TEMPLATE_BODY_LIMIT_BYTES:
        raise ConfigError(
            f"{path} is {size} bytes even as compact JSON; CloudFormation accepts at most {TEMPLATE_BODY_LIMIT_BYTES}"
        )
    return template
