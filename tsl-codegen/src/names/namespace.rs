//! A [`Namespace`]: the Rust names of one scope decided together, with collisions resolved
//! the same way whatever the items' order ([`CollisionPolicy`], [`NameCollision`]).

use std::collections::{BTreeMap, BTreeSet};

use super::ident::Kind;

/// What a [`Namespace`] does when two items want the same Rust name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CollisionPolicy {
    /// Give one of them the plain name and number the others (the default).
    #[default]
    Resolve,
    /// Refuse with a [`NameCollision`] per clash, so the model gets renamed instead.
    Error,
}

/// Two TSL items that want one Rust name, or one that wants a name the generated API
/// already uses. Raised only under [`CollisionPolicy::Error`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameCollision {
    /// Two TSL identifiers convert to the same Rust name.
    #[error(
        "TSL identifiers `{first}` and `{second}` both become the Rust name `{rust}`; \
         rename one of them in the model"
    )]
    Identifiers {
        /// The identifier that would keep the name under [`CollisionPolicy::Resolve`].
        first: String,
        /// The other identifier.
        second: String,
        /// The Rust name both convert to.
        rust: String,
    },
    /// A TSL identifier converts to a name the generated code already uses.
    #[error(
        "TSL identifier `{tsl}` becomes the Rust name `{rust}`, which the generated code \
         already uses; rename it in the model"
    )]
    Reserved {
        /// The TSL identifier.
        tsl: String,
        /// The Rust name it converts to.
        rust: String,
    },
}

/// The Rust names of one scope (the fields of a struct, the members of an enum, the
/// methods of a handle, the types of a module), decided together.
///
/// Names that are already taken (methods the generated handle has: `new`, `invoke`,
/// `device`, ...; see also [`TRAIT_METHODS`](super::TRAIT_METHODS)) are given at creation; every successful
/// [`plan`](Namespace::plan) takes its names too, so a scope can be filled in steps.
///
/// # How collisions are settled
///
/// All candidates of one `plan` call are computed first. Items whose names clash (`tempC`,
/// `TempC` and `temp_c` all want `temp_c`) are ranked: the item whose TSL text already *is*
/// the Rust name comes first, then one whose text is the name before keyword or prelude
/// handling (`self` for `self_`, `Option` for `OptionType`), then byte order of the TSL
/// text (then the enum key). Under
/// [`CollisionPolicy::Resolve`] the first keeps the plain name unless it is reserved, and
/// the others take the first free numbered name in rank order (`temp_c_2`, `temp_c_3`;
/// `TempC2`; `Wgs84_2`), after every plain name of the call has been claimed. So the
/// result does not depend on the order of the items, and a numbered name never steals the
/// plain name of another item.
#[derive(Debug, Clone, Default)]
pub struct Namespace {
    /// Names in use, compared without `r#`.
    taken: BTreeSet<String>,
    /// Names given at creation or through [`Namespace::reserve`].
    reserved: BTreeSet<String>,
    policy: CollisionPolicy,
}

impl Namespace {
    /// A scope whose `reserved` Rust names (`new`, `r#type`, `Builder`) no item may take.
    pub fn new(reserved: &[&str], policy: CollisionPolicy) -> Self {
        let mut namespace = Namespace {
            policy,
            ..Namespace::default()
        };
        for name in reserved {
            namespace.reserve(name);
        }
        namespace
    }

    /// Marks one more Rust name as used by the generated code.
    pub fn reserve(&mut self, name: &str) {
        let key = unraw(name).to_string();
        self.reserved.insert(key.clone());
        self.taken.insert(key);
    }

    /// Whether `name` is reserved or was given to an item.
    pub fn is_taken(&self, name: &str) -> bool {
        self.taken.contains(unraw(name))
    }

    /// Decides the Rust name of every item: `(TSL text, kind)`, where the text is the TSL
    /// identifier, or the label for [`Kind::Variant`]. The names come back in the items'
    /// order, are distinct from each other and from every name taken before, and are taken
    /// from now on.
    ///
    /// Under [`CollisionPolicy::Error`] every clash is reported (not only the first) and
    /// no name is taken.
    pub fn plan(&mut self, items: &[(&str, Kind)]) -> Result<Vec<String>, Vec<NameCollision>> {
        let bases: Vec<String> = items.iter().map(|&(tsl, kind)| kind.base(tsl)).collect();
        let plains: Vec<String> = items
            .iter()
            .zip(&bases)
            .map(|(&(_, kind), base)| kind.finish(base))
            .collect();

        // Phase one: group by the plain name, then rank each group.
        let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, plain) in plains.iter().enumerate() {
            groups.entry(unraw(plain)).or_default().push(i);
        }
        let rank = |&i: &usize| {
            let (tsl, kind) = items[i];
            // `self_` is spelled exactly so; `self` is the keyword `self_` stands for.
            let exact = unraw(&plains[i]) == tsl;
            let exact_base = bases[i] == tsl;
            (!exact, !exact_base, tsl, kind, i)
        };
        for members in groups.values_mut() {
            members.sort_by_key(rank);
        }

        if self.policy == CollisionPolicy::Error {
            let mut collisions = Vec::new();
            for (&plain, members) in &groups {
                let first = items[members[0]].0;
                if self.taken.contains(plain) {
                    collisions.extend(members.iter().map(|&i| NameCollision::Reserved {
                        tsl: items[i].0.to_string(),
                        rust: plains[i].clone(),
                    }));
                } else {
                    collisions.extend(members[1..].iter().map(|&i| NameCollision::Identifiers {
                        first: first.to_string(),
                        second: items[i].0.to_string(),
                        rust: plains[i].clone(),
                    }));
                }
            }
            if !collisions.is_empty() {
                return Err(collisions);
            }
        }

        // Phase two: every plain name that is free goes to the first of its group, before
        // any numbered name is handed out.
        let mut names: Vec<Option<String>> = vec![None; items.len()];
        let mut losers = Vec::new();
        for (&plain, members) in &groups {
            let mut rest = &members[..];
            if !self.taken.contains(plain) {
                names[members[0]] = Some(plains[members[0]].clone());
                rest = &members[1..];
            }
            losers.extend_from_slice(rest);
        }
        for name in names.iter().flatten() {
            self.taken.insert(unraw(name).to_string());
        }
        // `groups` iterates in name order and members are ranked, so this order is fixed.
        for i in losers {
            let kind = items[i].1;
            let mut n = 2;
            let name = loop {
                let candidate = kind.finish(&kind.numbered(&bases[i], n));
                if !self.taken.contains(unraw(&candidate)) {
                    break candidate;
                }
                n += 1;
            };
            self.taken.insert(unraw(&name).to_string());
            names[i] = Some(name);
        }
        Ok(names.into_iter().flatten().collect())
    }
}

/// The name without a raw prefix: `r#type` and `type` are one name.
fn unraw(name: &str) -> &str {
    name.strip_prefix("r#").unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::names::test_support::parses;
    use crate::names::{field_ident, type_ident, TRAIT_METHODS};

    fn plan(reserved: &[&str], items: &[(&str, Kind)]) -> Vec<String> {
        Namespace::new(reserved, CollisionPolicy::Resolve)
            .plan(items)
            .expect("resolve never fails")
    }

    fn fields<'a>(names: &[&'a str]) -> Vec<(&'a str, Kind)> {
        names.iter().map(|&n| (n, Kind::Field)).collect()
    }

    /// Every order of `items`.
    fn permutations<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
        if items.len() <= 1 {
            return vec![items.to_vec()];
        }
        let mut all = Vec::new();
        for i in 0..items.len() {
            let mut rest = items.to_vec();
            let first = rest.remove(i);
            for mut tail in permutations(&rest) {
                tail.insert(0, first.clone());
                all.push(tail);
            }
        }
        all
    }

    /// Plans every order of `items` and checks each gives every item the same name;
    /// returns the names by TSL text.
    fn same_in_every_order(
        reserved: &[&str],
        items: &[(&str, Kind)],
    ) -> BTreeMap<(String, Kind), String> {
        let mut expected: Option<BTreeMap<(String, Kind), String>> = None;
        for order in permutations(items) {
            let names = plan(reserved, &order);
            let got: BTreeMap<(String, Kind), String> = order
                .iter()
                .map(|&(t, k)| (t.to_string(), k))
                .zip(names)
                .collect();
            match &expected {
                None => expected = Some(got),
                Some(e) => assert_eq!(e, &got, "order {order:?}"),
            }
        }
        expected.unwrap()
    }

    fn named(map: &BTreeMap<(String, Kind), String>, tsl: &str) -> String {
        map.iter()
            .find(|((t, _), _)| t == tsl)
            .map(|(_, n)| n.clone())
            .unwrap()
    }

    #[test]
    fn chinese_identifiers_never_reach_the_output() {
        assert_eq!(field_ident("温度", "value"), "value");
        assert_eq!(field_ident("当前温度", "current"), "current");
        assert_eq!(field_ident("temp温度", "value"), "temp");
        assert_eq!(type_ident("温度", "Temperature"), "Temperature");
        let got = plan(&[], &[("温度", Kind::Field), ("湿度", Kind::Field)]);
        assert_eq!(got, ["field", "field_2"]);
        assert!(got.iter().all(|n| n.is_ascii()));
    }

    #[test]
    fn collisions_resolve_the_same_in_every_order() {
        let names = same_in_every_order(&[], &fields(&["tempC", "TempC", "temp_c"]));
        // `temp_c` already is the Rust name; the others follow in byte order.
        assert_eq!(named(&names, "temp_c"), "temp_c");
        assert_eq!(named(&names, "TempC"), "temp_c_2");
        assert_eq!(named(&names, "tempC"), "temp_c_3");

        let items = [
            ("tempC", Kind::Type),
            ("TempC", Kind::Type),
            ("temp_c", Kind::Type),
        ];
        let names = same_in_every_order(&[], &items);
        assert_eq!(named(&names, "TempC"), "TempC");
        assert_eq!(named(&names, "tempC"), "TempC2");
        assert_eq!(named(&names, "temp_c"), "TempC3");

        // No exact match: byte order alone decides.
        let names = same_in_every_order(&[], &fields(&["tempC", "TEMP_C", "Temp-C"]));
        assert_eq!(named(&names, "TEMP_C"), "temp_c");
        assert_eq!(named(&names, "Temp-C"), "temp_c_2");
        assert_eq!(named(&names, "tempC"), "temp_c_3");
    }

    #[test]
    fn numbered_names_never_steal_plain_names() {
        // `temp_c_2` is an item's own name: the loser of `temp_c` skips it.
        let names = same_in_every_order(&[], &fields(&["tempC", "temp_c", "temp_c_2"]));
        assert_eq!(named(&names, "temp_c"), "temp_c");
        assert_eq!(named(&names, "temp_c_2"), "temp_c_2");
        assert_eq!(named(&names, "tempC"), "temp_c_3");

        // Chains: each group's losers skip every plain name and each other.
        let items = fields(&["a", "A", "a_2", "A_2", "a_3"]);
        let names = same_in_every_order(&[], &items);
        assert_eq!(named(&names, "a"), "a");
        assert_eq!(named(&names, "a_2"), "a_2");
        assert_eq!(named(&names, "a_3"), "a_3");
        assert_eq!(named(&names, "A"), "a_4");
        assert_eq!(named(&names, "A_2"), "a_2_2");

        let items = [
            ("Wgs84", Kind::Type),
            ("WGS_84", Kind::Type),
            ("wgs842", Kind::Type),
        ];
        let names = same_in_every_order(&[], &items);
        assert_eq!(named(&names, "Wgs84"), "Wgs84");
        assert_eq!(named(&names, "WGS_84"), "Wgs84_2");
        assert_eq!(named(&names, "wgs842"), "Wgs842");
    }

    #[test]
    fn names_are_distinct_after_keyword_and_prelude_handling() {
        // `self` becomes `self_`, which `self_` (heck drops the `_`) also wants.
        let names = same_in_every_order(&[], &fields(&["self", "Self", "self_"]));
        assert_eq!(named(&names, "self_"), "self_");
        assert_eq!(named(&names, "self"), "self_2");
        assert_eq!(named(&names, "Self"), "self_3");
        let names = same_in_every_order(&[], &fields(&["self", "Self"]));
        assert_eq!(named(&names, "self"), "self_");
        assert_eq!(named(&names, "Self"), "self_2");

        // `type` is `r#type`; the runner-up is a plain `type_2`.
        let names = same_in_every_order(&[], &fields(&["type", "Type", "TYPE"]));
        assert_eq!(named(&names, "type"), "r#type");
        assert_eq!(named(&names, "TYPE"), "type_2");
        assert_eq!(named(&names, "Type"), "type_3");

        // `Option` becomes `OptionType`, which `OptionType` is already; a loser is numbered
        // from its own base (`Option2`), not from the renamed form.
        let items = [("Option", Kind::Type), ("OptionType", Kind::Type)];
        let names = same_in_every_order(&[], &items);
        assert_eq!(named(&names, "OptionType"), "OptionType");
        assert_eq!(named(&names, "Option"), "Option2");
        // `Option` is the spelling `OptionType` stands for; `optionType` is neither.
        let items = [("optionType", Kind::Type), ("Option", Kind::Type)];
        let names = same_in_every_order(&[], &items);
        assert_eq!(named(&names, "Option"), "OptionType");
        assert_eq!(named(&names, "optionType"), "OptionType2");
        let items = [("OPTION", Kind::Type), ("Option", Kind::Type)];
        let names = same_in_every_order(&[], &items);
        assert_eq!(named(&names, "Option"), "OptionType");
        assert_eq!(named(&names, "OPTION"), "Option2");
    }

    #[test]
    fn reserved_names_of_the_generated_api() {
        let reserved = ["new", "invoke", "set_properties", "device", "client"];
        let items = fields(&["invoke", "Device", "setProperties", "temperature"]);
        let names = same_in_every_order(&reserved, &items);
        assert_eq!(named(&names, "invoke"), "invoke_2");
        assert_eq!(named(&names, "Device"), "device_2");
        assert_eq!(named(&names, "setProperties"), "set_properties_2");
        assert_eq!(named(&names, "temperature"), "temperature");

        // A reserved raw name covers the bare spelling and the other way round.
        assert_eq!(plan(&["r#type"], &fields(&["type"])), ["type_2"]);
        assert_eq!(plan(&["type"], &fields(&["type"])), ["type_2"]);

        // Trait methods are a ready-made list for method scopes.
        let names = plan(TRAIT_METHODS, &fields(&["clone", "eq", "reboot"]));
        assert_eq!(names, ["clone_2", "eq_2", "reboot"]);
        // ...including `TslValue`'s own, which the property set implements.
        let names = plan(TRAIT_METHODS, &fields(&["check", "to_wire", "from_json"]));
        assert_eq!(names, ["check_2", "to_wire_2", "from_json_2"]);
    }

    #[test]
    fn a_namespace_fills_in_steps() {
        let mut ns = Namespace::new(&["new"], CollisionPolicy::Resolve);
        assert_eq!(ns.plan(&fields(&["tempC"])).unwrap(), ["temp_c"]);
        assert!(ns.is_taken("temp_c"));
        assert!(ns.is_taken("new"));
        assert_eq!(ns.plan(&fields(&["temp_c"])).unwrap(), ["temp_c_2"]);
        ns.reserve("r#gen");
        assert!(ns.is_taken("gen"));
        assert_eq!(ns.plan(&fields(&["gen"])).unwrap(), ["gen_2"]);
    }

    #[test]
    fn enum_members_collide_and_resolve() {
        let items = [
            ("On", Kind::Variant(1)),
            ("ON", Kind::Variant(2)),
            ("打开", Kind::Variant(3)),
            ("V3", Kind::Variant(4)),
            ("关闭", Kind::Variant(-1)),
        ];
        let names = same_in_every_order(&[], &items);
        assert_eq!(named(&names, "On"), "On");
        assert_eq!(named(&names, "ON"), "On2");
        // `V3` is its own spelling; the fallback of `打开` = 3 yields.
        assert_eq!(named(&names, "V3"), "V3");
        assert_eq!(named(&names, "打开"), "V3_2");
        assert_eq!(named(&names, "关闭"), "VMinus1");

        // The same label twice: the key breaks the tie.
        let items = [("Off", Kind::Variant(9)), ("Off", Kind::Variant(0))];
        assert_eq!(plan(&[], &items), ["Off2", "Off"]);
    }

    #[test]
    fn report_mode_names_both_identifiers() {
        let mut ns = Namespace::new(&["invoke"], CollisionPolicy::Error);
        let err = ns
            .plan(&fields(&["tempC", "temp_c", "TempC", "invoke", "ok"]))
            .unwrap_err();
        assert_eq!(
            err,
            [
                NameCollision::Reserved {
                    tsl: "invoke".into(),
                    rust: "invoke".into()
                },
                NameCollision::Identifiers {
                    first: "temp_c".into(),
                    second: "TempC".into(),
                    rust: "temp_c".into()
                },
                NameCollision::Identifiers {
                    first: "temp_c".into(),
                    second: "tempC".into(),
                    rust: "temp_c".into()
                },
            ]
        );
        let message = err[1].to_string();
        assert!(message.contains("`temp_c`") && message.contains("`TempC`"));
        assert!(message.contains("rename"));
        assert!(err[0].to_string().contains("`invoke`"));
        // Nothing was taken by the failed plan.
        assert!(!ns.is_taken("ok"));
        assert_eq!(ns.plan(&fields(&["ok"])).unwrap(), ["ok"]);
        // Clashes with an earlier plan are reported too.
        let err = ns.plan(&fields(&["OK"])).unwrap_err();
        assert_eq!(
            err,
            [NameCollision::Reserved {
                tsl: "OK".into(),
                rust: "ok".into()
            }]
        );
        // Keywords turned raw report their Rust spelling.
        let err = Namespace::new(&[], CollisionPolicy::Error)
            .plan(&fields(&["type", "TYPE"]))
            .unwrap_err();
        assert_eq!(
            err,
            [NameCollision::Identifiers {
                first: "type".into(),
                second: "TYPE".into(),
                rust: "r#type".into()
            }]
        );
    }

    #[test]
    fn report_mode_is_order_independent() {
        let items = fields(&["tempC", "TempC", "temp_c", "x"]);
        let mut expected = None;
        for order in permutations(&items) {
            let err = Namespace::new(&[], CollisionPolicy::Error)
                .plan(&order)
                .unwrap_err();
            match &expected {
                None => expected = Some(err),
                Some(e) => assert_eq!(e, &err),
            }
        }
    }

    proptest! {
        #[test]
        fn plans_are_distinct_and_order_independent(
            tsls in proptest::collection::vec("[a-cA-C_]{0,4}|type|self|[0-9]{1,2}", 0..8),
            reserved in proptest::collection::vec("[a-c_]{1,3}", 0..3),
        ) {
            let reserved: Vec<&str> = reserved.iter().map(String::as_str).collect();
            let mut items: Vec<(&str, Kind)> = tsls.iter().map(|t| (t.as_str(), Kind::Field)).collect();
            items.sort();
            items.dedup();
            let forward = plan(&reserved, &items);
            let mut reversed_items = items.clone();
            reversed_items.reverse();
            let mut backward = plan(&reserved, &reversed_items);
            backward.reverse();
            prop_assert_eq!(&forward, &backward);
            let distinct: BTreeSet<&str> = forward.iter().map(|n| unraw(n)).collect();
            prop_assert_eq!(distinct.len(), forward.len());
            for name in &forward {
                prop_assert!(parses(name), "{}", name);
                prop_assert!(!reserved.contains(&unraw(name)), "{}", name);
            }
        }
    }
}
