//! The console's defences against a stranger on the clinic LAN: which host names it answers to
//! (DNS rebinding), how fast one address may try passwords, which addresses count toward
//! locking an account, and how many live queues may be open.
//!
//! Owns: in-memory counters only (they start empty with the process). Must not know: HTTP
//! responses, the store, hashing.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Failures from one address answered at once; each one after waits twice as long as the last.
pub(super) const FREE_FAILURES: u32 = 3;
/// The first wait after the free failures.
const FIRST_WAIT: Duration = Duration::from_secs(1);
/// The longest wait between two tries from one address.
pub(super) const LONGEST_WAIT: Duration = Duration::from_secs(60);
/// An address not heard from for this long starts again from nothing.
const FORGET_AFTER: Duration = Duration::from_secs(3600);
/// Addresses remembered at once (beyond this the quietest are forgotten).
const MOST_ADDRESSES: usize = 4096;
/// Live queues (event streams) one sign-in may hold open.
pub(super) const STREAMS_PER_SESSION: usize = 4;
/// Live queues the console holds open in all.
pub(super) const STREAMS_IN_ALL: usize = 64;

/// Where a sign-in came from, as far as throttling goes: an IPv4 address, or the /64 network of
/// an IPv6 address (one machine can use a whole /64).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Source {
    V4(u32),
    /// The first 64 bits.
    V6(u64),
}

impl Source {
    pub(super) fn of(ip: IpAddr) -> Source {
        match ip {
            IpAddr::V4(v4) => Source::V4(u32::from(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Source::V4(u32::from(v4)),
                None => Source::V6((u128::from(v6) >> 64) as u64),
            },
        }
    }
}

#[derive(Debug)]
struct Backoff {
    failures: u32,
    /// No try is answered before this.
    wait_until: Instant,
    /// A try from this address is being checked now (one at a time per address).
    in_flight: bool,
    last_seen: Instant,
}

/// Sign-in tries per address: three failures free, then 1 s, 2 s, 4 s … (at most
/// [`LONGEST_WAIT`]) between tries; one try at a time per address; a success forgets the
/// address.
#[derive(Debug, Default)]
pub(super) struct Throttle {
    by_source: Mutex<HashMap<Source, Backoff>>,
}

/// A sign-in try let through. Say how it ended with [`Attempt::failed`] or
/// [`Attempt::succeeded`]; dropped without either, it only frees the address for the next try.
pub(super) struct Attempt {
    throttle: Arc<Throttle>,
    source: Source,
}

impl Throttle {
    /// Lets a try from `ip` through, or says how long it must wait first.
    pub(super) fn begin(self: &Arc<Self>, ip: IpAddr, now: Instant) -> Result<Attempt, Duration> {
        let source = Source::of(ip);
        let mut map = self
            .by_source
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if map.len() >= MOST_ADDRESSES && !map.contains_key(&source) {
            map.retain(|_, b| b.in_flight || now.duration_since(b.last_seen) < FORGET_AFTER);
            if map.len() >= MOST_ADDRESSES
                && let Some(quietest) = map
                    .iter()
                    .filter(|(_, b)| !b.in_flight)
                    .min_by_key(|(_, b)| b.last_seen)
                    .map(|(k, _)| *k)
            {
                map.remove(&quietest);
            }
        }
        let entry = map.entry(source).or_insert(Backoff {
            failures: 0,
            wait_until: now,
            in_flight: false,
            last_seen: now,
        });
        if now.duration_since(entry.last_seen) >= FORGET_AFTER && !entry.in_flight {
            entry.failures = 0;
            entry.wait_until = now;
        }
        if entry.in_flight {
            return Err(FIRST_WAIT);
        }
        if entry.wait_until > now {
            return Err(entry.wait_until - now);
        }
        entry.in_flight = true;
        entry.last_seen = now;
        Ok(Attempt {
            throttle: Arc::clone(self),
            source,
        })
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<Source, Backoff>) -> T) -> T {
        let mut map = self
            .by_source
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        f(&mut map)
    }
}

/// The wait after the `failures`-th failure in a row from one address.
pub(super) fn wait_after(failures: u32) -> Duration {
    if failures < FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = (failures - FREE_FAILURES).min(16);
    (FIRST_WAIT * (1u32 << doublings)).min(LONGEST_WAIT)
}

impl Attempt {
    /// A wrong password or unknown login: the address waits longer before its next try.
    pub(super) fn failed(self, now: Instant) {
        let source = self.source;
        self.throttle.with(|map| {
            if let Some(b) = map.get_mut(&source) {
                b.failures = b.failures.saturating_add(1);
                b.wait_until = now + wait_after(b.failures);
                b.last_seen = now;
            }
        });
    }

    /// A correct password: the address starts again from nothing.
    pub(super) fn succeeded(self) {
        let source = self.source;
        self.throttle.with(|map| {
            map.remove(&source);
        });
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        let source = self.source;
        self.throttle.with(|map| {
            if let Some(b) = map.get_mut(&source) {
                b.in_flight = false;
            }
        });
    }
}

/// Which addresses have failed for each account since its last sign-in or lock. Only the first
/// failure from each address counts toward the account's lock, so one stranger (one address,
/// throttled anyway) can never lock an account; a lock needs wrong passwords from as many
/// addresses as the policy's count.
#[derive(Debug, Default)]
pub(super) struct Strikes {
    by_account: Mutex<HashMap<i64, HashSet<Source>>>,
}

impl Strikes {
    /// Whether this failure from `ip` counts toward locking `account_id`.
    pub(super) fn counts(&self, account_id: i64, ip: IpAddr) -> bool {
        let mut map = self
            .by_account
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        map.entry(account_id).or_default().insert(Source::of(ip))
    }

    /// A sign-in or a lock: the account's addresses start again.
    pub(super) fn forget(&self, account_id: i64) {
        let mut map = self
            .by_account
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        map.remove(&account_id);
    }
}

/// Open live queues per sign-in and in all.
#[derive(Debug, Default)]
pub(super) struct Streams {
    by_session: Mutex<HashMap<String, usize>>,
}

/// One open live queue; dropping it frees its place.
pub(super) struct StreamSlot {
    streams: Arc<Streams>,
    session: String,
}

impl Streams {
    /// A place for one more stream of the session `session` (its token hash), or `None` when
    /// the session or the console is at its limit.
    pub(super) fn open(self: &Arc<Self>, session: &str) -> Option<StreamSlot> {
        let mut map = self
            .by_session
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let in_all: usize = map.values().sum();
        let mine = map.get(session).copied().unwrap_or(0);
        if in_all >= STREAMS_IN_ALL || mine >= STREAMS_PER_SESSION {
            return None;
        }
        map.insert(session.to_owned(), mine + 1);
        Some(StreamSlot {
            streams: Arc::clone(self),
            session: session.to_owned(),
        })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut map = self
            .streams
            .by_session
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = map.get_mut(&self.session) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.session);
            }
        }
    }
}

/// The host names the console answers to. A request naming another (a page elsewhere whose
/// name was rebound to this machine's address) is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Hosts {
    /// Lower-case names and addresses, without port.
    names: Vec<String>,
    /// Also any IP address written as such: set when no names were configured and the console
    /// listens on every address (an address typed into the browser cannot be rebound).
    any_address: bool,
}

impl Hosts {
    pub(super) fn new(names: &[String], any_address: bool) -> Hosts {
        Hosts {
            names: names.iter().map(|n| normal(n)).collect(),
            any_address,
        }
    }

    pub(super) fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether a request whose `Host` (or authority) is `host` (with or without port) is for
    /// this console.
    pub(super) fn allows(&self, host: &str) -> bool {
        let name = strip_port(host);
        let name = normal(name);
        if name.is_empty() {
            return false;
        }
        if self.names.contains(&name) {
            return true;
        }
        self.any_address && name.parse::<IpAddr>().is_ok()
    }
}

fn normal(name: &str) -> String {
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    name.strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .map(str::to_owned)
        .unwrap_or(name)
}

/// `host:port` → `host`; `[v6]:port` → `[v6]`; a bare IPv6 address is left whole.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => &host[..=end],
            None => host,
        };
    }
    match host.rsplit_once(':') {
        Some((name, port))
            if !name.contains(':')
                && !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit()) =>
        {
            name
        }
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_after_three_failures_up_to_a_minute() {
        let waits: Vec<u64> = (1..=12).map(|n| wait_after(n).as_secs()).collect();
        assert_eq!(waits, [0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
    }

    #[test]
    fn one_address_waits_and_another_does_not() {
        let throttle = Arc::new(Throttle::default());
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.7".parse().unwrap(), "10.0.0.8".parse().unwrap());
        let t0 = Instant::now();
        for _ in 0..3 {
            throttle.begin(a, t0).unwrap().failed(t0);
        }
        let wait = throttle.begin(a, t0).err().unwrap();
        assert_eq!(wait, Duration::from_secs(1));
        assert!(throttle.begin(b, t0).is_ok());
        let later = t0 + Duration::from_secs(1);
        let attempt = throttle.begin(a, later).unwrap();
        assert!(throttle.begin(a, later).is_err(), "one try at a time");
        attempt.succeeded();
        assert!(throttle.begin(a, later).is_ok());
    }

    #[test]
    fn an_ipv6_network_is_one_source() {
        let x: IpAddr = "2001:db8::1".parse().unwrap();
        let y: IpAddr = "2001:db8::ffff:1".parse().unwrap();
        let z: IpAddr = "2001:db8:0:1::1".parse().unwrap();
        assert_eq!(Source::of(x), Source::of(y));
        assert_ne!(Source::of(x), Source::of(z));
        let v4: IpAddr = "10.0.0.7".parse().unwrap();
        let mapped: IpAddr = "::ffff:10.0.0.7".parse().unwrap();
        assert_eq!(Source::of(v4), Source::of(mapped));
    }

    #[test]
    fn only_the_first_failure_per_address_counts_toward_a_lock() {
        let strikes = Strikes::default();
        let a: IpAddr = "10.0.0.7".parse().unwrap();
        assert!(strikes.counts(1, a));
        assert!(!strikes.counts(1, a));
        assert!(strikes.counts(2, a));
        strikes.forget(1);
        assert!(strikes.counts(1, a));
    }

    #[test]
    fn streams_are_bounded_per_session_and_in_all() {
        let streams = Arc::new(Streams::default());
        let mine: Vec<_> = (0..STREAMS_PER_SESSION)
            .map(|_| streams.open("s").unwrap())
            .collect();
        assert!(streams.open("s").is_none());
        drop(mine);
        assert!(streams.open("s").is_some());
        let all: Vec<_> = (0..STREAMS_IN_ALL)
            .map(|i| {
                streams
                    .open(&format!("s{}", i / STREAMS_PER_SESSION))
                    .unwrap()
            })
            .collect();
        assert!(streams.open("another").is_none());
        drop(all);
    }

    #[test]
    fn only_configured_hosts_are_answered() {
        let hosts = Hosts::new(
            &[
                "localhost".into(),
                "127.0.0.1".into(),
                "::1".into(),
                "uketsuke-1f".into(),
            ],
            false,
        );
        for ok in [
            "localhost",
            "localhost:8080",
            "LOCALHOST.",
            "127.0.0.1:8443",
            "[::1]:8080",
            "uketsuke-1f",
        ] {
            assert!(hosts.allows(ok), "{ok}");
        }
        for refused in [
            "evil.example",
            "evil.example:8080",
            "localhost.evil.example",
            "10.0.0.7",
            "",
            ":8080",
        ] {
            assert!(!hosts.allows(refused), "{refused}");
        }
        let any = Hosts::new(&["localhost".into()], true);
        assert!(any.allows("10.0.0.7:8443"));
        assert!(any.allows("[fe80::1]:8443"));
        assert!(!any.allows("evil.example"));
    }
}
