//! Charts drawn with plotters, identical on every machine: a fixed size, an embedded font
//! (DejaVu Sans, through ab_glyph: no system font is looked up), the Okabe-Ito colour-blind-safe
//! palette, and axis titles with units. Each chart draws onto any plotters backend; this module
//! turns it into PNG bytes (rendered into memory and encoded here) or an SVG string, which the
//! caller writes atomically.
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

/// The chart as PNG bytes.
///
/// # Errors
/// [`ChartError`] when drawing or encoding fails.
pub fn png<C: Chart>(chart: &C) -> Result<Vec<u8>, ChartError> {
    ensure_font();
    let (w, h) = chart.size();
    let mut pixels = vec![255u8; (w as usize) * (h as usize) * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        chart.draw(&root)?;
        root.present().map_err(drawing)?;
    }
    let mut out = Vec::new();
    // 8-bit RGB: no byte-order question.
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut out),
        &pixels,
        w,
        h,
        image::ColorType::Rgb8,
    )
    .map_err(|e| ChartError(e.to_string()))?;
    Ok(out)
}

/// The chart as an SVG document.
///
/// # Errors
/// [`ChartError`] when drawing fails.
pub fn svg<C: Chart>(chart: &C) -> Result<String, ChartError> {
    ensure_font();
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, chart.size()).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        chart.draw(&root)?;
        root.present().map_err(drawing)?;
    }
    Ok(text)
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
