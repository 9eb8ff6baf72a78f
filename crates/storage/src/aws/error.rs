//! SDK errors → [`StoreError`]: a lost conditional write is a `Conflict` callers branch on;
//! everything else (throttling after the SDK's retries, timeouts, missing table, access
//! denied) is `Unavailable`. Reasons name the operation and the error code only, never keys.

use crate::StoreError;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// Error code of a lost DynamoDB condition.
pub(crate) const CONDITION_FAILED: &str = "ConditionalCheckFailedException";

/// Maps an SDK error of operation `op`.
pub(crate) fn sdk<E, R>(op: &'static str, e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    match &e {
        SdkError::ServiceError(se) => {
            let code = se.err().code().unwrap_or("unknown");
            if code == CONDITION_FAILED {
                StoreError::Conflict(format!("{op}: condition failed"))
            } else {
                StoreError::Unavailable(format!("{op}: {code}"))
            }
        }
        _ => StoreError::Unavailable(format!("{op}: {}", DisplayErrorContext(&e))),
    }
}

/// Whether `e` is a lost conditional write.
pub(crate) fn is_condition_failed<E, R>(e: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    matches!(e, SdkError::ServiceError(se) if se.err().code() == Some(CONDITION_FAILED))
}
