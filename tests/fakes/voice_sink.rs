//! A recording fake of the sound card behind the voice's seam (`uketsuke::voice::AudioSink`):
//! it keeps a copy of everything it is handed, and the test pulls samples from what still plays
//! as fast as it likes, as a device's callback would (no real-time waiting). Used by
//! tests/it/voice and benches/voice.rs.
#![allow(dead_code)]

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use uketsuke::voice::{AudioSink, Speech};

#[derive(Default)]
struct State {
    /// Speeches still playing (not cut, not finished).
    playing: Vec<Speech>,
    /// A copy of each speech handed over, whole, in order (what it would have said).
    handed: Vec<Vec<f32>>,
}

/// The fake sound card. Clones share one device.
#[derive(Clone, Default)]
pub struct RecordingSink {
    shared: Arc<(Mutex<State>, Condvar)>,
}

impl AudioSink for RecordingSink {
    fn play(&mut self, speech: Speech) {
        let (state, changed) = &*self.shared;
        let mut state = state.lock().unwrap();
        state.handed.push(speech.samples().to_vec());
        state.playing.push(speech);
        changed.notify_all();
    }
}

impl RecordingSink {
    pub fn new() -> RecordingSink {
        RecordingSink::default()
    }

    /// How many speeches it was handed so far.
    pub fn handed(&self) -> usize {
        self.shared.0.lock().unwrap().handed.len()
    }

    /// Each speech handed so far, whole.
    pub fn said(&self) -> Vec<Vec<f32>> {
        self.shared.0.lock().unwrap().handed.clone()
    }

    /// Waits until `n` speeches in all were handed over. Panics after `timeout` (a generous
    /// bound for a stuck voice thread, not a timing assertion).
    pub fn wait_for(&self, n: usize, timeout: Duration) {
        self.wait_until(timeout, |s| s.handed.len() >= n, &format!("{n} speeches"));
    }

    /// Waits until some speech plays that is not cut off.
    pub fn wait_for_playing(&self, timeout: Duration) {
        self.wait_until(
            timeout,
            |s| s.playing.iter().any(|p| !p.is_cut() && p.remaining() > 0),
            "a speech that is not cut off",
        );
    }

    fn wait_until(&self, timeout: Duration, done: impl Fn(&State) -> bool, what: &str) {
        let end = Instant::now() + timeout;
        let (state, changed) = &*self.shared;
        let mut state = state.lock().unwrap();
        while !done(&state) {
            let left = end.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "the voice handed over no {what} within {timeout:?}"
            );
            state = changed.wait_timeout(state, left).unwrap().0;
        }
    }

    /// Takes `n` samples as a device's callback does: each the sum of every speech still
    /// playing (one cut off or finished drops out; 0.0 when nothing plays).
    pub fn pull(&self, n: usize) -> Vec<f32> {
        let mut state = self.shared.0.lock().unwrap();
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let mut sum = 0.0;
            state.playing.retain_mut(|speech| match speech.next() {
                Some(sample) => {
                    sum += sample;
                    true
                }
                None => false,
            });
            out.push(sum);
        }
        out
    }

    /// Takes every sample until nothing plays (each speech cut off or finished).
    pub fn drain(&self) -> Vec<f32> {
        let mut out = Vec::new();
        while self.playing() {
            out.extend(self.pull(4800));
        }
        out
    }

    /// Whether some speech still plays.
    pub fn playing(&self) -> bool {
        let state = self.shared.0.lock().unwrap();
        state
            .playing
            .iter()
            .any(|speech| !speech.is_cut() && speech.remaining() > 0)
    }
}
