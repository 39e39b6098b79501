"""The contract of a gap-filler: check one template resource through its service API, create what is missing.

Emulators (moto in particular) answer CREATE_COMPLETE for resources or properties they silently skip. A filler
receives the resource's resolved properties, compares them with what the service reports, and applies only the
difference, so running it twice does nothing the second time. It returns one line per change it made.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError

from consumers.aws import AwsTarget


@dataclass
class FillContext:
    """Clients (one boto3 session, one client per service) and the account/region of the deployment.

    `AwsTarget.client` builds a new session per call, which re-reads botocore's endpoint data (~0.1 s each);
    a deploy needs a dozen clients, so they share one session here, configured as `AwsTarget.client` does.
    """

    target: AwsTarget
    account: str = ""
    _clients: dict[str, Any] = field(default_factory=dict)
    _session: Any = None

    @property
    def region(self) -> str:
        return self.target.region

    def client(self, service: str) -> Any:
        if service not in self._clients:
            if self._session is None:
                self._session = self.target.session()
            config = Config(retries={"max_attempts": 3, "mode": "standard"})
            self._clients[service] = self._session.client(service, endpoint_url=self.target.endpoint_url, config=config)
        return self._clients[service]


#: (context, logical id, resolved properties) -> the changes made, as short sentences.
Filler = Callable[[FillContext, str, dict[str, Any]], list[str]]


def contains(expected: Any, actual: Any) -> bool:
    """True when every key and value of `expected` is also in `actual` (lists compared element-wise, in order).

    Services add defaults and metadata to what they report; what we asked for must be a subset of it.
    Numbers and strings compare by their text, because templates carry numbers as strings.
    """
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(
            key in actual and contains(value, actual[key]) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(contains(e, a) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, bool) or isinstance(actual, bool):
        return str(expected).lower() == str(actual).lower()
    return str(expected) == str(actual)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def is_true(value: Any) -> bool:
    """Template booleans arrive as bools or as the strings "true"/"false"."""
    return str(value).lower() == "true"
