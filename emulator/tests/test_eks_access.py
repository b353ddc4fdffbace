"""Access entries and access policies."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from conftest import role
from helpers import error_of

VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
CREATOR = "arn:aws:iam::123456789012:user/moto"


def test_access_entry_lifecycle(eks, make_cluster):
    name = make_cluster(accessConfig={"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False})["name"]
    principal = role("admins")
    entry = eks.create_access_entry(
        clusterName=name, principalArn=principal, kubernetesGroups=["viewers"], tags={"k": "v"}
    )["accessEntry"]
    assert entry["type"] == "STANDARD"
    assert entry["username"] == "arn:aws:sts::123456789012:assumed-role/admins/{{SessionName}}"
    assert entry["accessEntryArn"].startswith(f"arn:aws:eks:eu-west-1:123456789012:access-entry/{name}/role/123456789012/admins/")
    assert eks.describe_access_entry(clusterName=name, principalArn=principal)["accessEntry"]["kubernetesGroups"] == ["viewers"]
    assert eks.list_access_entries(clusterName=name)["accessEntries"] == [principal]

    updated = eks.update_access_entry(clusterName=name, principalArn=principal, kubernetesGroups=["editors"], username="admin")
    assert updated["accessEntry"]["kubernetesGroups"] == ["editors"] and updated["accessEntry"]["username"] == "admin"

    associated = eks.associate_access_policy(
        clusterName=name, principalArn=principal, policyArn=VIEW, accessScope={"type": "namespace", "namespaces": ["a"]}
    )
    assert associated["associatedAccessPolicy"]["accessScope"] == {"type": "namespace", "namespaces": ["a"]}
    eks.associate_access_policy(clusterName=name, principalArn=principal, policyArn=ADMIN, accessScope={"type": "cluster"})
    listed = eks.list_associated_access_policies(clusterName=name, principalArn=principal)["associatedAccessPolicies"]
    assert [p["policyArn"] for p in listed] == [ADMIN, VIEW]
    assert eks.list_access_entries(clusterName=name, associatedPolicyArn=VIEW)["accessEntries"] == [principal]

    eks.disassociate_access_policy(clusterName=name, principalArn=principal, policyArn=VIEW)
    listed = eks.list_associated_access_policies(clusterName=name, principalArn=principal)["associatedAccessPolicies"]
    assert [p["policyArn"] for p in listed] == [ADMIN]

    eks.delete_access_entry(clusterName=name, principalArn=principal)
    with pytest.raises(ClientError) as gone:
        eks.describe_access_entry(clusterName=name, principalArn=principal)
    assert error_of(gone) == ("ResourceNotFoundException", 404)


def test_cluster_creator_gets_an_admin_entry_unless_asked_not_to(eks, make_cluster):
    with_creator = make_cluster(accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})["name"]
    assert eks.list_access_entries(clusterName=with_creator)["accessEntries"] == [CREATOR]
    policies = eks.list_associated_access_policies(clusterName=with_creator, principalArn=CREATOR)
    assert [p["policyArn"] for p in policies["associatedAccessPolicies"]] == [ADMIN]
    without = make_cluster(accessConfig={"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False})
    assert eks.list_access_entries(clusterName=without["name"])["accessEntries"] == []


def test_node_entries(eks, make_cluster):
    name = make_cluster(accessConfig={"authenticationMode": "API"})["name"]
    entry = eks.create_access_entry(clusterName=name, principalArn=role("nodes"), type="EC2_LINUX")["accessEntry"]
    assert entry["username"] == "system:node:{{EC2PrivateDNSName}}"
    with pytest.raises(ClientError) as groups:
        eks.create_access_entry(clusterName=name, principalArn=role("more-nodes"), type="EC2_LINUX", kubernetesGroups=["g"])
    assert error_of(groups) == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as policy:
        eks.associate_access_policy(clusterName=name, principalArn=role("nodes"), policyArn=VIEW, accessScope={"type": "cluster"})
    assert error_of(policy) == ("InvalidRequestException", 400)


def test_access_errors(eks, make_cluster):
    config_map = make_cluster()["name"]  # authenticationMode defaults to CONFIG_MAP
    with pytest.raises(ClientError) as mode:
        eks.create_access_entry(clusterName=config_map, principalArn=role("x"))
    assert error_of(mode) == ("InvalidRequestException", 400)

    name = make_cluster(accessConfig={"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False})["name"]
    eks.create_access_entry(clusterName=name, principalArn=role("x"))
    with pytest.raises(ClientError) as duplicate:
        eks.create_access_entry(clusterName=name, principalArn=role("x"))
    assert error_of(duplicate) == ("ResourceInUseException", 409)
    with pytest.raises(ClientError) as not_iam:
        eks.create_access_entry(clusterName=name, principalArn="arn:aws:s3:::bucket")
    assert error_of(not_iam) == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as system_group:
        eks.create_access_entry(clusterName=name, principalArn=role("y"), kubernetesGroups=["system:masters"])
    assert error_of(system_group) == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as bad_policy:
        eks.associate_access_policy(
            clusterName=name, principalArn=role("x"), policyArn="arn:aws:iam::aws:policy/Admin", accessScope={"type": "cluster"}
        )
    assert error_of(bad_policy) == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as bad_scope:
        eks.associate_access_policy(clusterName=name, principalArn=role("x"), policyArn=VIEW, accessScope={"type": "namespace"})
    assert error_of(bad_scope) == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as not_associated:
        eks.disassociate_access_policy(clusterName=name, principalArn=role("x"), policyArn=VIEW)
    assert error_of(not_associated) == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as unknown:
        eks.delete_access_entry(clusterName=name, principalArn=role("nobody"))
    assert error_of(unknown) == ("ResourceNotFoundException", 404)


def test_access_policies_listed(eks):
    policies = eks.list_access_policies()["accessPolicies"]
    assert {"name": "AmazonEKSViewPolicy", "arn": VIEW} in policies
    page = eks.list_access_policies(maxResults=5)
    assert len(page["accessPolicies"]) == 5 and page["nextToken"]
