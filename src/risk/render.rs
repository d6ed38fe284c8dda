//! A [`RiskReport`] for a person: a terminal table, and an HTML page with
//! a class-size histogram (inline SVG, no script, every text escaped).

use std::fmt::Write;

use super::RiskReport;

impl RiskReport {
    /// The report as a plain-text table.
    ///
    /// ```
    /// use desensitize::risk::{ClassTable, Population, RiskReport};
    ///
    /// let mut t = ClassTable::new(1, 0);
    /// t.add(&["a"], &[] as &[&str]);
    /// let text = RiskReport::of(&t, &[] as &[&str], Population::default()).to_text();
    /// assert!(text.contains("k (smallest class)           1"));
    /// ```
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let pct = |x: f64| format!("{:.2}%", 100.0 * x);
        let row = |s: &mut String, k: &str, v: String| {
            let _ = writeln!(s, "{k:<28} {v}");
        };
        row(&mut s, "records", self.records.to_string());
        row(&mut s, "equivalence classes", self.classes.to_string());
        row(&mut s, "k (smallest class)", self.k.to_string());
        row(&mut s, "largest class", self.largest.to_string());
        row(&mut s, "unique records", format!("{} ({})", self.unique_records, pct(self.unique_share)));
        row(&mut s, "population model", self.population_text());
        let _ = writeln!(s, "\n{:<28} {:>10} {:>10} {:>12}", "risk", "highest", "average", "at highest");
        for (name, r) in [("prosecutor", &self.prosecutor), ("journalist", &self.journalist)] {
            let _ = writeln!(
                s,
                "{name:<28} {:>10} {:>10} {:>12}",
                pct(r.highest),
                pct(r.average),
                pct(r.records_at_highest)
            );
        }
        let _ = writeln!(s, "{:<28} {:>10} {:>10}", "marketer", "", pct(self.marketer));
        if !self.sensitive.is_empty() {
            let _ = writeln!(
                s,
                "\n{:<28} {:>10} {:>10} {:>10}",
                "sensitive attribute", "distinct l", "entropy l", "t"
            );
            for a in &self.sensitive {
                let t = format!("{:.4}{}", a.t, if a.ordered { " (ordered)" } else { "" });
                let _ = writeln!(s, "{:<28} {:>10} {:>10.3} {:>10}", a.name, a.distinct_l, a.entropy_l, t);
            }
        }
        let _ = writeln!(s, "\nclass size   classes   records");
        for c in &self.sizes {
            let _ = writeln!(s, "{:>10} {:>9} {:>9}", c.size, c.classes, c.size * c.classes);
        }
        s
    }

    fn population_text(&self) -> String {
        let f = self.population.sampling_fraction();
        if f >= 1.0 {
            "the table is the population".into()
        } else {
            format!("a {:.2}% sample of the population", 100.0 * f)
        }
    }

    /// The report as a standalone HTML page: the measures, and a histogram
    /// of class sizes (records per size bucket; the sizes below k in red)
    /// drawn as inline SVG. `title` is escaped.
    ///
    /// ```
    /// use desensitize::risk::{ClassTable, Population, RiskReport};
    ///
    /// let mut t = ClassTable::new(1, 0);
    /// t.add(&["a"], &[] as &[&str]);
    /// let html = RiskReport::of(&t, &[] as &[&str], Population::default()).to_html("<users.csv>", 5);
    /// assert!(html.contains("&lt;users.csv&gt;") && html.contains("<svg"));
    /// assert!(!html.contains("<script"));
    /// ```
    pub fn to_html(&self, title: &str, k_line: u64) -> String {
        let mut h = String::new();
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Re-identification risk: {t}</title>\n\
             <style>body{{font-family:sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse;margin:1em 0}}\
             td,th{{border:1px solid #ccc;padding:4px 10px;text-align:right}}th{{background:#f3f3f3}}\
             td:first-child,th:first-child{{text-align:left}}</style></head><body>\n<h1>Re-identification risk: {t}</h1>\n",
            t = escape(title)
        );
        h.push_str("<table>\n");
        for (k, v) in [
            ("records", self.records.to_string()),
            ("equivalence classes", self.classes.to_string()),
            ("k (smallest class)", self.k.to_string()),
            ("largest class", self.largest.to_string()),
            ("unique records", format!("{} ({:.2}%)", self.unique_records, 100.0 * self.unique_share)),
            ("population model", self.population_text()),
        ] {
            let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(&v));
        }
        h.push_str("</table>\n<table><tr><th>risk</th><th>highest</th><th>average</th><th>records at highest</th></tr>\n");
        for (name, r) in [("prosecutor", &self.prosecutor), ("journalist", &self.journalist)] {
            let _ = writeln!(
                h,
                "<tr><td>{name}</td><td>{:.2}%</td><td>{:.2}%</td><td>{:.2}%</td></tr>",
                100.0 * r.highest,
                100.0 * r.average,
                100.0 * r.records_at_highest
            );
        }
        let _ = writeln!(
            h,
            "<tr><td>marketer</td><td></td><td>{:.2}%</td><td></td></tr>\n</table>",
            100.0 * self.marketer
        );
        if !self.sensitive.is_empty() {
            h.push_str("<table><tr><th>sensitive attribute</th><th>distinct l</th><th>entropy l</th><th>t</th></tr>\n");
            for a in &self.sensitive {
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td>{:.3}</td><td>{:.4}{}</td></tr>",
                    escape(&a.name),
                    a.distinct_l,
                    a.entropy_l,
                    a.t,
                    if a.ordered { " (ordered)" } else { "" }
                );
            }
            h.push_str("</table>\n");
        }
        h.push_str("<h2>Records by class size</h2>\n");
        h.push_str(&self.histogram_svg(k_line));
        h.push_str("\n</body></html>\n");
        h
    }

    /// Buckets of class sizes: 1, 2, …, 9 one by one, then powers of two.
    fn buckets(&self) -> Vec<(String, u64, u64)> {
        let mut edges: Vec<(u64, u64)> = (1..10).map(|s| (s, s)).collect();
        let mut lo = 10u64;
        while lo <= self.largest {
            let hi = (lo * 2 - 1).max(lo);
            edges.push((lo, hi));
            lo *= 2;
        }
        edges
            .into_iter()
            .filter(|&(lo, _)| lo <= self.largest.max(1))
            .map(|(lo, hi)| {
                let records: u64 = self
                    .sizes
                    .iter()
                    .filter(|c| c.size >= lo && c.size <= hi)
                    .map(|c| c.size * c.classes)
                    .sum();
                let label = if lo == hi { lo.to_string() } else { format!("{lo}-{hi}") };
                (label, lo, records)
            })
            .collect()
    }

    fn histogram_svg(&self, k_line: u64) -> String {
        let buckets = self.buckets();
        let (w, h, left, bottom) = (720.0f64, 300.0f64, 60.0f64, 40.0f64);
        let max = buckets.iter().map(|b| b.2).max().unwrap_or(0).max(1) as f64;
        let bw = (w - left - 10.0) / buckets.len().max(1) as f64;
        let mut s = String::new();
        let _ = write!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" role=\"img\" \
             aria-label=\"records by class size\" font-size=\"11\">\n\
             <line x1=\"{left}\" y1=\"{y0}\" x2=\"{w}\" y2=\"{y0}\" stroke=\"#333\"/>\n\
             <line x1=\"{left}\" y1=\"10\" x2=\"{left}\" y2=\"{y0}\" stroke=\"#333\"/>\n\
             <text x=\"{lx}\" y=\"14\" text-anchor=\"end\">{max}</text><text x=\"{lx}\" y=\"28\" text-anchor=\"end\">records</text><text x=\"{lx}\" y=\"{y0}\" text-anchor=\"end\">0</text>\n",
            y0 = h - bottom,
            lx = left - 4.0,
            max = max as u64
        );
        for (i, (label, lo, records)) in buckets.iter().enumerate() {
            let bh = (*records as f64 / max) * (h - bottom - 10.0);
            let x = left + i as f64 * bw + 2.0;
            let colour = if *lo < k_line { "#c0392b" } else { "#2e86c1" };
            let _ = writeln!(
                s,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{colour}\"><title>size {}: {records} records</title></rect>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                h - bottom - bh,
                (bw - 4.0).max(1.0),
                escape(label),
                x + bw / 2.0 - 2.0,
                h - bottom + 14.0,
                escape(label)
            );
        }
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">class size (records per class); red: below k = {k_line}</text>\n</svg>",
            left + (w - left) / 2.0,
            h - 8.0
        );
        s
    }
}

/// Text for HTML: `& < > " '` escaped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::risk::{ClassTable, Population, RiskReport};

    #[test]
    fn buckets_hold_every_record_once() {
        let mut t = ClassTable::new(1, 0);
        for (i, size) in [1u64, 1, 2, 9, 10, 19, 20, 700].iter().enumerate() {
            for _ in 0..*size {
                t.add(&[i.to_string()], &[] as &[&str]);
            }
        }
        let r = RiskReport::of(&t, &[] as &[&str], Population::default());
        let b = r.buckets();
        assert_eq!(b.iter().map(|x| x.2).sum::<u64>(), r.records);
        let labels: Vec<&str> = b.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(labels[..3], ["1", "2", "3"]);
        assert_eq!(labels[9..], ["10-19", "20-39", "40-79", "80-159", "160-319", "320-639", "640-1279"]);
        assert_eq!(b[0].2, 2);
        assert_eq!(b[9].2, 29);
        assert!(r.to_html("t", 5).contains("<title>size 1: 2 records</title>"));
    }
}
