//! `benchkit <command>`: the bench-only tools `scripts/bench` drives (see the crate docs).
//!
//! - `emulator --exe PATH --name NAME [--starts 20] [--method GET] [--path /] [--token T]
//!   [--body JSON] [--data-root DIR] [--memory 512] [--log FILE] [--invocations 1]` → one
//!   JSON report line
//! - `init-steps --function NAME [--starts 20] [--data-root DIR]` → one JSON report line
//! - `handler-cpu [--data-dir /dev/shm/benchkit-cpu] [--seconds 3] [--max 200000]` → JSON on
//!   stderr (stdout carries the functions' log lines)
//! - `hello [--addr 127.0.0.1:0]` → serves until stopped
//! - `tokens [--count 64] [--seed N] [--ttl 86400]` → `token\tuser_id\thero_id` lines

use benchkit::args::Args;
use benchkit::event::HttpCall;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: benchkit emulator|init-steps|handler-cpu|hello|tokens [--options] (see crates/benchkit/src/main.rs)";

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = raw.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let args = match Args::parse(rest) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match command.as_str() {
        "emulator" => emulator(&args),
        "init-steps" => init_steps(&args),
        "init-child" => init_child(&args),
        "handler-cpu" => handler_cpu(&args),
        "hello" => hello(&args),
        "tokens" => tokens(&args),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("benchkit {command}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))
}

fn data_root(args: &Args) -> PathBuf {
    args.get("data-root")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("benchkit"))
}

fn emulator(args: &Args) -> Result<(), String> {
    let config = benchkit::emulator::Config {
        exe: PathBuf::from(args.required("exe")?),
        name: args.required("name")?.to_owned(),
        starts: args.number("starts", 20)?,
        call: HttpCall {
            method: args.get("method").unwrap_or("GET").to_owned(),
            path: args.get("path").unwrap_or("/").to_owned(),
            token: args.get("token").map(str::to_owned),
            body: args.get("body").map(str::to_owned),
        },
        data_root: data_root(args),
        memory_mb: args.number("memory", 512)?,
        timeout: Duration::from_secs(args.number("timeout", 15)?),
        log: args.get("log").map(PathBuf::from),
        invocations: args.number("invocations", 1_usize)?.max(1),
    };
    let rt = runtime()?;
    let starts = rt
        .block_on(benchkit::emulator::run(&config))
        .map_err(|e| e.to_string())?;
    println!("{}", benchkit::emulator::report(&config, &starts));
    Ok(())
}

fn init_steps(args: &Args) -> Result<(), String> {
    let function = args.required("function")?;
    let report = benchkit::init::parent(function, args.number("starts", 20)?, &data_root(args))?;
    println!("{report}");
    Ok(())
}

fn init_child(args: &Args) -> Result<(), String> {
    let steps = benchkit::init::child(args.required("function")?)?;
    eprintln!("{}{steps}", benchkit::init::RESULT_PREFIX);
    Ok(())
}

fn handler_cpu(args: &Args) -> Result<(), String> {
    let dir = PathBuf::from(args.get("data-dir").unwrap_or("/dev/shm/benchkit-cpu"));
    let seconds: f64 = args.number("seconds", 3.0)?;
    let max: u64 = args.number("max", 200_000)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let report = rt.block_on(benchkit::cpu::run(&dir, seconds, max))?;
    eprintln!("{report}");
    Ok(())
}

fn hello(args: &Args) -> Result<(), String> {
    let addr = args
        .get("addr")
        .unwrap_or("127.0.0.1:0")
        .parse()
        .map_err(|e| format!("--addr: {e}"))?;
    runtime()?
        .block_on(benchkit::hello::serve(addr))
        .map_err(|e| e.to_string())
}

fn tokens(args: &Args) -> Result<(), String> {
    let settings = config::Settings::from_env().map_err(|e| e.to_string())?;
    let lines = benchkit::tokens::lines(
        &settings,
        args.number("seed", 0xbe_u32)?,
        args.number("count", 64)?,
        args.number("ttl", 86_400)?,
    )?;
    for line in lines {
        println!("{line}");
    }
    Ok(())
}
