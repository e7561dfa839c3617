//! A plotters backend that draws a chart `scale` times larger than its size says, for the
//! print-resolution PNG of a Word document.
//!
//! Why a backend and not a second size: every chart lays itself out in pixels of its screen
//! size (font sizes, margins, marker radii, line widths). Drawn on a larger canvas as they are,
//! its text would come out tiny and its lines hairlines. This backend tells the chart its
//! screen size, so the chart lays out exactly as on screen, and multiplies every coordinate,
//! radius, stroke width and font size by `scale` on the way to the bitmap underneath: the same
//! chart, sharper. Positions are those of the screen layout (whole screen pixels, scaled);
//! text is set at the scaled size by the same embedded font, so it is drawn sharp, not
//! enlarged pixel by pixel.

use plotters::prelude::*;
use plotters::style::{FontDesc, TextStyle};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

/// `inner` (a bitmap `scale` times the chart's size) seen as a canvas of the chart's size.
pub struct Scaled<DB> {
    inner: DB,
    scale: f64,
    size: (u32, u32),
}

impl<DB: DrawingBackend> Scaled<DB> {
    /// A canvas of `size` pixels drawn onto `inner`, `scale` times larger.
    pub fn new(inner: DB, size: (u32, u32), scale: f64) -> Scaled<DB> {
        Scaled { inner, scale, size }
    }

    fn length(&self, v: i32) -> i32 {
        (f64::from(v) * self.scale).round() as i32
    }

    fn point(&self, (x, y): BackendCoord) -> BackendCoord {
        (self.length(x), self.length(y))
    }

    fn points<I: IntoIterator<Item = BackendCoord>>(&self, points: I) -> Vec<BackendCoord> {
        points.into_iter().map(|p| self.point(p)).collect()
    }

    /// A stroke `scale` times wider; a visible stroke stays at least one pixel wide.
    fn stroke<S: BackendStyle>(&self, style: &S) -> Stroke {
        let w = style.stroke_width();
        Stroke {
            color: style.color(),
            width: if w == 0 {
                0
            } else {
                ((f64::from(w) * self.scale).round() as u32).max(1)
            },
        }
    }
}

/// A colour and a stroke width.
struct Stroke {
    color: BackendColor,
    width: u32,
}

impl BackendStyle for Stroke {
    fn color(&self) -> BackendColor {
        self.color
    }

    fn stroke_width(&self) -> u32 {
        self.width
    }
}

impl<DB: DrawingBackend> DrawingBackend for Scaled<DB> {
    type ErrorType = DB::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.size
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    /// A pixel of the chart: a square of `scale` pixels a side.
    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let from = self.point(point);
        let to = self.point((point.0 + 1, point.1 + 1));
        self.inner.draw_rect(from, to, &color, true)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let (from, to, stroke) = (self.point(from), self.point(to), self.stroke(style));
        self.inner.draw_line(from, to, &stroke)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let (from, to, stroke) = (
            self.point(upper_left),
            self.point(bottom_right),
            self.stroke(style),
        );
        self.inner.draw_rect(from, to, &stroke, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let (path, stroke) = (self.points(path), self.stroke(style));
        self.inner.draw_path(path, &stroke)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let radius = (f64::from(radius) * self.scale).round() as u32;
        let (center, stroke) = (self.point(center), self.stroke(style));
        self.inner.draw_circle(center, radius, &stroke, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let vert = self.points(vert);
        self.inner.fill_polygon(vert, &style.color())
    }

    /// The text at `scale` times its size, anchored at the scaled point. (Its size as the
    /// chart measures it, [`DrawingBackend::estimate_text_size`], stays the screen size.)
    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let font = FontDesc::new(style.family(), style.size() * self.scale, style.style())
            .transform(style.transform());
        let scaled = TextStyle {
            font,
            color: style.color(),
            pos: style.anchor(),
        };
        let pos = self.point(pos);
        self.inner.draw_text(text, &scaled, pos)
    }
}

#[cfg(test)]
mod tests {
    use plotters::prelude::*;

    use crate::render::charts::{
        Chart, ChartError, FAMILY, canvas, draw_on, drawing, png, print_png,
    };

    /// A small chart of each kind of mark: a filled bar, a thick and a thin line, a circle and
    /// text.
    struct Marks;

    impl Chart for Marks {
        fn size(&self) -> (u32, u32) {
            (120, 80)
        }

        fn draw<DB: DrawingBackend>(
            &self,
            root: &DrawingArea<DB, plotters::coord::Shift>,
        ) -> Result<(), ChartError> {
            root.draw(&Rectangle::new([(10, 50), (30, 75)], BLUE.filled()))
                .map_err(drawing)?;
            root.draw(&PathElement::new(
                vec![(5, 10), (110, 40)],
                RED.stroke_width(3),
            ))
            .map_err(drawing)?;
            root.draw(&PathElement::new(vec![(40, 70), (115, 70)], BLACK))
                .map_err(drawing)?;
            root.draw(&Circle::new((80, 20), 6, GREEN.filled()))
                .map_err(drawing)?;
            root.draw(&Text::new("Ab 12", (40, 45), (FAMILY, 16)))
                .map_err(drawing)?;
            Ok(())
        }
    }

    /// Decodes an 8-bit RGB PNG: its size and pixels.
    fn decode(bytes: &[u8]) -> ((u32, u32), Vec<u8>) {
        let mut reader = ::png::Decoder::new(bytes).read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut pixels).unwrap();
        assert_eq!(info.color_type, ::png::ColorType::Rgb);
        ((info.width, info.height), pixels)
    }

    /// Mean absolute difference per channel, from 0 to 255, of `small` and `large` shrunk by
    /// `k` (each k-by-k block averaged).
    fn difference(small: &[u8], (w, h): (u32, u32), large: &[u8], k: u32) -> f64 {
        let (w, h, k) = (w as usize, h as usize, k as usize);
        let mut total = 0.0;
        for y in 0..h {
            for x in 0..w {
                for c in 0..3 {
                    let mut sum = 0.0;
                    for dy in 0..k {
                        for dx in 0..k {
                            let at = ((y * k + dy) * w * k + x * k + dx) * 3 + c;
                            sum += f64::from(large[at]);
                        }
                    }
                    let mean = sum / (k * k) as f64;
                    total += (mean - f64::from(small[(y * w + x) * 3 + c])).abs();
                }
            }
        }
        total / (w * h * 3) as f64
    }

    /// A chart drawn for print at twice its size, shrunk back, looks like the chart drawn at
    /// its size: every mark, line width and letter is scaled with it, so they differ by less
    /// than this many levels (of 255) on average. Measured: 3.0 (letters, lines and edges are
    /// rasterised anew at the larger size, not enlarged); the same chart drawn on the larger
    /// canvas without scaling differs by 27.
    const SAME_LOOK: f64 = 5.0;

    #[test]
    fn the_print_image_is_the_screen_image_scaled() {
        let ((w, h), screen) = decode(&png(&Marks).unwrap());
        let print = print_png(&Marks, 2 * w, 300).unwrap();
        assert_eq!((print.width, print.height), (2 * w, 2 * h));
        let (size, large) = decode(&print.bytes);
        assert_eq!(size, (2 * w, 2 * h));
        let d = difference(&screen, (w, h), &large, 2);
        // The measure tells a chart merely drawn on the larger canvas apart.
        let mut pixels = canvas((2 * w, 2 * h));
        draw_on(
            &Marks,
            BitMapBackend::with_buffer(&mut pixels, (2 * w, 2 * h)),
        )
        .unwrap();
        let unscaled = difference(&screen, (w, h), &pixels, 2);
        assert!(d < SAME_LOOK, "the print image shrunk differs by {d}");
        assert!(
            unscaled > 4.0 * SAME_LOOK,
            "unscaled differs by only {unscaled}"
        );
        // Drawn at its own size when asked for fewer pixels.
        let narrow = print_png(&Marks, 50, 300).unwrap();
        assert_eq!((narrow.width, narrow.height), (w, h));
    }

    #[test]
    fn the_print_image_records_its_resolution() {
        let print = print_png(&Marks, 240, 300).unwrap();
        let reader = ::png::Decoder::new(print.bytes.as_slice())
            .read_info()
            .unwrap();
        let dims = reader.info().pixel_dims.expect("a pHYs chunk");
        // 300 dots per inch are 11,811.02 a metre.
        assert_eq!((dims.xppu, dims.yppu), (11_811, 11_811));
        assert_eq!(dims.unit, ::png::Unit::Meter);
        // The chart files record none, as before.
        let file = png(&Marks).unwrap();
        let reader = ::png::Decoder::new(file.as_slice()).read_info().unwrap();
        assert!(reader.info().pixel_dims.is_none());
    }
}
