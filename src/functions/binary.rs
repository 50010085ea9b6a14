//! Trino's binary (`varbinary`) functions: `to_utf8`, `to_hex`/`from_hex`,
//! `to_base64`/`from_base64` (and their `url` variants), the digests `md5`,
//! `sha1`, `sha256`, `sha512`, `hmac_*`, `crc32`, `xxhash64` and `murmur3`,
//! `to_base32`/`from_base32`, and the
//! fixed-width encodings `to|from_big_endian_32|64` and
//! `to|from_ieee754_32|64`.
//!
//! DataFusion's `md5` and `to_hex` take text and integers and return hex
//! text; Trino's take and return `varbinary` (`to_hex(md5(to_utf8(s)))`),
//! so these replace them. Athena refuses `md5('text')`; so does lathe.

use std::sync::Arc;

use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD, URL_SAFE};
use datafusion::arrow::array::{
    ArrayRef, AsArray, BinaryArray, Float32Array, Float64Array, Int32Array, Int64Array, StringArray,
};
use datafusion::arrow::compute::kernels::cast::cast;
use datafusion::arrow::datatypes::{
    ArrowPrimitiveType, DataType, Float32Type, Float64Type, Int64Type,
};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Signature, Volatility};

use super::{Udf, arrays, finish, returns};

mod hashes;

pub(crate) fn functions() -> Vec<ScalarUDF> {
    let of = |t: DataType| Signature::exact(vec![t], Volatility::Immutable);
    let binary = || of(DataType::Binary);
    let text = || of(DataType::Utf8);
    let two_binaries = || {
        Signature::exact(
            vec![DataType::Binary, DataType::Binary],
            Volatility::Immutable,
        )
    };
    vec![
        Udf::scalar_udf("to_utf8", text(), returns!(DataType::Binary), |a, r| {
            let s = cast(&a[0].to_array(r)?, &DataType::Utf8)?;
            finish(a, cast(&s, &DataType::Binary)?)
        }),
        Udf::scalar_udf("to_hex", binary(), returns!(DataType::Utf8), |a, r| {
            to_text(a, r, |b| {
                b.iter().map(|x| format!("{x:02X}")).collect::<String>()
            })
        }),
        Udf::scalar_udf("from_hex", text(), returns!(DataType::Binary), |a, r| {
            from_text(a, r, "from_hex", from_hex)
        }),
        Udf::scalar_udf("to_base64", binary(), returns!(DataType::Utf8), |a, r| {
            to_text(a, r, |b| STANDARD.encode(b))
        }),
        Udf::scalar_udf(
            "to_base64url",
            binary(),
            returns!(DataType::Utf8),
            |a, r| to_text(a, r, |b| URL_SAFE.encode(b)),
        ),
        Udf::scalar_udf("from_base64", text(), returns!(DataType::Binary), |a, r| {
            from_text(a, r, "from_base64", |s| {
                decoder(&alphabet::STANDARD)
                    .decode(s)
                    .map_err(|e| e.to_string())
            })
        }),
        Udf::scalar_udf(
            "from_base64url",
            text(),
            returns!(DataType::Binary),
            |a, r| {
                from_text(a, r, "from_base64url", |s| {
                    decoder(&alphabet::URL_SAFE)
                        .decode(s)
                        .map_err(|e| e.to_string())
                })
            },
        ),
        Udf::scalar_udf("to_base32", binary(), returns!(DataType::Utf8), |a, r| {
            to_text(a, r, to_base32)
        }),
        Udf::scalar_udf("from_base32", text(), returns!(DataType::Binary), |a, r| {
            from_text(a, r, "from_base32", from_base32)
        }),
        Udf::scalar_udf("murmur3", binary(), returns!(DataType::Binary), |a, r| {
            digest(a, r, |b| {
                let (h1, h2) = hashes::murmur3_128(b, 0);
                // Airlift's 128-bit hash: both halves little-endian.
                [h1.to_le_bytes(), h2.to_le_bytes()].concat()
            })
        }),
        Udf::scalar_udf("md5", binary(), returns!(DataType::Binary), |a, r| {
            digest(a, r, md5_of)
        }),
        Udf::scalar_udf("sha1", binary(), returns!(DataType::Binary), |a, r| {
            digest(a, r, sha1_of)
        }),
        Udf::scalar_udf("sha256", binary(), returns!(DataType::Binary), |a, r| {
            digest(a, r, sha256_of)
        }),
        Udf::scalar_udf("sha512", binary(), returns!(DataType::Binary), |a, r| {
            digest(a, r, sha512_of)
        }),
        Udf::scalar_udf("xxhash64", binary(), returns!(DataType::Binary), |a, r| {
            digest(a, r, |b| hashes::xxhash64(b, 0).to_be_bytes().to_vec())
        }),
        Udf::scalar_udf(
            "hmac_md5",
            two_binaries(),
            returns!(DataType::Binary),
            |a, r| keyed(a, r, 64, md5_of),
        ),
        Udf::scalar_udf(
            "hmac_sha1",
            two_binaries(),
            returns!(DataType::Binary),
            |a, r| keyed(a, r, 64, sha1_of),
        ),
        Udf::scalar_udf(
            "hmac_sha256",
            two_binaries(),
            returns!(DataType::Binary),
            |a, r| keyed(a, r, 64, sha256_of),
        ),
        Udf::scalar_udf(
            "hmac_sha512",
            two_binaries(),
            returns!(DataType::Binary),
            |a, r| keyed(a, r, 128, sha512_of),
        ),
        Udf::scalar_udf("crc32", binary(), returns!(DataType::Int64), |a, r| {
            let b = a[0].to_array(r)?;
            let out: Int64Array = b
                .as_binary::<i32>()
                .iter()
                .map(|b| b.map(|b| i64::from(crc32fast::hash(b))))
                .collect();
            finish(a, Arc::new(out))
        }),
        Udf::scalar_udf(
            "to_big_endian_32",
            of(DataType::Int64),
            returns!(DataType::Binary),
            |a, r| {
                // An integer: a bigint literal within its range is accepted.
                let v = cast(&a[0].to_array(r)?, &DataType::Int64)?;
                let out: BinaryArray = v
                    .as_primitive::<Int64Type>()
                    .iter()
                    .map(|v| match v.map(i32::try_from).transpose() {
                        Ok(v) => Ok(v.map(i32::to_be_bytes)),
                        Err(_) => exec_err!(
                            "to_big_endian_32: {} is not an integer",
                            v.unwrap_or_default()
                        ),
                    })
                    .collect::<Result<Vec<_>>>()?
                    .into_iter()
                    .collect();
                finish(a, Arc::new(out))
            },
        ),
        Udf::scalar_udf(
            "to_big_endian_64",
            of(DataType::Int64),
            returns!(DataType::Binary),
            |a, r| encode::<Int64Type, 8>(a, r, i64::to_be_bytes),
        ),
        Udf::scalar_udf(
            "to_ieee754_32",
            of(DataType::Float32),
            returns!(DataType::Binary),
            |a, r| encode::<Float32Type, 4>(a, r, f32::to_be_bytes),
        ),
        Udf::scalar_udf(
            "to_ieee754_64",
            of(DataType::Float64),
            returns!(DataType::Binary),
            |a, r| encode::<Float64Type, 8>(a, r, f64::to_be_bytes),
        ),
        Udf::scalar_udf(
            "from_big_endian_32",
            binary(),
            returns!(DataType::Int32),
            |a, r| {
                let out: Int32Array = fixed(a, r, "from_big_endian_32", i32::from_be_bytes)?;
                finish(a, Arc::new(out))
            },
        ),
        Udf::scalar_udf(
            "from_big_endian_64",
            binary(),
            returns!(DataType::Int64),
            |a, r| {
                let out: Int64Array = fixed(a, r, "from_big_endian_64", i64::from_be_bytes)?;
                finish(a, Arc::new(out))
            },
        ),
        Udf::scalar_udf(
            "from_ieee754_32",
            binary(),
            returns!(DataType::Float32),
            |a, r| {
                let out: Float32Array = fixed(a, r, "from_ieee754_32", f32::from_be_bytes)?;
                finish(a, Arc::new(out))
            },
        ),
        Udf::scalar_udf(
            "from_ieee754_64",
            binary(),
            returns!(DataType::Float64),
            |a, r| {
                let out: Float64Array = fixed(a, r, "from_ieee754_64", f64::from_be_bytes)?;
                finish(a, Arc::new(out))
            },
        ),
    ]
}

/// A base64 decoder that, like Java's, takes the text with or without
/// its `=` padding, and ignores the unused bits of the last symbol.
fn decoder(alphabet: &alphabet::Alphabet) -> GeneralPurpose {
    GeneralPurpose::new(
        alphabet,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    )
}

fn md5_of(b: &[u8]) -> Vec<u8> {
    use md5::Digest;
    md5::Md5::digest(b).to_vec()
}

fn sha1_of(b: &[u8]) -> Vec<u8> {
    use sha1::Digest;
    sha1::Sha1::digest(b).to_vec()
}

pub(crate) fn sha256_of(b: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(b).to_vec()
}

fn sha512_of(b: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha512::digest(b).to_vec()
}

/// The bytes of the first argument, as a binary array.
fn bytes(args: &[ColumnarValue], rows: usize) -> Result<ArrayRef> {
    Ok(cast(&args[0].to_array(rows)?, &DataType::Binary)?)
}

fn to_text(
    args: &[ColumnarValue],
    rows: usize,
    f: impl Fn(&[u8]) -> String,
) -> Result<ColumnarValue> {
    let b = bytes(args, rows)?;
    let out: StringArray = b.as_binary::<i32>().iter().map(|b| b.map(&f)).collect();
    finish(args, Arc::new(out))
}

fn from_text(
    args: &[ColumnarValue],
    rows: usize,
    name: &str,
    f: fn(&str) -> std::result::Result<Vec<u8>, String>,
) -> Result<ColumnarValue> {
    let s = cast(&args[0].to_array(rows)?, &DataType::Utf8)?;
    let out: BinaryArray = s
        .as_string::<i32>()
        .iter()
        .map(|s| match s.map(f).transpose() {
            Ok(v) => Ok(v),
            Err(why) => exec_err!("{name}: {why}"),
        })
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .collect();
    finish(args, Arc::new(out))
}

fn digest(
    args: &[ColumnarValue],
    rows: usize,
    f: impl Fn(&[u8]) -> Vec<u8>,
) -> Result<ColumnarValue> {
    let b = bytes(args, rows)?;
    let out: BinaryArray = b.as_binary::<i32>().iter().map(|b| b.map(&f)).collect();
    finish(args, Arc::new(out))
}

/// `hmac_*(bytes, key)`: RFC 2104's HMAC over the hash `h` of block size `block`.
fn keyed(
    args: &[ColumnarValue],
    rows: usize,
    block: usize,
    h: fn(&[u8]) -> Vec<u8>,
) -> Result<ColumnarValue> {
    let a = arrays(args, rows)?;
    let (message, key) = (a[0].as_binary::<i32>(), a[1].as_binary::<i32>());
    let out: BinaryArray = message
        .iter()
        .zip(key.iter())
        .map(|(m, k)| Some(hmac(k?, m?, block, h)))
        .collect();
    finish(args, Arc::new(out))
}

pub(crate) fn hmac(key: &[u8], message: &[u8], block: usize, h: fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let mut k = if key.len() > block {
        h(key)
    } else {
        key.to_vec()
    };
    k.resize(block, 0);
    let pad = |byte: u8| k.iter().map(|x| x ^ byte).collect::<Vec<u8>>();
    let mut inner = pad(0x36);
    inner.extend_from_slice(message);
    let mut outer = pad(0x5c);
    outer.extend_from_slice(&h(&inner));
    h(&outer)
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32, padded with `=`.
fn to_base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    for chunk in bytes.chunks(5) {
        let mut block = [0u8; 5];
        block[..chunk.len()].copy_from_slice(chunk);
        let bits = block.iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b));
        let symbols = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < symbols {
                out.push(char::from(BASE32[(bits >> (35 - 5 * i) & 31) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn from_base32(text: &str) -> std::result::Result<Vec<u8>, String> {
    let symbols = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(symbols.len() * 5 / 8);
    let (mut bits, mut held) = (0u64, 0u32);
    for c in symbols.bytes() {
        let Some(v) = BASE32.iter().position(|b| *b == c.to_ascii_uppercase()) else {
            return Err(format!(
                "invalid base32 character {:?} in {text:?}",
                char::from(c)
            ));
        };
        bits = bits << 5 | v as u64;
        held += 5;
        if held >= 8 {
            held -= 8;
            out.push((bits >> held) as u8);
            bits &= (1 << held) - 1;
        }
    }
    Ok(out)
}

/// `from_hex(string)`: the bytes an even number of hex digits spell.
fn from_hex(s: &str) -> std::result::Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err(format!("invalid input length {}: it must be even", s.len()));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            s.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| format!("invalid hex digits in {s:?}"))
        })
        .collect()
}

/// The first argument's values (of Arrow type `T`) as `N`-byte varbinaries.
fn encode<T: ArrowPrimitiveType, const N: usize>(
    args: &[ColumnarValue],
    rows: usize,
    bytes: fn(T::Native) -> [u8; N],
) -> Result<ColumnarValue> {
    let v = args[0].to_array(rows)?;
    let out: BinaryArray = v.as_primitive::<T>().iter().map(|v| v.map(bytes)).collect();
    finish(args, Arc::new(out))
}

/// The fixed-width values of the first (binary) argument; a value of
/// another length fails naming the function.
fn fixed<T, const N: usize, A>(
    args: &[ColumnarValue],
    rows: usize,
    name: &str,
    decode: fn([u8; N]) -> T,
) -> Result<A>
where
    A: FromIterator<Option<T>>,
{
    let b = bytes(args, rows)?;
    b.as_binary::<i32>()
        .iter()
        .map(|b| {
            let Some(b) = b else { return Ok(None) };
            match <[u8; N]>::try_from(b) {
                Ok(word) => Ok(Some(decode(word))),
                Err(_) => exec_err!("{name}: expected {N} bytes, got {}", b.len()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // RFC 4231, test case 2.
        let mac = hmac(b"Jefe", b"what do ya want for nothing?", 64, sha256_of);
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn base32_follows_rfc_4648() {
        assert_eq!(to_base32(b"hello"), "NBSWY3DP");
        assert_eq!(to_base32(b"f"), "MY======");
        assert_eq!(to_base32(b"foobar"), "MZXW6YTBOI======");
        assert_eq!(from_base32("MZXW6YTBOI======"), Ok(b"foobar".to_vec()));
    }

    #[test]
    fn hex_text_round_trips() {
        assert_eq!(from_hex("0aFF"), Ok(vec![10, 255]));
        assert!(from_hex("abc").is_err());
        assert!(from_hex("zz").is_err());
    }
}
