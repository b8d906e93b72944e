//! SCIM filters (RFC 7644 §3.4.2.2): parsing and evaluation against a rendered resource.
//!
//! Grammar (keywords and attribute names are case-insensitive):
//!
//! ```text
//! filter    = or
//! or        = and *("or" and)
//! and       = not *("and" not)
//! not       = "not" not / atom
//! atom      = "(" filter ")" / path "[" filter "]" / path "pr" / path op value
//! op        = eq / ne / co / sw / ew / gt / ge / lt / le
//! value     = "string with \" escapes" / true / false / null / number
//! path      = [urn ":"] name *("." name)
//! ```
//!
//! Resources are evaluated as their JSON wire form: a path through a multi-valued attribute
//! matches if any of its values does, and comparing a complex multi-valued attribute (such as
//! `members`) with a value compares its `value` sub-attribute. Strings compare
//! case-insensitively except `id` and `externalId`.

use serde_json::Value;
use std::fmt;

/// How deeply `(...)`, `[...]` and `not` may nest. Parsing, evaluating and dropping a filter
/// recurse through its tree, and a filter comes from a query string: without a bound, a few
/// kilobytes of `(((` overflow a worker thread's stack and abort the server.
pub const MAX_NESTING: usize = 32;

/// How many comparisons (and `pr` tests) a filter may hold. `and`/`or` chains build a tree as
/// deep as they are long, so this bounds the tree's depth together with [`MAX_NESTING`].
pub const MAX_TERMS: usize = 100;

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `path pr`: the attribute has a non-empty value.
    Present(AttrPath),
    /// `path op value`.
    Compare(AttrPath, Op, Literal),
    /// `path[filter]`: some element of the multi-valued attribute matches the inner filter,
    /// whose paths are relative to the element.
    ValuePath(AttrPath, Box<Filter>),
}

/// A dotted attribute path, e.g. `name.givenName`; a schema URN prefix is dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath(pub Vec<String>);

impl AttrPath {
    /// Parses `[urn:...:]name(.name)*`; `None` when a segment is empty or has odd characters.
    pub fn parse(s: &str) -> Option<Self> {
        // `get`: the fourth byte may fall inside a multi-byte character.
        let urn = s.len() > 4 && s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"));
        let s = if urn { s.rsplit(':').next()? } else { s };
        let segments: Vec<String> = s.split('.').map(str::to_string).collect();
        let valid = |seg: &String| {
            !seg.is_empty()
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$')
        };
        segments.iter().all(valid).then_some(Self(segments))
    }

    /// The top-level attribute name.
    pub fn head(&self) -> &str {
        &self.0[0]
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("."))
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn parse(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => Self::Eq,
            "ne" => Self::Ne,
            "co" => Self::Co,
            "sw" => Self::Sw,
            "ew" => Self::Ew,
            "gt" => Self::Gt,
            "ge" => Self::Ge,
            "lt" => Self::Lt,
            "le" => Self::Le,
            _ => return None,
        })
    }
}

/// A comparison value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Bool(bool),
    Num(f64),
    Null,
}

/// Why a filter could not be parsed; the message names the problem and its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError(pub String);

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    Str(String),
    Word(String),
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Open => "'('".into(),
            Tok::Close => "')'".into(),
            Tok::OpenBracket => "'['".into(),
            Tok::CloseBracket => "']'".into(),
            Tok::Str(s) => format!("string {s:?}"),
            Tok::Word(w) => format!("'{w}'"),
        }
    }
}

fn lex(input: &str) -> Result<Vec<(usize, Tok)>, FilterError> {
    let mut out = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(pos, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | '[' | ']' => {
                chars.next();
                let t = match c {
                    '(' => Tok::Open,
                    ')' => Tok::Close,
                    '[' => Tok::OpenBracket,
                    _ => Tok::CloseBracket,
                };
                out.push((pos, t));
            }
            '"' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None => {
                            return Err(FilterError(format!(
                                "unterminated string starting at position {pos}"
                            )))
                        }
                        Some((_, '"')) => break,
                        Some((at, '\\')) => match chars.next() {
                            Some((_, '"')) => s.push('"'),
                            Some((_, '\\')) => s.push('\\'),
                            Some((_, '/')) => s.push('/'),
                            Some((_, 'n')) => s.push('\n'),
                            Some((_, 't')) => s.push('\t'),
                            Some((_, 'r')) => s.push('\r'),
                            Some((_, 'b')) => s.push('\u{8}'),
                            Some((_, 'f')) => s.push('\u{c}'),
                            Some((_, 'u')) => {
                                let bad =
                                    || FilterError(format!("invalid \\u escape at position {at}"));
                                let unit = hex4(&mut chars).ok_or_else(bad)?;
                                // Outside the BMP, JSON escapes a character as a UTF-16
                                // surrogate pair: `\ud83d\ude00`.
                                let code = if (0xD800..0xDC00).contains(&unit) {
                                    let low = match (chars.next(), chars.next()) {
                                        (Some((_, '\\')), Some((_, 'u'))) => hex4(&mut chars),
                                        _ => None,
                                    }
                                    .filter(|low| (0xDC00..0xE000).contains(low))
                                    .ok_or_else(bad)?;
                                    0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                                } else {
                                    unit
                                };
                                s.push(char::from_u32(code).ok_or_else(bad)?);
                            }
                            _ => {
                                return Err(FilterError(format!(
                                    "invalid escape in string at position {at}"
                                )))
                            }
                        },
                        Some((_, c)) => s.push(c),
                    }
                }
                out.push((pos, Tok::Str(s)));
            }
            _ => {
                let mut w = String::new();
                while let Some(&(_, c)) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | '"') {
                        break;
                    }
                    w.push(c);
                    chars.next();
                }
                out.push((pos, Tok::Word(w)));
            }
        }
    }
    Ok(out)
}

/// Four hex digits of a `\\u` escape.
fn hex4(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) -> Option<u32> {
    let hex: String = (0..4).filter_map(|_| chars.next()).map(|c| c.1).collect();
    (hex.len() == 4 && hex.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| u32::from_str_radix(&hex, 16).ok())
        .flatten()
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    at: usize,
    len: usize,
    /// Current nesting of `(`, `[` and `not`.
    depth: usize,
    /// Comparisons and `pr` tests so far.
    terms: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|t| &t.1)
    }

    fn pos(&self) -> usize {
        self.toks.get(self.at).map_or(self.len, |t| t.0)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.at).map(|t| t.1.clone());
        self.at += 1;
        t
    }

    fn keyword(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(k))
    }

    fn unexpected(&self, wanted: &str) -> FilterError {
        match self.peek() {
            Some(t) => FilterError(format!(
                "expected {wanted} at position {}, found {}",
                self.pos(),
                t.describe()
            )),
            None => FilterError(format!("expected {wanted} at the end of the filter")),
        }
    }

    fn expect(&mut self, tok: Tok, wanted: &str) -> Result<(), FilterError> {
        if self.peek() == Some(&tok) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.unexpected(wanted))
        }
    }

    /// Enters one level of nesting, refusing to go past [`MAX_NESTING`].
    fn enter(&mut self) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(FilterError(format!(
                "the filter nests deeper than {MAX_NESTING} levels at position {}",
                self.pos()
            )));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.at += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.not()?;
        while self.keyword("and") {
            self.at += 1;
            left = Filter::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Filter, FilterError> {
        if self.keyword("not") {
            self.enter()?;
            self.at += 1;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Filter::Not(Box::new(inner)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Filter, FilterError> {
        match self.peek() {
            Some(Tok::Open) => {
                self.enter()?;
                self.at += 1;
                let f = self.or()?;
                self.expect(Tok::Close, "')'")?;
                self.depth -= 1;
                Ok(f)
            }
            Some(Tok::Word(w)) => {
                let pos = self.pos();
                let path = AttrPath::parse(w).ok_or_else(|| {
                    FilterError(format!("invalid attribute path '{w}' at position {pos}"))
                })?;
                self.at += 1;
                self.terms += 1;
                if self.terms > MAX_TERMS {
                    return Err(FilterError(format!(
                        "the filter has more than {MAX_TERMS} comparisons at position {pos}"
                    )));
                }
                if self.peek() == Some(&Tok::OpenBracket) {
                    self.enter()?;
                    self.at += 1;
                    let inner = self.or()?;
                    self.expect(Tok::CloseBracket, "']'")?;
                    self.depth -= 1;
                    return Ok(Filter::ValuePath(path, Box::new(inner)));
                }
                if self.keyword("pr") {
                    self.at += 1;
                    return Ok(Filter::Present(path));
                }
                let op = match self.peek() {
                    Some(Tok::Word(w)) => Op::parse(w),
                    _ => None,
                }
                .ok_or_else(|| {
                    self.unexpected("an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)")
                })?;
                self.at += 1;
                let value = self.literal()?;
                Ok(Filter::Compare(path, op, value))
            }
            _ => Err(self.unexpected("an attribute path or '('")),
        }
    }

    fn literal(&mut self) -> Result<Literal, FilterError> {
        let pos = self.pos();
        match self.next() {
            Some(Tok::Str(s)) => Ok(Literal::Str(s)),
            Some(Tok::Word(w)) => match w.to_ascii_lowercase().as_str() {
                "true" => Ok(Literal::Bool(true)),
                "false" => Ok(Literal::Bool(false)),
                "null" => Ok(Literal::Null),
                _ => w.parse::<f64>().map(Literal::Num).map_err(|_| {
                    FilterError(format!(
                        "expected a value (a quoted string, true, false, null or a number) at position {pos}, found '{w}'"
                    ))
                }),
            },
            _ => {
                self.at -= 1;
                Err(self.unexpected("a value"))
            }
        }
    }
}

/// Parses a filter.
pub fn parse(input: &str) -> Result<Filter, FilterError> {
    let toks = lex(input)?;
    if toks.is_empty() {
        return Err(FilterError("the filter is empty".into()));
    }
    let mut p = Parser {
        toks,
        at: 0,
        len: input.len(),
        depth: 0,
        terms: 0,
    };
    let f = p.or()?;
    if p.peek().is_some() {
        return Err(p.unexpected("'and', 'or' or the end of the filter"));
    }
    Ok(f)
}

impl Filter {
    /// Every top-level attribute path the filter names (not those inside `[...]`).
    pub fn paths(&self) -> Vec<&AttrPath> {
        match self {
            Filter::And(a, b) | Filter::Or(a, b) => {
                let mut v = a.paths();
                v.extend(b.paths());
                v
            }
            Filter::Not(f) => f.paths(),
            Filter::Present(p) | Filter::Compare(p, _, _) | Filter::ValuePath(p, _) => vec![p],
        }
    }

    /// Whether `doc` matches.
    pub fn matches(&self, doc: &Value) -> bool {
        match self {
            Filter::And(a, b) => a.matches(doc) && b.matches(doc),
            Filter::Or(a, b) => a.matches(doc) || b.matches(doc),
            Filter::Not(f) => !f.matches(doc),
            Filter::Present(p) => resolve(doc, p).iter().any(|v| present(v)),
            Filter::Compare(p, op, lit) => compare(&resolve(doc, p), p, *op, lit),
            Filter::ValuePath(p, inner) => resolve(doc, p).iter().any(|v| inner.matches(v)),
        }
    }
}

/// The object member called `name`, ignoring case.
pub fn member<'a>(obj: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.get(name).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// The values at `path` in `doc`, multi-valued attributes flattened.
pub fn resolve<'a>(doc: &'a Value, path: &AttrPath) -> Vec<&'a Value> {
    let mut current = vec![doc];
    for seg in &path.0 {
        let mut next = Vec::new();
        for v in current {
            if let Some(found) = v.as_object().and_then(|o| member(o, seg)) {
                match found {
                    Value::Array(items) => next.extend(items.iter()),
                    other => next.push(other),
                }
            }
        }
        current = next;
    }
    current
}

fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

fn case_exact(path: &AttrPath) -> bool {
    path.0
        .last()
        .is_some_and(|l| l.eq_ignore_ascii_case("id") || l.eq_ignore_ascii_case("externalId"))
}

fn compare(values: &[&Value], path: &AttrPath, op: Op, lit: &Literal) -> bool {
    if op == Op::Ne {
        return !compare(values, path, Op::Eq, lit);
    }
    if *lit == Literal::Null {
        return op == Op::Eq && !values.iter().any(|v| present(v));
    }
    values.iter().any(|v| {
        // A complex value (an entry of `members`, `emails`, ...) compares by its `value`.
        let v = match v {
            Value::Object(o) => match member(o, "value") {
                Some(inner) => inner,
                None => return false,
            },
            v => *v,
        };
        match (v, lit) {
            (Value::String(s), Literal::Str(want)) => {
                let (s, want) = if case_exact(path) {
                    (s.clone(), want.clone())
                } else {
                    (s.to_lowercase(), want.to_lowercase())
                };
                match op {
                    Op::Eq => s == want,
                    Op::Co => s.contains(&want),
                    Op::Sw => s.starts_with(&want),
                    Op::Ew => s.ends_with(&want),
                    Op::Gt => s > want,
                    Op::Ge => s >= want,
                    Op::Lt => s < want,
                    Op::Le => s <= want,
                    Op::Ne => false,
                }
            }
            (Value::Bool(b), Literal::Bool(want)) => op == Op::Eq && b == want,
            (Value::String(s), Literal::Bool(want)) => {
                op == Op::Eq && s.eq_ignore_ascii_case(if *want { "true" } else { "false" })
            }
            (Value::Number(n), Literal::Num(want)) => n.as_f64().is_some_and(|n| match op {
                Op::Eq => n == *want,
                Op::Gt => n > *want,
                Op::Ge => n >= *want,
                Op::Lt => n < *want,
                Op::Le => n <= *want,
                _ => false,
            }),
            // Ids are strings on the wire; `id eq 123` compares the digits.
            (Value::String(s), Literal::Num(want)) => {
                op == Op::Eq && s.parse::<f64>().is_ok_and(|n| n == *want)
            }
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user() -> Value {
        json!({"id": "123", "userName": "Ann@Example.com", "displayName": "Ann Lee",
            "active": true, "externalId": "Ext-1",
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "emails": [{"value": "ann@example.com", "type": "work", "primary": true},
                       {"value": "ann@home.org", "type": "home"}],
            "groups": [{"value": "7", "display": "admins"}]})
    }

    fn check(f: &str) -> bool {
        parse(f)
            .unwrap_or_else(|e| panic!("{f}: {e}"))
            .matches(&user())
    }

    #[test]
    fn operators_on_strings() {
        assert!(check(r#"userName eq "ann@example.com""#));
        assert!(!check(r#"userName ne "ann@example.com""#));
        assert!(check(r#"displayName co "n l""#));
        assert!(check(r#"displayName sw "ann""#));
        assert!(check(r#"displayName ew "LEE""#));
        assert!(check(r#"displayName gt "Ann A""#) && !check(r#"displayName gt "Ann M""#));
        assert!(check(r#"displayName ge "ann lee""#) && check(r#"displayName le "ann lee""#));
        assert!(check(r#"displayName lt "B""#));
        assert!(check("externalId pr") && !check("password pr"));
    }

    #[test]
    fn names_and_keywords_are_case_insensitive_but_ids_are_exact() {
        assert!(check(r#"USERNAME EQ "ANN@EXAMPLE.COM""#));
        assert!(check(r#"username Sw "ann" AND Active Eq TRUE"#));
        assert!(check(r#"externalId eq "Ext-1""#) && !check(r#"externalId eq "ext-1""#));
        assert!(check(r#"id eq "123""#) && check("id eq 123"));
        assert!(check(
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "ann@example.com""#
        ));
    }

    #[test]
    fn logic_parentheses_and_precedence() {
        assert!(check(
            r#"userName eq "x" or displayName sw "Ann" and active eq true"#
        ));
        assert!(!check(
            r#"(userName eq "x" or displayName sw "Ann") and active eq false"#
        ));
        assert!(check(r#"not (userName eq "x")"#));
        assert!(!check(r#"not userName pr"#));
        assert!(check(r#"not not active eq true"#));
    }

    #[test]
    fn multi_valued_and_complex_paths() {
        assert!(check(r#"emails.value eq "ann@home.org""#));
        assert!(check(r#"emails[type eq "work" and value co "example"]"#));
        assert!(!check(r#"emails[type eq "home" and primary eq true]"#));
        assert!(check(r#"name.givenName eq "ann""#));
        assert!(check(r#"groups eq "7""#));
        assert!(check(r#"groups.display eq "admins""#));
    }

    #[test]
    fn quoted_strings_take_escapes() {
        let doc = json!({"displayName": "say \"hi\" \\ \u{e9}"});
        let f = parse(r#"displayName eq "say \"hi\" \\ \u00e9""#).unwrap();
        assert!(f.matches(&doc));
    }

    #[test]
    fn null_and_missing() {
        assert!(check("nickName eq null") && !check("userName eq null"));
        assert!(check(r#"nickName ne "x""#));
    }

    #[test]
    fn bad_filters_name_the_problem() {
        let err = |f: &str| parse(f).expect_err(f).0;
        assert_eq!(err(""), "the filter is empty");
        assert!(err(r#"userName eq "abc"#).contains("unterminated string"));
        assert!(err(r#"userName like "a""#).contains("expected an operator"));
        assert!(err(r#"userName eq"#).contains("expected a value at the end"));
        assert!(err(r#"userName eq abc"#).contains("found 'abc'"));
        assert!(err(r#"(userName pr"#).contains("expected ')'"));
        assert!(err(r#"userName pr extra"#).contains("'and', 'or' or the end"));
        assert!(err(r#"emails[type eq "work""#).contains("expected ']'"));
        assert!(err(r#"user..name pr"#).contains("invalid attribute path"));
        assert!(err(r#"a eq "\x""#).contains("invalid escape"));
    }

    /// Found by the HTTP fuzzer: a filter of 1000 nested parentheses overflowed a worker's
    /// stack and aborted the server. Nesting and length are bounded; every shape of deep
    /// filter is refused by name, on a thread with a small stack.
    #[test]
    fn deep_and_long_filters_are_refused_not_overflowed() {
        let deep = [
            format!(
                "{}userName eq \"a\"{}",
                "(".repeat(100_000),
                ")".repeat(100_000)
            ),
            format!(
                "{}value eq \"a\"{}",
                "emails[".repeat(100_000),
                "]".repeat(100_000)
            ),
            format!("{}active pr", "not ".repeat(100_000)),
            vec!["active pr"; 100_000].join(" and "),
            vec!["id eq \"1\""; 100_000].join(" or "),
        ];
        let errors = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || deep.iter().map(|f| parse(f).map(drop)).collect::<Vec<_>>())
            .unwrap()
            .join()
            .expect("parsing does not overflow the stack");
        for e in errors {
            let e = e.expect_err("refused").0;
            assert!(
                e.contains("nests deeper than") || e.contains("more than 100"),
                "{e}"
            );
        }
        let nested = format!("{}userName pr{}", "(".repeat(32), ")".repeat(32));
        assert!(parse(&nested).is_ok());
        assert!(parse(&vec!["active pr"; 100].join(" and ")).is_ok());
    }

    /// Found by fuzzing (scim_filter): a path whose fourth byte falls inside a multi-byte
    /// character panicked on the `urn:` check.
    #[test]
    fn paths_with_multibyte_characters_do_not_panic() {
        assert!(parse("aaa\u{e9} pr").is_err());
        assert!(parse("\u{e9}\u{e9}\u{e9} eq 1").is_err());
    }

    /// Found by fuzzing (scim_filter): filter strings are JSON strings (RFC 7644 §3.4.2.2), so
    /// `\b`, `\f` and surrogate pairs are escapes; a lone surrogate is refused.
    #[test]
    fn strings_take_every_json_escape() {
        let f = parse(r#"displayName eq "a\bb\fc\ud83d\ude00""#).unwrap();
        let Filter::Compare(_, _, Literal::Str(s)) = f else {
            panic!("{f:?}")
        };
        assert_eq!(s, "a\u{8}b\u{c}c\u{1f600}");
        assert!(parse(r#"displayName eq "\ud83d""#).is_err());
        assert!(parse(r#"displayName eq "\ude00""#).is_err());
        assert!(parse(r#"displayName eq "\u12""#).is_err());
    }

    #[test]
    fn paths_lists_top_level_attributes() {
        let f =
            parse(r#"userName eq "a" or (emails[type eq "w"] and not name.givenName pr)"#).unwrap();
        let heads: Vec<&str> = f.paths().iter().map(|p| p.head()).collect();
        assert_eq!(heads, ["userName", "emails", "name"]);
    }
}
