//! A YAML tree that remembers where every node was written.
//!
//! Built from `saphyr-parser` events, so that every error in a map file can
//! name its line and column. Scalars stay text; the map loader decides what
//! each field means.

use std::collections::BTreeMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// Upper bound on nodes after alias expansion, against "billion laughs" input.
const MAX_NODES: usize = 1_000_000;

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// What a node holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// A scalar as written; `plain` is false when it was quoted.
    Scalar {
        /// The text.
        text: String,
        /// Unquoted.
        plain: bool,
    },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping in source order.
    Map(Vec<(Node, Node)>),
}

/// A node and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The content.
    pub kind: Kind,
    /// Where it starts.
    pub pos: Pos,
}

impl Node {
    /// True for a plain `null`, `~` or empty scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar { text, plain: true } if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// The scalar text, if this is a scalar.
    pub fn as_scalar(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// A word for the kind of node, for error messages.
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            _ if self.is_null() => "nothing",
            Kind::Scalar { .. } => "a scalar",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }
}

/// A YAML syntax error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where.
    pub pos: Pos,
    /// What.
    pub message: String,
}

fn pos(span: &Span) -> Pos {
    Pos { line: span.start.line() as u32, column: span.start.col() as u32 + 1 }
}

enum Frame {
    Seq(Pos, usize, Vec<Node>),
    Map(Pos, usize, Vec<(Node, Node)>, Option<Node>),
}

/// Parses the first document of `text`. An empty document is `None`.
pub fn parse(text: &str) -> Result<Option<Node>, SyntaxError> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: BTreeMap<usize, Node> = BTreeMap::new();
    let mut root: Option<Node> = None;
    let mut nodes = 0usize;
    let mut documents = 0usize;
    while let Some(ev) = parser.next_event() {
        let (ev, span) = ev.map_err(|e| SyntaxError {
            pos: Pos { line: e.marker().line() as u32, column: e.marker().col() as u32 + 1 },
            message: e.info().to_string(),
        })?;
        let p = pos(&span);
        let complete = match ev {
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => continue,
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(SyntaxError {
                        pos: p,
                        message: "a map file holds one YAML document; found a second `---`".into(),
                    });
                }
                continue;
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some(n) => {
                    nodes += count(n);
                    let mut n = n.clone();
                    n.pos = p;
                    n
                }
                None => return Err(SyntaxError { pos: p, message: "alias to an unknown anchor".into() }),
            },
            Event::Scalar(text, style, anchor, _) => {
                let n =
                    Node { kind: Kind::Scalar { text: text.into_owned(), plain: style == ScalarStyle::Plain }, pos: p };
                if anchor > 0 {
                    anchors.insert(anchor, n.clone());
                }
                n
            }
            Event::SequenceStart(anchor, _) => {
                stack.push(Frame::Seq(p, anchor, Vec::new()));
                continue;
            }
            Event::MappingStart(anchor, _) => {
                stack.push(Frame::Map(p, anchor, Vec::new(), None));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (n, anchor) = match stack.pop() {
                    Some(Frame::Seq(p, a, items)) => (Node { kind: Kind::Seq(items), pos: p }, a),
                    Some(Frame::Map(p, a, items, _)) => (Node { kind: Kind::Map(items), pos: p }, a),
                    None => return Err(SyntaxError { pos: p, message: "unbalanced YAML structure".into() }),
                };
                if anchor > 0 {
                    anchors.insert(anchor, n.clone());
                }
                n
            }
        };
        nodes += 1;
        if nodes > MAX_NODES {
            return Err(SyntaxError { pos: p, message: format!("document expands to more than {MAX_NODES} nodes") });
        }
        match stack.last_mut() {
            None => root = Some(complete),
            Some(Frame::Seq(_, _, items)) => items.push(complete),
            Some(Frame::Map(_, _, items, key)) => match key.take() {
                None => *key = Some(complete),
                Some(k) => items.push((k, complete)),
            },
        }
    }
    Ok(root)
}

fn count(n: &Node) -> usize {
    match &n.kind {
        Kind::Scalar { .. } => 1,
        Kind::Seq(items) => 1 + items.iter().map(count).sum::<usize>(),
        Kind::Map(items) => 1 + items.iter().map(|(k, v)| count(k) + count(v)).sum::<usize>(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let n = parse("a:\n  b: [1, 2]\n").unwrap().unwrap();
        let Kind::Map(items) = &n.kind else { panic!() };
        let (_, v) = &items[0];
        let Kind::Map(inner) = &v.kind else { panic!() };
        assert_eq!(inner[0].0.pos, Pos { line: 2, column: 3 });
        assert_eq!(inner[0].1.pos, Pos { line: 2, column: 6 });
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.pos.line >= 1, "{e:?}");
    }

    #[test]
    fn aliases_expand_and_are_bounded() {
        let n = parse("a: &x {p: 1}\nb: *x\n").unwrap().unwrap();
        let Kind::Map(items) = &n.kind else { panic!() };
        assert_eq!(items[1].1.kind, items[0].1.kind);
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..8 {
            let prev = if i == 0 { "a".to_string() } else { format!("b{}", i - 1) };
            bomb.push_str(&format!("b{i}: &b{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        assert!(parse(&bomb).unwrap_err().message.contains("more than"));
    }
}
