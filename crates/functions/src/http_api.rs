//! The `api` function: API Gateway HTTP API (payload format 2.0, IAM authorization) in front
//! of [`pipeline::api::handle`].
//!
//! Each event is mapped to an [`ApiRequest`] ([`request_of`]): the method and raw path, the
//! query parameters, `Content-Type`, the body (base64-decoded when API Gateway encoded it),
//! the caller (`requestContext.authorizer.iam.userArn`) and the request ID (the new
//! execution IDs derive from it). The answer is the payload 2.0 response JSON
//! ([`response_of`]). Init is the queue functions' ([`crate::runner`]), with only the
//! variables the API uses ([`crate::environment::api`]).

use std::convert::Infallible;
use std::process::ExitCode;

use aws_adapters::ApiStores;
use aws_lambda_events::event::apigw::ApiGatewayV2httpRequest;
use pipeline::api::{self, ApiError, ApiRequest, ApiResponse};
use serde_json::{Value, json};
use tracing::error;

use crate::environment::{self, Function};
use crate::runner::{self, Handler};
use crate::startup;

/// Why an event is not a request the API can serve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// No IAM caller: the route is not behind IAM authorization.
    #[error(
        "the request carries no IAM caller (requestContext.authorizer.iam.userArn): the HTTP \
         API must use IAM authorization (AWS_IAM) on every route"
    )]
    NoCaller,
    /// A body marked base64 that is not.
    #[error("the body is marked base64-encoded but is not valid base64")]
    BadBase64,
    /// A decoded body that is not text.
    #[error("the body is not UTF-8 text")]
    NotText,
}

/// The [`ApiRequest`] of an HTTP API event.
pub fn request_of(event: ApiGatewayV2httpRequest) -> Result<ApiRequest, EventError> {
    let context = event.request_context;
    let caller = context
        .authorizer
        .and_then(|a| a.iam)
        .and_then(|iam| iam.user_arn)
        .filter(|arn| !arn.is_empty())
        .ok_or(EventError::NoCaller)?;
    // `rawPath` includes the stage only for a named, non-default stage: strip it.
    let mut path = event
        .raw_path
        .or(context.http.path)
        .unwrap_or_else(|| "/".to_owned());
    if let Some(stage) = context.stage.as_deref().filter(|s| *s != "$default") {
        if let Some(rest) = path.strip_prefix(&format!("/{stage}")) {
            if rest.is_empty() || rest.starts_with('/') {
                path = if rest.is_empty() {
                    "/".to_owned()
                } else {
                    rest.to_owned()
                };
            }
        }
    }
    let mut query: Vec<(String, String)> = event
        .query_string_parameters
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    query.sort();
    let content_type = event
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = match event.body {
        Some(body) if event.is_base64_encoded => {
            let bytes =
                aws_smithy_types::base64::decode(&body).map_err(|_| EventError::BadBase64)?;
            Some(String::from_utf8(bytes).map_err(|_| EventError::NotText)?)
        }
        other => other,
    };
    Ok(ApiRequest {
        method: context.http.method.as_str().to_owned(),
        path,
        query,
        content_type,
        body,
        caller,
        request_id: context.request_id.unwrap_or_default(),
    })
}

/// The payload 2.0 response of `response`: JSON body, `content-type: application/json`.
pub fn response_of(response: &ApiResponse) -> Value {
    let mut answer = json!({
        "statusCode": response.status,
        "headers": { "content-type": "application/json" },
        "isBase64Encoded": false,
    });
    if let Some(body) = &response.body {
        answer["body"] = Value::String(body.to_string());
    }
    answer
}

/// Serves one event: the response, or the error response of an event that cannot be served.
pub async fn invoke(stores: &ApiStores, event: ApiGatewayV2httpRequest) -> Value {
    let response = match request_of(event) {
        Ok(request) => api::handle(&stores.deps(), request, jiff::Timestamp::now()).await,
        Err(problem) => {
            error!(error = %problem, "API event refused");
            let error = match problem {
                EventError::NoCaller => ApiError::internal(problem.to_string()),
                EventError::BadBase64 | EventError::NotText => {
                    ApiError::invalid_request(problem.to_string())
                }
            };
            error.into_response()
        }
    };
    response_of(&response)
}

/// The api function's handler.
#[derive(Debug)]
pub struct HttpApi {
    stores: ApiStores,
}

impl HttpApi {
    /// The API on `stores`.
    pub fn new(stores: ApiStores) -> Self {
        Self { stores }
    }
}

impl Handler for HttpApi {
    type Event = ApiGatewayV2httpRequest;
    type Response = Value;
    // Every failure is an HTTP answer: the invocation itself never fails.
    type Error = Infallible;

    async fn invoke(&self, event: ApiGatewayV2httpRequest) -> Result<Value, Infallible> {
        Ok(invoke(&self.stores, event).await)
    }
}

/// The `main` of the `api` function.
pub async fn run() -> ExitCode {
    runner::run(
        Function::Api,
        || environment::api(environment::process),
        |configuration| async move {
            let stores = startup::build_api(&configuration).await?;
            Ok(HttpApi::new(stores))
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(value: Value) -> ApiGatewayV2httpRequest {
        serde_json::from_value(value).unwrap()
    }

    fn sample() -> Value {
        json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": "/prod/plans/billing",
            "rawQueryString": "limit=5",
            "headers": { "Content-Type": "application/yaml" },
            "queryStringParameters": { "limit": "5" },
            "requestContext": {
                "accountId": "111122223333",
                "apiId": "a1b2c3",
                "stage": "prod",
                "requestId": "JKJaXmPLvHcESHA=",
                "authorizer": { "iam": {
                    "accessKey": "ASIA0000", "accountId": "111122223333",
                    "callerId": "AROA0000:alice", "userArn": "arn:aws:sts::111122223333:assumed-role/dr/alice",
                    "userId": "AROA0000:alice"
                } },
                "http": { "method": "PUT", "path": "/prod/plans/billing", "protocol": "HTTP/1.1",
                          "sourceIp": "192.0.2.1", "userAgent": "curl" },
                "time": "30/Sep/2025:10:00:00 +0000", "timeEpoch": 1759226400000_i64
            },
            "body": "bmFtZTogYmlsbGluZwo=",
            "isBase64Encoded": true
        })
    }

    #[test]
    fn an_event_becomes_a_request_without_its_stage() {
        let request = request_of(event(sample())).unwrap();
        assert_eq!(request.method, "PUT");
        assert_eq!(request.path, "/plans/billing");
        assert_eq!(request.query, [("limit".to_owned(), "5".to_owned())]);
        assert_eq!(request.content_type.as_deref(), Some("application/yaml"));
        assert_eq!(request.body.as_deref(), Some("name: billing\n"));
        assert_eq!(
            request.caller,
            "arn:aws:sts::111122223333:assumed-role/dr/alice"
        );
        assert_eq!(request.request_id, "JKJaXmPLvHcESHA=");

        let mut default_stage = sample();
        default_stage["requestContext"]["stage"] = json!("$default");
        default_stage["rawPath"] = json!("/plans/billing");
        default_stage["isBase64Encoded"] = json!(false);
        default_stage["body"] = json!("name: x");
        let request = request_of(event(default_stage)).unwrap();
        assert_eq!(request.path, "/plans/billing");
        assert_eq!(request.body.as_deref(), Some("name: x"));
    }

    #[test]
    fn an_event_without_an_iam_caller_or_with_a_bad_body_is_refused() {
        let mut anonymous = sample();
        anonymous["requestContext"]
            .as_object_mut()
            .unwrap()
            .remove("authorizer");
        assert_eq!(request_of(event(anonymous)), Err(EventError::NoCaller));
        let mut garbled = sample();
        garbled["body"] = json!("*not base64*");
        assert_eq!(request_of(event(garbled)), Err(EventError::BadBase64));
    }

    #[test]
    fn a_response_is_the_payload_2_answer() {
        let answer = response_of(&ApiResponse::json(201, json!({"name": "billing"})));
        assert_eq!(answer["statusCode"], 201);
        assert_eq!(answer["headers"]["content-type"], "application/json");
        let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
        assert_eq!(body, json!({"name": "billing"}));
        assert!(
            response_of(&ApiResponse::no_content())
                .get("body")
                .is_none()
        );
    }
}
