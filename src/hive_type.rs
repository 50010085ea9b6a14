//! Hive type strings (as Glue stores them) to Arrow types, and back.
//!
//! The grammar is ATHENA.md §2: primitives, `decimal(p,s)`, `varchar(n)`,
//! `char(n)`, and the nested `array<T>`, `map<K,V>` and `struct<name:T,...>`,
//! in any case, with any spacing and with backticked struct field names.
//! A pure function: no catalog, no I/O.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Fields, TimeUnit};

/// The Arrow type a Hive `timestamp` maps to: Athena's `timestamp(3)`, no time zone.
pub(crate) const TIMESTAMP: DataType = DataType::Timestamp(TimeUnit::Millisecond, None);

/// The Hive type of an Arrow type, as Glue writes it (CTAS's columns, and an
/// Avro table's columns from its Avro schema) (`bigint`,
/// `decimal(10,2)`, `array<string>`, `struct<a:int>`, ...).
pub(crate) fn of_arrow(data_type: &DataType) -> Option<String> {
    Some(match data_type {
        DataType::Boolean => "boolean".into(),
        DataType::Int8 => "tinyint".into(),
        DataType::Int16 | DataType::UInt8 => "smallint".into(),
        DataType::Int32 | DataType::UInt16 => "int".into(),
        DataType::Int64 | DataType::UInt32 => "bigint".into(),
        DataType::Float32 => "float".into(),
        DataType::Float64 => "double".into(),
        DataType::Decimal128(p, s) | DataType::Decimal256(p, s) if *p <= 38 => {
            format!("decimal({p},{s})")
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "string".into(),
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => "binary".into(),
        // Avro's enums decode as dictionaries of their symbols.
        DataType::Dictionary(_, values) => of_arrow(values)?,
        DataType::Date32 | DataType::Date64 => "date".into(),
        DataType::Timestamp(_, _) => "timestamp".into(),
        DataType::List(f) | DataType::LargeList(f) => {
            format!("array<{}>", of_arrow(f.data_type())?)
        }
        DataType::Struct(fields) => format!(
            "struct<{}>",
            fields
                .iter()
                .map(|f| Some(format!("{}:{}", f.name(), of_arrow(f.data_type())?)))
                .collect::<Option<Vec<_>>>()?
                .join(",")
        ),
        DataType::Map(entries, _) => {
            let DataType::Struct(kv) = entries.data_type() else {
                return None;
            };
            format!(
                "map<{},{}>",
                of_arrow(kv.first()?.data_type())?,
                of_arrow(kv.get(1)?.data_type())?
            )
        }
        _ => return None,
    })
}

/// Parses a Hive type string into an Arrow type.
///
/// On failure returns a reason naming the position and what was expected.
pub fn parse_hive_type(text: &str) -> Result<DataType, String> {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        depth: 0,
    };
    let ty = parser.parse_type()?;
    parser.skip_spaces();
    if parser.pos != parser.bytes.len() {
        return Err(parser.unexpected("the end of the type"));
    }
    Ok(ty)
}

/// Deepest nesting accepted; deeper types are refused rather than risking the stack.
const MAX_DEPTH: usize = 100;

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn parse_type(&mut self) -> Result<DataType, String> {
        self.skip_spaces();
        let start = self.pos;
        let word = self.word();
        if word.is_empty() {
            return Err(self.unexpected("a type name"));
        }
        let ty = match word.to_ascii_lowercase().as_str() {
            "boolean" => DataType::Boolean,
            "tinyint" => DataType::Int8,
            "smallint" => DataType::Int16,
            "int" | "integer" => DataType::Int32,
            "bigint" => DataType::Int64,
            "float" => DataType::Float32,
            "double" => DataType::Float64,
            "string" => DataType::Utf8,
            "varchar" | "char" => {
                self.length_argument(&word)?;
                DataType::Utf8
            }
            "date" => DataType::Date32,
            "timestamp" => TIMESTAMP,
            "binary" => DataType::Binary,
            "decimal" => self.decimal()?,
            "array" => self.nested(|p| {
                let item = p.parse_type()?;
                Ok(DataType::List(Arc::new(Field::new("item", item, true))))
            })?,
            "map" => self.nested(|p| {
                let key = p.parse_type()?;
                p.expect(b',')?;
                let value = p.parse_type()?;
                let entries = Fields::from(vec![
                    Field::new("key", key, false),
                    Field::new("value", value, true),
                ]);
                Ok(DataType::Map(
                    Arc::new(Field::new("entries", DataType::Struct(entries), false)),
                    false,
                ))
            })?,
            "struct" => self.nested(|p| {
                let mut fields = Vec::new();
                loop {
                    p.skip_spaces();
                    if p.peek() == Some(b'>') && fields.is_empty() {
                        break;
                    }
                    let name = p.field_name()?;
                    p.expect(b':')?;
                    let ty = p.parse_type()?;
                    fields.push(Field::new(name.to_lowercase(), ty, true));
                    p.skip_spaces();
                    if p.peek() == Some(b',') {
                        p.pos += 1;
                    } else {
                        break;
                    }
                }
                Ok(DataType::Struct(Fields::from(fields)))
            })?,
            _ => {
                self.pos = start;
                return Err(format!("unknown type {word:?} at position {}", start + 1));
            }
        };
        Ok(ty)
    }

    /// Parses `< ... >` around a nested type's arguments.
    fn nested(
        &mut self,
        inner: impl FnOnce(&mut Self) -> Result<DataType, String>,
    ) -> Result<DataType, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("types nested deeper than {MAX_DEPTH} levels"));
        }
        self.expect(b'<')?;
        let ty = inner(self)?;
        self.expect(b'>')?;
        self.depth -= 1;
        Ok(ty)
    }

    fn decimal(&mut self) -> Result<DataType, String> {
        self.skip_spaces();
        // Hive's bare `decimal` is decimal(10,0).
        let (mut precision, mut scale) = (10u64, 0u64);
        if self.peek() == Some(b'(') {
            self.pos += 1;
            precision = self.number()?;
            self.skip_spaces();
            if self.peek() == Some(b',') {
                self.pos += 1;
                scale = self.number()?;
            }
            self.expect(b')')?;
        }
        if !(1..=38).contains(&precision) {
            return Err(format!(
                "decimal precision {precision} is not between 1 and 38"
            ));
        }
        if scale > precision {
            return Err(format!(
                "decimal scale {scale} is larger than its precision {precision}"
            ));
        }
        Ok(DataType::Decimal128(precision as u8, scale as i8))
    }

    fn length_argument(&mut self, word: &str) -> Result<(), String> {
        self.skip_spaces();
        if self.peek() == Some(b'(') {
            self.pos += 1;
            let n = self.number()?;
            if n == 0 {
                return Err(format!("{word} length must be at least 1"));
            }
            self.expect(b')')?;
        }
        Ok(())
    }

    fn number(&mut self) -> Result<u64, String> {
        self.skip_spaces();
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.text[start..self.pos]
            .parse()
            .map_err(|_| self.unexpected("a number"))
    }

    fn field_name(&mut self) -> Result<String, String> {
        self.skip_spaces();
        if self.peek() == Some(b'`') {
            let start = self.pos + 1;
            let end = self.text[start..]
                .find('`')
                .ok_or_else(|| format!("unterminated `name` at position {}", self.pos + 1))?;
            self.pos = start + end + 1;
            return Ok(self.text[start..start + end].to_string());
        }
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| !matches!(b, b':' | b',' | b'<' | b'>') && !b.is_ascii_whitespace())
        {
            self.pos += 1;
        }
        if start == self.pos {
            return Err(self.unexpected("a field name"));
        }
        Ok(self.text[start..self.pos].to_string())
    }

    fn word(&mut self) -> String {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            self.pos += 1;
        }
        self.text[start..self.pos].to_string()
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        self.skip_spaces();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(&format!("'{}'", byte as char)))
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    fn unexpected(&self, expected: &str) -> String {
        match self.text[self.pos..].chars().next() {
            Some(c) => format!(
                "expected {expected} at position {}, found {c:?}",
                self.pos + 1
            ),
            None => format!(
                "expected {expected} at position {}, found the end",
                self.pos + 1
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(item: DataType) -> DataType {
        DataType::List(Arc::new(Field::new("item", item, true)))
    }

    #[test]
    fn primitives_map_to_athena_arrow_types() {
        let cases = [
            ("boolean", DataType::Boolean),
            ("tinyint", DataType::Int8),
            ("smallint", DataType::Int16),
            ("int", DataType::Int32),
            ("INTEGER", DataType::Int32),
            ("bigint", DataType::Int64),
            ("float", DataType::Float32),
            ("double", DataType::Float64),
            ("string", DataType::Utf8),
            ("varchar(255)", DataType::Utf8),
            ("char( 2 )", DataType::Utf8),
            ("date", DataType::Date32),
            ("timestamp", TIMESTAMP),
            ("binary", DataType::Binary),
            ("decimal", DataType::Decimal128(10, 0)),
            ("decimal(12)", DataType::Decimal128(12, 0)),
            ("Decimal( 38 , 6 )", DataType::Decimal128(38, 6)),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_hive_type(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn nested_types() {
        let ty = parse_hive_type("array<struct<Id:bigint, `Full Name`:varchar(20)>>").unwrap();
        let expected = list(DataType::Struct(Fields::from(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("full name", DataType::Utf8, true),
        ])));
        assert_eq!(ty, expected);

        let ty = parse_hive_type("MAP < string , array<int> >").unwrap();
        let DataType::Map(entries, false) = ty else {
            panic!("not a map: {ty}")
        };
        let DataType::Struct(kv) = entries.data_type() else {
            panic!("entries not a struct")
        };
        assert_eq!(kv[0].data_type(), &DataType::Utf8);
        assert!(!kv[0].is_nullable());
        assert_eq!(kv[1].data_type(), &list(DataType::Int32));
    }

    #[test]
    fn errors_say_where_and_what() {
        assert_eq!(
            parse_hive_type("strng").unwrap_err(),
            "unknown type \"strng\" at position 1"
        );
        assert_eq!(
            parse_hive_type("array<int").unwrap_err(),
            "expected '>' at position 10, found the end"
        );
        assert_eq!(
            parse_hive_type("map<string>").unwrap_err(),
            "expected ',' at position 11, found '>'"
        );
        assert_eq!(
            parse_hive_type("decimal(40,2)").unwrap_err(),
            "decimal precision 40 is not between 1 and 38"
        );
        assert_eq!(
            parse_hive_type("decimal(5,6)").unwrap_err(),
            "decimal scale 6 is larger than its precision 5"
        );
        assert_eq!(
            parse_hive_type("int extra").unwrap_err(),
            "expected the end of the type at position 5, found 'e'"
        );
        assert!(parse_hive_type("").is_err());
        let deep = "array<".repeat(500) + "int" + &">".repeat(500);
        assert!(
            parse_hive_type(&deep)
                .unwrap_err()
                .contains("nested deeper")
        );
    }

    #[test]
    fn arrow_types_get_their_hive_names() {
        let item = Arc::new(Field::new("item", DataType::Utf8, true));
        let nested = DataType::Struct(Fields::from(vec![
            Field::new("id", DataType::Int32, true),
            Field::new("tags", DataType::List(item), true),
        ]));
        assert_eq!(
            of_arrow(&nested).unwrap(),
            "struct<id:int,tags:array<string>>"
        );
        assert_eq!(
            of_arrow(&DataType::Decimal128(10, 2)).unwrap(),
            "decimal(10,2)"
        );
        assert_eq!(
            of_arrow(&DataType::Timestamp(TimeUnit::Nanosecond, None)).unwrap(),
            "timestamp"
        );
        assert_eq!(of_arrow(&DataType::Utf8View).unwrap(), "string");
        assert_eq!(
            of_arrow(&DataType::Dictionary(
                Box::new(DataType::Int32),
                Box::new(DataType::Utf8)
            ))
            .unwrap(),
            "string"
        );
        assert_eq!(of_arrow(&DataType::Null), None);
    }
}
