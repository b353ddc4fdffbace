//! Where the network goes: the region's facts (available zones, account, partition), the AZs
//! the blueprint gets from them, and the desired model built on that placement.

use std::future::Future;

use crate::aws::{zones, Aws};
use crate::blueprint::model::AzSpec;
use crate::blueprint::LoadedBlueprint;
use crate::graph::ResourceGraph;
use crate::resources::{expand, DesiredSet, Placement};
use crate::state::RegionFacts;

use super::OperationError;

/// The region's available zones and the caller's account, read at once (one round trip).
pub async fn region_facts(aws: &Aws) -> Result<RegionFacts, OperationError> {
    let (available, identity) =
        futures::join!(zones::available_zones(aws), zones::caller_identity(aws));
    let zones = available?;
    let (account_id, partition) = identity?;
    Ok(RegionFacts {
        region: aws.region.clone(),
        zones,
        account_id,
        partition,
    })
}

/// The AZs the network goes into: named in the blueprint (checked against the region) or the
/// first N available ones.
pub async fn placement(aws: &Aws, loaded: &LoadedBlueprint) -> Result<Placement, OperationError> {
    placement_from(&region_facts(aws).await?, loaded)
}

/// Runs `work` (expand, refresh, diff...) on the placement from the region facts. With facts
/// recorded in state for this region, `work` starts at once while fresh facts are read
/// alongside; if those differ, `work` runs again on them. Returns the fresh facts (to record)
/// with the placement and what `work` returned.
pub async fn with_placement<T, W, Fut>(
    aws: &Aws,
    loaded: &LoadedBlueprint,
    recorded: Option<&RegionFacts>,
    work: W,
) -> Result<(RegionFacts, Placement, T), OperationError>
where
    W: Fn(Placement) -> Fut,
    Fut: Future<Output = Result<T, OperationError>>,
{
    let recorded = recorded.filter(|facts| facts.region == aws.region);
    if let Some(recorded) = recorded {
        // A recorded zone list that no longer fits the blueprint is simply not used.
        if let Ok(placement) = placement_from(recorded, loaded) {
            let (fresh, result) = futures::join!(region_facts(aws), work(placement.clone()));
            let fresh = fresh?;
            if &fresh == recorded {
                return Ok((fresh, placement, result?));
            }
            let placement = placement_from(&fresh, loaded)?;
            let result = work(placement.clone()).await?;
            return Ok((fresh, placement, result));
        }
    }
    let fresh = region_facts(aws).await?;
    let placement = placement_from(&fresh, loaded)?;
    let result = work(placement.clone()).await?;
    Ok((fresh, placement, result))
}

/// The placement `facts` give the blueprint, or an error located at `network.azs`.
pub fn placement_from(
    facts: &RegionFacts,
    loaded: &LoadedBlueprint,
) -> Result<Placement, OperationError> {
    let available = &facts.zones;
    let region = &facts.region;
    let place = |azs: Vec<String>| Placement {
        azs,
        region: region.clone(),
        account_id: facts.account_id.clone(),
        partition: facts.partition.clone(),
    };
    let at = || {
        loaded
            .locate("network.azs")
            .map(|at| format!("{}:{}:{}", at.file.display(), at.line, at.column))
            .unwrap_or_else(|| loaded.path().display().to_string())
    };
    match &loaded.model.network.azs {
        AzSpec::Count(count) => {
            let count = *count as usize;
            if available.len() < count {
                return Err(OperationError::TooFewZones {
                    at: at(),
                    count,
                    region: region.clone(),
                    available: available.clone(),
                });
            }
            Ok(place(available.iter().take(count).cloned().collect()))
        }
        AzSpec::Names(names) => {
            if let Some(missing) = names.iter().find(|name| !available.contains(name)) {
                return Err(OperationError::UnknownZone {
                    at: at(),
                    missing: missing.clone(),
                    region: region.clone(),
                    available: available.clone(),
                });
            }
            Ok(place(names.clone()))
        }
    }
}

/// A placement made without AWS (`audit BLUEPRINT`): the blueprint's AZs, or the first N
/// letters of the region, and a placeholder account. Good for everything but real ARNs.
pub fn offline_placement(loaded: &LoadedBlueprint, region: Option<&str>) -> Placement {
    let region = region
        .map(str::to_string)
        .or_else(|| loaded.model.blueprint.region.clone())
        .unwrap_or_else(|| "us-east-1".to_string());
    let azs = match &loaded.model.network.azs {
        AzSpec::Names(names) => names.clone(),
        AzSpec::Count(count) => (0..*count as u8)
            .map(|i| format!("{region}{}", char::from(b'a' + i)))
            .collect(),
    };
    Placement {
        azs,
        region,
        account_id: "000000000000".to_string(),
        partition: "aws".to_string(),
    }
}

/// The desired model of the blueprint on `placement`, and its dependency graph.
pub fn desired(
    loaded: &LoadedBlueprint,
    placement: &Placement,
) -> Result<(DesiredSet, ResourceGraph), OperationError> {
    let desired = expand(&loaded.model, placement).map_err(|error| OperationError::Expand {
        path: loaded.path().to_path_buf(),
        help: match error {
            crate::resources::ExpandError::Cidr(_) => "change network.vpc_cidr or the subnet CIDRs",
            crate::resources::ExpandError::UnfitAdoptions(_) => {
                "each [adopted] entry names a resource the blueprint makes (`eksforge graph BLUEPRINT` lists them) and only the keys it has; nothing was changed"
            }
            _ => "nothing was changed; fix the blueprint key the message names",
        },
        message: error.to_string(),
    })?;
    let graph = ResourceGraph::build(&desired)?;
    Ok((desired, graph))
}

/// The desired model where the region's facts place it (`graph`, `import`): one round trip.
pub async fn placed_desired(
    aws: &Aws,
    loaded: &LoadedBlueprint,
) -> Result<(Placement, DesiredSet, ResourceGraph), OperationError> {
    let placement = placement(aws, loaded).await?;
    let (desired, graph) = desired(loaded, &placement)?;
    Ok((placement, desired, graph))
}
