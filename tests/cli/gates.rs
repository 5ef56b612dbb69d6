//! `tracegrid bench gates` runs end to end on a small city: every scan of a valid or forged
//! pass is answered 200 (the bench stops on any other answer) and the table and the target line
//! are printed. The figures themselves are the bench's to report, not a test's to time.

use crate::{Scratch, tracegrid};

#[test]
fn bench_gates_scans_valid_and_forged_passes() {
    let d = Scratch::new("bench-gates");
    let out = tracegrid(
        "unused.db",
        &[
            "bench",
            "gates",
            "--persons",
            "2000",
            "--days",
            "8",
            "--samples",
            "30",
            "--dir",
            d.0.to_str().unwrap(),
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "scan of a valid pass (kept and screened)",
        "scan of a forged pass (refused)",
        "server-side scan verdict p99 < 5 ms",
    ] {
        assert!(text.contains(line), "{line} missing:\n{text}");
    }
}
