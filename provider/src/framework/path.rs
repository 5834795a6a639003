//! Attribute paths: where in a value a diagnostic points.

use std::fmt;

/// One step of an [`AttrPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Step {
    /// Object attribute or nested block name.
    Attr(String),
    /// Map key.
    Key(String),
    /// List / set / tuple index.
    Index(i64),
}

/// A path such as `boundary[0].cidr` or `tags["env"]`.
///
/// Built fluently: `AttrPath::root().attr("boundary").index(0).attr("cidr")`
/// or with [`AttrPath::new`] for a single top-level attribute.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct AttrPath(Vec<Step>);

impl AttrPath {
    /// The empty path (the whole value).
    pub fn root() -> Self {
        AttrPath(Vec::new())
    }
    /// Path of a top-level attribute.
    pub fn new(name: &str) -> Self {
        AttrPath::root().attr(name)
    }
    pub fn attr(&self, name: &str) -> Self {
        self.with(Step::Attr(name.to_owned()))
    }
    pub fn key(&self, key: &str) -> Self {
        self.with(Step::Key(key.to_owned()))
    }
    pub fn index(&self, i: i64) -> Self {
        self.with(Step::Index(i))
    }
    fn with(&self, s: Step) -> Self {
        let mut v = self.0.clone();
        v.push(s);
        AttrPath(v)
    }
    pub fn steps(&self) -> &[Step] {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn from_steps(steps: Vec<Step>) -> Self {
        AttrPath(steps)
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Step::Attr(n) if i == 0 => write!(f, "{n}")?,
                Step::Attr(n) => write!(f, ".{n}")?,
                Step::Key(k) => write!(f, "[{k:?}]")?,
                Step::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    #[test]
    fn display() {
        let p = AttrPath::root().attr("boundary").index(0).attr("tags").key("env");
        assert_eq!(p.to_string(), r#"boundary[0].tags["env"]"#);
    }
}
