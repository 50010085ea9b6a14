//! Trino's statistical functions (`beta_cdf`, `inverse_beta_cdf`,
//! `normal_cdf`, `inverse_normal_cdf`, `wilson_interval_lower|upper`) and
//! `great_circle_distance`, the one geospatial function that needs no
//! geometry type.

use std::sync::Arc;

use datafusion::arrow::array::{Array, Float64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Signature, Volatility};

use super::{bigints_of, doubles_of};
use crate::functions::{Udf, arrays, finish, returns};

pub(super) fn functions() -> Vec<ScalarUDF> {
    let doubles = |n| Signature::exact(vec![DataType::Float64; n], Volatility::Immutable);
    let double = returns!(DataType::Float64);
    let wilson_signature = || {
        Signature::exact(
            vec![DataType::Int64, DataType::Int64, DataType::Float64],
            Volatility::Immutable,
        )
    };
    vec![
        Udf::scalar_udf("beta_cdf", doubles(3), double, |a, r| {
            map_doubles(a, r, |v| beta("beta_cdf", v, false))
        }),
        Udf::scalar_udf("inverse_beta_cdf", doubles(3), double, |a, r| {
            map_doubles(a, r, |v| beta("inverse_beta_cdf", v, true))
        }),
        Udf::scalar_udf("normal_cdf", doubles(3), double, |a, r| {
            map_doubles(a, r, normal_cdf)
        }),
        Udf::scalar_udf("inverse_normal_cdf", doubles(3), double, |a, r| {
            map_doubles(a, r, inverse_normal_cdf)
        }),
        Udf::scalar_udf("great_circle_distance", doubles(4), double, |a, r| {
            map_doubles(a, r, great_circle_distance)
        }),
        Udf::scalar_udf(
            "wilson_interval_lower",
            wilson_signature(),
            double,
            |a, r| wilson(a, r, -1.0),
        ),
        Udf::scalar_udf(
            "wilson_interval_upper",
            wilson_signature(),
            double,
            |a, r| wilson(a, r, 1.0),
        ),
    ]
}

/// `f` of each row's double arguments; NULL when any is NULL.
fn map_doubles(
    args: &[ColumnarValue],
    rows: usize,
    f: impl Fn(&[f64]) -> Result<f64>,
) -> Result<ColumnarValue> {
    let columns = arrays(args, rows)?
        .iter()
        .map(doubles_of)
        .collect::<Result<Vec<_>>>()?;
    let mut values = vec![0.0; columns.len()];
    let out: Float64Array = (0..rows)
        .map(|i| {
            if columns.iter().any(|c| c.is_null(i)) {
                return Ok(None);
            }
            for (v, c) in values.iter_mut().zip(&columns) {
                *v = c.value(i);
            }
            f(&values).map(Some)
        })
        .collect::<Result<_>>()?;
    finish(args, Arc::new(out))
}

/// `beta_cdf(a, b, v)`: P(X <= v) for X ~ Beta(a, b); with `inverse`,
/// `inverse_beta_cdf(a, b, p)`: the `v` whose `beta_cdf` is `p`.
fn beta(name: &str, v: &[f64], inverse: bool) -> Result<f64> {
    let (alpha, beta, x) = (v[0], v[1], v[2]);
    if !(alpha > 0.0 && beta > 0.0) {
        return exec_err!("{name}: a and b must be > 0, got {alpha} and {beta}");
    }
    if !(0.0..=1.0).contains(&x) {
        let what = if inverse { "p" } else { "v" };
        return exec_err!("{name}: {what} must be in the interval [0, 1], got {x}");
    }
    Ok(if inverse {
        inverse_regularized_beta(alpha, beta, x)
    } else {
        regularized_beta(alpha, beta, x)
    })
}

/// I_x(a, b), the regularized incomplete beta function, by its continued
/// fraction (modified Lentz), on the side where it converges fast.
fn regularized_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    if x > (a + 1.0) / (a + b + 2.0) {
        return 1.0 - regularized_beta(b, a, 1.0 - x);
    }
    let ln_front =
        libm::lgamma(a + b) - libm::lgamma(a) - libm::lgamma(b) + a * x.ln() + b * (1.0 - x).ln();
    const TINY: f64 = 1e-300;
    let (mut c, mut d) = (1.0, 1.0 - (a + b) * x / (a + 1.0));
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut f = d;
    for m in 1..=10_000 {
        let m = f64::from(m);
        let even = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        for coefficient in [
            even,
            -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0)),
        ] {
            d = 1.0 + coefficient * d;
            if d.abs() < TINY {
                d = TINY;
            }
            c = 1.0 + coefficient / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            f *= c * d;
        }
        if (c * d - 1.0).abs() < 1e-16 {
            break;
        }
    }
    ln_front.exp() * f / a
}

/// The `x` in [0, 1] with I_x(a, b) = p, by bisection to full precision
/// (the cdf is monotone).
fn inverse_regularized_beta(a: f64, b: f64, p: f64) -> f64 {
    let (mut low, mut high) = (0.0f64, 1.0f64);
    if p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (low + high);
        if mid <= low || mid >= high {
            break;
        }
        if regularized_beta(a, b, mid) < p {
            low = mid;
        } else {
            high = mid;
        }
    }
    0.5 * (low + high)
}

/// `great_circle_distance(lat1, lon1, lat2, lon2)`: the distance in
/// kilometres between two points on the earth's surface (on Trino's earth
/// radius of 6371.01 km).
fn great_circle_distance(v: &[f64]) -> Result<f64> {
    const EARTH_RADIUS_KM: f64 = 6371.01;
    let [lat1, lon1, lat2, lon2] = [v[0], v[1], v[2], v[3]];
    for (name, lat) in [("latitude1", lat1), ("latitude2", lat2)] {
        if !(-90.0..=90.0).contains(&lat) {
            return exec_err!("great_circle_distance: {name} must be in [-90, 90], got {lat}");
        }
    }
    for (name, lon) in [("longitude1", lon1), ("longitude2", lon2)] {
        if !(-180.0..=180.0).contains(&lon) {
            return exec_err!("great_circle_distance: {name} must be in [-180, 180], got {lon}");
        }
    }
    // Trino's formula (GeoFunctions.greatCircleDistance): the Vincenty
    // special case of the spherical law, via atan2.
    let (r1, r2) = (lat1.to_radians(), lat2.to_radians());
    let delta = (lon2 - lon1).to_radians();
    let (sin1, cos1, sin2, cos2) = (r1.sin(), r1.cos(), r2.sin(), r2.cos());
    let (sin_d, cos_d) = (delta.sin(), delta.cos());
    let y = ((cos2 * sin_d).powi(2) + (cos1 * sin2 - sin1 * cos2 * cos_d).powi(2)).sqrt();
    let x = sin1 * sin2 + cos1 * cos2 * cos_d;
    Ok(y.atan2(x) * EARTH_RADIUS_KM)
}

/// `normal_cdf(mean, sd, v)`: P(X <= v) for X ~ N(mean, sd²).
fn normal_cdf(v: &[f64]) -> Result<f64> {
    let (mean, sd, x) = (v[0], v[1], v[2]);
    if sd <= 0.0 {
        return exec_err!("normal_cdf: standard deviation must be > 0, got {sd}");
    }
    let dev = (x - mean) / (sd * std::f64::consts::SQRT_2);
    Ok(0.5 * libm::erfc(-dev))
}

/// `inverse_normal_cdf(mean, sd, p)`: the `v` with `normal_cdf(mean, sd, v)
/// = p`, for 0 < p < 1.
fn inverse_normal_cdf(v: &[f64]) -> Result<f64> {
    let (mean, sd, p) = (v[0], v[1], v[2]);
    if !(p > 0.0 && p < 1.0) {
        return exec_err!("inverse_normal_cdf: p must be in the interval (0, 1), got {p}");
    }
    if sd <= 0.0 {
        return exec_err!("inverse_normal_cdf: standard deviation must be > 0, got {sd}");
    }
    Ok(mean + sd * standard_normal_quantile(p))
}

/// The standard normal quantile: Acklam's rational approximation, then one
/// Halley step against `erfc`, which brings it to full double precision.
fn standard_normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e+01,
        2.209460984245205e+02,
        -2.759285104469687e+02,
        1.38357751867269e+02,
        -3.066479806614716e+01,
        2.506628277459239e+00,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e+01,
        1.615858368580409e+02,
        -1.556989798598866e+02,
        6.680131188771972e+01,
        -1.328068155288572e+01,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e+00,
        -2.549732539343734e+00,
        4.374664141464968e+00,
        2.938163982698783e+00,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-03,
        3.224671290700398e-01,
        2.445134137142996e+00,
        3.754408661907416e+00,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let x = if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    let e = 0.5 * libm::erfc(-x / std::f64::consts::SQRT_2) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// `wilson_interval_lower|upper(successes, trials, z)`: the bounds of the
/// Wilson score interval of a Bernoulli success rate.
fn wilson(args: &[ColumnarValue], rows: usize, side: f64) -> Result<ColumnarValue> {
    let a = arrays(args, rows)?;
    let (s, n, z) = (bigints_of(&a[0])?, bigints_of(&a[1])?, doubles_of(&a[2])?);
    let name = if side < 0.0 {
        "wilson_interval_lower"
    } else {
        "wilson_interval_upper"
    };
    let out: Float64Array = (0..rows)
        .map(|i| {
            if s.is_null(i) || n.is_null(i) || z.is_null(i) {
                return Ok(None);
            }
            let (s, n, z) = (s.value(i), n.value(i), z.value(i));
            if s < 0 {
                return exec_err!("{name}: number of successes must not be negative, got {s}");
            }
            if n <= 0 {
                return exec_err!("{name}: number of trials must be positive, got {n}");
            }
            if s > n {
                return exec_err!(
                    "{name}: number of successes ({s}) must not be larger than number of trials ({n})"
                );
            }
            if z < 0.0 {
                return exec_err!("{name}: z-score must not be negative, got {z}");
            }
            // Trino's order of operations (MathFunctions.wilsonInterval*).
            let (s, n) = (s as f64, n as f64);
            let p = s / n;
            let z2 = z * z;
            let center = p + z2 / (2.0 * n);
            let spread = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
            Ok(Some((center + side * spread) / (1.0 + z2 / n)))
        })
        .collect::<Result<_>>()?;
    finish(args, Arc::new(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beta_cdf_matches_trinos_tests() {
        // Trino's TestMathFunctions, to the digits it asserts.
        assert!((regularized_beta(3.0, 3.6, 0.3) - 0.217_648_1).abs() < 1e-10);
        assert!((regularized_beta(3.0, 3.6, 0.9) - 0.997_250_288_2).abs() < 1e-10);
        let x = inverse_regularized_beta(3.0, 3.6, 0.3);
        assert!((regularized_beta(3.0, 3.6, x) - 0.3).abs() < 1e-14);
    }

    #[test]
    fn normal_quantile_inverts_the_cdf() {
        for p in [1e-10, 0.01, 0.3, 0.5, 0.9, 0.999_999] {
            let x = standard_normal_quantile(p);
            let back = 0.5 * libm::erfc(-x / std::f64::consts::SQRT_2);
            assert!((back - p).abs() <= p * 1e-14, "{p} -> {x} -> {back}");
        }
        assert_eq!(standard_normal_quantile(0.5), 0.0);
    }
}
