//! `route_table_association`: a subnet's link to its route table. Not taggable: found through
//! the subnet (natural key). Moving a subnet to another table is an in-place
//! ReplaceRouteTableAssociation, which gives the association a new id.

use std::collections::BTreeSet;

use aws_sdk_ec2::types::Filter;

use crate::resources::{Attrs, Kind, ResourceId, Value};

use super::refresh::{attr_str, required_str};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, Found, FoundVia,
    KindProvider, Observed, Scope, UpdateRequest,
};

pub struct AssociationProvider;

static DESCRIPTION: Description = Description::new(
    Kind::RouteTableAssociation,
    "ec2:DescribeRouteTables",
    &[
        AttrRule::ForcesReplacement("subnet_id"),
        AttrRule::UpdatedBy("route_table_id", "ec2:ReplaceRouteTableAssociation"),
    ],
)
.adopts_by_natural_key();

/// (association id, subnet id, route table id) of every explicit association of `subnets`.
async fn associations_of(
    aws: &Aws,
    subnets: Vec<String>,
) -> Result<Vec<(String, String, String)>, AwsError> {
    let output = aws
        .ec2
        .describe_route_tables()
        .filters(
            Filter::builder()
                .name("association.subnet-id")
                .set_values(Some(subnets))
                .build(),
        )
        .send()
        .await
        .map_err(|error| {
            AwsError::from_sdk("route_table_association", "ec2:DescribeRouteTables", error)
        })?;
    Ok(output
        .route_tables()
        .iter()
        .flat_map(|table| {
            table.associations().iter().filter_map(move |association| {
                Some((
                    association.route_table_association_id()?.to_string(),
                    association.subnet_id()?.to_string(),
                    table.route_table_id()?.to_string(),
                ))
            })
        })
        .collect())
}

impl KindProvider for AssociationProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        let mut wanted: Vec<(ResourceId, String, Option<String>, FoundVia)> = Vec::new();
        for (id, (cloud_id, attrs)) in &scope.recorded {
            if let Some(subnet) = attr_str(attrs, "subnet_id") {
                wanted.push((
                    id.clone(),
                    subnet.to_string(),
                    Some(cloud_id.clone()),
                    FoundVia::State,
                ));
            }
        }
        for (id, attrs) in &scope.missing {
            if let Some(subnet) = attr_str(attrs, "subnet_id") {
                wanted.push((id.clone(), subnet.to_string(), None, FoundVia::NaturalKey));
            }
        }
        let subnets: BTreeSet<String> = wanted
            .iter()
            .map(|(_, subnet, _, _)| subnet.clone())
            .collect();
        if subnets.is_empty() {
            return Ok(Vec::new());
        }
        let associations = associations_of(aws, subnets.into_iter().collect()).await?;
        let mut found = Vec::new();
        for (id, subnet, recorded_id, via) in wanted {
            // The recorded association, else whatever association the subnet has now.
            let association = associations
                .iter()
                .find(|(association_id, _, _)| Some(association_id) == recorded_id.as_ref())
                .or_else(|| {
                    associations
                        .iter()
                        .find(|(_, subnet_id, _)| *subnet_id == subnet)
                });
            let Some((association_id, subnet_id, table_id)) = association else {
                continue;
            };
            found.push(Found {
                id,
                via,
                observed: observed(association_id, subnet_id, table_id),
            });
        }
        Ok(found)
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        let subnet = required_str(
            request.attrs,
            "subnet_id",
            request.id,
            "ec2:AssociateRouteTable",
        )?;
        let table = required_str(
            request.attrs,
            "route_table_id",
            request.id,
            "ec2:AssociateRouteTable",
        )?;
        match aws
            .ec2
            .associate_route_table()
            .subnet_id(subnet)
            .route_table_id(table)
            .send()
            .await
        {
            Ok(output) => {
                let association_id = output.association_id().ok_or_else(|| {
                    AwsError::missing_in_response(
                        request.id,
                        "ec2:AssociateRouteTable",
                        "association id",
                    )
                })?;
                Ok(observed(association_id, subnet, table))
            }
            Err(error) => {
                let error = AwsError::from_sdk(request.id, "ec2:AssociateRouteTable", error);
                if error.class != super::ErrorClass::AlreadyExists {
                    return Err(error);
                }
                // Associated by an earlier, interrupted run (or by hand): move it to our table.
                let existing = associations_of(aws, vec![subnet.to_string()]).await?;
                let Some((association_id, _, current_table)) = existing.into_iter().next() else {
                    return Err(error);
                };
                if current_table == table {
                    return Ok(observed(&association_id, subnet, table));
                }
                let new_id = reassociate(aws, request.id, &association_id, table).await?;
                Ok(observed(&new_id, subnet, table))
            }
        }
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        let subnet = required_str(
            request.after,
            "subnet_id",
            request.id,
            "ec2:ReplaceRouteTableAssociation",
        )?;
        let table = required_str(
            request.after,
            "route_table_id",
            request.id,
            "ec2:ReplaceRouteTableAssociation",
        )?;
        let new_id = reassociate(aws, request.id, request.cloud_id, table).await?;
        Ok(observed(&new_id, subnet, table))
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        aws.ec2
            .disassociate_route_table()
            .association_id(request.cloud_id)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| AwsError::from_sdk(request.id, "ec2:DisassociateRouteTable", error))
            .or_else(AwsError::gone)
    }
}

async fn reassociate(
    aws: &Aws,
    id: &ResourceId,
    association_id: &str,
    table: &str,
) -> Result<String, AwsError> {
    let output = aws
        .ec2
        .replace_route_table_association()
        .association_id(association_id)
        .route_table_id(table)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "ec2:ReplaceRouteTableAssociation", error))?;
    Ok(output
        .new_association_id()
        .unwrap_or(association_id)
        .to_string())
}

fn observed(association_id: &str, subnet: &str, table: &str) -> Observed {
    Observed {
        cloud_id: association_id.to_string(),
        attrs: Attrs::from([
            ("subnet_id".to_string(), Value::str(subnet)),
            ("route_table_id".to_string(), Value::str(table)),
        ]),
        outputs: Attrs::from([("id".to_string(), Value::str(association_id))]),
    }
}
