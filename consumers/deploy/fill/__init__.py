"""Create through the service APIs what an emulator's CloudFormation reports as created but skipped.

`fill_stack` walks a deployed template's resources and runs the filler registered for each resource type.
Fillers only ever add what is missing (see `base`), so a second deploy changes nothing. A service the emulator
does not offer at all (free LocalStack has no Glue or Athena) is reported as unavailable, not as an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from consumers.deploy.fill import alarms, analytics, dynamodb, ecs, kinesis, localstack, logs, s3
from consumers.deploy.fill.base import FillContext, Filler
from consumers.deploy.resolve import Resolver
from consumers.deploy.templates import Template

FILLERS: dict[str, Filler] = {
    **logs.FILLERS,
    **kinesis.FILLERS,
    **dynamodb.FILLERS,
    **s3.FILLERS,
    **analytics.FILLERS,
    **alarms.FILLERS,
    **ecs.FILLERS,
}

#: HTTP statuses with which emulators refuse a whole service ("not implemented", "pro feature").
_UNAVAILABLE_STATUSES = {501}


@dataclass(frozen=True)
class FillReport:
    """What the gap-filler changed, and what the emulator could not provide at all."""

    changes: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)


def _is_unavailable(exc: ClientError) -> bool:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    message = str(exc.response.get("Error", {}).get("Message", "")).lower()
    return status in _UNAVAILABLE_STATUSES or "not yet implemented or pro feature" in message


def fill_stack(template: Template, resolver: Resolver, ctx: FillContext) -> FillReport:
    """Run the filler of every created resource of `template`, in template order."""
    report = FillReport()
    fillers = {**FILLERS, **localstack.FILLERS} if localstack.is_localstack(ctx.target) else FILLERS
    for logical_id, resource in template.resources.items():
        filler = fillers.get(resource["Type"])
        if filler is None or not resolver.is_created(logical_id):
            continue
        try:
            report.changes.extend(filler(ctx, logical_id, resolver.properties(logical_id)))
        except ClientError as exc:
            if not _is_unavailable(exc):
                raise
            report.unavailable.append(f"{logical_id} ({resource['Type']}): not offered by this emulator")
    return report


__all__ = ["FILLERS", "FillContext", "FillReport", "fill_stack"]
