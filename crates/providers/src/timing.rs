//! Injected waiting, so backoff (including multi-second `Retry-After`) is testable without
//! real sleeps. The breaker's clock is `domain::Clock`.

use async_trait::async_trait;
use std::sync::Mutex;
use std::time::Duration;

/// Something that waits.
#[async_trait]
pub trait Sleeper: Send + Sync {
    /// Waits for `duration`.
    async fn sleep(&self, duration: Duration);
}

/// Real waiting on the tokio timer.
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioSleeper;

#[async_trait]
impl Sleeper for TokioSleeper {
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// Records every requested wait and returns at once (tests).
#[derive(Debug, Default)]
pub struct RecordingSleeper {
    waits: Mutex<Vec<Duration>>,
}

impl RecordingSleeper {
    /// A sleeper with no recorded waits.
    pub fn new() -> Self {
        Self::default()
    }

    /// The waits requested so far, in order.
    pub fn waits(&self) -> Vec<Duration> {
        self.waits.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[async_trait]
impl Sleeper for RecordingSleeper {
    async fn sleep(&self, duration: Duration) {
        self.waits
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(duration);
        tokio::task::yield_now().await;
    }
}
