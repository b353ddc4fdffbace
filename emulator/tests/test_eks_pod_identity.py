"""Pod identity associations: create, describe, list with filters, update, delete, errors."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from conftest import role
from helpers import error_of


def test_pod_identity_lifecycle(eks, make_cluster):
    name = make_cluster()["name"]
    created = eks.create_pod_identity_association(
        clusterName=name, namespace="apps", serviceAccount="web", roleArn=role("web"), tags={"app": "web"}
    )["association"]
    association_id = created["associationId"]
    assert association_id.startswith("a-")
    assert created["associationArn"] == f"arn:aws:eks:eu-west-1:123456789012:podidentityassociation/{name}/{association_id}"
    eks.create_pod_identity_association(clusterName=name, namespace="apps", serviceAccount="worker", roleArn=role("w"))
    eks.create_pod_identity_association(clusterName=name, namespace="ops", serviceAccount="web", roleArn=role("o"))

    described = eks.describe_pod_identity_association(clusterName=name, associationId=association_id)["association"]
    assert described["roleArn"] == role("web") and described["tags"] == {"app": "web"}
    assert len(eks.list_pod_identity_associations(clusterName=name)["associations"]) == 3
    in_apps = eks.list_pod_identity_associations(clusterName=name, namespace="apps")["associations"]
    assert {a["serviceAccount"] for a in in_apps} == {"web", "worker"}
    web = eks.list_pod_identity_associations(clusterName=name, namespace="apps", serviceAccount="web")["associations"]
    assert [a["associationId"] for a in web] == [association_id]
    page = eks.list_pod_identity_associations(clusterName=name, maxResults=2)
    assert len(page["associations"]) == 2 and page["nextToken"]

    updated = eks.update_pod_identity_association(
        clusterName=name, associationId=association_id, roleArn=role("web2"), targetRoleArn=role("target")
    )["association"]
    assert updated["roleArn"] == role("web2") and updated["targetRoleArn"] == role("target")
    assert updated["externalId"]
    assert eks.tag_resource(resourceArn=created["associationArn"], tags={"more": "x"})
    assert eks.list_tags_for_resource(resourceArn=created["associationArn"])["tags"] == {"app": "web", "more": "x"}

    deleted = eks.delete_pod_identity_association(clusterName=name, associationId=association_id)["association"]
    assert deleted["associationId"] == association_id
    with pytest.raises(ClientError) as gone:
        eks.describe_pod_identity_association(clusterName=name, associationId=association_id)
    assert error_of(gone) == ("ResourceNotFoundException", 404)


def test_pod_identity_errors(eks, make_cluster):
    name = make_cluster()["name"]
    eks.create_pod_identity_association(clusterName=name, namespace="apps", serviceAccount="web", roleArn=role("web"))
    with pytest.raises(ClientError) as duplicate:
        eks.create_pod_identity_association(clusterName=name, namespace="apps", serviceAccount="web", roleArn=role("x"))
    assert error_of(duplicate) == ("ResourceInUseException", 409)
    with pytest.raises(ClientError) as not_a_role:
        eks.create_pod_identity_association(clusterName=name, namespace="apps", serviceAccount="db", roleArn="role/x")
    assert error_of(not_a_role) == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as no_cluster:
        eks.create_pod_identity_association(clusterName="missing", namespace="a", serviceAccount="b", roleArn=role("c"))
    assert error_of(no_cluster) == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as unknown:
        eks.update_pod_identity_association(clusterName=name, associationId="a-00000000000000000", roleArn=role("x"))
    assert error_of(unknown) == ("ResourceNotFoundException", 404)


def test_pod_identity_tags_and_updates(eks, make_cluster):
    name = make_cluster()["name"]
    created = eks.create_pod_identity_association(
        clusterName=name, namespace="apps", serviceAccount="api", roleArn=role("api"), tags={"team": "a", "env": "dev"}
    )["association"]
    arn, association_id = created["associationArn"], created["associationId"]
    assert created["tags"] == {"team": "a", "env": "dev"}
    eks.untag_resource(resourceArn=arn, tagKeys=["env"])
    eks.tag_resource(resourceArn=arn, tags={"owner": "ops"})
    assert eks.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "a", "owner": "ops"}
    described = eks.describe_pod_identity_association(clusterName=name, associationId=association_id)["association"]
    assert described["tags"] == {"team": "a", "owner": "ops"}

    # the API reference: "You must change at least one of these in an update"
    with pytest.raises(ClientError) as nothing:
        eks.update_pod_identity_association(clusterName=name, associationId=association_id)
    assert error_of(nothing) == ("InvalidParameterException", 400)
    updated = eks.update_pod_identity_association(clusterName=name, associationId=association_id, disableSessionTags=True)
    assert updated["association"]["disableSessionTags"] is True and updated["association"]["roleArn"] == role("api")
    with pytest.raises(ClientError) as not_a_role:
        eks.update_pod_identity_association(clusterName=name, associationId=association_id, roleArn=role("x").replace(":role/", ":user/"))
    assert error_of(not_a_role) == ("InvalidParameterException", 400)

    # one association per namespace and service account, also after a delete frees it
    eks.delete_pod_identity_association(clusterName=name, associationId=association_id)
    again = eks.create_pod_identity_association(clusterName=name, namespace="apps", serviceAccount="api", roleArn=role("api"))
    assert again["association"]["associationId"] != association_id
    with pytest.raises(ClientError) as gone:
        eks.list_tags_for_resource(resourceArn=arn)
    assert error_of(gone) == ("ResourceNotFoundException", 404)
