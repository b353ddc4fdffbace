//! IAM read in bulk: a blueprint with more than a handful of roles is refreshed through one
//! `GetAccountAuthorizationDetails` (roles only) and one `ListRoles`, not three or four calls
//! per role; drift made by hand in a role's description, tags, attached and inline policies is
//! still seen, and repaired, checked through the IAM API.

mod support;

use support::cloud::Cloud;
use support::World;

/// The reference blueprint plus six IRSA service accounts: ten roles in all.
fn many_roles() -> String {
    let mut text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("blueprints/hardened.toml"),
    )
    .expect("reference blueprint")
    .replacen("name = \"hardened\"", "name = \"many\"", 1);
    for index in 1..=6 {
        text.push_str(&format!(
            "\n[[irsa.service_accounts]]\nnamespace = \"team{index}\"\nname = \"app\"\nmanaged_policies = [\"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess\"]\n"
        ));
    }
    text
}

fn count(world: &World, action: &str) -> usize {
    world
        .proxy
        .calls()
        .iter()
        .filter(|call| call.service == "iam" && call.action == action)
        .count()
}

#[test]
fn many_roles_are_read_in_two_calls_and_hand_edits_are_still_seen_and_repaired() {
    let world = World::new();
    world.write("many.toml", &many_roles());
    let run = world.eksforge(&["apply", "many.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());

    world.proxy.reset();
    let run = world.eksforge(&["plan", "many.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "a no-op plan:\n{}", run.all());
    assert_eq!(count(&world, "GetAccountAuthorizationDetails"), 1);
    assert_eq!(count(&world, "ListRoles"), 1);
    for per_role in [
        "GetRole",
        "ListAttachedRolePolicies",
        "ListRolePolicies",
        "GetRolePolicy",
    ] {
        assert_eq!(count(&world, per_role), 0, "{per_role} in a bulk refresh");
    }

    // Hand edits: a description, a tag, a detached managed policy, an inline policy rewritten.
    let cloud = Cloud::new(world.sdk());
    let app_role = "many-irsa-team3-app";
    let s3_read = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
    let delivery = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"logs:*\",\"Resource\":\"*\"}]}";
    world.block_on(async {
        cloud
            .iam
            .update_role()
            .role_name("many-eks-node")
            .description("changed by hand")
            .send()
            .await
            .expect("UpdateRole");
        cloud
            .iam
            .tag_role()
            .role_name("many-eks-cluster")
            .tags(
                aws_sdk_iam::types::Tag::builder()
                    .key("team")
                    .value("someone")
                    .build()
                    .expect("tag"),
            )
            .send()
            .await
            .expect("TagRole");
        cloud
            .iam
            .detach_role_policy()
            .role_name(app_role)
            .policy_arn(s3_read)
            .send()
            .await
            .expect("DetachRolePolicy");
        cloud
            .iam
            .put_role_policy()
            .role_name("many-vpc-flow-logs")
            .policy_name("deliver-flow-logs")
            .policy_document(delivery)
            .send()
            .await
            .expect("PutRolePolicy");
    });

    let run = world.eksforge(&["plan", "many.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 2, "the hand edits are drift:\n{}", run.all());
    for changed in [
        "iam_role.node",
        "iam_role.cluster",
        "iam_role_policy_attachment.irsa.team3.app",
        "iam_role_policy.flow_logs",
    ] {
        assert!(
            run.stdout.contains(changed),
            "{changed} in the plan:\n{}",
            run.stdout
        );
    }

    let run = world.eksforge(&["apply", "many.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply repairs:\n{}", run.all());
    world.block_on(async {
        let node = cloud
            .iam
            .get_role()
            .role_name("many-eks-node")
            .send()
            .await
            .expect("GetRole");
        assert_ne!(
            node.role().and_then(|role| role.description()),
            Some("changed by hand")
        );
        let cluster_tags = cloud
            .iam
            .list_role_tags()
            .role_name("many-eks-cluster")
            .send()
            .await
            .expect("ListRoleTags");
        assert!(
            !cluster_tags.tags().iter().any(|tag| tag.key() == "team"),
            "{cluster_tags:?}"
        );
        let attached = cloud
            .iam
            .list_attached_role_policies()
            .role_name(app_role)
            .send()
            .await
            .expect("ListAttachedRolePolicies");
        assert!(attached
            .attached_policies()
            .iter()
            .any(|policy| policy.policy_arn() == Some(s3_read)));
        let inline = cloud
            .iam
            .get_role_policy()
            .role_name("many-vpc-flow-logs")
            .policy_name("deliver-flow-logs")
            .send()
            .await
            .expect("GetRolePolicy");
        assert!(
            !eksforge::aws::policy::percent_decode(inline.policy_document()).contains("logs:*"),
            "{inline:?}"
        );
    });
    let run = world.eksforge(&["plan", "many.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "nothing left to change:\n{}", run.all());
}
