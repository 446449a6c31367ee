//! A chain of delayed messages with at most one live message at a time.
//!
//! Every message the engine schedules carries a fresh token; only the latest token is live.
//! A message arriving with the live token is *consumed* (so a duplicate of it is stale), and
//! scheduling a new message supersedes the previous one. Whoever sends the messages may
//! therefore send one twice (e.g. before and after a crash): one copy is consumed, the other is
//! stale, and the chain never forks.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::delay::DelaySeconds;
use crate::id::Token;

/// One chain of delayed messages (the check chain or the start-retry chain of a wave attempt).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timer {
    /// The last token handed out; tokens start at 1.
    pub issued: u64,
    /// The live message, if one is scheduled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Scheduled>,
}

/// A scheduled message: its token and when it is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scheduled {
    /// The token the message carries.
    pub token: Token,
    /// When the message is due.
    pub due_at: Timestamp,
}

impl Timer {
    /// Schedules a message `delay` after `now`, superseding any live one; returns its token.
    pub fn arm(&mut self, now: Timestamp, delay: DelaySeconds) -> Token {
        self.issued += 1;
        let token = Token(self.issued);
        self.pending = Some(Scheduled {
            token,
            due_at: delay.after(now),
        });
        token
    }

    /// Consumes the live message if `token` is its token; `false` for a stale token.
    pub fn consume(&mut self, token: Token) -> bool {
        let live = self.pending.is_some_and(|p| p.token == token);
        if live {
            self.pending = None;
        }
        live
    }

    /// Makes every scheduled message stale.
    pub fn disarm(&mut self) {
        self.pending = None;
    }

    /// Whether a message is live.
    pub fn is_armed(&self) -> bool {
        self.pending.is_some()
    }

    /// When the live message is due, if any.
    pub fn due_at(&self) -> Option<Timestamp> {
        self.pending.map(|p| p.due_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_latest_token_is_live_and_only_once() {
        let now = Timestamp::UNIX_EPOCH;
        let delay = DelaySeconds::clamped(30);
        let mut timer = Timer::default();
        let first = timer.arm(now, delay);
        let second = timer.arm(now, delay);
        assert_ne!(first, second);
        assert!(!timer.consume(first), "a superseded token is stale");
        assert!(timer.consume(second));
        assert!(!timer.consume(second), "a consumed token is stale");
        assert!(!timer.is_armed());
    }

    #[test]
    fn disarming_makes_the_live_token_stale() {
        let mut timer = Timer::default();
        let token = timer.arm(Timestamp::UNIX_EPOCH, DelaySeconds::clamped(5));
        timer.disarm();
        assert!(!timer.consume(token));
    }
}
