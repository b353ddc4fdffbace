"""The project's local AWS: moto's server with eksforge's extension loaded into it.

`install()` patches moto in place (extra EKS URL rules and response methods, the public SSM
parameters, the fixes to moto's distortions); `eksforge_emulator.server` wraps moto's WSGI
dispatcher in the request contract and serves it. See docs/emulator.md.
"""

from __future__ import annotations

_installed = False


def install() -> None:
    """Loads the extension into moto once; importing moto's backends is the slow part."""
    global _installed
    if _installed:
        return
    from . import ec2_endpoints, ec2_rules, ecr, eks, flow_logs, guardduty, ssm_public

    ec2_endpoints.install()
    ec2_rules.install()
    ecr.install()
    eks.install()
    guardduty.install()
    ssm_public.install()
    flow_logs.install()
    _installed = True
