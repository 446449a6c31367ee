//! The deployed API over HTTPS, every request signed with SigV4 (API Gateway IAM auth).

use std::time::{Duration, SystemTime};

use aws_adapters::AwsSettings;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use super::sigv4::sign_request;
use super::{Request, Response, TransportError};

/// How long one request may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(60);
/// The largest answer read (an execution detail of thousands of servers fits easily).
const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// A client of the API at one base URL.
pub struct HttpTransport {
    /// `scheme://host[:port][/stage]`, without a trailing `/`.
    base_url: String,
    /// The `host` header: the URL's authority.
    host: String,
    region: String,
    credentials: SharedCredentialsProvider,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl std::fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTransport")
            .field("base_url", &self.base_url)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl HttpTransport {
    /// The API at `url`; the region is `region`, else the one in an execute-api host name,
    /// else the AWS configuration's; credentials come from the AWS default chain.
    pub async fn new(url: &str, region: Option<String>) -> Result<Self, TransportError> {
        let (base_url, host) = parse_base_url(url).map_err(TransportError::Config)?;
        let region = region.or_else(|| execute_api_region(&host));
        let config = AwsSettings {
            region,
            ..AwsSettings::default()
        }
        .load()
        .await
        .map_err(|e| TransportError::Config(format!("signing requests to {base_url}: {e}")))?;
        let credentials = config.sdk().credentials_provider().ok_or_else(|| {
            TransportError::Config(
                "no AWS credentials provider: requests to the API are signed with your AWS \
                 credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, SSO...)"
                    .to_owned(),
            )
        })?;
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| {
                TransportError::Config(format!(
                    "cannot load the system's TLS root certificates: {e}"
                ))
            })?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            base_url,
            host,
            region: config.region().to_owned(),
            credentials,
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    /// The API's base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Signs and sends `request`.
    pub async fn send(&self, request: &Request) -> Result<Response, TransportError> {
        let query = request.query_string();
        let uri = if query.is_empty() {
            format!("{}{}", self.base_url, request.path)
        } else {
            format!("{}{}?{query}", self.base_url, request.path)
        };
        let what = format!("{} {uri}", request.method);
        let credentials = self.credentials.provide_credentials().await.map_err(|e| {
            TransportError::Config(format!(
                "no AWS credentials to sign {what}: {}",
                error_chain(&e)
            ))
        })?;
        let mut builder = hyper::Request::builder()
            .method(request.method)
            .uri(&uri)
            .header("host", &self.host);
        if let Some(content_type) = request.content_type {
            builder = builder.header("content-type", content_type);
        }
        let mut signed = builder
            .body(request.body.clone().unwrap_or_default())
            .map_err(|e| TransportError::Config(format!("cannot build {what}: {e}")))?;
        sign_request(&mut signed, &credentials, &self.region, SystemTime::now())
            .map_err(TransportError::Config)?;
        let outgoing = signed.map(|body| Full::new(Bytes::from(body)));

        let exchange = async {
            let response = self.client.request(outgoing).await.map_err(|e| {
                TransportError::Connection(format!("cannot reach {what}: {}", error_chain(&e)))
            })?;
            let status = response.status().as_u16();
            let bytes = http_body_util::Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
                .collect()
                .await
                .map_err(|e| {
                    TransportError::Connection(format!(
                        "{what}: the answer (HTTP {status}) could not be read: {e}"
                    ))
                })?
                .to_bytes();
            Ok::<_, TransportError>((status, bytes))
        };
        let (status, bytes) = tokio::time::timeout(TIMEOUT, exchange)
            .await
            .map_err(|_| {
                TransportError::Connection(format!(
                    "{what}: no answer within {} seconds",
                    TIMEOUT.as_secs()
                ))
            })??;
        Ok(Response {
            status,
            body: read_body(status, &bytes)
                .map_err(|e| TransportError::Connection(format!("{what}: HTTP {status}, {e}")))?,
        })
    }
}

/// The body as JSON; an error answer that is not JSON (a proxy's page) becomes
/// `{"message": text}` so that its text is shown.
fn read_body(status: u16, bytes: &[u8]) -> Result<Option<Value>, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    match serde_json::from_slice(bytes) {
        Ok(value) => Ok(Some(value)),
        Err(_) if !(200..300).contains(&status) => {
            let text = String::from_utf8_lossy(bytes);
            let text: String = text.trim().chars().take(500).collect();
            Ok(Some(serde_json::json!({ "message": text })))
        }
        Err(e) => Err(format!("the answer is not JSON: {e}")),
    }
}

/// Every cause of `error`, most general first (hyper's own message alone says little).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// `(base URL without trailing /, host[:port])`, or why `url` is not an API URL.
fn parse_base_url(url: &str) -> Result<(String, String), String> {
    let trimmed = url.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .ok_or_else(|| {
            format!(
                "--api-url `{url}` is not an https:// URL (the stack's ApiUrl output, e.g. \
                 https://abc123.execute-api.eu-west-1.amazonaws.com)"
            )
        })?;
    if rest.contains(['?', '#']) {
        return Err(format!(
            "--api-url `{url}` has a query or fragment: give the API's base URL only"
        ));
    }
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return Err(format!("--api-url `{url}` has no host"));
    }
    // Plain HTTP would show every plan and execution to the network: only to this machine
    // (a test server, a tunnel).
    if trimmed.starts_with("http://") && !is_loopback(host) {
        return Err(format!(
            "--api-url `{url}` is plain http://: use https:// (plain http is accepted only \
             for localhost)"
        ));
    }
    Ok((trimmed.to_owned(), host.to_owned()))
}

/// `localhost`, `127.x.x.x` or `[::1]`, with or without a port.
fn is_loopback(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host == "localhost"
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The region of `ID.execute-api.REGION.amazonaws.com[.cn]`.
fn execute_api_region(host: &str) -> Option<String> {
    let host = host.split(':').next()?;
    let mut labels = host.split('.');
    let (_id, service, region) = (labels.next()?, labels.next()?, labels.next()?);
    (service == "execute-api" && !region.is_empty()).then(|| region.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked_and_keep_their_stage() {
        assert_eq!(
            parse_base_url("https://abc.execute-api.eu-west-1.amazonaws.com/prod/").unwrap(),
            (
                "https://abc.execute-api.eu-west-1.amazonaws.com/prod".to_owned(),
                "abc.execute-api.eu-west-1.amazonaws.com".to_owned()
            )
        );
        assert_eq!(
            parse_base_url("http://127.0.0.1:8080").unwrap().1,
            "127.0.0.1:8080"
        );
        assert!(
            parse_base_url("abc.execute-api.eu-west-1.amazonaws.com")
                .unwrap_err()
                .contains("is not an https:// URL")
        );
        assert!(
            parse_base_url("https://x/?a=1")
                .unwrap_err()
                .contains("query")
        );
        assert!(
            parse_base_url("http://api.example.com")
                .unwrap_err()
                .contains("plain http://")
        );
        assert!(parse_base_url("http://localhost:8080/prod").is_ok());
        assert!(parse_base_url("http://[::1]:8080").is_ok());
        assert!(
            parse_base_url("https:///prod")
                .unwrap_err()
                .contains("no host")
        );
    }

    #[test]
    fn the_region_is_read_from_an_execute_api_host() {
        assert_eq!(
            execute_api_region("abc.execute-api.eu-west-1.amazonaws.com").as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(execute_api_region("api.example.com"), None);
        assert_eq!(execute_api_region("127.0.0.1:8080"), None);
    }

    #[test]
    fn error_answers_that_are_not_json_keep_their_text() {
        assert_eq!(read_body(204, b"").unwrap(), None);
        assert_eq!(
            read_body(502, b"<html>Bad Gateway</html>").unwrap(),
            Some(serde_json::json!({"message": "<html>Bad Gateway</html>"}))
        );
        assert!(read_body(200, b"<html>").is_err());
    }
}
