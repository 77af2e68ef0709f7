//! A tiny HCL writer whose output is already in `terraform fmt` form.
//!
//! Only what the exporter needs: blocks with labels, attributes whose expressions fit on one line, nested
//! blocks and full-line comments. No heredocs. The layout rules are those of `terraform fmt` (hclwrite):
//!
//! - two spaces of indentation per level;
//! - consecutive single-line attributes form a chain whose `=` signs are aligned one space after the longest
//!   name; a comment line, a blank line or a nested block ends the chain;
//! - `terraform fmt` neither adds nor removes blank lines, so we choose them: one between top-level blocks,
//!   one between a run of attributes and a nested block, and one between nested blocks; a comment stays
//!   directly above what it describes;
//! - an empty block is written `name {}`; an empty list `[]`, an empty object `{}`;
//! - a string that is only `"${expr}"` is written as `expr` (fmt unwraps interpolation-only strings).
//!
//! Strings are escaped as HCL requires (`"`, `\`, control characters, and `${` / `%{` which would start a
//! template sequence); non-ASCII characters are kept as they are.

use std::fmt::Write as _;

/// An expression, rendered on one line.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A string literal (escaped when written).
    Str(String),
    /// An integer.
    Int(i64),
    /// A number (written without a trailing `.0` when whole).
    Num(f64),
    /// true / false.
    Bool(bool),
    /// null.
    Null,
    /// An expression written exactly as given: references, function calls, conditionals. The caller builds it
    /// in fmt form (`cidrsubnet(local.x, 8, 1)`, `a == b ? c : d`).
    Raw(String),
    /// `[a, b]`.
    List(Vec<Expr>),
    /// `{ key = value, ... }`: keys that are identifiers are written bare, others quoted.
    Object(Vec<(String, Expr)>),
    /// A string template: literal parts (escaped) and `${...}` interpolations (written as given).
    Template(Vec<Part>),
}

/// A piece of a string template.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Literal text.
    Lit(String),
    /// An interpolated expression, written inside `${` `}`.
    Interp(String),
}

impl Expr {
    /// A string literal.
    pub fn str(s: impl Into<String>) -> Expr {
        Expr::Str(s.into())
    }

    /// A raw expression (a reference, a call).
    pub fn raw(s: impl Into<String>) -> Expr {
        Expr::Raw(s.into())
    }

    /// A template; a template that is one interpolation becomes that expression (as `terraform fmt` does), and
    /// one without interpolations a plain string.
    pub fn template(parts: Vec<Part>) -> Expr {
        let parts: Vec<Part> =
            parts.into_iter().filter(|p| !matches!(p, Part::Lit(s) if s.is_empty())).collect();
        match parts.as_slice() {
            [] => Expr::Str(String::new()),
            [Part::Interp(e)] => Expr::Raw(e.clone()),
            _ if parts.iter().all(|p| matches!(p, Part::Lit(_))) => Expr::Str(
                parts
                    .iter()
                    .map(|p| match p {
                        Part::Lit(s) | Part::Interp(s) => s.as_str(),
                    })
                    .collect(),
            ),
            _ => Expr::Template(parts),
        }
    }

    /// A list of string literals.
    pub fn strs<S: AsRef<str>>(items: &[S]) -> Expr {
        Expr::List(items.iter().map(|s| Expr::Str(s.as_ref().to_owned())).collect())
    }

    fn write(&self, out: &mut String) {
        match self {
            Expr::Str(s) => {
                out.push('"');
                escape_into(s, out);
                out.push('"');
            }
            Expr::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Expr::Num(n) => {
                if n.is_finite() {
                    let _ = write!(out, "{n}");
                } else {
                    out.push_str("null");
                }
            }
            Expr::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Expr::Null => out.push_str("null"),
            Expr::Raw(s) => out.push_str(s),
            Expr::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Expr::Object(items) => {
                if items.is_empty() {
                    out.push_str("{}");
                    return;
                }
                out.push_str("{ ");
                for (i, (k, v)) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_key(k, out);
                    out.push_str(" = ");
                    v.write(out);
                }
                out.push_str(" }");
            }
            Expr::Template(parts) => {
                out.push('"');
                for p in parts {
                    match p {
                        Part::Lit(s) => escape_into(s, out),
                        Part::Interp(e) => {
                            out.push_str("${");
                            out.push_str(e);
                            out.push('}');
                        }
                    }
                }
                out.push('"');
            }
        }
    }

    /// The expression as text.
    pub fn render(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }
}

impl From<&str> for Expr {
    fn from(s: &str) -> Expr {
        Expr::Str(s.to_owned())
    }
}

impl From<String> for Expr {
    fn from(s: String) -> Expr {
        Expr::Str(s)
    }
}

impl From<bool> for Expr {
    fn from(b: bool) -> Expr {
        Expr::Bool(b)
    }
}

impl From<i64> for Expr {
    fn from(n: i64) -> Expr {
        Expr::Int(n)
    }
}

/// Whether `s` is an HCL identifier (ASCII subset: letter or `_` first, then letters, digits, `_`, `-`).
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn write_key(k: &str, out: &mut String) {
    // Keys with '-' are quoted too: `{ a-b = 1 }` would parse, but as a subtraction in some positions.
    if is_identifier(k) && !k.contains('-') {
        out.push_str(k);
    } else {
        out.push('"');
        escape_into(k, out);
        out.push('"');
    }
}

/// Escapes text for the inside of an HCL quoted string.
pub fn escape_into(s: &str, out: &mut String) {
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                // `$${` and `%%{` are the literal forms of `${` and `%{`.
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

/// One item of a body.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `name = expr`.
    Attr(String, Expr),
    /// A nested block.
    Block(Block),
    /// A full-line `# comment` (may hold several lines); it belongs to the item after it.
    Comment(String),
}

/// A block: `ident "label" ... { items }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// Block type (`resource`, `ingress_security_rules`).
    pub ident: String,
    /// Labels (quoted when written).
    pub labels: Vec<String>,
    /// Attributes, nested blocks and comments, in order.
    pub items: Vec<Item>,
}

impl Block {
    /// A block with labels.
    pub fn new(ident: &str, labels: &[&str]) -> Block {
        Block {
            ident: ident.to_owned(),
            labels: labels.iter().map(|l| (*l).to_owned()).collect(),
            items: Vec::new(),
        }
    }

    /// `resource "<ty>" "<name>"`.
    pub fn resource(ty: &str, name: &str) -> Block {
        Block::new("resource", &[ty, name])
    }

    /// `data "<ty>" "<name>"`.
    pub fn data(ty: &str, name: &str) -> Block {
        Block::new("data", &[ty, name])
    }

    /// Adds an attribute.
    pub fn attr(mut self, name: &str, value: impl Into<Expr>) -> Block {
        self.items.push(Item::Attr(name.to_owned(), value.into()));
        self
    }

    /// Adds an attribute when there is a value.
    pub fn attr_opt(self, name: &str, value: Option<impl Into<Expr>>) -> Block {
        match value {
            Some(v) => self.attr(name, v),
            None => self,
        }
    }

    /// Adds a nested block.
    pub fn block(mut self, b: Block) -> Block {
        self.items.push(Item::Block(b));
        self
    }

    /// Adds a comment line (or lines).
    pub fn comment(mut self, text: &str) -> Block {
        self.items.push(Item::Comment(text.to_owned()));
        self
    }

    /// Adds an item in place.
    pub fn push(&mut self, item: Item) {
        self.items.push(item);
    }

    /// The value of an attribute, if set.
    pub fn get(&self, name: &str) -> Option<&Expr> {
        self.items.iter().find_map(|i| match i {
            Item::Attr(n, e) if n == name => Some(e),
            _ => None,
        })
    }

    fn write(&self, depth: usize, out: &mut String) {
        indent(depth, out);
        out.push_str(&self.ident);
        for l in &self.labels {
            out.push_str(" \"");
            escape_into(l, out);
            out.push('"');
        }
        if self.items.is_empty() {
            out.push_str(" {}\n");
            return;
        }
        out.push_str(" {\n");
        write_items(&self.items, depth + 1, out);
        indent(depth, out);
        out.push_str("}\n");
    }
}

fn indent(depth: usize, out: &mut String) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// Items grouped into units: leading comments plus the item they describe.
fn units(items: &[Item]) -> Vec<(&[Item], bool)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, item) in items.iter().enumerate() {
        match item {
            Item::Comment(_) => {}
            Item::Attr(..) => {
                out.push((&items[start..=i], false));
                start = i + 1;
            }
            Item::Block(_) => {
                out.push((&items[start..=i], true));
                start = i + 1;
            }
        }
    }
    if start < items.len() {
        // Trailing comments: a unit of their own, spaced like a block.
        out.push((&items[start..], true));
    }
    out
}

fn write_items(items: &[Item], depth: usize, out: &mut String) {
    let units = units(items);
    // Alignment: a chain is a maximal run of consecutive attributes. Comments and blocks end a chain, and
    // blank lines are only ever written next to a block (below), so they never split a run of attributes.
    let mut widths = vec![0usize; items.len()];
    let mut start = 0;
    while start < items.len() {
        if !matches!(items[start], Item::Attr(..)) {
            start += 1;
            continue;
        }
        let mut end = start;
        let mut w = 0;
        while let Some(Item::Attr(name, _)) = items.get(end) {
            w = w.max(name.len());
            end += 1;
        }
        for slot in &mut widths[start..end] {
            *slot = w;
        }
        start = end;
    }
    let mut prev_is_block: Option<bool> = None;
    let mut offset = 0;
    for (unit, is_block) in &units {
        if let Some(prev) = prev_is_block
            && (prev || *is_block)
        {
            out.push('\n');
        }
        for (k, item) in unit.iter().enumerate() {
            match item {
                Item::Comment(text) => {
                    for line in text.lines() {
                        indent(depth, out);
                        if line.is_empty() {
                            out.push_str("#\n");
                        } else {
                            out.push_str("# ");
                            out.push_str(line.trim_end());
                            out.push('\n');
                        }
                    }
                }
                Item::Attr(name, expr) => {
                    indent(depth, out);
                    out.push_str(name);
                    for _ in name.len()..widths[offset + k] {
                        out.push(' ');
                    }
                    out.push_str(" = ");
                    expr.write(out);
                    out.push('\n');
                }
                Item::Block(b) => b.write(depth, out),
            }
        }
        offset += unit.len();
        prev_is_block = Some(*is_block);
    }
}

/// A whole file: top-level blocks (and comments), one blank line between blocks.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct File {
    /// Top-level items; attributes are not used at the top level of a Terraform file.
    pub items: Vec<Item>,
}

impl File {
    /// Adds a top-level block.
    pub fn push(&mut self, b: Block) {
        self.items.push(Item::Block(b));
    }

    /// Adds a comment above the next block.
    pub fn comment(&mut self, text: &str) {
        self.items.push(Item::Comment(text.to_owned()));
    }

    /// Whether nothing is in it.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The file's text: fmt-clean, ending with one newline.
    pub fn render(&self) -> String {
        let mut out = String::new();
        write_items(&self.items, 0, &mut out);
        out
    }
}
