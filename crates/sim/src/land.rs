//! The synthetic city's land: an outline of Quzhou cut into its counties (the Voronoi cells of
//! the real county seats), each county cut into towns, each town into communities, each
//! community into grids. Every piece is a convex polygon and the pieces of a region tile it
//! exactly, so a place put inside a piece is inside each of its ancestors too.
//!
//! Cuts are placed by area and tilted a little by a hash of the region's code, never by the
//! simulation's random stream: the geography changes no resident's day.

/// A point as GeoJSON writes it: (longitude, latitude) in degrees.
pub type Point = (f64, f64);

/// A degree of longitude is shorter than one of latitude this far north (cos 29°); lengths
/// compared across the two are scaled by it, so cuts run across a region's longer side as
/// the map shows it.
const LON_SCALE: f64 = 0.875;

/// A plausible outline of Quzhou (convex, counter-clockwise): about lon 118.0–119.35,
/// lat 28.25–29.5.
const OUTLINE: &[Point] = &[
    (118.62, 28.25),
    (118.95, 28.45),
    (119.25, 28.80),
    (119.35, 29.10),
    (119.15, 29.33),
    (118.75, 29.45),
    (118.40, 29.50),
    (118.12, 29.35),
    (118.02, 29.05),
    (118.12, 28.65),
    (118.35, 28.36),
];

/// A convex polygon, counter-clockwise, its first point not repeated at the end.
#[derive(Clone, Debug)]
pub struct Shape(Vec<Point>);

impl Shape {
    /// The whole city.
    pub fn outline() -> Shape {
        Shape(OUTLINE.to_vec())
    }

    /// The county cells: the part of `self` nearer (on the map) to each seat than to any other.
    pub fn voronoi(&self, seats: &[Point]) -> Vec<Shape> {
        seats
            .iter()
            .enumerate()
            .map(|(i, &a)| {
                seats.iter().enumerate().filter(|&(j, _)| j != i).fold(
                    self.clone(),
                    |cell, (_, &b)| {
                        // Keep the side of the bisector of a and b that holds a.
                        let n = ((b.0 - a.0) * LON_SCALE * LON_SCALE, b.1 - a.1);
                        let mid = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
                        cell.clip(n, dot(n, mid))
                    },
                )
            })
            .collect()
    }

    pub fn area(&self) -> f64 {
        let v = &self.0;
        (0..v.len())
            .map(|i| {
                let (a, b) = (v[i], v[(i + 1) % v.len()]);
                a.0 * b.1 - b.0 * a.1
            })
            .sum::<f64>()
            / 2.0
    }

    /// The centre of mass, inside a convex shape.
    pub fn centroid(&self) -> Point {
        let v = &self.0;
        let (mut x, mut y, mut a) = (0.0, 0.0, 0.0);
        for i in 0..v.len() {
            let (p, q) = (v[i], v[(i + 1) % v.len()]);
            let w = p.0 * q.1 - q.0 * p.1;
            x += (p.0 + q.0) * w;
            y += (p.1 + q.1) * w;
            a += w;
        }
        if a.abs() < 1e-18 {
            return v[0];
        }
        (x / (3.0 * a), y / (3.0 * a))
    }

    /// Whether `p` lies inside (or on the edge).
    pub fn contains(&self, p: Point) -> bool {
        let v = &self.0;
        (0..v.len()).all(|i| {
            let (a, b) = (v[i], v[(i + 1) % v.len()]);
            (b.0 - a.0) * (p.1 - a.1) - (b.1 - a.1) * (p.0 - a.0) >= -1e-12
        })
    }

    /// A point well inside: `share` of the way from the centre to corner `k` (taken round the
    /// corners). Inside for any share below 1, since the shape is convex.
    pub fn spot(&self, k: usize, share: f64) -> Point {
        let c = self.centroid();
        let v = self.0[k % self.0.len()];
        (c.0 + share * (v.0 - c.0), c.1 + share * (v.1 - c.1))
    }

    /// The part where `n · p <= c` (Sutherland–Hodgman against one half-plane).
    fn clip(&self, n: Point, c: f64) -> Shape {
        let v = &self.0;
        let mut out = Vec::with_capacity(v.len() + 1);
        for i in 0..v.len() {
            let (a, b) = (v[i], v[(i + 1) % v.len()]);
            let (da, db) = (dot(n, a) - c, dot(n, b) - c);
            if da <= 0.0 {
                out.push(a);
            }
            if (da < 0.0 && db > 0.0) || (da > 0.0 && db < 0.0) {
                let s = da / (da - db);
                out.push((a.0 + s * (b.0 - a.0), a.1 + s * (b.1 - a.1)));
            }
        }
        Shape(out)
    }

    /// Cuts the shape into `n` convex pieces of about equal area, by straight cuts across its
    /// longer side, recursively; `key` tilts each cut and moves it a little so the city does
    /// not look like a chessboard. Neighbouring pieces come one after another.
    pub fn split(&self, n: usize, key: &str) -> Vec<Shape> {
        let mut pieces = Vec::with_capacity(n);
        self.split_into(n, hash(key), &mut pieces);
        pieces
    }

    fn split_into(&self, n: usize, h: u64, out: &mut Vec<Shape>) {
        if n <= 1 {
            out.push(self.clone());
            return;
        }
        let k = n / 2;
        let (xs, ys) = (
            self.0.iter().map(|p| p.0 * LON_SCALE),
            self.0.iter().map(|p| p.1),
        );
        let span = |it: &mut dyn Iterator<Item = f64>| {
            it.fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(x), hi.max(x)))
        };
        let ((x0, x1), (y0, y1)) = (span(&mut { xs }), span(&mut { ys }));
        // Across the longer side, tilted by up to about 15°.
        let tilt = (unit(h, 1) - 0.5) * 0.5;
        let across = if x1 - x0 >= y1 - y0 {
            0.0
        } else {
            std::f64::consts::FRAC_PI_2
        };
        let n_dir = ((across + tilt).cos(), (across + tilt).sin());
        // The normal in degrees: a cut straight on the (scaled) map.
        let normal = (n_dir.0 * LON_SCALE, n_dir.1);
        let share = (k as f64 / n as f64) * (1.0 + (unit(h, 2) - 0.5) * 0.16);
        let (lo, hi) = self
            .0
            .iter()
            .map(|&p| dot(normal, p))
            .fold((f64::MAX, f64::MIN), |(lo, hi), d| (lo.min(d), hi.max(d)));
        let whole = self.area();
        let (mut a, mut b) = (lo, hi);
        for _ in 0..50 {
            let m = (a + b) / 2.0;
            if self.clip(normal, m).area() < share * whole {
                a = m;
            } else {
                b = m;
            }
        }
        let cut = (a + b) / 2.0;
        let low = self.clip(normal, cut);
        let high = self.clip((-normal.0, -normal.1), -cut);
        low.split_into(k, mix(h, 3), out);
        high.split_into(n - k, mix(h, 4), out);
    }

    /// The closed ring as GeoJSON coordinates, rounded to `decimals` (shared edges round
    /// alike, so neighbours still meet).
    pub fn ring(&self, decimals: i32) -> Vec<[f64; 2]> {
        let f = 10f64.powi(decimals);
        let r = |x: f64| (x * f).round() / f;
        let mut ring: Vec<[f64; 2]> = self.0.iter().map(|p| [r(p.0), r(p.1)]).collect();
        ring.dedup();
        if ring.len() > 1 && ring.first() == ring.last() {
            ring.pop();
        }
        ring.push(ring[0]);
        ring
    }
}

fn dot(a: Point, b: Point) -> f64 {
    a.0 * b.0 + a.1 * b.1
}

/// FNV-1a of a region code: the same cuts for the same code, whatever the seed.
fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// splitmix64 of `h` and a salt.
fn mix(h: u64, salt: u64) -> u64 {
    let mut z = h.wrapping_add(salt.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A number in [0, 1) drawn from `h` and a salt.
fn unit(h: u64, salt: u64) -> f64 {
    (mix(h, salt) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outline_is_convex_and_counter_clockwise() {
        let v = &Shape::outline().0;
        for i in 0..v.len() {
            let (a, b, c) = (v[i], v[(i + 1) % v.len()], v[(i + 2) % v.len()]);
            let turn = (b.0 - a.0) * (c.1 - b.1) - (b.1 - a.1) * (c.0 - b.0);
            assert!(turn > 0.0, "corner {b:?} turns the wrong way");
        }
    }

    #[test]
    fn pieces_tile_the_shape_and_hold_their_spots() {
        let whole = Shape::outline();
        let seats = [
            (118.87, 28.94),
            (118.96, 28.98),
            (118.51, 28.90),
            (118.41, 29.14),
        ];
        let cells = whole.voronoi(&seats);
        let sum: f64 = cells.iter().map(Shape::area).sum();
        assert!((sum - whole.area()).abs() < 1e-9, "{sum} {}", whole.area());
        for (cell, seat) in cells.iter().zip(seats) {
            assert!(cell.contains(seat));
            for n in [1, 2, 3, 7, 40] {
                let pieces = cell.split(n, "330802");
                assert_eq!(pieces.len(), n);
                let sum: f64 = pieces.iter().map(Shape::area).sum();
                assert!((sum - cell.area()).abs() < 1e-9);
                for p in &pieces {
                    assert!(p.area() > cell.area() / n as f64 * 0.5, "a sliver");
                    for k in 0..5 {
                        let s = p.spot(k, 0.5);
                        assert!(p.contains(s) && cell.contains(s) && whole.contains(s));
                    }
                    assert!(p.contains(p.centroid()));
                }
                // No piece holds another's centre: they do not overlap.
                for (i, p) in pieces.iter().enumerate() {
                    for (j, q) in pieces.iter().enumerate() {
                        assert!(
                            i == j || !q.contains(p.centroid()),
                            "pieces {i} and {j} overlap"
                        );
                    }
                }
            }
        }
    }
}
