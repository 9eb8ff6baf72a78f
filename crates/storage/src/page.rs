//! Cursor pagination shared by every list port.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// Default and maximum page sizes.
pub const DEFAULT_LIMIT: u32 = 20;
/// The largest page a client may ask for.
pub const MAX_LIMIT: u32 = 100;

/// Which page to read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageRequest {
    /// Items per page (1..=MAX_LIMIT).
    pub limit: u32,
    /// Opaque cursor returned by the previous page.
    pub cursor: Option<String>,
}

impl PageRequest {
    /// The first page of `limit` items.
    pub fn first(limit: u32) -> Self {
        Self {
            limit: limit.clamp(1, MAX_LIMIT),
            cursor: None,
        }
    }
}

/// One page of results, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Cursor of the next page, if there is one.
    pub next_cursor: Option<String>,
}

/// Position after the last item of a page: (created_at in ms, id). Encoded opaquely so
/// clients cannot depend on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Creation time of the last item (epoch milliseconds).
    pub t: i64,
    /// Id of the last item.
    pub id: String,
}

impl Position {
    /// Encodes the position as a cursor.
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Decodes a cursor (`None` for anything not produced by [`Position::encode`]).
    pub fn decode(cursor: &str) -> Option<Self> {
        if cursor.len() > 512 {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}
