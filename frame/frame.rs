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

/// How many pixels of an RGB8 frame are near-black (every channel under 64): the body text
/// colour (#111). Here, optimised, because tests call it on every frame they check
/// (unoptimised, a 1080x1920 frame took ~20 ms).
pub fn dark_pixels(rgb: &[u8]) -> usize {
    rgb.chunks_exact(3)
        .filter(|p| p[0].max(p[1]).max(p[2]) < 64)
        .count()
}

// The fit test's pixel reading (tests/it/ui_every_screen_fits.rs), here to run optimised: in the
// test crate (opt-level 0) it was most of the sweep's time.

/// How a text was drawn, read from an RGB8 frame (`frame_width` pixels a row) inside its
/// element's box (logical pixels at scale 1): the lines (bands of rows
/// holding ink, i.e. pixels far from the box's most common colour) and, for a button's or a
/// notice's words, whether its ink runs into the border of the element around it (cut off, as
/// "Erase" was on its key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drawn {
    pub lines: usize,
    pub touches_edge: bool,
}

pub fn drawn(
    rgb: &[u8],
    frame_width: usize,
    pos: slint::LogicalPosition,
    size: slint::LogicalSize,
    one_line: f32,
    count_lines: bool,
    border: Option<(f32, f32)>,
) -> Drawn {
    let frame_height = rgb.len() / 3 / frame_width;
    let x0 = (pos.x.ceil().max(0.0) as usize).min(frame_width);
    let x1 = ((pos.x + size.width).floor().max(0.0) as usize).min(frame_width);
    let y0 = (pos.y.ceil().max(0.0) as usize).min(frame_height);
    let y1 = ((pos.y + size.height).floor().max(0.0) as usize).min(frame_height);
    if x1 <= x0 + 2 || y1 <= y0 + 2 {
        return Drawn {
            lines: 0,
            touches_edge: false,
        };
    }
    let px = |x: usize, y: usize| {
        let i = (y * frame_width + x) * 3;
        [rgb[i], rgb[i + 1], rgb[i + 2]]
    };
    // The box's top and bottom rows lie above and below the glyphs: their commonest colour is
    // the background.
    let mut edge: Vec<[u8; 3]> = (x0..x1).flat_map(|x| [px(x, y0), px(x, y1 - 1)]).collect();
    edge.sort_unstable();
    let background = edge
        .chunk_by(|a, b| a == b)
        .max_by_key(|run| run.len())
        .map(|run| run[0])
        .unwrap_or_default();
    let ink = |x: usize, y: usize| {
        let p = px(x, y);
        (0..3)
            .map(|i| p[i].abs_diff(background[i]))
            .max()
            .unwrap_or(0)
            > 96
    };
    let touches_edge = match border {
        // Ink just inside the surrounding element's border, on a row of this text.
        Some((left, right)) => {
            let (l, r) = (
                left.ceil().max(0.0) as usize,
                right.floor().max(0.0) as usize,
            );
            (y0..y1).any(|y| {
                (l < frame_width && ink(l, y)) || (r > 0 && r <= frame_width && ink(r - 1, y))
            })
        }
        None => false,
    };
    // A box lower than two of the smallest lines holds one line at most: no need to look.
    if !count_lines || (y1 - y0) as f32 <= 2.0 * one_line {
        return Drawn {
            lines: 1,
            touches_edge,
        };
    }
    let rows: Vec<bool> = (y0..y1).map(|y| (x0..x1).any(|x| ink(x, y))).collect();
    let mut bands: Vec<(usize, usize)> = Vec::new();
    for (i, &inked) in rows.iter().enumerate() {
        if !inked {
            continue;
        }
        match bands.last_mut() {
            Some(b) if b.1 + 1 == i => b.1 = i,
            _ => bands.push((i, i)),
        }
    }
    // A blank row or two inside one line (between the strokes of 「二」) is not a line break.
    let tallest = bands.iter().map(|b| b.1 - b.0 + 1).max().unwrap_or(0);
    let mut lines = 0;
    let mut last_end: Option<usize> = None;
    for (start, end) in bands {
        if last_end.is_none_or(|e| start - e > (tallest / 12).max(2)) {
            lines += 1;
        }
        last_end = Some(end);
    }
    Drawn {
        lines,
        touches_edge,
    }
}
