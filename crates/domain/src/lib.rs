//! Pure domain types and rules of InfiniteStories: identifiers, languages, voices, heroes and
//! their validation. No IO, no async, no AWS, no HTTP: everything here is a value or a pure
//! function so every other crate can depend on it cheaply.

pub mod clock;
pub mod hero;
pub mod ids;
pub mod language;
pub mod validation;
pub mod voice;

pub use clock::{Clock, FixedClock, SystemClock};
pub use hero::{Hero, HeroDraft, HeroPatch, VisualProfile};
pub use ids::{HeroId, StoryId, UserId, parse_uuid};
pub use language::Language;
pub use validation::{FieldError, FieldErrors};
pub use voice::Voice;
