//! A minimal HTTP/1.1 client for the emulator's own outbound calls (EventBridge `PutEvents`,
//! STS `GetCallerIdentity`) to plain-`http` local endpoints such as moto's server.

use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Errors of an outbound call.
#[derive(Debug, thiserror::Error)]
pub enum HttpClientError {
    /// The endpoint is not `http://host[:port][/path]`.
    #[error("invalid endpoint `{0}`: expected http://host:port")]
    InvalidEndpoint(String),
    /// Connecting, sending or reading failed.
    #[error("request to {endpoint} failed: {detail}")]
    Transport {
        /// The endpoint.
        endpoint: String,
        /// What failed.
        detail: String,
    },
    /// No answer in time.
    #[error("request to {0} timed out")]
    Timeout(String),
}

/// A parsed `http://host:port/path` endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpEndpoint {
    /// `host:port` to connect to and send as `Host`.
    pub authority: String,
    /// Request path (`/` when absent).
    pub path: String,
}

impl HttpEndpoint {
    /// Parses `http://host[:port][/path]`; the port defaults to 80.
    pub fn parse(url: &str) -> Result<HttpEndpoint, HttpClientError> {
        let invalid = || HttpClientError::InvalidEndpoint(url.to_owned());
        let rest = url.strip_prefix("http://").ok_or_else(invalid)?;
        let (authority, path) = match rest.find('/') {
            Some(slash) => (&rest[..slash], &rest[slash..]),
            None => (rest, "/"),
        };
        if authority.is_empty() || authority.contains(['@', ' ', '?', '#']) {
            return Err(invalid());
        }
        let authority = if authority
            .rsplit_once(':')
            .is_some_and(|(_, port)| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
        {
            authority.to_owned()
        } else if authority.ends_with(']') || !authority.contains(':') {
            format!("{authority}:80")
        } else {
            return Err(invalid());
        };
        Ok(HttpEndpoint {
            authority,
            path: path.to_owned(),
        })
    }
}

/// A response: status and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    /// HTTP status code.
    pub status: u16,
    /// Body bytes.
    pub body: Bytes,
}

/// POSTs `body` with `headers` to `url` on a fresh connection.
pub async fn post(
    url: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
    timeout: Duration,
) -> Result<HttpReply, HttpClientError> {
    request("POST", url, headers, body, timeout).await
}

/// Sends one request with `method` to `url` on a fresh connection.
pub async fn request(
    method: &str,
    url: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
    timeout: Duration,
) -> Result<HttpReply, HttpClientError> {
    let endpoint = HttpEndpoint::parse(url)?;
    match tokio::time::timeout(timeout, send(method, &endpoint, url, headers, body)).await {
        Ok(result) => result,
        Err(_) => Err(HttpClientError::Timeout(url.to_owned())),
    }
}

async fn send(
    method: &str,
    endpoint: &HttpEndpoint,
    url: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> Result<HttpReply, HttpClientError> {
    let transport = |detail: String| HttpClientError::Transport {
        endpoint: url.to_owned(),
        detail,
    };
    let stream = TcpStream::connect(&endpoint.authority)
        .await
        .map_err(|e| transport(format!("connect: {e}")))?;
    let (mut sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| transport(format!("handshake: {e}")))?;
    let driver = tokio::spawn(connection);
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(endpoint.path.as_str())
        .header("host", endpoint.authority.as_str())
        .header("content-length", body.len().to_string());
    for (name, value) in headers {
        request = request.header(*name, value.as_str());
    }
    let request = request
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| transport(format!("request: {e}")))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| transport(format!("send: {e}")))?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| transport(format!("read: {e}")))?
        .to_bytes();
    drop(sender);
    driver.abort();
    Ok(HttpReply { status, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse() {
        let e = HttpEndpoint::parse("http://127.0.0.1:5000").unwrap();
        assert_eq!(e.authority, "127.0.0.1:5000");
        assert_eq!(e.path, "/");
        let e = HttpEndpoint::parse("http://localhost/events").unwrap();
        assert_eq!(e.authority, "localhost:80");
        assert_eq!(e.path, "/events");
        assert!(HttpEndpoint::parse("https://events.amazonaws.com").is_err());
        assert!(HttpEndpoint::parse("http://").is_err());
        assert!(HttpEndpoint::parse("http://host:port").is_err());
    }
}
