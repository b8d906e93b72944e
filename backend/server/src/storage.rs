//! Choosing and opening the store: embedded sled under the data dir, or a PostgreSQL database
//! shared by replicas.

use anyhow::Context;
use ironbrick_store::{PgStore, SledOptions, SledStore, Store};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

/// The value of `--store`. Debug and Display never show a database password.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreChoice {
    /// sled in `<data-dir>/db` (the default).
    Sled,
    /// A PostgreSQL database: a `postgres://` or `postgresql://` URL.
    Postgres(String),
}

impl FromStr for StoreChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "sled" {
            Ok(Self::Sled)
        } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(Self::Postgres(s.to_string()))
        } else {
            // Not echoed: it may be a mistyped URL with a password.
            Err("expected `sled` or a postgres:// URL".into())
        }
    }
}

impl std::fmt::Display for StoreChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sled => f.write_str("sled"),
            Self::Postgres(url) => f.write_str(&ironbrick_store::redacted_url(url)),
        }
    }
}

impl std::fmt::Debug for StoreChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// A whole installation's store, as `ironbrick migrate` names one: a sled data dir (`PATH` or
/// `sled:PATH`, the directory `--data-dir` names, holding `db/` and `kms/`) or a PostgreSQL
/// URL. Debug and Display never show a database password.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// The data dir of a sled installation.
    Sled(PathBuf),
    /// A PostgreSQL database: a `postgres://` or `postgresql://` URL.
    Postgres(String),
}

impl FromStr for StoreLocation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Ok(StoreChoice::Postgres(url)) = s.parse::<StoreChoice>() {
            return Ok(Self::Postgres(url));
        }
        let path = s.strip_prefix("sled:").unwrap_or(s);
        if path.is_empty() || path == "sled" {
            return Err("expected a sled data dir (PATH or sled:PATH) or a postgres:// URL".into());
        }
        if path.contains("://") {
            // Not echoed: it may be a mistyped URL with a password.
            return Err("expected a sled data dir (PATH or sled:PATH) or a postgres:// URL".into());
        }
        Ok(Self::Sled(PathBuf::from(path)))
    }
}

impl std::fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sled(dir) => write!(f, "sled:{}", dir.display()),
            Self::Postgres(url) => f.write_str(&ironbrick_store::redacted_url(url)),
        }
    }
}

impl std::fmt::Debug for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// sled options for a command-line tool working on a data dir (no disk reserve: a tool
/// finishing its work beats refusing it).
pub fn unreserved() -> SledOptions {
    SledOptions {
        min_free: 0,
        ..SledOptions::default()
    }
}

/// Opens the chosen store (`pool_size` connections for PostgreSQL), creating or migrating it.
/// sled is opened with `sled` (its disk reserve and cache bound, [`SledOptions`]).
pub fn open(
    choice: &StoreChoice,
    data_dir: &Path,
    pool_size: usize,
    sled: SledOptions,
) -> anyhow::Result<Store> {
    Ok(match choice {
        StoreChoice::Sled => {
            let dir = data_dir.join("db");
            Store::new(Arc::new(SledStore::open_with(&dir, sled).with_context(
                || format!("opening the store in {}", dir.display()),
            )?))
        }
        StoreChoice::Postgres(url) => Store::new(Arc::new(
            PgStore::connect(url, pool_size)
                .with_context(|| format!("opening the store at {choice}"))?,
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_never_shows_the_password() {
        assert_eq!("sled".parse::<StoreChoice>().unwrap(), StoreChoice::Sled);
        let pg: StoreChoice = "postgres://u:pw-123@127.0.0.1:5432/ib".parse().unwrap();
        assert_eq!(pg.to_string(), "postgres://u@127.0.0.1:5432/ib");
        assert!(!format!("{pg:?}").contains("pw-123"));
        let err = "mysql://u:pw-123@h/db".parse::<StoreChoice>().unwrap_err();
        assert!(!err.contains("pw-123"));
    }

    #[test]
    fn locations_are_data_dirs_or_urls() {
        let at = |s: &str| s.parse::<StoreLocation>();
        assert_eq!(at("./data").unwrap(), StoreLocation::Sled("./data".into()));
        assert_eq!(at("sled:/x/y").unwrap(), StoreLocation::Sled("/x/y".into()));
        assert_eq!(at("sled:/x/y").unwrap().to_string(), "sled:/x/y");
        let pg = at("postgresql://u:pw-123@127.0.0.1/ib").unwrap();
        assert!(matches!(pg, StoreLocation::Postgres(_)));
        assert!(!format!("{pg} {pg:?}").contains("pw-123"));
        for bad in ["", "sled", "sled:", "mysql://u:pw-123@h/db"] {
            let err = at(bad).unwrap_err();
            assert!(!err.contains("pw-123"), "{err}");
        }
    }
}
