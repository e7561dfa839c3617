//! Charts drawn with plotters, identical on every machine: a fixed size, an embedded font
//! (DejaVu Sans, through ab_glyph: no system font is looked up), the Okabe-Ito colour-blind-safe
//! palette, and axis titles with units. Each chart draws onto any plotters backend; this module
//! turns it into PNG bytes (rendered into memory and encoded here) or an SVG string, which the
//! caller writes atomically. For print ([`print_png`]) the same drawing goes through a
//! backend that scales it ([`scaled`]), so a chart in a Word document is sharp at 300 dpi
//! with its text and lines in the proportions of the screen image.
//!
//! Why embedded: a chart whose text depends on the fonts installed would differ between the
//! laptop and the CI machine, and plotters' default font lookup fails outright on a server with
//! no fonts. DejaVu Sans is under the Bitstream Vera / DejaVu licence
//! (`assets/fonts/DejaVuSans-LICENSE.txt`).

pub mod adherence;
pub mod consort;
pub mod dose;
pub mod forest;
pub mod funnel;
pub mod monitor;
pub mod rates;
pub mod scaled;
pub mod simulation;
pub mod slopes;
pub mod waterfall;

use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

/// The embedded font.
static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// The family name charts ask for.
pub const FAMILY: &str = "sans-serif";

/// Okabe & Ito (2008) colour-blind-safe palette, ordered so that the yellow, faint on white,
/// comes last: orange, sky blue, bluish green, blue, vermillion, reddish purple, yellow. Grey
/// is kept for control.
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 158, 115),
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(204, 121, 167),
    RGBColor(240, 228, 66),
];

/// The colour of the control arm.
pub const CONTROL: RGBColor = RGBColor(120, 120, 120);

/// Registers the embedded font once per process.
fn ensure_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is compiled in and known to parse; if it did not, text would be missing
        // and the chart tests would fail.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

/// A chart failed to render.
#[derive(Debug, thiserror::Error)]
#[error("drawing the chart failed: {0}")]
pub struct ChartError(pub String);

/// Converts a plotters drawing error.
pub fn drawing<E: std::fmt::Debug>(e: E) -> ChartError {
    ChartError(format!("{e:?}"))
}

/// A chart that can draw itself on any backend.
pub trait Chart {
    /// Size in pixels.
    fn size(&self) -> (u32, u32);
    /// Draws onto `root`.
    ///
    /// # Errors
    /// [`ChartError`] when plotters fails.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError>;
}

/// The chart as PNG bytes, at its own size.
///
/// # Errors
/// [`ChartError`] when drawing or encoding fails.
pub fn png<C: Chart>(chart: &C) -> Result<Vec<u8>, ChartError> {
    let size = chart.size();
    let mut pixels = canvas(size);
    draw_on(chart, BitMapBackend::with_buffer(&mut pixels, size))?;
    encode(&pixels, size, Encoding::File)
}

/// A chart as PNG.
#[derive(Debug, Clone)]
pub struct Png {
    /// The encoded image.
    pub bytes: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// The chart as PNG `width` pixels wide (at its own size if that is wider), for print: laid
/// out as at its own size, with every length, stroke and font size scaled
/// ([`scaled::Scaled`]); the file records `dpi` (its pHYs chunk), the resolution the caller
/// sets it at, and is compressed harder than the chart files (a document embeds several: at
/// zlib's default level the funnel plot takes 40% fewer bytes than at the fast one).
///
/// # Errors
/// [`ChartError`] when drawing or encoding fails.
pub fn print_png<C: Chart>(chart: &C, width: u32, dpi: u32) -> Result<Png, ChartError> {
    let (w, h) = chart.size();
    let scale = f64::from(width.max(w)) / f64::from(w.max(1));
    let size = (
        (f64::from(w) * scale).round() as u32,
        (f64::from(h) * scale).round() as u32,
    );
    let mut pixels = canvas(size);
    let bitmap = BitMapBackend::with_buffer(&mut pixels, size);
    draw_on(chart, scaled::Scaled::new(bitmap, (w, h), scale))?;
    Ok(Png {
        bytes: encode(&pixels, size, Encoding::Print { dpi })?,
        width: size.0,
        height: size.1,
    })
}

/// The chart as an SVG document.
///
/// # Errors
/// [`ChartError`] when drawing fails.
pub fn svg<C: Chart>(chart: &C) -> Result<String, ChartError> {
    let mut text = String::new();
    draw_on(chart, SVGBackend::with_string(&mut text, chart.size()))?;
    Ok(text)
}

/// White RGB pixels, `size` of them.
fn canvas((w, h): (u32, u32)) -> Vec<u8> {
    vec![255u8; (w as usize) * (h as usize) * 3]
}

/// Draws `chart` on white on `backend`.
fn draw_on<C: Chart, DB: DrawingBackend>(chart: &C, backend: DB) -> Result<(), ChartError> {
    ensure_font();
    let root = backend.into_drawing_area();
    root.fill(&WHITE).map_err(drawing)?;
    chart.draw(&root)?;
    root.present().map_err(drawing)
}

/// Metres in an inch.
const METRES_PER_INCH: f64 = 0.0254;

/// How a chart is encoded as PNG: 8-bit RGB (no byte-order question), adaptive filtering.
#[derive(Clone, Copy)]
enum Encoding {
    /// A chart file: the settings image 0.24's encoder used (fast compression), so the chart
    /// files keep their bytes.
    File,
    /// For print: the resolution recorded (a pHYs chunk), zlib's default compression.
    Print {
        /// Dots per inch.
        dpi: u32,
    },
}

/// `pixels` as PNG.
fn encode(pixels: &[u8], (w, h): (u32, u32), how: Encoding) -> Result<Vec<u8>, ChartError> {
    let failed = |e: png::EncodingError| ChartError(e.to_string());
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_filter(png::FilterType::Sub);
    encoder.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    match how {
        Encoding::File => encoder.set_compression(png::Compression::Fast),
        Encoding::Print { dpi } => {
            encoder.set_compression(png::Compression::Default);
            let per_metre = (f64::from(dpi) / METRES_PER_INCH).round() as u32;
            encoder.set_pixel_dims(Some(png::PixelDimensions {
                xppu: per_metre,
                yppu: per_metre,
                unit: png::Unit::Meter,
            }));
        }
    }
    let mut writer = encoder.write_header().map_err(failed)?;
    writer.write_image_data(pixels).map_err(failed)?;
    writer.finish().map_err(failed)?;
    Ok(out)
}

/// `v` held inside `lo..=hi` (NaN goes to `lo`). Values drawn from a document read back
/// (`--sim`) may lie far outside the axes, and plotters maps a coordinate to pixels with an
/// integer addition that overflows (a panic in debug builds, garbage in release) for values
/// millions of times the axis range.
#[must_use]
pub fn within(v: f64, lo: f64, hi: f64) -> f64 {
    if v.is_nan() { lo } else { v.clamp(lo, hi) }
}

/// At most `max` values evenly spaced through `sorted` (all of them when there are fewer), so a
/// million-participant arm draws like its distribution, not like a million marks.
#[must_use]
pub fn evenly_spaced(sorted: &[f64], max: usize) -> Vec<f64> {
    if sorted.len() <= max || max < 2 {
        return sorted.to_vec();
    }
    let last = sorted.len() - 1;
    (0..max).map(|i| sorted[i * last / (max - 1)]).collect()
}

/// Draws the grid and both axes of a chart on plain numbers, labelled in whole numbers, in the
/// house style (no minor grid lines).
///
/// # Errors
/// [`ChartError`] when plotters fails.
pub fn whole_number_mesh<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    x_desc: &str,
    y_desc: &str,
) -> Result<(), ChartError> {
    mesh(chart, x_desc, y_desc, 0)
}

/// The house mesh with whole-number x labels and y labels to `y_decimals` decimals.
///
/// # Errors
/// [`ChartError`] when plotters fails.
pub fn mesh<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    x_desc: &str,
    y_desc: &str,
    y_decimals: usize,
) -> Result<(), ChartError> {
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.y_decimals$}"))
        .label_style((FAMILY, 15))
        .axis_desc_style((FAMILY, 16))
        .draw()
        .map_err(drawing)
}

/// Draws a chart's series legend in the lower right, in the house style.
///
/// # Errors
/// [`ChartError`] when plotters fails.
pub fn legend<
    'a,
    DB: DrawingBackend + 'a,
    X: plotters::coord::ranged1d::Ranged,
    Y: plotters::coord::ranged1d::Ranged,
>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
) -> Result<(), ChartError> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font((FAMILY, 14))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(drawing)
}

/// The label of a categorical axis position: `labels[i]` at whole-number `x = i`, nothing
/// between categories (plotters asks for labels at arbitrary positions).
#[must_use]
pub fn category_label(labels: &[String], x: f64) -> String {
    let i = x.round();
    if (x - i).abs() < 1e-9 && i >= 0.0 && (i as usize) < labels.len() {
        labels[i as usize].clone()
    } else {
        String::new()
    }
}
