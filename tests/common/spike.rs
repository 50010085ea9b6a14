//! The 100× spike hour: one hour of click events in Firehose's layout,
//! made deterministically at any size, with what the generator knows about
//! it (the oracle). Used by the memory-limit tests (`tests/reliability.rs`)
//! and the cluster's executor-loss test (`tests/cluster.rs`).

use std::io::Write;
use std::path::Path;

/// The hour of the spike (after the sample's week, inside the projection's range).
pub const SPIKE_HOUR: &str = "2024/05/08/18";

/// What the generator knows about the hour it wrote: the oracle.
pub struct SpikeTruth {
    pub events: u64,
    pub sessions: u64,
    pub purchases: u64,
}

/// Writes `events` click events of one hour in Firehose's layout (8 gzipped
/// objects, the sample's JSON shape), deterministically.
pub fn write_spike_hour(raw: &Path, events: u64) -> SpikeTruth {
    let dir = raw.join("firehose/clickstream").join(SPIKE_HOUR);
    std::fs::create_dir_all(&dir).unwrap();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        // xorshift64*: deterministic and fast.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let files = 8;
    let (mut sessions, mut purchases) = (0, 0);
    let mut session = String::new();
    let mut left_in_session = 0;
    for f in 0..files {
        let file = std::fs::File::create(dir.join(format!(
            "acme-clickstream-1-2024-05-08-18-{:02}-00-spike-{f}.gz",
            f * 7
        )))
        .unwrap();
        let mut gz = flate2::write::GzEncoder::new(
            std::io::BufWriter::new(file),
            flate2::Compression::fast(),
        );
        for i in (f * events / files)..((f + 1) * events / files) {
            if left_in_session == 0 {
                sessions += 1;
                session = format!("s-{:016x}", next());
                left_in_session = 1 + next() % 7;
            }
            left_in_session -= 1;
            let r = next();
            let kind = match r % 20 {
                0 => "purchase",
                1..=3 => "add_to_cart",
                4..=12 => "view",
                _ => "page_view",
            };
            purchases += u64::from(kind == "purchase");
            let ms = i * 3_600_000 / events;
            writeln!(
                gz,
                "{{\"EVENT_ID\":\"e-{i:08}-{:08x}\",\"eventTime\":\"2024-05-08T18:{:02}:{:02}.{:03}Z\",\
                 \"User_Id\":{},\"Session_ID\":\"{session}\",\"EVENT_TYPE\":\"{kind}\",\
                 \"Product_Id\":{},\"Quantity\":{},\"Referrer\":\"push\",\
                 \"Page_URL\":\"https://shop.example.com/p/{}\"}}",
                r >> 32,
                ms / 60_000,
                ms / 1000 % 60,
                ms % 1000,
                1 + (r >> 8) % 1_500,
                1000 + (r >> 16) % 120,
                1 + (r >> 24) % 3,
                1000 + (r >> 16) % 120,
            )
            .unwrap();
        }
        gz.finish().unwrap().flush().unwrap();
    }
    SpikeTruth {
        events,
        sessions,
        purchases,
    }
}
