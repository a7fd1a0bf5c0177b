//! The views drawn to pixels without a display: the software renderer into a buffer in memory.
//! Used by `uketsuke screenshots`, the layout tests and the frame benchmark.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::platform::{Platform, WindowAdapter};
use slint::{ComponentHandle, PhysicalSize, Rgb8Pixel, SharedPixelBuffer};

use super::catalogue::{Sample, sample_time};
use super::present::present;
use super::{AppWindow, Language, select_language};

/// How much body text an RGB8 frame shows: pixels dark enough to be the text colour (#111).
/// Coloured fills and buttons do not count, so a screen whose Japanese glyphs came out blank
/// (no CJK font) shows far less than the same screen in English.
/// (Counted in the optimised frame crate: unoptimised, a 1080x1920 frame took tens of ms.)
pub fn text_ink(rgb: &[u8]) -> usize {
    uketsuke_frame::dark_pixels(rgb)
}

/// The resolutions the kiosk supports: portrait, landscape, and a 10-inch tablet.
pub const RESOLUTIONS: [(u32, u32); 3] = [(1080, 1920), (1920, 1080), (1280, 800)];

struct HeadlessPlatform {
    window: Rc<MinimalSoftwareWindow>,
}

impl Platform for HeadlessPlatform {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, slint::PlatformError> {
        Ok(self.window.clone())
    }
}

thread_local! {
    static WINDOW: RefCell<Option<Rc<MinimalSoftwareWindow>>> = const { RefCell::new(None) };
}

/// The one headless window of this thread, installing the headless platform on first use. A
/// process uses either this or a real backend, never both.
fn platform_window() -> Result<Rc<MinimalSoftwareWindow>> {
    WINDOW.with(|w| {
        if let Some(window) = w.borrow().as_ref() {
            return Ok(window.clone());
        }
        let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
        slint::platform::set_platform(Box::new(HeadlessPlatform {
            window: window.clone(),
        }))
        .context("cannot install the headless renderer (another Slint backend is in use)")?;
        *w.borrow_mut() = Some(window.clone());
        Ok(window)
    })
}

/// The views in a window of their own, drawn on request.
pub struct Headless {
    window: Rc<MinimalSoftwareWindow>,
    pub app: AppWindow,
    width: u32,
    height: u32,
    buffer: SharedPixelBuffer<Rgb8Pixel>,
    /// The other frame of a double-buffered display, made by the first `render_changes`.
    back: Option<SharedPixelBuffer<Rgb8Pixel>>,
}

impl Headless {
    pub fn new(width: u32, height: u32) -> Result<Headless> {
        let window = platform_window()?;
        let app = AppWindow::new().context("cannot build the views")?;
        let mut headless = Headless {
            window,
            app,
            width,
            height,
            buffer: uketsuke_frame::blank_rgb8(width, height),
            back: None,
        };
        headless.resize(width, height);
        // Drawn as a kiosk runs by default: with voice guidance, so its Repeat button is in
        // every screenshot and in the fit test.
        headless.app.global::<super::Kiosk>().set_voice_on(true);
        headless.app.show().context("cannot show the views")?;
        Ok(headless)
    }

    pub fn resize(&mut self, width: u32, height: u32) {
        self.width = width;
        self.height = height;
        self.window.set_size(PhysicalSize::new(width, height));
        self.buffer = uketsuke_frame::blank_rgb8(width, height);
        self.back = None;
    }

    /// Shows `sample` in `language`.
    pub fn show(&mut self, sample: &Sample, language: Language) {
        select_language(&self.app, language);
        present(
            &self.app,
            &sample.view,
            sample_time(),
            if sample.name.starts_with("pin") { 2 } else { 0 },
        );
        let staff = sample.staff.as_ref();
        super::present::present_staff(
            &self.app,
            staff.map(|s| &s.view),
            staff.and_then(|s| s.reader),
            sample_time(),
            staff.map_or(0, |s| s.digits_typed),
        );
        if let Some(why) = sample.out_of_order {
            super::present::present_out_of_order(&self.app, why);
        }
        self.app
            .global::<super::Kiosk>()
            .set_choosing_language(sample.language_chooser);
    }

    /// Whether the "Larger text" button is shown (the facility's `large_type`; on by default,
    /// off as a bare `Headless` starts). The fit test draws every screen with it, the widest
    /// top bar.
    pub fn offer_large_type(&self, offered: bool) {
        self.app
            .global::<super::Kiosk>()
            .set_large_type_offered(offered);
    }

    /// Large type and high contrast on or off (`Theme.large`, issue 18 item 3), as the
    /// patient's "Larger text" button sets it.
    pub fn set_large(&self, large: bool) {
        self.app.global::<super::Theme>().set_large(large);
    }

    /// Draws a whole frame and returns how long the renderer took.
    pub fn render(&mut self) -> Duration {
        slint::platform::update_timers_and_animations();
        self.window.request_redraw();
        let width = self.width as usize;
        let frame = self.buffer.make_mut_slice();
        let start = Instant::now();
        uketsuke_frame::draw_rgb8(&self.window, frame, width, RepaintBufferType::NewBuffer);
        start.elapsed()
    }

    /// Draws the next frame as a double-buffered display does (the device's KMS backend with
    /// dumb buffers): into the frame shown before the last one, redrawing only what changed
    /// since then. Returns how long the renderer took and how many pixels it drew. The first two
    /// frames after `render` are whole.
    pub fn render_changes(&mut self) -> (Duration, u64) {
        slint::platform::update_timers_and_animations();
        let (width, height) = (self.width, self.height);
        let back = self
            .back
            .get_or_insert_with(|| uketsuke_frame::blank_rgb8(width, height));
        std::mem::swap(&mut self.buffer, back);
        let width = self.width as usize;
        let frame = self.buffer.make_mut_slice();
        let start = Instant::now();
        let drawn = uketsuke_frame::draw_rgb8(
            &self.window,
            frame,
            width,
            RepaintBufferType::SwappedBuffers,
        );
        let elapsed = start.elapsed();
        if drawn.is_none() {
            // Nothing changed: a display would not flip either.
            if let Some(back) = self.back.as_mut() {
                std::mem::swap(&mut self.buffer, back);
            }
        }
        (elapsed, drawn.unwrap_or(0))
    }

    /// The last frame drawn.
    pub fn pixels(&self) -> &SharedPixelBuffer<Rgb8Pixel> {
        &self.buffer
    }

    /// Writes the last frame as a PNG.
    pub fn save_png(&self, path: &Path) -> Result<()> {
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), self.width, self.height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder
            .write_header()
            .with_context(|| format!("cannot write {}", path.display()))?;
        writer
            .write_image_data(self.buffer.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
        writer
            .finish()
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(())
    }

    /// Whether everything laid out fits the kiosk area (nothing squeezed or cut off), and the
    /// sizes compared: (min width, min height, width, height) in logical pixels.
    pub fn fits(&self) -> (bool, [f32; 4]) {
        let sizes = [
            self.app.get_content_min_width(),
            self.app.get_content_min_height(),
            self.app.get_kiosk_width(),
            self.app.get_kiosk_height(),
        ];
        (
            sizes[0] <= sizes[2] + 0.5 && sizes[1] <= sizes[3] + 0.5,
            sizes,
        )
    }
}
