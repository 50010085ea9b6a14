//! The subset of Java's `DateTimeFormatter` patterns that date projections
//! and the Hive SerDe's `timestamp.formats` use (`yyyy/MM/dd/HH`,
//! `yyyy-MM-dd`, `yyyyMMdd`, `yyyy-MM-dd'T'HH:mm:ss.SSS`): formatting and
//! strict parsing, written out because chrono's `strftime`
//! syntax differs and its parser insists on minutes whenever hours appear.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

/// A calendar field a pattern letter stands for, most significant first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Field {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// A numeric field; `width` digits, zero-padded (`MM`), or at least one
    /// digit when the letter is single (`M`).
    Number {
        field: Field,
        width: usize,
    },
    Literal(String),
}

/// A parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DatePattern {
    tokens: Vec<Token>,
}

impl DatePattern {
    /// Parses a pattern; the error says which letter is not supported.
    pub(crate) fn parse(pattern: &str) -> Result<Self, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        let mut literal = String::new();
        while i < chars.len() {
            let c = chars[i];
            if c == '\'' {
                // 'text' is literal; '' is a single quote.
                if chars.get(i + 1) == Some(&'\'') {
                    literal.push('\'');
                    i += 2;
                    continue;
                }
                let end = chars[i + 1..]
                    .iter()
                    .position(|&c| c == '\'')
                    .ok_or("an unterminated quote")?;
                literal.extend(&chars[i + 1..i + 1 + end]);
                i += end + 2;
                continue;
            }
            if !c.is_ascii_alphabetic() {
                literal.push(c);
                i += 1;
                continue;
            }
            let run = chars[i..].iter().take_while(|&&d| d == c).count();
            let field = match c {
                'y' | 'u' => Field::Year,
                'M' => Field::Month,
                'd' => Field::Day,
                'H' => Field::Hour,
                'm' => Field::Minute,
                's' => Field::Second,
                'S' => Field::Millis,
                other => return Err(format!("pattern letter {other:?} is not supported")),
            };
            if field == Field::Year && run != 4 {
                return Err("years must be written yyyy".into());
            }
            if field == Field::Millis && run != 3 {
                return Err("fractions of a second must be written SSS".into());
            }
            if run > 2 && field != Field::Year && field != Field::Millis {
                return Err(format!("pattern letter {c:?} repeats {run} times"));
            }
            if !literal.is_empty() {
                tokens.push(Token::Literal(std::mem::take(&mut literal)));
            }
            let width = if run == 1 { 0 } else { run };
            tokens.push(Token::Number { field, width });
            i += run;
        }
        if !literal.is_empty() {
            tokens.push(Token::Literal(literal));
        }
        if !tokens.iter().any(|t| matches!(t, Token::Number { .. })) {
            return Err("the pattern has no date fields".into());
        }
        Ok(Self { tokens })
    }

    /// The least significant field the pattern shows.
    pub(crate) fn finest_field(&self) -> Field {
        self.fields().max().unwrap_or(Field::Day)
    }

    fn fields(&self) -> impl Iterator<Item = Field> + '_ {
        self.tokens.iter().filter_map(|t| match t {
            Token::Number { field, .. } => Some(*field),
            Token::Literal(_) => None,
        })
    }

    /// Whether formatted strings sort as the instants they show: every field
    /// fixed-width and from most to least significant. Then a string range
    /// on the column is a contiguous run of the projection's dates.
    pub(crate) fn sorts_chronologically(&self) -> bool {
        let fields: Vec<Field> = self.fields().collect();
        fields.first() == Some(&Field::Year)
            && fields.windows(2).all(|w| w[0] < w[1])
            && self
                .tokens
                .iter()
                .all(|t| !matches!(t, Token::Number { width: 0, .. }))
    }

    /// Formats an instant.
    pub(crate) fn format(&self, t: &NaiveDateTime) -> String {
        let mut out = String::new();
        for token in &self.tokens {
            match token {
                Token::Literal(s) => out.push_str(s),
                Token::Number { field, width } => {
                    let value = match field {
                        Field::Year => t.year() as i64,
                        Field::Month => t.month() as i64,
                        Field::Day => t.day() as i64,
                        Field::Hour => t.hour() as i64,
                        Field::Minute => t.minute() as i64,
                        Field::Second => t.second() as i64,
                        Field::Millis => (t.nanosecond() / 1_000_000) as i64,
                    };
                    out.push_str(&format!("{value:0width$}"));
                }
            }
        }
        out
    }

    /// Parses a string that must match the pattern exactly; fields the
    /// pattern lacks take their smallest value (January, the 1st, midnight).
    pub(crate) fn parse_value(&self, text: &str) -> Option<NaiveDateTime> {
        let bytes = text.as_bytes();
        let mut pos = 0;
        let mut values = [1970i64, 1, 1, 0, 0, 0, 0];
        for token in &self.tokens {
            match token {
                Token::Literal(s) => {
                    if !text[pos..].starts_with(s.as_str()) {
                        return None;
                    }
                    pos += s.len();
                }
                Token::Number { field, width } => {
                    let digits = bytes[pos..]
                        .iter()
                        .take_while(|b| b.is_ascii_digit())
                        .count();
                    let take = match width {
                        0 => digits.min(2),
                        w => *w,
                    };
                    if take == 0 || digits < take {
                        return None;
                    }
                    values[*field as usize] = text[pos..pos + take].parse().ok()?;
                    pos += take;
                }
            }
        }
        if pos != text.len() {
            return None;
        }
        let [_, mo, d, h, mi, s, ms] = values.map(|v| v as u32);
        NaiveDate::from_ymd_opt(values[0] as i32, mo, d)?.and_hms_milli_opt(h, mi, s, ms)
    }

    /// The instant truncated to what the pattern shows.
    pub(crate) fn truncate(&self, t: &NaiveDateTime) -> NaiveDateTime {
        self.parse_value(&self.format(t)).unwrap_or(*t)
    }
}

#[cfg(test)]
mod tests;
