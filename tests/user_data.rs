//! A node group's `user_data` on the emulator: a benign fragment reaches the launch template
//! under `settings`, beside eksforge's own tables, as one valid TOML document (read back
//! through DescribeNodegroup and DescribeLaunchTemplateVersions); the live audit judges the
//! template version the node group runs, so one written by hand that turns the admin container
//! on is found; a fragment that would open the node is refused at its line before any call.

mod support;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use eksforge::audit::live;
use eksforge::audit::view::Date;
use eksforge::aws::{Aws, WaitConfig};
use support::cloud::Cloud;
use support::World;

const NAME: &str = "userdata";

const TODAY: Date = Date {
    year: 2026,
    month: 11,
    day: 23,
};

/// A cluster with one node group, labelled, with `user_data`.
fn blueprint(user_data: &str) -> String {
    let group = format!(
        "{}labels = {{ team = \"platform\" }}\nuser_data = '''\n{user_data}'''\n",
        support::NODE_GROUP
    );
    support::small_cluster(NAME, "10.60.0.0/16", &group)
}

/// The outcomes of check `id` on `posture`, as text.
fn outcomes(posture: &eksforge::audit::view::Posture, id: &str) -> Vec<String> {
    eksforge::audit::evaluate(posture)
        .into_iter()
        .filter(|(meta, _)| meta.id == id)
        .map(|(_, evaluation)| format!("{:?}", evaluation.outcome))
        .collect()
}

#[test]
fn a_benign_fragment_lands_under_settings_and_the_live_audit_reads_the_template() {
    let world = World::new();
    world.write(
        "bp.toml",
        &blueprint(
            "# more connections\n[settings.kernel.sysctl]\n\"net.core.somaxconn\" = \"1024\"\n\n[settings.kubernetes]\nmax-pods = 50\n",
        ),
    );
    let run = world.eksforge(&["apply", "bp.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());

    let cloud = Cloud::new(world.sdk());
    let aws = Aws::from_sdk_config(world.sdk(), WaitConfig::default());
    world.block_on(async {
        let groups = cloud.node_group_names(NAME).await;
        assert_eq!(groups.len(), 1, "{groups:?}");
        let (template, _, data) = cloud.node_group_launch_data(NAME, &groups[0]).await;
        let encoded = data.user_data().expect("user data on the template");
        let text = String::from_utf8(BASE64.decode(encoded).expect("base64")).expect("UTF-8");
        let document: toml::Table = text.parse().expect("the user data is valid TOML");
        assert_eq!(
            document.keys().collect::<Vec<_>>(),
            ["settings"],
            "everything under settings:\n{text}"
        );
        let settings = &document["settings"];
        assert_eq!(
            settings["kernel"]["sysctl"]["net.core.somaxconn"].as_str(),
            Some("1024"),
            "{text}"
        );
        assert_eq!(settings["kubernetes"]["max-pods"].as_integer(), Some(50));
        assert_eq!(
            settings["kubernetes"]["node-labels"]["team"].as_str(),
            Some("platform")
        );
        let containers = &settings["host-containers"];
        assert_eq!(containers["admin"]["enabled"].as_bool(), Some(false));
        assert_eq!(
            containers["control"].as_table().map(|t| t.len()),
            Some(1),
            "nothing added to the control container: {text}"
        );
        assert_eq!(containers["control"]["enabled"].as_bool(), Some(true));

        let posture = live::posture(&aws, NAME, TODAY)
            .await
            .expect("the cluster is readable");
        assert_eq!(outcomes(&posture, "EKS-NODE-009"), ["Pass"]);

        // A version written by hand that turns the admin container on, rolled onto the group.
        let opened = text.replace(
            "[settings.host-containers.admin]\nenabled = false",
            "[settings.host-containers.admin]\nenabled = true",
        );
        assert_ne!(opened, text);
        let created = cloud
            .ec2
            .create_launch_template_version()
            .launch_template_id(&template)
            .launch_template_data(
                aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                    .user_data(BASE64.encode(&opened))
                    .build(),
            )
            .send()
            .await
            .expect("CreateLaunchTemplateVersion");
        let version = created
            .launch_template_version()
            .and_then(|v| v.version_number())
            .expect("a version number");
        cloud
            .eks
            .update_nodegroup_version()
            .cluster_name(NAME)
            .nodegroup_name(&groups[0])
            .launch_template(
                aws_sdk_eks::types::LaunchTemplateSpecification::builder()
                    .id(&template)
                    .version(version.to_string())
                    .build(),
            )
            .send()
            .await
            .expect("UpdateNodegroupVersion");
        let posture = live::posture(&aws, NAME, TODAY)
            .await
            .expect("the cluster is readable");
        let found = outcomes(&posture, "EKS-NODE-009");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("Fail") && found[0].contains("host container admin is enabled"),
            "{found:?}"
        );
    });
}

#[test]
fn a_fragment_that_opens_the_node_is_refused_at_its_lines_before_any_call() {
    let world = World::new();
    world.write(
        "bp.toml",
        &blueprint(
            "enabled = true\n[settings.bootstrap-containers.setup]\nsource = \"example.com/setup:1\"\nmode = \"always\"\n[settings.kubernetes.node-labels]\nteam = \"other\"\n",
        ),
    );
    for command in ["validate", "plan", "apply"] {
        let mut args = vec![command, "bp.toml"];
        if command == "apply" {
            args.push("--auto-approve");
        }
        let run = world.eksforge(&args);
        assert_eq!(run.code, 1, "{command}:\n{}", run.all());
        let text = support::flat(&run.all());
        for needle in [
            "bp.toml:20:1",
            "node_groups[0].user_data sets `enabled` outside [settings]",
            "bp.toml:21:",
            "`settings.bootstrap-containers`",
            "bp.toml:24:",
            "node_groups[].labels",
        ] {
            assert!(
                text.contains(needle),
                "{command}: no `{needle}` in:\n{}",
                run.all()
            );
        }
    }
    assert!(
        world.proxy.calls().is_empty(),
        "calls made: {:?}",
        world.proxy.calls()
    );
}
