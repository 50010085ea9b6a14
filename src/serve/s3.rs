//! S3 over the mapped local folders: each `--map s3://bucket/prefix/=dir/`
//! is served as that bucket and prefix (the results folder as
//! `s3://lathe-query-results/`). The protocol (routing, XML, SigV4, ranges)
//! is the `s3s` crate's; the operations are lathe's, over plain files:
//! objects appear whole (written beside their place, then renamed), keys
//! cannot climb out of their folder, and a location mapped to real S3 is
//! refused rather than proxied.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use bytes::Bytes;
use futures::StreamExt;
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use s3s::dto::*;
use s3s::{S3, S3Request, S3Response, S3Result, s3_error};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use super::{Body, Credentials, State};
use crate::storage::LocationMap;

/// The S3 service over `map`'s S3 locations.
pub(super) fn service(
    map: &LocationMap,
    credentials: Option<&Credentials>,
) -> s3s::service::S3Service {
    let mut builder = s3s::service::S3ServiceBuilder::new(Warehouse::new(map));
    if let Some(c) = credentials {
        builder.set_auth(s3s::auth::SimpleAuth::from_single(
            c.access_key.clone(),
            c.secret_key.clone(),
        ));
    }
    builder.build()
}

/// Answers one S3 request.
pub(super) async fn call(state: &State, req: Request<Incoming>) -> Response<Body> {
    let req = if state.options.credentials.is_some() {
        req.map(Body::from)
    } else {
        match super::chunked::anonymous(req).await {
            Ok(req) => req,
            Err(e) => return error_xml(StatusCode::BAD_REQUEST, "InvalidRequest", &e.message),
        }
    };
    match state.s3.call(req).await {
        Ok(response) => response,
        Err(e) => error_xml(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            &format!("{e:?}"),
        ),
    }
}

fn error_xml(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let text = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{}</Message></Error>",
        message.replace('&', "&amp;").replace('<', "&lt;")
    );
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response
}

/// Where a mapped S3 prefix lives.
#[derive(Debug, Clone)]
enum Target {
    Local(PathBuf),
    /// Mapped to another S3 location: not served.
    Remote(String),
}

/// One `--map` rule seen from S3: a bucket, a key prefix (empty, or ending
/// in `/`), and where its keys live.
#[derive(Debug, Clone)]
struct Rule {
    bucket: String,
    prefix: String,
    target: Target,
}

/// The S3 view of the location map.
#[derive(Debug)]
struct Warehouse {
    rules: Vec<Rule>,
    /// Multipart uploads in progress: id → (bucket, key, staging folder).
    uploads: Mutex<HashMap<String, (String, String, PathBuf)>>,
}

impl Warehouse {
    fn new(map: &LocationMap) -> Self {
        let rules = map
            .rules()
            .iter()
            .filter_map(|rule| {
                let rest = ["s3://", "s3a://", "s3n://"]
                    .iter()
                    .find_map(|scheme| rule.from.strip_prefix(scheme))?;
                let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                let prefix = match prefix.trim_matches('/') {
                    "" => String::new(),
                    p => format!("{p}/"),
                };
                let target = if rule.to.contains("://") && !rule.to.starts_with("file://") {
                    Target::Remote(rule.to.clone())
                } else {
                    Target::Local(PathBuf::from(rule.to.trim_start_matches("file://")))
                };
                Some(Rule {
                    bucket: bucket.to_string(),
                    prefix,
                    target,
                })
            })
            .collect();
        Self {
            rules,
            uploads: Mutex::default(),
        }
    }

    fn buckets(&self) -> Vec<String> {
        let mut names: Vec<String> = self.rules.iter().map(|r| r.bucket.clone()).collect();
        names.sort();
        names.dedup();
        names
    }

    fn check_bucket(&self, bucket: &str) -> S3Result<()> {
        if self.rules.iter().any(|r| r.bucket == bucket) {
            Ok(())
        } else {
            Err(s3_error!(
                NoSuchBucket,
                "bucket {bucket} is not served; map it with --map s3://{bucket}/=DIR"
            ))
        }
    }

    /// The file an object key names, or `None` when no rule covers it.
    fn path(&self, bucket: &str, key: &str) -> S3Result<Option<PathBuf>> {
        self.check_bucket(bucket)?;
        let unsafe_key = key.starts_with('/')
            || key.contains('\0')
            || key.split('/').any(|part| part == "." || part == "..");
        if unsafe_key {
            return Err(s3_error!(
                InvalidArgument,
                "key {key:?} is not served: it names . or .. or starts with /"
            ));
        }
        let rule = self
            .rules
            .iter()
            .filter(|r| r.bucket == bucket && key.starts_with(&r.prefix))
            .max_by_key(|r| r.prefix.len());
        match rule.map(|r| (&r.target, &key[r.prefix.len()..])) {
            None => Ok(None),
            Some((Target::Remote(to), _)) => Err(s3_error!(
                NotImplemented,
                "s3://{bucket}/{key} is mapped to {to}; lathe serve does not proxy real S3"
            )),
            Some((Target::Local(dir), rest)) => Ok(Some(dir.join(rest))),
        }
    }

    /// The file a key names, for reading: a missing mapping is a missing key.
    fn existing(&self, bucket: &str, key: &str) -> S3Result<PathBuf> {
        match self.path(bucket, key)? {
            Some(path) if path.is_file() => Ok(path),
            _ => Err(s3_error!(NoSuchKey, "s3://{bucket}/{key} does not exist")),
        }
    }

    /// The file a key names, for writing.
    fn writable(&self, bucket: &str, key: &str) -> S3Result<PathBuf> {
        self.path(bucket, key)?.ok_or_else(|| {
            s3_error!(
                AccessDenied,
                "s3://{bucket}/{key} is outside every mapped folder; map it with --map"
            )
        })
    }

    /// Every object under `prefix` in `bucket`: key → (size, modified).
    fn objects(&self, bucket: &str, prefix: &str) -> S3Result<BTreeMap<String, (u64, SystemTime)>> {
        let mut rules: Vec<&Rule> = self
            .rules
            .iter()
            .filter(|r| {
                r.bucket == bucket
                    && (r.prefix.starts_with(prefix) || prefix.starts_with(&r.prefix))
            })
            .collect();
        // Longer prefixes shadow shorter ones, as in `path`.
        rules.sort_by_key(|r| r.prefix.len());
        let mut objects = BTreeMap::new();
        for rule in rules {
            let Target::Local(dir) = &rule.target else {
                continue;
            };
            // Walk only the folder the prefix reaches into.
            let inner = prefix.strip_prefix(rule.prefix.as_str()).unwrap_or("");
            let start = match inner.rfind('/') {
                Some(i) => dir.join(&inner[..i]),
                None => dir.clone(),
            };
            let base = match inner.rfind('/') {
                Some(i) => format!("{}{}/", rule.prefix, &inner[..i]),
                None => rule.prefix.clone(),
            };
            objects.retain(|key: &String, _| !key.starts_with(&rule.prefix));
            walk(&start, &base, prefix, &mut objects);
        }
        Ok(objects)
    }
}

/// Adds the files under `dir` (named `base` + their relative path) whose
/// keys start with `prefix`. Temporary upload files are not objects.
fn walk(dir: &Path, base: &str, prefix: &str, out: &mut BTreeMap<String, (u64, SystemTime)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if name.starts_with(TEMP_PREFIX) {
            continue;
        }
        let key = format!("{base}{name}");
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            let folder = format!("{key}/");
            if folder.starts_with(prefix) || prefix.starts_with(&folder) {
                walk(&entry.path(), &folder, prefix, out);
            }
        } else if key.starts_with(prefix) {
            out.insert(
                key,
                (
                    meta.len(),
                    meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                ),
            );
        }
    }
}

/// Files being written start with this, and are never listed.
const TEMP_PREFIX: &str = ".lathe-upload-";

/// An entity tag from a file's size and modification time: it changes when
/// the file does, without reading it.
fn etag(size: u64, modified: SystemTime) -> ETag {
    let nanos = modified
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    ETag::Strong(format!("{nanos:024x}{size:08x}"))
}

fn io_error(e: std::io::Error, what: &str) -> s3s::S3Error {
    match e.kind() {
        std::io::ErrorKind::NotFound => s3_error!(NoSuchKey, "{what} does not exist"),
        _ => s3_error!(InternalError, "{what}: {e}"),
    }
}

/// Writes a stream to `path` whole: into a temporary file beside it, then
/// renamed into place. Returns the bytes' MD5 as an entity tag.
async fn write_whole(path: &Path, mut body: StreamingBlob) -> S3Result<(ETag, u64)> {
    use md5::Digest;
    let dir = path.parent().unwrap_or(Path::new("."));
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| s3_error!(InternalError, "cannot create {}: {e}", dir.display()))?;
    let temp = dir.join(format!("{TEMP_PREFIX}{}", uuid::Uuid::new_v4()));
    let result = async {
        let mut file = tokio::fs::File::create(&temp)
            .await
            .map_err(|e| s3_error!(InternalError, "cannot write {}: {e}", temp.display()))?;
        let mut hasher = md5::Md5::new();
        let mut size = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk =
                chunk.map_err(|e| s3_error!(IncompleteBody, "the upload broke off: {e}"))?;
            hasher.update(&chunk);
            size += chunk.len() as u64;
            file.write_all(&chunk)
                .await
                .map_err(|e| s3_error!(InternalError, "cannot write {}: {e}", temp.display()))?;
        }
        file.flush()
            .await
            .map_err(|e| s3_error!(InternalError, "cannot write {}: {e}", temp.display()))?;
        let digest: String = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok::<_, s3s::S3Error>((ETag::Strong(digest), size))
    }
    .await;
    match result {
        Ok(done) => {
            tokio::fs::rename(&temp, path)
                .await
                .map_err(|e| s3_error!(InternalError, "cannot write {}: {e}", path.display()))?;
            Ok(done)
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(&temp).await;
            Err(e)
        }
    }
}

/// A file's bytes from `start`, `length` of them, as a stream.
fn file_stream(file: tokio::fs::File, length: u64) -> StreamingBlob {
    let stream = futures::stream::unfold((file, length), |(mut file, remaining)| async move {
        if remaining == 0 {
            return None;
        }
        let mut buffer = vec![0u8; remaining.min(256 << 10) as usize];
        match file.read(&mut buffer).await {
            Ok(0) => None,
            Ok(n) => {
                buffer.truncate(n);
                Some((Ok(Bytes::from(buffer)), (file, remaining - n as u64)))
            }
            Err(e) => Some((Err(e), (file, 0))),
        }
    });
    StreamingBlob::wrap(sync_stream(stream))
}

/// `s3s` wants a `Sync` stream; the stream is only ever polled by one task.
fn sync_stream<S: futures::Stream + Send>(stream: S) -> SyncStream<S> {
    SyncStream(Mutex::new(Box::pin(stream)))
}

struct SyncStream<S>(Mutex<std::pin::Pin<Box<S>>>);

impl<S: futures::Stream> futures::Stream for SyncStream<S> {
    type Item = S::Item;
    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        match self.0.lock() {
            Ok(mut inner) => inner.as_mut().poll_next(cx),
            Err(_) => std::task::Poll::Ready(None),
        }
    }
}

#[async_trait::async_trait]
impl S3 for Warehouse {
    async fn list_buckets(
        &self,
        _req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let buckets = self
            .buckets()
            .into_iter()
            .map(|name| Bucket {
                name: Some(name),
                creation_date: Some(Timestamp::from(SystemTime::UNIX_EPOCH)),
                ..Default::default()
            })
            .collect();
        Ok(S3Response::new(ListBucketsOutput {
            buckets: Some(buckets),
            ..Default::default()
        }))
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.check_bucket(&req.input.bucket)?;
        Ok(S3Response::new(HeadBucketOutput::default()))
    }

    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let bucket = &req.input.bucket;
        self.check_bucket(bucket).map_err(|_| {
            s3_error!(
                AccessDenied,
                "lathe serve serves mapped folders only; map bucket {bucket} with --map s3://{bucket}/=DIR"
            )
        })?;
        Ok(S3Response::new(CreateBucketOutput {
            location: Some(format!("/{bucket}")),
        }))
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.check_bucket(&req.input.bucket)?;
        Ok(S3Response::new(GetBucketLocationOutput::default()))
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let input = req.input;
        let path = self.existing(&input.bucket, &input.key)?;
        let what = format!("s3://{}/{}", input.bucket, input.key);
        let mut file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| io_error(e, &what))?;
        let meta = file.metadata().await.map_err(|e| io_error(e, &what))?;
        let size = meta.len();
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        let (start, length, content_range) = match input.range {
            None => (0, size, None),
            Some(range) => {
                let r = range.check(size)?;
                let range = format!("bytes {}-{}/{size}", r.start, r.end.saturating_sub(1));
                (r.start, r.end - r.start, Some(range))
            }
        };
        file.seek(std::io::SeekFrom::Start(start))
            .await
            .map_err(|e| io_error(e, &what))?;
        Ok(S3Response::new(GetObjectOutput {
            body: Some(file_stream(file, length)),
            content_length: Some(length as i64),
            content_range,
            last_modified: Some(Timestamp::from(modified)),
            e_tag: Some(etag(size, modified)),
            accept_ranges: Some("bytes".into()),
            ..Default::default()
        }))
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let input = req.input;
        let path = self.existing(&input.bucket, &input.key)?;
        let what = format!("s3://{}/{}", input.bucket, input.key);
        let meta = tokio::fs::metadata(&path)
            .await
            .map_err(|e| io_error(e, &what))?;
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        Ok(S3Response::new(HeadObjectOutput {
            content_length: Some(meta.len() as i64),
            last_modified: Some(Timestamp::from(modified)),
            e_tag: Some(etag(meta.len(), modified)),
            accept_ranges: Some("bytes".into()),
            ..Default::default()
        }))
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let input = req.input;
        let path = self.writable(&input.bucket, &input.key)?;
        if input.key.ends_with('/') {
            // A "folder" marker: the folder itself.
            tokio::fs::create_dir_all(&path)
                .await
                .map_err(|e| s3_error!(InternalError, "cannot create {}: {e}", path.display()))?;
            return Ok(S3Response::new(PutObjectOutput::default()));
        }
        let body = input
            .body
            .unwrap_or_else(|| StreamingBlob::from(Body::empty()));
        let (etag, _) = write_whole(&path, body).await?;
        Ok(S3Response::new(PutObjectOutput {
            e_tag: Some(etag),
            ..Default::default()
        }))
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let input = req.input;
        if let Some(path) = self.path(&input.bucket, &input.key)? {
            remove(&path).await?;
        }
        Ok(S3Response::new(DeleteObjectOutput::default()))
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let input = req.input;
        let mut deleted = Vec::new();
        let mut errors = Vec::new();
        for object in input.delete.objects {
            let result = match self.path(&input.bucket, &object.key) {
                Ok(Some(path)) => remove(&path).await,
                Ok(None) => Ok(()),
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => deleted.push(DeletedObject {
                    key: Some(object.key),
                    ..Default::default()
                }),
                Err(e) => errors.push(Error {
                    key: Some(object.key),
                    code: Some(e.code().as_str().to_string()),
                    message: e.message().map(str::to_string),
                    ..Default::default()
                }),
            }
        }
        Ok(S3Response::new(DeleteObjectsOutput {
            deleted: Some(deleted),
            errors: (!errors.is_empty()).then_some(errors),
            ..Default::default()
        }))
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        let input = req.input;
        let v2 = ListObjectsV2Input {
            bucket: input.bucket.clone(),
            delimiter: input.delimiter.clone(),
            prefix: input.prefix.clone(),
            max_keys: input.max_keys,
            start_after: input.marker.clone(),
            ..Default::default()
        };
        let out = self.list_v2(v2)?;
        Ok(S3Response::new(ListObjectsOutput {
            name: Some(input.bucket),
            prefix: input.prefix,
            delimiter: input.delimiter,
            marker: input.marker,
            max_keys: out.max_keys,
            is_truncated: out.is_truncated,
            next_marker: out.next_continuation_token,
            contents: out.contents,
            common_prefixes: out.common_prefixes,
            ..Default::default()
        }))
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        Ok(S3Response::new(self.list_v2(req.input)?))
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let input = req.input;
        self.writable(&input.bucket, &input.key)?;
        let id = uuid::Uuid::new_v4().simple().to_string();
        let staging = std::env::temp_dir().join(format!("lathe-serve-upload-{id}"));
        tokio::fs::create_dir_all(&staging)
            .await
            .map_err(|e| s3_error!(InternalError, "cannot create {}: {e}", staging.display()))?;
        if let Ok(mut uploads) = self.uploads.lock() {
            uploads.insert(
                id.clone(),
                (input.bucket.clone(), input.key.clone(), staging),
            );
        }
        Ok(S3Response::new(CreateMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(id),
            ..Default::default()
        }))
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        let input = req.input;
        let staging = self.upload(&input.upload_id, &input.bucket, &input.key)?;
        let body = input
            .body
            .unwrap_or_else(|| StreamingBlob::from(Body::empty()));
        let (etag, _) =
            write_whole(&staging.join(format!("{:05}", input.part_number)), body).await?;
        Ok(S3Response::new(UploadPartOutput {
            e_tag: Some(etag),
            ..Default::default()
        }))
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let input = req.input;
        let staging = self.upload(&input.upload_id, &input.bucket, &input.key)?;
        let path = self.writable(&input.bucket, &input.key)?;
        let parts: Vec<i32> = input
            .multipart_upload
            .and_then(|m| m.parts)
            .unwrap_or_default()
            .iter()
            .filter_map(|p| p.part_number)
            .collect();
        if parts.is_empty() {
            return Err(s3_error!(
                MalformedXML,
                "CompleteMultipartUpload names no parts"
            ));
        }
        let mut files = Vec::new();
        for part in &parts {
            let file = staging.join(format!("{part:05}"));
            if !file.is_file() {
                return Err(s3_error!(InvalidPart, "part {part} was not uploaded"));
            }
            files.push(file);
        }
        // The parts, in the order the request lists them, as one stream.
        let stream = futures::stream::iter(files)
            .then(|file| async move { tokio::fs::read(file).await.map(Bytes::from) });
        let body = StreamingBlob::wrap(sync_stream(stream));
        let (etag, _) = write_whole(&path, body).await?;
        let _ = tokio::fs::remove_dir_all(&staging).await;
        if let Ok(mut uploads) = self.uploads.lock() {
            uploads.remove(&input.upload_id);
        }
        Ok(S3Response::new(CompleteMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            e_tag: Some(etag),
            ..Default::default()
        }))
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let input = req.input;
        let staging = self.upload(&input.upload_id, &input.bucket, &input.key)?;
        let _ = tokio::fs::remove_dir_all(&staging).await;
        if let Ok(mut uploads) = self.uploads.lock() {
            uploads.remove(&input.upload_id);
        }
        Ok(S3Response::new(AbortMultipartUploadOutput::default()))
    }
}

impl Warehouse {
    fn upload(&self, id: &str, bucket: &str, key: &str) -> S3Result<PathBuf> {
        let uploads = self.uploads.lock().map_err(|_| s3_error!(InternalError))?;
        match uploads.get(id) {
            Some((b, k, staging)) if b == bucket && k == key => Ok(staging.clone()),
            _ => Err(s3_error!(
                NoSuchUpload,
                "upload {id} of s3://{bucket}/{key} does not exist"
            )),
        }
    }

    /// ListObjectsV2: keys in order, folded at the delimiter, in pages.
    fn list_v2(&self, input: ListObjectsV2Input) -> S3Result<ListObjectsV2Output> {
        let prefix = input.prefix.clone().unwrap_or_default();
        let objects = self.objects(&input.bucket, &prefix)?;
        let max_keys = input.max_keys.unwrap_or(1000).clamp(0, 1000) as usize;
        let after = match (&input.continuation_token, &input.start_after) {
            (Some(token), _) => Some(token.clone()),
            (None, Some(after)) => Some(after.clone()),
            _ => None,
        };
        // Objects and common prefixes, merged in key order.
        let mut entries: Vec<(String, Option<(u64, SystemTime)>)> = Vec::new();
        let mut last_prefix: Option<String> = None;
        for (key, meta) in &objects {
            let folded = input
                .delimiter
                .as_deref()
                .filter(|d| !d.is_empty())
                .and_then(|d| {
                    key[prefix.len()..]
                        .find(d)
                        .map(|i| key[..prefix.len() + i + d.len()].to_string())
                });
            match folded {
                Some(common) => {
                    if last_prefix.as_deref() != Some(&common) {
                        last_prefix = Some(common.clone());
                        entries.push((common, None));
                    }
                }
                None => entries.push((key.clone(), Some(*meta))),
            }
        }
        if let Some(after) = &after {
            entries.retain(|(key, _)| key.as_str() > after.as_str());
        }
        let truncated = entries.len() > max_keys;
        entries.truncate(max_keys);
        let next = if truncated {
            entries.last().map(|(k, _)| k.clone())
        } else {
            None
        };
        let mut contents = Vec::new();
        let mut common_prefixes = Vec::new();
        for (key, meta) in entries {
            match meta {
                Some((size, modified)) => contents.push(Object {
                    key: Some(key),
                    size: Some(size as i64),
                    last_modified: Some(Timestamp::from(modified)),
                    e_tag: Some(etag(size, modified)),
                    storage_class: Some(ObjectStorageClass::from_static(
                        ObjectStorageClass::STANDARD,
                    )),
                    ..Default::default()
                }),
                None => common_prefixes.push(CommonPrefix { prefix: Some(key) }),
            }
        }
        let key_count = (contents.len() + common_prefixes.len()) as i32;
        Ok(ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: input.prefix,
            delimiter: input.delimiter,
            max_keys: Some(max_keys as i32),
            key_count: Some(key_count),
            is_truncated: Some(truncated),
            contents: (!contents.is_empty()).then_some(contents),
            common_prefixes: (!common_prefixes.is_empty()).then_some(common_prefixes),
            continuation_token: input.continuation_token,
            next_continuation_token: next,
            start_after: input.start_after,
            encoding_type: input.encoding_type,
            ..Default::default()
        })
    }
}

async fn remove(path: &Path) -> S3Result<()> {
    match tokio::fs::remove_file(path).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        // A folder marker ("prefix/") is the folder; removed if empty.
        Err(_) if path.is_dir() => {
            let _ = tokio::fs::remove_dir(path).await;
            Ok(())
        }
        Err(e) => Err(s3_error!(
            InternalError,
            "cannot delete {}: {e}",
            path.display()
        )),
    }
}
