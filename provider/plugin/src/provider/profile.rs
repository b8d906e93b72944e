//! `~/.databrickscfg`-style config files: INI sections of `key = value`, one per profile, read
//! as the official SDKs do. Without an explicit profile the file supplies values only when
//! neither `host` nor any credential is configured otherwise, and then from the profile named
//! by `[__settings__] default_profile`, else `DEFAULT` (a missing file or `DEFAULT` section is
//! then simply empty). An explicitly named profile must exist.

use std::collections::BTreeMap;

/// The reserved section holding tool settings, never a profile.
const SETTINGS_SECTION: &str = "__settings__";

/// The values of one profile, and where they came from (for diagnostics).
#[derive(Debug, Default, Clone)]
pub(crate) struct Profile {
    pub values: BTreeMap<String, String>,
    /// `profile NAME of PATH`, when a profile was read.
    pub origin: String,
}

/// A parsed config file: sections in order, keys as written.
pub(crate) type Sections = BTreeMap<String, BTreeMap<String, String>>;

/// Parses INI text. Comments start a line with `#` or `;`, or follow whitespace inside a value
/// (so `#` and `;` may appear in passwords and tokens).
pub(crate) fn parse(text: &str) -> Sections {
    let mut sections = Sections::new();
    let mut current: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = name.trim().to_owned();
            sections.entry(name.clone()).or_default();
            current = Some(name);
        } else if let (Some(section), Some((k, v))) = (&current, line.split_once('=')) {
            sections
                .entry(section.clone())
                .or_default()
                .insert(k.trim().to_owned(), strip_comment(v).trim().to_owned());
        }
    }
    sections
}

fn strip_comment(v: &str) -> &str {
    let bytes = v.as_bytes();
    for i in 1..bytes.len() {
        if matches!(bytes[i], b'#' | b';') && bytes[i - 1].is_ascii_whitespace() {
            return &v[..i];
        }
    }
    v
}

/// Which profile to read and from which file.
#[derive(Debug)]
pub(crate) struct Request {
    /// The file, `~` not yet expanded.
    pub path: String,
    /// Whether `config_file` / `DATABRICKS_CONFIG_FILE` named the file.
    pub explicit_path: bool,
    /// The profile named by `profile` / `DATABRICKS_CONFIG_PROFILE`.
    pub profile: Option<String>,
    /// The home directory, for `~`.
    pub home: Option<String>,
}

/// Reads the requested profile: `Ok(empty)` when there is nothing to read, `Err` (a sentence)
/// when a named file or profile is missing.
pub(crate) fn load(req: &Request) -> Result<Profile, String> {
    let path = match expand_home(&req.path, req.home.as_deref()) {
        Ok(p) => p,
        Err(_) if req.profile.is_none() && !req.explicit_path => return Ok(Profile::default()),
        Err(why) => return Err(why),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return match (&req.profile, req.explicit_path) {
                (Some(p), _) => Err(format!(
                    "profile {p:?} was named, but {path} does not exist."
                )),
                (None, true) => Err(format!("config_file {path} does not exist.")),
                (None, false) => Ok(Profile::default()),
            };
        }
        Err(e) => return Err(format!("cannot read {path}: {e}")),
    };
    let sections = parse(&text);
    let (name, fallback) = match &req.profile {
        Some(p) => (p.clone(), false),
        None => match sections
            .get(SETTINGS_SECTION)
            .and_then(|s| s.get("default_profile"))
            .filter(|p| !p.is_empty())
        {
            Some(p) => (p.clone(), false),
            None => ("DEFAULT".to_owned(), true),
        },
    };
    if name == SETTINGS_SECTION {
        return Err(format!(
            "{path}: {SETTINGS_SECTION} is a reserved section name and cannot be used as a profile."
        ));
    }
    match sections.get(&name).filter(|s| !s.is_empty()) {
        Some(values) => Ok(Profile {
            values: values.clone(),
            origin: format!("profile {name} of {path}"),
        }),
        None if fallback => Ok(Profile::default()),
        None => Err(format!("{path} has no {name} profile configured.")),
    }
}

fn expand_home(path: &str, home: Option<&str>) -> Result<String, String> {
    match path.strip_prefix('~') {
        Some(rest) => match home {
            Some(h) => Ok(format!("{h}{rest}")),
            None => Err(format!("cannot expand {path}: HOME is not set.")),
        },
        None => Ok(path.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_keys_and_comments_parse_as_the_official_sdks_do() {
        let text = "# top\n[DEFAULT]\nhost = http://a\n\n[acct]\n; c\nhost=http://b\n\
                    token = dapi#1 # trailing\npassword = p;w\n";
        let s = parse(text);
        assert_eq!(s["DEFAULT"]["host"], "http://a");
        assert_eq!(s["acct"]["host"], "http://b");
        assert_eq!(s["acct"]["token"], "dapi#1");
        assert_eq!(s["acct"]["password"], "p;w");
    }

    fn request(dir: &tempfile::TempDir, profile: Option<&str>) -> Request {
        Request {
            path: "~/cfg".to_owned(),
            explicit_path: true,
            profile: profile.map(str::to_owned),
            home: Some(dir.path().display().to_string()),
        }
    }

    #[test]
    fn profiles_are_chosen_explicitly_by_default_profile_or_default() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("cfg");
        std::fs::write(&file, "[DEFAULT]\nhost = http://a\n[b]\nhost = http://b\n").expect("w");
        let p = load(&request(&dir, None)).expect("default");
        assert_eq!(p.values["host"], "http://a");
        assert!(p.origin.starts_with("profile DEFAULT of "), "{}", p.origin);
        assert_eq!(
            load(&request(&dir, Some("b"))).expect("b").values["host"],
            "http://b"
        );
        let e = load(&request(&dir, Some("nope"))).expect_err("missing profile");
        assert!(e.ends_with("has no nope profile configured."), "{e}");

        std::fs::write(
            &file,
            "[__settings__]\ndefault_profile = b\n[b]\nhost = http://b\n",
        )
        .expect("w");
        assert_eq!(
            load(&request(&dir, None)).expect("b").values["host"],
            "http://b"
        );
        assert!(load(&request(&dir, Some("__settings__"))).is_err());

        std::fs::write(&file, "[other]\nhost = http://o\n").expect("w");
        assert!(load(&request(&dir, None))
            .expect("no DEFAULT")
            .values
            .is_empty());
    }

    #[test]
    fn a_missing_file_is_an_error_only_when_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut req = request(&dir, None);
        assert!(load(&req)
            .expect_err("named file")
            .contains("does not exist"));
        req.explicit_path = false;
        assert!(load(&req)
            .expect("default file may be absent")
            .values
            .is_empty());
        req.profile = Some("p".to_owned());
        assert!(load(&req)
            .expect_err("named profile")
            .contains("\"p\" was named"));
    }
}
