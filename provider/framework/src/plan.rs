//! Plan semantics, as the official plugin framework implements them:
//!
//! - on create, computed attributes the configuration leaves unset are unknown ("known after
//!   apply");
//! - on update, Terraform's proposed state already carries the prior value of such attributes and
//!   it is kept (no perpetual diffs); only attributes marked `volatile` become unknown, and only
//!   when something else changes;
//! - an attribute or block marked `force_new` whose planned value differs from the prior state is
//!   reported as a RequiresReplace path (Terraform then plans `-/+` and asks again for a create
//!   plan);
//! - a null proposed state is a destroy and is planned as null.

use crate::diag::Path;
use crate::schema::{Block, Nesting};
use crate::value::Dyn;
use std::collections::BTreeMap;

/// Computes the planned state of a resource from Terraform's proposed new state.
pub(crate) fn planned(block: &Block, prior: &Dyn, proposed: &Dyn, config: &Dyn) -> Dyn {
    if proposed.is_null() {
        return Dyn::Null;
    }
    mark(block, proposed, config, prior, prior != proposed)
}

/// The paths whose planned change forces replacement (none on create or destroy).
pub(crate) fn requires_replace(block: &Block, prior: &Dyn, planned: &Dyn) -> Vec<Path> {
    let mut out = Vec::new();
    if !prior.is_null() && !planned.is_null() {
        replace_paths(block, prior, planned, Path::default(), &mut out);
    }
    out
}

fn mark(block: &Block, proposed: &Dyn, config: &Dyn, prior: &Dyn, changed: bool) -> Dyn {
    let Some(props) = proposed.as_map() else {
        return proposed.clone();
    };
    let empty = BTreeMap::new();
    let conf = config.as_map().unwrap_or(&empty);
    let old = prior.as_map();
    let mut out = props.clone();
    for a in block.attrs.iter().filter(|a| a.is_computed()) {
        let unset = conf.get(a.name).is_none_or(Dyn::is_null);
        if !unset {
            continue;
        }
        if let Some(d) = &a.default {
            out.insert(a.name.to_owned(), d.clone());
            continue;
        }
        let creating = old.is_none();
        if creating || (a.volatile && changed) {
            out.insert(a.name.to_owned(), Dyn::Unknown);
        }
    }
    for b in &block.blocks {
        let Some(Dyn::List(items)) = props.get(b.name) else {
            continue;
        };
        let conf_items = conf.get(b.name).and_then(Dyn::as_list).unwrap_or(&[]);
        let old_items = old
            .and_then(|o| o.get(b.name))
            .and_then(Dyn::as_list)
            .unwrap_or(&[]);
        let marked = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                // Set elements have no position: an element is its own configuration (its
                // attributes are configured ones) and its prior self is an equal element.
                let (c, p) = match b.nesting {
                    Nesting::List => (conf_items.get(i), old_items.get(i)),
                    Nesting::Set => (Some(item), old_items.iter().find(|o| *o == item)),
                };
                mark(
                    &b.block,
                    item,
                    c.unwrap_or(&Dyn::Null),
                    p.unwrap_or(&Dyn::Null),
                    changed,
                )
            })
            .collect();
        out.insert(b.name.to_owned(), Dyn::List(marked));
    }
    Dyn::Map(out)
}

fn replace_paths(block: &Block, prior: &Dyn, planned: &Dyn, at: Path, out: &mut Vec<Path>) {
    let (Some(old), Some(new)) = (prior.as_map(), planned.as_map()) else {
        return;
    };
    for a in block.attrs.iter().filter(|a| a.force_new) {
        if old.get(a.name) != new.get(a.name) {
            out.push(at.clone().then(a.name));
        }
    }
    for b in &block.blocks {
        let (o, n) = (old.get(b.name), new.get(b.name));
        let differs = match (b.nesting, o, n) {
            (Nesting::Set, Some(Dyn::List(o)), Some(Dyn::List(n))) => !same_elements(o, n),
            _ => o != n,
        };
        if b.force_new && differs {
            out.push(at.clone().then(b.name));
            continue;
        }
        if let (Nesting::List, Some(Dyn::List(o)), Some(Dyn::List(n))) = (b.nesting, o, n) {
            for (i, (oi, ni)) in o.iter().zip(n).enumerate() {
                replace_paths(&b.block, oi, ni, at.clone().then(b.name).index(i), out);
            }
        }
    }
}

/// Whether two sets hold the same elements, in whatever order.
fn same_elements(a: &[Dyn], b: &[Dyn]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x)) && b.iter().all(|x| a.contains(x))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Attr, NestedBlock, Ty};
    use crate::value::Obj;

    fn plan(block: &Block, prior: &Dyn, proposed: &Dyn, config: &Dyn) -> (Dyn, Vec<Path>) {
        let p = planned(block, prior, proposed, config);
        let r = requires_replace(block, prior, &p);
        (p, r)
    }

    fn block() -> Block {
        Block::new(
            "w",
            vec![
                Attr::required("name", Ty::String, ""),
                Attr::optional("key_id", Ty::String, "").force_new(),
                Attr::computed("id", Ty::String, ""),
                Attr::computed("updated", Ty::Number, "").volatile(),
                Attr::optional_computed("region", Ty::String, ""),
                Attr::optional("enabled", Ty::Bool, "").default(true),
            ],
        )
        .with_block(NestedBlock::single_list(
            "token",
            Block::new(
                "",
                vec![Attr::computed("value", Ty::String, "").sensitive()],
            ),
        ))
    }

    fn obj(pairs: &[(&str, Dyn)]) -> Dyn {
        let mut o = Obj::new();
        for (k, v) in pairs {
            o.set(k, v.clone());
        }
        block().normalize(o.into())
    }

    #[test]
    fn create_marks_unset_computed_unknown_recursively() {
        let tok = Dyn::List(vec![Dyn::Map(BTreeMap::new())]);
        let config = obj(&[("name", "a".into()), ("token", tok.clone())]);
        let (planned, replace) = plan(&block(), &Dyn::Null, &config, &config);
        let m = planned.as_map().unwrap();
        assert!(m["id"].is_unknown() && m["region"].is_unknown());
        assert_eq!(m["name"], Dyn::from("a"));
        assert_eq!(m["enabled"], Dyn::Bool(true));
        assert!(m["token"].as_list().unwrap()[0].as_map().unwrap()["value"].is_unknown());
        assert!(replace.is_empty());
    }

    #[test]
    fn unchanged_update_keeps_prior_exactly() {
        let prior = obj(&[
            ("name", "a".into()),
            ("id", "1".into()),
            ("updated", Dyn::Int(5)),
            ("region", "r".into()),
            ("enabled", true.into()),
        ]);
        let config = obj(&[("name", "a".into())]);
        let (planned, replace) = plan(&block(), &prior, &prior, &config);
        assert_eq!(planned, prior);
        assert!(replace.is_empty());
    }

    #[test]
    fn change_makes_volatile_unknown_and_force_new_replaces() {
        let prior = obj(&[
            ("name", "a".into()),
            ("key_id", "k1".into()),
            ("id", "1".into()),
        ]);
        let config = obj(&[("name", "a".into()), ("key_id", "k2".into())]);
        let proposed = obj(&[
            ("name", "a".into()),
            ("key_id", "k2".into()),
            ("id", "1".into()),
        ]);
        let (planned, replace) = plan(&block(), &prior, &proposed, &config);
        let m = planned.as_map().unwrap();
        assert!(m["updated"].is_unknown());
        assert_eq!(m["id"], Dyn::from("1"));
        assert_eq!(replace, vec![Path::attr("key_id")]);
    }

    #[test]
    fn unknown_force_new_value_replaces_and_destroy_is_null() {
        let prior = obj(&[("name", "a".into()), ("key_id", "k1".into())]);
        let proposed = obj(&[("name", "a".into()), ("key_id", Dyn::Unknown)]);
        let (_, replace) = plan(&block(), &prior, &proposed, &proposed);
        assert_eq!(replace, vec![Path::attr("key_id")]);
        let (planned, _) = plan(&block(), &prior, &Dyn::Null, &Dyn::Null);
        assert!(planned.is_null());
    }

    #[test]
    fn set_blocks_are_compared_without_order() {
        let acl = |u: &str, l: &str| {
            let mut o = Obj::new();
            o.set("user_name", u).set("level", l);
            Dyn::from(o)
        };
        let b =
            Block::new("p", vec![Attr::computed("id", Ty::String, "")]).with_block(NestedBlock {
                force_new: true,
                ..NestedBlock::set(
                    "access_control",
                    Block::new(
                        "",
                        vec![
                            Attr::optional("user_name", Ty::String, ""),
                            Attr::optional("level", Ty::String, ""),
                        ],
                    ),
                )
            });
        let state = |items: Vec<Dyn>| {
            let mut o = Obj::new();
            o.set("id", "x").set("access_control", Dyn::List(items));
            b.normalize(o.into())
        };
        let prior = state(vec![acl("a", "R"), acl("b", "W")]);
        let reordered = state(vec![acl("b", "W"), acl("a", "R")]);
        let (planned, replace) = plan(&b, &prior, &reordered, &reordered);
        assert_eq!(planned, reordered);
        assert!(replace.is_empty(), "{replace:?}");
        let changed = state(vec![acl("b", "W"), acl("a", "W")]);
        let (_, replace) = plan(&b, &prior, &changed, &changed);
        assert_eq!(replace, vec![Path::attr("access_control")]);
    }
}
