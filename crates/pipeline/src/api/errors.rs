//! Error answers: `{"error": "<code>", "message": "<what is wrong>"}`, plus `errors` (the
//! plan's diagnostics) for `invalid_plan`.

use serde::Serialize;
use serde_json::json;

use super::ApiResponse;
use crate::ports::PortError;

/// The error codes, each with its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the request is malformed (body, parameters, a name mismatch).
    InvalidRequest,
    /// 400: the plan does not parse or breaks the format's rules (see `errors`).
    InvalidPlan,
    /// 400: a recovery was requested without its confirmation (`engine::RECOVERY_CONFIRMATION`).
    ConfirmationRequired,
    /// 403: the caller may call the route, but not do this (approve their own execution).
    Forbidden,
    /// 404: no such route, plan, execution or wave.
    NotFound,
    /// 405: the path exists, not with this method.
    MethodNotAllowed,
    /// 409: the execution's state does not allow it (finished, wave not awaiting approval).
    Conflict,
    /// 415: a body of a media type the route does not read.
    UnsupportedMediaType,
    /// 500: a store or queue failed; the message says which and how.
    Internal,
}

impl ErrorCode {
    /// The HTTP status.
    pub fn status(self) -> u16 {
        match self {
            Self::InvalidRequest | Self::InvalidPlan | Self::ConfirmationRequired => 400,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict => 409,
            Self::UnsupportedMediaType => 415,
            Self::Internal => 500,
        }
    }

    /// The code as written in the body.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidPlan => "invalid_plan",
            Self::ConfirmationRequired => "confirmation_required",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict => "conflict",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Internal => "internal",
        }
    }
}

/// One problem in a plan, as `drsctl plan validate` prints it: path, position, message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanProblem {
    /// The field (`waves[1].groups[0]`); empty for the whole plan.
    pub path: String,
    /// Line in the text, from 1 (absent when unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Column in characters, from 1 (absent when unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl From<&plan::Diagnostic> for PlanProblem {
    fn from(diagnostic: &plan::Diagnostic) -> Self {
        Self {
            path: diagnostic.path.clone(),
            line: diagnostic.position.map(|p| p.line),
            column: diagnostic.position.map(|p| p.column),
            message: diagnostic.message.clone(),
        }
    }
}

/// A request that failed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The code (and so the status).
    pub code: ErrorCode,
    /// What is wrong, for people.
    pub message: String,
    /// The plan's problems (`invalid_plan` only).
    pub errors: Vec<PlanProblem>,
}

impl ApiError {
    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            errors: Vec::new(),
        }
    }

    /// 400 `invalid_request`.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, message)
    }

    /// 400 `invalid_plan` with every diagnostic; the message lists them as
    /// `LINE:COL: path: message` lines, as `drsctl plan validate` prints them.
    pub fn invalid_plan(what: &str, diagnostics: &plan::Diagnostics) -> Self {
        // Past the cap, the last diagnostic only says how many more there are.
        let listed = diagnostics.len() - usize::from(diagnostics.omitted() > 0);
        let count = listed + diagnostics.omitted();
        Self {
            code: ErrorCode::InvalidPlan,
            message: format!(
                "{what} is not a valid plan ({count} problem{}):\n{diagnostics}",
                if count == 1 { "" } else { "s" }
            ),
            errors: diagnostics.iter().map(PlanProblem::from).collect(),
        }
    }

    /// 400 `confirmation_required`.
    pub fn confirmation_required(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ConfirmationRequired, message)
    }

    /// 403 `forbidden`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    /// 405 `method_not_allowed`.
    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::MethodNotAllowed, message)
    }

    /// 409 `conflict`.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    /// 415 `unsupported_media_type`.
    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::UnsupportedMediaType, message)
    }

    /// 500 `internal`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }

    /// A port's failure while `doing` something: 500, saying what failed and whether a retry
    /// may help.
    pub fn from_port(doing: &str, error: PortError) -> Self {
        match error {
            PortError::Transient(message) => {
                Self::internal(format!("{doing}: {message} (temporary: retry the request)"))
            }
            PortError::Permanent(message) => Self::internal(format!("{doing}: {message}")),
        }
    }

    /// The response carrying this error.
    pub fn into_response(self) -> ApiResponse {
        let mut body = json!({ "error": self.code.as_str(), "message": self.message });
        if self.code == ErrorCode::InvalidPlan {
            body["errors"] = json!(self.errors);
        }
        ApiResponse::json(self.code.status(), body)
    }
}
