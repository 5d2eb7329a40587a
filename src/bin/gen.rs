//! `touchpath-gen`: writes the seeded sample and benchmark files.
//!
//! ```text
//! cargo run --release --bin touchpath-gen -- --events 1M --out target/bench/events-1M.csv
//! cargo run --release --bin touchpath-gen -- --events 10M --format jsonl --out events-10M.jsonl
//! cargo run --release --bin touchpath-gen -- --out paths.csv --path-table 100k   # a path table
//! cargo run --release --bin touchpath-gen -- --sample            # rewrites static/sample.csv.gz
//! ```

use std::fs::File;
use std::io::Write;
use std::process::ExitCode;

use touchpath::core::sample;

fn parse_count(s: &str) -> Option<usize> {
    let s = s.trim();
    let (num, mult) = match s.chars().last()? {
        'k' | 'K' => (&s[..s.len() - 1], 1_000),
        'm' | 'M' => (&s[..s.len() - 1], 1_000_000),
        _ => (s, 1),
    };
    num.parse::<usize>().ok().map(|n| n * mult)
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (mut events, mut seed, mut format, mut out) = (100_000usize, sample::DEFAULT_SEED, "csv".to_string(), None);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--events" => events = parse_count(&val()?).ok_or("--events takes a number such as 100k, 1M or 10M")?,
            "--seed" => seed = val()?.parse().map_err(|_| "--seed takes a whole number")?,
            "--format" => format = val()?,
            "--out" => out = Some(val()?),
            "--path-table" => {
                let rows = parse_count(&val()?).ok_or("--path-table takes a number of rows such as 100k")?;
                let text = sample::path_table_csv(seed, rows);
                match &out {
                    Some(p) => std::fs::write(p, text).map_err(|e| format!("{p}: {e}"))?,
                    None => print!("{text}"),
                }
                return Ok(());
            }
            "--sample" => {
                let path = "static/sample.csv.gz";
                std::fs::write(path, sample::sample_csv_gz()).map_err(|e| format!("{path}: {e}"))?;
                eprintln!("wrote {path}");
                return Ok(());
            }
            "-h" | "--help" => {
                println!(
                    "touchpath-gen [--events N|100k|1M|10M] [--seed S] [--format csv|jsonl] [--out PATH] | [--out PATH] --path-table ROWS | --sample"
                );
                return Ok(());
            }
            other => return Err(format!("unknown argument {other} (see --help)")),
        }
    }
    let evs = sample::generate(seed, events);
    let sink: Box<dyn Write> = match &out {
        Some(p) => Box::new(File::create(p).map_err(|e| format!("{p}: {e}"))?),
        None => Box::new(std::io::stdout().lock()),
    };
    match format.as_str() {
        "csv" => sample::write_csv(&evs, sink),
        "jsonl" => sample::write_jsonl(&evs, sink),
        f => return Err(format!("unknown format {f} (csv or jsonl)")),
    }
    .map_err(|e| e.to_string())?;
    if let Some(p) = out {
        eprintln!("wrote {events} events to {p}");
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("touchpath-gen: {e}");
            ExitCode::FAILURE
        }
    }
}
