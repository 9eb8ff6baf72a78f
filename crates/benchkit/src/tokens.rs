//! Many bench users: an HS256 token (signed like `mint-token`), a user id and a hero id per
//! line, tab-separated, for the wrk scripts and the set-up requests.

use config::Settings;

/// The `i`-th bench user id of `seed` (a valid UUID).
pub fn user_id(seed: u32, i: usize) -> String {
    format!("{seed:08x}-0000-4000-8000-{i:012x}")
}

/// The hero id owned by the `i`-th bench user of `seed`.
pub fn hero_id(seed: u32, i: usize) -> String {
    format!("{seed:08x}-0000-4000-9000-{i:012x}")
}

/// `count` lines `token\tuser_id\thero_id`, tokens valid for `ttl_secs`.
pub fn lines(
    settings: &Settings,
    seed: u32,
    count: usize,
    ttl_secs: u64,
) -> Result<Vec<String>, String> {
    let secret = settings
        .jwt_secret
        .as_ref()
        .ok_or("JWT_SECRET is not set (required outside development)")?;
    (0..count)
        .map(|i| {
            let user = user_id(seed, i);
            let token = edge::auth::mint_hs256(
                secret.expose(),
                &user,
                "authenticated",
                std::time::Duration::from_secs(ttl_secs),
                settings.jwt_issuer.as_deref(),
            )
            .map_err(|e| e.to_string())?;
            Ok(format!("{token}\t{user}\t{}", hero_id(seed, i)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_ids_are_valid_distinct_uuids() {
        let a = user_id(7, 1);
        let b = hero_id(7, 1);
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert!(domain_like_uuid(&a) && domain_like_uuid(&b));
    }

    fn domain_like_uuid(s: &str) -> bool {
        let parts: Vec<&str> = s.split('-').collect();
        parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
            && s.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
    }
}
