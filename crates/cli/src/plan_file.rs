//! Reading a plan file: refusing what cannot be a plan (too big, binary, not UTF-8, empty)
//! with a message that says so, before the plan parser sees it.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// The largest plan file accepted. Real plans are a few kilobytes; a bigger file is a mistake
/// (a log, a disk image) and is refused by its size before it is read.
pub const MAX_PLAN_BYTES: u64 = 1024 * 1024;

/// Why a file gave no plan text.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be read: missing, unreadable, a directory.
    Io(String),
    /// The file was read but cannot be a plan.
    Content(String),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(message) | ReadError::Content(message) => f.write_str(message),
        }
    }
}

/// The text of the plan at `path`; `-` is standard input.
pub fn read(path: &Path) -> Result<String, ReadError> {
    let bytes = if path.as_os_str() == "-" {
        read_limited(io::stdin().lock())
    } else {
        read_file(path)
    }?;
    text(bytes)
}

fn read_file(path: &Path) -> Result<Vec<u8>, ReadError> {
    let file = File::open(path).map_err(|e| io_error(&e))?;
    let metadata = file.metadata().map_err(|e| io_error(&e))?;
    if metadata.is_dir() {
        return Err(ReadError::Io(
            "cannot read: it is a directory, not a plan file".to_owned(),
        ));
    }
    if metadata.len() > MAX_PLAN_BYTES {
        return Err(too_large(Some(metadata.len())));
    }
    read_limited(file)
}

/// Reads at most one byte more than allowed, so that a stream (a pipe, a growing file) that is
/// too large is refused without being read whole.
fn read_limited(source: impl Read) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    source
        .take(MAX_PLAN_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(&e))?;
    if bytes.len() as u64 > MAX_PLAN_BYTES {
        return Err(too_large(None));
    }
    Ok(bytes)
}

/// `size` is the file's size when known before reading.
fn too_large(size: Option<u64>) -> ReadError {
    let what = match size {
        Some(bytes) => format!("the file is {bytes} bytes"),
        None => format!("the input is more than {MAX_PLAN_BYTES} bytes"),
    };
    ReadError::Content(format!(
        "{what}, too large for a plan: plans are at most {MAX_PLAN_BYTES} bytes (1 MiB), \
         so it was not read; is this the right file?"
    ))
}

fn io_error(error: &io::Error) -> ReadError {
    let reason = match error.kind() {
        io::ErrorKind::NotFound => "no such file".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        io::ErrorKind::IsADirectory => "it is a directory, not a plan file".to_owned(),
        _ => error.to_string(),
    };
    ReadError::Io(format!("cannot read: {reason}"))
}

/// The bytes as text, or why they are not plan text.
fn text(bytes: Vec<u8>) -> Result<String, ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::Content(
            "the file is empty (0 bytes); a plan needs at least `name`, `protection_groups` and `waves`"
                .to_owned(),
        ));
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(ReadError::Content(
            "this is UTF-16 text (it starts with a UTF-16 byte order mark); save the plan as UTF-8"
                .to_owned(),
        ));
    }
    if let Some(offset) = bytes.iter().position(|b| *b == 0) {
        return Err(ReadError::Content(format!(
            "this is a binary file, not a plan: it has a NUL byte at byte offset {offset}"
        )));
    }
    String::from_utf8(bytes).map_err(|error| {
        let offset = error.utf8_error().valid_up_to();
        let byte = error.as_bytes()[offset];
        ReadError::Content(format!(
            "this is not UTF-8 text: byte 0x{byte:02X} at byte offset {offset} is not valid UTF-8; save the plan as UTF-8"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content_error(bytes: &[u8]) -> String {
        match text(bytes.to_vec()) {
            Err(ReadError::Content(message)) => message,
            other => panic!("expected a content error, got {other:?}"),
        }
    }

    #[test]
    fn refuses_what_cannot_be_plan_text() {
        assert!(content_error(b"").starts_with("the file is empty (0 bytes)"));
        assert_eq!(
            content_error(b"name: x\n\0\0"),
            "this is a binary file, not a plan: it has a NUL byte at byte offset 8"
        );
        assert_eq!(
            content_error(b"name: caf\xe9\n"),
            "this is not UTF-8 text: byte 0xE9 at byte offset 9 is not valid UTF-8; save the plan as UTF-8"
        );
        assert!(content_error(b"\xff\xfen\0a\0").contains("UTF-16"));
        assert_eq!(text(b"name: x\n".to_vec()).unwrap(), "name: x\n");
    }

    #[test]
    fn streams_over_the_limit_are_cut_short() {
        let big = io::repeat(b'a').take(MAX_PLAN_BYTES * 4);
        match read_limited(big) {
            Err(ReadError::Content(message)) => {
                assert!(
                    message.contains("at most 1048576 bytes (1 MiB)"),
                    "{message}"
                );
            }
            other => panic!("expected a content error, got {other:?}"),
        }
        let fits = io::repeat(b'a').take(MAX_PLAN_BYTES);
        assert_eq!(read_limited(fits).unwrap().len() as u64, MAX_PLAN_BYTES);
    }
}
