//! Creates the table and buckets from the definitions in `infra/` — the same files
//! `template.yaml` follows — for a local AWS-compatible server (`scripts/local-services`) and
//! the AWS contract tests. Deployed stages get them from CloudFormation, never from here.
//!
//! `infra/dynamodb-table.json` and `infra/s3-bucket.json` are written as CloudFormation
//! resource properties (`AWS::DynamoDB::Table`, `AWS::S3::Bucket`) without the names, so the
//! template can paste them verbatim. Unknown fields are refused: a setting this creator would
//! silently skip must be taught to it first.

use super::AwsNames;
use super::error::sdk;
use crate::{Bucket, StoreError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
    PointInTimeRecoverySpecification, Projection, ProjectionType, ScalarAttributeType, TableStatus,
    TimeToLiveSpecification,
};
use serde::Deserialize;
use std::time::Duration;

/// `infra/dynamodb-table.json`.
pub const TABLE_DEFINITION: &str = include_str!("../../../../infra/dynamodb-table.json");
/// `infra/s3-bucket.json`.
pub const BUCKET_DEFINITION: &str = include_str!("../../../../infra/s3-bucket.json");

/// `AWS::DynamoDB::Table` properties (the subset this project uses).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TableDefinition {
    /// `PAY_PER_REQUEST`.
    pub billing_mode: String,
    /// Key attributes.
    pub attribute_definitions: Vec<AttributeDef>,
    /// Table key.
    pub key_schema: Vec<KeyElement>,
    /// GSIs.
    #[serde(default)]
    pub global_secondary_indexes: Vec<IndexDef>,
    /// TTL attribute.
    pub time_to_live_specification: Option<TtlDef>,
    /// Point-in-time recovery.
    pub point_in_time_recovery_specification: Option<PitrDef>,
}

/// One key attribute.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AttributeDef {
    /// Name.
    pub attribute_name: String,
    /// `S`, `N` or `B`.
    pub attribute_type: String,
}

/// One key element.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct KeyElement {
    /// Name.
    pub attribute_name: String,
    /// `HASH` or `RANGE`.
    pub key_type: String,
}

/// A GSI.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct IndexDef {
    /// Name.
    pub index_name: String,
    /// Key.
    pub key_schema: Vec<KeyElement>,
    /// Projection.
    pub projection: ProjectionDef,
}

/// A GSI projection.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ProjectionDef {
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection_type: String,
}

/// TTL setting.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TtlDef {
    /// The epoch-seconds attribute.
    pub attribute_name: String,
    /// On.
    pub enabled: bool,
}

/// PITR setting.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PitrDef {
    /// On.
    pub point_in_time_recovery_enabled: bool,
}

/// `AWS::S3::Bucket` properties (the subset this project uses).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct BucketDefinition {
    /// Block every kind of public access.
    pub public_access_block_configuration: PublicAccessBlockDef,
    /// Default encryption.
    pub bucket_encryption: EncryptionDef,
}

/// Public access block.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PublicAccessBlockDef {
    pub block_public_acls: bool,
    pub block_public_policy: bool,
    pub ignore_public_acls: bool,
    pub restrict_public_buckets: bool,
}

/// Default encryption.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct EncryptionDef {
    pub server_side_encryption_configuration: Vec<EncryptionRuleDef>,
}

/// One encryption rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct EncryptionRuleDef {
    pub server_side_encryption_by_default: EncryptionDefaultDef,
}

/// The default algorithm.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct EncryptionDefaultDef {
    #[serde(rename = "SSEAlgorithm")]
    pub sse_algorithm: String,
}

/// The parsed `infra/dynamodb-table.json`.
pub fn table_definition() -> Result<TableDefinition, StoreError> {
    serde_json::from_str(TABLE_DEFINITION)
        .map_err(|e| StoreError::Invalid(format!("infra/dynamodb-table.json: {e}")))
}

/// The parsed `infra/s3-bucket.json`.
pub fn bucket_definition() -> Result<BucketDefinition, StoreError> {
    serde_json::from_str(BUCKET_DEFINITION)
        .map_err(|e| StoreError::Invalid(format!("infra/s3-bucket.json: {e}")))
}

fn build_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("table definition: {e}"))
}

fn key_schema(elements: &[KeyElement]) -> Result<Vec<KeySchemaElement>, StoreError> {
    elements
        .iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(&k.attribute_name)
                .key_type(KeyType::from(k.key_type.as_str()))
                .build()
                .map_err(build_err)
        })
        .collect()
}

/// Creates table `name` as `def` says (an existing table is left alone), waits until it is
/// active, then turns on TTL and point-in-time recovery.
pub async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
    def: &TableDefinition,
) -> Result<(), StoreError> {
    let attributes = def
        .attribute_definitions
        .iter()
        .map(|a| {
            AttributeDefinition::builder()
                .attribute_name(&a.attribute_name)
                .attribute_type(ScalarAttributeType::from(a.attribute_type.as_str()))
                .build()
                .map_err(build_err)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let indexes = def
        .global_secondary_indexes
        .iter()
        .map(|g| {
            GlobalSecondaryIndex::builder()
                .index_name(&g.index_name)
                .set_key_schema(Some(key_schema(&g.key_schema)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::from(
                            g.projection.projection_type.as_str(),
                        ))
                        .build(),
                )
                .build()
                .map_err(build_err)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let created = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::from(def.billing_mode.as_str()))
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(key_schema(&def.key_schema)?))
        .set_global_secondary_indexes((!indexes.is_empty()).then_some(indexes))
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|se| se.is_resource_in_use_exception()) => {}
        Err(e) => return Err(sdk("create table", e)),
    }
    for attempt in 0.. {
        let status = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(|e| sdk("describe table", e))?
            .table
            .and_then(|t| t.table_status);
        if status == Some(TableStatus::Active) {
            break;
        }
        if attempt == 120 {
            return Err(StoreError::Unavailable(
                "table did not become active".to_string(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    if let Some(ttl) = &def.time_to_live_specification {
        let spec = TimeToLiveSpecification::builder()
            .attribute_name(&ttl.attribute_name)
            .enabled(ttl.enabled)
            .build()
            .map_err(build_err)?;
        let out = client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(spec)
            .send()
            .await;
        if let Err(e) = out {
            // Re-running against an existing table: TTL is already on, which DynamoDB
            // reports as an error of the update.
            let current = client
                .describe_time_to_live()
                .table_name(name)
                .send()
                .await
                .map_err(|e| sdk("describe time to live", e))?
                .time_to_live_description;
            let on = current.is_some_and(|d| {
                d.attribute_name() == Some(ttl.attribute_name.as_str())
                    && d.time_to_live_status()
                        == Some(&aws_sdk_dynamodb::types::TimeToLiveStatus::Enabled)
            });
            if !on {
                return Err(sdk("update time to live", e));
            }
        }
    }
    if let Some(pitr) = &def.point_in_time_recovery_specification {
        let spec = PointInTimeRecoverySpecification::builder()
            .point_in_time_recovery_enabled(pitr.point_in_time_recovery_enabled)
            .build()
            .map_err(build_err)?;
        client
            .update_continuous_backups()
            .table_name(name)
            .point_in_time_recovery_specification(spec)
            .send()
            .await
            .map_err(|e| sdk("update continuous backups", e))?;
    }
    Ok(())
}

/// Creates bucket `name` as `def` says (one already owned is left alone).
pub async fn create_bucket(
    client: &aws_sdk_s3::Client,
    name: &str,
    def: &BucketDefinition,
) -> Result<(), StoreError> {
    use aws_sdk_s3::types::{
        BucketLocationConstraint, CreateBucketConfiguration, PublicAccessBlockConfiguration,
        ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
        ServerSideEncryptionRule,
    };
    let region = client
        .config()
        .region()
        .map(|r| r.as_ref().to_string())
        .unwrap_or_else(|| "us-east-1".to_string());
    let mut create = client.create_bucket().bucket(name);
    // us-east-1 is the one region that refuses an explicit location constraint.
    if region != "us-east-1" {
        create = create.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region.as_str()))
                .build(),
        );
    }
    match create.send().await {
        Ok(_) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|se| se.is_bucket_already_owned_by_you()) => {}
        Err(e) => return Err(sdk("create bucket", e)),
    }
    let pab = &def.public_access_block_configuration;
    client
        .put_public_access_block()
        .bucket(name)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(pab.block_public_acls)
                .block_public_policy(pab.block_public_policy)
                .ignore_public_acls(pab.ignore_public_acls)
                .restrict_public_buckets(pab.restrict_public_buckets)
                .build(),
        )
        .send()
        .await
        .map_err(|e| sdk("put public access block", e))?;
    let rules = def
        .bucket_encryption
        .server_side_encryption_configuration
        .iter()
        .map(|r| {
            let default = ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::from(
                    r.server_side_encryption_by_default.sse_algorithm.as_str(),
                ))
                .build()
                .map_err(build_err)?;
            Ok(ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(default)
                .build())
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    client
        .put_bucket_encryption()
        .bucket(name)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .set_rules(Some(rules))
                .build()
                .map_err(build_err)?,
        )
        .send()
        .await
        .map_err(|e| sdk("put bucket encryption", e))?;
    Ok(())
}

/// Creates the table and the four buckets of `names` from the `infra/` definitions.
pub async fn create_all(
    sdk_config: &aws_config::SdkConfig,
    names: &AwsNames,
) -> Result<(), StoreError> {
    let table = table_definition()?;
    let bucket = bucket_definition()?;
    create_table(
        &aws_sdk_dynamodb::Client::new(sdk_config),
        &names.table,
        &table,
    )
    .await?;
    let s3 = super::s3_client(sdk_config);
    for b in Bucket::ALL {
        create_bucket(&s3, names.bucket(b), &bucket).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_infra_definitions_parse_and_match_the_adapter_keys() {
        let t = table_definition().expect("table definition");
        let keys: Vec<_> = t
            .key_schema
            .iter()
            .map(|k| k.attribute_name.as_str())
            .collect();
        assert_eq!(keys, ["pk", "sk"]);
        let gsi = &t.global_secondary_indexes[0];
        assert_eq!(gsi.index_name, super::super::keys::GSI1);
        assert_eq!(gsi.projection.projection_type, "ALL");
        assert_eq!(
            t.time_to_live_specification
                .map(|x| x.attribute_name)
                .as_deref(),
            Some("ttl")
        );
        assert!(
            t.point_in_time_recovery_specification
                .is_some_and(|p| p.point_in_time_recovery_enabled)
        );
        assert!(
            bucket_definition()
                .expect("bucket definition")
                .public_access_block_configuration
                .block_public_acls
        );
    }
}
