//! Network and API endpoint (EKS-NET): the rows of CHECKS.md's section, one [`Check`] each.

use crate::audit::Check;

pub(super) const CHECKS: &[Check] = &[];
