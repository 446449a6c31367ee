//! Request bodies: which media types a route reads, and reading JSON bodies strictly.

use serde::de::DeserializeOwned;

use super::ApiRequest;
use super::errors::ApiError;

/// What a body is, by its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// `application/json` (or `+json`).
    Json,
    /// `application/yaml`, `text/yaml` (and their `x-` forms).
    Yaml,
    /// No `Content-Type`: the content decides.
    Unspecified,
}

/// The media type of `request`'s body; 415 for one the API never reads.
pub fn media_type(request: &ApiRequest) -> Result<MediaType, ApiError> {
    let Some(header) = request.content_type.as_deref() else {
        return Ok(MediaType::Unspecified);
    };
    // Parameters such as `; charset=utf-8` do not change how the body is read.
    let essence = header
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "" => Ok(MediaType::Unspecified),
        "application/json" => Ok(MediaType::Json),
        "application/yaml" | "application/x-yaml" | "text/yaml" | "text/x-yaml" => {
            Ok(MediaType::Yaml)
        }
        other if other.ends_with("+json") => Ok(MediaType::Json),
        other => Err(ApiError::unsupported_media_type(format!(
            "Content-Type `{other}` is not read here; send application/json{}",
            if yaml_allowed_hint(request) {
                ", application/yaml or text/yaml"
            } else {
                ""
            }
        ))),
    }
}

fn yaml_allowed_hint(request: &ApiRequest) -> bool {
    request.method.eq_ignore_ascii_case("PUT")
}

/// The body as text, if it has any content.
pub fn text(request: &ApiRequest) -> Option<&str> {
    request.body.as_deref().filter(|b| !b.trim().is_empty())
}

/// Reads a JSON body into `T` (unknown fields refused by `T`); `None` when there is no body
/// and `T` has a default.
pub fn json<T: DeserializeOwned + Default>(request: &ApiRequest) -> Result<T, ApiError> {
    if media_type(request)? == MediaType::Yaml {
        return Err(ApiError::unsupported_media_type(
            "this route reads JSON bodies only: send application/json",
        ));
    }
    let Some(text) = text(request) else {
        return Ok(T::default());
    };
    serde_json::from_str(text).map_err(|e| {
        // serde_json's message ends with the line and column.
        ApiError::invalid_request(format!("the body is not the JSON this route reads: {e}"))
    })
}
