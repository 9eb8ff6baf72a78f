//! Per-model circuit breaker: closed → open after N consecutive failures → half-open after a
//! cool-down (one probe at a time) → closed on the probe's success, open again on its failure.
//! Time comes from an injected `domain::Clock`, so tests advance it instead of sleeping.

use chrono::{DateTime, Utc};
use domain::Clock;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::config::BreakerConfig;

/// Observable breaker state of one model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls flow.
    Closed,
    /// Calls are rejected until the cool-down ends.
    Open,
    /// The cool-down ended: one probe call may run.
    HalfOpen,
}

#[derive(Debug, Clone, Copy)]
enum Inner {
    Closed { failures: u32 },
    Open { since: DateTime<Utc> },
    HalfOpen { probe_in_flight: bool },
}

/// Breakers for every model, keyed by model id.
pub struct Breakers {
    config: BreakerConfig,
    clock: Arc<dyn Clock>,
    states: Mutex<HashMap<String, Inner>>,
}

impl std::fmt::Debug for Breakers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Breakers")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Breakers {
    /// Breakers with `config`, timed by `clock`.
    pub fn new(config: BreakerConfig, clock: Arc<dyn Clock>) -> Self {
        Self {
            config,
            clock,
            states: Mutex::new(HashMap::new()),
        }
    }

    fn cool_down(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.config.cool_down).unwrap_or(chrono::Duration::MAX)
    }

    /// Asks to make one attempt on `model`. `false` = rejected (open, or half-open with a
    /// probe already running).
    pub fn try_acquire(&self, model: &str) -> bool {
        let mut states = self.states.lock().unwrap_or_else(|p| p.into_inner());
        let state = states
            .entry(model.to_owned())
            .or_insert(Inner::Closed { failures: 0 });
        match *state {
            Inner::Closed { .. } => true,
            Inner::Open { since } => {
                if self.clock.now() - since >= self.cool_down() {
                    *state = Inner::HalfOpen {
                        probe_in_flight: true,
                    };
                    tracing::info!(model, "circuit half-open: probing");
                    true
                } else {
                    false
                }
            }
            Inner::HalfOpen { probe_in_flight } => {
                if probe_in_flight {
                    false
                } else {
                    *state = Inner::HalfOpen {
                        probe_in_flight: true,
                    };
                    true
                }
            }
        }
    }

    /// Records a successful attempt: the breaker closes.
    pub fn record_success(&self, model: &str) {
        let mut states = self.states.lock().unwrap_or_else(|p| p.into_inner());
        let previous = states.insert(model.to_owned(), Inner::Closed { failures: 0 });
        if matches!(previous, Some(Inner::HalfOpen { .. })) {
            tracing::info!(model, "circuit closed after a successful probe");
        }
    }

    /// Records an attempt that failed in a way that says the upstream is unhealthy.
    pub fn record_failure(&self, model: &str) {
        let mut states = self.states.lock().unwrap_or_else(|p| p.into_inner());
        let now = self.clock.now();
        let state = states
            .entry(model.to_owned())
            .or_insert(Inner::Closed { failures: 0 });
        match *state {
            Inner::Closed { failures } => {
                let failures = failures + 1;
                if failures >= self.config.failure_threshold.max(1) {
                    tracing::warn!(model, failures, "circuit opened");
                    *state = Inner::Open { since: now };
                } else {
                    *state = Inner::Closed { failures };
                }
            }
            Inner::HalfOpen { .. } => {
                tracing::warn!(model, "probe failed: circuit open again");
                *state = Inner::Open { since: now };
            }
            Inner::Open { .. } => {}
        }
    }

    /// Records an attempt whose outcome says nothing about health (e.g. a refusal): a
    /// half-open probe slot is released without changing the state.
    pub fn record_neutral(&self, model: &str) {
        let mut states = self.states.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(state) = states.get_mut(model)
            && let Inner::HalfOpen { .. } = state
        {
            *state = Inner::HalfOpen {
                probe_in_flight: false,
            };
        }
    }

    /// The current state of `model`'s breaker (an open breaker whose cool-down ended reads
    /// as half-open).
    pub fn state(&self, model: &str) -> BreakerState {
        let states = self.states.lock().unwrap_or_else(|p| p.into_inner());
        match states.get(model) {
            None | Some(Inner::Closed { .. }) => BreakerState::Closed,
            Some(Inner::Open { since }) => {
                if self.clock.now() - *since >= self.cool_down() {
                    BreakerState::HalfOpen
                } else {
                    BreakerState::Open
                }
            }
            Some(Inner::HalfOpen { .. }) => BreakerState::HalfOpen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::FixedClock;
    use std::time::Duration;

    fn breakers() -> (Arc<FixedClock>, Breakers) {
        let clock = Arc::new(FixedClock::new(Utc::now()));
        let b = Breakers::new(
            BreakerConfig {
                failure_threshold: 2,
                cool_down: Duration::from_secs(10),
            },
            clock.clone(),
        );
        (clock, b)
    }

    #[test]
    fn opens_after_consecutive_failures_and_rejects_calls() {
        let (_clock, b) = breakers();
        assert!(b.try_acquire("m"));
        b.record_failure("m");
        assert_eq!(b.state("m"), BreakerState::Closed);
        assert!(b.try_acquire("m"));
        b.record_failure("m");
        assert_eq!(b.state("m"), BreakerState::Open);
        assert!(!b.try_acquire("m"));
        assert!(b.try_acquire("other"), "breakers are per model");
    }

    #[test]
    fn a_success_resets_the_failure_count() {
        let (_clock, b) = breakers();
        b.record_failure("m");
        b.record_success("m");
        b.record_failure("m");
        assert_eq!(b.state("m"), BreakerState::Closed);
    }

    #[test]
    fn half_open_lets_exactly_one_probe_through_and_closes_on_success() {
        let (clock, b) = breakers();
        b.record_failure("m");
        b.record_failure("m");
        clock.advance(chrono::Duration::seconds(11));
        assert_eq!(b.state("m"), BreakerState::HalfOpen);
        assert!(b.try_acquire("m"), "the probe");
        assert!(!b.try_acquire("m"), "a second caller waits for the probe");
        b.record_success("m");
        assert_eq!(b.state("m"), BreakerState::Closed);
        assert!(b.try_acquire("m"));
    }

    #[test]
    fn a_failed_probe_reopens_for_a_full_cool_down() {
        let (clock, b) = breakers();
        b.record_failure("m");
        b.record_failure("m");
        clock.advance(chrono::Duration::seconds(11));
        assert!(b.try_acquire("m"));
        b.record_failure("m");
        assert_eq!(b.state("m"), BreakerState::Open);
        clock.advance(chrono::Duration::seconds(5));
        assert!(!b.try_acquire("m"));
        clock.advance(chrono::Duration::seconds(6));
        assert!(b.try_acquire("m"));
    }

    #[test]
    fn a_neutral_probe_outcome_frees_the_probe_slot() {
        let (clock, b) = breakers();
        b.record_failure("m");
        b.record_failure("m");
        clock.advance(chrono::Duration::seconds(11));
        assert!(b.try_acquire("m"));
        b.record_neutral("m");
        assert!(b.try_acquire("m"));
    }
}
