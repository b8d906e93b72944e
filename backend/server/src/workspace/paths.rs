//! Workspace object paths: absolute, normalized, bounded.

use crate::error::{ApiError, ApiResult};

/// Longest accepted path.
pub const MAX_PATH: usize = 4096;

/// Directories every workspace has; they cannot be deleted.
pub const BUILT_IN_DIRS: [&str; 4] = ["/", "/Users", "/Shared", "/Repos"];

/// Normalizes `path` (drops a trailing slash) or refuses it.
pub fn normalize(path: &str) -> ApiResult<String> {
    let bad = |why: &str| ApiError::invalid(format!("path {path:?} {why}."));
    if !path.starts_with('/') {
        return Err(bad("must be absolute (start with /)"));
    }
    if path.len() > MAX_PATH {
        return Err(bad("is too long"));
    }
    if path.chars().any(char::is_control) {
        return Err(bad("contains control characters"));
    }
    let trimmed = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    if trimmed.is_empty() {
        return Ok("/".into());
    }
    if trimmed.len() > 1
        && trimmed[1..]
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err(bad("has an empty, '.' or '..' segment"));
    }
    Ok(trimmed.to_string())
}

/// The parent directory of a normalized path (`None` for the root).
pub fn parent(path: &str) -> Option<&str> {
    if path == "/" {
        return None;
    }
    match path.rfind('/') {
        Some(0) => Some("/"),
        Some(i) => Some(&path[..i]),
        None => None,
    }
}

/// The prefix under which the descendants of directory `path` are stored.
pub fn children_prefix(path: &str) -> String {
    if path == "/" {
        "/".into()
    } else {
        format!("{path}/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_refuses() {
        assert_eq!(normalize("/a/b/").unwrap(), "/a/b");
        assert_eq!(normalize("/").unwrap(), "/");
        for bad in ["a/b", "/a//b", "/a/../b", "/a/./b", ""] {
            assert!(normalize(bad).is_err(), "{bad}");
        }
        assert_eq!(parent("/a/b"), Some("/a"));
        assert_eq!(parent("/a"), Some("/"));
        assert_eq!(parent("/"), None);
        assert_eq!(children_prefix("/"), "/");
        assert_eq!(children_prefix("/a"), "/a/");
    }
}
