//! Adapter errors. Callers branch on the variant; the `String`s are for logs only and never
//! reach a client.

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The dependency is down or refusing work (disk unwritable, table unreachable…).
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A conditional write lost (record changed or exists).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Stored data could not be decoded.
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// The caller passed something the store cannot hold (bad cursor, key…).
    #[error("invalid input: {0}")]
    Invalid(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match &e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                StoreError::Conflict(e.to_string())
            }
            _ => StoreError::Unavailable(e.to_string()),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError::Unavailable(e.to_string())
    }
}
