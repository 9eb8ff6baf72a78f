//! The contract every storage backend passes. Backends' test suites call [`run_all`] with a
//! fresh backend; a behaviour only one adapter has shows up here as a failing check.
//!
//! Checks panic with a message naming the broken rule (they are test code shipped in the
//! library so each adapter crate and the `tests` crate can run the same suite).

use crate::{Backend, BlobKey, Bucket, PageRequest};
use bytes::Bytes;
use chrono::{Duration as ChronoDuration, TimeZone, Utc};
use domain::{Hero, HeroId, UserId, VisualProfile};
use std::collections::HashSet;
use std::time::Duration;

fn user(tag: &str) -> UserId {
    UserId::parse(&format!("contract-{tag}-{}", uuid::Uuid::new_v4().simple()))
        .expect("valid user id")
}

fn hero(user: &UserId, n: i64) -> Hero {
    let at = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("valid date")
        + ChronoDuration::seconds(n);
    Hero {
        id: HeroId::new_random(),
        user_id: user.clone(),
        name: format!("Hero {n}"),
        primary_trait: "Brave".into(),
        secondary_trait: "Kind".into(),
        appearance: "curly hair".into(),
        special_ability: "talks to owls".into(),
        age: Some(7),
        visual_profile: Some(VisualProfile {
            hair_color: Some("red".into()),
            distinctive_features: vec!["freckles".into()],
            ..VisualProfile::default()
        }),
        avatar_key: None,
        avatar_prompt: None,
        avatar_generation_id: None,
        is_active: true,
        created_at: at,
        updated_at: at,
    }
}

/// Runs every check.
pub async fn run_all(backend: &Backend) {
    heroes_round_trip_and_replace(backend).await;
    heroes_are_invisible_to_other_users(backend).await;
    heroes_list_newest_first_with_stable_pages(backend).await;
    heroes_list_skips_inactive(backend).await;
    heroes_survive_concurrent_writers(backend).await;
    blobs_round_trip_with_content_type(backend).await;
    blobs_delete_prefix_touches_only_the_owner(backend).await;
    blobs_presign_names_the_object(backend).await;
    probes_pass_on_a_healthy_backend(backend).await;
}

/// put → get returns the same hero; put again replaces it.
pub async fn heroes_round_trip_and_replace(b: &Backend) {
    let u = user("rt");
    let mut h = hero(&u, 1);
    b.heroes.put_hero(&h).await.expect("put");
    let got = b.heroes.get_hero(&u, &h.id).await.expect("get");
    assert_eq!(got.as_ref(), Some(&h), "a stored hero reads back unchanged");
    h.name = "Renamed".into();
    b.heroes.put_hero(&h).await.expect("replace");
    let got = b
        .heroes
        .get_hero(&u, &h.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(got.name, "Renamed", "put replaces an existing hero");
    assert!(b.heroes.delete_hero(&u, &h.id).await.expect("delete"));
    assert!(!b.heroes.delete_hero(&u, &h.id).await.expect("delete twice"));
    assert_eq!(b.heroes.get_hero(&u, &h.id).await.expect("get"), None);
}

/// Another user can neither read, list nor delete a hero.
pub async fn heroes_are_invisible_to_other_users(b: &Backend) {
    let owner = user("owner");
    let other = user("other");
    let h = hero(&owner, 1);
    b.heroes.put_hero(&h).await.expect("put");
    assert_eq!(b.heroes.get_hero(&other, &h.id).await.expect("get"), None);
    assert!(
        b.heroes
            .list_heroes(&other, &PageRequest::first(50))
            .await
            .expect("list")
            .items
            .is_empty()
    );
    assert!(!b.heroes.delete_hero(&other, &h.id).await.expect("delete"));
    assert!(
        b.heroes
            .get_hero(&owner, &h.id)
            .await
            .expect("get")
            .is_some()
    );
}

/// Lists are newest first; pages do not overlap or skip.
pub async fn heroes_list_newest_first_with_stable_pages(b: &Backend) {
    let u = user("page");
    let mut ids = Vec::new();
    for n in 0..7 {
        let h = hero(&u, n);
        ids.push(h.id);
        b.heroes.put_hero(&h).await.expect("put");
    }
    // two heroes created in the same millisecond still page deterministically
    let mut twin = hero(&u, 6);
    twin.name = "Twin".into();
    ids.push(twin.id);
    b.heroes.put_hero(&twin).await.expect("put");

    let mut seen = Vec::new();
    let mut req = PageRequest::first(3);
    loop {
        let page = b.heroes.list_heroes(&u, &req).await.expect("list");
        assert!(page.items.len() <= 3, "page size is respected");
        seen.extend(page.items.iter().map(|h| (h.created_at, h.id)));
        match page.next_cursor {
            Some(c) => req.cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(
        seen.len(),
        8,
        "every hero appears exactly once across pages"
    );
    let unique: HashSet<_> = seen.iter().map(|(_, id)| *id).collect();
    assert_eq!(unique.len(), 8);
    assert!(
        seen.windows(2).all(|w| w[0].0 >= w[1].0),
        "heroes are listed newest first"
    );
    let bad = PageRequest {
        limit: 3,
        cursor: Some("not-a-cursor".into()),
    };
    assert!(
        b.heroes.list_heroes(&u, &bad).await.is_err(),
        "a forged cursor is refused"
    );
}

/// Inactive heroes are not listed but can still be read.
pub async fn heroes_list_skips_inactive(b: &Backend) {
    let u = user("inactive");
    let mut h = hero(&u, 1);
    h.is_active = false;
    b.heroes.put_hero(&h).await.expect("put");
    assert!(
        b.heroes
            .list_heroes(&u, &PageRequest::first(10))
            .await
            .expect("list")
            .items
            .is_empty()
    );
    assert!(b.heroes.get_hero(&u, &h.id).await.expect("get").is_some());
}

/// Many concurrent writers all land.
pub async fn heroes_survive_concurrent_writers(b: &Backend) {
    let u = user("concurrent");
    let mut tasks = Vec::new();
    for n in 0..24 {
        let b = b.clone();
        let h = hero(&u, n);
        tasks.push(tokio::spawn(async move { b.heroes.put_hero(&h).await }));
    }
    for t in tasks {
        t.await.expect("join").expect("put");
    }
    let page = b
        .heroes
        .list_heroes(&u, &PageRequest::first(100))
        .await
        .expect("list");
    assert_eq!(page.items.len(), 24, "no concurrent write is lost");
}

/// put → get returns bytes and content type; delete removes.
pub async fn blobs_round_trip_with_content_type(b: &Backend) {
    let u = user("blob");
    let bytes = Bytes::from_static(b"\x89PNG\r\n\x1a\nfake");
    let key = BlobKey::content_addressed(&u, "heroes/h1", &bytes, "png").expect("key");
    b.blobs
        .put(Bucket::HeroAvatars, &key, bytes.clone(), "image/png")
        .await
        .expect("put");
    let got = b
        .blobs
        .get(Bucket::HeroAvatars, &key)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(got.bytes, bytes);
    assert_eq!(got.content_type, "image/png");
    assert_eq!(
        b.blobs.get(Bucket::StoryAudio, &key).await.expect("get"),
        None,
        "buckets are separate"
    );
    assert!(
        b.blobs
            .delete(Bucket::HeroAvatars, &key)
            .await
            .expect("delete")
    );
    assert_eq!(
        b.blobs.get(Bucket::HeroAvatars, &key).await.expect("get"),
        None
    );
}

/// delete_prefix removes the owner's objects under the prefix and nothing else.
pub async fn blobs_delete_prefix_touches_only_the_owner(b: &Backend) {
    let u = user("prefix");
    let other = user("prefix-other");
    let mut mine = Vec::new();
    for i in 0..3 {
        let k = BlobKey::new(&u, &format!("heroes/h1/{i}.png")).expect("key");
        b.blobs
            .put(
                Bucket::HeroAvatars,
                &k,
                Bytes::from(vec![i as u8]),
                "image/png",
            )
            .await
            .expect("put");
        mine.push(k);
    }
    let sibling = BlobKey::new(&u, "heroes/h10/0.png").expect("key");
    b.blobs
        .put(
            Bucket::HeroAvatars,
            &sibling,
            Bytes::from_static(b"s"),
            "image/png",
        )
        .await
        .expect("put");
    let foreign = BlobKey::new(&other, "heroes/h1/0.png").expect("key");
    b.blobs
        .put(
            Bucket::HeroAvatars,
            &foreign,
            Bytes::from_static(b"f"),
            "image/png",
        )
        .await
        .expect("put");

    let n = b
        .blobs
        .delete_prefix(Bucket::HeroAvatars, &u, "heroes/h1")
        .await
        .expect("delete prefix");
    assert_eq!(n, 3);
    for k in &mine {
        assert_eq!(
            b.blobs.get(Bucket::HeroAvatars, k).await.expect("get"),
            None
        );
    }
    assert!(
        b.blobs
            .get(Bucket::HeroAvatars, &sibling)
            .await
            .expect("get")
            .is_some(),
        "h10 is not under h1/"
    );
    assert!(
        b.blobs
            .get(Bucket::HeroAvatars, &foreign)
            .await
            .expect("get")
            .is_some(),
        "other users are untouched"
    );
}

/// A presigned URL is an http(s) URL that names the object.
pub async fn blobs_presign_names_the_object(b: &Backend) {
    let u = user("presign");
    let k = BlobKey::new(&u, "audio/a.mp3").expect("key");
    b.blobs
        .put(
            Bucket::StoryAudio,
            &k,
            Bytes::from_static(b"ID3"),
            "audio/mpeg",
        )
        .await
        .expect("put");
    let url = b
        .blobs
        .presign_get(Bucket::StoryAudio, &k, Duration::from_secs(60))
        .await
        .expect("presign");
    let parsed = url::Url::parse(&url).expect("a URL");
    assert!(matches!(parsed.scheme(), "http" | "https"));
    assert!(
        parsed.path().ends_with("/audio/a.mp3"),
        "the URL names the object: {}",
        parsed.path()
    );
}

/// Probes pass on a working backend.
pub async fn probes_pass_on_a_healthy_backend(b: &Backend) {
    assert!(b.health.probe_database().await.healthy);
    assert!(b.health.probe_storage().await.healthy);
}
