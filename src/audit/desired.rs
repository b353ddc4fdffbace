//! The desired side: the posture view of an expanded blueprint, at plan time and for
//! `audit BLUEPRINT`. Subjects are desired resource ids; each carries the blueprint key that
//! drives it, so findings point at file:line:column.

use crate::blueprint::LoadedBlueprint;
use crate::resources::{DesiredSet, Placement};

use super::view::{Date, Posture, Side};

/// The posture `desired` would have once applied.
pub fn posture(
    _loaded: &LoadedBlueprint,
    _desired: &DesiredSet,
    placement: &Placement,
    today: Date,
) -> Posture {
    let mut posture = Posture::empty(Side::Desired, today);
    posture.account_id = Some(placement.account_id.clone());
    posture.partition = placement.partition.clone();
    posture
}
