//! Whole-file gzip inflation with libdeflate.
//!
//! Firehose writes gzip files of a few hundred kilobytes to a few megabytes,
//! and inflating them was a third of the CPU time of a scan of gzipped JSON
//! (flate2 with zlib-rs, about 770 MB/s per core on the clickstream sample).
//! libdeflate inflates a whole buffer at once, about twice as fast
//! (1,510 MB/s on the same 1,344 files, one core), but it cannot stream. So a small gzip file is read whole and inflated here,
//! and anything else (a big file, a damaged one) goes through the streaming
//! decoder as before, which also keeps its error messages.
//!
//! libdeflate decodes one gzip member per call; Hive, Firehose and `cat a.gz
//! b.gz` may write several, which all belong to the file (as with zlib's
//! `gunzip` and Java's `GZIPInputStream`). The `_ex` entry point reports the
//! input each member used, so every member is inflated in turn.

use std::ffi::c_void;
use std::ptr::NonNull;

use libdeflate_sys::{
    libdeflate_alloc_decompressor, libdeflate_decompressor, libdeflate_free_decompressor,
    libdeflate_gzip_decompress_ex, libdeflate_result_LIBDEFLATE_INSUFFICIENT_SPACE as NEEDS_SPACE,
    libdeflate_result_LIBDEFLATE_SUCCESS as SUCCESS,
};

/// Compressed files up to this size are read whole and inflated at once
/// (Firehose's default 5 MB buffer gives files well below it).
pub(crate) const WHOLE_FILE_MAX: u64 = 8 * 1024 * 1024;

/// The most text one whole-file inflation may produce: past it the file is
/// streamed instead. The JSON scan reserves a whole file's compressed and
/// inflated bytes from the session's memory pool (`--memory-limit`) and
/// streams a file the pool cannot hold.
pub(crate) const INFLATED_MAX: usize = 64 * 1024 * 1024;

/// The inflated text of every member of `data`, or `None` when `data` is not
/// whole, valid gzip or would inflate past `max_out` bytes (the caller then
/// streams it, and the streaming decoder names the damage).
pub(crate) fn inflate(data: &[u8], max_out: usize) -> Option<Vec<u8>> {
    let mut decompressor = Decompressor::new()?;
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        // A member's trailer ends with its inflated size (mod 2^32); for the
        // usual file of one member, the file's last four bytes are exact.
        let guess = last_member_size(rest).clamp(4096, max_out.max(4096));
        let start = out.len();
        let mut avail = guess;
        loop {
            if start + avail > max_out {
                return None;
            }
            out.resize(start + avail, 0);
            match decompressor.member(rest, &mut out[start..]) {
                Member::Done { read, wrote } => {
                    out.truncate(start + wrote);
                    rest = &rest[read..];
                    break;
                }
                Member::NeedsSpace => avail = avail.saturating_mul(2),
                Member::Bad => return None,
            }
        }
    }
    Some(out)
}

/// The ISIZE field at the end of `data`, as if it were one member.
pub(crate) fn last_member_size(data: &[u8]) -> usize {
    match data.last_chunk::<4>() {
        Some(isize) => u32::from_le_bytes(*isize) as usize,
        None => 0,
    }
}

enum Member {
    /// Bytes of input the member used and bytes of text it gave.
    Done {
        read: usize,
        wrote: usize,
    },
    NeedsSpace,
    Bad,
}

/// An owned libdeflate decompressor.
struct Decompressor(NonNull<libdeflate_decompressor>);

impl Decompressor {
    fn new() -> Option<Self> {
        // SAFETY: no preconditions; a null result (out of memory) is `None`.
        NonNull::new(unsafe { libdeflate_alloc_decompressor() }).map(Self)
    }

    /// Inflates the first gzip member of `input` into `out`.
    fn member(&mut self, input: &[u8], out: &mut [u8]) -> Member {
        let mut read = 0usize;
        let mut wrote = 0usize;
        // SAFETY: the decompressor is live and used by one thread (`&mut`);
        // the pointers and lengths come from valid slices, and libdeflate
        // writes only within `out` and to the two result slots.
        let result = unsafe {
            libdeflate_gzip_decompress_ex(
                self.0.as_ptr(),
                input.as_ptr().cast::<c_void>(),
                input.len(),
                out.as_mut_ptr().cast::<c_void>(),
                out.len(),
                &mut read,
                &mut wrote,
            )
        };
        match result {
            SUCCESS if read > 0 && read <= input.len() => Member::Done { read, wrote },
            NEEDS_SPACE => Member::NeedsSpace,
            _ => Member::Bad,
        }
    }
}

impl Drop for Decompressor {
    fn drop(&mut self) {
        // SAFETY: allocated by `libdeflate_alloc_decompressor`, freed once.
        unsafe { libdeflate_free_decompressor(self.0.as_ptr()) }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    fn gzip(text: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(text).unwrap();
        encoder.finish().unwrap()
    }

    fn text(lines: usize, tag: &str) -> Vec<u8> {
        (0..lines)
            .map(|i| format!("{{\"n\":{i},\"tag\":\"{tag}\"}}\n"))
            .collect::<String>()
            .into_bytes()
    }

    #[test]
    fn inflates_one_member_as_flate2_does() {
        let plain = text(50_000, "one");
        let data = gzip(&plain);
        let mut streamed = Vec::new();
        flate2::read::MultiGzDecoder::new(&data[..])
            .read_to_end(&mut streamed)
            .unwrap();
        assert_eq!(inflate(&data, INFLATED_MAX).unwrap(), plain);
        assert_eq!(streamed, plain);
    }

    #[test]
    fn inflates_every_member_in_order() {
        // The last member is the smallest, so its size is a bad guess for
        // the first: the output grows.
        let (a, b, c) = (text(20_000, "a"), text(3, "b"), Vec::new());
        let mut data = gzip(&a);
        data.extend(gzip(&b));
        data.extend(gzip(&c));
        let whole = inflate(&data, INFLATED_MAX).unwrap();
        assert_eq!(whole, [a, b].concat());
    }

    #[test]
    fn declines_damaged_or_oversized_input() {
        let data = gzip(&text(1_000, "x"));
        // Truncated, bit-flipped, trailing garbage, not gzip at all.
        assert_eq!(inflate(&data[..data.len() - 9], INFLATED_MAX), None);
        let mut flipped = data.clone();
        flipped[data.len() / 2] ^= 0x55;
        assert_eq!(inflate(&flipped, INFLATED_MAX), None);
        let mut trailing = data.clone();
        trailing.extend_from_slice(b"\0\0\0");
        assert_eq!(inflate(&trailing, INFLATED_MAX), None);
        assert_eq!(inflate(b"{\"plain\": true}\n", INFLATED_MAX), None);
        // Valid, but past the bound.
        assert_eq!(inflate(&data, 10_000), None);
        assert_eq!(inflate(&[], INFLATED_MAX), Some(Vec::new()));
    }
}
