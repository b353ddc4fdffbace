//! `route_table`: CreateRouteTable (with a ClientToken), DeleteRouteTable. Its routes and
//! associations are separate kinds (`route`, `route_table_association`).

use aws_sdk_ec2::types::{Filter, ResourceType};

use crate::resources::{Attrs, Kind, Value};

use super::ec2_delete::delete_when_released;
use super::ec2_tags::{tag_specification, tags_value, update_tags_only};
use super::refresh::{by_tag_and_id, required_str};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, Found, KindProvider,
    Observed, Scope, UpdateRequest,
};

pub struct RouteTableProvider;

static DESCRIPTION: Description = Description::new(
    Kind::RouteTable,
    "ec2:DescribeRouteTables",
    &[
        AttrRule::ForcesReplacement("vpc_id"),
        AttrRule::UpdatedBy("tags", "ec2:CreateTags/DeleteTags"),
    ],
)
// The ClientToken makes a retried CreateRouteTable safe on AWS, but endpoints that ignore
// it (moto) would make twins: sent once, looked up by tag before trying again.
.create_is_not_idempotent();

impl KindProvider for RouteTableProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        by_tag_and_id(scope, Kind::RouteTable, move |filter| describe(aws, filter)).await
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        let output = aws
            .ec2
            .create_route_table()
            .vpc_id(required_str(
                request.attrs,
                "vpc_id",
                request.id,
                "ec2:CreateRouteTable",
            )?)
            .client_token(request.idempotency_token)
            .tag_specifications(tag_specification(ResourceType::RouteTable, request.attrs))
            .customize()
            .config_override(super::retry::once_ec2())
            .send()
            .await
            .map_err(|error| AwsError::from_sdk(request.id, "ec2:CreateRouteTable", error))?;
        let table_id = output
            .route_table()
            .and_then(|table| table.route_table_id())
            .ok_or_else(|| {
                AwsError::missing_in_response(request.id, "ec2:CreateRouteTable", "route table id")
            })?
            .to_string();
        Ok(Observed::with_id(&table_id, request.attrs.clone()))
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        update_tags_only(aws, request).await
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        delete_when_released(aws, request.cloud_id, None, || async {
            aws.ec2
                .delete_route_table()
                .route_table_id(request.cloud_id)
                .send()
                .await
                .map_err(|error| AwsError::from_sdk(request.id, "ec2:DeleteRouteTable", error))
        })
        .await
    }
}

async fn describe(aws: &Aws, filter: Filter) -> Result<Vec<Observed>, AwsError> {
    let output = aws
        .ec2
        .describe_route_tables()
        .filters(filter)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk("route_table", "ec2:DescribeRouteTables", error))?;
    Ok(output
        .route_tables()
        .iter()
        .filter_map(|table| {
            let table_id = table.route_table_id()?.to_string();
            let attrs = Attrs::from([
                (
                    "vpc_id".to_string(),
                    Value::str(table.vpc_id().unwrap_or_default()),
                ),
                ("tags".to_string(), tags_value(table.tags())),
            ]);
            Some(Observed {
                outputs: Attrs::from([("id".to_string(), Value::str(table_id.clone()))]),
                cloud_id: table_id,
                attrs,
            })
        })
        .collect())
}
