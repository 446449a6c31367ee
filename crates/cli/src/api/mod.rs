//! Talking to the orchestrator's HTTP API (`infra/openapi.yaml`), one of two ways:
//!
//! - [`http`]: the deployed API, over HTTPS, every request signed with SigV4 (service
//!   `execute-api`) with the caller's AWS credentials (`--api-url` or `DRSCTL_API_URL`).
//! - [`direct`]: in-process, the same router the `api` Lambda runs
//!   ([`pipeline::api::handle`]) on the stack's tables and queues, with the caller's AWS
//!   credentials (no `--api-url`).
//!
//! Both take a [`Request`] and give a [`Response`], so the commands and their output do not
//! depend on the way; [`options::ApiOptions`] chooses it.

pub mod direct;
pub mod http;
pub mod options;
pub mod sigv4;

use std::fmt;

use serde_json::Value;

/// A request to the API, as the commands build it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `PUT`, `POST`, `DELETE`.
    pub method: &'static str,
    /// The path, each segment already percent-encoded (see [`segment`]).
    pub path: String,
    /// Query parameters, not encoded.
    pub query: Vec<(String, String)>,
    /// `Content-Type` of the body.
    pub content_type: Option<&'static str>,
    /// The body.
    pub body: Option<String>,
}

impl Request {
    /// `method path` without a body.
    pub fn new(method: &'static str, path: String) -> Self {
        Self {
            method,
            path,
            query: Vec::new(),
            content_type: None,
            body: None,
        }
    }

    /// With a JSON body.
    pub fn json(mut self, body: &Value) -> Self {
        self.content_type = Some("application/json");
        self.body = Some(body.to_string());
        self
    }

    /// The query string, encoded, without `?` (empty when there is no parameter).
    pub fn query_string(&self) -> String {
        self.query
            .iter()
            .map(|(key, value)| format!("{}={}", encode(key), encode(value)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// The API's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// The JSON body (`None` for 204 and empty bodies).
    pub body: Option<Value>,
}

impl Response {
    /// 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body, or `null`.
    pub fn json(&self) -> &Value {
        self.body.as_ref().unwrap_or(&Value::Null)
    }
}

/// Why no answer came back.
#[derive(Debug)]
pub enum TransportError {
    /// The options or the AWS configuration are incomplete or wrong (nothing was sent).
    Config(String),
    /// The request could not be sent, or its answer not read.
    Connection(String),
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Config(message) | TransportError::Connection(message) => {
                f.write_str(message)
            }
        }
    }
}

/// The way requests go: the deployed API, or the router in this process.
#[derive(Debug)]
pub enum Transport {
    /// HTTPS with SigV4.
    Http(Box<http::HttpTransport>),
    /// In-process, on the tables and queues.
    Direct(Box<direct::DirectTransport>),
}

impl Transport {
    /// Sends `request` and waits for the answer.
    pub async fn send(&self, request: &Request) -> Result<Response, TransportError> {
        match self {
            Transport::Http(transport) => transport.send(request).await,
            Transport::Direct(transport) => Ok(transport.send(request).await),
        }
    }

    /// A hint for an error answer: where the failing call went (in direct mode, which tables
    /// and queues), so that a wrong stack is recognised.
    pub fn describe(&self) -> String {
        match self {
            Transport::Http(transport) => format!("the API at {}", transport.base_url()),
            Transport::Direct(transport) => transport.describe(),
        }
    }
}

/// One path segment, percent-encoded (everything but RFC 3986's unreserved characters), so
/// that a name cannot change the route.
pub fn segment(value: &str) -> String {
    encode(value)
}

/// Every byte but RFC 3986's unreserved characters (`A-Z a-z 0-9 - _ . ~`) is escaped.
const RESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, RESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_and_queries_are_percent_encoded() {
        assert_eq!(segment("billing-2.v1"), "billing-2.v1");
        assert_eq!(segment("a/b c"), "a%2Fb%20c");
        assert_eq!(segment("é"), "%C3%A9");
        let mut request = Request::new("GET", "/plans".to_owned());
        assert_eq!(request.query_string(), "");
        request.query = vec![
            ("limit".to_owned(), "5".to_owned()),
            ("a b".to_owned(), "&".to_owned()),
        ];
        assert_eq!(request.query_string(), "limit=5&a%20b=%26");
    }
}
