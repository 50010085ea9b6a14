//! Splitting a byte stream into lines for the streaming line decoders (JSON
//! and text): a line may cross buffer boundaries, and the last one may lack
//! its terminator.

use datafusion::arrow::error::ArrowError;

/// What receives the lines.
pub(crate) trait LineSink {
    /// Takes one line, without its terminator.
    fn line(&mut self, line: &[u8]) -> Result<(), ArrowError>;

    /// Whether the current batch is full: feeding stops until it is flushed.
    fn full(&self) -> bool;
}

/// Feeds the complete lines of `buf` to `sink` until its batch is full,
/// keeping an unterminated tail in `partial`; returns the bytes consumed.
/// An empty `buf` is the end of the input: the tail is the last line.
pub(crate) fn feed_lines(
    partial: &mut Vec<u8>,
    buf: &[u8],
    delim: u8,
    sink: &mut impl LineSink,
) -> Result<usize, ArrowError> {
    if buf.is_empty() {
        if !partial.is_empty() {
            let line = std::mem::take(partial);
            sink.line(&line)?;
        }
        return Ok(0);
    }
    let mut pos = 0;
    while !sink.full() && pos < buf.len() {
        match memchr::memchr(delim, &buf[pos..]) {
            Some(i) => {
                let end = pos + i;
                if partial.is_empty() {
                    sink.line(&buf[pos..end])?;
                } else {
                    partial.extend_from_slice(&buf[pos..end]);
                    sink.line(partial)?;
                    partial.clear();
                }
                pos = end + 1;
            }
            None => {
                partial.extend_from_slice(&buf[pos..]);
                pos = buf.len();
            }
        }
    }
    Ok(pos)
}
