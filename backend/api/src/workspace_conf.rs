//! Workspace configuration (`/api/2.0/workspace-conf`): a flat map of string keys to string values.

use std::collections::BTreeMap;

/// The setting names.
pub mod keys {
    pub const ENABLE_IP_ACCESS_LISTS: &str = "enableIpAccessLists";
    pub const MAX_TOKEN_LIFETIME_DAYS: &str = "maxTokenLifetimeDays";
    pub const ENABLE_TOKENS_CONFIG: &str = "enableTokensConfig";
}

/// Keys Ironbrick understands and enforces.
pub const KNOWN_KEYS: [&str; 3] = [
    keys::ENABLE_IP_ACCESS_LISTS,
    keys::MAX_TOKEN_LIFETIME_DAYS,
    keys::ENABLE_TOKENS_CONFIG,
];

/// Body of `PATCH /workspace-conf` and answer of `GET /workspace-conf?keys=...`.
pub type WorkspaceConf = BTreeMap<String, String>;

/// The value a setting has when nobody set it.
pub fn default_of(key: &str) -> &'static str {
    match key {
        keys::ENABLE_IP_ACCESS_LISTS => "false",
        keys::ENABLE_TOKENS_CONFIG => "true",
        _ => "",
    }
}

/// The stored form of a (trimmed) value for `key`, or why it is refused. An empty value resets
/// the setting to its default. Shared by the server and the provider's plan-time checks.
pub fn normalize_value(key: &str, text: &str) -> Result<String, String> {
    match key {
        keys::MAX_TOKEN_LIFETIME_DAYS => match text.parse::<i64>() {
            _ if text.is_empty() => Ok(String::new()),
            Ok(d) if (0..=730).contains(&d) => Ok(d.to_string()),
            _ => Err(format!(
                "{key}: {text:?} is not a number of days between 0 and 730."
            )),
        },
        _ => match text.to_ascii_lowercase().as_str() {
            "true" | "false" => Ok(text.to_ascii_lowercase()),
            "" => Ok(default_of(key).to_string()),
            _ => Err(format!("{key}: {text:?} is not true or false.")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_normalize_or_are_refused() {
        assert_eq!(
            normalize_value(keys::ENABLE_IP_ACCESS_LISTS, "TRUE").unwrap(),
            "true"
        );
        assert_eq!(
            normalize_value(keys::ENABLE_TOKENS_CONFIG, "").unwrap(),
            "true"
        );
        assert_eq!(
            normalize_value(keys::MAX_TOKEN_LIFETIME_DAYS, "90").unwrap(),
            "90"
        );
        assert!(normalize_value(keys::MAX_TOKEN_LIFETIME_DAYS, "731").is_err());
        assert!(normalize_value(keys::ENABLE_IP_ACCESS_LISTS, "yes").is_err());
    }
}
