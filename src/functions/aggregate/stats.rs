//! Statistical aggregates DataFusion lacks: `geometric_mean`, `skewness`
//! and `kurtosis` (Trino's formulas, from its central moments aggregation).
//!
//! The moments are kept online (Welford's update, Pébay's merge), so a
//! group costs five doubles, not its values.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, Float64Array};
use datafusion::arrow::compute::kernels::cast::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, Signature, Volatility};

/// Which statistic.
#[derive(Debug, PartialEq, Eq, Hash, Clone, Copy)]
pub(super) enum Stat {
    GeometricMean,
    Skewness,
    Kurtosis,
}

/// A statistic over a numeric column, as a double.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct Statistic {
    stat: Stat,
    signature: Signature,
}

impl Statistic {
    pub(super) fn new(stat: Stat) -> Self {
        Self {
            stat,
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for Statistic {
    fn name(&self) -> &str {
        match self.stat {
            Stat::GeometricMean => "geometric_mean",
            Stat::Skewness => "skewness",
            Stat::Kurtosis => "kurtosis",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, t: &[DataType]) -> Result<DataType> {
        if !(t[0].is_numeric() || t[0].is_null()) {
            return plan_err!(
                "{}: the argument must be a number, not {}",
                self.name(),
                t[0]
            );
        }
        Ok(DataType::Float64)
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let names: &[&str] = match self.stat {
            Stat::GeometricMean => &["count", "sum_ln"],
            _ => &["count", "mean", "m2", "m3", "m4"],
        };
        Ok(names
            .iter()
            .map(|n| {
                Arc::new(Field::new(
                    format!("{}[{n}]", args.name),
                    DataType::Float64,
                    true,
                ))
            })
            .collect())
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(Moments {
            stat: Some(self.stat),
            ..Moments::default()
        }))
    }
}

/// Count, mean and central moment sums (or, for the geometric mean, the
/// count and the sum of logarithms in `mean`).
#[derive(Debug, Default)]
struct Moments {
    stat: Option<Stat>,
    n: f64,
    mean: f64,
    m2: f64,
    m3: f64,
    m4: f64,
}

impl Moments {
    fn push(&mut self, x: f64) {
        if self.stat == Some(Stat::GeometricMean) {
            self.n += 1.0;
            self.mean += x.ln();
            return;
        }
        let n1 = self.n;
        self.n += 1.0;
        let n = self.n;
        let delta = x - self.mean;
        let delta_n = delta / n;
        let delta_n2 = delta_n * delta_n;
        let term1 = delta * delta_n * n1;
        self.mean += delta_n;
        self.m4 += term1 * delta_n2 * (n * n - 3.0 * n + 3.0) + 6.0 * delta_n2 * self.m2
            - 4.0 * delta_n * self.m3;
        self.m3 += term1 * delta_n * (n - 2.0) - 3.0 * delta_n * self.m2;
        self.m2 += term1;
    }

    fn merge(&mut self, o: &Moments) {
        if o.n == 0.0 {
            return;
        }
        if self.stat == Some(Stat::GeometricMean) {
            self.n += o.n;
            self.mean += o.mean;
            return;
        }
        if self.n == 0.0 {
            let stat = self.stat;
            *self = Moments { stat, ..*o };
            return;
        }
        let (na, nb) = (self.n, o.n);
        let n = na + nb;
        let d = o.mean - self.mean;
        let (d2, d3, d4) = (d * d, d * d * d, d * d * d * d);
        let m2 = self.m2 + o.m2 + d2 * na * nb / n;
        let m3 = self.m3
            + o.m3
            + d3 * na * nb * (na - nb) / (n * n)
            + 3.0 * d * (na * o.m2 - nb * self.m2) / n;
        let m4 = self.m4
            + o.m4
            + d4 * na * nb * (na * na - na * nb + nb * nb) / (n * n * n)
            + 6.0 * d2 * (na * na * o.m2 + nb * nb * self.m2) / (n * n)
            + 4.0 * d * (na * o.m3 - nb * self.m3) / n;
        self.mean = (na * self.mean + nb * o.mean) / n;
        (self.n, self.m2, self.m3, self.m4) = (n, m2, m3, m4);
    }
}

impl Accumulator for Moments {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let x = cast(&values[0], &DataType::Float64)?;
        for v in x
            .as_primitive::<datafusion::arrow::datatypes::Float64Type>()
            .iter()
            .flatten()
        {
            self.push(v);
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let cols: Vec<&Float64Array> = states.iter().map(|s| s.as_primitive()).collect();
        for row in 0..cols[0].len() {
            let get = |i: usize| cols.get(i).map_or(0.0, |c| c.value(row));
            let other = Moments {
                stat: self.stat,
                n: get(0),
                mean: get(1),
                m2: get(2),
                m3: get(3),
                m4: get(4),
            };
            self.merge(&other);
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let all = [self.n, self.mean, self.m2, self.m3, self.m4];
        let k = if self.stat == Some(Stat::GeometricMean) {
            2
        } else {
            5
        };
        Ok(all[..k]
            .iter()
            .map(|v| ScalarValue::Float64(Some(*v)))
            .collect())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let n = self.n;
        let out = match self.stat {
            Some(Stat::GeometricMean) if n > 0.0 => Some((self.mean / n).exp()),
            Some(Stat::Skewness) if n >= 3.0 => Some(n.sqrt() * self.m3 / self.m2.powf(1.5)),
            Some(Stat::Kurtosis) if n >= 4.0 => Some(
                ((n - 1.0) * n * (n + 1.0)) / ((n - 2.0) * (n - 3.0)) * self.m4
                    / (self.m2 * self.m2)
                    - 3.0 * ((n - 1.0) * (n - 1.0)) / ((n - 2.0) * (n - 3.0)),
            ),
            _ => None,
        };
        Ok(ScalarValue::Float64(out))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(stat: Stat, xs: &[f64]) -> Moments {
        let mut m = Moments {
            stat: Some(stat),
            ..Moments::default()
        };
        xs.iter().for_each(|x| m.push(*x));
        m
    }

    #[test]
    fn merged_moments_equal_one_pass() {
        let xs = [1.0, 2.0, 4.0, 8.0, 9.0, 13.0];
        let mut whole = moments(Stat::Kurtosis, &xs);
        let mut a = moments(Stat::Kurtosis, &xs[..2]);
        a.merge(&moments(Stat::Kurtosis, &xs[2..]));
        let (w, m) = (whole.evaluate().unwrap(), a.evaluate().unwrap());
        let (ScalarValue::Float64(Some(w)), ScalarValue::Float64(Some(m))) = (w, m) else {
            panic!("no kurtosis");
        };
        assert!((w - m).abs() < 1e-9);
    }
}
