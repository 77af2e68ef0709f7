//! Keeping OCI results small for the model: `fields` projection, `max_results`, and a summary when a result is
//! still too large.
//!
//! A result is a list (`[...]`), a collection (`{"items": [...]}`, OCI's `*Collection` types) or a single object.
//! [`shape`] projects each item (or the object) onto the requested dot paths, cuts the list to `max_results`, and
//! when the JSON text is still over `max_chars`, replaces it with a summary: the count, the keys items have and as
//! many first items as fit. Field names match exactly, else ignoring case, `-` and `_` (the CLI prints
//! `display-name`, the API `displayName`).

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::{Map, Value};

use super::table::{closest_names, norm};

/// What the caller asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeOptions {
    /// Dot paths to keep (`id`, `displayName`, `shapeConfig.ocpus`); empty keeps everything.
    pub fields: Vec<String>,
    /// Most list items to return.
    pub max_results: Option<usize>,
    /// Largest JSON text (in characters) returned before summarising.
    pub max_chars: usize,
}

impl Default for ShapeOptions {
    fn default() -> Self {
        ShapeOptions { fields: Vec::new(), max_results: None, max_chars: 40_000 }
    }
}

/// The shaped result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shaped {
    /// The data (or, when summarised, `{"summary": ...}`).
    pub data: Value,
    /// Items in the result before `max_results` (lists and collections only).
    pub total_items: Option<usize>,
    /// Items returned.
    pub returned_items: Option<usize>,
    /// Whether items were cut or the result was summarised.
    pub truncated: bool,
    /// Whether `data` is a summary.
    pub summarized: bool,
    /// Requested fields that matched nothing, with the closest existing keys.
    pub unmatched_fields: Vec<String>,
    /// What was done and how to get more, for the model.
    pub note: Option<String>,
}

/// Where the items of a result are.
fn items_mut(value: &mut Value) -> Option<&mut Vec<Value>> {
    match value {
        Value::Array(a) => Some(a),
        Value::Object(m) => match m.get_mut("items") {
            Some(Value::Array(a)) => Some(a),
            _ => None,
        },
        _ => None,
    }
}

fn find_key<'a>(m: &'a Map<String, Value>, name: &str) -> Option<(&'a String, &'a Value)> {
    m.get_key_value(name).or_else(|| {
        let n = norm(name);
        m.iter().find(|(k, _)| norm(k) == n)
    })
}

/// Projects `value` onto `paths` (each a list of segments). Arrays along a path are mapped element-wise.
fn project(value: &Value, paths: &[Vec<&str>], matched: &mut BTreeSet<usize>, ids: &[usize]) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|v| project(v, paths, matched, ids)).collect()),
        Value::Object(m) => {
            let mut out = Map::new();
            // Group paths by their first segment.
            let mut done: BTreeSet<String> = BTreeSet::new();
            for path in paths {
                let Some(first) = path.first() else { continue };
                let Some((key, child)) = find_key(m, first) else { continue };
                if !done.insert(key.clone()) {
                    continue;
                }
                let same: Vec<(usize, Vec<&str>)> = paths
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.first().and_then(|f| find_key(m, f)).is_some_and(|(k, _)| k == key))
                    .map(|(j, p)| (j, p[1..].to_vec()))
                    .collect();
                if same.iter().any(|(_, rest)| rest.is_empty()) {
                    for (j, _) in &same {
                        matched.insert(ids[*j]);
                    }
                    out.insert(key.clone(), child.clone());
                    continue;
                }
                let rest: Vec<Vec<&str>> = same.iter().map(|(_, r)| r.clone()).collect();
                let rest_ids: Vec<usize> = same.iter().map(|(j, _)| ids[*j]).collect();
                let sub = project(child, &rest, matched, &rest_ids);
                let empty = matches!(&sub, Value::Object(o) if o.is_empty());
                if !empty {
                    out.insert(key.clone(), sub);
                }
            }
            Value::Object(out)
        }
        _ => Value::Null,
    }
}

/// Collects the keys seen in the first items (for suggestions and summaries).
fn sample_keys(value: &Value) -> Vec<String> {
    let mut keys: BTreeSet<String> = BTreeSet::new();
    let sample: Vec<&Value> = match value {
        Value::Array(a) => a.iter().take(20).collect(),
        Value::Object(m) => match m.get("items") {
            Some(Value::Array(a)) => a.iter().take(20).collect(),
            _ => vec![value],
        },
        _ => Vec::new(),
    };
    for item in sample {
        if let Value::Object(m) = item {
            keys.extend(m.keys().cloned());
        }
    }
    keys.into_iter().collect()
}

/// Applies `fields`, `max_results` and the size budget to a result.
pub fn shape(mut value: Value, options: &ShapeOptions) -> Shaped {
    let mut notes: Vec<String> = Vec::new();
    let mut unmatched_fields = Vec::new();
    let keys = sample_keys(&value);
    if !options.fields.is_empty() {
        let paths: Vec<Vec<&str>> =
            options.fields.iter().map(|f| f.split('.').filter(|s| !s.is_empty()).collect()).collect();
        let ids: Vec<usize> = (0..paths.len()).collect();
        let mut matched = BTreeSet::new();
        if let Some(items) = items_mut(&mut value) {
            for item in items.iter_mut() {
                let p = project(item, &paths, &mut matched, &ids);
                *item = p;
            }
        } else {
            value = project(&value, &paths, &mut matched, &ids);
        }
        for (i, f) in options.fields.iter().enumerate() {
            if !matched.contains(&i) {
                let first = f.split('.').next().unwrap_or(f);
                let close = closest_names(first, keys.iter().map(String::as_str), 3);
                unmatched_fields.push(if close.is_empty() {
                    f.clone()
                } else {
                    format!("{f} (did you mean {}?)", close.join(", "))
                });
            }
        }
        if !unmatched_fields.is_empty() {
            notes.push(format!("fields that matched nothing: {}", unmatched_fields.join("; ")));
        }
    }
    let mut total_items = None;
    let mut returned_items = None;
    let mut truncated = false;
    if let Some(items) = items_mut(&mut value) {
        total_items = Some(items.len());
        if let Some(max) = options.max_results
            && items.len() > max
        {
            items.truncate(max);
            truncated = true;
            notes.push(format!("showing the first {max} items; raise max_results for more"));
        }
        returned_items = Some(items.len());
    }
    let size = json_len(&value);
    let mut summarized = false;
    if size > options.max_chars {
        summarized = true;
        truncated = true;
        value = summarize(value, options.max_chars, &keys);
        notes.push(format!(
            "the result ({size} characters of JSON) is over the {} limit, so this is a summary; ask for fewer \
             fields (fields=[...]) or fewer items (max_results)",
            options.max_chars
        ));
        if let Some(n) = value.pointer("/summary/first_items").and_then(Value::as_array).map(Vec::len) {
            returned_items = Some(n);
        }
    }
    Shaped {
        data: value,
        total_items,
        returned_items,
        truncated,
        summarized,
        unmatched_fields,
        note: if notes.is_empty() { None } else { Some(notes.join(". ")) },
    }
}

fn json_len(v: &Value) -> usize {
    serde_json::to_string(v).map_or(usize::MAX, |s| s.chars().count())
}

/// Fields that identify an OCI resource, kept in summaries when items are large.
const IDENTIFYING: &[&str] = &[
    "id",
    "displayName",
    "display-name",
    "name",
    "lifecycleState",
    "lifecycle-state",
    "timeCreated",
    "time-created",
];

/// A summary within `budget` characters: the count, the item keys and as many first items as fit (whole when
/// small, else reduced to their identifying fields).
fn summarize(value: Value, budget: usize, keys: &[String]) -> Value {
    let items: Option<Vec<Value>> = match value {
        Value::Array(a) => Some(a),
        Value::Object(mut m) => match m.remove("items") {
            Some(Value::Array(a)) => Some(a),
            Some(other) => {
                m.insert("items".into(), other);
                return summarize_object(&m, budget);
            }
            None => return summarize_object(&m, budget),
        },
        other => {
            let text = other.to_string();
            let cut: String = text.chars().take(budget / 2).collect();
            return serde_json::json!({ "summary": { "kind": "value", "preview": cut } });
        }
    };
    let items = items.unwrap_or_default();
    let count = items.len();
    let overhead = 200 + keys.iter().map(|k| k.len() + 3).sum::<usize>();
    // Whole items when at least a few fit, else every item reduced to its identifying fields.
    let whole = fit(items.iter().take(50).cloned(), budget, overhead);
    let first = if whole.len() >= count.min(3) {
        whole
    } else {
        fit(items.iter().take(50).map(slim), budget, overhead)
    };
    serde_json::json!({ "summary": { "kind": "list", "count": count, "item_keys": keys, "first_items": first } })
}

/// As many values as fit in `budget` after `used` characters.
fn fit(values: impl Iterator<Item = Value>, budget: usize, mut used: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for v in values {
        let len = json_len(&v);
        if used + len + 1 > budget {
            break;
        }
        used += len + 1;
        out.push(v);
    }
    out
}

/// An item reduced to its identifying fields.
fn slim(item: &Value) -> Value {
    match item {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| IDENTIFYING.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn summarize_object(m: &Map<String, Value>, budget: usize) -> Value {
    let mut kept = Map::new();
    let mut used = 200;
    let mut large: Vec<String> = Vec::new();
    for (k, v) in m {
        let len = json_len(v) + k.len() + 4;
        if used + len <= budget / 2 {
            used += len;
            kept.insert(k.clone(), v.clone());
        } else {
            large.push(format!("{k} ({len} chars)"));
        }
    }
    serde_json::json!({ "summary": { "kind": "object", "keys": m.keys().collect::<Vec<_>>(), "small_fields": kept, "large_fields": large } })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn opts(fields: &[&str], max_results: Option<usize>, max_chars: usize) -> ShapeOptions {
        ShapeOptions { fields: fields.iter().map(|s| (*s).to_owned()).collect(), max_results, max_chars }
    }

    fn instances(n: usize) -> Value {
        Value::Array(
            (0..n)
                .map(|i| {
                    json!({"id": format!("ocid1.instance.{i}"), "displayName": format!("vm-{i}"), "lifecycleState": "RUNNING",
                           "shapeConfig": {"ocpus": 2, "memoryInGBs": 16}, "metadata": {"user_data": "x".repeat(200)},
                           "vnics": [{"ip": "10.0.0.1", "mac": "aa"}, {"ip": "10.0.0.2", "mac": "bb"}]})
                })
                .collect(),
        )
    }

    /// (input, options) → expected data (or a check on the shaped result).
    fn check(input: Value, options: ShapeOptions, expect: Value) {
        let got = shape(input, &options);
        assert_eq!(got.data, expect, "{options:?}");
    }

    #[test]
    fn projects_fields() {
        check(
            instances(2),
            opts(&["id", "shapeConfig.ocpus"], None, 10_000),
            json!([
                {"id": "ocid1.instance.0", "shapeConfig": {"ocpus": 2}},
                {"id": "ocid1.instance.1", "shapeConfig": {"ocpus": 2}},
            ]),
        );
        // Case and separators do not matter; arrays along a path are mapped.
        check(
            instances(1),
            opts(&["display-name", "vnics.ip"], None, 10_000),
            json!([
                {"displayName": "vm-0", "vnics": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}]},
            ]),
        );
        // Collections keep their shape; single objects are projected too.
        check(
            json!({"items": [{"id": "a", "x": 1}], "nextPage": null}),
            opts(&["id"], None, 10_000),
            json!({"items": [{"id": "a"}], "nextPage": null}),
        );
        check(
            json!({"id": "a", "x": {"y": 1, "z": 2}}),
            opts(&["x.z"], None, 10_000),
            json!({"x": {"z": 2}}),
        );
        check(json!({"id": "a", "x": {"y": 1}}), opts(&["x", "x.y"], None, 10_000), json!({"x": {"y": 1}}));
    }

    #[test]
    fn reports_unmatched_fields_with_suggestions() {
        let got = shape(instances(2), &opts(&["id", "displayNam", "nothing_like_it"], None, 10_000));
        assert_eq!(
            got.unmatched_fields,
            vec!["displayNam (did you mean displayName?)".to_owned(), "nothing_like_it".to_owned()]
        );
        assert!(got.note.unwrap().contains("matched nothing"));
    }

    #[test]
    fn max_results_cuts_and_counts() {
        let got = shape(instances(10), &opts(&["id"], Some(3), 10_000));
        assert_eq!(
            (got.total_items, got.returned_items, got.truncated, got.summarized),
            (Some(10), Some(3), true, false)
        );
        assert_eq!(got.data.as_array().unwrap().len(), 3);
        let got = shape(instances(2), &opts(&[], Some(3), 100_000));
        assert_eq!(
            (got.total_items, got.returned_items, got.truncated, got.note),
            (Some(2), Some(2), false, None)
        );
        let got = shape(json!({"items": (0..5).collect::<Vec<_>>()}), &opts(&[], Some(2), 1000));
        assert_eq!(got.data, json!({"items": [0, 1]}));
    }

    #[test]
    fn summarizes_large_results_within_budget() {
        let got = shape(instances(500), &opts(&[], None, 4_000));
        assert!(got.summarized && got.truncated);
        let s = &got.data["summary"];
        assert_eq!((s["kind"].as_str(), s["count"].as_u64()), (Some("list"), Some(500)));
        assert!(s["item_keys"].as_array().unwrap().iter().any(|k| k == "displayName"));
        let first = s["first_items"].as_array().unwrap();
        assert!(!first.is_empty());
        assert!(serde_json::to_string(&got.data).unwrap().len() <= 4_000);
        assert_eq!(got.returned_items, Some(first.len()));
        assert!(got.note.unwrap().contains("max_results"));
        // Items too big to show whole are reduced to identifying fields.
        let got = shape(instances(50), &opts(&[], None, 1_500));
        let first = got.data["summary"]["first_items"].as_array().unwrap();
        assert!(first[0].get("metadata").is_none() && first[0].get("id").is_some(), "{first:?}");
        // A big single object keeps its small fields and names the large ones.
        let big = json!({"id": "x", "blob": "y".repeat(10_000)});
        let got = shape(big, &opts(&[], None, 1_000));
        assert_eq!(got.data["summary"]["small_fields"], json!({"id": "x"}));
        assert!(got.data["summary"]["large_fields"][0].as_str().unwrap().starts_with("blob"));
        // A big scalar gets a preview.
        let got = shape(json!("z".repeat(5_000)), &opts(&[], None, 1_000));
        assert_eq!(got.data["summary"]["kind"], "value");
    }
}
