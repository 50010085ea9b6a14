//! Trino type names (`varchar`, `array(row(a integer))`, ...) turned into the
//! Hive names Glue's `StorageDescriptor.Columns` and lathe's type parser use.

/// The Hive type for a Trino type name, or why there is none.
pub(crate) fn trino_to_hive(trino: &str) -> Result<String, String> {
    let mut parser = Parser {
        text: trino,
        pos: 0,
    };
    let hive = parser.parse_type()?;
    parser.skip_spaces();
    if parser.pos < trino.len() {
        return Err(format!(
            "unexpected {:?} at offset {} of Trino type {trino:?}",
            &trino[parser.pos..],
            parser.pos
        ));
    }
    Ok(hive)
}

/// A row field name as Trino's type signature writes it: bare when it is a
/// plain lower-case identifier, else double-quoted.
pub(super) fn quote_field(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn parse_type(&mut self) -> Result<String, String> {
        self.skip_spaces();
        let word = self.word().to_ascii_lowercase();
        let hive = match word.as_str() {
            "boolean" => "boolean".to_string(),
            "tinyint" => "tinyint".to_string(),
            "smallint" => "smallint".to_string(),
            "integer" | "int" => "int".to_string(),
            "bigint" => "bigint".to_string(),
            "real" => "float".to_string(),
            "double" => "double".to_string(),
            "date" => "date".to_string(),
            "varbinary" => "binary".to_string(),
            // Types Hive cannot name read as text.
            "json" | "uuid" | "ipaddress" | "unknown" => "string".to_string(),
            "varchar" => match self.arguments()?.as_deref() {
                None => "string".to_string(),
                Some([n]) => format!("varchar({n})"),
                Some(_) => return Err("varchar takes one length".into()),
            },
            "char" => match self.arguments()?.as_deref() {
                None => "char(1)".to_string(),
                Some([n]) => format!("char({n})"),
                Some(_) => return Err("char takes one length".into()),
            },
            "decimal" => match self.arguments()?.as_deref() {
                None => "decimal(38,0)".to_string(),
                Some([p]) => format!("decimal({p},0)"),
                Some([p, s]) => format!("decimal({p},{s})"),
                Some(_) => return Err("decimal takes a precision and a scale".into()),
            },
            "timestamp" => {
                self.arguments()?;
                // `with time zone` has no Hive counterpart; Hive's timestamp
                // is the nearest.
                self.skip_spaces();
                let rest = &self.text[self.pos..];
                if rest.to_ascii_lowercase().starts_with("with time zone") {
                    self.pos += "with time zone".len();
                }
                "timestamp".to_string()
            }
            "array" => {
                self.expect('(')?;
                let item = self.parse_type()?;
                self.expect(')')?;
                format!("array<{item}>")
            }
            "map" => {
                self.expect('(')?;
                let key = self.parse_type()?;
                self.expect(',')?;
                let value = self.parse_type()?;
                self.expect(')')?;
                format!("map<{key},{value}>")
            }
            "row" => {
                self.expect('(')?;
                let mut fields = Vec::new();
                loop {
                    self.skip_spaces();
                    let name = self.field_name()?;
                    let field_type = self.parse_type()?;
                    fields.push(format!("{}:{field_type}", name.to_lowercase()));
                    self.skip_spaces();
                    if self.eat(')') {
                        break;
                    }
                    self.expect(',')?;
                }
                format!("struct<{}>", fields.join(","))
            }
            "" => return Err(format!("expected a type at offset {}", self.pos)),
            other => return Err(format!("{other} is not a Trino type lathe knows")),
        };
        Ok(hive)
    }

    /// `(n, m)` after a type name, if present.
    fn arguments(&mut self) -> Result<Option<Vec<String>>, String> {
        self.skip_spaces();
        if !self.eat('(') {
            return Ok(None);
        }
        let mut out = Vec::new();
        loop {
            self.skip_spaces();
            let n = self.word();
            if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("expected a number at offset {}", self.pos));
            }
            out.push(n);
            self.skip_spaces();
            if self.eat(')') {
                return Ok(Some(out));
            }
            self.expect(',')?;
        }
    }

    /// A row field's name: a bare word or a `"quoted"` one.
    fn field_name(&mut self) -> Result<String, String> {
        if self.eat('"') {
            let mut name = String::new();
            loop {
                let Some(c) = self.text[self.pos..].chars().next() else {
                    return Err("unterminated quoted field name".into());
                };
                self.pos += c.len_utf8();
                if c == '"' {
                    if self.eat('"') {
                        name.push('"');
                        continue;
                    }
                    return Ok(name);
                }
                name.push(c);
            }
        }
        let name = self.word();
        if name.is_empty() {
            return Err(format!("expected a field name at offset {}", self.pos));
        }
        Ok(name)
    }

    fn word(&mut self) -> String {
        let start = self.pos;
        while let Some(c) = self.text[self.pos..].chars().next() {
            if !(c.is_alphanumeric() || c == '_') {
                break;
            }
            self.pos += c.len_utf8();
        }
        self.text[start..self.pos].to_string()
    }

    fn skip_spaces(&mut self) {
        while self.text[self.pos..].starts_with(' ') {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_spaces();
        if self.text[self.pos..].starts_with(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected `{c}` at offset {}", self.pos))
        }
    }
}
