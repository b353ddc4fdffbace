//! The region's ECR registry: its scanning configuration and every repository, with the
//! policies and the newest image's scan summary the posture checks judge.

use aws_sdk_ecr::types::{ImageDetail, Repository, ScanType};
use futures::stream::{self, StreamExt, TryStreamExt};

use super::Read;
use crate::aws::{Aws, AwsError};

/// How many repositories are read at once: three calls each, and ECR's read limits are per
/// account.
const REPOSITORIES_AT_ONCE: usize = 8;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegistryObservation {
    /// `ENHANCED`, or basic scanning with a scan-on-push or continuous rule for every
    /// repository (a `*` filter).
    pub scans_every_repository: bool,
    pub repositories: Vec<RepositoryDescription>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RepositoryDescription {
    pub arn: String,
    pub name: String,
    pub scan_on_push: bool,
    pub immutable_tags: bool,
    pub kms_encrypted: bool,
    /// GetRepositoryPolicy's text; `None` without a policy.
    pub policy: Option<String>,
    pub lifecycle_policy: bool,
    /// Critical and high finding counts of the most recently pushed image; `None` without an
    /// image or a finished scan.
    pub newest_image_findings: Option<(u32, u32)>,
}

/// The registry's scanning configuration and every repository in the region.
pub(super) async fn registry(aws: &Aws) -> Read<RegistryObservation> {
    let scanning = aws
        .ecr
        .get_registry_scanning_configuration()
        .send()
        .await
        .map_err(|error| {
            AwsError::from_sdk("ecr", "ecr:GetRegistryScanningConfiguration", error)
        })?;
    let scans_every_repository = scanning.scanning_configuration().is_some_and(|config| {
        config.scan_type() == Some(&ScanType::Enhanced)
            || config.rules().iter().any(|rule| {
                rule.repository_filters()
                    .iter()
                    .any(|filter| filter.filter() == "*")
            })
    });
    let listed: Vec<Repository> = aws
        .ecr
        .describe_repositories()
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .map_err(|error| AwsError::from_sdk("ecr", "ecr:DescribeRepositories", error))?;
    // A repository is named by DescribeRepositories always; one without a name cannot be read
    // further.
    let named = listed
        .iter()
        .filter_map(|repository| Some((repository.repository_name()?, repository)));
    let repositories =
        stream::iter(named.map(|(name, repository)| describe(aws, name, repository)))
            .buffered(REPOSITORIES_AT_ONCE)
            .try_collect()
            .await?;
    Ok(RegistryObservation {
        scans_every_repository,
        repositories,
    })
}

/// One repository's settings, policies and newest image.
async fn describe(aws: &Aws, name: &str, repository: &Repository) -> Read<RepositoryDescription> {
    let name = name.to_string();
    let (policy, lifecycle, images) = futures::join!(
        aws.ecr
            .get_repository_policy()
            .repository_name(&name)
            .send(),
        aws.ecr.get_lifecycle_policy().repository_name(&name).send(),
        aws.ecr
            .describe_images()
            .repository_name(&name)
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>(),
    );
    let policy = match policy {
        Ok(output) => output.policy_text().map(str::to_string),
        Err(error) => AwsError::from_sdk(&name, "ecr:GetRepositoryPolicy", error).absent()?,
    };
    let lifecycle_policy = match lifecycle {
        Ok(output) => output.lifecycle_policy_text().is_some(),
        Err(error) => AwsError::from_sdk(&name, "ecr:GetLifecyclePolicy", error)
            .absent::<()>()?
            .is_some(),
    };
    let images: Vec<ImageDetail> = images
        .into_iter()
        .collect::<Result<_, _>>()
        .map_err(|error| AwsError::from_sdk(&name, "ecr:DescribeImages", error))?;
    Ok(RepositoryDescription {
        arn: repository.repository_arn().unwrap_or(&name).to_string(),
        scan_on_push: repository
            .image_scanning_configuration()
            .is_some_and(|config| config.scan_on_push()),
        immutable_tags: repository
            .image_tag_mutability()
            .is_some_and(|mutability| mutability.as_str().starts_with("IMMUTABLE")),
        kms_encrypted: repository
            .encryption_configuration()
            .is_some_and(|config| config.encryption_type().as_str().starts_with("KMS")),
        policy,
        lifecycle_policy,
        newest_image_findings: newest_image_findings(&images),
        name,
    })
}

/// Critical and high counts of the most recently pushed image's scan.
fn newest_image_findings(images: &[ImageDetail]) -> Option<(u32, u32)> {
    let newest = images
        .iter()
        .filter(|image| image.image_pushed_at().is_some())
        .max_by_key(|image| {
            image
                .image_pushed_at()
                .map(|at| (at.secs(), at.subsec_nanos()))
        })?;
    let counts = newest
        .image_scan_findings_summary()?
        .finding_severity_counts()?;
    let count = |severity: &str| {
        counts
            .iter()
            .find(|(level, _)| level.as_str() == severity)
            .map_or(0, |(_, count)| u32::try_from(*count).unwrap_or(u32::MAX))
    };
    Some((count("CRITICAL"), count("HIGH")))
}
