//! The hand-written half of the documentation: `provider/plugin/docs-src/`.
//!
//! A page source is Markdown with a small front matter and `## ` sections:
//!
//! ```text
//! ---
//! subcategory: Security
//! description: One sentence saying what the type is for.
//! import: <scope>|||<key>          (resources only; `none` when import is not offered)
//! ---
//! Intro paragraphs.
//!
//! ## Example Usage
//! Prose, and examples by file name: {{example secret.tf}}
//!
//! ## Arguments
//! * `string_value` - description that replaces the schema's in the reference
//! * `provider_config.workspace_id` - nested attributes by dotted path
//!
//! ## Import
//! Prose added after the generated import instructions.
//!
//! ## Anything else
//! Rendered as written, after the attribute reference.
//! ```
//!
//! `## Arguments` and `## Attributes` are description overrides, never rendered as written.

use std::collections::BTreeMap;

/// A parsed page source.
#[derive(Debug, Default, Clone)]
pub struct PageSource {
    /// Front matter (`key: value` lines; surrounding quotes removed).
    pub front: BTreeMap<String, String>,
    /// Text before the first `## ` heading.
    pub intro: String,
    /// The `## ` sections in order: heading text and body.
    pub sections: Vec<(String, String)>,
}

/// Section names that hold description overrides.
pub const OVERRIDE_SECTIONS: [&str; 2] = ["Arguments", "Attributes"];

impl PageSource {
    /// Parses a page source; `what` names it in errors.
    pub fn parse(text: &str, what: &str) -> Result<Self, String> {
        let mut out = PageSource::default();
        let mut lines = text.lines().peekable();
        if lines.peek() == Some(&"---") {
            lines.next();
            loop {
                let Some(line) = lines.next() else {
                    return Err(format!("{what}: front matter is not closed with ---"));
                };
                if line == "---" {
                    break;
                }
                if line.trim().is_empty() || line.trim_start().starts_with('#') {
                    continue;
                }
                let Some((k, v)) = line.split_once(':') else {
                    return Err(format!(
                        "{what}: front matter line {line:?} is not `key: value`"
                    ));
                };
                let v = v.trim();
                let v = v
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or(v);
                out.front.insert(k.trim().to_owned(), v.to_owned());
            }
        }
        let mut current: Option<(String, String)> = None;
        let mut in_fence = false;
        for line in lines {
            if line.trim_start().starts_with("```") {
                in_fence = !in_fence;
            }
            if !in_fence {
                if let Some(heading) = line.strip_prefix("## ") {
                    if let Some(done) = current.take() {
                        out.sections.push(done);
                    }
                    current = Some((heading.trim().to_owned(), String::new()));
                    continue;
                }
            }
            let body = match current.as_mut() {
                Some((_, body)) => body,
                None => &mut out.intro,
            };
            body.push_str(line);
            body.push('\n');
        }
        if in_fence {
            return Err(format!("{what}: a ``` fence is not closed"));
        }
        if let Some(done) = current {
            out.sections.push(done);
        }
        out.intro = out.intro.trim().to_owned();
        for (_, body) in &mut out.sections {
            *body = body.trim().to_owned();
        }
        Ok(out)
    }

    /// The body of section `name`, if present.
    pub fn section(&self, name: &str) -> Option<&str> {
        self.sections
            .iter()
            .find(|(h, _)| h == name)
            .map(|(_, b)| b.as_str())
    }

    /// A required front-matter value.
    pub fn front(&self, key: &str, what: &str) -> Result<&str, String> {
        self.front
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("{what}: front matter has no `{key}`"))
    }

    /// Description overrides from the `## Arguments` and `## Attributes` sections, by dotted
    /// attribute path.
    pub fn overrides(&self, what: &str) -> Result<BTreeMap<String, String>, String> {
        let mut out = BTreeMap::new();
        for name in OVERRIDE_SECTIONS {
            if let Some(body) = self.section(name) {
                for (k, v) in parse_bullets(body, &format!("{what} ## {name}"))? {
                    if out.insert(k.clone(), v).is_some() {
                        return Err(format!("{what}: `{k}` is described twice"));
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Parses `* \`name\` - text` bullets; continuation lines (indented) join the text.
fn parse_bullets(body: &str, what: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in body.lines() {
        if line.trim().is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("* `") {
            let Some((name, text)) = rest.split_once("` - ") else {
                return Err(format!("{what}: {line:?} is not \"* `name` - text\""));
            };
            out.push((name.to_owned(), text.trim().to_owned()));
        } else if line.starts_with("  ") && !out.is_empty() {
            let last = out.len() - 1;
            out[last].1.push(' ');
            out[last].1.push_str(line.trim());
        } else {
            return Err(format!("{what}: unexpected line {line:?}"));
        }
    }
    Ok(out)
}

/// Replaces every `{{example NAME}}` in `text` with `lookup(NAME)` (an error names the
/// missing file). Returns the text and the names used, in order.
pub fn expand_examples(
    text: &str,
    mut lookup: impl FnMut(&str) -> Result<String, String>,
) -> Result<(String, Vec<String>), String> {
    let mut out = String::new();
    let mut used = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{example ") {
        out.push_str(&rest[..start]);
        let after = &rest[start + "{{example ".len()..];
        let Some(end) = after.find("}}") else {
            return Err(format!(
                "unclosed {{{{example ...}}}} in {:?}",
                &rest[start..]
            ));
        };
        let name = after[..end].trim();
        out.push_str(&lookup(name)?);
        used.push(name.to_owned());
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok((out, used))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "---\nsubcategory: \"Security\"\ndescription: Does things.\n---\n\
        Intro.\n\n## Example Usage\n\nText.\n\n```hcl\n## not a heading\n```\n\n\
        ## Arguments\n\n* `a` - First\n  continued.\n* `b.c` - Nested.\n";

    #[test]
    fn front_matter_intro_and_sections() {
        let p = PageSource::parse(PAGE, "t").unwrap();
        assert_eq!(p.front("subcategory", "t").unwrap(), "Security");
        assert_eq!(p.intro, "Intro.");
        assert_eq!(p.sections.len(), 2);
        assert!(p
            .section("Example Usage")
            .unwrap()
            .contains("## not a heading"));
        let o = p.overrides("t").unwrap();
        assert_eq!(o["a"], "First continued.");
        assert_eq!(o["b.c"], "Nested.");
        assert!(p.front("import", "t").unwrap_err().contains("`import`"));
    }

    #[test]
    fn malformed_sources_are_errors() {
        assert!(PageSource::parse("---\nx: y\n", "t").is_err());
        assert!(PageSource::parse("```hcl\n", "t").is_err());
        let p = PageSource::parse("## Arguments\nfree text\n", "t").unwrap();
        assert!(p.overrides("t").is_err());
    }

    #[test]
    fn examples_expand_in_place() {
        let (text, used) = expand_examples("a {{example x.tf}} b {{example y.tf}}", |n| {
            Ok(format!("<{n}>"))
        })
        .unwrap();
        assert_eq!(text, "a <x.tf> b <y.tf>");
        assert_eq!(used, ["x.tf", "y.tf"]);
        assert!(expand_examples("{{example x.tf", |_| Ok(String::new())).is_err());
    }
}
