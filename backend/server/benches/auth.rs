//! Authentication benchmark: what each credential costs per request, and whether a burst of
//! wrong passwords hurts everyone else.
//!
//! One workspace on the sled store, served over loopback TCP (trusting `X-Forwarded-For` from
//! loopback, so that the burst can come from many addresses). Measured with N concurrent
//! clients for `BENCH_SECONDS` each, `GET /preview/scim/v2/Me` as
//! - a user with a personal access token;
//! - the same user with HTTP Basic, the password's argon2 verification already cached (the
//!   first request pays it, the measured ones do not);
//! - a service principal with an OAuth access token from the workspace token endpoint.
//!
//! Then the burst: 1000 wrong passwords for the user, sent by 32 concurrent clients, once from
//! 10 source addresses and once from 1000 (one attempt each, the worst case for the
//! per-address and per-pair throttle: only the per-user ceiling stops it), while PAT GETs run;
//! PAT GET throughput during the burst is printed as a % of its idle figure (target ≥ 80%),
//! with how many attempts were verified (401: argon2 ran) and how many throttled (429).
//!
//! Run: `cargo bench -p ironbrick --bench auth`. Env: `BENCH_SECONDS` (default 5),
//! `BENCH_CONCURRENCY` (16), `BENCH_BURST` (1000). Short pass: `BENCH_SECONDS=1 BENCH_BURST=200`.

mod support;

use base64::Engine;
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{
    account_objects, call, call_as, drive_as, figures, start_trusting, Figures, Server, ADMIN_TOKEN,
};

const USER: &str = "bench-user@example.com";
const PASSWORD: &str = "bench user's long password";

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(default)
}

fn basic(user: &str, password: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}

/// A workspace, the user (with a password and a PAT) and a service principal with an OAuth
/// access token; returns (workspace id, PAT, OAuth access token).
async fn setup(http: &reqwest::Client, s: &Server) -> (i64, String, String) {
    let acct = format!("{}/api/2.0/accounts/{}", s.host, s.account);
    let post = reqwest::Method::POST;
    let (cred, storage) = account_objects(http, s).await;
    let ws = call(
        http,
        post.clone(),
        &format!("{acct}/workspaces"),
        ADMIN_TOKEN,
        Some(json!({
            "workspace_name": "bench", "aws_region": "us-east-1",
            "credentials_id": cred, "storage_configuration_id": storage
        })),
    )
    .await["workspace_id"]
        .as_i64()
        .expect("workspace_id");
    let ws_api = format!("{}/w/{ws}/api/2.0", s.host);
    call(
        http,
        post.clone(),
        &format!("{ws_api}/preview/scim/v2/Users"),
        ADMIN_TOKEN,
        Some(json!({"userName": USER, "password": PASSWORD})),
    )
    .await;
    let pat = call_as(
        http,
        post.clone(),
        &format!("{ws_api}/token/create"),
        &basic(USER, PASSWORD),
        Some(json!({"comment": "bench", "lifetime_seconds": 86400})),
    )
    .await["token_value"]
        .as_str()
        .expect("token_value")
        .to_string();
    let sp = call(
        http,
        post.clone(),
        &format!("{ws_api}/preview/scim/v2/ServicePrincipals"),
        ADMIN_TOKEN,
        Some(json!({"displayName": "bench-bot"})),
    )
    .await;
    let secret = call(
        http,
        post,
        &format!(
            "{acct}/servicePrincipals/{}/credentials/secrets",
            sp["id"].as_str().expect("sp id")
        ),
        ADMIN_TOKEN,
        None,
    )
    .await;
    let resp = http
        .post(format!("{}/w/{ws}/oidc/v1/token", s.host))
        .basic_auth(
            sp["applicationId"].as_str().expect("applicationId"),
            secret["secret"].as_str(),
        )
        .form(&[("grant_type", "client_credentials"), ("scope", "all-apis")])
        .send()
        .await
        .expect("token request");
    assert!(
        resp.status().is_success(),
        "token endpoint: {}",
        resp.status()
    );
    let oauth: serde_json::Value = resp.json().await.expect("token json");
    let oauth = oauth["access_token"]
        .as_str()
        .expect("access_token")
        .to_string();
    (ws, pat, oauth)
}

fn row(name: &str, f: &Figures) {
    let cpu = f
        .cpu_per_request
        .map_or("-".to_string(), |c| format!("{:.0}", c.as_secs_f64() * 1e6));
    println!(
        "{name:<28} {:>10.0} {:>10.2} {:>10.2} {:>12}",
        f.rps,
        f.p50.as_secs_f64() * 1e3,
        f.p99.as_secs_f64() * 1e3,
        cpu
    );
}

/// What a burst did.
struct Burst {
    pat: Figures,
    took: Duration,
    verified: usize,
    throttled: usize,
}

/// Sends `attempts` wrong passwords for the user from `addresses` source addresses (32 at a
/// time) while `concurrency` clients GET `url` with the PAT; PAT figures cover the burst only.
async fn burst(
    http: &reqwest::Client,
    url: &str,
    pat: &str,
    attempts: usize,
    addresses: usize,
    concurrency: usize,
) -> Burst {
    let done = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut readers = Vec::new();
    for _ in 0..concurrency {
        let (http, url, auth, done) = (
            http.clone(),
            url.to_string(),
            format!("Bearer {pat}"),
            done.clone(),
        );
        readers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let t = Instant::now();
                call_as(&http, reqwest::Method::GET, &url, &auth, None).await;
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let next = Arc::new(AtomicUsize::new(0));
    let verified = Arc::new(AtomicUsize::new(0));
    let throttled = Arc::new(AtomicUsize::new(0));
    let mut attackers = Vec::new();
    for _ in 0..32 {
        let (http, url, next, verified, throttled) = (
            http.clone(),
            url.to_string(),
            next.clone(),
            verified.clone(),
            throttled.clone(),
        );
        attackers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= attempts {
                    break;
                }
                let a = i % addresses;
                let from = format!("10.{}.{}.{}", a / 65536 % 256, a / 256 % 256, a % 256);
                let status = http
                    .get(&url)
                    .header(
                        reqwest::header::AUTHORIZATION,
                        basic(USER, &format!("wrong guess {i:06}")),
                    )
                    .header("x-forwarded-for", from)
                    .send()
                    .await
                    .expect("send")
                    .status()
                    .as_u16();
                match status {
                    401 => verified.fetch_add(1, Ordering::Relaxed),
                    429 => throttled.fetch_add(1, Ordering::Relaxed),
                    other => panic!("a wrong password was answered {other}"),
                };
            }
        }));
    }
    for a in attackers {
        a.await.expect("attacker");
    }
    let took = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for r in readers {
        all.extend(r.await.expect("reader"));
    }
    Burst {
        pat: figures(all, started.elapsed(), None),
        took,
        verified: verified.load(Ordering::Relaxed),
        throttled: throttled.load(Ordering::Relaxed),
    }
}

#[tokio::main]
async fn main() {
    let seconds: u64 = env("BENCH_SECONDS", 5);
    let concurrency: usize = env("BENCH_CONCURRENCY", 16);
    let attempts: usize = env("BENCH_BURST", 1000);
    let loopback: ipnet::IpNet = "127.0.0.0/8".parse().expect("net");
    let s = start_trusting(Duration::from_secs(300), vec![loopback]).await;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");
    let (ws, pat, oauth) = setup(&http, &s).await;
    let me = format!("{}/w/{ws}/api/2.0/preview/scim/v2/Me", s.host);
    let get = reqwest::Method::GET;
    // A user who has never signed in: its first Basic request pays argon2 (cold cache).
    let cold_user = "bench-cold@example.com";
    call(
        &http,
        reqwest::Method::POST,
        &format!("{}/w/{ws}/api/2.0/preview/scim/v2/Users", s.host),
        ADMIN_TOKEN,
        Some(json!({"userName": cold_user, "password": PASSWORD})),
    )
    .await;
    let t = Instant::now();
    call_as(&http, get.clone(), &me, &basic(cold_user, PASSWORD), None).await;
    let first_basic = t.elapsed();
    println!(
        "auth benchmark: GET /preview/scim/v2/Me, {concurrency} clients, {seconds}s per case, {} cores (argon2: {} at a time, resting {}× its duration)",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        ironbrick::passwords::hashing_permits(),
        ironbrick::passwords::HASHING_REST
    );
    println!(
        "first Basic request (argon2id verification, cold cache): {:.1} ms",
        first_basic.as_secs_f64() * 1e3
    );
    println!(
        "{:<28} {:>10} {:>10} {:>10} {:>12}",
        "credential", "req/s", "p50 ms", "p99 ms", "cpu µs/req"
    );
    let cases = [
        ("PAT (Bearer dapi…)", format!("Bearer {pat}")),
        ("Basic (warm cache)", basic(USER, PASSWORD)),
        ("OAuth access token (M2M)", format!("Bearer {oauth}")),
    ];
    let mut idle = None;
    for (name, auth) in cases {
        let f = drive_as(
            &http,
            get.clone(),
            me.clone(),
            auth,
            None,
            seconds,
            concurrency,
        )
        .await;
        row(name, &f);
        idle.get_or_insert(f.rps);
    }
    let idle = idle.unwrap_or(1.0);
    for addresses in [10, attempts] {
        // Start each burst from a clean throttle state for the user.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let b = burst(&http, &me, &pat, attempts, addresses, concurrency).await;
        let share = 100.0 * b.pat.rps / idle;
        println!(
            "burst of {attempts} wrong passwords from {addresses} addresses: {:.2}s, {} verified (argon2), {} throttled (429); PAT GETs during it: {:.0} req/s = {share:.0}% of idle (target >= 80%), p99 {:.2} ms",
            b.took.as_secs_f64(),
            b.verified,
            b.throttled,
            b.pat.rps,
            b.pat.p99.as_secs_f64() * 1e3
        );
    }
    s.task.abort();
}
