//! Throughput of the safety engine: `cargo run --release -p safety --example bench`.
//!
//! Builds a ~1 MB multilingual text from bedtime sentences in the five languages (with a
//! sprinkling of soft words so the rewrite path is exercised), then reports MB/s of
//! `screen_input` and `check_output`, the cost of screening one 700-word story, of
//! sanitising an image prompt, and of building the engine.

use domain::Language;
use safety::{Engine, SanitizeOptions};
use std::hint::black_box;
use std::time::{Duration, Instant};

const SENTENCES: &[&str] = &[
    "Once upon a time, a little fox named Pip curled up under the old oak tree and listened to the rain.",
    "The brave knight with a wooden sword bowed to the friendly dragon, and they shared a pot of tea.",
    "Grandma read a story about a scary monster in the dark forest who only wanted a hug.",
    "Había una vez una tortuga llamada Lola que soñaba con volar hasta la luna con su amigo el pájaro.",
    "El caballero valiente llevaba una espada de madera y un escudo de cartón, y no tenía miedo.",
    "Il était une fois un petit ours qui n'arrivait pas à dormir ; sa maman lui chanta une berceuse.",
    "Le chevalier courageux portait une épée en bois et la forêt sombre devint douce et calme.",
    "Es war einmal ein kleiner Igel, der mit seiner Freundin, der Maus, unter dem Sternenhimmel schlief.",
    "Der mutige Ritter trug ein Holzschwert, und der Drache pustete bunte Seifenblasen für alle Kinder.",
    "C'era una volta un piccolo drago che non sapeva sputare fuoco, e il suo amico coniglio gli insegnò a soffiare bolle.",
    "Il cavaliere coraggioso portava una spada di legno e la luna brillava sopra il bosco tranquillo.",
    "The twins whispered secrets under the blanket fort until they fell asleep, happy and warm.",
];

fn corpus(target_bytes: usize) -> String {
    let mut text = String::with_capacity(target_bytes + 256);
    let mut i = 0usize;
    while text.len() < target_bytes {
        text.push_str(SENTENCES[i % SENTENCES.len()]);
        text.push(if i % 7 == 6 { '\n' } else { ' ' });
        i += 1;
    }
    text
}

fn story(words: usize) -> String {
    let mut out = String::new();
    let mut n = 0usize;
    let mut i = 0usize;
    while n < words {
        let s = SENTENCES[(i * 3) % 3];
        n += s.split_whitespace().count();
        out.push_str(s);
        out.push(' ');
        i += 1;
    }
    out
}

/// CPU time this thread has used (Linux `schedstat`), so numbers stay meaningful on a busy
/// machine; `None` elsewhere.
fn thread_cpu_time() -> Option<Duration> {
    let raw = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = raw.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Mean wall-clock and (when available) CPU time per call of `f`, running it for at least
/// `min` of wall-clock time.
fn time_per_call(min: Duration, mut f: impl FnMut()) -> (Duration, Option<Duration>) {
    f();
    let start = Instant::now();
    let cpu_start = thread_cpu_time();
    let mut calls = 0u32;
    while start.elapsed() < min {
        f();
        calls += 1;
    }
    let calls = calls.max(1);
    let cpu = match (cpu_start, thread_cpu_time()) {
        (Some(a), Some(b)) => Some((b - a) / calls),
        _ => None,
    };
    (start.elapsed() / calls, cpu)
}

fn describe_rate(bytes: usize, t: (Duration, Option<Duration>)) -> String {
    match t.1 {
        Some(cpu) => format!(
            "{:>7.1} MB/s CPU time, {:>7.1} MB/s wall ({:.1} ms CPU per pass)",
            mb_per_s(bytes, cpu),
            mb_per_s(bytes, t.0),
            cpu.as_secs_f64() * 1e3
        ),
        None => format!(
            "{:>7.1} MB/s wall ({:.1} ms per pass)",
            mb_per_s(bytes, t.0),
            t.0.as_secs_f64() * 1e3
        ),
    }
}

fn describe_call(t: (Duration, Option<Duration>)) -> String {
    match t.1 {
        Some(cpu) => format!(
            "{:>8.1} µs CPU time, {:>8.1} µs wall",
            cpu.as_secs_f64() * 1e6,
            t.0.as_secs_f64() * 1e6
        ),
        None => format!("{:>8.1} µs wall", t.0.as_secs_f64() * 1e6),
    }
}

fn mb_per_s(bytes: usize, per_call: Duration) -> f64 {
    bytes as f64 / 1_000_000.0 / per_call.as_secs_f64()
}

fn main() {
    let t0 = Instant::now();
    let cpu0 = thread_cpu_time();
    let engine = Engine::new();
    let build = t0.elapsed();
    let build_cpu = cpu0.zip(thread_cpu_time()).map(|(a, b)| b - a);
    println!(
        "engine build: {:.1} ms wall{} ({engine:?})",
        build.as_secs_f64() * 1e3,
        build_cpu.map_or(String::new(), |c| format!(
            ", {:.1} ms CPU",
            c.as_secs_f64() * 1e3
        ))
    );

    let text = corpus(1_000_000);
    let bytes = text.len();
    let min = Duration::from_secs(3);

    let screen = time_per_call(min, || {
        black_box(engine.screen_input(black_box(&text), Some(Language::En), usize::MAX / 16));
    });
    println!(
        "screen_input  on {:.2} MB multilingual text: {}",
        bytes as f64 / 1e6,
        describe_rate(bytes, screen)
    );
    let check = time_per_call(min, || {
        black_box(engine.check_output(black_box(&text), Language::En));
    });
    println!(
        "check_output  on {:.2} MB multilingual text: {}",
        bytes as f64 / 1e6,
        describe_rate(bytes, check)
    );

    let story = story(700);
    let words = story.split_whitespace().count();
    let one = time_per_call(Duration::from_secs(2), || {
        black_box(engine.screen_input(black_box(&story), Some(Language::En), 20_000));
    });
    println!(
        "screen_input  one {words}-word story ({} bytes): {}",
        story.len(),
        describe_call(one)
    );
    let out = time_per_call(Duration::from_secs(2), || {
        black_box(engine.check_output(black_box(&story), Language::En));
    });
    println!(
        "check_output  one {words}-word story ({} bytes): {}",
        story.len(),
        describe_call(out)
    );
    let opts = SanitizeOptions {
        language: Language::En,
        hero_appearance: Some("a seven-year-old girl with curly red hair and a yellow raincoat"),
        companion_hint: None,
    };
    let prompt =
        "Luna stands alone at the edge of a dark forest at dusk, photorealistic, holding a lantern";
    let img = time_per_call(Duration::from_secs(2), || {
        black_box(engine.sanitize_image_prompt(black_box(prompt), &opts));
    });
    println!(
        "sanitize_image_prompt (one scene prompt): {}",
        describe_call(img)
    );
}
