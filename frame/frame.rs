//! The software renderer drawing a window into an RGB8 frame in memory, and the frames.
//!
//! Slint's `SoftwareRenderer::render` is generic over the pixel type, so its code is compiled in
//! the crate that calls it, with that crate's optimisation level. Called from `uketsuke` itself,
//! test builds (opt-level 0) drew a 1080x1920 frame in ~70 ms instead of ~3.5 ms, which made the
//! frame benchmark's smoke run in CI meaningless and every screenshot and layout test slow. This
//! crate holds the one instantiation and is built optimised in every profile (see the root
//! `Cargo.toml`), like the dependencies.
#![forbid(unsafe_code)]

use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::{Rgb8Pixel, SharedPixelBuffer};

/// Draws `window` into `frame` (rows of `stride` pixels) if it needs a redraw, and returns how
/// many pixels were drawn, or `None` when nothing needed drawing.
///
/// `repaint` says what `frame` holds: `NewBuffer` (nothing: the whole window is drawn),
/// `ReusedBuffer` (the previous frame) or `SwappedBuffers` (the frame before the previous one, as
/// with a double-buffered display); for the last two only what changed since is drawn.
pub fn draw_rgb8(
    window: &MinimalSoftwareWindow,
    frame: &mut [Rgb8Pixel],
    stride: usize,
    repaint: RepaintBufferType,
) -> Option<u64> {
    let mut drawn = None;
    window.draw_if_needed(|renderer| {
        renderer.set_repaint_buffer_type(repaint);
        let region = renderer.render(frame, stride);
        drawn = Some(
            region
                .iter()
                .map(|(_, size)| u64::from(size.width) * u64::from(size.height))
                .sum(),
        );
    });
    drawn
}

/// A black frame of `width` x `height` pixels. (Filling 2 million pixels is generic code too:
/// unoptimised it took ~70 ms.)
pub fn blank_rgb8(width: u32, height: u32) -> SharedPixelBuffer<Rgb8Pixel> {
    SharedPixelBuffer::new(width, height)
}
