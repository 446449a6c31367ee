//! Gzip-compressed JSON: how large state is stored (an item must stay far below 400 KB).

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// `value` as JSON bytes.
pub(crate) fn json<T: Serialize>(value: &T) -> Result<Vec<u8>, String> {
    serde_json::to_vec(value).map_err(|e| format!("cannot serialise to JSON: {e}"))
}

/// `bytes`, gzip-compressed.
pub(crate) fn gzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 4), Compression::default());
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .map_err(|e| format!("cannot compress: {e}"))
}

/// The value in gzip-compressed JSON `bytes`.
pub(crate) fn gunzip_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let mut text = Vec::with_capacity(bytes.len() * 4);
    GzDecoder::new(bytes)
        .read_to_end(&mut text)
        .map_err(|e| format!("not gzip data: {e}"))?;
    serde_json::from_slice(&text).map_err(|e| format!("not the expected JSON: {e}"))
}

/// A 64-bit FNV-1a digest: tells whether a serialised value changed since it was stored.
pub(crate) fn digest(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_shrinks_repetitive_json() {
        let value: Vec<String> = (0..1000).map(|i| format!("s-{i:017}")).collect();
        let plain = json(&value).unwrap();
        let packed = gzip(&plain).unwrap();
        assert!(
            packed.len() * 3 < plain.len(),
            "{} vs {}",
            packed.len(),
            plain.len()
        );
        let back: Vec<String> = gunzip_json(&packed).unwrap();
        assert_eq!(back, value);
        assert!(gunzip_json::<Vec<String>>(b"not gzip").is_err());
    }

    #[test]
    fn digests_tell_changes_apart() {
        assert_eq!(digest(b"abc"), digest(b"abc"));
        assert_ne!(digest(b"abc"), digest(b"abd"));
        assert_eq!(digest(b""), 0xcbf2_9ce4_8422_2325);
    }
}
