//! STS `GetCallerIdentity` (AWS Query protocol, XML answers): clients such
//! as awswrangler ask who they are before naming default buckets. The
//! answer is a fixed local account.

use http::{Response, StatusCode};

use super::protocol::ApiError;
use super::{ACCOUNT_ID, Body};

/// Answers one form-encoded STS request.
pub(super) fn call(body: &[u8]) -> Response<Body> {
    let action = form_urlencoded_value(body, "Action");
    match action.as_deref() {
        Some("GetCallerIdentity") => xml(
            StatusCode::OK,
            format!(
                "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
                 <GetCallerIdentityResult>\
                 <Arn>arn:aws:iam::{ACCOUNT_ID}:root</Arn>\
                 <UserId>{ACCOUNT_ID}</UserId>\
                 <Account>{ACCOUNT_ID}</Account>\
                 </GetCallerIdentityResult>\
                 <ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata>\
                 </GetCallerIdentityResponse>",
                uuid::Uuid::new_v4()
            ),
        ),
        other => error_response(&ApiError::new(
            StatusCode::BAD_REQUEST,
            "InvalidAction",
            format!(
                "lathe serve answers STS GetCallerIdentity only, not {}",
                other.unwrap_or("a request without an Action")
            ),
        )),
    }
}

/// An STS error in the Query protocol's XML.
pub(super) fn error_response(e: &ApiError) -> Response<Body> {
    xml(
        e.status,
        format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message>\
             </Error><RequestId>{}</RequestId></ErrorResponse>",
            e.code,
            escape(&e.message),
            uuid::Uuid::new_v4()
        ),
    )
}

fn xml(status: StatusCode, text: String) -> Response<Body> {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/xml"),
    );
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The decoded value of `key` in a form-encoded body.
fn form_urlencoded_value(body: &[u8], key: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == key).then(|| {
            percent_encoding::percent_decode_str(&v.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}
