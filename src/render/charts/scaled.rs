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
