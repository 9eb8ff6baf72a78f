//! The contract every storage backend passes. Backends' test suites call [`run_all`] with a
//! fresh backend; a behaviour only one adapter has shows up here as a failing check.
//!
//! Checks panic with a message naming the broken rule (they are test code shipped in the
//! library so each adapter crate and the `tests` crate can run the same suite).

use crate::records::*;
use crate::{Backend, BlobKey, Bucket, PageRequest};
use bytes::Bytes;
use chrono::{Duration as ChronoDuration, TimeZone, Utc};
use domain::{Hero, HeroId, UserId, VisualProfile};
use domain::{IllustrationStatus, Language, SceneIllustration, StoryId, StoryRecord};
use serde_json::json;
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
    stories_round_trip_page_and_stay_private(backend).await;
    illustration_states_are_per_scene_and_deleted_with_the_story(backend).await;
    usage_is_queried_by_time_and_function(backend).await;
    rate_limits_are_exact_under_concurrency(backend).await;
    rate_limits_release_and_separate_windows_and_users(backend).await;
    cache_entries_expire_and_are_private(backend).await;
    idempotency_claims_replays_and_leases(backend).await;
    safety_events_are_listed_per_user(backend).await;
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

fn story(user: &UserId, n: i64) -> StoryRecord {
    let at = Utc
        .with_ymd_and_hms(2026, 2, 1, 0, 0, 0)
        .single()
        .expect("valid date")
        + ChronoDuration::seconds(n);
    StoryRecord {
        id: StoryId::new_random(),
        user_id: user.clone(),
        hero_id: Some(HeroId::new_random()),
        title: format!("Story {n}"),
        content: "Once upon a time, Luna and her friend the owl watched the stars.".into(),
        language: Language::En,
        word_count: 13,
        estimated_duration: 6,
        event_title: "Bedtime Adventure".into(),
        scenes: Vec::new(),
        audio: None,
        created_at: at,
        updated_at: at,
    }
}

/// Stories read back, list newest first across pages, and are invisible to others.
pub async fn stories_round_trip_page_and_stay_private(b: &Backend) {
    let u = user("stories");
    let other = user("stories-other");
    let mut made = Vec::new();
    for n in 0..5 {
        let s = story(&u, n);
        b.stories.put_story(&s).await.expect("put");
        made.push(s);
    }
    let got = b.stories.get_story(&u, &made[0].id).await.expect("get");
    assert_eq!(got.as_ref(), Some(&made[0]));
    assert_eq!(
        b.stories.get_story(&other, &made[0].id).await.expect("get"),
        None
    );
    let mut seen = Vec::new();
    let mut req = PageRequest::first(2);
    loop {
        let page = b.stories.list_stories(&u, &req).await.expect("list");
        seen.extend(page.items.iter().map(|s| s.title.clone()));
        match page.next_cursor {
            Some(c) => req.cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(
        seen,
        vec!["Story 4", "Story 3", "Story 2", "Story 1", "Story 0"]
    );
    assert!(
        b.stories
            .list_stories(&other, &PageRequest::first(10))
            .await
            .expect("list")
            .items
            .is_empty()
    );
    assert!(
        !b.stories
            .delete_story(&other, &made[0].id)
            .await
            .expect("delete")
    );
    assert!(
        b.stories
            .delete_story(&u, &made[0].id)
            .await
            .expect("delete")
    );
    assert_eq!(
        b.stories.get_story(&u, &made[0].id).await.expect("get"),
        None
    );
}

/// Concurrent per-scene updates all land; deleting the story removes them.
pub async fn illustration_states_are_per_scene_and_deleted_with_the_story(b: &Backend) {
    let u = user("illus");
    let s = story(&u, 1);
    b.stories.put_story(&s).await.expect("put");
    let mut tasks = Vec::new();
    for n in 1..=6u32 {
        let b = b.clone();
        let u = u.clone();
        let st = SceneIllustration {
            story_id: s.id,
            scene_number: n,
            status: if n % 2 == 0 {
                IllustrationStatus::Completed
            } else {
                IllustrationStatus::Failed
            },
            image_key: (n % 2 == 0).then(|| format!("{}/illustrations/{n}.png", u.as_str())),
            generation_id: Some(format!("gen-{n}")),
            revised_prompt: None,
            error_message: (n % 2 == 1).then(|| "refused".to_string()),
            updated_at: Utc::now(),
        };
        tasks.push(tokio::spawn(async move {
            b.stories.put_illustration(&u, &st).await
        }));
    }
    for t in tasks {
        t.await.expect("join").expect("put illustration");
    }
    let states = b.stories.list_illustrations(&u, &s.id).await.expect("list");
    assert_eq!(
        states.iter().map(|s| s.scene_number).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5, 6]
    );
    assert_eq!(states[1].status, IllustrationStatus::Completed);
    assert!(
        b.stories
            .list_illustrations(&user("x"), &s.id)
            .await
            .expect("list")
            .is_empty()
    );
    b.stories.delete_story(&u, &s.id).await.expect("delete");
    assert!(
        b.stories
            .list_illustrations(&u, &s.id)
            .await
            .expect("list")
            .is_empty()
    );
}

fn usage(function: &str, at: chrono::DateTime<Utc>, cost: Option<f64>) -> UsageRecord {
    UsageRecord {
        id: uuid::Uuid::new_v4().to_string(),
        function_name: function.into(),
        user_id: "u".into(),
        request_id: uuid::Uuid::new_v4().to_string(),
        model: "gpt-4o".into(),
        provider: "openai".into(),
        prompt_tokens: 100,
        completion_tokens: 50,
        tokens_used: 150,
        characters: 0,
        images: 0,
        cost_estimate: cost,
        response_time_ms: 900,
        status: UsageStatus::Success,
        cached: false,
        created_at: at,
        expires_at: at + ChronoDuration::days(90),
    }
}

/// Usage rows come back by time window and function; expired rows do not.
pub async fn usage_is_queried_by_time_and_function(b: &Backend) {
    // A window in the future nobody else writes to, so the suite can share a backend.
    let base = Utc::now() + ChronoDuration::days(3650 + (rand::random::<u16>() as i64));
    let f1 = format!("contract-fn-{}", uuid::Uuid::new_v4().simple());
    let f2 = format!("contract-fn-{}", uuid::Uuid::new_v4().simple());
    for i in 0..4 {
        b.usage
            .record_usage(&usage(&f1, base + ChronoDuration::minutes(i), Some(0.01)))
            .await
            .expect("record");
    }
    b.usage
        .record_usage(&usage(&f2, base + ChronoDuration::minutes(1), None))
        .await
        .expect("record");
    b.usage
        .record_usage(&usage(&f1, base - ChronoDuration::hours(2), Some(1.0)))
        .await
        .expect("record");
    let mut expired = usage(&f1, base + ChronoDuration::minutes(2), Some(5.0));
    expired.expires_at = Utc::now() - ChronoDuration::seconds(1);
    b.usage.record_usage(&expired).await.expect("record");

    let window = b
        .usage
        .usage_between(Some(&f1), base, base + ChronoDuration::hours(1))
        .await
        .expect("query");
    assert_eq!(
        window.len(),
        4,
        "only the function's rows inside the window, unexpired"
    );
    assert!(
        window
            .windows(2)
            .all(|w| w[0].created_at <= w[1].created_at),
        "oldest first"
    );
    let all = b
        .usage
        .usage_between(None, base, base + ChronoDuration::hours(1))
        .await
        .expect("query");
    assert_eq!(all.len(), 5);
    assert!(
        all.iter().any(|r| r.cost_estimate.is_none()),
        "unknown cost stays unknown"
    );
}

/// 100 concurrent acquisitions against a limit of 10: exactly 10 granted.
pub async fn rate_limits_are_exact_under_concurrency(b: &Backend) {
    let u = user("rl");
    let window = 1_700_000_000;
    let exp = Utc::now() + ChronoDuration::hours(2);
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let b = b.clone();
        let u = u.clone();
        tasks.push(tokio::spawn(async move {
            b.rate_limits
                .acquire(&u, "story-generation", window, 1, 10, exp)
                .await
        }));
    }
    let mut granted = 0;
    let mut denied = 0;
    for t in tasks {
        match t.await.expect("join").expect("acquire") {
            Acquire::Granted { used } => {
                assert!(used <= 10);
                granted += 1;
            }
            Acquire::Denied { used } => {
                assert_eq!(used, 10);
                denied += 1;
            }
        }
    }
    assert_eq!((granted, denied), (10, 90));
}

/// Release gives capacity back; windows, functions and users are separate; cost counts.
pub async fn rate_limits_release_and_separate_windows_and_users(b: &Backend) {
    let u = user("rl2");
    let v = user("rl2-other");
    let exp = Utc::now() + ChronoDuration::hours(2);
    let w = 1_700_003_600;
    assert_eq!(
        b.rate_limits
            .acquire(&u, "scene-illustration", w, 6, 10, exp)
            .await
            .expect("a"),
        Acquire::Granted { used: 6 }
    );
    assert_eq!(
        b.rate_limits
            .acquire(&u, "scene-illustration", w, 6, 10, exp)
            .await
            .expect("a"),
        Acquire::Denied { used: 6 }
    );
    assert_eq!(
        b.rate_limits
            .acquire(&u, "scene-illustration", w, 4, 10, exp)
            .await
            .expect("a"),
        Acquire::Granted { used: 10 }
    );
    b.rate_limits
        .release(&u, "scene-illustration", w, 4)
        .await
        .expect("release");
    assert_eq!(
        b.rate_limits
            .acquire(&u, "scene-illustration", w, 3, 10, exp)
            .await
            .expect("a"),
        Acquire::Granted { used: 9 }
    );
    assert_eq!(
        b.rate_limits
            .acquire(&v, "scene-illustration", w, 10, 10, exp)
            .await
            .expect("a"),
        Acquire::Granted { used: 10 }
    );
    assert_eq!(
        b.rate_limits
            .acquire(&u, "scene-illustration", w + 3600, 10, 10, exp)
            .await
            .expect("a"),
        Acquire::Granted { used: 10 }
    );
    assert_eq!(
        b.rate_limits
            .acquire(&u, "audio-synthesis", w, 1, 10, exp)
            .await
            .expect("a"),
        Acquire::Granted { used: 1 }
    );
    assert_eq!(
        b.rate_limits
            .acquire(&u, "audio-synthesis", w, 11, 10, exp)
            .await
            .expect("a"),
        Acquire::Denied { used: 1 }
    );
}

/// Cache entries are per user and expire.
pub async fn cache_entries_expire_and_are_private(b: &Backend) {
    let u = user("cache");
    let other = user("cache-other");
    let now = Utc::now();
    let v = json!({"story_id": "s1", "n": 1});
    b.cache
        .cache_put(&u, "story", "k1", &v, now + ChronoDuration::hours(1))
        .await
        .expect("put");
    assert_eq!(
        b.cache
            .cache_get(&u, "story", "k1", now)
            .await
            .expect("get"),
        Some(v.clone())
    );
    assert_eq!(
        b.cache
            .cache_get(&u, "audio", "k1", now)
            .await
            .expect("get"),
        None,
        "namespaces are separate"
    );
    assert_eq!(
        b.cache
            .cache_get(&other, "story", "k1", now)
            .await
            .expect("get"),
        None,
        "users are separate"
    );
    assert_eq!(
        b.cache
            .cache_get(&u, "story", "k1", now + ChronoDuration::hours(2))
            .await
            .expect("get"),
        None,
        "expired"
    );
    let v2 = json!({"story_id": "s2"});
    b.cache
        .cache_put(&u, "story", "k1", &v2, now + ChronoDuration::hours(1))
        .await
        .expect("overwrite");
    assert_eq!(
        b.cache
            .cache_get(&u, "story", "k1", now)
            .await
            .expect("get"),
        Some(v2)
    );
    b.cache
        .cache_delete(&u, "story", "k1")
        .await
        .expect("delete");
    assert_eq!(
        b.cache
            .cache_get(&u, "story", "k1", now)
            .await
            .expect("get"),
        None
    );
}

/// Idempotency: one owner per key; replays get the stored response; leases expire.
pub async fn idempotency_claims_replays_and_leases(b: &Backend) {
    let u = user("idem");
    let other = user("idem-other");
    let now = Utc::now();
    let lease = now + ChronoDuration::minutes(5);
    let exp = now + ChronoDuration::hours(24);
    let begin = |user: UserId, key: &'static str, hash: &'static str, at: chrono::DateTime<Utc>| {
        let b = b.clone();
        async move {
            b.idempotency
                .begin(
                    &user,
                    key,
                    hash,
                    at,
                    at + ChronoDuration::minutes(5),
                    at + ChronoDuration::hours(24),
                )
                .await
                .expect("begin")
        }
    };
    assert_eq!(begin(u.clone(), "k1", "h1", now).await, IdemBegin::Started);
    assert_eq!(
        begin(u.clone(), "k1", "h1", now).await,
        IdemBegin::InFlight {
            request_hash: "h1".into()
        }
    );
    assert_eq!(
        begin(other.clone(), "k1", "h1", now).await,
        IdemBegin::Started,
        "keys are per user"
    );
    let resp = StoredResponse {
        status: 200,
        data: json!({"story_id": "s1"}),
    };
    b.idempotency
        .complete(&u, "k1", &resp, exp)
        .await
        .expect("complete");
    assert_eq!(
        begin(u.clone(), "k1", "h2", now).await,
        IdemBegin::Completed {
            request_hash: "h1".into(),
            response: resp.clone()
        }
    );
    assert_eq!(
        begin(u.clone(), "k1", "h1", now + ChronoDuration::hours(25)).await,
        IdemBegin::Started,
        "expired after 24 h"
    );

    assert_eq!(begin(u.clone(), "k2", "h", now).await, IdemBegin::Started);
    b.idempotency.abandon(&u, "k2").await.expect("abandon");
    assert_eq!(
        begin(u.clone(), "k2", "h", now).await,
        IdemBegin::Started,
        "abandoned keys run again"
    );
    assert_eq!(
        begin(u.clone(), "k2", "h", lease + ChronoDuration::seconds(1)).await,
        IdemBegin::Started,
        "a crashed owner's lease ends"
    );

    // concurrent claims: exactly one owner
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let b = b.clone();
        let u = u.clone();
        tasks.push(tokio::spawn(async move {
            b.idempotency
                .begin(
                    &u,
                    "k3",
                    "h",
                    now,
                    now + ChronoDuration::minutes(5),
                    now + ChronoDuration::hours(24),
                )
                .await
        }));
    }
    let mut started = 0;
    for t in tasks {
        if t.await.expect("join").expect("begin") == IdemBegin::Started {
            started += 1;
        }
    }
    assert_eq!(started, 1, "one request owns a key");
}

/// Safety events are listed per user, oldest first.
pub async fn safety_events_are_listed_per_user(b: &Backend) {
    let u = user("safety");
    let now = Utc::now();
    for (i, cat) in ["scary", "violence"].iter().enumerate() {
        b.safety_events
            .record_safety_event(&SafetyEventRecord {
                id: uuid::Uuid::new_v4().to_string(),
                user_id: u.as_str().into(),
                function_name: "heroes".into(),
                category: (*cat).into(),
                action: "rewritten".into(),
                text_hash: "ab".repeat(32),
                created_at: now + ChronoDuration::seconds(i as i64),
                expires_at: now + ChronoDuration::days(90),
            })
            .await
            .expect("record");
    }
    let events = b
        .safety_events
        .safety_events_for(&u, now - ChronoDuration::minutes(1))
        .await
        .expect("list");
    assert_eq!(
        events
            .iter()
            .map(|e| e.category.as_str())
            .collect::<Vec<_>>(),
        vec!["scary", "violence"]
    );
    assert!(
        b.safety_events
            .safety_events_for(&user("nobody"), now - ChronoDuration::minutes(1))
            .await
            .expect("list")
            .is_empty()
    );
}
