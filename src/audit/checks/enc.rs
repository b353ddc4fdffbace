//! Encryption (EKS-ENC): the rows of CHECKS.md's section, one [`Check`] each.

use crate::audit::Check;

pub(super) const CHECKS: &[Check] = &[];
