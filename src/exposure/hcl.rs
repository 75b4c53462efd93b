//! A small reader of the HCL that Terraform files are written in: blocks (`resource "t"
//! "n" { … }`), attributes (`name = value`) and, of values, what the exposure checks need
//! (strings, heredocs, lists); any other expression is kept as its source text. It never
//! fails: what it cannot read it skips.

/// A value: a string literal, a list, or any other expression as written (`var.cidr`,
/// `22`, `aws_security_group.web.id`, `file("k.pub")`).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    List(Vec<Value>),
    Expr(String),
}

#[derive(Debug, Clone, Default)]
pub struct Block {
    pub kind: String,
    pub labels: Vec<String>,
    pub attrs: Vec<(String, Value)>,
    pub blocks: Vec<Block>,
    pub line: usize,
}

impl Block {
    pub fn attr(&self, name: &str) -> Option<&Value> {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

struct Reader<'a> {
    s: &'a [u8],
    i: usize,
    /// The line at `counted` (lines are counted as the reader moves on, never from the
    /// start again).
    line: usize,
    counted: usize,
}

/// The top-level blocks of a Terraform file.
pub fn parse(text: &[u8]) -> Vec<Block> {
    let mut r = Reader {
        s: text,
        i: 0,
        line: 1,
        counted: 0,
    };
    r.body(0).blocks
}

/// The top-level attributes of a file of them (`*.tfvars`: `name = value`).
pub fn parse_attrs(text: &[u8]) -> Vec<(String, Value)> {
    let mut r = Reader {
        s: text,
        i: 0,
        line: 1,
        counted: 0,
    };
    r.body(0).attrs
}

/// The attributes of an object written as an expression, `{ from_port = 22, cidr_blocks
/// = ["0.0.0.0/0"] }` (on one line or several).
pub fn parse_object(text: &str) -> Vec<(String, Value)> {
    let t = text.trim();
    let Some(inner) = t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) else {
        return Vec::new();
    };
    // Top-level commas separate attributes, as newlines do.
    let mut out = String::with_capacity(inner.len());
    let (mut depth, mut quoted, mut escaped) = (0i32, false, false);
    for c in inner.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '[' | '(' | '{' if !quoted => depth += 1,
            ']' | ')' | '}' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                out.push('\n');
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    parse_attrs(out.as_bytes())
}

/// The attributes of a JSON object (`*.tfvars.json`).
pub fn attrs_from_json(text: &[u8]) -> Vec<(String, Value)> {
    match serde_json::from_slice::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(m)) => {
            m.iter().map(|(k, v)| (k.clone(), json_value(v))).collect()
        }
        _ => Vec::new(),
    }
}

fn line_at(s: &[u8], i: usize) -> usize {
    1 + s[..i.min(s.len())].iter().filter(|&&b| b == b'\n').count()
}

impl Reader<'_> {
    /// The line `i` is on.
    fn line(&mut self) -> usize {
        let to = self.i.min(self.s.len());
        if to > self.counted {
            self.line += memchr::memchr_iter(b'\n', &self.s[self.counted..to]).count();
            self.counted = to;
        }
        self.line
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// Skips blanks and comments; newlines too when `newlines`.
    fn skip(&mut self, newlines: bool) {
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\r' => self.i += 1,
                b'\n' if newlines => self.i += 1,
                b'#' => self.skip_line(),
                b'/' if self.s.get(self.i + 1) == Some(&b'/') => self.skip_line(),
                b'/' if self.s.get(self.i + 1) == Some(&b'*') => {
                    self.i += 2;
                    while self.i < self.s.len() && !self.s[self.i..].starts_with(b"*/") {
                        self.i += 1;
                    }
                    self.i = (self.i + 2).min(self.s.len());
                }
                _ => break,
            }
        }
    }

    fn skip_line(&mut self) {
        while self.peek().is_some_and(|c| c != b'\n') {
            self.i += 1;
        }
    }

    fn ident(&mut self) -> Option<String> {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.')
        {
            self.i += 1;
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    /// A body, up to its closing `}` (consumed) or the end.
    fn body(&mut self, depth: usize) -> Block {
        let mut out = Block::default();
        loop {
            self.skip(true);
            let Some(c) = self.peek() else { break };
            if c == b'}' {
                self.i += 1;
                break;
            }
            let line = self.line();
            let Some(name) = self.ident() else {
                // Not something this reader knows: skip the line.
                self.i += 1;
                self.skip_line();
                continue;
            };
            self.skip(false);
            match self.peek() {
                Some(b'=') if self.s.get(self.i + 1) != Some(&b'=') => {
                    self.i += 1;
                    self.skip(false);
                    let v = self.value(false, 0);
                    out.attrs.push((name, v));
                }
                Some(b':') => {
                    // An object's `key: value`.
                    self.i += 1;
                    self.skip(false);
                    let v = self.value(false, 0);
                    out.attrs.push((name, v));
                }
                _ => {
                    let mut labels = Vec::new();
                    loop {
                        self.skip(false);
                        match self.peek() {
                            Some(b'"') => labels.push(self.string()),
                            Some(b'{') => break,
                            _ => match self.ident() {
                                Some(l) => labels.push(l),
                                None => break,
                            },
                        }
                    }
                    if self.peek() == Some(b'{') && depth < 64 {
                        self.i += 1;
                        let mut b = self.body(depth + 1);
                        b.kind = name;
                        b.labels = labels;
                        b.line = line;
                        out.blocks.push(b);
                    } else {
                        self.skip_line();
                    }
                }
            }
        }
        out
    }

    /// A quoted string (at its `"`), unescaped; interpolations kept as written.
    fn string(&mut self) -> String {
        self.i += 1;
        let mut out = Vec::new();
        let mut depth = 0usize;
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                b'\\' if depth == 0 => {
                    if let Some(n) = self.peek() {
                        self.i += 1;
                        out.push(match n {
                            b'n' => b'\n',
                            b't' => b'\t',
                            other => other,
                        });
                    }
                }
                b'"' if depth == 0 => break,
                b'$' if self.peek() == Some(b'{') => {
                    out.extend_from_slice(b"${");
                    self.i += 1;
                    depth += 1;
                }
                b'{' if depth > 0 => {
                    depth += 1;
                    out.push(c);
                }
                b'}' if depth > 0 => {
                    depth -= 1;
                    out.push(c);
                }
                b'\n' if depth == 0 => break,
                _ => out.push(c),
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// A value; `in_list`: inside `[ … ]`, where `,` and `]` end it. Lists nested deeper
    /// than 32 are kept as text (a hostile file cannot exhaust the stack).
    fn value(&mut self, in_list: bool, depth: usize) -> Value {
        match self.peek() {
            Some(b'[') if depth > 32 => Value::Expr(self.raw(in_list)),
            Some(b'"') => {
                let s = self.string();
                self.rest_of_expr(in_list, s)
            }
            Some(b'<') if self.s[self.i..].starts_with(b"<<") => self.heredoc(),
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.skip(true);
                    match self.peek() {
                        None => break,
                        Some(b']') => {
                            self.i += 1;
                            break;
                        }
                        Some(b',') => self.i += 1,
                        _ => {
                            let before = self.i;
                            items.push(self.value(true, depth + 1));
                            if self.i == before {
                                self.i += 1;
                            }
                        }
                    }
                }
                Value::List(items)
            }
            _ => Value::Expr(self.raw(in_list)),
        }
    }

    /// After a string: a plain string stays one; `"a" == b` and the like become text.
    fn rest_of_expr(&mut self, in_list: bool, s: String) -> Value {
        self.skip(false);
        match self.peek() {
            None | Some(b'\n' | b',' | b']' | b'}') => Value::Str(s),
            _ => Value::Expr(format!("\"{s}\" {}", self.raw(in_list))),
        }
    }

    /// An expression's source text, to the end of its line (or `,`/`]` in a list) at
    /// bracket depth 0.
    fn raw(&mut self, in_list: bool) -> String {
        let start = self.i;
        let mut depth = 0i32;
        while let Some(c) = self.peek() {
            match c {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' if depth > 0 => depth -= 1,
                b']' | b'}' => break,
                b',' if in_list && depth == 0 => break,
                b'\n' if depth == 0 => break,
                b'"' => {
                    self.string();
                    continue;
                }
                b'#' if depth == 0 => break,
                _ => {}
            }
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i])
            .trim()
            .to_string()
    }

    fn heredoc(&mut self) -> Value {
        self.i += 2;
        if self.peek() == Some(b'-') || self.peek() == Some(b'~') {
            self.i += 1;
        }
        let tag = self.ident().unwrap_or_default();
        self.skip_line();
        self.i = (self.i + 1).min(self.s.len());
        let start = self.i;
        let mut end = self.s.len();
        while self.i < self.s.len() {
            let ls = self.i;
            self.skip_line();
            let line = String::from_utf8_lossy(&self.s[ls..self.i]);
            self.i = (self.i + 1).min(self.s.len());
            if !tag.is_empty() && line.trim() == tag {
                end = ls;
                break;
            }
        }
        Value::Str(String::from_utf8_lossy(&self.s[start..end]).into_owned())
    }
}

/// Terraform's JSON syntax (`*.tf.json`) read into the same blocks: `resource` → type →
/// name → attributes, where an object or a list of objects is a nested block.
pub fn from_json(text: &[u8]) -> Vec<Block> {
    let Ok(serde_json::Value::Object(top)) = serde_json::from_slice::<serde_json::Value>(text)
    else {
        return Vec::new();
    };
    let src = String::from_utf8_lossy(text);
    let line_of = |name: &str| {
        src.find(&format!("\"{name}\""))
            .map_or(1, |i| line_at(text, i))
    };
    let mut out = Vec::new();
    for (kind, v) in &top {
        let labels_depth = if kind == "resource" || kind == "data" {
            2
        } else {
            1
        };
        let mut stack: Vec<(Vec<String>, &serde_json::Value)> = vec![(Vec::new(), v)];
        while let Some((labels, v)) = stack.pop() {
            let serde_json::Value::Object(m) = v else {
                continue;
            };
            if labels.len() == labels_depth {
                let mut b = json_block(m);
                b.kind = kind.clone();
                set_line(&mut b, line_of(labels.last().map_or("", |s| s.as_str())));
                b.labels = labels;
                out.push(b);
                continue;
            }
            for (k, v) in m {
                let mut l = labels.clone();
                l.push(k.clone());
                stack.push((l, v));
            }
        }
    }
    out
}

/// JSON has no lines worth keeping per nested object: a block and all inside it are at
/// the line of the block's name.
fn set_line(b: &mut Block, line: usize) {
    b.line = line;
    for inner in &mut b.blocks {
        set_line(inner, line);
    }
}

fn json_block(m: &serde_json::Map<String, serde_json::Value>) -> Block {
    use serde_json::Value as J;
    let mut b = Block::default();
    for (k, v) in m {
        match v {
            J::Object(o) => {
                let mut inner = json_block(o);
                inner.kind = k.clone();
                b.blocks.push(inner);
            }
            J::Array(items) if items.iter().all(J::is_object) && !items.is_empty() => {
                for it in items {
                    if let J::Object(o) = it {
                        let mut inner = json_block(o);
                        inner.kind = k.clone();
                        b.blocks.push(inner);
                    }
                }
            }
            other => b.attrs.push((k.clone(), json_value(other))),
        }
    }
    b
}

fn json_value(v: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match v {
        J::String(s) => match s.strip_prefix("${").and_then(|s| s.strip_suffix('}')) {
            Some(expr) if !expr.contains("${") => Value::Expr(expr.to_string()),
            _ => Value::Str(s.clone()),
        },
        J::Array(items) => Value::List(items.iter().map(json_value).collect()),
        other => Value::Expr(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_blocks_attributes_and_lists() {
        let text = br#"
# a comment
resource "aws_security_group" "web" {
  name = "web"   // trailing
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0", var.extra]
  }
  tags = { Name = "x" }
}
variable "cidr" {
  default = "0.0.0.0/0"
}
resource "aws_key_pair" "k" {
  public_key = <<EOF
ssh-ed25519 AAAA x
EOF
  key_name = "${var.env}-key"
}
"#;
        let b = parse(text);
        assert_eq!(b.len(), 3);
        assert_eq!(b[0].labels, ["aws_security_group", "web"]);
        assert_eq!(b[0].line, 3);
        let ing = &b[0].blocks[0];
        assert_eq!(ing.attr("from_port"), Some(&Value::Expr("22".into())));
        assert_eq!(
            ing.attr("cidr_blocks"),
            Some(&Value::List(vec![
                Value::Str("0.0.0.0/0".into()),
                Value::Expr("var.extra".into())
            ]))
        );
        assert_eq!(b[1].attr("default"), Some(&Value::Str("0.0.0.0/0".into())));
        assert_eq!(
            b[2].attr("public_key"),
            Some(&Value::Str("ssh-ed25519 AAAA x\n".into()))
        );
        assert_eq!(
            b[2].attr("key_name"),
            Some(&Value::Str("${var.env}-key".into()))
        );
    }
}
