//! List queries: `filter`, `sortBy`/`sortOrder`, `startIndex`/`count` paging, and the
//! `attributes`/`excludedAttributes` projections (which a get by id takes too).

use super::filter::{self, AttrPath, Filter};
use crate::error::{ApiError, ApiResult};
use ironbrick_api::scim::{ListResponse, LIST_RESPONSE_SCHEMA};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Largest page answered; the SDK asks for 10000 and pages on.
pub const MAX_COUNT: usize = 10_000;

/// A parsed list query.
#[derive(Debug, Default)]
pub struct ListParams {
    pub filter: Option<Filter>,
    pub sort_by: Option<AttrPath>,
    pub descending: bool,
    /// 1-based.
    pub start_index: usize,
    pub count: usize,
    pub projection: Projection,
}

/// Which attributes to answer.
#[derive(Debug, Default)]
pub struct Projection {
    /// Whether `attributes` was given (even if naming only unknown attributes).
    restricted: bool,
    attributes: Vec<AttrPath>,
    excluded: Vec<AttrPath>,
}

fn param<'a>(q: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    q.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The attribute paths of a projection. Attributes the resource does not have are skipped
/// (clients ask for attributes of other SCIM servers), but malformed paths are refused.
fn paths(list: Option<&str>, what: &str, known: &[&str]) -> ApiResult<Vec<AttrPath>> {
    let mut out = Vec::new();
    for s in list.unwrap_or_default().split(',').map(str::trim) {
        if s.is_empty() {
            continue;
        }
        let p = AttrPath::parse(s)
            .ok_or_else(|| ApiError::invalid(format!("Invalid {what}: {s:?}.")))?;
        if check_known(&p, what, known).is_ok() {
            out.push(p);
        }
    }
    Ok(out)
}

fn check_known(p: &AttrPath, what: &str, known: &[&str]) -> ApiResult<()> {
    if known.iter().any(|k| k.eq_ignore_ascii_case(p.head())) {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "Invalid {what}: unknown attribute '{}' (known: {}).",
            p.head(),
            known.join(", ")
        )))
    }
}

impl Projection {
    /// From `attributes` and `excludedAttributes`, checked against the resource's `known`
    /// top-level attributes.
    pub fn parse(q: &HashMap<String, String>, known: &[&str]) -> ApiResult<Self> {
        Ok(Self {
            restricted: param(q, "attributes").is_some_and(|a| !a.trim().is_empty()),
            attributes: paths(param(q, "attributes"), "attributes", known)?,
            excluded: paths(param(q, "excludedAttributes"), "excludedAttributes", known)?,
        })
    }

    /// Applies the projection to a rendered resource; `id` is always kept.
    pub fn apply(&self, doc: Value) -> Value {
        let Value::Object(mut obj) = doc else {
            return doc;
        };
        if self.restricted {
            let mut kept = Map::new();
            for (k, v) in obj {
                let wanted: Vec<&AttrPath> = self
                    .attributes
                    .iter()
                    .filter(|p| p.head().eq_ignore_ascii_case(&k))
                    .collect();
                if k == "id" || k == "schemas" || wanted.iter().any(|p| p.0.len() == 1) {
                    kept.insert(k, v);
                } else if !wanted.is_empty() {
                    kept.insert(k, keep_subs(v, &wanted));
                }
            }
            obj = kept;
        }
        for p in &self.excluded {
            if p.head() == "id" {
                continue;
            }
            match p.0.as_slice() {
                [head] => obj.retain(|k, _| !k.eq_ignore_ascii_case(head)),
                [head, sub, ..] => {
                    if let Some((_, v)) = obj.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(head))
                    {
                        drop_sub(v, sub);
                    }
                }
                [] => {}
            }
        }
        Value::Object(obj)
    }
}

fn keep_subs(v: Value, wanted: &[&AttrPath]) -> Value {
    let keep = |o: Map<String, Value>| {
        Value::Object(
            o.into_iter()
                .filter(|(k, _)| wanted.iter().any(|p| p.0[1].eq_ignore_ascii_case(k)))
                .collect(),
        )
    };
    match v {
        Value::Object(o) => keep(o),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|i| match i {
                    Value::Object(o) => keep(o),
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}

fn drop_sub(v: &mut Value, sub: &str) {
    match v {
        Value::Object(o) => o.retain(|k, _| !k.eq_ignore_ascii_case(sub)),
        Value::Array(items) => items.iter_mut().for_each(|i| drop_sub(i, sub)),
        _ => {}
    }
}

fn number(q: &HashMap<String, String>, name: &str) -> ApiResult<Option<i64>> {
    param(q, name)
        .map(|s| {
            s.trim()
                .parse::<i64>()
                .map_err(|_| ApiError::invalid(format!("{name} must be an integer, not {s:?}.")))
        })
        .transpose()
}

impl ListParams {
    /// Parses a list query for a resource whose top-level attributes are `known`.
    pub fn parse(q: &HashMap<String, String>, known: &[&str]) -> ApiResult<Self> {
        let filter = match param(q, "filter").map(str::trim) {
            None | Some("") => None,
            Some(text) => {
                let f = filter::parse(text)
                    .map_err(|e| ApiError::invalid(format!("Invalid filter {text:?}: {e}.")))?;
                for p in f.paths() {
                    check_known(p, "filter", known)?;
                }
                Some(f)
            }
        };
        let sort_by = match param(q, "sortBy").map(str::trim) {
            None | Some("") => None,
            Some(s) => {
                let p = AttrPath::parse(s)
                    .ok_or_else(|| ApiError::invalid(format!("Invalid sortBy: {s:?}.")))?;
                check_known(&p, "sortBy", known)?;
                Some(p)
            }
        };
        let descending = match param(q, "sortOrder").map(str::trim) {
            None | Some("") => false,
            Some(s) if s.eq_ignore_ascii_case("ascending") => false,
            Some(s) if s.eq_ignore_ascii_case("descending") => true,
            Some(s) => {
                return Err(ApiError::invalid(format!(
                    "sortOrder must be ascending or descending, not {s:?}."
                )))
            }
        };
        // RFC 7644 §3.4.2.4: a startIndex below 1 means 1, a negative count means 0.
        let start_index = number(q, "startIndex")?.unwrap_or(1).max(1);
        let count = number(q, "count")?.map_or(MAX_COUNT as i64, |c| c.max(0));
        Ok(Self {
            filter,
            sort_by,
            descending,
            start_index: usize::try_from(start_index).unwrap_or(usize::MAX),
            count: usize::try_from(count).unwrap_or(0).min(MAX_COUNT),
            projection: Projection::parse(q, known)?,
        })
    }

    /// Filters, sorts, pages and projects rendered resources (given in id order).
    pub fn answer(&self, docs: Vec<Value>) -> ListResponse<Value> {
        let mut docs: Vec<Value> = match &self.filter {
            Some(f) => docs.into_iter().filter(|d| f.matches(d)).collect(),
            None => docs,
        };
        if let Some(path) = &self.sort_by {
            docs.sort_by(|a, b| {
                let ord = sort_key(a, path).cmp(&sort_key(b, path));
                if self.descending {
                    ord.reverse()
                } else {
                    ord
                }
            });
        }
        let total = docs.len();
        let page: Vec<Value> = docs
            .into_iter()
            .skip(self.start_index.saturating_sub(1))
            .take(self.count)
            .map(|d| self.projection.apply(d))
            .collect();
        ListResponse {
            items_per_page: page.len() as i64,
            resources: page,
            total_results: total as i64,
            start_index: self.start_index as i64,
            schemas: vec![LIST_RESPONSE_SCHEMA.into()],
        }
    }
}

/// Sort key: the first value at the path, strings compared case-insensitively; missing
/// values sort last.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum SortKey {
    Present(String),
    Missing,
}

fn sort_key(doc: &Value, path: &AttrPath) -> SortKey {
    let values = filter::resolve(doc, path);
    let first = values.first().map(|v| match v {
        Value::Object(o) => filter::member(o, "value").cloned().unwrap_or(Value::Null),
        v => (*v).clone(),
    });
    match first {
        Some(Value::String(s)) => SortKey::Present(s.to_lowercase()),
        Some(Value::Bool(b)) => SortKey::Present(b.to_string()),
        Some(Value::Number(n)) => SortKey::Present(format!("{:020}", n.as_f64().unwrap_or(0.0))),
        _ => SortKey::Missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KNOWN: [&str; 5] = ["id", "userName", "displayName", "name", "emails"];

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn docs() -> Vec<Value> {
        (1..=25)
            .map(|i| {
                json!({"id": i.to_string(), "userName": format!("u{:02}@x.com", 26 - i),
                    "displayName": if i % 2 == 0 { "Even" } else { "odd" },
                    "name": {"givenName": "G", "familyName": "F"},
                    "emails": [{"value": "e", "type": "work"}]})
            })
            .collect()
    }

    fn ids(r: &ListResponse<Value>) -> Vec<String> {
        r.resources
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn paging_walks_every_item_once_and_ends_with_an_empty_page() {
        let p = |start: &str| {
            ListParams::parse(&q(&[("startIndex", start), ("count", "10")]), &KNOWN).unwrap()
        };
        let mut seen = Vec::new();
        let mut start = 1;
        loop {
            let page = p(&start.to_string()).answer(docs());
            assert_eq!(page.total_results, 25);
            assert_eq!(page.start_index, start as i64);
            assert_eq!(page.items_per_page, page.resources.len() as i64);
            if page.resources.is_empty() {
                break;
            }
            start += page.resources.len();
            seen.extend(ids(&page));
        }
        assert_eq!(seen.len(), 25);
        assert_eq!(start, 26);
    }

    #[test]
    fn out_of_range_paging_is_clamped() {
        let all = ListParams::parse(&q(&[("startIndex", "0"), ("count", "-3")]), &KNOWN).unwrap();
        assert_eq!((all.start_index, all.count), (1, 0));
        assert!(all.answer(docs()).resources.is_empty());
        let huge = ListParams::parse(&q(&[("count", "99999999")]), &KNOWN).unwrap();
        assert_eq!(huge.count, MAX_COUNT);
        let err = ListParams::parse(&q(&[("count", "ten")]), &KNOWN).unwrap_err();
        assert!(err.to_string().contains("count must be an integer"));
    }

    #[test]
    fn filter_and_sort() {
        let p = ListParams::parse(
            &q(&[
                ("filter", r#"displayName eq "even""#),
                ("sortBy", "userName"),
                ("sortOrder", "descending"),
            ]),
            &KNOWN,
        )
        .unwrap();
        let r = p.answer(docs());
        assert_eq!(r.total_results, 12);
        assert_eq!(ids(&r)[..3], ["2", "4", "6"]);
        let asc = ListParams::parse(&q(&[("sortBy", "USERNAME")]), &KNOWN).unwrap();
        assert_eq!(ids(&asc.answer(docs()))[0], "25");
    }

    #[test]
    fn bad_queries_are_refused_by_name() {
        let err = |pairs: &[(&str, &str)]| {
            ListParams::parse(&q(pairs), &KNOWN)
                .unwrap_err()
                .to_string()
        };
        assert!(err(&[("filter", "userName eq")]).contains("Invalid filter"));
        assert!(err(&[("filter", r#"nickName eq "a""#)]).contains("unknown attribute 'nickName'"));
        assert!(err(&[("sortOrder", "up")]).contains("ascending or descending"));
        assert!(err(&[("sortBy", "bogus")]).contains("Invalid sortBy"));
        assert!(err(&[("attributes", "a..b")]).contains("Invalid attributes"));
    }

    #[test]
    fn projections_keep_id_and_select_sub_attributes() {
        let doc = docs().remove(0);
        let p = |pairs: &[(&str, &str)]| Projection::parse(&q(pairs), &KNOWN).unwrap();
        let only = p(&[("attributes", "userName, name.givenName, userType")]).apply(doc.clone());
        assert_eq!(
            only,
            json!({"id": "1", "userName": "u25@x.com", "name": {"givenName": "G"}})
        );
        let unknown = p(&[("attributes", "userType")]).apply(doc.clone());
        assert_eq!(unknown, json!({"id": "1"}));
        let without = p(&[("excludedAttributes", "id,emails,name.familyName")]).apply(doc);
        assert_eq!(without["id"], "1");
        assert!(without.get("emails").is_none());
        assert_eq!(without["name"], json!({"givenName": "G"}));
    }
}
