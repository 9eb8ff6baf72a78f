//! Judges a labelled case set kept anywhere (an independent set that is not in the repo, or
//! the in-repo batches) exactly as the held-out tests do, and prints recall, false
//! rejections, softening, injection detection and companions per language and category.
//!
//! ```text
//! cargo run -p safety --example eval -- PATH [PATH…] [--quiet]
//! scripts/safety-eval PATH [PATH…]
//! ```
//!
//! PATH is a `.jsonl` file or a directory of them; the line format is described in
//! `tests/support/eval.rs` (`{"id","lang","kind","text","category"}`, kinds hard, safe,
//! soft, injection, image). Exit status: 0 when every case met its bar, 1 when some failed
//! (each failure is listed), 2 on unreadable or malformed input.

#[path = "../tests/support/eval.rs"]
mod eval;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut quiet = false;
    let mut paths = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--quiet" | "-q" => quiet = true,
            "-h" | "--help" => {
                println!("usage: eval PATH [PATH…] [--quiet]   (PATH: .jsonl file or directory)");
                return ExitCode::SUCCESS;
            }
            _ => paths.push(PathBuf::from(arg)),
        }
    }
    if paths.is_empty() {
        eprintln!("usage: eval PATH [PATH…] [--quiet]   (PATH: .jsonl file or directory)");
        return ExitCode::from(2);
    }
    let mut files = Vec::new();
    for p in &paths {
        match eval::files(p, "") {
            Ok(found) => files.extend(found),
            Err(e) => {
                eprintln!("eval: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let cases = match eval::load(&files) {
        Ok(c) if !c.is_empty() => c,
        Ok(_) => {
            eprintln!("eval: no cases in {} file(s)", files.len());
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("eval: {e}");
            return ExitCode::from(2);
        }
    };
    let label = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" ");
    let report = eval::evaluate(safety::Engine::global(), &label, &cases);
    if !quiet {
        for n in &report.notes {
            println!("  note: {n}");
        }
    }
    for f in &report.failures {
        println!("  FAIL: {f}");
    }
    println!("{}", report.table);
    let t = &report.total;
    println!(
        "hard caught {}/{}, false rejections {}/{}, soft rejected {}/{}, injections detected {}/{}, companions {}/{}",
        t.caught,
        t.hard,
        t.false_rejections,
        t.safe,
        t.soft_rejected,
        t.soft,
        t.injections_detected,
        t.injections,
        t.with_companion,
        t.images
    );
    if report.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        println!("{} failure(s)", report.failures.len());
        ExitCode::FAILURE
    }
}
