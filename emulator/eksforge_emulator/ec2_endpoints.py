"""VPC endpoints as EC2 serves them, where moto differs (docs/emulator.md).

- `DescribeVpcEndpoints` with the filter `vpc-endpoint-id`: moto raises
  FilterNotImplementedError; EC2 selects by id (and, unlike an id list, does not fail on an id
  that no longer exists).
- `ModifyVpcEndpoint` with `PrivateDnsEnabled` or `ResetPolicy`: moto drops both; EC2 turns
  private DNS on or off and puts the default full-access policy back.
"""

from __future__ import annotations

import json
from typing import Any

from moto.ec2.models.vpcs import VPCEndPoint
from moto.ec2.responses.vpcs import VPCs


def install() -> None:
    original_filter = VPCEndPoint.get_filter_value

    def get_filter_value(self: VPCEndPoint, filter_name: str, method_name: str | None = None) -> Any:
        if filter_name == "vpc-endpoint-id":
            return self.id
        return original_filter(self, filter_name, method_name)

    VPCEndPoint.get_filter_value = get_filter_value  # type: ignore[method-assign]

    original_modify = VPCs.modify_vpc_endpoint

    def modify_vpc_endpoint(self: VPCs) -> Any:
        result = original_modify(self)
        endpoint_id = self._get_param("VpcEndpointId")
        endpoint = self.ec2_backend.describe_vpc_endpoints(vpc_end_point_ids=[endpoint_id])[0]
        private_dns = self._get_param("PrivateDnsEnabled")
        if private_dns is not None:
            endpoint.private_dns_enabled = str(private_dns).lower() == "true"
        if str(self._get_param("ResetPolicy", "false")).lower() == "true":
            endpoint.policy_document = json.dumps(VPCEndPoint.DEFAULT_POLICY)
        return result

    VPCs.modify_vpc_endpoint = modify_vpc_endpoint  # type: ignore[method-assign]
