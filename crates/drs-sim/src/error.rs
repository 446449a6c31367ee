//! The errors DRS answers with, and how they look on the wire: status code,
//! `X-Amzn-Errortype: <Name>` and a JSON body with `message`, `code` and the model's extra
//! members.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// `ValidationExceptionReason` of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidationReason {
    /// Unknown operation.
    UnknownOperation,
    /// The body is not the JSON the operation takes.
    CannotParse,
    /// A member breaks a constraint of the model.
    FieldValidationFailed,
    /// Anything else.
    Other,
}

impl ValidationReason {
    fn as_str(self) -> &'static str {
        match self {
            ValidationReason::UnknownOperation => "unknownOperation",
            ValidationReason::CannotParse => "cannotParse",
            ValidationReason::FieldValidationFailed => "fieldValidationFailed",
            ValidationReason::Other => "other",
        }
    }
}

/// One `ValidationExceptionField`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldIssue {
    /// The member, e.g. `sourceServers[0].sourceServerID`.
    pub name: String,
    /// What is wrong with it.
    pub message: String,
}

/// An error response of the emulated service.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DrsError {
    /// 400 `ValidationException`.
    #[error("ValidationException: {message}")]
    Validation {
        /// Human-readable summary.
        message: String,
        /// Why.
        reason: ValidationReason,
        /// The offending members.
        fields: Vec<FieldIssue>,
    },
    /// 404 `ResourceNotFoundException`.
    #[error("ResourceNotFoundException: {message}")]
    ResourceNotFound {
        /// Human-readable summary.
        message: String,
        /// The missing resource.
        resource_id: String,
        /// Its type (`JOB`, `SOURCE_SERVER`, `RECOVERY_INSTANCE`).
        resource_type: String,
    },
    /// 409 `ConflictException`.
    #[error("ConflictException: {message}")]
    Conflict {
        /// Human-readable summary.
        message: String,
        /// The resource in the way.
        resource_id: String,
        /// Its type.
        resource_type: String,
    },
    /// 402 `ServiceQuotaExceededException`.
    #[error("ServiceQuotaExceededException: {message}")]
    ServiceQuotaExceeded {
        /// Human-readable summary.
        message: String,
        /// The resource counted.
        resource_type: String,
        /// Which quota (emulator names, see docs/drs-sim.md).
        quota_code: String,
    },
    /// 429 `ThrottlingException` with `Retry-After`.
    #[error("ThrottlingException: {message}")]
    Throttling {
        /// Human-readable summary.
        message: String,
        /// Whole seconds until a request would pass.
        retry_after_seconds: u64,
    },
    /// 400 `UninitializedAccountException`: DRS not initialized in that account and region.
    #[error("UninitializedAccountException: {message}")]
    UninitializedAccount {
        /// Human-readable summary.
        message: String,
    },
    /// 403 `AccessDeniedException`.
    #[error("AccessDeniedException: {message}")]
    AccessDenied {
        /// Human-readable summary.
        message: String,
    },
    /// 403 `UnrecognizedClientException`: the access key belongs to no known account.
    #[error("UnrecognizedClientException: {message}")]
    UnrecognizedClient {
        /// Human-readable summary.
        message: String,
    },
    /// 403 `MissingAuthenticationTokenException`: no SigV4 `Authorization` header.
    #[error("MissingAuthenticationTokenException: {message}")]
    MissingAuthenticationToken {
        /// Human-readable summary.
        message: String,
    },
    /// 404 `UnknownOperationException`: a path DRS does not have or the emulator does not serve.
    #[error("UnknownOperationException: {message}")]
    UnknownOperation {
        /// Human-readable summary.
        message: String,
    },
    /// 500 `InternalServerException`.
    #[error("InternalServerException: {message}")]
    Internal {
        /// Human-readable summary.
        message: String,
    },
}

impl DrsError {
    /// A `fieldValidationFailed` error listing every issue.
    pub fn fields(fields: Vec<FieldIssue>) -> DrsError {
        let message = match fields.as_slice() {
            [one] => format!("1 validation error detected: {}: {}", one.name, one.message),
            many => format!(
                "{} validation errors detected: {}",
                many.len(),
                many.iter()
                    .map(|f| format!("{}: {}", f.name, f.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        };
        DrsError::Validation {
            message,
            reason: ValidationReason::FieldValidationFailed,
            fields,
        }
    }

    /// A body that could not be read as the operation's input.
    pub fn cannot_parse(detail: impl std::fmt::Display) -> DrsError {
        DrsError::Validation {
            message: format!("Could not parse request body: {detail}"),
            reason: ValidationReason::CannotParse,
            fields: Vec::new(),
        }
    }

    /// The error type name (`X-Amzn-Errortype`).
    pub fn type_name(&self) -> &'static str {
        match self {
            DrsError::Validation { .. } => "ValidationException",
            DrsError::ResourceNotFound { .. } => "ResourceNotFoundException",
            DrsError::Conflict { .. } => "ConflictException",
            DrsError::ServiceQuotaExceeded { .. } => "ServiceQuotaExceededException",
            DrsError::Throttling { .. } => "ThrottlingException",
            DrsError::UninitializedAccount { .. } => "UninitializedAccountException",
            DrsError::AccessDenied { .. } => "AccessDeniedException",
            DrsError::UnrecognizedClient { .. } => "UnrecognizedClientException",
            DrsError::MissingAuthenticationToken { .. } => "MissingAuthenticationTokenException",
            DrsError::UnknownOperation { .. } => "UnknownOperationException",
            DrsError::Internal { .. } => "InternalServerException",
        }
    }

    /// The HTTP status of the model's `httpStatusCode`.
    pub fn status(&self) -> StatusCode {
        match self {
            DrsError::Validation { .. } | DrsError::UninitializedAccount { .. } => {
                StatusCode::BAD_REQUEST
            }
            DrsError::ResourceNotFound { .. } | DrsError::UnknownOperation { .. } => {
                StatusCode::NOT_FOUND
            }
            DrsError::Conflict { .. } => StatusCode::CONFLICT,
            DrsError::ServiceQuotaExceeded { .. } => StatusCode::PAYMENT_REQUIRED,
            DrsError::Throttling { .. } => StatusCode::TOO_MANY_REQUESTS,
            DrsError::AccessDenied { .. }
            | DrsError::UnrecognizedClient { .. }
            | DrsError::MissingAuthenticationToken { .. } => StatusCode::FORBIDDEN,
            DrsError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut body = Map::new();
        let message = match self {
            DrsError::Validation { message, .. }
            | DrsError::ResourceNotFound { message, .. }
            | DrsError::Conflict { message, .. }
            | DrsError::ServiceQuotaExceeded { message, .. }
            | DrsError::Throttling { message, .. }
            | DrsError::UninitializedAccount { message }
            | DrsError::AccessDenied { message }
            | DrsError::UnrecognizedClient { message }
            | DrsError::MissingAuthenticationToken { message }
            | DrsError::UnknownOperation { message }
            | DrsError::Internal { message } => message,
        };
        body.insert("message".into(), json!(message));
        // `ThrottlingException` and `InternalServerException` have no `code` member.
        if !matches!(
            self,
            DrsError::Throttling { .. } | DrsError::Internal { .. }
        ) {
            body.insert("code".into(), json!(self.type_name()));
        }
        match self {
            DrsError::Validation { reason, fields, .. } => {
                body.insert("reason".into(), json!(reason.as_str()));
                if !fields.is_empty() {
                    let list: Vec<Value> = fields
                        .iter()
                        .map(|f| json!({"name": f.name, "message": f.message}))
                        .collect();
                    body.insert("fieldList".into(), Value::Array(list));
                }
            }
            DrsError::ResourceNotFound {
                resource_id,
                resource_type,
                ..
            }
            | DrsError::Conflict {
                resource_id,
                resource_type,
                ..
            } => {
                body.insert("resourceId".into(), json!(resource_id));
                body.insert("resourceType".into(), json!(resource_type));
            }
            DrsError::ServiceQuotaExceeded {
                resource_type,
                quota_code,
                ..
            } => {
                body.insert("resourceType".into(), json!(resource_type));
                body.insert("serviceCode".into(), json!("drs"));
                body.insert("quotaCode".into(), json!(quota_code));
            }
            DrsError::Throttling { .. } => {
                body.insert("serviceCode".into(), json!("drs"));
                body.insert("quotaCode".into(), json!("RequestRate"));
            }
            _ => {}
        }
        Value::Object(body)
    }
}

impl IntoResponse for DrsError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), axum::Json(self.body())).into_response();
        let headers = response.headers_mut();
        headers.insert(
            "x-amzn-errortype",
            HeaderValue::from_static(self.type_name()),
        );
        if let DrsError::Throttling {
            retry_after_seconds,
            ..
        } = &self
        {
            if let Ok(value) = HeaderValue::from_str(&retry_after_seconds.to_string()) {
                headers.insert("retry-after", value);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_body_carries_reason_and_fields() {
        let err = DrsError::fields(vec![FieldIssue {
            name: "sourceServers".into(),
            message: "must have at least 1 item".into(),
        }]);
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        let body = err.body();
        assert_eq!(body["code"], "ValidationException");
        assert_eq!(body["reason"], "fieldValidationFailed");
        assert_eq!(body["fieldList"][0]["name"], "sourceServers");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("1 validation error")
        );
    }

    #[test]
    fn throttling_sets_retry_after_and_no_code() {
        let err = DrsError::Throttling {
            message: "Rate exceeded".into(),
            retry_after_seconds: 2,
        };
        let body = err.body();
        assert!(body.get("code").is_none());
        let response = err.into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()["retry-after"], "2");
        assert_eq!(
            response.headers()["x-amzn-errortype"],
            "ThrottlingException"
        );
    }

    #[test]
    fn quota_and_conflict_use_model_status_codes() {
        let quota = DrsError::ServiceQuotaExceeded {
            message: "m".into(),
            resource_type: "JOB".into(),
            quota_code: "ConcurrentJobs".into(),
        };
        assert_eq!(quota.status().as_u16(), 402);
        assert_eq!(quota.body()["serviceCode"], "drs");
        let conflict = DrsError::Conflict {
            message: "m".into(),
            resource_id: "s-1234567890abcdef0".into(),
            resource_type: "SOURCE_SERVER".into(),
        };
        assert_eq!(conflict.status().as_u16(), 409);
        assert_eq!(conflict.body()["resourceId"], "s-1234567890abcdef0");
    }
}
