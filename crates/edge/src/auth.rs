//! Local JWT verification (SPEC §4): HS256 with `JWT_SECRET` (Supabase-compatible) and/or
//! RS256/ES256 with keys from `JWT_JWKS_URL` (fetched at cold start, cached, refreshed on an
//! unknown `kid` at most every [`JWKS_REFRESH_INTERVAL`]). No network round-trip per request.

use config::Settings;
use domain::UserId;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, RwLock};
use url::Url;

/// Clock skew tolerated on `exp`/`nbf`.
pub const LEEWAY_SECS: u64 = 60;
/// Minimum time between two JWKS refreshes triggered by unknown `kid`s (so a flood of
/// forged kids cannot turn into a flood of fetches).
pub const JWKS_REFRESH_INTERVAL: Duration = Duration::from_secs(30);

/// The authenticated user of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The JWT `sub` (or `DEV_ANON_USER_ID` for an accepted anon token).
    pub user_id: UserId,
    /// The JWT `role` claim (`authenticated`, `anon`, …).
    pub role: String,
}

/// Why a token was refused. The client only ever sees a generic 401 message; the variant is
/// for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token")]
    Missing,
    #[error("malformed token")]
    Malformed,
    #[error("unsupported algorithm")]
    Algorithm,
    #[error("unknown signing key")]
    UnknownKey,
    #[error("invalid signature")]
    Signature,
    #[error("token expired")]
    Expired,
    #[error("token not yet valid")]
    NotYetValid,
    #[error("wrong issuer or audience")]
    Claims,
    #[error("token has no subject")]
    NoSubject,
    #[error("anonymous tokens are not accepted")]
    Anonymous,
}

/// Start-up failure of the authenticator.
#[derive(Debug, thiserror::Error)]
pub enum AuthSetupError {
    #[error("JWT_JWKS_URL could not be fetched: {0}")]
    Jwks(String),
    #[error("JWT_SECRET is not usable: {0}")]
    Secret(String),
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: Option<String>,
    role: Option<String>,
}

struct Jwks {
    url: Url,
    http: reqwest::Client,
    keys: RwLock<HashMap<String, (DecodingKey, Algorithm)>>,
    last_refresh: Mutex<Option<Instant>>,
    refresh_interval: Duration,
}

impl Jwks {
    async fn fetch(&self) -> Result<HashMap<String, (DecodingKey, Algorithm)>, AuthSetupError> {
        let set: JwkSet = self
            .http
            .get(self.url.clone())
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| AuthSetupError::Jwks(e.without_url().to_string()))?
            .json()
            .await
            .map_err(|e| AuthSetupError::Jwks(e.without_url().to_string()))?;
        let mut out = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else {
                continue;
            };
            // The algorithm is fixed by the key's type, never by the token header, so a token
            // cannot pick a weaker interpretation of a key (algorithm confusion).
            let alg = match &jwk.algorithm {
                AlgorithmParameters::RSA(_) => Algorithm::RS256,
                AlgorithmParameters::EllipticCurve(ec)
                    if ec.curve == jsonwebtoken::jwk::EllipticCurve::P256 =>
                {
                    Algorithm::ES256
                }
                _ => continue,
            };
            if let Ok(key) = DecodingKey::from_jwk(jwk) {
                out.insert(kid, (key, alg));
            }
        }
        Ok(out)
    }

    async fn key(&self, kid: &str) -> Option<(DecodingKey, Algorithm)> {
        if let Some(k) = self.keys.read().await.get(kid) {
            return Some(k.clone());
        }
        {
            let mut last = self.last_refresh.lock().await;
            if last.is_some_and(|t| t.elapsed() < self.refresh_interval) {
                return None;
            }
            *last = Some(Instant::now());
            match self.fetch().await {
                Ok(fresh) => *self.keys.write().await = fresh,
                Err(e) => tracing::warn!(error = %e, "jwks refresh failed"),
            }
        }
        self.keys.read().await.get(kid).cloned()
    }
}

/// Verifies bearer tokens.
pub struct Authenticator {
    hs256: Option<DecodingKey>,
    jwks: Option<Jwks>,
    issuer: Option<String>,
    audience: Option<String>,
    anon_user: Option<UserId>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("hs256", &self.hs256.is_some())
            .field("jwks", &self.jwks.as_ref().map(|j| j.url.as_str()))
            .finish()
    }
}

impl Authenticator {
    /// Builds the authenticator once per cold start, fetching the JWKS when configured.
    pub async fn from_settings(
        settings: &Settings,
        http: reqwest::Client,
    ) -> Result<Self, AuthSetupError> {
        let jwks = match &settings.jwt_jwks_url {
            None => None,
            Some(url) => {
                let j = Jwks {
                    url: url.clone(),
                    http,
                    keys: RwLock::new(HashMap::new()),
                    last_refresh: Mutex::new(Some(Instant::now())),
                    refresh_interval: JWKS_REFRESH_INTERVAL,
                };
                let keys = j.fetch().await?;
                *j.keys.write().await = keys;
                Some(j)
            }
        };
        // `DEV_ANON_USER_ID` is refused in production by `config`; double-check here.
        let anon_user = if settings.is_production() {
            None
        } else {
            settings.dev_anon_user_id.as_deref().and_then(UserId::parse)
        };
        Ok(Self {
            hs256: settings
                .jwt_secret
                .as_ref()
                .map(|s| DecodingKey::from_secret(s.expose().as_bytes())),
            jwks,
            issuer: settings.jwt_issuer.clone(),
            audience: settings.jwt_audience.clone(),
            anon_user,
        })
    }

    /// Changes the minimum interval between JWKS refreshes (tests use zero).
    pub fn with_jwks_refresh_interval(mut self, interval: Duration) -> Self {
        if let Some(j) = self.jwks.as_mut() {
            j.refresh_interval = interval;
        }
        self
    }

    /// Verifies the `Authorization` header value.
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Caller, AuthError> {
        let raw = authorization.ok_or(AuthError::Missing)?.trim();
        let token = raw
            .strip_prefix("Bearer ")
            .or_else(|| raw.strip_prefix("bearer "))
            .ok_or(AuthError::Missing)?
            .trim();
        if token.is_empty() || token.len() > 8192 {
            return Err(AuthError::Malformed);
        }
        // `alg: none` and unknown algorithms fail here: they do not parse as `Algorithm`.
        let header = decode_header(token).map_err(|_| AuthError::Malformed)?;
        let (key, alg) = match header.alg {
            Algorithm::HS256 => (
                self.hs256.clone().ok_or(AuthError::Algorithm)?,
                Algorithm::HS256,
            ),
            Algorithm::RS256 | Algorithm::ES256 => {
                let jwks = self.jwks.as_ref().ok_or(AuthError::Algorithm)?;
                let kid = header.kid.as_deref().ok_or(AuthError::UnknownKey)?;
                let (key, alg) = jwks.key(kid).await.ok_or(AuthError::UnknownKey)?;
                if alg != header.alg {
                    return Err(AuthError::Algorithm);
                }
                (key, alg)
            }
            _ => return Err(AuthError::Algorithm),
        };
        let mut v = Validation::new(alg);
        v.leeway = LEEWAY_SECS;
        v.validate_nbf = true;
        v.validate_exp = true;
        let mut required = vec!["exp"];
        match &self.audience {
            Some(aud) => {
                v.set_audience(&[aud]);
                required.push("aud");
            }
            None => v.validate_aud = false,
        }
        if let Some(iss) = &self.issuer {
            v.set_issuer(&[iss]);
            required.push("iss");
        }
        v.set_required_spec_claims(&required);
        let data = decode::<Claims>(token, &key, &v).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            match e.kind() {
                K::ExpiredSignature => AuthError::Expired,
                K::ImmatureSignature => AuthError::NotYetValid,
                K::InvalidSignature => AuthError::Signature,
                K::InvalidAudience | K::InvalidIssuer | K::MissingRequiredClaim(_) => {
                    AuthError::Claims
                }
                K::InvalidAlgorithm | K::InvalidAlgorithmName => AuthError::Algorithm,
                _ => AuthError::Malformed,
            }
        })?;
        let role = data
            .claims
            .role
            .unwrap_or_else(|| "authenticated".to_string());
        if role == "anon" {
            return match &self.anon_user {
                Some(u) => Ok(Caller {
                    user_id: u.clone(),
                    role,
                }),
                None => Err(AuthError::Anonymous),
            };
        }
        let sub = data.claims.sub.ok_or(AuthError::NoSubject)?;
        let user_id = UserId::parse(&sub).ok_or(AuthError::NoSubject)?;
        Ok(Caller { user_id, role })
    }
}

#[derive(Serialize)]
struct MintClaims<'a> {
    sub: &'a str,
    role: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<&'a str>,
}

/// Mints an HS256 token (dev server start-up token, tests, smoke scripts).
pub fn mint_hs256(
    secret: &str,
    sub: &str,
    role: &str,
    ttl: Duration,
    issuer: Option<&str>,
) -> Result<String, AuthSetupError> {
    let now = chrono::Utc::now().timestamp();
    let claims = MintClaims {
        sub,
        role,
        aud: "authenticated",
        iat: now,
        exp: now + ttl.as_secs() as i64,
        iss: issuer,
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(|e| AuthSetupError::Secret(e.to_string()))
}
