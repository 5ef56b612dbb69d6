//! Figures as people read them, and how much memory the process holds.

/// 1234567 → "1,234,567".
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The process's peak resident memory in MiB (Linux `VmHWM`), 0 where unknown.
pub fn peak_rss_mb() -> f64 {
    status_mb("VmHWM:")
}

/// The process's resident memory now in MiB (Linux `VmRSS`), 0 where unknown.
pub fn rss_mb() -> f64 {
    status_mb("VmRSS:")
}

fn status_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Standard output was closed by its reader (`tracegrid screen | head`): the command has no one
/// left to tell and ends quietly.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed")]
pub struct OutputClosed;

/// A write to standard output: closed output becomes [`OutputClosed`], any other failure stays
/// the I/O error it is.
pub fn written(r: std::io::Result<()>) -> anyhow::Result<()> {
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(OutputClosed.into()),
        r => Ok(r?),
    }
}

/// Writes a line to standard output, and returns (with `?`) [`OutputClosed`] when the reader
/// has gone — `tracegrid bench … | head` — so that the command ends quietly instead of
/// panicking as `println!` does.
#[macro_export]
macro_rules! out {
    () => {{
        use std::io::Write as _;
        $crate::human::written(writeln!(std::io::stdout().lock()))?;
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        $crate::human::written(writeln!(std::io::stdout().lock(), $($arg)*))?;
    }};
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_grouped() {
        assert_eq!(super::group(0), "0");
        assert_eq!(super::group(999), "999");
        assert_eq!(super::group(1234567), "1,234,567");
    }
}
