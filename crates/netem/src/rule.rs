//! Fault rules: which requests get which fault, and when.
//!
//! A rule is one flat object: the fault (`kind` and its parameters, see [`Fault`]), a matcher
//! (`path`: a path prefix, `method`) and a trigger (`every`: every Nth matching request, `count`:
//! at most this many faults, `probability` with `seed`: a seeded chance per eligible request).
//! Rules are tried in order; the first that fires decides. Two spellings of the same object:
//! JSON (`{"kind":"drop","after":100,"path":"/v2","every":3}`) and text for the command line
//! (`kind=drop after=100 path=/v2 every=3`, values parsed as JSON where they parse, else strings).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::fault::Fault;

/// Matcher and trigger keys every rule accepts besides the fault's own.
const COMMON_KEYS: [&str; 6] = ["path", "method", "every", "count", "probability", "seed"];

/// A rule as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// What to inject.
    #[serde(flatten)]
    pub fault: Fault,
    /// Path prefix the request must have (the query string is not part of the path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Request method, case-insensitive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Fire on every Nth matching request (1 = every one).
    #[serde(default = "one")]
    pub every: u64,
    /// Fire at most this many times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Chance to fire per eligible request, from a generator seeded with `seed`.
    #[serde(default = "one_f64")]
    pub probability: f64,
    /// Seed of the generator `probability` draws from.
    #[serde(default)]
    pub seed: u64,
}

fn one() -> u64 {
    1
}
fn one_f64() -> f64 {
    1.0
}

/// A rule that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// The text form has a token without `=`.
    #[error("rule token {0:?} is not key=value")]
    NotKeyValue(String),
    /// No `kind`, or one not known.
    #[error("rule kind {0:?} is unknown (drop, truncate, delay, stall, status, reset, endless)")]
    UnknownKind(String),
    /// A key the kind does not take.
    #[error("rule key {key:?} is not valid for kind {kind}")]
    UnknownKey {
        /// The fault kind.
        kind: String,
        /// The unexpected key.
        key: String,
    },
    /// A value of the wrong type or out of range.
    #[error("rule is invalid: {0}")]
    Invalid(String),
}

impl Rule {
    /// Parses the text form: whitespace- or comma-separated `key=value` tokens.
    pub fn parse_text(text: &str) -> Result<Rule, RuleError> {
        let mut map = Map::new();
        for token in text.split(|c: char| c.is_whitespace() || c == ',').filter(|t| !t.is_empty()) {
            let (key, raw) = token.split_once('=').ok_or_else(|| RuleError::NotKeyValue(token.to_string()))?;
            let value = match key {
                // Always strings, even when they look like numbers.
                "kind" | "path" | "method" => Value::String(raw.to_string()),
                _ => serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_string())),
            };
            map.insert(key.to_string(), value);
        }
        Rule::from_json(Value::Object(map))
    }

    /// Parses the JSON form, rejecting keys the kind does not take.
    pub fn from_json(value: Value) -> Result<Rule, RuleError> {
        let Value::Object(map) = &value else {
            return Err(RuleError::Invalid("a rule is a JSON object".into()));
        };
        let kind = map.get("kind").and_then(Value::as_str).unwrap_or_default().to_string();
        let params = Fault::params(&kind).ok_or_else(|| RuleError::UnknownKind(kind.clone()))?;
        if let Some(key) =
            map.keys().find(|k| *k != "kind" && !params.contains(&k.as_str()) && !COMMON_KEYS.contains(&k.as_str()))
        {
            return Err(RuleError::UnknownKey { kind, key: key.clone() });
        }
        let rule: Rule = serde_json::from_value(value).map_err(|e| RuleError::Invalid(e.to_string()))?;
        if rule.every == 0 {
            return Err(RuleError::Invalid("every must be at least 1".into()));
        }
        if !(0.0..=1.0).contains(&rule.probability) {
            return Err(RuleError::Invalid("probability must be within 0..=1".into()));
        }
        Ok(rule)
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.path.as_deref().is_none_or(|p| path.starts_with(p))
            && self.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method))
    }
}

/// A rule with its counters and generator.
#[derive(Debug)]
pub struct ActiveRule {
    /// The rule.
    pub rule: Rule,
    /// Requests it matched.
    pub matched: u64,
    /// Faults it injected.
    pub fired: u64,
    rng: fastrand::Rng,
}

impl ActiveRule {
    /// Arms a rule with zero counters and its seeded generator.
    pub fn new(rule: Rule) -> ActiveRule {
        let rng = fastrand::Rng::with_seed(rule.seed);
        ActiveRule { rule, matched: 0, fired: 0, rng }
    }

    /// Counts the request if it matches; returns the fault when the rule fires for it.
    fn consider(&mut self, method: &str, path: &str) -> Option<Fault> {
        if !self.rule.matches(method, path) {
            return None;
        }
        self.matched += 1;
        if !self.matched.is_multiple_of(self.rule.every) || self.rule.count.is_some_and(|c| self.fired >= c) {
            return None;
        }
        if self.rule.probability < 1.0 && self.rng.f64() >= self.rule.probability {
            return None;
        }
        self.fired += 1;
        Some(self.rule.fault.clone())
    }

    /// The rule and its counters as JSON.
    pub fn to_json(&self) -> Value {
        serde_json::json!({ "rule": self.rule, "matched": self.matched, "fired": self.fired })
    }
}

/// The ordered rules in force.
#[derive(Debug, Default)]
pub struct Rules {
    /// In evaluation order.
    pub active: Vec<ActiveRule>,
}

impl Rules {
    /// The fault for this request, if a rule fires. Every rule up to the one that fires counts the
    /// request as matched.
    pub fn pick(&mut self, method: &str, path: &str) -> Option<Fault> {
        self.active.iter_mut().find_map(|r| r.consider(method, path))
    }
}

/// Parses an admin request body: a JSON array or object of rules, or text rules one per line.
pub fn parse_rules(body: &str) -> Result<Vec<Rule>, RuleError> {
    let trimmed = body.trim_start();
    if trimmed.starts_with('[') || trimmed.starts_with('{') {
        let value: Value = serde_json::from_str(body).map_err(|e| RuleError::Invalid(e.to_string()))?;
        match value {
            Value::Array(items) => items.into_iter().map(Rule::from_json).collect(),
            other => Ok(vec![Rule::from_json(other)?]),
        }
    } else {
        body.lines().filter(|l| !l.trim().is_empty()).map(Rule::parse_text).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_text_and_json_forms_agree() {
        let text = Rule::parse_text("kind=drop after=100 path=/v2 method=post every=3 count=2").unwrap();
        let json = Rule::from_json(serde_json::json!(
            {"kind": "drop", "after": 100, "path": "/v2", "method": "post", "every": 3, "count": 2}
        ))
        .unwrap();
        assert_eq!(text, json);
        assert_eq!(text.fault, Fault::Drop { after: 100 });
    }

    #[test]
    fn rule_unknown_key_or_kind_is_refused() {
        assert!(matches!(Rule::parse_text("kind=drop ms=5"), Err(RuleError::UnknownKey { .. })));
        assert!(matches!(Rule::parse_text("kind=explode"), Err(RuleError::UnknownKind(_))));
        assert!(matches!(Rule::parse_text("kind=drop every=0"), Err(RuleError::Invalid(_))));
        assert!(matches!(Rule::parse_text("drop"), Err(RuleError::NotKeyValue(_))));
    }

    #[test]
    fn rules_every_nth_with_count_fires_on_schedule() {
        let mut rules =
            Rules { active: vec![ActiveRule::new(Rule::parse_text("kind=reset every=2 count=2").unwrap())] };
        let fired: Vec<bool> = (0..8).map(|_| rules.pick("GET", "/x").is_some()).collect();
        assert_eq!(fired, [false, true, false, true, false, false, false, false]);
    }

    #[test]
    fn rules_probability_is_reproducible_from_the_seed() {
        let run = |seed: u64| {
            let rule = Rule::parse_text(&format!("kind=status probability=0.3 seed={seed}")).unwrap();
            let mut rules = Rules { active: vec![ActiveRule::new(rule)] };
            (0..200).map(|_| rules.pick("GET", "/").is_some()).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let hits = run(7).iter().filter(|h| **h).count();
        assert!((30..=90).contains(&hits), "{hits} of 200 at p=0.3");
    }

    #[test]
    fn rules_first_firing_rule_wins_and_path_method_filter() {
        let mut rules = Rules {
            active: vec![
                ActiveRule::new(Rule::parse_text("kind=delay ms=5 path=/sync method=GET").unwrap()),
                ActiveRule::new(Rule::parse_text("kind=stall").unwrap()),
            ],
        };
        assert_eq!(rules.pick("GET", "/sync/1/2"), Some(Fault::Delay { ms: 5 }));
        assert!(matches!(rules.pick("POST", "/sync/1/2"), Some(Fault::Stall { .. })));
        assert!(matches!(rules.pick("GET", "/info"), Some(Fault::Stall { .. })));
    }

    #[test]
    fn parse_rules_accepts_json_array_and_text_lines() {
        let a = parse_rules(r#"[{"kind":"reset"},{"kind":"endless","limit":10}]"#).unwrap();
        let b = parse_rules("kind=reset\n\nkind=endless limit=10\n").unwrap();
        assert_eq!(a, b);
    }
}
