//! Turning what the model sends as an answer into the stored value, or a precise reason why not.
//!
//! Models send answers in many shapes ("500", "1,000", "yes", a label instead of a value, one string for a
//! multi-choice question). Where the meaning is unambiguous the value is normalised; otherwise the error names
//! what is wrong and what would be accepted, so the model can correct itself in one step.

use serde_json::Value;

use super::catalog::{Question, QuestionType};

/// Why an answer value was refused. The message is written for the model: what is wrong, what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValueError(pub String);

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn choice_list(q: &Question) -> String {
    q.choices.iter().map(|c| format!("{} ({})", c.value, c.label.en)).collect::<Vec<_>>().join(", ")
}

fn match_choice(q: &Question, s: &str) -> Option<String> {
    let t = s.trim();
    q.choices
        .iter()
        .find(|c| c.value == t)
        .or_else(|| q.choices.iter().find(|c| c.value.eq_ignore_ascii_case(t) || c.label.matches(t)))
        .map(|c| c.value.clone())
}

fn one_choice(q: &Question, s: &str) -> Result<String, ValueError> {
    if let Some(v) = match_choice(q, s) {
        return Ok(v);
    }
    let t = s.trim();
    if q.allow_other && !t.is_empty() {
        return Ok(t.to_owned());
    }
    Err(ValueError(format!("{s:?} is not one of the choices of {}; valid values: {}", q.id, choice_list(q))))
}

/// Validates `raw` against `question` and returns the value to store.
///
/// Stored shapes: text → string; single choice → the choice value (or the free text when `allow_other`);
/// multi choice → array of choice values (deduplicated, in the order given); number → number; boolean → bool.
pub fn normalize(question: &Question, raw: &Value) -> Result<Value, ValueError> {
    let q = question;
    if raw.is_null() {
        return Err(ValueError(format!(
            "no value given for {}; to leave it open, do not answer it (or answer with source \"assumption\")",
            q.id
        )));
    }
    match q.kind {
        QuestionType::Text => {
            let s = match raw {
                Value::String(s) => s.trim().to_owned(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                other => {
                    return Err(ValueError(format!("{} takes text, got {}", q.id, describe(other))));
                }
            };
            if s.is_empty() {
                return Err(ValueError(format!("{} takes text, got an empty string", q.id)));
            }
            let len = s.chars().count();
            if len > q.text_max_length() {
                return Err(ValueError(format!(
                    "{} takes at most {} characters, got {len}; summarise the answer",
                    q.id,
                    q.text_max_length()
                )));
            }
            Ok(Value::String(s))
        }
        QuestionType::SingleChoice => match raw {
            Value::String(s) => one_choice(q, s).map(Value::String),
            Value::Array(items) if items.len() == 1 => normalize(q, &items[0]),
            other => Err(ValueError(format!(
                "{} takes one choice value as a string, got {}; valid values: {}",
                q.id,
                describe(other),
                choice_list(q)
            ))),
        },
        QuestionType::MultiChoice => {
            let items: Vec<String> = match raw {
                Value::Array(items) => items
                    .iter()
                    .map(|i| match i {
                        Value::String(s) => Ok(s.clone()),
                        other => Err(ValueError(format!(
                            "{} takes an array of choice values (strings), found {} in it",
                            q.id,
                            describe(other)
                        ))),
                    })
                    .collect::<Result<_, _>>()?,
                Value::String(s) => {
                    // "a, b" is split when every part is a choice (or, with allow_other, when any part is);
                    // otherwise the string is one item.
                    let parts: Vec<String> = s.split([',', '、']).map(|p| p.trim().to_owned()).collect();
                    let matching = parts.iter().filter(|p| match_choice(q, p).is_some()).count();
                    if parts.len() > 1 && (matching == parts.len() || (q.allow_other && matching > 0)) {
                        parts
                    } else {
                        vec![s.clone()]
                    }
                }
                other => {
                    return Err(ValueError(format!(
                        "{} takes an array of choice values, got {}; valid values: {}",
                        q.id,
                        describe(other),
                        choice_list(q)
                    )));
                }
            };
            if items.is_empty() {
                return Err(ValueError(format!(
                    "{} needs at least one choice; valid values: {}",
                    q.id,
                    choice_list(q)
                )));
            }
            let mut out: Vec<Value> = Vec::with_capacity(items.len());
            for item in items {
                let v = Value::String(one_choice(q, &item)?);
                if !out.contains(&v) {
                    out.push(v);
                }
            }
            Ok(Value::Array(out))
        }
        QuestionType::Number => {
            let n = match raw {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => parse_number(s),
                _ => None,
            };
            let Some(n) = n.filter(|n| n.is_finite()) else {
                return Err(ValueError(format!("{} takes a number, got {}", q.id, short(raw))));
            };
            let spec = q.number.as_ref();
            if spec.is_some_and(|s| s.integer) && n.fract() != 0.0 {
                return Err(ValueError(format!("{} takes a whole number, got {n}", q.id)));
            }
            if let Some(min) = spec.and_then(|s| s.min)
                && n < min
            {
                return Err(ValueError(format!("{} must be at least {min}, got {n}", q.id)));
            }
            if let Some(max) = spec.and_then(|s| s.max)
                && n > max
            {
                return Err(ValueError(format!("{} must be at most {max}, got {n}", q.id)));
            }
            if n.fract() == 0.0 && n.abs() < 9.0e15 {
                #[allow(clippy::cast_possible_truncation)] // checked: whole and well inside i64
                return Ok(Value::from(n as i64));
            }
            Ok(serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number))
        }
        QuestionType::Boolean => match raw {
            Value::Bool(b) => Ok(Value::Bool(*b)),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "はい" | "必要" | "あり" => Ok(Value::Bool(true)),
                "false" | "no" | "n" | "いいえ" | "不要" | "なし" => Ok(Value::Bool(false)),
                _ => Err(ValueError(format!("{} takes true or false, got {}", q.id, short(raw)))),
            },
            other => Err(ValueError(format!("{} takes true or false, got {}", q.id, describe(other)))),
        },
    }
}

/// Parses a number written by a person: full-width digits (`１０００`), thousands separators only where they
/// group by three (`1,000` but not `1,5`, which is refused rather than guessed), `_` and spaces.
fn parse_number(s: &str) -> Option<f64> {
    let ascii: String = s
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (u32::from(c) - u32::from('０')) as u8),
            '，' => ',',
            '．' => '.',
            '－' | 'ー' => '-',
            other => other,
        })
        .filter(|c| !matches!(c, '_' | ' '))
        .collect();
    let (int_part, frac) = match ascii.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (ascii.as_str(), None),
    };
    let unsigned = int_part.strip_prefix('-').unwrap_or(int_part);
    if unsigned.contains(',') {
        let mut groups = unsigned.split(',');
        let first_ok = groups.next().is_some_and(|g| (1..=3).contains(&g.len()));
        if !first_ok || !groups.all(|g| g.len() == 3) {
            return None;
        }
    }
    let cleaned = match frac {
        Some(f) => format!("{}.{f}", int_part.replace(',', "")),
        None => int_part.replace(',', ""),
    };
    cleaned.parse::<f64>().ok()
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 { format!("{}…", s.chars().take(60).collect::<String>()) } else { s }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::hearing::catalog::Catalog;

    fn catalog() -> Catalog {
        Catalog::parse(
            r#"
schema_version: 1
categories:
  - { id: c, title: { ja: シー, en: C } }
questions:
  - { id: c.t, category: c, type: text, required: true, text: { ja: t, en: t }, max_length: 5 }
  - id: c.s
    category: c
    type: single_choice
    required: true
    text: { ja: s, en: s }
    choices:
      - { value: web_app, label: { ja: Webアプリ, en: Web application } }
      - { value: batch, label: { ja: バッチ, en: Batch } }
  - id: c.o
    category: c
    type: single_choice
    required: false
    allow_other: true
    text: { ja: o, en: o }
    choices:
      - { value: a, label: { ja: エー, en: A } }
      - { value: b, label: { ja: ビー, en: B } }
  - id: c.m
    category: c
    type: multi_choice
    required: true
    text: { ja: m, en: m }
    choices:
      - { value: x, label: { ja: エックス, en: Ex } }
      - { value: y, label: { ja: ワイ, en: Why } }
  - id: c.mo
    category: c
    type: multi_choice
    required: false
    allow_other: true
    text: { ja: mo, en: mo }
    choices:
      - { value: x, label: { ja: エックス, en: Ex } }
      - { value: y, label: { ja: ワイ, en: Why } }
  - { id: c.n, category: c, type: number, required: true, text: { ja: n, en: n }, number: { min: 0, max: 1000, integer: true } }
  - { id: c.f, category: c, type: number, required: false, text: { ja: f, en: f }, number: { min: 0, max: 100 } }
  - { id: c.b, category: c, type: boolean, required: true, text: { ja: b, en: b } }
"#,
        )
        .unwrap()
    }

    fn check(question: &str, input: Value, expect: Result<Value, &str>) {
        let c = catalog();
        let got = normalize(c.question(question).unwrap(), &input);
        match (got, expect) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{question} {input}"),
            (Err(e), Err(want)) => assert!(e.0.contains(want), "{question} {input}: {e} lacks {want:?}"),
            (got, want) => panic!("{question} {input}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn normalizes_or_explains() {
        check("c.t", json!("  hello "), Ok(json!("hello")));
        check("c.t", json!("toolong"), Err("at most 5 characters"));
        check("c.t", json!(""), Err("empty string"));
        check("c.t", json!(["a"]), Err("takes text, got an array"));
        check("c.t", json!(null), Err("no value given"));
        check("c.s", json!("web_app"), Ok(json!("web_app")));
        check("c.s", json!("WEB_APP"), Ok(json!("web_app")));
        check("c.s", json!("Webアプリ"), Ok(json!("web_app")));
        check("c.s", json!("web application"), Ok(json!("web_app")));
        check("c.s", json!(["batch"]), Ok(json!("batch")));
        check("c.s", json!("mainframe"), Err("valid values: web_app (Web application), batch (Batch)"));
        check("c.s", json!(3), Err("takes one choice value"));
        check("c.o", json!("something else"), Ok(json!("something else")));
        check("c.mo", json!("x, my own thing"), Ok(json!(["x", "my own thing"])));
        check("c.m", json!(["x", "y", "x"]), Ok(json!(["x", "y"])));
        check("c.m", json!("x, Why"), Ok(json!(["x", "y"])));
        check("c.m", json!("x"), Ok(json!(["x"])));
        check("c.m", json!([]), Err("at least one choice"));
        check("c.m", json!(["x", "z"]), Err("\"z\" is not one of the choices"));
        check("c.m", json!([1]), Err("found a number"));
        check("c.n", json!(500), Ok(json!(500)));
        check("c.n", json!("1,000"), Ok(json!(1000)));
        check("c.n", json!("１０００"), Ok(json!(1000)));
        check("c.n", json!("1,5"), Err("takes a number"));
        check("c.n", json!("12,34,567"), Err("takes a number"));
        check("c.f", json!("1,000.5"), Err("at most 100"));
        check("c.f", json!("２．５"), Ok(json!(2.5)));
        check("c.n", json!(1000.0), Ok(json!(1000)));
        check("c.n", json!(1001), Err("at most 1000"));
        check("c.n", json!(-1), Err("at least 0"));
        check("c.n", json!(1.5), Err("whole number"));
        check("c.n", json!("many"), Err("takes a number, got \"many\""));
        check("c.f", json!(99.9), Ok(json!(99.9)));
        check("c.b", json!(true), Ok(json!(true)));
        check("c.b", json!("はい"), Ok(json!(true)));
        check("c.b", json!("No"), Ok(json!(false)));
        check("c.b", json!("maybe"), Err("true or false"));
        check("c.b", json!(1), Err("true or false, got a number"));
    }
}
