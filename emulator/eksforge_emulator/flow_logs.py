"""VPC flow logs to S3 with a prefix (`LogDestination = arn:aws:s3:::bucket/prefix`).

moto checks that the destination bucket exists by looking up everything after the ARN's
`:::` as a bucket name, so a destination with a folder (`bucket/prefix`, which AWS accepts and
eksforge sends for `s3://bucket/prefix`) is refused as a missing bucket. Here moto is handed
the bare bucket ARN for that check, and the flow logs it creates get the destination as sent.
Two flow logs of one resource to two prefixes of one bucket then count as duplicates; eksforge
makes one flow log per VPC.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models.flow_logs import FlowLogsBackend

_original_create = FlowLogsBackend.create_flow_logs


def _create_flow_logs(self: Any, *args: Any, **kwargs: Any) -> Any:
    destination = kwargs.get("log_destination")
    if kwargs.get("log_destination_type") != "s3" or not destination:
        return _original_create(self, *args, **kwargs)
    arn_head, _, location = destination.partition(":::")
    bucket = location.split("/", 1)[0]
    kwargs["log_destination"] = f"{arn_head}:::{bucket}"
    flow_logs, unsuccessful = _original_create(self, *args, **kwargs)
    for flow_log in flow_logs:
        flow_log.log_destination = destination
    return flow_logs, unsuccessful


def install() -> None:
    FlowLogsBackend.create_flow_logs = _create_flow_logs  # type: ignore[method-assign]
