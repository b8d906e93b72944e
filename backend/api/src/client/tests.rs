//! The client against tiny scripted HTTP servers on 127.0.0.1: retries, `Retry-After`, the retry
//! timeout, never repeating a POST the server may have applied, per-request timeouts, the rate
//! limiter, TLS verification and redaction of secrets in debug logs.

use super::*;
use std::io::Write;

mod oauth;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// How the server answers one connection.
#[derive(Clone)]
pub(super) enum Reply {
    /// Status, extra headers, body.
    Answer(u16, Vec<(&'static str, &'static str)>, &'static str),
    /// Read the request, then close the connection without answering.
    Drop,
    /// Read the request and never answer.
    Hang,
}

pub(super) fn ok(body: &'static str) -> Reply {
    Reply::Answer(200, vec![], body)
}

/// What the server saw: one entry (request line, headers and body) per request.
pub(super) type Seen = Arc<Mutex<Vec<String>>>;

/// Serves `script` on 127.0.0.1, one reply per connection, the last one repeated.
pub(super) async fn serve(script: Vec<Reply>) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Seen::default();
    tokio::spawn(accept_loop(listener, script, Arc::clone(&seen), None));
    (format!("http://{addr}"), seen)
}

async fn accept_loop(
    listener: TcpListener,
    script: Vec<Reply>,
    seen: Seen,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let mut n = 0;
    while let Ok((sock, _)) = listener.accept().await {
        let reply = script[n.min(script.len() - 1)].clone();
        n += 1;
        let seen = Arc::clone(&seen);
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => answer(sock, reply, seen).await,
                Some(acceptor) => {
                    if let Ok(stream) = acceptor.accept(sock).await {
                        answer(stream, reply, seen).await;
                    }
                }
            }
        });
    }
}

async fn answer<S: AsyncRead + AsyncWrite + Unpin>(sock: S, reply: Reply, seen: Seen) {
    let mut r = BufReader::new(sock);
    let mut head = String::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        let end = line == "\r\n";
        head.push_str(&line);
        if end {
            break;
        }
    }
    let mut body = vec![0; length];
    if r.read_exact(&mut body).await.is_err() {
        return;
    }
    head.push_str(&String::from_utf8_lossy(&body));
    seen.lock().expect("seen").push(head);
    match reply {
        Reply::Drop => {}
        Reply::Hang => tokio::time::sleep(Duration::from_secs(30)).await,
        Reply::Answer(status, headers, body) => {
            let mut out = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            out.push_str(body);
            let _ = r.get_mut().write_all(out.as_bytes()).await;
            let _ = r.get_mut().shutdown().await;
        }
    }
}

/// Fast options for tests: short back-off, no rate limit to speak of.
pub(super) fn fast(retry_timeout_ms: u64) -> ClientOptions {
    ClientOptions {
        http_timeout: Duration::from_secs(5),
        retry_timeout: Some(Duration::from_millis(retry_timeout_ms)),
        backoff: Backoff {
            min: Duration::from_millis(40),
            max: Duration::from_millis(80),
        },
        limiter: Arc::new(RateLimiter::new(1000)),
        ..ClientOptions::default()
    }
}

fn client(base: &str, opts: ClientOptions) -> Client {
    Client::with_options(base, "dapi-test-token-0123456789", opts).expect("client")
}

pub(super) fn hits(seen: &Seen) -> usize {
    seen.lock().expect("seen").len()
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after_seconds() {
    let (base, seen) = serve(vec![
        Reply::Answer(
            429,
            vec![("Retry-After", "1")],
            r#"{"error_code":"REQUEST_LIMIT_EXCEEDED","message":"slow down"}"#,
        ),
        ok(r#"{"token_id":"t1"}"#),
    ])
    .await;
    let c = client(&base, fast(5_000));
    let start = Instant::now();
    let v: serde_json::Value = c
        .post(
            &format!("{base}/api/2.0/token/create"),
            &serde_json::json!({}),
        )
        .await
        .expect("retried to success");
    let took = start.elapsed();
    assert_eq!(v["token_id"], "t1");
    assert_eq!(
        hits(&seen),
        2,
        "a 429 means the server did not act: POST retried once"
    );
    assert!(
        took >= Duration::from_millis(990),
        "Retry-After honoured: {took:?}"
    );
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test]
async fn a_503_is_retried_with_backoff_until_the_retry_timeout() {
    let (base, seen) = serve(vec![Reply::Answer(
        503,
        vec![],
        r#"{"error_code":"TEMPORARILY_UNAVAILABLE","message":"busy"}"#,
    )])
    .await;
    let c = client(&base, fast(600));
    let start = Instant::now();
    let e = c
        .get::<serde_json::Value>(&format!("{base}/api/2.0/x"))
        .await
        .expect_err("503 forever");
    let took = start.elapsed();
    assert!(matches!(e, ClientError::Api { status: 503, .. }), "{e}");
    assert!(e.to_string().contains("busy (gave up after"), "{e}");
    assert!(
        hits(&seen) >= 4,
        "back-off of 20-80 ms: {} attempts",
        hits(&seen)
    );
    assert!(took >= Duration::from_millis(500), "{took:?}");
    assert!(
        took < Duration::from_millis(1_500),
        "stops at the retry timeout: {took:?}"
    );
}

#[tokio::test]
async fn other_errors_are_not_retried_and_keep_their_code() {
    let (base, seen) = serve(vec![Reply::Answer(
        404,
        vec![],
        r#"{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"no such scope"}"#,
    )])
    .await;
    let e = client(&base, fast(5_000))
        .get::<serde_json::Value>(&format!("{base}/api/2.0/x"))
        .await
        .expect_err("404");
    assert!(e.is_not_found());
    assert_eq!(e.code(), Some(ErrorCode::ResourceDoesNotExist));
    assert_eq!(hits(&seen), 1);
}

#[tokio::test]
async fn a_missing_api_is_not_a_missing_object() {
    let (base, _) = serve(vec![Reply::Answer(
        404,
        vec![],
        r#"{"error_code":"ENDPOINT_NOT_FOUND","message":"No API found for /api/2.0/x."}"#,
    )])
    .await;
    let e = client(&base, fast(5_000))
        .get::<serde_json::Value>(&format!("{base}/api/2.0/x"))
        .await
        .expect_err("404");
    assert!(
        !e.is_not_found(),
        "a wrong host must not drop objects from state"
    );
    assert_eq!(e.code(), Some(ErrorCode::EndpointNotFound));
}

#[tokio::test]
async fn a_post_is_never_repeated_after_the_connection_drops_but_a_get_is() {
    let (base, seen) = serve(vec![Reply::Drop]).await;
    let c = client(&base, fast(400));
    let e = c
        .post::<_, serde_json::Value>(
            &format!("{base}/api/2.0/secrets/put"),
            &serde_json::json!({}),
        )
        .await
        .expect_err("dropped");
    assert!(matches!(e, ClientError::Transport(_)), "{e}");
    assert_eq!(
        hits(&seen),
        1,
        "the server may have acted: POST not retried"
    );

    let (base, seen) = serve(vec![Reply::Drop, ok("{}")]).await;
    let c = client(&base, fast(2_000));
    c.get::<serde_json::Value>(&format!("{base}/api/2.0/x"))
        .await
        .expect("GET is idempotent: retried");
    assert_eq!(hits(&seen), 2);
}

#[tokio::test]
async fn a_refused_connection_is_retried_even_for_a_post() {
    // A free port nobody listens on yet; the server starts there 300 ms later.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = probe.local_addr().expect("addr");
    drop(probe);
    let seen = Seen::default();
    let later = Arc::clone(&seen);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let listener = TcpListener::bind(addr).await.expect("rebind");
        accept_loop(listener, vec![ok(r#"{"scope":"s"}"#)], later, None).await;
    });
    let base = format!("http://{addr}");
    let start = Instant::now();
    let v: serde_json::Value = client(&base, fast(5_000))
        .post(
            &format!("{base}/api/2.0/secrets/scopes/create"),
            &serde_json::json!({}),
        )
        .await
        .expect("nothing was sent before the server came up");
    assert_eq!(v["scope"], "s");
    assert_eq!(hits(&seen), 1, "the POST reached the server exactly once");
    assert!(start.elapsed() >= Duration::from_millis(250));
}

#[tokio::test]
async fn the_per_request_timeout_applies_and_only_idempotent_requests_retry_it() {
    let (base, seen) = serve(vec![Reply::Hang]).await;
    let opts = ClientOptions {
        http_timeout: Duration::from_millis(200),
        ..fast(700)
    };
    let c = client(&base, opts.clone());
    let start = Instant::now();
    let e = c
        .post::<_, serde_json::Value>(&format!("{base}/api/2.0/x"), &serde_json::json!({}))
        .await
        .expect_err("hangs");
    let took = start.elapsed();
    assert!(
        e.to_string().contains("no complete answer within 0.2s"),
        "{e}"
    );
    assert!(
        took >= Duration::from_millis(190) && took < Duration::from_secs(2),
        "{took:?}"
    );
    assert_eq!(
        hits(&seen),
        1,
        "a POST that timed out may have been applied"
    );

    let (base, seen) = serve(vec![Reply::Hang]).await;
    let e = client(&base, opts)
        .get::<serde_json::Value>(&format!("{base}/api/2.0/x"))
        .await
        .expect_err("hangs");
    assert!(e.to_string().contains("gave up after"), "{e}");
    assert!(
        hits(&seen) >= 2,
        "GET retried after a timeout: {}",
        hits(&seen)
    );
}

#[tokio::test]
async fn the_rate_limiter_paces_concurrent_requests_of_every_clone() {
    let (base, seen) = serve(vec![ok("{}")]).await;
    let opts = ClientOptions {
        limiter: Arc::new(RateLimiter::new(10)),
        ..fast(5_000)
    };
    let c = client(&base, opts);
    let url = format!("{base}/api/2.0/x");
    let start = Instant::now();
    let calls = (0..6).map(|_| {
        let c = c.clone();
        let url = url.clone();
        tokio::spawn(async move { c.get::<serde_json::Value>(&url).await })
    });
    for call in calls.collect::<Vec<_>>() {
        call.await.expect("task").expect("200");
    }
    let took = start.elapsed();
    assert_eq!(hits(&seen), 6);
    // 6 requests at 10/s: at least 5 intervals of 100 ms.
    assert!(took >= Duration::from_millis(490), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test]
async fn tls_certificates_are_verified_unless_skip_verify() {
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .expect("params")
        .self_signed(&key)
        .expect("cert");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
    .expect("config");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("https://{}", listener.local_addr().expect("addr"));
    let seen = Seen::default();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    tokio::spawn(accept_loop(
        listener,
        vec![ok("{}")],
        Arc::clone(&seen),
        Some(acceptor),
    ));
    let url = format!("{base}/api/2.0/x");

    let e = client(&base, fast(300))
        .get::<serde_json::Value>(&url)
        .await
        .expect_err("self-signed certificate refused");
    assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");
    assert_eq!(hits(&seen), 0);

    let opts = ClientOptions {
        skip_verify: true,
        ..fast(300)
    };
    client(&base, opts)
        .get::<serde_json::Value>(&url)
        .await
        .expect("skip_verify accepts it");
    assert_eq!(hits(&seen), 1);
}

/// Collects formatted tracing output.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Log {
    type Writer = Log;
    fn make_writer(&'a self) -> Log {
        self.clone()
    }
}

impl Log {
    fn len(&self) -> usize {
        self.0.lock().expect("log").len()
    }

    fn text_from(&self, start: usize) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log")[start..]).into_owned()
    }
}

/// The process-wide DEBUG log of this test binary. A global subscriber, not a scoped one:
/// tracing caches per call site whether anyone listens, and a scoped subscriber races with the
/// other tests' threads (which have none) over that cache, so events went missing at random.
/// Other tests log here too; what they add carries none of the secrets checked below.
fn global_log() -> Log {
    static LOG: std::sync::OnceLock<Log> = std::sync::OnceLock::new();
    LOG.get_or_init(|| {
        let log = Log::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(log.clone())
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("first global subscriber");
        log
    })
    .clone()
}

/// Runs one POST with secrets in the token, the request and the answer, logging at DEBUG;
/// returns what the log gained meanwhile.
async fn logged_round_trip(debug_headers: bool) -> String {
    let log = global_log();
    let start = log.len();
    let (base, _) = serve(vec![Reply::Answer(
        200,
        vec![("X-Echo", "dapi-test-token-0123456789")],
        r#"{"token_value":"dapiANSWERSECRET","token_info":{"token_id":"tok-1","comment":"ci"}}"#,
    )])
    .await;
    let opts = ClientOptions {
        debug_headers,
        ..fast(1_000)
    };
    let body = serde_json::json!({
        "scope": "prod", "key": "db", "string_value": "hunter2-secret-value",
        "comment": "c".repeat(300),
    });
    let _: serde_json::Value = client(&base, opts)
        .post(&format!("{base}/api/2.0/secrets/put"), &body)
        .await
        .expect("200");
    log.text_from(start)
}

#[tokio::test]
async fn debug_logs_show_the_round_trip_but_never_a_secret() {
    let text = logged_round_trip(true).await;
    for secret in ["dapi-test-token-0123456789", "hunter2", "dapiANSWERSECRET"] {
        assert!(!text.contains(secret), "{secret} reached the log:\n{text}");
    }
    for shown in [
        "DEBUG",
        "POST http://127.0.0.1:",
        "/api/2.0/secrets/put",
        "status=200",
        "elapsed_ms=",
        "> * authorization: **REDACTED**",
        "> * content-type: application/json",
        "< * x-echo: **REDACTED**",
        r#""string_value":"**REDACTED**""#,
        r#""scope":"prod""#,
        r#""token_id":"tok-1""#,
        "... (204 more bytes)",
    ] {
        assert!(text.contains(shown), "{shown:?} missing from:\n{text}");
    }

    let text = logged_round_trip(false).await;
    assert!(text.contains("POST http://127.0.0.1:"), "{text}");
    assert!(
        !text.to_lowercase().contains("authorization"),
        "headers only with debug_headers"
    );
    assert!(!text.contains("dapi-test-token-0123456789") && !text.contains("hunter2"));
}
