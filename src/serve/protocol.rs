//! The AWS JSON 1.1 protocol: responses, errors as botocore reads them
//! (`__type` and `Message` in the body), and reading request fields.

use http::{Response, StatusCode};
use serde_json::{Value, json};

use super::Body;

/// An error as an AWS JSON API returns it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    /// The exception name (`InvalidRequestException`, ...).
    pub(crate) code: &'static str,
    pub(crate) message: String,
    /// Athena's `AthenaErrorCode`, where it has one.
    pub(crate) athena_code: Option<&'static str>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            athena_code: None,
        }
    }

    /// Athena's and Glue's `InvalidRequestException` / `InvalidInputException`
    /// are both "the request is wrong"; Athena's name is used here.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidRequestException", message)
    }

    /// Glue's name for a bad request.
    pub(crate) fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidInputException", message)
    }

    /// A body that is not JSON.
    pub(crate) fn serialization(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "SerializationException", message)
    }

    pub(crate) fn unknown_operation(target: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            format!("lathe serve does not implement {target}"),
        )
    }

    /// Glue's "no such database/table/partition".
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "EntityNotFoundException", message)
    }

    /// Glue's "already exists".
    pub(crate) fn exists(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "AlreadyExistsException", message)
    }

    /// Athena's "no such database/table" (`MetadataException`).
    pub(crate) fn metadata(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "MetadataException", message)
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerException",
            message,
        )
    }

    pub(crate) fn access_denied(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "AccessDeniedException", message)
    }

    pub(crate) fn with_athena_code(mut self, code: &'static str) -> Self {
        self.athena_code = Some(code);
        self
    }

    pub(crate) fn json_response(&self) -> Response<Body> {
        let mut body = json!({ "__type": self.code, "Message": self.message });
        if let Some(code) = self.athena_code {
            body["AthenaErrorCode"] = json!(code);
        }
        let mut response = json_response(self.status, &body);
        if let Ok(value) = http::HeaderValue::from_str(self.code) {
            response.headers_mut().insert("x-amzn-errortype", value);
        }
        response
    }
}

/// The JSON errors of a catalog operation, as Glue names them.
pub(crate) fn catalog_error(e: &crate::error::Error) -> ApiError {
    use crate::error::Error;
    let message = e.user_message();
    match e {
        Error::DatabaseNotFound { .. } | Error::TableNotFound { .. } => {
            ApiError::not_found(message)
        }
        Error::DatabaseExists { .. } | Error::TableExists { .. } => ApiError::exists(message),
        Error::ReadOnlyCatalog { .. } => ApiError::access_denied(message),
        Error::InvalidTableDefinition { .. }
        | Error::InvalidType { .. }
        | Error::InvalidPartition { .. }
        | Error::DatabaseNotEmpty { .. }
        | Error::InvalidStatement { .. } => ApiError::invalid_input(message),
        _ => ApiError::internal(message),
    }
}

pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response<Body> {
    let text = body.to_string();
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    response.headers_mut().insert(
        "x-amzn-requestid",
        http::HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
            .unwrap_or_else(|_| http::HeaderValue::from_static("lathe")),
    );
    response
}

/// A required string field.
pub(crate) fn string<'a>(input: &'a Value, field: &str) -> Result<&'a str, ApiError> {
    match input.get(field) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ApiError::invalid(format!("{field} must be a string"))),
        None => Err(ApiError::invalid(format!("{field} is required"))),
    }
}

/// An optional string field.
pub(crate) fn opt_string<'a>(input: &'a Value, field: &str) -> Result<Option<&'a str>, ApiError> {
    match input.get(field) {
        Some(Value::String(s)) => Ok(Some(s)),
        None | Some(Value::Null) => Ok(None),
        Some(_) => Err(ApiError::invalid(format!("{field} must be a string"))),
    }
}

/// An optional integer field within `min..=max`.
pub(crate) fn opt_int(
    input: &Value,
    field: &str,
    min: i64,
    max: i64,
) -> Result<Option<i64>, ApiError> {
    match input.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_i64() {
            Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(ApiError::invalid(format!(
                "{field} must be an integer from {min} to {max}"
            ))),
        },
    }
}

/// An optional list of strings.
pub(crate) fn opt_strings(input: &Value, field: &str) -> Result<Option<Vec<String>>, ApiError> {
    match input.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| ApiError::invalid(format!("{field} must be a list of strings")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(ApiError::invalid(format!(
            "{field} must be a list of strings"
        ))),
    }
}

/// A page of `items` from the position `NextToken` names, at most `max`
/// long; the returned token names the next page, if any. Tokens are plain
/// positions: the lists they page through are sorted and stable.
pub(crate) fn page<T: Clone>(
    items: &[T],
    input: &Value,
    max: usize,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let start = match opt_string(input, "NextToken")? {
        Some(token) => token
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= items.len())
            .ok_or_else(|| ApiError::invalid(format!("NextToken {token:?} is not valid")))?,
        None => 0,
    };
    let end = (start + max).min(items.len());
    let next = (end < items.len()).then(|| end.to_string());
    Ok((items[start..end].to_vec(), next))
}

/// A list call's answer, with the token of its next page if there is one.
pub(crate) fn with_token(mut out: Value, next: Option<String>) -> Value {
    if let Some(next) = next {
        out["NextToken"] = json!(next);
    }
    out
}

/// Seconds since the epoch, as the JSON protocols send timestamps.
pub(crate) fn epoch_seconds(time: std::time::SystemTime) -> f64 {
    time.duration_since(std::time::UNIX_EPOCH)
        .map(|d| (d.as_millis() as f64) / 1000.0)
        .unwrap_or(0.0)
}
