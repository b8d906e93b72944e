//! Envelope benchmark: seal/open throughput next to raw AES-256-GCM on the same machine in the
//! same run, and KMS calls per 10,000 operations inside one DEK-cache TTL window.
//! Prints figures only. Run: `cargo bench -p ironbrick-kms --bench envelope`.

use aes_gcm::aead::Aead;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use ironbrick_kms::{Envelope, KeyRef, LocalKms, Scope};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SIZES: [(usize, &str); 4] = [
    (4 << 10, "4 KiB"),
    (64 << 10, "64 KiB"),
    (1 << 20, "1 MiB"),
    (10 << 20, "10 MiB"),
];

fn iterations(size: usize) -> usize {
    ((256usize << 20) / size).clamp(8, 20_000)
}

fn mbps(bytes: usize, elapsed: Duration) -> f64 {
    bytes as f64 / (1024.0 * 1024.0) / elapsed.as_secs_f64()
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kms = Arc::new(LocalKms::open(dir.path()).expect("kms"));
    let key = KeyRef(kms.create_key("us-east-1").expect("key"));
    let platform = KeyRef(kms.create_key("us-east-1").expect("key"));
    let env = Envelope::new(kms.clone(), kms, platform, Duration::from_secs(300));
    let scope = Scope {
        workspace_id: 1,
        key: Some(key.clone()),
        wrapped_dmk: env.new_dmk(1, Some(&key)).await.expect("dmk"),
    };
    let raw = Aes256Gcm::new(&[7u8; 32].into());
    println!(
        "{:>7} | {:>12} | {:>12} | {:>12} | {:>12} | {:>7}",
        "size", "raw seal", "env seal", "raw open", "env open", "ratio"
    );
    for (size, label) in SIZES {
        let data = vec![0x5au8; size];
        let n = iterations(size);
        let nonce = Nonce::from_slice(&[1u8; 12]);
        let t = Instant::now();
        let mut ct = Vec::new();
        for _ in 0..n {
            ct = raw.encrypt(nonce, data.as_slice()).expect("seal");
        }
        let raw_seal = t.elapsed();
        let t = Instant::now();
        for _ in 0..n {
            raw.decrypt(nonce, ct.as_slice()).expect("open");
        }
        let raw_open = t.elapsed();
        let t = Instant::now();
        let mut sealed = Vec::new();
        for i in 0..n {
            sealed = env
                .seal(&scope, "notebook", &i.to_string(), &data)
                .await
                .expect("seal");
        }
        let env_seal = t.elapsed();
        let id = (n - 1).to_string();
        let t = Instant::now();
        for _ in 0..n {
            env.open(&scope, "notebook", &id, &sealed)
                .await
                .expect("open");
        }
        let env_open = t.elapsed();
        let bytes = size * n;
        let (rs, es, ro, eo) = (
            mbps(bytes, raw_seal),
            mbps(bytes, env_seal),
            mbps(bytes, raw_open),
            mbps(bytes, env_open),
        );
        println!(
            "{label:>7} | {rs:>7.0} MB/s | {es:>7.0} MB/s | {ro:>7.0} MB/s | {eo:>7.0} MB/s | {:>7.2}",
            (es + eo) / (rs + ro)
        );
    }
    let before = env.metrics().kms_calls();
    let fresh = Scope {
        workspace_id: 2,
        key: Some(key.clone()),
        wrapped_dmk: env.new_dmk(2, Some(&key)).await.expect("dmk"),
    };
    for i in 0..10_000 {
        let sealed = env
            .seal(&fresh, "notebook", &i.to_string(), b"x")
            .await
            .expect("seal");
        env.open(&fresh, "notebook", &i.to_string(), &sealed)
            .await
            .expect("open");
    }
    println!(
        "KMS calls for 10,000 seal+open pairs in one TTL window (one workspace, incl. its DMK creation): {}",
        env.metrics().kms_calls() - before
    );
}
