//! Field paths inside a plan, like `waves[1].groups[0]` or `targets.dr-east.role_arn`.

use std::fmt;

/// A path from the root of the plan to one of its values.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Path(Vec<Segment>);

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Segment {
    Key(String),
    Index(usize),
}

impl Path {
    /// The whole plan.
    pub(crate) fn root() -> Self {
        Self::default()
    }

    /// The value under mapping key `key`.
    pub(crate) fn key(&self, key: &str) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key.to_owned()));
        Self(segments)
    }

    /// The item at `index` of a list.
    pub(crate) fn index(&self, index: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        Self(segments)
    }

    /// Whether `self` is `other` or one of its ancestors.
    pub(crate) fn contains(&self, other: &Path) -> bool {
        other.0.starts_with(&self.0)
    }

    /// The parent path; the root is its own parent.
    pub(crate) fn parent(&self) -> Self {
        let mut segments = self.0.clone();
        segments.pop();
        Self(segments)
    }
}

/// Keys made of letters, digits, `_` and `-` print bare (`targets.dr-east`); others are quoted
/// so the path stays unambiguous (`tags["app.kubernetes.io/name"]`).
impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(index) => write!(f, "[{index}]")?,
                Segment::Key(key) if is_bare(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(key)?;
                }
                Segment::Key(key) => write!(f, "[{key:?}]")?,
            }
        }
        Ok(())
    }
}

fn is_bare(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_field_access() {
        let root = Path::root();
        assert_eq!(root.to_string(), "");
        assert_eq!(
            root.key("waves")
                .index(1)
                .key("groups")
                .index(0)
                .to_string(),
            "waves[1].groups[0]"
        );
        assert_eq!(
            root.key("targets")
                .key("dr-east")
                .key("role_arn")
                .to_string(),
            "targets.dr-east.role_arn"
        );
        assert_eq!(
            root.key("tags").key("app.kubernetes.io/name").to_string(),
            r#"tags["app.kubernetes.io/name"]"#
        );
        assert_eq!(root.key("").to_string(), r#"[""]"#);
    }

    #[test]
    fn containment_follows_segments_not_text() {
        let wave1 = Path::root().key("waves").index(1);
        let wave10 = Path::root().key("waves").index(10);
        assert!(wave1.contains(&wave1.key("name")));
        assert!(wave1.contains(&wave1));
        assert!(!wave1.contains(&wave10));
        assert!(!wave1.key("name").contains(&wave1));
        assert!(Path::root().contains(&wave10));
        assert_eq!(wave1.key("name").parent(), wave1);
    }
}
