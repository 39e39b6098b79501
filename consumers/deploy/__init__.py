"""CloudFormation deploys of the ccstream stacks, plus what emulators' CloudFormation silently skips.

from consumers.deploy import deploy
result = deploy(AwsTarget.from_env(), Names(), stacks=["streaming"])
result.output("streaming", "StreamName")
"""

from __future__ import annotations

from consumers.deploy.apply import DeployFailed
from consumers.deploy.deployer import deploy
from consumers.deploy.result import DeployResult, StackAction, StackResult
from consumers.deploy.stacks import ORDER, STACKS, DeployOptions

__all__ = ["ORDER", "STACKS", "DeployFailed", "DeployOptions", "DeployResult", "StackAction", "StackResult", "deploy"]
