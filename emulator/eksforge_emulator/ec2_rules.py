"""Security group rules as EC2 reports them, where moto differs (docs/emulator.md).

- `DescribeSecurityGroupRules` on a rule whose source is another security group: moto keeps
  the rule's description with the referenced group and reports the rule without it; EC2
  reports a rule's description whatever its source.
"""

from __future__ import annotations

from moto.ec2.models.security_groups import SecurityGroupRule


def install() -> None:
    def description(self: SecurityGroupRule) -> str | None:
        if self.ip_range.get("Description"):
            return self.ip_range.get("Description")
        if self.source_group:
            return self.source_group.get("Description")
        return None

    SecurityGroupRule.description = property(description)  # type: ignore[method-assign,assignment]
