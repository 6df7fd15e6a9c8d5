//! A set of device names, each with a small value, in flat memory: a million names cost
//! their bytes plus about 20 bytes each, not a `String` (24 bytes and a heap block) apiece.
//! Batches use it to spot duplicates; the CLI's journal to remember what is already done.

use std::hash::BuildHasher;

use hashbrown::HashTable;

/// Names interned in one text buffer, each with a value of type `V`.
pub struct NameSet<V: Copy = ()> {
    /// Every name, one after another.
    text: String,
    /// Where name `i` ends in `text` (it starts where `i - 1` ends).
    ends: Vec<usize>,
    values: Vec<V>,
    /// Indices into `ends`/`values`, hashed by name.
    table: HashTable<u32>,
    hasher: std::collections::hash_map::RandomState,
}

impl<V: Copy> Default for NameSet<V> {
    fn default() -> Self {
        NameSet {
            text: String::new(),
            ends: Vec::new(),
            values: Vec::new(),
            table: HashTable::new(),
            hasher: std::collections::hash_map::RandomState::new(),
        }
    }
}

impl<V: Copy> std::fmt::Debug for NameSet<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NameSet")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl<V: Copy> NameSet<V> {
    /// An empty set.
    pub fn new() -> Self {
        NameSet::default()
    }

    /// How many names it holds.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn name(&self, index: u32) -> &str {
        let index = index as usize;
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        &self.text[start..self.ends[index]]
    }

    /// The value of `name`, if it is in the set.
    pub fn get(&self, name: &str) -> Option<V> {
        let hash = self.hasher.hash_one(name);
        self.table
            .find(hash, |&index| self.name(index) == name)
            .map(|&index| self.values[index as usize])
    }

    /// Whether `name` is in the set.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Adds `name` with `value` and returns `None`; if it is there already, keeps the value
    /// it has and returns it. Past `u32::MAX` names the set is full and `insert` returns the
    /// value given, as if the name were there.
    pub fn insert(&mut self, name: &str, value: V) -> Option<V> {
        let hash = self.hasher.hash_one(name);
        let NameSet {
            text,
            ends,
            values,
            table,
            hasher,
        } = self;
        let name_of = |index: u32| {
            let index = index as usize;
            let start = if index == 0 { 0 } else { ends[index - 1] };
            &text[start..ends[index]]
        };
        if let Some(&index) = table.find(hash, |&index| name_of(index) == name) {
            return Some(values[index as usize]);
        }
        let Ok(index) = u32::try_from(ends.len()) else {
            return Some(value);
        };
        text.push_str(name);
        ends.push(text.len());
        values.push(value);
        let (text, ends) = (&*text, &*ends);
        table.insert_unique(hash, index, |&other| {
            let other = other as usize;
            let start = if other == 0 { 0 } else { ends[other - 1] };
            hasher.hash_one(&text[start..ends[other]])
        });
        None
    }

    /// Sets the value of `name`, adding it if it is not there.
    pub fn set(&mut self, name: &str, value: V) {
        let hash = self.hasher.hash_one(name);
        let found = self
            .table
            .find(hash, |&index| self.name(index) == name)
            .copied();
        match found {
            Some(index) => self.values[index as usize] = value,
            None => {
                self.insert(name, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_found_with_their_values() {
        let mut set = NameSet::new();
        assert!(set.is_empty());
        assert_eq!(set.insert("lamp-1", 1u8), None);
        assert_eq!(set.insert("lamp-2", 2), None);
        assert_eq!(set.insert("lamp-1", 9), Some(1), "the first value stays");
        assert_eq!(set.insert("", 3), None, "the empty name is a name");
        assert_eq!(set.len(), 3);
        assert_eq!(set.get("lamp-2"), Some(2));
        assert_eq!(set.get("lamp-3"), None);
        assert_eq!(set.get(""), Some(3));
        set.set("lamp-2", 7);
        set.set("lamp-4", 4);
        assert_eq!(set.get("lamp-2"), Some(7));
        assert_eq!(set.get("lamp-4"), Some(4));
        assert!(set.contains("lamp-1") && !set.contains("lamp"));
    }

    #[test]
    fn many_names_grow_the_table() {
        let mut set: NameSet = NameSet::new();
        for n in 0..50_000 {
            assert_eq!(set.insert(&format!("d{n}"), ()), None);
        }
        for n in 0..50_000 {
            assert!(set.contains(&format!("d{n}")), "{n}");
        }
        assert!(!set.contains("d50000"));
        assert_eq!(set.len(), 50_000);
    }
}
