"""GuardDuty as the real service behaves where moto differs in a way eksforge meets.

- One detector per account and region: a second `CreateDetector` is refused with
  `BadRequestException` (moto makes as many as asked).
- `TagResource`, `UntagResource` and `ListTagsForResource` on a detector's ARN
  (`arn:<partition>:guardduty:<region>:<account>:detector/<id>`), which moto lacks; the tags
  are the detector's own, so `GetDetector` reports them too.

Features stay as moto keeps them: stored as sent, `UpdateDetector` replacing the list.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, unquote

from moto.guardduty.exceptions import GuardDutyException
from moto.guardduty.responses import GuardDutyResponse


class BadRequest(GuardDutyException):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("BadRequestException", message)

    def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        return [("X-Amzn-ErrorType", "BadRequestException")]


class ExtendedGuardDutyResponse(GuardDutyResponse):
    """moto's GuardDuty responses, one detector per region, with tagging."""

    def create_detector(self) -> str:
        if self.guardduty_backend.detectors:
            raise BadRequest("The request is rejected because a detector already exists for the current account.")
        return super().create_detector()

    def _tagged_detector(self) -> Any:
        arn = unquote(self.path.split("?", 1)[0].partition("/tags/")[2])
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "guardduty" or not parts[5].startswith("detector/"):
            raise BadRequest(f"The request is rejected because the resource {arn} is not a GuardDuty detector.")
        detector_id = parts[5].split("/")[1]
        return self.guardduty_backend.get_detector(detector_id)

    def tag_resource(self) -> str:
        detector = self._tagged_detector()
        detector.tags.update(self._get_param("tags") or {})
        return "{}"

    def untag_resource(self) -> str:
        detector = self._tagged_detector()
        for key in parse_qs(self.parsed_url.query).get("tagKeys", []):
            detector.tags.pop(key, None)
        return "{}"

    def list_tags_for_resource(self) -> str:
        return json.dumps({"tags": dict(self._tagged_detector().tags)})


def install() -> None:
    """Points moto's GuardDuty URL rules at the extended responses and adds the tag path."""
    from moto.guardduty import urls

    handler = ExtendedGuardDutyResponse.dispatch
    for path in list(urls.url_paths):
        urls.url_paths[path] = handler
    # A detector ARN holds `/`, which arrives decoded in the WSGI path.
    urls.url_paths["{0}/tags/(?P<resourceArn>.+)$"] = handler
