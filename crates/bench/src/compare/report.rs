//! The comparison's report: a Markdown table, the raw figures as JSON, growth curves as SVG;
//! and the machine's memory bandwidth.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::Result;

use super::{QUESTIONS, SizeRun, SystemRun};

/// Bytes a second a streaming read reaches.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Bandwidth {
    pub all: f64,
    pub one: f64,
    pub threads: usize,
}

/// Sums 1 GiB of memory, touched beforehand, on one thread and on every core; the best of
/// five passes each.
pub fn bandwidth() -> Bandwidth {
    let words = (1usize << 30) / 8;
    let data: Vec<u64> = (0..words as u64).collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pass = |threads: usize| -> f64 {
        let chunk = words.div_ceil(threads);
        let t = Instant::now();
        let sum: u64 = std::thread::scope(|s| {
            let parts: Vec<_> = data
                .chunks(chunk)
                .map(|part| s.spawn(move || part.iter().fold(0u64, |a, &x| a.wrapping_add(x))))
                .collect();
            parts
                .into_iter()
                .map(|h| h.join().unwrap_or(0))
                .fold(0u64, u64::wrapping_add)
        });
        std::hint::black_box(sum);
        (words * 8) as f64 / t.elapsed().as_secs_f64()
    };
    let best = |threads: usize| (0..5).map(|_| pass(threads)).fold(0.0, f64::max);
    Bandwidth {
        one: best(1),
        all: best(threads),
        threads,
    }
}

pub fn median(xs: &[f64]) -> f64 {
    quantile(xs, 0.5)
}

pub fn p95(xs: &[f64]) -> f64 {
    quantile(xs, 0.95)
}

fn quantile(xs: &[f64], q: f64) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let i = ((v.len() as f64 * q) as usize).min(v.len() - 1);
    if q == 0.5 && v.len().is_multiple_of(2) {
        (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
    } else {
        v[i]
    }
}

fn timings<'a>(s: &'a SystemRun, label: &str) -> Option<&'a super::Timings> {
    s.questions.iter().find(|(l, _)| l == label).map(|(_, t)| t)
}

fn fmt_ms(x: f64) -> String {
    if x.is_nan() {
        "—".into()
    } else if x < 1.0 {
        format!("{x:.3}")
    } else if x < 100.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.0}")
    }
}

/// Writes report.md, results.json and compare.svg under `dir`.
pub fn write(dir: &Path, bw: &Bandwidth, runs: &[(f64, SizeRun)]) -> Result<()> {
    let mut md = String::new();
    writeln!(
        md,
        "Memory bandwidth (streaming read of 1 GiB): {:.1} GB/s on {} threads, {:.1} GB/s on one.\n",
        bw.all / 1e9,
        bw.threads,
        bw.one / 1e9
    )?;
    writeln!(
        md,
        "| sightings | system | load s | rows/s | size MiB | question | median ms | p95 ms | runs | × tracegrid |"
    )?;
    writeln!(md, "|---:|---|---:|---:|---:|---|---:|---:|---:|---:|")?;
    for (_, run) in runs {
        let tg = &run.systems[0];
        for s in &run.systems {
            let mut first = true;
            for (label, tm) in &s.questions {
                let base = label.split('/').next().unwrap_or(label);
                let ratio = timings(tg, base)
                    .map(|t| median(&tm.ms) / median(&t.ms))
                    .filter(|r| r.is_finite() && s.system != "tracegrid");
                let runs_text = format!(
                    "{}{}{}",
                    tm.ms.len(),
                    if tm.skipped > 0 {
                        format!(" (+{} skipped)", tm.skipped)
                    } else {
                        String::new()
                    },
                    if tm.timed_out { ", timed out" } else { "" }
                );
                let (sightings, load, rate, size) = if first {
                    (
                        crate::human::group(run.sightings as u64),
                        format!("{:.1}", s.load_s),
                        crate::human::group((run.sightings as f64 / s.load_s) as u64),
                        format!("{:.0}", s.bytes as f64 / 1048576.0),
                    )
                } else {
                    Default::default()
                };
                writeln!(
                    md,
                    "| {sightings} | {} | {load} | {rate} | {size} | {label} | {} | {} | {runs_text} | {} |",
                    if first { s.system.as_str() } else { "" },
                    fmt_ms(median(&tm.ms)),
                    fmt_ms(p95(&tm.ms)),
                    ratio.map_or(String::new(), |r| format!("{r:.0}×")),
                )?;
                first = false;
            }
        }
    }
    writeln!(
        md,
        "\nsize: tracegrid's resident memory with the index loaded; the databases' files on disk. \
         load: tracegrid from its SQLite store to a ready index; PostGIS COPY of the CSV tables, \
         geometry, indexes and ANALYZE; DuckDB from the Parquet export and CSV tables, sorted, \
         indexed and checkpointed."
    )?;
    writeln!(
        md,
        "\nFull screen against the bandwidth bound (one pass over the index at {:.1} GB/s):\n",
        bw.all / 1e9
    )?;
    writeln!(
        md,
        "| sightings | index MiB | bound ms | tracegrid ms | × bound | case-free pass ms | × bound | degree 1 ms | degree 2 ms | assemble ms | alerts |"
    )?;
    writeln!(
        md,
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )?;
    for (_, run) in runs {
        let screen = timings(&run.systems[0], "screen").map_or(f64::NAN, |t| median(&t.ms));
        let [free, d1, d2, assemble] = run.phases_ms;
        writeln!(
            md,
            "| {} | {:.0} | {:.1} | {:.0} | {:.1} | {free:.0} | {:.1} | {d1:.0} | {d2:.0} | {assemble:.0} | {} |",
            crate::human::group(run.sightings as u64),
            run.index_bytes as f64 / 1048576.0,
            run.bound_ms,
            screen,
            screen / run.bound_ms,
            free / run.bound_ms,
            crate::human::group(run.alerts as u64),
        )?;
    }
    std::fs::write(dir.join("report.md"), md)?;
    let json = serde_json::json!({
        "bandwidth": bw,
        "sizes": runs.iter().map(|(m, r)| serde_json::json!({"millions": m, "run": r})).collect::<Vec<_>>(),
    });
    std::fs::write(dir.join("results.json"), serde_json::to_vec_pretty(&json)?)?;
    std::fs::write(dir.join("compare.svg"), chart(runs))?;
    Ok(())
}

/// A system's curve in one panel: (system, plain variant, points in log-log space).
type Line = (usize, bool, Vec<(f64, f64)>);

/// One panel per question: median latency against sightings, both on log scales, a line per
/// system (dashed: the plain form of the same SQL).
fn chart(runs: &[(f64, SizeRun)]) -> String {
    const W: f64 = 330.0;
    const H: f64 = 250.0;
    const COLS: usize = 3;
    let colours = ["#c0392b", "#2c6fbb", "#e69500", "#555555"];
    // Every system of any size, in the order they first appear.
    let mut systems: Vec<String> = Vec::new();
    for s in runs.iter().flat_map(|(_, r)| &r.systems) {
        if !systems.contains(&s.system) {
            systems.push(s.system.clone());
        }
    }
    let rows = QUESTIONS.len().div_ceil(COLS);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
        W * COLS as f64,
        H * rows as f64 + 40.0
    );
    let xs: Vec<f64> = runs
        .iter()
        .map(|(_, r)| (r.sightings.max(1) as f64).log10())
        .collect();
    let (x0, x1) = (
        xs.iter().copied().fold(f64::INFINITY, f64::min),
        xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    for (qi, (q, title)) in QUESTIONS.iter().enumerate() {
        let (ox, oy) = ((qi % COLS) as f64 * W, (qi / COLS) as f64 * H);
        let (left, right, top, bottom) = (ox + 50.0, ox + W - 15.0, oy + 25.0, oy + H - 35.0);
        // (system, plain, points)
        let mut lines: Vec<Line> = Vec::new();
        for (si, _) in systems.iter().enumerate() {
            for plain in [false, true] {
                let label = if plain {
                    format!("{q}/plain")
                } else {
                    (*q).to_owned()
                };
                let pts: Vec<(f64, f64)> = runs
                    .iter()
                    .zip(&xs)
                    .filter_map(|((_, r), &x)| {
                        let system = r.systems.iter().find(|s| s.system == systems[si])?;
                        let m = median(&timings(system, &label)?.ms);
                        (m.is_finite() && m > 0.0).then(|| (x, m.log10()))
                    })
                    .collect();
                if !pts.is_empty() {
                    lines.push((si, plain, pts));
                }
            }
        }
        let ys = lines.iter().flat_map(|l| l.2.iter().map(|p| p.1));
        let (mut y0, mut y1) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
            (a.min(y), b.max(y))
        });
        if !y0.is_finite() {
            (y0, y1) = (0.0, 1.0);
        }
        let (y0, y1) = (y0.floor(), y1.ceil().max(y0.floor() + 1.0));
        let sx = |x: f64| {
            if x1 > x0 {
                left + (x - x0) / (x1 - x0) * (right - left)
            } else {
                (left + right) / 2.0
            }
        };
        let sy = |y: f64| bottom - (y - y0) / (y1 - y0) * (bottom - top);
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-weight=\"bold\">{title}</text>",
            left,
            oy + 15.0
        );
        let _ = writeln!(
            svg,
            "<rect x=\"{left}\" y=\"{top}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>",
            right - left,
            bottom - top
        );
        let mut y = y0;
        while y <= y1 {
            let label = if y >= 3.0 {
                format!("{} s", 10f64.powf(y - 3.0))
            } else {
                format!("{} ms", 10f64.powf(y))
            };
            let _ = writeln!(
                svg,
                "<line x1=\"{left}\" x2=\"{right}\" y1=\"{0}\" y2=\"{0}\" stroke=\"#eee\"/><text x=\"{1}\" y=\"{2}\" text-anchor=\"end\">{label}</text>",
                sy(y),
                left - 4.0,
                sy(y) + 4.0
            );
            y += 1.0;
        }
        for ((_, r), &x) in runs.iter().zip(&xs) {
            let _ = writeln!(
                svg,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{:.0}M</text>",
                sx(x),
                bottom + 14.0,
                r.sightings as f64 / 1e6
            );
        }
        for (si, plain, pts) in &lines {
            let path: Vec<String> = pts
                .iter()
                .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
                .collect();
            let _ = writeln!(
                svg,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{}/>",
                path.join(" "),
                colours[si % colours.len()],
                if *plain {
                    " stroke-dasharray=\"5,4\""
                } else {
                    ""
                }
            );
            for p in &path {
                let (px, py) = p.split_once(',').unwrap_or(("0", "0"));
                let _ = writeln!(
                    svg,
                    "<circle cx=\"{px}\" cy=\"{py}\" r=\"2.5\" fill=\"{}\"/>",
                    colours[si % colours.len()]
                );
            }
        }
    }
    let ly = H * rows as f64 + 20.0;
    for (si, s) in systems.iter().enumerate() {
        let lx = 50.0 + si as f64 * 200.0;
        let _ = writeln!(
            svg,
            "<line x1=\"{lx}\" x2=\"{}\" y1=\"{ly}\" y2=\"{ly}\" stroke=\"{}\" stroke-width=\"2\"/><text x=\"{}\" y=\"{}\">{s}</text>",
            lx + 20.0,
            colours[si % colours.len()],
            lx + 25.0,
            ly + 4.0
        );
    }
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\">dashed: the same SQL with co-presence as the contract states it</text>",
        50.0 + systems.len() as f64 * 200.0,
        ly + 4.0
    );
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_p95() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        let xs: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(p95(&xs), 96.0);
        assert!(median(&[]).is_nan());
    }
}
