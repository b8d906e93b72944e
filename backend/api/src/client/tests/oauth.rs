//! OAuth M2M credentials: the token request, caching, refresh ahead of expiry, one fetch for
//! concurrent requests, a renewed token after a 401, and Basic credentials on the wire.

use super::{fast, hits, ok, serve, Reply, Seen};
use crate::client::{Client, ClientError, Credentials};
use crate::ErrorCode;
use std::time::Duration;

const TOKEN_A: Reply = Reply::Answer(
    200,
    vec![],
    r#"{"access_token":"doa_AAAA","token_type":"Bearer","expires_in":3600,"scope":"all-apis"}"#,
);

fn m2m(base: &str) -> Client {
    let creds = Credentials::oauth_m2m(
        "app-1",
        "dose-client-secret",
        &format!("{base}/oidc/v1/token"),
    );
    Client::with_credentials(base, creds, fast(2_000)).expect("client")
}

fn requests(seen: &Seen) -> Vec<String> {
    seen.lock().expect("seen").clone()
}

#[tokio::test]
async fn the_token_is_fetched_once_with_the_client_credentials_and_reused() {
    let (base, seen) = serve(vec![TOKEN_A, ok("{}")]).await;
    let c = m2m(&base);
    for _ in 0..3 {
        c.get::<serde_json::Value>(&format!("{base}/api/2.0/x"))
            .await
            .expect("get");
    }
    let seen = requests(&seen);
    assert_eq!(seen.len(), 4, "{seen:?}");
    let token_req = &seen[0];
    assert!(token_req.starts_with("POST /oidc/v1/token "), "{token_req}");
    // base64("app-1:dose-client-secret")
    assert!(
        token_req.contains("authorization: Basic YXBwLTE6ZG9zZS1jbGllbnQtc2VjcmV0"),
        "{token_req}"
    );
    assert!(
        token_req.ends_with("grant_type=client_credentials&scope=all-apis"),
        "{token_req}"
    );
    for api in &seen[1..] {
        assert!(api.contains("authorization: Bearer doa_AAAA"), "{api}");
    }
}

#[tokio::test]
async fn concurrent_requests_share_one_token_fetch() {
    // Every connection after the first answers `{}`: a second token fetch would fail to decode.
    let (base, seen) = serve(vec![TOKEN_A, ok("{}")]).await;
    let c = m2m(&base);
    let url = format!("{base}/api/2.0/x");
    let calls = (0..8).map(|_| {
        let (c, url) = (c.clone(), url.clone());
        tokio::spawn(async move { c.get::<serde_json::Value>(&url).await })
    });
    for call in calls {
        call.await.expect("join").expect("get");
    }
    let token_fetches = requests(&seen)
        .iter()
        .filter(|r| r.starts_with("POST /oidc/v1/token"))
        .count();
    assert_eq!(token_fetches, 1);
    assert_eq!(hits(&seen), 9);
}

#[tokio::test]
async fn a_token_is_renewed_before_it_expires() {
    let short = Reply::Answer(
        200,
        vec![],
        r#"{"access_token":"doa_SHORT","token_type":"Bearer","expires_in":1,"scope":"all-apis"}"#,
    );
    let (base, seen) = serve(vec![short, ok("{}"), TOKEN_A, ok("{}")]).await;
    let c = m2m(&base);
    let url = format!("{base}/api/2.0/x");
    c.get::<serde_json::Value>(&url).await.expect("first");
    // Lifetime 1 s: renewed a quarter of it (250 ms) ahead, so at 800 ms it is renewed.
    tokio::time::sleep(Duration::from_millis(800)).await;
    c.get::<serde_json::Value>(&url).await.expect("second");
    let seen = requests(&seen);
    assert!(seen[1].contains("Bearer doa_SHORT"), "{seen:?}");
    assert!(seen[2].starts_with("POST /oidc/v1/token"), "{seen:?}");
    assert!(seen[3].contains("Bearer doa_AAAA"), "{seen:?}");
}

#[tokio::test]
async fn a_401_drops_the_token_and_the_request_is_sent_once_more() {
    let unauthorized = Reply::Answer(
        401,
        vec![],
        r#"{"error_code":"UNAUTHENTICATED","message":"Invalid access token."}"#,
    );
    let second = Reply::Answer(
        200,
        vec![],
        r#"{"access_token":"doa_BBBB","token_type":"Bearer","expires_in":3600,"scope":"all-apis"}"#,
    );
    let (base, seen) = serve(vec![TOKEN_A, unauthorized.clone(), second, ok("{}")]).await;
    let c = m2m(&base);
    c.get::<serde_json::Value>(&format!("{base}/api/2.0/x"))
        .await
        .expect("renewed");
    let seen = requests(&seen);
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert!(seen[3].contains("Bearer doa_BBBB"), "{seen:?}");

    // A second 401 with a fresh token is the answer: no loop.
    let (base, seen) = serve(vec![TOKEN_A, unauthorized.clone(), TOKEN_A, unauthorized]).await;
    let c = m2m(&base);
    let err = c
        .get::<serde_json::Value>(&format!("{base}/api/2.0/x"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Unauthenticated));
    assert_eq!(hits(&seen), 4, "token, 401, token, 401");
}

#[tokio::test]
async fn token_endpoint_errors_name_the_client_and_the_reason_but_not_the_secret() {
    let refused = Reply::Answer(
        401,
        vec![],
        r#"{"error":"invalid_client","error_description":"Client authentication failed."}"#,
    );
    let (base, _seen) = serve(vec![refused]).await;
    let err = m2m(&base)
        .get::<serde_json::Value>(&format!("{base}/api/2.0/x"))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, ClientError::Api { status: 401, .. }),
        "{text}"
    );
    assert!(
        text.contains("app-1") && text.contains("invalid_client"),
        "{text}"
    );
    assert!(text.contains("Client authentication failed."), "{text}");
    assert!(!text.contains("dose-client-secret"), "{text}");
}

#[tokio::test]
async fn basic_credentials_send_the_user_name_and_password() {
    let (base, seen) = serve(vec![ok("{}")]).await;
    let creds = Credentials::Basic {
        username: "ann@example.com".into(),
        password: "correct horse battery".into(),
    };
    let c = Client::with_credentials(&base, creds, fast(1_000)).expect("client");
    c.get::<serde_json::Value>(&format!("{base}/api/2.0/x"))
        .await
        .expect("get");
    assert!(format!("{c:?}").contains("Basic(ann@example.com:***)"));
    assert!(!format!("{c:?}").contains("horse"));
    // base64("ann@example.com:correct horse battery")
    assert!(
        requests(&seen)[0]
            .contains("authorization: Basic YW5uQGV4YW1wbGUuY29tOmNvcnJlY3QgaG9yc2UgYmF0dGVyeQ=="),
        "{:?}",
        requests(&seen)
    );
}
