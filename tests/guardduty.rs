//! GuardDuty for EKS (`[detection]`): the region's detector is created with EKS audit-log
//! monitoring and Runtime Monitoring (EKS add-on management on), or, when the account has one,
//! adopted and given those features; a feature turned off through the API shows in the plan
//! and apply puts it back; `destroy` deletes a detector eksforge made, puts an adopted one back
//! as it was, and first removes the endpoint and security group GuardDuty's agent made in the
//! VPC (tagged `GuardDutyManaged = true`), so the VPC goes too. Everything is read back through
//! GuardDuty's GetDetector/ListDetectors and EC2's describes.

mod support;

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification, VpcEndpointType};
use aws_sdk_guardduty::types::{
    DetectorFeature, DetectorFeatureConfiguration, DetectorStatus, FeatureStatus,
};
use support::cloud::{Cloud, Select};
use support::World;

const NAME: &str = "detect";

/// A network and the region's detector: no cluster is needed to build either.
fn blueprint(detection: &str) -> String {
    format!(
        "[blueprint]\nname = \"{NAME}\"\nregion = \"{}\"\n\n[network]\nvpc_cidr = \"10.70.0.0/16\"\nazs = 2\nnat = \"single\"\n\n[detection]\n{detection}\n",
        support::REGION
    )
}

/// Feature name → (status, additional configuration name → status), as GetDetector says.
type Features = BTreeMap<String, (String, BTreeMap<String, String>)>;

struct Detector {
    id: String,
    enabled: bool,
    features: Features,
    tags: BTreeMap<String, String>,
}

/// The region's detectors, each as GetDetector reports it.
async fn detectors(guardduty: &aws_sdk_guardduty::Client) -> Vec<Detector> {
    let ids = guardduty
        .list_detectors()
        .send()
        .await
        .expect("ListDetectors")
        .detector_ids()
        .to_vec();
    let mut found = Vec::new();
    for id in ids {
        let detector = guardduty
            .get_detector()
            .detector_id(&id)
            .send()
            .await
            .expect("GetDetector");
        let features = detector
            .features()
            .iter()
            .map(|feature| {
                (
                    feature.name().expect("feature name").as_str().to_string(),
                    (
                        feature.status().expect("status").as_str().to_string(),
                        feature
                            .additional_configuration()
                            .iter()
                            .map(|additional| {
                                (
                                    additional.name().expect("name").as_str().to_string(),
                                    additional.status().expect("status").as_str().to_string(),
                                )
                            })
                            .collect(),
                    ),
                )
            })
            .collect();
        found.push(Detector {
            id,
            enabled: detector.status() == Some(&DetectorStatus::Enabled),
            features,
            tags: detector
                .tags()
                .map(|tags| tags.clone().into_iter().collect())
                .unwrap_or_default(),
        });
    }
    found
}

fn enabled_features(detector: &Detector) -> Vec<&str> {
    detector
        .features
        .iter()
        .filter(|(_, (status, _))| status == "ENABLED")
        .map(|(name, _)| name.as_str())
        .collect()
}

/// The EKS features as eksforge turns them on.
fn assert_eks_features_on(detector: &Detector) {
    assert!(detector.enabled, "the detector is enabled");
    assert_eq!(
        detector
            .features
            .get("EKS_AUDIT_LOGS")
            .map(|f| f.0.as_str()),
        Some("ENABLED")
    );
    let runtime = detector
        .features
        .get("RUNTIME_MONITORING")
        .expect("RUNTIME_MONITORING is sent");
    assert_eq!(runtime.0, "ENABLED");
    assert_eq!(
        runtime.1.get("EKS_ADDON_MANAGEMENT").map(String::as_str),
        Some("ENABLED")
    );
    assert!(
        !detector.features.contains_key("EKS_RUNTIME_MONITORING"),
        "the superseded feature is never sent beside RUNTIME_MONITORING"
    );
}

fn plan_is_empty(world: &World) {
    let run = world.eksforge(&["plan", "detect.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "the plan after apply is empty:\n{}", run.all());
}

#[test]
fn a_new_detector_is_created_kept_and_deleted_with_what_its_agent_left_in_the_vpc() {
    let world = World::new();
    world.write("detect.toml", &blueprint("guardduty = true"));
    let guardduty = aws_sdk_guardduty::Client::new(world.sdk());
    let cloud = Cloud::new(world.sdk());

    let run = world.eksforge(&["apply", "detect.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let detector_id = world.block_on(async {
        let found = detectors(&guardduty).await;
        assert_eq!(found.len(), 1, "one detector in the region");
        let detector = &found[0];
        assert_eks_features_on(detector);
        // The other protection plans are not switched on by a blueprint that does not name
        // them (CreateDetector would enable them by default).
        assert_eq!(
            enabled_features(detector),
            ["EKS_AUDIT_LOGS", "RUNTIME_MONITORING"]
        );
        assert_eq!(
            detector.tags.get("eksforge:resource").map(String::as_str),
            Some("guardduty_detector.region")
        );
        detector.id.clone()
    });
    plan_is_empty(&world);

    // Drift: Runtime Monitoring turned off through the API (the list sent whole, as
    // UpdateDetector takes it).
    world.block_on(async {
        let feature = |name: &str, status: FeatureStatus| {
            DetectorFeatureConfiguration::builder()
                .name(DetectorFeature::from(name))
                .status(status)
                .build()
        };
        guardduty
            .update_detector()
            .detector_id(&detector_id)
            .features(feature("EKS_AUDIT_LOGS", FeatureStatus::Enabled))
            .features(feature("RUNTIME_MONITORING", FeatureStatus::Disabled))
            .send()
            .await
            .expect("UpdateDetector");
    });
    let run = world.eksforge(&["plan", "detect.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 2, "the drift is a change:\n{}", run.all());
    for shown in [
        "guardduty_detector.region",
        "runtime_monitoring = \"DISABLED\" → \"ENABLED\"",
        "eks_addon_management",
        "changed outside eksforge",
    ] {
        assert!(run.stdout.contains(shown), "{shown}:\n{}", run.stdout);
    }
    assert!(
        !run.stdout.contains("eks_audit_logs ="),
        "only the attributes that drifted:\n{}",
        run.stdout
    );
    let run = world.eksforge(&["apply", "detect.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());
    world.block_on(async {
        let found = detectors(&guardduty).await;
        assert_eq!(found[0].id, detector_id, "updated in place");
        assert_eks_features_on(&found[0]);
    });
    plan_is_empty(&world);

    // What GuardDuty's agent makes in the VPC when it manages the agent: a security group
    // and a `guardduty-data` interface endpoint behind it, both tagged `GuardDutyManaged`.
    let (vpc_id, endpoint_id, group_id) = world.block_on(async {
        let vpc_id = cloud.vpcs(Select::resource("vpc.main")).await[0]
            .vpc_id()
            .expect("vpc id")
            .to_string();
        let subnet = cloud
            .subnet_ids(Select::in_vpcs([&vpc_id]).tag("kubernetes.io/role/internal-elb", "1"))
            .await
            .into_iter()
            .next()
            .expect("a private subnet");
        let tagged = |kind: ResourceType| {
            TagSpecification::builder()
                .resource_type(kind)
                .tags(Tag::builder().key("GuardDutyManaged").value("true").build())
                .build()
        };
        let group_id = cloud
            .ec2
            .create_security_group()
            .group_name(format!("GuardDutyManagedSecurityGroup-{vpc_id}"))
            .description("Associated with VPC-vpc and tagged as GuardDutyManaged")
            .vpc_id(&vpc_id)
            .tag_specifications(tagged(ResourceType::SecurityGroup))
            .send()
            .await
            .expect("CreateSecurityGroup")
            .group_id()
            .expect("group id")
            .to_string();
        let endpoint_id = cloud
            .ec2
            .create_vpc_endpoint()
            .vpc_endpoint_type(VpcEndpointType::Interface)
            .vpc_id(&vpc_id)
            .service_name(format!("com.amazonaws.{}.guardduty-data", support::REGION))
            .subnet_ids(subnet)
            .security_group_ids(&group_id)
            .private_dns_enabled(true)
            .tag_specifications(tagged(ResourceType::VpcEndpoint))
            .send()
            .await
            .expect("CreateVpcEndpoint")
            .vpc_endpoint()
            .and_then(|endpoint| endpoint.vpc_endpoint_id())
            .expect("endpoint id")
            .to_string();
        (vpc_id, endpoint_id, group_id)
    });

    let run = world.eksforge(&["destroy", "detect.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());
    for listed in [
        "Also deleting (made in the VPC by Kubernetes or GuardDuty, not by eksforge):",
        &format!(
            "GuardDuty VPC endpoint com.amazonaws.{}.guardduty-data ({endpoint_id})",
            support::REGION
        ),
        &format!("GuardDuty security group GuardDutyManagedSecurityGroup-{vpc_id} ({group_id})"),
    ] {
        assert!(run.stdout.contains(listed), "{listed}:\n{}", run.stdout);
    }
    world.block_on(async {
        assert!(
            detectors(&guardduty).await.is_empty(),
            "the detector eksforge created is deleted"
        );
        // Every endpoint, read whole (moto has no `vpc-endpoint-id` filter).
        let endpoints = cloud
            .ec2
            .describe_vpc_endpoints()
            .send()
            .await
            .expect("DescribeVpcEndpoints");
        let live: Vec<_> = endpoints
            .vpc_endpoints()
            .iter()
            .filter(|endpoint| endpoint.vpc_endpoint_id() == Some(endpoint_id.as_str()))
            .filter(|endpoint| {
                !endpoint
                    .state()
                    .is_some_and(|state| state.as_str().eq_ignore_ascii_case("deleted"))
            })
            .collect();
        assert!(live.is_empty(), "{live:?}");
        let groups = cloud
            .security_groups(Select::everything().tag("GuardDutyManaged", "true"))
            .await;
        assert!(groups.is_empty(), "{groups:?}");
        let left = cloud.vpcs_but_the_default().await;
        assert!(left.is_empty(), "VPCs left: {left:?}");
    });
}

#[test]
fn an_existing_detector_is_adopted_and_left_with_its_own_features() {
    let world = World::new();
    world.write("detect.toml", &blueprint("guardduty = true"));
    let guardduty = aws_sdk_guardduty::Client::new(world.sdk());

    // The account's detector, made before eksforge, with a feature of its own.
    let original_id = world.block_on(async {
        guardduty
            .create_detector()
            .enable(true)
            .features(
                DetectorFeatureConfiguration::builder()
                    .name(DetectorFeature::S3DataEvents)
                    .status(FeatureStatus::Enabled)
                    .build(),
            )
            .tags("team", "security")
            .send()
            .await
            .expect("CreateDetector")
            .detector_id()
            .expect("detector id")
            .to_string()
    });

    let run = world.eksforge(&["apply", "detect.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout
            .contains("guardduty_detector.region will be updated in-place"),
        "adopted, not created:\n{}",
        run.stdout
    );
    world.block_on(async {
        let found = detectors(&guardduty).await;
        assert_eq!(found.len(), 1, "still one detector");
        let detector = &found[0];
        assert_eq!(detector.id, original_id, "the account's detector, adopted");
        assert_eks_features_on(detector);
        assert_eq!(
            detector
                .features
                .get("S3_DATA_EVENTS")
                .map(|f| f.0.as_str()),
            Some("ENABLED"),
            "the detector's own feature is kept"
        );
        assert_eq!(
            detector.tags.get("team").map(String::as_str),
            Some("security")
        );
    });
    plan_is_empty(&world);

    let run = world.eksforge(&["destroy", "detect.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        support::flat(&run.stdout).contains(
            "guardduty_detector.region was the account's detector before eksforge adopted it: it is kept"
        ),
        "the destroy plan says the detector stays:\n{}",
        run.stdout
    );
    world.block_on(async {
        let found = detectors(&guardduty).await;
        assert_eq!(found.len(), 1, "an adopted detector is never deleted");
        let detector = &found[0];
        assert_eq!(detector.id, original_id);
        assert!(detector.enabled);
        assert_eq!(
            enabled_features(detector),
            ["S3_DATA_EVENTS"],
            "exactly its original features: {:?}",
            detector.features
        );
        assert_eq!(
            detector.tags,
            BTreeMap::from([("team".to_string(), "security".to_string())]),
            "its own tags, eksforge's removed"
        );
    });
}

#[test]
fn features_without_a_detector_are_refused_before_any_call() {
    let world = World::new();
    world.write(
        "detect.toml",
        &blueprint("guardduty = false\nruntime_monitoring = true"),
    );
    let run = world.eksforge(&["plan", "detect.toml"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr
            .contains("detection.runtime_monitoring = true needs GuardDuty"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("detect.toml:12"), "{}", run.stderr);
    assert!(
        world.proxy.calls().is_empty(),
        "refused before any AWS call: {:?}",
        world.proxy.calls()
    );
}

/// A region has one detector: a second blueprint asking for detection is refused before any
/// change, naming the blueprint that manages it, so neither destroy ends the other's detection.
#[test]
fn a_second_blueprint_is_refused_the_detector_another_manages() {
    let world = World::new();
    world.write("detect.toml", &blueprint("guardduty = true"));
    let run = world.eksforge(&["apply", "detect.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());
    world.write(
        "other.toml",
        &blueprint("guardduty = true")
            .replace(&format!("name = \"{NAME}\""), "name = \"other\"")
            .replace("10.70.0.0/16", "10.71.0.0/16"),
    );
    world.proxy.reset();
    let run = world.eksforge(&["apply", "other.toml", "--auto-approve"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let message = support::flat(&run.stderr);
    assert!(
        message.contains(&format!("is managed by blueprint {NAME}"))
            && message.contains("remove [detection] from blueprint other"),
        "{message}"
    );
    assert_eq!(
        world.proxy.mutating_calls(),
        vec![],
        "refused before any change"
    );
}
