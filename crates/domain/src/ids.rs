//! Identifiers. UUIDs are accepted in any letter case and any version (v1–v8) and are always
//! stored and returned lower-case, hyphenated.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// Parses a UUID in any case and version; `None` for anything else (including the nil and
/// braced/URN forms, which no client sends).
pub fn parse_uuid(raw: &str) -> Option<Uuid> {
    let raw = raw.trim();
    if raw.len() != 36 {
        return None;
    }
    Uuid::parse_str(raw).ok().filter(|u| !u.is_nil())
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Parses the id from client input (any case, any UUID version).
            pub fn parse(raw: &str) -> Option<Self> {
                parse_uuid(raw).map(Self)
            }
            /// A fresh random (v4) id.
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }
            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // Uuid's Display is lower-case hyphenated.
                write!(f, "{}", self.0)
            }
        }
    };
}

uuid_id!(
    /// A hero, chosen by the client (the app creates heroes offline) or by the server.
    HeroId
);
uuid_id!(
    /// A story.
    StoryId
);

/// The owner of every record: the JWT `sub`. Supabase subs are UUIDs, other issuers may use
/// other strings, so this is a bounded, printable string rather than a UUID.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    /// Accepts 1–128 visible ASCII characters other than `/` and `#` (they delimit storage
    /// keys). UUID subjects are normalised to lower case.
    pub fn parse(raw: &str) -> Option<Self> {
        if let Some(u) = parse_uuid(raw) {
            return Some(Self(u.to_string()));
        }
        let ok = !raw.is_empty()
            && raw.len() <= 128
            && raw
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'/' && b != b'#' && b != b'\\');
        ok.then(|| Self(raw.to_string()))
    }

    /// The id as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uppercase_uuid_is_accepted_and_lowercased() {
        let id = HeroId::parse("3F2504E0-4F89-41D3-9A0C-0305E82C3301").expect("valid");
        assert_eq!(id.to_string(), "3f2504e0-4f89-41d3-9a0c-0305e82c3301");
    }

    #[test]
    fn any_uuid_version_is_accepted() {
        // v1 and v7 shaped ids
        assert!(HeroId::parse("c232ab00-9414-11ec-b3c8-9f6bdeced846").is_some());
        assert!(HeroId::parse("01890a5d-ac96-774b-bcce-b302099a8057").is_some());
    }

    #[test]
    fn garbage_and_nil_are_rejected() {
        assert!(HeroId::parse("not-a-uuid").is_none());
        assert!(HeroId::parse("00000000-0000-0000-0000-000000000000").is_none());
        assert!(HeroId::parse("{3F2504E0-4F89-41D3-9A0C-0305E82C3301}").is_none());
    }

    #[test]
    fn user_ids_cannot_smuggle_key_delimiters() {
        assert!(UserId::parse("a/b").is_none());
        assert!(UserId::parse("a#b").is_none());
        assert!(UserId::parse("").is_none());
        assert_eq!(
            UserId::parse("3F2504E0-4F89-41D3-9A0C-0305E82C3301").map(|u| u.to_string()),
            Some("3f2504e0-4f89-41d3-9a0c-0305e82c3301".to_string())
        );
    }
}
