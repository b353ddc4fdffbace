//! ECR repositories end to end on the emulator, checked through the ECR API: a repository
//! reads back with scan on push, immutable tags, the blueprint's KMS key and the lifecycle
//! policy, and enhanced scanning through GetRegistryScanningConfiguration; the re-plan is
//! empty; scan on push turned off through the API shows in the plan and is put back; `destroy`
//! of a repository holding an image (PutImage through the API) is refused before any change,
//! naming the count and the key, and with `force_delete = true` deletes it and puts the
//! registry's scanning back to BASIC.

mod support;

use aws_sdk_ecr::types::{ImageScanningConfiguration, ImageTagMutability, ScanType};
use support::World;

const NAME: &str = "registry";
const REPOSITORY: &str = "team/app";

/// A network and a cluster (whose key encrypts the repository; unprotected, so `destroy`
/// meets only the repository's guard) and one repository.
fn blueprint(repository_lines: &str) -> String {
    support::small_cluster(
        NAME,
        "10.70.0.0/16",
        &format!(
            "deletion_protection = false\n\n[registry]\nscan = \"enhanced\"\n\n[[registry.repositories]]\nname = \"{REPOSITORY}\"\nlifecycle_keep = 30\n{repository_lines}"
        ),
    )
}

/// The repository as DescribeRepositories reports it, if it exists.
async fn repository(ecr: &aws_sdk_ecr::Client) -> Option<aws_sdk_ecr::types::Repository> {
    match ecr
        .describe_repositories()
        .repository_names(REPOSITORY)
        .send()
        .await
    {
        Ok(output) => output.repositories().first().cloned(),
        Err(error) => {
            let code = error.into_service_error();
            assert!(
                code.is_repository_not_found_exception(),
                "unexpected: {code:?}"
            );
            None
        }
    }
}

/// The ARN of the blueprint's secrets key, through its alias.
async fn key_arn(kms: &aws_sdk_kms::Client) -> String {
    let key = kms
        .describe_key()
        .key_id(format!("alias/{NAME}-eks-secrets"))
        .send()
        .await
        .expect("the key by its alias");
    key.key_metadata()
        .and_then(|metadata| metadata.arn())
        .expect("key ARN")
        .to_string()
}

#[test]
fn repositories_read_back_drift_is_put_back_and_destroy_keeps_images_without_consent() {
    let world = World::new();
    let ecr = aws_sdk_ecr::Client::new(world.sdk());
    let kms = aws_sdk_kms::Client::new(world.sdk());
    world.write("registry.toml", &blueprint(""));
    let run = world.eksforge(&["apply", "registry.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());

    world.block_on(async {
        let found = repository(&ecr).await.expect("the repository exists");
        assert_eq!(
            found
                .image_scanning_configuration()
                .map(|scanning| scanning.scan_on_push()),
            Some(true)
        );
        assert_eq!(
            found.image_tag_mutability(),
            Some(&ImageTagMutability::Immutable)
        );
        let encryption = found.encryption_configuration().expect("encryption");
        assert_eq!(encryption.encryption_type().as_str(), "KMS");
        assert_eq!(encryption.kms_key(), Some(key_arn(&kms).await.as_str()));

        let lifecycle = ecr
            .get_lifecycle_policy()
            .repository_name(REPOSITORY)
            .send()
            .await
            .expect("a lifecycle policy");
        let policy: serde_json::Value =
            serde_json::from_str(lifecycle.lifecycle_policy_text().expect("text")).expect("JSON");
        let rules = policy["rules"].as_array().expect("rules");
        assert_eq!(rules[0]["selection"]["tagStatus"], "untagged");
        assert_eq!(rules[0]["selection"]["countType"], "sinceImagePushed");
        assert_eq!(rules[1]["selection"]["tagStatus"], "any");
        assert_eq!(rules[1]["selection"]["countType"], "imageCountMoreThan");
        assert_eq!(rules[1]["selection"]["countNumber"], 30);

        let scanning = ecr
            .get_registry_scanning_configuration()
            .send()
            .await
            .expect("registry scanning");
        let configuration = scanning.scanning_configuration().expect("configuration");
        assert_eq!(configuration.scan_type(), Some(&ScanType::Enhanced));
        let filters: Vec<(&str, &str)> = configuration
            .rules()
            .iter()
            .flat_map(|rule| {
                rule.repository_filters()
                    .iter()
                    .map(|filter| (rule.scan_frequency().as_str(), filter.filter()))
            })
            .collect();
        assert_eq!(filters, [("CONTINUOUS_SCAN", REPOSITORY)]);
    });
    let run = world.eksforge(&["plan", "registry.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "the re-plan is empty:\n{}", run.all());

    // Drift: scan on push turned off by hand shows in the plan and is put back.
    world.block_on(async {
        ecr.put_image_scanning_configuration()
            .repository_name(REPOSITORY)
            .image_scanning_configuration(
                ImageScanningConfiguration::builder()
                    .scan_on_push(false)
                    .build(),
            )
            .send()
            .await
            .expect("scan on push off");
    });
    let run = world.eksforge(&["plan", "registry.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 2, "drift is a change:\n{}", run.all());
    assert!(
        run.stdout.contains("scan_on_push = false → true"),
        "{}",
        run.stdout
    );
    let run = world.eksforge(&["apply", "registry.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());
    world.block_on(async {
        let found = repository(&ecr).await.expect("the repository exists");
        assert_eq!(
            found
                .image_scanning_configuration()
                .map(|scanning| scanning.scan_on_push()),
            Some(true),
            "put back"
        );
    });

    // An image pushed through the API: destroy refuses, names it, and changes nothing.
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 2,
            "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        },
        "layers": [],
    });
    world.block_on(async {
        ecr.put_image()
            .repository_name(REPOSITORY)
            .image_manifest(manifest.to_string())
            .image_tag("v1")
            .send()
            .await
            .expect("an image pushed");
    });
    world.proxy.reset();
    let run = world.eksforge(&["destroy", "registry.toml", "--auto-approve"]);
    assert_eq!(run.code, 1, "destroy must be refused:\n{}", run.all());
    let message = support::flat(&run.stderr);
    for wanted in [
        "refusing a plan that deletes repositories holding images",
        &format!("ecr_repository.{REPOSITORY} (repository {REPOSITORY}) holds 1 image"),
        "set force_delete = true on it (",
        "registry.toml:",
    ] {
        assert!(message.contains(wanted), "{wanted}:\n{message}");
    }
    assert_eq!(
        world.proxy.mutating_calls(),
        vec![],
        "refused before any change"
    );
    world.block_on(async {
        assert!(repository(&ecr).await.is_some(), "the repository stays");
        let images = ecr
            .list_images()
            .repository_name(REPOSITORY)
            .send()
            .await
            .expect("images");
        assert_eq!(images.image_ids().len(), 1, "the image stays");
        assert!(
            support::cloud::Cloud::new(world.sdk())
                .cluster(NAME)
                .await
                .is_some(),
            "the cluster stays"
        );
    });

    // With the consent applied, destroy deletes the repository with its image, and the
    // registry's scanning goes back to BASIC.
    world.write("registry.toml", &blueprint("force_delete = true\n"));
    let run = world.eksforge(&["apply", "registry.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());
    assert!(
        run.stdout.contains("force_delete = false → true"),
        "{}",
        run.stdout
    );
    let run = world.eksforge(&["destroy", "registry.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "destroy with consent:\n{}", run.all());
    world.block_on(async {
        assert!(repository(&ecr).await.is_none(), "the repository is gone");
        let scanning = ecr
            .get_registry_scanning_configuration()
            .send()
            .await
            .expect("registry scanning");
        assert_eq!(
            scanning
                .scanning_configuration()
                .and_then(|configuration| configuration.scan_type()),
            Some(&ScanType::Basic),
            "scanning back to BASIC"
        );
    });
}
