//! Typed settings of every InfiniteStories function (SPEC §10), parsed once per cold start.
//!
//! Parsing is a pure function over a lookup (`Settings::from_lookup(|name| …)`), so it is tested
//! without touching the process environment; `Settings::from_env()` is the one place that reads
//! it. Invalid configuration fails at start-up with an error naming the variable. This crate
//! must not depend on HTTP, Lambda or AWS crates.

use domain::Voice;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use url::Url;

/// The fixed JWT secret the local dev server uses when `JWT_SECRET` is unset outside
/// production. It is public on purpose (documented in README) and refused in production.
pub const DEV_JWT_SECRET: &str = "infinite-stories-local-development-secret-do-not-use-in-prod";

/// Image model used when `IMAGE_MODEL` is unset: dall-e-3 was shut down on 2026-05-12 and
/// gpt-image-1.5 shuts down on 2026-12-01 with `gpt-image-2` named as its replacement.
pub const DEFAULT_IMAGE_MODEL: &str = "gpt-image-2";

/// A configuration error: which variable, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {variable}: {message}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub variable: String,
    /// What is wrong with it.
    pub message: String,
}

fn err(variable: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        variable: variable.to_string(),
        message: message.into(),
    }
}

/// A secret value: never printed by `Debug`/`Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The secret itself — call only where it is used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Deployment environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// Laptops and the dev stage.
    Development,
    /// Pre-production.
    Staging,
    /// Production: strict CORS, no anonymous dev user, no dev secret.
    Production,
}

impl Environment {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Staging => "staging",
            Self::Production => "production",
        }
    }
}

/// Which storage implementation backs the functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageBackend {
    /// One SQLite file plus a media directory under `DATA_DIR`.
    Embedded,
    /// DynamoDB + S3.
    Aws,
}

/// Browser origins allowed by CORS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// `*` (refused in production).
    Any,
    /// An explicit list (may be empty: no browser origin allowed).
    List(Vec<String>),
}

impl AllowedOrigins {
    /// The `Access-Control-Allow-Origin` value for a request's `Origin`, if any.
    pub fn allow(&self, origin: Option<&str>) -> Option<String> {
        match self {
            Self::Any => Some("*".to_string()),
            Self::List(list) => {
                let origin = origin?;
                list.iter()
                    .find(|o| o.eq_ignore_ascii_case(origin))
                    .map(|_| origin.to_string())
            }
        }
    }
}

/// The functions of the system (crate name = Lambda name = URL name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FunctionName {
    StoryGeneration,
    ExtractScenes,
    AudioSynthesis,
    AvatarGeneration,
    SceneIllustration,
    Health,
    Heroes,
    Stories,
}

impl FunctionName {
    /// Every function.
    pub const ALL: [FunctionName; 8] = [
        Self::StoryGeneration,
        Self::ExtractScenes,
        Self::AudioSynthesis,
        Self::AvatarGeneration,
        Self::SceneIllustration,
        Self::Health,
        Self::Heroes,
        Self::Stories,
    ];

    /// The kebab-case name used in URLs, logs and the usage ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StoryGeneration => "story-generation",
            Self::ExtractScenes => "extract-scenes",
            Self::AudioSynthesis => "audio-synthesis",
            Self::AvatarGeneration => "avatar-generation",
            Self::SceneIllustration => "scene-illustration",
            Self::Health => "health",
            Self::Heroes => "heroes",
            Self::Stories => "stories",
        }
    }

    /// Parses a kebab-case name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == raw)
    }
}

impl fmt::Display for FunctionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Per-function hourly (per `RATE_LIMIT_WINDOW`) request limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub story_generation: u32,
    pub audio_synthesis: u32,
    pub avatar_generation: u32,
    /// Counted per image.
    pub scene_illustration: u32,
    pub extract_scenes: u32,
}

impl RateLimits {
    /// The limit of a rate-limited function (`None` for functions that are not).
    pub fn for_function(&self, f: FunctionName) -> Option<u32> {
        match f {
            FunctionName::StoryGeneration => Some(self.story_generation),
            FunctionName::AudioSynthesis => Some(self.audio_synthesis),
            FunctionName::AvatarGeneration => Some(self.avatar_generation),
            FunctionName::SceneIllustration => Some(self.scene_illustration),
            FunctionName::ExtractScenes => Some(self.extract_scenes),
            FunctionName::Health | FunctionName::Heroes | FunctionName::Stories => None,
        }
    }
}

/// Names of the AWS resources (used when `STORAGE_BACKEND=aws`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsResources {
    /// `TABLE_NAME`
    pub table: String,
    /// `BUCKET_STORY_ASSETS`
    pub bucket_story_assets: String,
    /// `BUCKET_HERO_AVATARS`
    pub bucket_hero_avatars: String,
    /// `BUCKET_STORY_AUDIO`
    pub bucket_story_audio: String,
    /// `BUCKET_STORY_ILLUSTRATIONS`
    pub bucket_story_illustrations: String,
}

/// Every setting, typed.
#[derive(Debug, Clone)]
pub struct Settings {
    pub openai_api_key: Option<Secret>,
    pub openai_base_url: Url,
    pub text_model: String,
    pub text_fallback_model: String,
    pub review_model: String,
    pub moderation_model: String,
    pub tts_model: String,
    pub image_model: String,
    pub enable_ai_content_filtering: bool,
    pub default_voice: Voice,
    pub log_level: String,
    pub debug_mode: bool,
    pub environment: Environment,
    /// Words.
    pub max_story_length: u32,
    pub max_scene_count: u8,
    /// Seconds.
    pub cache_ttl: u64,
    /// Seconds.
    pub rate_limit_window: u64,
    pub allowed_origins: AllowedOrigins,
    pub jwt_secret: Option<Secret>,
    /// True when `jwt_secret` is the public dev secret.
    pub jwt_secret_is_dev_default: bool,
    pub jwt_jwks_url: Option<Url>,
    pub jwt_issuer: Option<String>,
    pub jwt_audience: Option<String>,
    pub dev_anon_user_id: Option<String>,
    /// Seconds.
    pub media_url_ttl: u64,
    /// Seconds.
    pub story_cache_ttl: u64,
    pub illustration_concurrency: usize,
    pub rate_limits: RateLimits,
    pub storage_backend: StorageBackend,
    pub aws: AwsResources,
    pub dev_addr: SocketAddr,
    pub data_dir: PathBuf,
    /// Base URL the dev server is reached at (for media URLs); defaults to `http://DEV_ADDR`.
    pub public_base_url: Url,
}

/// Every variable this crate reads (used by the template drift test and the README table).
pub const VARIABLES: &[&str] = &[
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "TEXT_MODEL",
    "TEXT_FALLBACK_MODEL",
    "REVIEW_MODEL",
    "MODERATION_MODEL",
    "TTS_MODEL",
    "IMAGE_MODEL",
    "ENABLE_AI_CONTENT_FILTERING",
    "DEFAULT_VOICE",
    "LOG_LEVEL",
    "DEBUG_MODE",
    "ENVIRONMENT",
    "MAX_STORY_LENGTH",
    "MAX_SCENE_COUNT",
    "CACHE_TTL",
    "RATE_LIMIT_WINDOW",
    "ALLOWED_ORIGINS",
    "JWT_SECRET",
    "JWT_JWKS_URL",
    "JWT_ISSUER",
    "JWT_AUDIENCE",
    "DEV_ANON_USER_ID",
    "MEDIA_URL_TTL",
    "STORY_CACHE_TTL",
    "ILLUSTRATION_CONCURRENCY",
    "RATE_LIMIT_STORY_GENERATION",
    "RATE_LIMIT_AUDIO_SYNTHESIS",
    "RATE_LIMIT_AVATAR_GENERATION",
    "RATE_LIMIT_SCENE_ILLUSTRATION",
    "RATE_LIMIT_EXTRACT_SCENES",
    "STORAGE_BACKEND",
    "TABLE_NAME",
    "BUCKET_STORY_ASSETS",
    "BUCKET_HERO_AVATARS",
    "BUCKET_STORY_AUDIO",
    "BUCKET_STORY_ILLUSTRATIONS",
    "DEV_ADDR",
    "DATA_DIR",
    "PUBLIC_BASE_URL",
    // Read by the `secrets` crate before settings are parsed (deployed stacks): the ARN of the
    // Secrets Manager secret holding OPENAI_API_KEY / JWT_SECRET.
    "OPENAI_API_KEY_SECRET_ARN",
    "JWT_SECRET_ARN",
];

struct Env<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl Env<'_> {
    fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    fn string(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or_else(|| default.to_string())
    }

    fn model(&self, name: &str, default: &str) -> Result<String, ConfigError> {
        let v = self.string(name, default);
        let ok = v.len() <= 100
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._:/".contains(c));
        if ok {
            Ok(v)
        } else {
            Err(err(name, "must be a model id (letters, digits, - . _ : /)"))
        }
    }

    fn bool(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(true),
                "false" | "0" | "no" | "off" => Ok(false),
                _ => Err(err(name, "must be true or false")),
            },
        }
    }

    fn uint(&self, name: &str, default: u64, min: u64, max: u64) -> Result<u64, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => match v.parse::<u64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(err(
                    name,
                    format!("must be a whole number between {min} and {max}"),
                )),
            },
        }
    }

    fn url(&self, name: &str) -> Result<Option<Url>, ConfigError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => match Url::parse(&v) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(Some(u)),
                _ => Err(err(name, "must be an http(s) URL")),
            },
        }
    }
}

impl Settings {
    /// Reads the process environment (the only function here that does).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Parses settings from any lookup function.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env { lookup: &lookup };

        let environment = match env
            .string("ENVIRONMENT", "development")
            .to_ascii_lowercase()
            .as_str()
        {
            "development" | "dev" | "local" => Environment::Development,
            "staging" | "stage" => Environment::Staging,
            "production" | "prod" => Environment::Production,
            _ => {
                return Err(err(
                    "ENVIRONMENT",
                    "must be development, staging or production",
                ));
            }
        };
        let production = environment == Environment::Production;

        let openai_api_key = env.get("OPENAI_API_KEY").map(Secret::new);
        let openai_base_url = env
            .url("OPENAI_BASE_URL")?
            .map(Ok)
            .unwrap_or_else(|| Url::parse("https://api.openai.com/v1"))
            .map_err(|_| err("OPENAI_BASE_URL", "must be an http(s) URL"))?;

        let default_voice = match env.get("DEFAULT_VOICE") {
            None => Voice::Coral,
            Some(v) => Voice::parse(&v).ok_or_else(|| {
                err(
                    "DEFAULT_VOICE",
                    "must be one of coral, nova, fable, alloy, echo, onyx, shimmer",
                )
            })?,
        };

        let log_level = env.string("LOG_LEVEL", "info").to_ascii_lowercase();
        if !matches!(
            log_level.as_str(),
            "trace" | "debug" | "info" | "warn" | "error" | "off"
        ) {
            return Err(err(
                "LOG_LEVEL",
                "must be trace, debug, info, warn, error or off",
            ));
        }

        let allowed_origins = match env.get("ALLOWED_ORIGINS") {
            None if production => AllowedOrigins::List(Vec::new()),
            None => AllowedOrigins::Any,
            Some(v) if v == "*" => {
                if production {
                    return Err(err("ALLOWED_ORIGINS", "`*` is not allowed in production"));
                }
                AllowedOrigins::Any
            }
            Some(v) => {
                let mut list = Vec::new();
                for o in v.split(',').map(str::trim).filter(|o| !o.is_empty()) {
                    if o == "*" {
                        return Err(err("ALLOWED_ORIGINS", "`*` cannot be mixed with origins"));
                    }
                    let u = Url::parse(o).map_err(|_| {
                        err("ALLOWED_ORIGINS", "must be `*` or a comma list of origins")
                    })?;
                    list.push(u.origin().ascii_serialization());
                }
                AllowedOrigins::List(list)
            }
        };

        let jwt_jwks_url = env.url("JWT_JWKS_URL")?;
        let mut jwt_secret = env.get("JWT_SECRET").map(Secret::new);
        if let Some(s) = &jwt_secret
            && s.expose().len() < 32
        {
            return Err(err("JWT_SECRET", "must be at least 32 characters"));
        }
        let mut jwt_secret_is_dev_default = false;
        if jwt_secret.is_none() && jwt_jwks_url.is_none() {
            if production {
                return Err(err(
                    "JWT_SECRET",
                    "JWT_SECRET or JWT_JWKS_URL is required in production",
                ));
            }
            jwt_secret = Some(Secret::new(DEV_JWT_SECRET));
            jwt_secret_is_dev_default = true;
        }
        if production
            && jwt_secret
                .as_ref()
                .is_some_and(|s| s.expose() == DEV_JWT_SECRET)
        {
            return Err(err(
                "JWT_SECRET",
                "the public dev secret is refused in production",
            ));
        }
        let jwt_audience = match env.get("JWT_AUDIENCE") {
            None => Some("authenticated".to_string()),
            Some(v) if v == "*" => None,
            Some(v) => Some(v),
        };

        let dev_anon_user_id = env.get("DEV_ANON_USER_ID");
        if let Some(id) = &dev_anon_user_id {
            if production {
                return Err(err("DEV_ANON_USER_ID", "is refused in production"));
            }
            if domain::UserId::parse(id).is_none() {
                return Err(err("DEV_ANON_USER_ID", "must be a user id (e.g. a UUID)"));
            }
        }

        let storage_backend = match env
            .string("STORAGE_BACKEND", "embedded")
            .to_ascii_lowercase()
            .as_str()
        {
            "embedded" => StorageBackend::Embedded,
            "aws" => StorageBackend::Aws,
            _ => return Err(err("STORAGE_BACKEND", "must be embedded or aws")),
        };
        let stage = environment.as_str();
        let aws = AwsResources {
            table: env.string("TABLE_NAME", &format!("infinite-stories-{stage}")),
            bucket_story_assets: env.string(
                "BUCKET_STORY_ASSETS",
                &format!("infinite-stories-{stage}-story-assets"),
            ),
            bucket_hero_avatars: env.string(
                "BUCKET_HERO_AVATARS",
                &format!("infinite-stories-{stage}-hero-avatars"),
            ),
            bucket_story_audio: env.string(
                "BUCKET_STORY_AUDIO",
                &format!("infinite-stories-{stage}-story-audio"),
            ),
            bucket_story_illustrations: env.string(
                "BUCKET_STORY_ILLUSTRATIONS",
                &format!("infinite-stories-{stage}-story-illustrations"),
            ),
        };

        let dev_addr: SocketAddr = env
            .string("DEV_ADDR", "127.0.0.1:54321")
            .parse()
            .map_err(|_| err("DEV_ADDR", "must be host:port, e.g. 127.0.0.1:54321"))?;
        let public_base_url = match env.url("PUBLIC_BASE_URL")? {
            Some(u) => u,
            None => Url::parse(&format!("http://{dev_addr}"))
                .map_err(|_| err("DEV_ADDR", "must be host:port"))?,
        };

        let rl = |name: &str, default: u64| env.uint(name, default, 1, 1_000_000).map(|n| n as u32);

        Ok(Self {
            openai_api_key,
            openai_base_url,
            text_model: env.model("TEXT_MODEL", "gpt-4o")?,
            text_fallback_model: env.model("TEXT_FALLBACK_MODEL", "gpt-4o-mini")?,
            review_model: env.model("REVIEW_MODEL", "gpt-4o-mini")?,
            moderation_model: env.model("MODERATION_MODEL", "omni-moderation-latest")?,
            tts_model: env.model("TTS_MODEL", "tts-1")?,
            image_model: env.model("IMAGE_MODEL", DEFAULT_IMAGE_MODEL)?,
            enable_ai_content_filtering: env.bool("ENABLE_AI_CONTENT_FILTERING", true)?,
            default_voice,
            log_level,
            debug_mode: env.bool("DEBUG_MODE", false)?,
            environment,
            max_story_length: env.uint("MAX_STORY_LENGTH", 5000, 100, 50_000)? as u32,
            max_scene_count: env.uint("MAX_SCENE_COUNT", 6, 3, 12)? as u8,
            cache_ttl: env.uint("CACHE_TTL", 86_400, 0, 90 * 86_400)?,
            rate_limit_window: env.uint("RATE_LIMIT_WINDOW", 3600, 1, 30 * 86_400)?,
            allowed_origins,
            jwt_secret,
            jwt_secret_is_dev_default,
            jwt_jwks_url,
            jwt_issuer: env.get("JWT_ISSUER"),
            jwt_audience,
            dev_anon_user_id,
            media_url_ttl: env.uint("MEDIA_URL_TTL", 3600, 60, 7 * 86_400)?,
            story_cache_ttl: env.uint("STORY_CACHE_TTL", 86_400, 0, 90 * 86_400)?,
            illustration_concurrency: env.uint("ILLUSTRATION_CONCURRENCY", 3, 1, 12)? as usize,
            rate_limits: RateLimits {
                story_generation: rl("RATE_LIMIT_STORY_GENERATION", 10)?,
                audio_synthesis: rl("RATE_LIMIT_AUDIO_SYNTHESIS", 15)?,
                avatar_generation: rl("RATE_LIMIT_AVATAR_GENERATION", 8)?,
                scene_illustration: rl("RATE_LIMIT_SCENE_ILLUSTRATION", 25)?,
                extract_scenes: rl("RATE_LIMIT_EXTRACT_SCENES", 20)?,
            },
            storage_backend,
            aws,
            dev_addr,
            data_dir: PathBuf::from(env.string("DATA_DIR", "./.data")),
            public_base_url,
        })
    }

    /// True in production.
    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn empty_environment_gives_the_documented_defaults() {
        let s = parse(&[]).expect("defaults are valid");
        assert_eq!(s.environment, Environment::Development);
        assert_eq!(s.text_model, "gpt-4o");
        assert_eq!(s.text_fallback_model, "gpt-4o-mini");
        assert_eq!(s.tts_model, "tts-1");
        assert_eq!(s.image_model, DEFAULT_IMAGE_MODEL);
        assert_eq!(s.default_voice, Voice::Coral);
        assert_eq!(s.max_story_length, 5000);
        assert_eq!(s.max_scene_count, 6);
        assert_eq!(s.rate_limits.story_generation, 10);
        assert_eq!(s.rate_limits.scene_illustration, 25);
        assert_eq!(s.rate_limit_window, 3600);
        assert_eq!(s.media_url_ttl, 3600);
        assert_eq!(s.illustration_concurrency, 3);
        assert_eq!(s.storage_backend, StorageBackend::Embedded);
        assert_eq!(s.dev_addr.to_string(), "127.0.0.1:54321");
        assert!(s.enable_ai_content_filtering);
        assert!(s.openai_api_key.is_none());
        assert!(s.jwt_secret_is_dev_default);
        assert_eq!(s.allowed_origins, AllowedOrigins::Any);
        assert_eq!(s.jwt_audience.as_deref(), Some("authenticated"));
    }

    #[test]
    fn invalid_values_name_their_variable() {
        for (var, value) in [
            ("MAX_SCENE_COUNT", "99"),
            ("RATE_LIMIT_STORY_GENERATION", "ten"),
            ("DEFAULT_VOICE", "robot"),
            ("ENABLE_AI_CONTENT_FILTERING", "maybe"),
            ("ENVIRONMENT", "qa"),
            ("DEV_ADDR", "nowhere"),
            ("OPENAI_BASE_URL", "ftp://x"),
            ("JWT_SECRET", "short"),
            ("STORAGE_BACKEND", "postgres"),
            ("LOG_LEVEL", "loud"),
        ] {
            let e = parse(&[(var, value)]).expect_err(var);
            assert_eq!(e.variable, var);
        }
    }

    #[test]
    fn production_refuses_dev_shortcuts() {
        let secret = ("JWT_SECRET", "0123456789abcdef0123456789abcdef-prod");
        let prod = ("ENVIRONMENT", "production");
        assert_eq!(parse(&[prod]).expect_err("no key").variable, "JWT_SECRET");
        assert_eq!(
            parse(&[prod, secret, ("ALLOWED_ORIGINS", "*")])
                .expect_err("star")
                .variable,
            "ALLOWED_ORIGINS"
        );
        assert_eq!(
            parse(&[
                prod,
                secret,
                ("DEV_ANON_USER_ID", "3f2504e0-4f89-41d3-9a0c-0305e82c3301")
            ])
            .expect_err("anon")
            .variable,
            "DEV_ANON_USER_ID"
        );
        assert_eq!(
            parse(&[prod, ("JWT_SECRET", DEV_JWT_SECRET)])
                .expect_err("dev secret")
                .variable,
            "JWT_SECRET"
        );
        let s = parse(&[prod, secret]).expect("valid production settings");
        assert_eq!(s.allowed_origins, AllowedOrigins::List(vec![]));
    }

    #[test]
    fn origins_are_matched_exactly() {
        let s = parse(&[(
            "ALLOWED_ORIGINS",
            "https://app.example.com, http://localhost:3000",
        )])
        .expect("valid");
        assert_eq!(
            s.allowed_origins
                .allow(Some("https://app.example.com"))
                .as_deref(),
            Some("https://app.example.com")
        );
        assert_eq!(
            s.allowed_origins.allow(Some("https://evil.example.com")),
            None
        );
        assert_eq!(s.allowed_origins.allow(None), None);
    }

    #[test]
    fn secrets_do_not_print() {
        let s = parse(&[("OPENAI_API_KEY", "sk-very-secret")]).expect("valid");
        assert!(!format!("{s:?}").contains("sk-very-secret"));
    }
}
