//! The storage contract against the embedded backend, plus embedded-only behaviour
//! (restart survival, signed media URLs, probes on a broken data directory).

use bytes::Bytes;
use chrono::{TimeZone, Utc};
use domain::{Clock, FixedClock, SystemClock, UserId};
use std::sync::Arc;
use std::time::Duration;
use storage::embedded::{self, SignedUrlError};
use storage::{BlobKey, Bucket, PageRequest};

fn base() -> url::Url {
    url::Url::parse("http://127.0.0.1:54321").expect("url")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_backend_passes_the_storage_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (backend, _) = embedded::open(dir.path(), &base(), Arc::new(SystemClock))
        .await
        .expect("open");
    storage::contract::run_all(&backend).await;
}

#[tokio::test]
async fn heroes_and_media_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let user = UserId::parse("restart-user").expect("user");
    let hero_id;
    let key = BlobKey::new(&user, "heroes/x/a.png").expect("key");
    {
        let (b, _) = embedded::open(dir.path(), &base(), Arc::new(SystemClock))
            .await
            .expect("open");
        let mut page = PageRequest::first(1);
        page.cursor = None;
        let now = Utc::now();
        let h = domain::Hero {
            id: domain::HeroId::new_random(),
            user_id: user.clone(),
            name: "Luna".into(),
            primary_trait: "Brave".into(),
            secondary_trait: "Kind".into(),
            appearance: String::new(),
            special_ability: String::new(),
            age: None,
            visual_profile: None,
            avatar_key: None,
            avatar_prompt: None,
            avatar_generation_id: None,
            is_active: true,
            created_at: now,
            updated_at: now,
        };
        hero_id = h.id;
        b.heroes.put_hero(&h).await.expect("put");
        b.blobs
            .put(
                Bucket::HeroAvatars,
                &key,
                Bytes::from_static(b"png"),
                "image/png",
            )
            .await
            .expect("put");
    }
    let (b, _) = embedded::open(dir.path(), &base(), Arc::new(SystemClock))
        .await
        .expect("reopen");
    assert!(
        b.heroes
            .get_hero(&user, &hero_id)
            .await
            .expect("get")
            .is_some()
    );
    assert!(
        b.blobs
            .get(Bucket::HeroAvatars, &key)
            .await
            .expect("get")
            .is_some()
    );
}

#[tokio::test]
async fn signed_urls_verify_expire_and_reject_tampering() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0)
            .single()
            .expect("date"),
    ));
    let (b, blobs) = embedded::open(dir.path(), &base(), clock.clone())
        .await
        .expect("open");
    let user = UserId::parse("signed-user").expect("user");
    let key = BlobKey::new(&user, "audio/a.mp3").expect("key");
    b.blobs
        .put(
            Bucket::StoryAudio,
            &key,
            Bytes::from_static(b"ID3data"),
            "audio/mpeg",
        )
        .await
        .expect("put");
    let url = url::Url::parse(
        &b.blobs
            .presign_get(Bucket::StoryAudio, &key, Duration::from_secs(60))
            .await
            .expect("presign"),
    )
    .expect("url");
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    let expires: i64 = q["expires"].parse().expect("expires");
    let sig = q["sig"].clone();
    let blob = blobs
        .open_signed(Bucket::StoryAudio, key.as_str(), expires, &sig)
        .await
        .expect("valid");
    assert_eq!(&blob.bytes[..], b"ID3data");
    assert_eq!(
        blobs
            .open_signed(Bucket::StoryAudio, "signed-user/audio/b.mp3", expires, &sig)
            .await,
        Err(SignedUrlError::BadSignature)
    );
    assert_eq!(
        blobs
            .open_signed(Bucket::StoryAudio, key.as_str(), expires + 3600, &sig)
            .await,
        Err(SignedUrlError::BadSignature)
    );
    clock.advance(chrono::Duration::seconds(61));
    let _ = clock.now();
    assert_eq!(
        blobs
            .open_signed(Bucket::StoryAudio, key.as_str(), expires, &sig)
            .await,
        Err(SignedUrlError::Expired)
    );
}

#[tokio::test]
async fn probes_fail_when_the_data_directory_is_locked_or_gone() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let (b, _) = embedded::open(&data, &base(), Arc::new(SystemClock))
        .await
        .expect("open");
    assert!(b.health.probe_database().await.healthy);
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    assert!(!b.health.probe_database().await.healthy);
    assert!(!b.health.probe_storage().await.healthy);
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    assert!(b.health.probe_storage().await.healthy);
    std::fs::rename(&data, dir.path().join("moved")).expect("move");
    assert!(!b.health.probe_database().await.healthy);
    assert!(!b.health.probe_storage().await.healthy);
}
