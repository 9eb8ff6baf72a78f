//! Procedural picture-book "paintings": a night-sky gradient, rolling hills, a moon and soft
//! glowing circles, all seeded by the prompt's hash so different prompts look different.
//! Kept simple (rows, columns and circle bounding boxes) so 1024² paints in milliseconds.

use super::story::Seeded;

type Rgb = [f32; 3];

fn hsv(h: f64, s: f64, v: f64) -> Rgb {
    let h = (h.rem_euclid(1.0)) * 6.0;
    let i = h.floor();
    let f = h - i;
    let (p, q, t) = (v * (1.0 - s), v * (1.0 - s * f), v * (1.0 - s * (1.0 - f)));
    let (r, g, b) = match i as u32 {
        0 => (v, t, p),
        1 => (q, v, p),
        2 => (p, v, t),
        3 => (p, q, v),
        4 => (t, p, v),
        _ => (v, p, q),
    };
    [(r * 255.0) as f32, (g * 255.0) as f32, (b * 255.0) as f32]
}

fn lerp(a: Rgb, b: Rgb, t: f32) -> Rgb {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

struct Canvas {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

impl Canvas {
    fn blend(&mut self, x: usize, y: usize, c: Rgb, alpha: f32) {
        let i = (y * self.w + x) * 3;
        for (slot, target) in self.px[i..i + 3].iter_mut().zip(c) {
            let old = f32::from(*slot);
            *slot = (old + (target - old) * alpha).clamp(0.0, 255.0) as u8;
        }
    }

    /// A filled circle with a soft edge.
    fn circle(&mut self, cx: f64, cy: f64, r: f64, c: Rgb, alpha: f32) {
        if r <= 0.5 {
            return;
        }
        let x0 = (cx - r).floor().max(0.0) as usize;
        let x1 = ((cx + r).ceil() as usize).min(self.w.saturating_sub(1));
        let y0 = (cy - r).floor().max(0.0) as usize;
        let y1 = ((cy + r).ceil() as usize).min(self.h.saturating_sub(1));
        let feather = (r * 0.15).max(1.0);
        for y in y0..=y1 {
            let dy = y as f64 - cy;
            for x in x0..=x1 {
                let dx = x as f64 - cx;
                let d = (dx * dx + dy * dy).sqrt();
                if d <= r {
                    let edge = ((r - d) / feather).min(1.0) as f32;
                    self.blend(x, y, c, alpha * edge);
                }
            }
        }
    }
}

/// Paints a `width`×`height` RGB image for `prompt`; returns the raw pixels.
pub(crate) fn paint(prompt: &str, width: u32, height: u32) -> Vec<u8> {
    let (w, h) = (width.max(1) as usize, height.max(1) as usize);
    let mut rng = Seeded::from_parts(&["offline-art", prompt]);
    let hue = rng.unit();
    let top = hsv(hue, 0.55, 0.35 + 0.2 * rng.unit());
    let bottom = hsv(hue + 0.08 + 0.2 * rng.unit(), 0.45, 0.85);
    let mut canvas = Canvas {
        w,
        h,
        px: vec![0; w * h * 3],
    };

    // Sky: one colour per row.
    for y in 0..h {
        let c = lerp(top, bottom, y as f32 / h as f32);
        let row = [c[0] as u8, c[1] as u8, c[2] as u8];
        for chunk in canvas.px[y * w * 3..(y + 1) * w * 3].chunks_exact_mut(3) {
            chunk.copy_from_slice(&row);
        }
    }

    // Stars.
    let scale = (w.min(h) as f64 / 1024.0).max(0.05);
    for _ in 0..(40 + rng.below(60)) {
        let (x, y) = (rng.unit() * w as f64, rng.unit() * h as f64 * 0.55);
        canvas.circle(
            x,
            y,
            (1.5 + rng.unit() * 2.5) * scale * 2.0,
            [255.0, 250.0, 220.0],
            0.9,
        );
    }

    // Moon (or sun) and glowing bubbles.
    let moon_r = (0.07 + 0.06 * rng.unit()) * w.min(h) as f64;
    canvas.circle(
        (0.15 + 0.7 * rng.unit()) * w as f64,
        (0.1 + 0.2 * rng.unit()) * h as f64,
        moon_r,
        hsv(0.12 + 0.05 * rng.unit(), 0.25, 1.0),
        0.95,
    );
    for _ in 0..(5 + rng.below(8)) {
        let c = hsv(hue + 0.3 + 0.5 * rng.unit(), 0.5, 0.95);
        let r = (0.02 + 0.06 * rng.unit()) * w.min(h) as f64;
        canvas.circle(
            rng.unit() * w as f64,
            rng.unit() * h as f64 * 0.7,
            r,
            c,
            0.45,
        );
    }

    // Rolling hills: per column heights from a few sines, filled downwards.
    for layer in 0..3 {
        let base = h as f64 * (0.62 + 0.1 * layer as f64);
        let amp = h as f64 * (0.04 + 0.05 * rng.unit());
        let freq = (1.0 + 2.5 * rng.unit()) * std::f64::consts::TAU / w as f64;
        let phase = rng.unit() * std::f64::consts::TAU;
        let c = hsv(
            hue + 0.25 + 0.15 * rng.unit(),
            0.5,
            0.35 + 0.15 * layer as f64,
        );
        let row = [c[0] as u8, c[1] as u8, c[2] as u8];
        for x in 0..w {
            let top_y =
                (base + amp * (freq * x as f64 + phase).sin()).clamp(0.0, h as f64) as usize;
            for y in top_y..h {
                let i = (y * w + x) * 3;
                canvas.px[i..i + 3].copy_from_slice(&row);
            }
        }
    }

    // Two friends on the front hill: a larger and a smaller round figure.
    let fx = (0.3 + 0.3 * rng.unit()) * w as f64;
    let fy = h as f64 * 0.8;
    let fr = 0.05 * w.min(h) as f64;
    canvas.circle(fx, fy, fr, hsv(hue + 0.55, 0.6, 0.95), 1.0);
    canvas.circle(
        fx + fr * 2.2,
        fy + fr * 0.4,
        fr * 0.6,
        hsv(hue + 0.05, 0.6, 0.95),
        1.0,
    );
    canvas.px
}

/// Paints and encodes a PNG (fast compression; labelled as offline art in a tEXt chunk).
pub(crate) fn paint_png(
    prompt: &str,
    width: u32,
    height: u32,
) -> Result<Vec<u8>, png::EncodingError> {
    let pixels = paint(prompt, width, height);
    let mut out = Vec::with_capacity(pixels.len() / 4);
    {
        let mut encoder = png::Encoder::new(&mut out, width.max(1), height.max(1));
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        encoder.add_text_chunk(
            "Description".to_owned(),
            "InfiniteStories offline placeholder art (procedural, not AI-generated)".to_owned(),
        )?;
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&pixels)?;
        writer.finish()?;
    }
    Ok(out)
}
