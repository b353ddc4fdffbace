"""A refused request, answered in the error shape of the service's protocol.

The code is what the service uses for a malformed request: EC2 `MissingParameter` /
`InvalidParameterValue`, `ValidationError` for the other query services (IAM, STS, ELBv2),
`InvalidParameterException` for EKS (its modeled validation error), `InvalidArgument` for
S3 and `ValidationException` for the JSON services (KMS, Logs, SSM, …).
"""

from __future__ import annotations

import json
import uuid
from xml.sax.saxutils import escape

from .rules import Problem


def error_code(service: str, protocol: str, problems: list[Problem]) -> str:
    if protocol == "ec2":
        missing = all(p.constraint == "Member must not be null" for p in problems)
        return "MissingParameter" if missing else "InvalidParameterValue"
    if protocol == "query":
        return "ValidationError"
    if service == "eks":
        return "InvalidParameterException"
    if service == "s3":
        return "InvalidArgument"
    return "ValidationException"


def message(problems: list[Problem]) -> str:
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(p.sentence() for p in problems)


def response(service: str, protocol: str, code: str, text: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """`(status, headers, body)` of an HTTP 400 in the protocol's error shape."""
    request_id = str(uuid.uuid4())
    headers = [("x-amzn-RequestId", request_id)]
    if protocol == "ec2":
        body = (
            f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code>"
            f"<Message>{escape(text)}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
        headers.append(("Content-Type", "text/xml"))
    elif protocol == "query":
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{escape(text)}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        headers.append(("Content-Type", "text/xml"))
    elif protocol == "rest-xml":
        body = (
            f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{escape(text)}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )
        headers.append(("Content-Type", "application/xml"))
    elif protocol == "json":
        body = json.dumps({"__type": code, "message": text})
        headers += [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
    else:
        body = json.dumps({"message": text})
        headers += [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)]
    return 400, headers, body.encode("utf-8")
