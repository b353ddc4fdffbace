//! `ecr_registry_scanning`: the private registry's scanning configuration, set to ENHANCED
//! (Amazon Inspector) with one rule naming the blueprint's repositories. It is an account
//! setting, one per region, not a resource of its own: "create" and "update" are
//! PutRegistryScanningConfiguration, "delete" puts back BASIC with no rules (each repository's
//! own scan on push), and a second blueprint in the same account and region that sets it
//! takes it over. Read with GetRegistryScanningConfiguration.
//!
//! Found without state only when the registry is ENHANCED with exactly this blueprint's
//! repositories as filters (what an interrupted apply left): an enhanced configuration someone
//! else made is never adopted, so `destroy` never resets it.

use std::collections::BTreeSet;

use aws_sdk_ecr::types::{
    RegistryScanningConfiguration, RegistryScanningRule, ScanFrequency, ScanType,
    ScanningRepositoryFilter, ScanningRepositoryFilterType,
};

use crate::resources::{Attrs, Kind, ResourceId, Value};

use super::refresh::{attr_str, required_str};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, Found, FoundVia,
    KindProvider, Observed, Scope, UpdateRequest,
};

pub struct EcrRegistryScanningProvider;

static DESCRIPTION: Description = Description::new(
    Kind::EcrRegistryScanning,
    "ecr:GetRegistryScanningConfiguration",
    &[
        AttrRule::UpdatedBy("scan_type", "ecr:PutRegistryScanningConfiguration"),
        AttrRule::UpdatedBy("scan_frequency", "ecr:PutRegistryScanningConfiguration"),
        AttrRule::UpdatedBy("repository_filters", "ecr:PutRegistryScanningConfiguration"),
    ],
)
.unordered(&["repository_filters"])
// The account's one configuration in the region, found by what it says.
.adopts_by_natural_key();

/// The configuration's cloud id: there is one per account and region.
const CLOUD_ID: &str = "registry";

impl KindProvider for EcrRegistryScanningProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        let mut found = Vec::new();
        for id in scope.recorded.keys() {
            found.push(Found {
                id: id.clone(),
                via: FoundVia::State,
                observed: read(aws, id).await?,
            });
        }
        for (id, desired) in &scope.missing {
            let observed = read(aws, id).await?;
            let wanted = filters(desired);
            if attr_str(&observed.attrs, "scan_type") == Some("ENHANCED")
                && !wanted.is_empty()
                && filters(&observed.attrs) == wanted
            {
                found.push(Found {
                    id: id.clone(),
                    via: FoundVia::NaturalKey,
                    observed,
                });
            }
        }
        Ok(found)
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        put(aws, request.id, request.attrs).await
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        put(aws, request.id, request.after).await
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        aws.ecr
            .put_registry_scanning_configuration()
            .scan_type(ScanType::Basic)
            .set_rules(Some(Vec::new()))
            .send()
            .await
            .map_err(|error| {
                AwsError::from_sdk(request.id, "ecr:PutRegistryScanningConfiguration", error)
            })?;
        Ok(())
    }
}

/// The `repository_filters` attribute as a set.
fn filters(attrs: &Attrs) -> BTreeSet<String> {
    match attrs.get("repository_filters") {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_string))
            .collect(),
        _ => BTreeSet::new(),
    }
}

/// PutRegistryScanningConfiguration with one rule: the frequency, and each repository by its
/// exact name.
async fn put(aws: &Aws, id: &ResourceId, attrs: &Attrs) -> Result<Observed, AwsError> {
    const CALL: &str = "ecr:PutRegistryScanningConfiguration";
    let internal = |error: aws_sdk_ecr::error::BuildError| {
        AwsError::new(id, CALL, format!("internal error: {error}"))
    };
    let repository_filters = filters(attrs)
        .into_iter()
        .map(|name| {
            ScanningRepositoryFilter::builder()
                .filter(name)
                .filter_type(ScanningRepositoryFilterType::Wildcard)
                .build()
                .map_err(internal)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let rule = RegistryScanningRule::builder()
        .scan_frequency(ScanFrequency::from(required_str(
            attrs,
            "scan_frequency",
            id,
            CALL,
        )?))
        .set_repository_filters(Some(repository_filters))
        .build()
        .map_err(internal)?;
    aws.ecr
        .put_registry_scanning_configuration()
        .scan_type(ScanType::from(required_str(attrs, "scan_type", id, CALL)?))
        .rules(rule)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, CALL, error))?;
    Ok(Observed::with_id(CLOUD_ID, attrs.clone()))
}

/// GetRegistryScanningConfiguration in the desired attributes' vocabulary: the scan type, the
/// rules' frequencies (joined by `,` when there are several) and every rule's filters.
async fn read(aws: &Aws, id: &ResourceId) -> Result<Observed, AwsError> {
    let output = aws
        .ecr
        .get_registry_scanning_configuration()
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "ecr:GetRegistryScanningConfiguration", error))?;
    Ok(Observed::with_id(
        CLOUD_ID,
        attributes(output.scanning_configuration()),
    ))
}

fn attributes(configuration: Option<&RegistryScanningConfiguration>) -> Attrs {
    let scan_type = configuration
        .and_then(RegistryScanningConfiguration::scan_type)
        .map_or("BASIC", ScanType::as_str);
    let rules = configuration.map_or(&[][..], RegistryScanningConfiguration::rules);
    let mut attrs = Attrs::from([("scan_type".to_string(), Value::str(scan_type))]);
    if !rules.is_empty() {
        let frequencies: Vec<&str> = rules
            .iter()
            .map(|rule| rule.scan_frequency().as_str())
            .collect();
        attrs.insert(
            "scan_frequency".to_string(),
            Value::str(frequencies.join(",")),
        );
        let names: BTreeSet<&str> = rules
            .iter()
            .flat_map(|rule| rule.repository_filters())
            .map(ScanningRepositoryFilter::filter)
            .collect();
        attrs.insert(
            "repository_filters".to_string(),
            Value::List(names.into_iter().map(Value::str).collect()),
        );
    }
    attrs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registry_never_configured_reads_as_basic_without_rules() {
        let attrs = attributes(None);
        assert_eq!(
            attrs,
            Attrs::from([("scan_type".to_string(), Value::str("BASIC"))])
        );
    }
}
