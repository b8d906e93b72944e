//! The SCIM filter parser (`ironbrick::scim::filter`), on arbitrary strings.
//!
//! Invariants: parsing never panics; a parsed filter, rendered back to text (the renderer is
//! here: the server has none), parses to the same filter; evaluating it against a rendered
//! user never panics, and `not f` matches exactly when `f` does not.
#![no_main]

use ironbrick::scim::filter::{parse, AttrPath, Filter, Literal, Op};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

fn op(o: Op) -> &'static str {
    match o {
        Op::Eq => "eq",
        Op::Ne => "ne",
        Op::Co => "co",
        Op::Sw => "sw",
        Op::Ew => "ew",
        Op::Gt => "gt",
        Op::Ge => "ge",
        Op::Lt => "lt",
        Op::Le => "le",
    }
}

fn path(p: &AttrPath) -> String {
    p.0.join(".")
}

fn literal(l: &Literal) -> Option<String> {
    Some(match l {
        Literal::Str(s) => serde_json::to_string(s).ok()?,
        Literal::Bool(b) => b.to_string(),
        Literal::Null => "null".into(),
        // NaN never equals itself; it cannot round-trip by equality.
        Literal::Num(n) if n.is_nan() => return None,
        Literal::Num(n) => format!("{n:?}"),
    })
}

/// Renders a filter fully parenthesised, so precedence plays no part.
fn render(f: &Filter) -> Option<String> {
    Some(match f {
        Filter::And(a, b) => format!("({} and {})", render(a)?, render(b)?),
        Filter::Or(a, b) => format!("({} or {})", render(a)?, render(b)?),
        Filter::Not(a) => format!("not ({})", render(a)?),
        Filter::Present(p) => format!("{} pr", path(p)),
        Filter::Compare(p, o, l) => format!("{} {} {}", path(p), op(*o), literal(l)?),
        Filter::ValuePath(p, inner) => format!("{}[{}]", path(p), render(inner)?),
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(f) = parse(text) else {
        return;
    };
    if let Some(shown) = render(&f) {
        match parse(&shown) {
            Ok(again) => assert_eq!(again, f, "{text:?} rendered as {shown:?}"),
            Err(e) => panic!("{text:?} rendered as {shown:?}, which does not parse: {e}"),
        }
    }
    let doc = json!({"id": "123", "userName": "ann@example.com", "displayName": "Ann Lee",
        "active": true, "externalId": "Ext-1", "name": {"givenName": "Ann"},
        "emails": [{"value": "ann@example.com", "type": "work", "primary": true}],
        "groups": [{"value": "7", "display": "admins"}], "meta": {"count": 3}});
    let _ = f.paths();
    let m = f.matches(&doc);
    assert_eq!(Filter::Not(Box::new(f)).matches(&doc), !m);
});
