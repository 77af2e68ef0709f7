//! The rule engine: indexes a design once, then evaluates every rule against it.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::format::{
    AggregateCheck, Check, CidrCheck, ComponentMatch, Expr, Factor, GroupBy, Predicate, PredicateSpec,
    RegionFilter, RuleDef, Scope, Side, SubjectKind, WhenMissing,
};
use super::load::RuleSet;
use super::net::{self, Cidr, IngressRule};
use super::regions::{Region, RegionTable};
use super::{Finding, Summary, Validation};
use crate::architecture::{Architecture, Component, Connection};
use crate::catalog::ServiceCatalog;
use crate::locale::Locale;

const SUBNET: &str = "subnet";
const VCN: &str = "vcn";

/// The design, indexed once for all rules.
struct Index<'a> {
    comps: &'a [Component],
    links: &'a [Connection],
    by_id: HashMap<&'a str, usize>,
    by_service: HashMap<&'a str, Vec<usize>>,
    parent: Vec<Option<usize>>,
    vcn: Vec<Option<usize>>,
    subnet: Vec<Option<usize>>,
    /// (vcn, service) → components in that VCN.
    in_vcn: HashMap<(usize, &'a str), Vec<usize>>,
    /// (subnet, service) → components in that subnet.
    in_subnet: HashMap<(usize, &'a str), Vec<usize>>,
    /// Resolved connections: (connection index, from, to).
    conns: Vec<(usize, usize, usize)>,
    out: Vec<Vec<usize>>,
    inc: Vec<Vec<usize>>,
    /// (target, attribute) → components whose attribute names the target.
    refs: HashMap<(usize, &'a str), Vec<usize>>,
    cidr: Vec<Option<Cidr>>,
    region_id: Option<&'a str>,
    region: Option<&'a Region>,
    table: &'a RegionTable,
    /// Per component: its catalog service (for attribute defaults).
    services: Vec<Option<&'a crate::catalog::Service>>,
}

impl<'a> Index<'a> {
    fn new(arch: &'a Architecture, table: &'a RegionTable, catalog: &'a ServiceCatalog) -> Index<'a> {
        let comps = arch.components.as_slice();
        let n = comps.len();
        let mut by_id = HashMap::with_capacity(n);
        let mut by_service: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, c) in comps.iter().enumerate() {
            by_id.entry(c.id.as_str()).or_insert(i);
            by_service.entry(c.service.as_str()).or_default().push(i);
        }
        let parent: Vec<Option<usize>> = comps
            .iter()
            .enumerate()
            .map(|(i, c)| {
                c.placement.as_ref().and_then(|p| by_id.get(p.as_str()).copied()).filter(|&p| p != i)
            })
            .collect();
        let mut vcn = vec![None; n];
        let mut subnet = vec![None; n];
        for i in 0..n {
            if comps[i].service == SUBNET {
                subnet[i] = Some(i);
            } else if let Some(p) = parent[i]
                && comps[p].service == SUBNET
            {
                subnet[i] = Some(p);
            }
            // Walk up (bounded: a broken design may have cycles).
            let mut cur = Some(i);
            for _ in 0..8 {
                let Some(c) = cur else { break };
                if comps[c].service == VCN {
                    vcn[i] = Some(c);
                    break;
                }
                cur = parent[c];
            }
        }
        let mut in_vcn: HashMap<(usize, &str), Vec<usize>> = HashMap::new();
        let mut in_subnet: HashMap<(usize, &str), Vec<usize>> = HashMap::new();
        for (i, c) in comps.iter().enumerate() {
            if let Some(v) = vcn[i] {
                in_vcn.entry((v, c.service.as_str())).or_default().push(i);
            }
            if let Some(s) = subnet[i]
                && s != i
            {
                in_subnet.entry((s, c.service.as_str())).or_default().push(i);
            }
        }
        let mut conns = Vec::with_capacity(arch.connections.len());
        let mut out = vec![Vec::new(); n];
        let mut inc = vec![Vec::new(); n];
        for (ci, c) in arch.connections.iter().enumerate() {
            if let (Some(&f), Some(&t)) = (by_id.get(c.from.as_str()), by_id.get(c.to.as_str())) {
                conns.push((ci, f, t));
                out[f].push(t);
                inc[t].push(f);
            }
        }
        let mut refs: HashMap<(usize, &str), Vec<usize>> = HashMap::new();
        for (i, c) in comps.iter().enumerate() {
            for (k, v) in &c.config {
                if let Some(s) = v.as_str()
                    && let Some(&t) = by_id.get(s)
                    && t != i
                {
                    refs.entry((t, k.as_str())).or_default().push(i);
                }
            }
        }
        let cidr = comps.iter().map(|c| c.config_str("cidr").and_then(Cidr::parse)).collect();
        let region_id = arch.region.as_deref();
        Index {
            comps,
            links: &arch.connections,
            by_id,
            by_service,
            parent,
            vcn,
            subnet,
            in_vcn,
            in_subnet,
            conns,
            out,
            inc,
            refs,
            cidr,
            region_id,
            region: region_id.and_then(|r| table.region(r)),
            table,
            services: comps.iter().map(|c| catalog.service(&c.service)).collect(),
        }
    }

    /// A configuration value, or the catalog's default when the design does not set it.
    fn value(&self, i: usize, attr: &str) -> Option<&'a Value> {
        self.comps[i]
            .config
            .get(attr)
            .or_else(|| self.services[i].and_then(|s| s.attribute(attr)).and_then(|a| a.default.as_ref()))
    }

    fn candidates(&self, services: Option<&super::format::Services>) -> Vec<usize> {
        let ids = services.map(super::format::Services::ids).unwrap_or_default();
        if ids.is_empty() {
            return (0..self.comps.len()).collect();
        }
        let mut out: Vec<usize> =
            ids.iter().filter_map(|s| self.by_service.get(s)).flatten().copied().collect();
        if ids.len() > 1 {
            out.sort_unstable();
            out.dedup();
        }
        out
    }

    fn matches(&self, i: usize, m: &ComponentMatch) -> bool {
        let c = &self.comps[i];
        m.service.as_ref().is_none_or(|s| s.contains(&c.service))
            && m.config.iter().all(|(k, p)| p.0.eval(self.value(i, k)) == Some(true))
            && m.parent.as_ref().is_none_or(|pm| self.parent[i].is_some_and(|p| self.matches(p, pm)))
    }

    fn region_matches(&self, f: &RegionFilter) -> bool {
        let Some(r) = self.region else { return false };
        let ok =
            |p: &Option<Predicate>, v: Value| p.as_ref().is_none_or(|p| p.0.eval(Some(&v)) == Some(true));
        ok(&f.id, Value::from(r.id.as_str()))
            && ok(&f.ads, Value::from(r.ads))
            && ok(&f.realm, Value::from(r.realm.as_str()))
    }

    /// The subnet a check names: `self`, `parent` or a component attribute.
    fn subnet_of(&self, i: usize, how: &str) -> Option<usize> {
        let s = match how {
            "self" => Some(i),
            "parent" => self.subnet[i],
            attr => self.comps[i].config_str(attr).and_then(|id| self.by_id.get(id).copied()),
        }?;
        (self.comps[s].service == SUBNET).then_some(s)
    }

    fn vcn_cidr(&self, i: usize) -> Option<Cidr> {
        self.vcn[i].and_then(|v| self.cidr[v])
    }

    fn eval_expr(&self, i: usize, e: &Expr, missing_is_zero: bool) -> Option<f64> {
        let mut total = 0.0;
        for term in &e.terms {
            let mut product = 1.0;
            for f in term {
                product *= match f {
                    Factor::Num(n) => *n,
                    Factor::Attr(a) => match self.value(i, a).and_then(number) {
                        Some(n) => n,
                        None if missing_is_zero => 0.0,
                        None => return None,
                    },
                };
            }
            total += product;
        }
        total.is_finite().then_some(total)
    }
}

/// A number from a JSON value (numbers, numeric strings).
fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Whether `hay` contains `needle`, ignoring ASCII case (no allocation).
fn contains_ci(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), _) | (_, Value::Number(_)) => match (number(a), number(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
        (Value::Bool(x), Value::String(s)) | (Value::String(s), Value::Bool(x)) => {
            s.eq_ignore_ascii_case(&x.to_string())
        }
        _ => a == b,
    }
}

fn len_of(v: &Value) -> Option<usize> {
    match v {
        Value::String(s) => Some(s.chars().count()),
        Value::Array(a) => Some(a.len()),
        _ => None,
    }
}

impl PredicateSpec {
    fn only_exists(&self) -> bool {
        self.equals.is_none()
            && self.not_equals.is_none()
            && self.one_of.is_none()
            && self.not_in.is_none()
            && self.gt.is_none()
            && self.gte.is_none()
            && self.lt.is_none()
            && self.lte.is_none()
            && self.contains.is_none()
            && self.not_contains.is_none()
            && self.forbidden_chars.is_none()
            && self.chars.is_none()
            && self.max_length.is_none()
            && self.min_length.is_none()
    }

    /// Some(true/false), or None when the value is missing (unknown) and the predicate needs one.
    pub(crate) fn eval(&self, value: Option<&Value>) -> Option<bool> {
        let value = value.filter(|v| !v.is_null());
        if let Some(e) = self.exists
            && value.is_some() != e
        {
            return Some(false);
        }
        let Some(v) = value else {
            return if self.exists.is_some() && self.only_exists() { Some(true) } else { None };
        };
        let num = number(v);
        let cmp = |bound: Option<f64>, ok: fn(f64, f64) -> bool| {
            bound.is_none_or(|b| num.is_some_and(|n| ok(n, b)))
        };
        let text = v.as_str();
        let contains = |needle: &Value| match v {
            Value::Array(items) => items.iter().any(|i| loose_eq(i, needle)),
            Value::String(s) => needle.as_str().is_some_and(|n| s.contains(n)),
            _ => false,
        };
        let ok = self.equals.as_ref().is_none_or(|e| loose_eq(v, e))
            && self.not_equals.as_ref().is_none_or(|e| !loose_eq(v, e))
            && self.one_of.as_ref().is_none_or(|l| l.iter().any(|e| loose_eq(v, e)))
            && self.not_in.as_ref().is_none_or(|l| !l.iter().any(|e| loose_eq(v, e)))
            && cmp(self.gt, |n, b| n > b)
            && cmp(self.gte, |n, b| n >= b)
            && cmp(self.lt, |n, b| n < b)
            && cmp(self.lte, |n, b| n <= b)
            && self.contains.as_ref().is_none_or(contains)
            && self.not_contains.as_ref().is_none_or(|n| !contains(n))
            && self
                .forbidden_chars
                .as_ref()
                .is_none_or(|f| text.is_none_or(|t| !t.chars().any(|c| f.contains(c))))
            && self.chars.as_ref().is_none_or(|r| {
                text.is_none_or(|t| {
                    t.chars().all(|c| {
                        (r.letters && (c.is_ascii_lowercase() || (!r.lowercase && c.is_ascii_uppercase())))
                            || (r.digits && c.is_ascii_digit())
                            || r.other.contains(c)
                    }) && (!r.starts_with_letter || t.starts_with(|c: char| c.is_ascii_alphabetic()))
                })
            })
            && self.max_length.is_none_or(|m| len_of(v).is_none_or(|l| l <= m))
            && self.min_length.is_none_or(|m| len_of(v).is_none_or(|l| l >= m));
        Some(ok)
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(show).collect::<Vec<_>>().join(", "),
        Value::Number(_) => number(v).map_or_else(|| v.to_string(), fmt_num),
        other => other.to_string(),
    }
}

fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        // Whole and small: print without a fraction.
        #[allow(clippy::cast_possible_truncation)]
        let i = n as i64;
        i.to_string()
    } else {
        format!("{:.2}", n).trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// Values a message may use.
#[derive(Default, Clone)]
struct Vars {
    value: Option<String>,
    limit: Option<String>,
    attribute: Option<String>,
    subnet: Option<String>,
    vcn: Option<String>,
    required: Option<String>,
    count: Option<String>,
}

/// One finding before rendering: the components (subject first) and the values.
struct Hit {
    subject: Option<usize>,
    peer: Option<usize>,
    components: Vec<usize>,
    vars: Vars,
}

struct Eval<'a, 'b> {
    ix: &'b Index<'a>,
    catalog: &'b ServiceCatalog,
    locale: Locale,
}

impl Eval<'_, '_> {
    fn hit(&self, subject: usize, peer: Option<usize>, extra: &[usize], vars: Vars) -> Hit {
        let mut components = vec![subject];
        components.extend(peer);
        components.extend(extra.iter().copied().filter(|e| *e != subject && Some(*e) != peer));
        Hit { subject: Some(subject), peer, components, vars }
    }

    fn rule(&self, def: &RuleDef) -> Vec<Hit> {
        let ix = self.ix;
        let m = &def.matcher;
        if m.region.as_ref().is_some_and(|f| !ix.region_matches(f)) {
            return Vec::new();
        }
        let mut hits = Vec::new();
        match m.kind() {
            SubjectKind::Design => match &def.check {
                None => hits.push(Hit {
                    subject: None,
                    peer: None,
                    components: Vec::new(),
                    vars: Vars::default(),
                }),
                Some(check) => {
                    if let Some(h) = self.region_check(check, None) {
                        hits.push(Hit { subject: None, peer: None, components: Vec::new(), vars: h });
                    }
                }
            },
            SubjectKind::Component => {
                let cm = m.component();
                let matched: Vec<usize> =
                    ix.candidates(cm.service.as_ref()).into_iter().filter(|&i| ix.matches(i, &cm)).collect();
                match &def.check {
                    Some(c) if c.count.is_some() || c.sum.is_some() => {
                        if let Some(a) = c.count.as_ref().or(c.sum.as_ref()) {
                            self.aggregate(a, c.sum.is_some(), &matched, &mut hits);
                        }
                    }
                    Some(Check { cidr: Some(cc), .. }) => self.cidr(cc, &matched, &mut hits),
                    check => {
                        for i in matched {
                            self.check(check.as_ref(), i, None, &mut hits);
                        }
                    }
                }
            }
            SubjectKind::Connection => {
                let Some(cm) = &m.connection else { return hits };
                for &(ci, f, t) in &ix.conns {
                    let conn = &ix.links[ci];
                    let port = conn.port.map(Value::from);
                    let proto = conn.protocol.as_deref().map(Value::from);
                    if !(ix.matches(f, &cm.from)
                        && ix.matches(t, &cm.to)
                        && cm.port.as_ref().is_none_or(|p| p.0.eval(port.as_ref()) == Some(true))
                        && cm.protocol.as_ref().is_none_or(|p| p.0.eval(proto.as_ref()) == Some(true)))
                    {
                        continue;
                    }
                    let side = def.check.as_ref().and_then(|c| c.on).unwrap_or_default();
                    let (subject, peer) = match side {
                        Side::From => (f, t),
                        Side::To => (t, f),
                    };
                    let before = hits.len();
                    self.check(def.check.as_ref(), subject, Some(peer), &mut hits);
                    // A connection's findings always name both ends, from first.
                    for h in &mut hits[before..] {
                        let rest: Vec<usize> =
                            h.components.iter().copied().filter(|x| *x != f && *x != t).collect();
                        h.components = [f, t].into_iter().chain(rest).collect();
                    }
                }
            }
        }
        hits
    }

    fn check(&self, check: Option<&Check>, i: usize, peer: Option<usize>, hits: &mut Vec<Hit>) {
        let ix = self.ix;
        let c = &ix.comps[i];
        let Some(check) = check else {
            hits.push(self.hit(i, peer, &[], Vars::default()));
            return;
        };
        if let Some(cfg) = &check.config {
            for (attr, p) in cfg {
                let v = ix.value(i, attr);
                if p.0.eval(v) == Some(false) {
                    let vars = Vars {
                        attribute: Some(attr.clone()),
                        value: Some(v.map_or_else(|| "-".to_owned(), show)),
                        ..Vars::default()
                    };
                    hits.push(self.hit(i, peer, &[], vars));
                    return;
                }
            }
        }
        if let Some(n) = &check.numeric {
            let Some(mut v) = ix.eval_expr(i, &n.value, false) else { return };
            if let Some(per) = &n.per {
                match ix.eval_expr(i, per, false) {
                    Some(d) if d != 0.0 => v /= d,
                    _ => return,
                }
            }
            let bound = n.min.filter(|m| v < *m).or(n.max.filter(|m| v > *m));
            if let Some(b) = bound {
                let vars = Vars { value: Some(fmt_num(v)), limit: Some(fmt_num(b)), ..Vars::default() };
                hits.push(self.hit(i, peer, &[], vars));
            }
        }
        if let Some(p) = &check.placement {
            let target = if p.via == "parent" {
                ix.parent[i]
            } else {
                c.config_str(&p.via).and_then(|id| ix.by_id.get(id).copied())
            };
            match target {
                None if p.when_missing == WhenMissing::Fail => {
                    let vars = Vars {
                        attribute: Some(p.via.clone()),
                        value: Some("-".to_owned()),
                        ..Vars::default()
                    };
                    hits.push(self.hit(i, peer, &[], vars));
                }
                None => {}
                Some(t) if !ix.matches(t, &p.target) => {
                    let id = ix.comps[t].id.to_string();
                    let vars = Vars {
                        attribute: Some(p.via.clone()),
                        value: Some(id.clone()),
                        subnet: (ix.comps[t].service == SUBNET).then_some(id),
                        ..Vars::default()
                    };
                    hits.push(self.hit(i, peer, &[t], vars));
                }
                Some(_) => {}
            }
        }
        if let Some(r) = &check.requires {
            let alts = r.alternatives();
            let found = alts.iter().any(|alt| self.find_companion(i, r.scope, r.attribute.as_deref(), alt));
            let unknown_scope = match r.scope {
                Scope::SameVcn => ix.vcn[i].is_none(),
                Scope::SameSubnet => ix.subnet[i].is_none(),
                _ => false,
            };
            if !found && !unknown_scope {
                let required = alts
                    .iter()
                    .map(|a| a.service.as_ref().map(|s| s.ids().join("/")).unwrap_or_else(|| "*".to_owned()))
                    .map(|s| self.label_of(&s))
                    .collect::<Vec<_>>()
                    .join(match self.locale {
                        Locale::Ja => " または ",
                        Locale::En => " or ",
                    });
                let vars = Vars {
                    required: Some(required),
                    vcn: ix.vcn[i].map(|v| ix.comps[v].id.to_string()),
                    subnet: ix.subnet[i].map(|s| ix.comps[s].id.to_string()),
                    ..Vars::default()
                };
                hits.push(self.hit(i, peer, &[], vars));
            }
        }
        if let Some(ing) = &check.ingress
            && let Some(s) = ix.subnet_of(i, &ing.subnet)
        {
            let raw: Vec<&str> = match ix.comps[s].config.get("ingress") {
                Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
                Some(Value::String(one)) => one.split(',').map(str::trim).filter(|x| !x.is_empty()).collect(),
                _ => Vec::new(),
            };
            let parsed: Vec<IngressRule> = raw.iter().filter_map(|r| IngressRule::parse(r)).collect();
            let vcn = ix.vcn_cidr(s);
            let peer_cidr = peer
                .and_then(|p| ix.subnet[p])
                .and_then(|ps| ix.cidr[ps])
                .or(peer.and_then(|p| ix.vcn_cidr(p)));
            let mut bad: Vec<String> = Vec::new();
            if ing.well_formed {
                bad.extend(raw.iter().filter(|r| IngressRule::parse(r).is_none()).map(|r| (*r).to_owned()));
            }
            bad.extend(
                ing.allow
                    .iter()
                    .filter(|a| !net::allows(&parsed, &a.rule, vcn, peer_cidr))
                    .map(|a| a.text.clone()),
            );
            for f in &ing.forbid {
                for r in &raw {
                    if let Some(pr) = IngressRule::parse(r)
                        && net::first_admitting(std::slice::from_ref(&pr), &f.rule, vcn).is_some()
                        && !bad.iter().any(|b| b == r)
                    {
                        bad.push((*r).to_owned());
                    }
                }
            }
            if !bad.is_empty() {
                let vars = Vars {
                    value: Some(bad.join(", ")),
                    subnet: Some(ix.comps[s].id.to_string()),
                    ..Vars::default()
                };
                hits.push(self.hit(i, peer, &[s], vars));
            }
        }
        if check.region.is_some()
            && let Some(vars) = self.region_check(check, Some(i))
        {
            hits.push(self.hit(i, peer, &[], vars));
        }
        if let Some(cap) = &check.subnet_capacity
            && let Some(s) = ix.subnet_of(i, &cap.subnet)
            && let Some(block) = ix.cidr[s]
            && let Some(needed) = ix.eval_expr(i, &cap.needed, false)
        {
            #[allow(clippy::cast_precision_loss)]
            let usable = block.size().saturating_sub(cap.reserved) as f64;
            if needed > usable {
                let vars = Vars {
                    value: Some(fmt_num(needed)),
                    limit: Some(fmt_num(usable)),
                    subnet: Some(ix.comps[s].id.to_string()),
                    ..Vars::default()
                };
                hits.push(self.hit(i, peer, &[s], vars));
            }
        }
        if let Some(sec) = &check.secrets {
            let text_hit = |t: &str| sec.value_patterns.iter().any(|p| contains_ci(t, p));
            let mut found: Option<String> = text_hit(&c.name).then(|| "name".to_owned());
            for (k, v) in &c.config {
                if found.is_some() {
                    break;
                }
                let has_value = !v.is_null() && v.as_str().is_none_or(|s| !s.trim().is_empty());
                let key_hit = has_value && sec.key_words.iter().any(|w| contains_ci(k, w));
                let value_hit = match v {
                    Value::String(s) => text_hit(s),
                    Value::Array(items) => items.iter().filter_map(Value::as_str).any(text_hit),
                    _ => false,
                };
                if key_hit || value_hit {
                    found = Some(k.clone());
                }
            }
            if let Some(attr) = found {
                // Never echo the value: it may be the secret.
                hits.push(self.hit(i, peer, &[], Vars { attribute: Some(attr), ..Vars::default() }));
            }
        }
        if let Some(cv) = &check.cross_vcn
            && let Some(p) = peer
            && let (Some(va), Some(vb)) = (ix.vcn[i], ix.vcn[p])
            && va != vb
        {
            let missing: Vec<usize> = [va, vb]
                .into_iter()
                .filter(|&v| {
                    !ix.candidates(cv.each_vcn_has.service.as_ref())
                        .into_iter()
                        .any(|x| ix.vcn[x] == Some(v) && ix.matches(x, &cv.each_vcn_has))
                })
                .collect();
            if !missing.is_empty() {
                let vars = Vars {
                    vcn: Some(
                        missing.iter().map(|v| ix.comps[*v].id.to_string()).collect::<Vec<_>>().join(", "),
                    ),
                    required: cv.each_vcn_has.service.as_ref().map(|s| self.label_of(&s.ids().join("/"))),
                    ..Vars::default()
                };
                hits.push(self.hit(i, peer, &missing, vars));
            }
        }
    }

    fn label_of(&self, service: &str) -> String {
        self.catalog.service(service).map_or_else(|| service.to_owned(), |s| s.label(self.locale).to_owned())
    }

    fn find_companion(&self, i: usize, scope: Scope, attribute: Option<&str>, alt: &ComponentMatch) -> bool {
        let ix = self.ix;
        let ok = |x: usize| x != i && ix.matches(x, alt);
        let ids = alt.service.as_ref().map(super::format::Services::ids).unwrap_or_default();
        match scope {
            Scope::Design => ix.candidates(alt.service.as_ref()).into_iter().any(ok),
            Scope::SameVcn => {
                let Some(v) = ix.vcn[i] else { return false };
                if ids.is_empty() {
                    (0..ix.comps.len()).any(|x| ix.vcn[x] == Some(v) && ok(x))
                } else {
                    ids.iter().filter_map(|s| ix.in_vcn.get(&(v, *s))).flatten().any(|&x| ok(x))
                }
            }
            Scope::SameSubnet => {
                let Some(s) = ix.subnet[i] else { return false };
                if ids.is_empty() {
                    (0..ix.comps.len()).any(|x| ix.subnet[x] == Some(s) && ok(x))
                } else {
                    ids.iter().filter_map(|sv| ix.in_subnet.get(&(s, *sv))).flatten().any(|&x| ok(x))
                }
            }
            Scope::Connected => ix.out[i].iter().chain(&ix.inc[i]).any(|&x| ok(x)),
            Scope::ConnectedTo => ix.out[i].iter().any(|&x| ok(x)),
            Scope::ConnectedFrom => ix.inc[i].iter().any(|&x| ok(x)),
            Scope::Referencing => {
                attribute.and_then(|a| ix.refs.get(&(i, a))).is_some_and(|v| v.iter().any(|&x| ok(x)))
            }
        }
    }

    /// The region check; None when it holds (or there is nothing to check).
    fn region_check(&self, check: &Check, subject: Option<usize>) -> Option<Vars> {
        let ix = self.ix;
        let rc = check.region.as_ref()?;
        let vars = |value: &str| Some(Vars { value: Some(value.to_owned()), ..Vars::default() });
        let Some(region) = ix.region_id else {
            return if rc.set { vars("-") } else { None };
        };
        if rc.known && ix.region.is_none() {
            return vars(region);
        }
        if !rc.only.is_empty() && !rc.only.iter().any(|r| r == region) {
            return Some(Vars {
                value: Some(region.to_owned()),
                limit: Some(rc.only.join(", ")),
                ..Vars::default()
            });
        }
        if rc.not_in.iter().any(|r| r == region) {
            return vars(region);
        }
        if rc.available
            && let Some(i) = subject
        {
            let service = ix.comps[i].service.as_str();
            if !ix.table.offered(service, region) {
                let limit =
                    ix.table.services.get(service).map(|s| s.only.join(", ")).filter(|s| !s.is_empty());
                return Some(Vars { value: Some(region.to_owned()), limit, ..Vars::default() });
            }
        }
        None
    }

    fn aggregate(&self, a: &AggregateCheck, is_sum: bool, matched: &[usize], hits: &mut Vec<Hit>) {
        let ix = self.ix;
        let mut groups: BTreeMap<Option<usize>, Vec<usize>> = BTreeMap::new();
        for &i in matched {
            let key = match a.per {
                GroupBy::Design => None,
                GroupBy::Vcn => match ix.vcn[i] {
                    Some(v) => Some(v),
                    None => continue,
                },
                GroupBy::Subnet => match ix.subnet[i] {
                    Some(s) if s != i => Some(s),
                    _ => continue,
                },
            };
            groups.entry(key).or_default().push(i);
        }
        for (key, members) in groups {
            #[allow(clippy::cast_precision_loss)]
            let total: f64 = if is_sum {
                members.iter().filter_map(|&i| a.value.as_ref().and_then(|e| ix.eval_expr(i, e, true))).sum()
            } else {
                members.len() as f64
            };
            let bound = a.max.filter(|m| total > *m).or(a.min.filter(|m| total < *m));
            let Some(b) = bound else { continue };
            let mut vars = Vars {
                value: Some(fmt_num(total)),
                limit: Some(fmt_num(b)),
                count: Some(members.len().to_string()),
                ..Vars::default()
            };
            let mut components = members.clone();
            if let Some(k) = key {
                let id = ix.comps[k].id.to_string();
                if a.per == GroupBy::Vcn {
                    vars.vcn = Some(id);
                } else {
                    vars.subnet = Some(id);
                }
                components.insert(0, k);
            }
            hits.push(Hit { subject: None, peer: None, components, vars });
        }
    }

    fn cidr(&self, cc: &CidrCheck, matched: &[usize], hits: &mut Vec<Hit>) {
        let ix = self.ix;
        let mut blocks: BTreeMap<Option<usize>, Vec<(Cidr, usize)>> = BTreeMap::new();
        for &i in matched {
            let Some(raw) = ix.comps[i].config.get(&cc.attribute).filter(|v| !v.is_null()) else { continue };
            let text = show(raw);
            let Some(block) = raw.as_str().and_then(Cidr::parse) else {
                if cc.prefix_min.is_some() || cc.prefix_max.is_some() {
                    hits.push(self.hit(i, None, &[], Vars { value: Some(text), ..Vars::default() }));
                }
                continue;
            };
            let bound =
                cc.prefix_min.filter(|m| block.prefix < *m).or(cc.prefix_max.filter(|m| block.prefix > *m));
            if let Some(b) = bound {
                let vars =
                    Vars { value: Some(text.clone()), limit: Some(format!("/{b}")), ..Vars::default() };
                hits.push(self.hit(i, None, &[], vars));
            }
            if cc.within_parent
                && let Some(p) = ix.parent[i]
                && let Some(pb) = ix.comps[p].config_str(&cc.attribute).and_then(Cidr::parse)
                && !pb.contains(block)
            {
                let vars = Vars {
                    value: Some(text.clone()),
                    limit: Some(pb.to_string()),
                    vcn: Some(ix.comps[p].id.to_string()),
                    ..Vars::default()
                };
                hits.push(self.hit(i, None, &[p], vars));
            }
            if cc.no_overlap {
                blocks.entry(ix.parent[i]).or_default().push((block, i));
            }
        }
        for (_, mut list) in blocks {
            list.sort_unstable();
            // Sweep: compare each block with the one reaching furthest so far.
            let mut reach: Option<(Cidr, usize)> = None;
            for (b, i) in list {
                if let Some((rb, ri)) = reach
                    && rb.last() >= b.addr
                {
                    let vars =
                        Vars { value: Some(b.to_string()), limit: Some(rb.to_string()), ..Vars::default() };
                    hits.push(self.hit(i, None, &[ri], vars));
                }
                if reach.is_none_or(|(rb, _)| b.last() > rb.last()) {
                    reach = Some((b, i));
                }
            }
        }
    }
}

/// What an unset placeholder renders as.
pub(crate) const UNSET: &str = "\u{2014}";

/// Fills `{placeholders}`; unset ones become [`UNSET`] (an em dash).
fn render(template: &str, vars: &HashMap<&str, String>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) if after[..end].chars().all(|c| c.is_ascii_lowercase() || c == '_') && end > 0 => {
                out.push_str(vars.get(&after[..end]).map_or(UNSET, String::as_str));
                rest = &after[end + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Validates a design against the rules: findings in the session's language, ordered by severity, rule id
/// and components, and a summary.
pub fn validate(
    arch: &Architecture,
    catalog: &ServiceCatalog,
    rules: &RuleSet,
    locale: Locale,
) -> Validation {
    let ix = Index::new(arch, rules.regions(), catalog);
    let eval = Eval { ix: &ix, catalog, locale };
    let mut findings = Vec::new();
    let mut checked = 0;
    for loaded in rules.rules() {
        let def = &loaded.def;
        if !def.enabled {
            continue;
        }
        checked += 1;
        for hit in eval.rule(def) {
            findings.push(finding(&eval, arch, def, hit));
        }
    }
    findings.sort_by(|a: &Finding, b: &Finding| {
        (a.severity, &a.rule_id, &a.components, &a.message).cmp(&(
            b.severity,
            &b.rule_id,
            &b.components,
            &b.message,
        ))
    });
    findings.dedup();
    let mut summary = Summary { rules_checked: checked, ..Summary::default() };
    for f in &findings {
        match f.severity {
            super::Severity::Error => summary.errors += 1,
            super::Severity::Warning => summary.warnings += 1,
            super::Severity::Info => summary.infos += 1,
        }
    }
    summary.valid = summary.errors == 0;
    Validation { findings, summary }
}

fn finding(eval: &Eval<'_, '_>, arch: &Architecture, def: &RuleDef, hit: Hit) -> Finding {
    let ix = eval.ix;
    let mut vars: HashMap<&str, String> = HashMap::new();
    let Hit { subject, peer, components, vars: v } = hit;
    match subject {
        Some(s) => {
            let c = &ix.comps[s];
            vars.insert("component", c.id.to_string());
            vars.insert("name", c.name.clone());
            vars.insert("service", eval.label_of(&c.service));
        }
        None if !components.is_empty() => {
            let mut ids: Vec<String> =
                components.iter().take(10).map(|&i| ix.comps[i].id.to_string()).collect();
            if components.len() > 10 {
                ids.push(format!("+{}", components.len() - 10));
            }
            vars.insert("component", ids.join(", "));
            if let Some(&last) = components.last() {
                vars.insert("service", eval.label_of(&ix.comps[last].service));
            }
        }
        None => {}
    }
    if let Some(p) = peer {
        vars.insert("peer", ix.comps[p].id.to_string());
    }
    if let Some(r) = &arch.region {
        vars.insert("region", r.clone());
    }
    // Values come from the design: keep anything secret-looking out of the finding (ARCHITECTURE.md invariant).
    let secret_attr = v.attribute.as_deref().is_some_and(crate::oci::redact::is_secret_name);
    let clean = |text: String| {
        if secret_attr || contains_ci(&text, "-----begin") {
            crate::oci::redact::REDACTED.to_owned()
        } else {
            crate::oci::redact::redact_text(&text)
        }
    };
    for (k, val) in [
        ("value", v.value.map(clean)),
        ("limit", v.limit),
        ("attribute", v.attribute),
        ("subnet", v.subnet),
        ("vcn", v.vcn),
        ("required", v.required),
        ("count", v.count),
    ] {
        if let Some(val) = val {
            vars.insert(k, val);
        }
    }
    let mut seen = std::collections::HashSet::with_capacity(components.len());
    let ids: Vec<_> =
        components.into_iter().filter(|i| seen.insert(*i)).map(|i| ix.comps[i].id.clone()).collect();
    Finding {
        rule_id: def.id.clone(),
        severity: def.severity,
        category: def.category,
        components: ids,
        message: render(def.message.get(eval.locale), &vars),
        fix: render(def.fix.get(eval.locale), &vars),
        docs: Some(def.docs.clone()),
    }
}
