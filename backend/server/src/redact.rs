//! Keeping secret values out of the audit log (and so out of delivered audit logs).
//!
//! The audit log never sees request bodies. What it does record (path parameters, query
//! parameters, the user agent) goes through here first:
//! - a parameter whose *name* is secret-ish ([`is_secret_name`]: `token`, `client_secret`,
//!   `string_value`, `password`, `code`, ...) has its value replaced by [`REDACTED`];
//! - any *value* containing something shaped like a Databricks token (`dapi`, `dose`, `dkea`
//!   followed by 16 or more letters and digits) or a `Bearer`/`Basic` credential has that part
//!   replaced ([`scrub`]);
//! - values are cut to [`MAX_VALUE`] characters.

/// What a redacted value reads as.
pub const REDACTED: &str = "**REDACTED**";
/// Longest recorded value (characters).
pub const MAX_VALUE: usize = 256;

/// Name parts that mark a parameter as secret (names are split on `_`, `-` and `.`, and
/// compared lower-case).
const SECRET_PARTS: [&str; 16] = [
    "token",
    "tokens",
    "secret",
    "secrets",
    "password",
    "passwd",
    "pwd",
    "apikey",
    "signature",
    "authorization",
    "auth",
    "code",
    "assertion",
    "value",
    "credential",
    "cookie",
];

/// Prefixes of Databricks token values.
const TOKEN_PREFIXES: [&str; 3] = ["dapi", "dose", "dkea"];

/// Whether a parameter called `name` carries a secret. A name ending in `id` (`token_id`,
/// `secret_id`) names an object, not its value, and is kept.
pub fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let parts: Vec<&str> = lower
        .split(['_', '-', '.'])
        .filter(|p| !p.is_empty())
        .collect();
    if matches!(parts.last(), Some(&"id") | Some(&"ids")) {
        return false;
    }
    parts.iter().any(|p| SECRET_PARTS.contains(p))
}

/// `value` with every token-shaped part replaced, cut to [`MAX_VALUE`] characters.
pub fn scrub(value: &str) -> String {
    let lower = value.to_ascii_lowercase();
    if lower.contains("bearer ") || lower.contains("basic ") {
        return REDACTED.to_owned();
    }
    let chars: Vec<char> = value.chars().collect();
    let mut out = String::with_capacity(value.len());
    let mut i = 0;
    while i < chars.len() {
        let rest: String = chars[i..]
            .iter()
            .take(4)
            .collect::<String>()
            .to_ascii_lowercase();
        if TOKEN_PREFIXES.contains(&rest.as_str()) {
            let run = chars[i + 4..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == '-' || **c == '_')
                .count();
            if run >= 16 {
                out.push_str(REDACTED);
                i += 4 + run;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    if out.chars().count() > MAX_VALUE {
        out = out.chars().take(MAX_VALUE).collect();
    }
    out
}

/// The recorded value of parameter `name`.
pub fn param(name: &str, value: &str) -> String {
    if is_secret_name(name) {
        REDACTED.to_owned()
    } else {
        scrub(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_are_redacted_ids_are_kept() {
        for secret in [
            "token",
            "access_token",
            "client_secret",
            "string_value",
            "bytes_value",
            "password",
            "code",
            "X-Databricks-Auth",
            "refresh.token",
        ] {
            assert!(is_secret_name(secret), "{secret}");
            assert_eq!(param(secret, "anything"), REDACTED);
        }
        for plain in [
            "token_id",
            "secret_id",
            "scope",
            "key",
            "cluster_id",
            "path",
            "credentials_id",
        ] {
            assert!(!is_secret_name(plain), "{plain}");
        }
        assert_eq!(param("scope", "s1"), "s1");
    }

    #[test]
    fn token_shaped_values_are_scrubbed_anywhere() {
        let token = format!("dapi{}", "0123456789abcdef".repeat(2));
        assert_eq!(scrub(&token), REDACTED);
        assert_eq!(scrub(&format!("/x/{token}/y")), format!("/x/{REDACTED}/y"));
        assert_eq!(scrub("curl/8 Bearer abc"), REDACTED);
        assert_eq!(scrub("dapi-short"), "dapi-short");
        assert_eq!(scrub("databricks-sdk-py/0.1"), "databricks-sdk-py/0.1");
        assert_eq!(scrub(&"x".repeat(1000)).len(), MAX_VALUE);
        assert_eq!(scrub("é".repeat(300).as_str()).chars().count(), MAX_VALUE);
    }
}
