//! DynamoDB items: building attribute values and reading them back with clear errors.

use std::collections::HashMap;
use std::str::FromStr;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use jiff::Timestamp;
use pipeline::ports::{PortError, PortResult};

/// An item as the SDK holds it.
pub(crate) type Item = HashMap<String, AttributeValue>;

/// A string attribute.
pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number attribute.
pub(crate) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A binary attribute.
pub(crate) fn b(value: Vec<u8>) -> AttributeValue {
    AttributeValue::B(Blob::new(value))
}

/// A boolean attribute.
pub(crate) fn bool(value: bool) -> AttributeValue {
    AttributeValue::Bool(value)
}

/// How timestamps are stored: RFC 3339 in UTC with exactly 6 fractional digits, so their
/// text sorts like the instants (sort keys of the indexes).
pub(crate) fn timestamp(at: Timestamp) -> String {
    format!("{at:.6}")
}

/// Reads the attributes of one item; errors name the item (`what`).
pub(crate) struct Reader<'a> {
    item: &'a Item,
    what: &'a str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(item: &'a Item, what: &'a str) -> Self {
        Self { item, what }
    }

    fn error(&self, name: &str, problem: &str) -> PortError {
        PortError::Permanent(format!("{}: attribute `{name}` {problem}", self.what))
    }

    pub(crate) fn opt_string(&self, name: &str) -> PortResult<Option<&'a str>> {
        match self.item.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::S(value)) => Ok(Some(value)),
            Some(_) => Err(self.error(name, "is not a string")),
        }
    }

    pub(crate) fn string(&self, name: &str) -> PortResult<&'a str> {
        self.opt_string(name)?
            .ok_or_else(|| self.error(name, "is missing"))
    }

    pub(crate) fn opt_number<T: FromStr>(&self, name: &str) -> PortResult<Option<T>> {
        match self.item.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::N(value)) => value.parse().map(Some).map_err(|_| {
                self.error(name, &format!("holds `{value}`, not the expected number"))
            }),
            Some(_) => Err(self.error(name, "is not a number")),
        }
    }

    pub(crate) fn number<T: FromStr>(&self, name: &str) -> PortResult<T> {
        self.opt_number(name)?
            .ok_or_else(|| self.error(name, "is missing"))
    }

    pub(crate) fn bytes(&self, name: &str) -> PortResult<&'a [u8]> {
        match self.item.get(name) {
            Some(AttributeValue::B(value)) => Ok(value.as_ref()),
            Some(_) => Err(self.error(name, "is not binary")),
            None => Err(self.error(name, "is missing")),
        }
    }

    pub(crate) fn opt_bool(&self, name: &str) -> PortResult<Option<bool>> {
        match self.item.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::Bool(value)) => Ok(Some(*value)),
            Some(_) => Err(self.error(name, "is not a boolean")),
        }
    }

    pub(crate) fn opt_timestamp(&self, name: &str) -> PortResult<Option<Timestamp>> {
        self.opt_string(name)?
            .map(|text| {
                text.parse()
                    .map_err(|_| self.error(name, &format!("holds `{text}`, not a timestamp")))
            })
            .transpose()
    }

    pub(crate) fn timestamp(&self, name: &str) -> PortResult<Timestamp> {
        self.opt_timestamp(name)?
            .ok_or_else(|| self.error(name, "is missing"))
    }
}

/// The size DynamoDB counts for an item: attribute names plus values (close enough to
/// compare with the 400 KB limit).
pub fn item_size(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => n.len().div_ceil(2) + 1,
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::L(list) => 3 + list.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(map) => 3 + item_size(map) + map.len(),
        AttributeValue::Ss(set) => set.iter().map(String::len).sum(),
        AttributeValue::Ns(set) => set.iter().map(|n| n.len().div_ceil(2) + 1).sum(),
        AttributeValue::Bs(set) => set.iter().map(|b| b.as_ref().len()).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_sort_like_instants() {
        let a: Timestamp = "2024-03-01T09:00:00Z".parse().unwrap();
        let b: Timestamp = "2024-03-01T09:00:00.5Z".parse().unwrap();
        let c: Timestamp = "2024-03-01T10:00:00.000001Z".parse().unwrap();
        let texts = [timestamp(a), timestamp(b), timestamp(c)];
        assert_eq!(texts[0], "2024-03-01T09:00:00.000000Z");
        assert!(texts[0] < texts[1] && texts[1] < texts[2], "{texts:?}");
        assert_eq!(texts[1].parse::<Timestamp>().unwrap(), b);
    }

    #[test]
    fn errors_name_the_item_and_attribute() {
        let item: Item = [("version".to_owned(), s("x"))].into();
        let reader = Reader::new(&item, "execution e STATE");
        let error = reader.number::<u64>("version").unwrap_err().to_string();
        assert!(
            error.contains("execution e STATE") && error.contains("`version`"),
            "{error}"
        );
        assert!(
            reader
                .string("missing")
                .unwrap_err()
                .to_string()
                .contains("is missing")
        );
    }
}
