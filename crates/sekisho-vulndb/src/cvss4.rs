//! CVSS v4.0 base (and environmental/threat-adjusted) score, FIRST CVSS v4.0 specification §8
//! (<https://www.first.org/cvss/v4-0/specification-document>): the vector is classified into a
//! MacroVector of six equivalence classes (EQ1–EQ6), whose expert-assigned score is looked up,
//! then lowered by the vector's mean proportional severity distance from the highest-severity
//! vectors of its MacroVector towards the next lower MacroVectors.
//!
//! The MacroVector scores below are the specification's lookup data (270 MacroVectors), indexed
//! `((((eq1*2+eq2)*3+eq3)*3+eq4)*3+eq5)*2+eq6`, as tenths of a point; 255 = no such MacroVector.

use std::collections::HashMap;

const MACRO: [u8; 324] = [
    100, 99, 98, 95, 95, 92, 100, 96, 93, 87, 91, 81, 93, 90, 89, 80, 81, 68, 98, 95, 95, 92, 90,
    84, 93, 92, 89, 81, 81, 65, 88, 80, 78, 70, 69, 48, 255, 92, 255, 82, 255, 72, 255, 79, 255,
    69, 255, 50, 255, 69, 255, 55, 255, 27, 99, 97, 95, 92, 92, 85, 95, 91, 90, 83, 84, 71, 92, 81,
    82, 71, 72, 53, 95, 93, 92, 85, 85, 73, 92, 82, 80, 72, 70, 59, 84, 70, 71, 52, 50, 30, 255,
    86, 255, 75, 255, 52, 255, 71, 255, 52, 255, 29, 255, 63, 255, 29, 255, 17, 98, 95, 94, 87, 91,
    81, 94, 89, 86, 74, 77, 64, 87, 75, 74, 63, 63, 49, 94, 89, 88, 77, 76, 67, 86, 76, 74, 58, 59,
    50, 72, 57, 57, 52, 52, 25, 255, 83, 255, 70, 255, 54, 255, 65, 255, 58, 255, 26, 255, 53, 255,
    21, 255, 13, 95, 90, 88, 76, 76, 70, 90, 77, 75, 62, 61, 53, 77, 66, 68, 59, 52, 30, 89, 78,
    76, 67, 62, 58, 74, 59, 57, 57, 47, 23, 61, 52, 57, 29, 24, 16, 255, 71, 255, 59, 255, 30, 255,
    58, 255, 26, 255, 15, 255, 23, 255, 13, 255, 6, 93, 87, 86, 72, 75, 58, 86, 74, 74, 61, 56, 34,
    70, 54, 52, 40, 40, 22, 85, 75, 74, 55, 62, 51, 72, 57, 55, 41, 46, 19, 53, 36, 34, 19, 19, 8,
    255, 64, 255, 51, 255, 20, 255, 47, 255, 21, 255, 11, 255, 24, 255, 9, 255, 4, 88, 75, 73, 53,
    60, 50, 73, 55, 59, 40, 41, 20, 54, 43, 45, 22, 20, 11, 75, 55, 58, 45, 40, 21, 61, 51, 48, 18,
    20, 9, 46, 18, 17, 7, 8, 2, 255, 53, 255, 24, 255, 14, 255, 24, 255, 12, 255, 5, 255, 10, 255,
    3, 255, 1,
];

fn macro_score(e: [u8; 6]) -> Option<f64> {
    if e[0] > 2 || e[1] > 1 || e[2] > 2 || e[3] > 2 || e[4] > 2 || e[5] > 1 {
        return None;
    }
    let i = ((((e[0] as usize * 2 + e[1] as usize) * 3 + e[2] as usize) * 3 + e[3] as usize) * 3
        + e[4] as usize)
        * 2
        + e[5] as usize;
    match MACRO[i] {
        255 => None,
        v => Some(f64::from(v) / 10.0),
    }
}

/// Highest-severity vectors of each EQ level (the specification's "max composed" vectors).
const EQ1_MAX: [&[&str]; 3] = [
    &["AV:N/PR:N/UI:N"],
    &["AV:A/PR:N/UI:N", "AV:N/PR:L/UI:N", "AV:N/PR:N/UI:P"],
    &["AV:P/PR:N/UI:N", "AV:A/PR:L/UI:P"],
];
const EQ2_MAX: [&[&str]; 2] = [&["AC:L/AT:N"], &["AC:H/AT:N", "AC:L/AT:P"]];
/// Indexed [eq3][eq6].
const EQ36_MAX: [[&[&str]; 2]; 3] = [
    [
        &["VC:H/VI:H/VA:H/CR:H/IR:H/AR:H"],
        &[
            "VC:H/VI:H/VA:L/CR:M/IR:M/AR:H",
            "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M",
        ],
    ],
    [
        &[
            "VC:L/VI:H/VA:H/CR:H/IR:H/AR:H",
            "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H",
        ],
        &[
            "VC:L/VI:H/VA:L/CR:H/IR:M/AR:H",
            "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M",
            "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M",
            "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H",
            "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M",
        ],
    ],
    [&[], &["VC:L/VI:L/VA:L/CR:H/IR:H/AR:H"]],
];
const EQ4_MAX: [&[&str]; 3] = [
    &["SC:H/SI:S/SA:S"],
    &["SC:H/SI:H/SA:H"],
    &["SC:L/SI:L/SA:L"],
];
/// Depth of each MacroVector (maximal severity distance + 1).
const EQ1_DEPTH: [f64; 3] = [1.0, 4.0, 5.0];
const EQ2_DEPTH: [f64; 2] = [1.0, 2.0];
const EQ36_DEPTH: [[f64; 2]; 3] = [[7.0, 6.0], [8.0, 8.0], [f64::NAN, 10.0]];
const EQ4_DEPTH: [f64; 3] = [6.0, 5.0, 4.0];

/// Severity level of a metric value, in steps of 0.1 (higher = less severe).
fn level(metric: &str, v: &str) -> Option<f64> {
    Some(match (metric, v) {
        ("AV", "N") | ("PR", "N") | ("UI", "N") | ("AC", "L") | ("AT", "N") => 0.0,
        ("AV", "A") | ("PR", "L") | ("UI", "P") | ("AC", "H") | ("AT", "P") => 0.1,
        ("AV", "L") | ("PR", "H") | ("UI", "A") => 0.2,
        ("AV", "P") => 0.3,
        ("VC" | "VI" | "VA", "H") => 0.0,
        ("VC" | "VI" | "VA", "L") => 0.1,
        ("VC" | "VI" | "VA", "N") => 0.2,
        ("SI" | "SA", "S") => 0.0,
        ("SC" | "SI" | "SA", "H") => 0.1,
        ("SC" | "SI" | "SA", "L") => 0.2,
        ("SC" | "SI" | "SA", "N") => 0.3,
        ("CR" | "IR" | "AR", "H") => 0.0,
        ("CR" | "IR" | "AR", "M") => 0.1,
        ("CR" | "IR" | "AR", "L") => 0.2,
        _ => return None,
    })
}

const BASE: [&str; 11] = [
    "AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA",
];
const ALLOWED: &[(&str, &[&str])] = &[
    ("AV", &["N", "A", "L", "P"]),
    ("AC", &["L", "H"]),
    ("AT", &["N", "P"]),
    ("PR", &["N", "L", "H"]),
    ("UI", &["N", "P", "A"]),
    ("VC", &["H", "L", "N"]),
    ("VI", &["H", "L", "N"]),
    ("VA", &["H", "L", "N"]),
    ("SC", &["H", "L", "N"]),
    ("SI", &["H", "L", "N"]),
    ("SA", &["H", "L", "N"]),
    ("E", &["X", "A", "P", "U"]),
    ("CR", &["X", "H", "M", "L"]),
    ("IR", &["X", "H", "M", "L"]),
    ("AR", &["X", "H", "M", "L"]),
    ("MAV", &["X", "N", "A", "L", "P"]),
    ("MAC", &["X", "L", "H"]),
    ("MAT", &["X", "N", "P"]),
    ("MPR", &["X", "N", "L", "H"]),
    ("MUI", &["X", "N", "P", "A"]),
    ("MVC", &["X", "H", "L", "N"]),
    ("MVI", &["X", "H", "L", "N"]),
    ("MVA", &["X", "H", "L", "N"]),
    ("MSC", &["X", "H", "L", "N"]),
    ("MSI", &["X", "S", "H", "L", "N"]),
    ("MSA", &["X", "S", "H", "L", "N"]),
];

/// Parsed metrics with the specification's defaults applied (`E:X` = `A`, `CR/IR/AR:X` = `H`,
/// modified metrics override base metrics).
struct Metrics(HashMap<String, String>);

impl Metrics {
    fn parse(vector: &str) -> Option<Self> {
        let mut it = vector.trim().split('/');
        if it.next()? != "CVSS:4.0" {
            return None;
        }
        let mut m = HashMap::new();
        for p in it {
            let (k, v) = p.split_once(':')?;
            if let Some((_, vals)) = ALLOWED.iter().find(|(n, _)| *n == k) {
                if !vals.contains(&v) || m.insert(k.to_string(), v.to_string()).is_some() {
                    return None;
                }
            }
            // Supplemental metrics (S, AU, R, V, RE, U) do not affect the score.
        }
        if BASE.iter().any(|b| !m.contains_key(*b)) {
            return None;
        }
        Some(Metrics(m))
    }

    /// The effective value of a metric.
    fn get(&self, k: &str) -> &str {
        let raw = self.0.get(k).map(String::as_str).unwrap_or("X");
        match (k, raw) {
            ("E", "X") => return "A",
            ("CR" | "IR" | "AR", "X") => return "H",
            _ => {}
        }
        if let Some(mv) = self.0.get(&format!("M{k}"))
            && mv != "X"
        {
            return mv;
        }
        raw
    }
}

fn metric_of<'a>(max: &'a str, k: &str) -> Option<&'a str> {
    max.split('/')
        .find_map(|p| p.split_once(':').filter(|(n, _)| *n == k).map(|(_, v)| v))
}

/// Score a CVSS v4.0 vector (base metrics required; threat and environmental metrics honoured).
/// `None` when the vector is not a valid v4.0 vector.
pub fn score(vector: &str) -> Option<f64> {
    let m = Metrics::parse(vector)?;
    let g = |k: &str| m.get(k);
    if ["VC", "VI", "VA", "SC", "SI", "SA"]
        .iter()
        .all(|k| g(k) == "N")
    {
        return Some(0.0);
    }
    let (av, pr, ui) = (g("AV"), g("PR"), g("UI"));
    let eq1 = if av == "N" && pr == "N" && ui == "N" {
        0
    } else if (av == "N" || pr == "N" || ui == "N") && av != "P" {
        1
    } else {
        2
    };
    let eq2 = u8::from(!(g("AC") == "L" && g("AT") == "N"));
    let (vc, vi, va) = (g("VC"), g("VI"), g("VA"));
    let eq3 = if vc == "H" && vi == "H" {
        0
    } else if vc == "H" || vi == "H" || va == "H" {
        1
    } else {
        2
    };
    let eq4 = if g("MSI") == "S" || g("MSA") == "S" {
        0
    } else if g("SC") == "H" || g("SI") == "H" || g("SA") == "H" {
        1
    } else {
        2
    };
    let eq5 = match g("E") {
        "A" => 0,
        "P" => 1,
        _ => 2,
    };
    let eq6 = u8::from(
        !((g("CR") == "H" && vc == "H")
            || (g("IR") == "H" && vi == "H")
            || (g("AR") == "H" && va == "H")),
    );
    let mv = [eq1, eq2, eq3, eq4, eq5, eq6];
    let value = macro_score(mv)?;
    let lower = |d: [u8; 6]| {
        macro_score([
            mv[0] + d[0],
            mv[1] + d[1],
            mv[2] + d[2],
            mv[3] + d[3],
            mv[4] + d[4],
            mv[5] + d[5],
        ])
    };
    let next1 = lower([1, 0, 0, 0, 0, 0]);
    let next2 = lower([0, 1, 0, 0, 0, 0]);
    let next36 = match (eq3, eq6) {
        (1, 1) | (0, 1) => lower([0, 0, 1, 0, 0, 0]),
        (1, 0) => lower([0, 0, 0, 0, 0, 1]),
        (0, 0) => match (lower([0, 0, 0, 0, 0, 1]), lower([0, 0, 1, 0, 0, 0])) {
            (Some(l), Some(r)) => Some(l.max(r)),
            (a, b) => a.or(b),
        },
        _ => lower([0, 0, 1, 0, 0, 1]),
    };
    let next4 = lower([0, 0, 0, 1, 0, 0]);
    let next5 = lower([0, 0, 0, 0, 1, 0]);

    // Effective value of SI/SA for distance: MSI/MSA "S" only exists as a modified value.
    let eff = |k: &str| g(k);
    let metrics = [
        "AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA", "SC", "SI", "SA", "CR", "IR", "AR",
    ];
    let mut dist: Option<HashMap<&str, f64>> = None;
    'outer: for a in EQ1_MAX[eq1 as usize] {
        for b in EQ2_MAX[eq2 as usize] {
            for c in EQ36_MAX[eq3 as usize][eq6 as usize] {
                for d in EQ4_MAX[eq4 as usize] {
                    let max = format!("{a}/{b}/{c}/{d}");
                    let mut ds = HashMap::new();
                    let mut ok = true;
                    for k in metrics {
                        let cur = level(k, eff(k))?;
                        let top = level(k, metric_of(&max, k)?)?;
                        let dd = cur - top;
                        if dd < -1e-9 {
                            ok = false;
                        }
                        ds.insert(k, dd);
                    }
                    if ok {
                        dist = Some(ds);
                        break 'outer;
                    }
                    if dist.is_none() {
                        dist = Some(ds);
                    }
                }
            }
        }
    }
    let ds = dist?;
    let sum = |ks: &[&str]| ks.iter().map(|k| ds[*k]).sum::<f64>();
    let d1 = sum(&["AV", "PR", "UI"]);
    let d2 = sum(&["AC", "AT"]);
    let d36 = sum(&["VC", "VI", "VA", "CR", "IR", "AR"]);
    let d4 = sum(&["SC", "SI", "SA"]);
    let step = 0.1;
    let mut n = 0u32;
    let mut total = 0.0;
    let mut add = |next: Option<f64>, d: f64, depth: f64| {
        if let Some(nx) = next {
            n += 1;
            if depth.is_finite() && depth > 0.0 {
                total += (value - nx) * (d / (depth * step));
            }
        }
    };
    add(next1, d1, EQ1_DEPTH[eq1 as usize]);
    add(next2, d2, EQ2_DEPTH[eq2 as usize]);
    add(next36, d36, EQ36_DEPTH[eq3 as usize][eq6 as usize]);
    add(next4, d4, EQ4_DEPTH[eq4 as usize]);
    add(next5, 0.0, 1.0);
    let mean = if n == 0 { 0.0 } else { total / f64::from(n) };
    let v = (value - mean).clamp(0.0, 10.0);
    Some((v * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::score;

    #[test]
    fn spec_examples() {
        // Scores from the FIRST CVSS v4.0 calculator / specification examples.
        let cases = [
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
                10.0,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                9.3,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N",
                6.9,
            ),
            (
                "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                8.5,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
                0.0,
            ),
        ];
        for (v, want) in cases {
            assert_eq!(score(v), Some(want), "{v}");
        }
        assert_eq!(score("CVSS:4.0/AV:N/AC:L"), None);
        assert_eq!(
            score("CVSS:4.0/AV:Q/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
            None
        );
    }
}
