//! `route`: one route in a route table. Not taggable: its cloud id is
//! `<route table id>|<destination>`, and a refresh finds it through its table (natural key).

use std::collections::BTreeSet;

use aws_sdk_ec2::types::RouteOrigin;

use crate::resources::{Attrs, Kind, ResourceId, Value};

use super::ec2_tags::id_filter;
use super::refresh::{attr_str, required_str};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, Found, FoundVia,
    KindProvider, Observed, Scope, UpdateRequest,
};

pub struct RouteProvider;

static DESCRIPTION: Description = Description::new(
    Kind::Route,
    "ec2:DescribeRouteTables",
    &[
        AttrRule::ForcesReplacement("route_table_id"),
        AttrRule::ForcesReplacement("destination_cidr_block"),
        AttrRule::UpdatedBy("gateway_id", "ec2:ReplaceRoute"),
        AttrRule::UpdatedBy("nat_gateway_id", "ec2:ReplaceRoute"),
    ],
)
.adopts_by_natural_key();

/// The attributes that name where a route sends traffic.
const TARGETS: &[&str] = &["gateway_id", "nat_gateway_id"];

fn cloud_id(table_id: &str, destination: &str) -> String {
    format!("{table_id}|{destination}")
}

impl KindProvider for RouteProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        // (id, table, destination, how): what to look for.
        let mut wanted: Vec<(ResourceId, String, String, FoundVia)> = Vec::new();
        for (id, (cloud_id, _)) in &scope.recorded {
            if let Some((table, destination)) = cloud_id.split_once('|') {
                wanted.push((
                    id.clone(),
                    table.to_string(),
                    destination.to_string(),
                    FoundVia::State,
                ));
            }
        }
        for (id, attrs) in &scope.missing {
            if let (Some(table), Some(destination)) = (
                attr_str(attrs, "route_table_id"),
                attr_str(attrs, "destination_cidr_block"),
            ) {
                wanted.push((
                    id.clone(),
                    table.to_string(),
                    destination.to_string(),
                    FoundVia::NaturalKey,
                ));
            }
        }
        let tables: BTreeSet<String> = wanted
            .iter()
            .map(|(_, table, _, _)| table.clone())
            .collect();
        if tables.is_empty() {
            return Ok(Vec::new());
        }
        let output = aws
            .ec2
            .describe_route_tables()
            .filters(id_filter(Kind::Route, tables.into_iter().collect()))
            .send()
            .await
            .map_err(|error| AwsError::from_sdk("route", "ec2:DescribeRouteTables", error))?;
        let mut found = Vec::new();
        for (id, table_id, destination, via) in wanted {
            let route = output
                .route_tables()
                .iter()
                .filter(|table| table.route_table_id() == Some(table_id.as_str()))
                .flat_map(|table| table.routes())
                .find(|route| {
                    route.destination_cidr_block() == Some(destination.as_str())
                        && route.origin() != Some(&RouteOrigin::CreateRouteTable)
                });
            let Some(route) = route else { continue };
            let mut attrs = Attrs::from([
                ("route_table_id".to_string(), Value::str(table_id.clone())),
                (
                    "destination_cidr_block".to_string(),
                    Value::str(destination.clone()),
                ),
            ]);
            if let Some(gateway) = route.gateway_id().filter(|gateway| *gateway != "local") {
                attrs.insert("gateway_id".into(), Value::str(gateway));
            }
            if let Some(nat) = route.nat_gateway_id() {
                attrs.insert("nat_gateway_id".into(), Value::str(nat));
            }
            let route_id = cloud_id(&table_id, &destination);
            found.push(Found {
                id,
                via,
                observed: Observed {
                    outputs: Attrs::from([("id".to_string(), Value::str(route_id.clone()))]),
                    cloud_id: route_id,
                    attrs,
                },
            });
        }
        Ok(found)
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        let table = required_str(
            request.attrs,
            "route_table_id",
            request.id,
            "ec2:CreateRoute",
        )?;
        let destination = required_str(
            request.attrs,
            "destination_cidr_block",
            request.id,
            "ec2:CreateRoute",
        )?;
        let mut call = aws
            .ec2
            .create_route()
            .route_table_id(table)
            .destination_cidr_block(destination);
        if let Some(gateway) = attr_str(request.attrs, "gateway_id") {
            call = call.gateway_id(gateway);
        }
        if let Some(nat) = attr_str(request.attrs, "nat_gateway_id") {
            call = call.nat_gateway_id(nat);
        }
        match call.send().await {
            Ok(_) => {}
            Err(error) => {
                let error = AwsError::from_sdk(request.id, "ec2:CreateRoute", error);
                if error.code.as_deref() != Some("RouteAlreadyExists") {
                    return Err(error);
                }
                // Made by an earlier, interrupted run: point it where we want it.
                replace(aws, request.id, request.attrs).await?;
            }
        }
        Ok(observed_after(request.attrs))
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        if request
            .changed
            .iter()
            .any(|name| TARGETS.contains(&name.as_str()))
        {
            replace(aws, request.id, request.after).await?;
        }
        Ok(observed_after(request.after))
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        let Some((table, destination)) = request.cloud_id.split_once('|') else {
            return Ok(());
        };
        aws.ec2
            .delete_route()
            .route_table_id(table)
            .destination_cidr_block(destination)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| AwsError::from_sdk(request.id, "ec2:DeleteRoute", error))
            .or_else(AwsError::gone)
    }
}

async fn replace(aws: &Aws, id: &ResourceId, attrs: &Attrs) -> Result<(), AwsError> {
    let mut call = aws
        .ec2
        .replace_route()
        .route_table_id(required_str(
            attrs,
            "route_table_id",
            id,
            "ec2:ReplaceRoute",
        )?)
        .destination_cidr_block(required_str(
            attrs,
            "destination_cidr_block",
            id,
            "ec2:ReplaceRoute",
        )?);
    if let Some(gateway) = attr_str(attrs, "gateway_id") {
        call = call.gateway_id(gateway);
    }
    if let Some(nat) = attr_str(attrs, "nat_gateway_id") {
        call = call.nat_gateway_id(nat);
    }
    call.send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "ec2:ReplaceRoute", error))?;
    Ok(())
}

fn observed_after(attrs: &Attrs) -> Observed {
    let route_id = cloud_id(
        attr_str(attrs, "route_table_id").unwrap_or_default(),
        attr_str(attrs, "destination_cidr_block").unwrap_or_default(),
    );
    Observed {
        outputs: Attrs::from([("id".to_string(), Value::str(route_id.clone()))]),
        cloud_id: route_id,
        attrs: attrs.clone(),
    }
}
