//! The current Bottlerocket release for a Kubernetes version and architecture, from the public
//! SSM parameter `/aws/service/bottlerocket/aws-k8s-<version>/<arch>/latest/image_version`.

use super::{Aws, AwsError};

/// Where the public parameters live; tests point it at a prefix of their own (the public
/// namespace is reserved and emulators do not carry it).
pub const DEFAULT_PREFIX: &str = "/aws/service/bottlerocket";

/// The release name (e.g. `1.26.1-0e5d3b25`), or `None` when the parameter does not exist.
pub async fn latest_release(
    aws: &Aws,
    prefix: &str,
    kubernetes: &str,
    arch: &str,
) -> Result<Option<String>, AwsError> {
    let name = format!(
        "{}/aws-k8s-{kubernetes}/{arch}/latest/image_version",
        prefix.trim_end_matches('/')
    );
    match aws.ssm.get_parameter().name(&name).send().await {
        Ok(output) => Ok(output
            .parameter()
            .and_then(|parameter| parameter.value())
            .map(str::to_string)),
        Err(error) => {
            let error = AwsError::from_sdk(&name, "ssm:GetParameter", error);
            if error.code.as_deref() == Some("ParameterNotFound") || error.is_not_found() {
                Ok(None)
            } else {
                Err(error)
            }
        }
    }
}
