"""ECS: task definition settings moto's CloudFormation drops (roles, network mode, Fargate compatibility, CPU).

When the latest revision lacks them, a complete revision is registered and the template's services are moved
to it, so the emulator describes the same task definition AWS would.
"""

from __future__ import annotations

from typing import Any

from consumers.deploy.fill.base import FillContext, contains

#: Keys whose values are free-form maps (their keys must keep their spelling).
_VERBATIM = {"Options", "DockerLabels", "SystemControls"}


def camel_keys(value: Any) -> Any:
    """CloudFormation's PascalCase property names → the ECS API's camelCase, recursively."""
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    if not isinstance(value, dict):
        return value
    converted = {}
    for key, item in value.items():
        name = key[:1].lower() + key[1:]
        converted[name] = item if key in _VERBATIM else camel_keys(item)
    return converted


def task_definition_request(props: dict[str, Any]) -> dict[str, Any]:
    request = camel_keys({k: v for k, v in props.items() if k != "Tags"})
    for container in request.get("containerDefinitions", []):
        for mapping in container.get("portMappings", []):
            mapping["containerPort"] = int(mapping["containerPort"])
        if "readonlyRootFilesystem" in container:
            container["readonlyRootFilesystem"] = str(container["readonlyRootFilesystem"]).lower() == "true"
    return request


def fill_task_definition(ctx: FillContext, logical_id: str, props: dict[str, Any]) -> list[str]:
    ecs = ctx.client("ecs")
    request = task_definition_request(props)
    latest = ecs.describe_task_definition(taskDefinition=request["family"])["taskDefinition"]
    compared = {
        k: request[k]
        for k in ("taskRoleArn", "executionRoleArn", "networkMode", "requiresCompatibilities", "cpu")
        if k in request
    }
    if contains(compared, latest):
        return []
    registered = ecs.register_task_definition(**request)["taskDefinition"]
    return [f"{logical_id}: registered {request['family']}:{registered['revision']} with roles and Fargate settings"]


def fill_service(ctx: FillContext, logical_id: str, props: dict[str, Any]) -> list[str]:
    """Point the service at the latest revision of its task definition family (after `fill_task_definition`)."""
    ecs = ctx.client("ecs")
    cluster, name = props["Cluster"], props["ServiceName"]
    services = ecs.describe_services(cluster=cluster, services=[name])["services"]
    if not services:
        return []
    current = services[0]["taskDefinition"]
    family = current.rsplit("/", 1)[-1].split(":")[0]
    latest = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]["taskDefinitionArn"]
    if latest == current:
        return []
    ecs.update_service(cluster=cluster, service=name, taskDefinition=latest)
    return [f"{logical_id}: moved service {name} to {latest.rsplit('/', 1)[-1]}"]


FILLERS = {"AWS::ECS::TaskDefinition": fill_task_definition, "AWS::ECS::Service": fill_service}
