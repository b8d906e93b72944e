//! Access-control lists: object kinds, their permission levels, and effective ACLs.

use crate::identity::Subject;
use serde::{Deserialize, Serialize};

/// A permission level, across every object kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Level {
    CanView,
    CanRead,
    CanRun,
    CanEdit,
    CanUse,
    CanAttachTo,
    CanRestart,
    CanManage,
    IsOwner,
    Read,
    Write,
    Manage,
}

impl Level {
    /// The wire spelling (`CAN_READ`, `MANAGE`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CanView => "CAN_VIEW",
            Self::CanRead => "CAN_READ",
            Self::CanRun => "CAN_RUN",
            Self::CanEdit => "CAN_EDIT",
            Self::CanUse => "CAN_USE",
            Self::CanAttachTo => "CAN_ATTACH_TO",
            Self::CanRestart => "CAN_RESTART",
            Self::CanManage => "CAN_MANAGE",
            Self::IsOwner => "IS_OWNER",
            Self::Read => "READ",
            Self::Write => "WRITE",
            Self::Manage => "MANAGE",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(s: &str) -> Option<Self> {
        ALL.iter().copied().find(|l| l.as_str() == s)
    }
}

const ALL: [Level; 12] = [
    Level::CanView,
    Level::CanRead,
    Level::CanRun,
    Level::CanEdit,
    Level::CanUse,
    Level::CanAttachTo,
    Level::CanRestart,
    Level::CanManage,
    Level::IsOwner,
    Level::Read,
    Level::Write,
    Level::Manage,
];

/// A kind of object guarded by an ACL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    /// `authorization/tokens`: who may create and use personal access tokens.
    Tokens,
    /// `authorization/passwords`: who may sign in with a password.
    Passwords,
    Directory,
    Notebook,
    /// A workspace file (not a notebook); same levels as notebooks.
    File,
    SecretScope,
    ClusterPolicy,
    Cluster,
}

impl ObjectKind {
    /// The levels of this kind, weakest first; holding one implies every weaker one.
    pub fn levels(self) -> &'static [Level] {
        match self {
            Self::Tokens => &[Level::CanUse, Level::CanManage],
            Self::Passwords | Self::ClusterPolicy => &[Level::CanUse],
            Self::Directory | Self::Notebook | Self::File => &[
                Level::CanRead,
                Level::CanRun,
                Level::CanEdit,
                Level::CanManage,
            ],
            Self::SecretScope => &[Level::Read, Level::Write, Level::Manage],
            Self::Cluster => &[Level::CanAttachTo, Level::CanRestart, Level::CanManage],
        }
    }

    /// The strongest level of this kind (what admins always hold).
    pub fn top(self) -> Level {
        *self.levels().last().unwrap_or(&Level::CanManage)
    }

    /// The rank of `level` in this kind, `None` when the kind has no such level.
    pub fn rank(self, level: Level) -> Option<usize> {
        self.levels().iter().position(|l| *l == level)
    }

    /// The noun used in messages.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Tokens => "tokens",
            Self::Passwords => "passwords",
            Self::Directory => "directory",
            Self::Notebook => "notebook",
            Self::File => "file",
            Self::SecretScope => "secret scope",
            Self::ClusterPolicy => "cluster policy",
            Self::Cluster => "cluster",
        }
    }
}

/// One entry of an effective ACL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// A user, service principal or group id.
    pub principal: i64,
    pub level: Level,
    /// The object the grant comes from (`/directories/123`), when inherited.
    pub inherited_from: Option<String>,
}

/// The effective ACL of one object: its own grants and those it inherits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acl {
    pub kind: ObjectKind,
    /// How the object is named in messages: a path, a scope name.
    pub name: String,
    pub grants: Vec<Grant>,
}

impl Acl {
    /// The strongest level `subject` holds through the grants (admins aside).
    pub fn level_of(&self, subject: &Subject) -> Option<Level> {
        self.grants
            .iter()
            .filter(|g| subject.is(g.principal))
            .filter_map(|g| self.kind.rank(g.level).map(|r| (r, g.level)))
            .max_by_key(|(r, _)| *r)
            .map(|(_, l)| l)
    }
}
