//! Diagnostics: how every failure reaches Terraform (never as a gRPC error).

use crate::proto::tfplugin6 as pb;

/// A step into a value: an attribute name or a list index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// An object attribute or nested block name.
    Attr(String),
    /// A list element.
    Index(i64),
}

/// A path to an attribute, shown by Terraform next to the offending configuration line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Path(pub Vec<Step>);

impl Path {
    /// A top-level attribute.
    pub fn attr(name: &str) -> Self {
        Path(vec![Step::Attr(name.to_owned())])
    }

    /// This path extended by an attribute.
    pub fn then(mut self, name: &str) -> Self {
        self.0.push(Step::Attr(name.to_owned()));
        self
    }

    /// This path extended by a list index.
    pub fn index(mut self, i: usize) -> Self {
        self.0.push(Step::Index(i as i64));
        self
    }

    pub(crate) fn to_proto(&self) -> pb::AttributePath {
        use pb::attribute_path::step::Selector;
        pb::AttributePath {
            steps: self
                .0
                .iter()
                .map(|s| pb::attribute_path::Step {
                    selector: Some(match s {
                        Step::Attr(a) => Selector::AttributeName(a.clone()),
                        Step::Index(i) => Selector::ElementKeyInt(*i),
                    }),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone)]
struct Diagnostic {
    error: bool,
    summary: String,
    detail: String,
    path: Option<Path>,
}

/// Errors and warnings collected while answering one RPC.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// Adds an error.
    pub fn error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(true, summary.into(), detail.into(), None);
    }

    /// Adds an error about one attribute.
    pub fn error_at(&mut self, path: Path, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(true, summary.into(), detail.into(), Some(path));
    }

    /// Adds a warning.
    pub fn warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(false, summary.into(), detail.into(), None);
    }

    /// Adds a warning about one attribute.
    pub fn warning_at(
        &mut self,
        path: Path,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(false, summary.into(), detail.into(), Some(path));
    }

    fn push(&mut self, error: bool, summary: String, detail: String, path: Option<Path>) {
        if error {
            tracing::debug!(%summary, %detail, "diagnostic");
        }
        self.0.push(Diagnostic {
            error,
            summary,
            detail,
            path,
        });
    }

    /// Whether any error was recorded.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.error)
    }

    /// Appends all of `other`.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub(crate) fn into_proto(self) -> Vec<pb::Diagnostic> {
        self.0
            .into_iter()
            .map(|d| pb::Diagnostic {
                severity: if d.error {
                    pb::diagnostic::Severity::Error
                } else {
                    pb::diagnostic::Severity::Warning
                } as i32,
                summary: d.summary,
                detail: d.detail,
                attribute: d.path.map(|p| p.to_proto()),
            })
            .collect()
    }
}
