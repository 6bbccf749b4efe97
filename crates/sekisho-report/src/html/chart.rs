//! Horizontal bar charts as inline SVG: no script, no external font, a label and a number beside
//! every bar (the colour is never the only signal), a `<title>` and `<desc>` for screen readers,
//! and presentation attributes only (a strict CSP forbids `style` attributes).

use super::escape::Html;

/// One bar: its label, its count, and the CSS class that colours it.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: usize,
    pub class: &'static str,
}

const WIDTH: usize = 480;
const LABEL: usize = 150;
const ROW: usize = 26;
const BAR_H: usize = 18;
const NUMBER: usize = 60;

/// Write a bar chart titled `title` with `id` (unique in the page) as its element ID prefix.
pub fn bars(h: &mut Html, id: &str, title: &str, bars: &[Bar]) {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let height = bars.len() * ROW + 8;
    let room = WIDTH - LABEL - NUMBER;
    let desc: Vec<String> = bars
        .iter()
        .map(|b| format!("{}: {}", b.label, b.value))
        .collect();
    h.raw("<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\"")
        .attr("viewBox", &format!("0 0 {WIDTH} {height}"))
        .attr("aria-labelledby", &format!("{id}-t {id}-d"))
        .raw(">");
    h.raw("<title").attr("id", &format!("{id}-t")).raw(">");
    h.text(title).raw("</title>");
    h.raw("<desc").attr("id", &format!("{id}-d")).raw(">");
    h.text(&desc.join(", ")).raw("</desc>");
    for (i, b) in bars.iter().enumerate() {
        let y = 4 + i * ROW;
        let w = if b.value == 0 {
            0
        } else {
            (b.value * room).div_ceil(max).max(2)
        };
        h.raw("<g>");
        h.raw("<text class=\"lbl\" x=\"0\"")
            .attr("y", &(y + BAR_H - 4).to_string())
            .raw(">");
        h.text(&b.label).raw("</text>");
        h.raw("<rect")
            .attr("class", b.class)
            .attr("x", &LABEL.to_string())
            .attr("y", &y.to_string())
            .attr("width", &w.to_string())
            .attr("height", &BAR_H.to_string())
            .raw(" rx=\"2\"></rect>");
        h.raw("<text class=\"num\"")
            .attr("x", &(LABEL + w + 6).to_string())
            .attr("y", &(y + BAR_H - 4).to_string())
            .raw(">");
        h.num(b.value).raw("</text></g>");
    }
    h.raw("</svg>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_label_every_bar() {
        let mut h = Html::new();
        bars(
            &mut h,
            "c",
            "By <severity>",
            &[
                Bar {
                    label: "HIGH".into(),
                    value: 10,
                    class: "b-high",
                },
                Bar {
                    label: "LOW".into(),
                    value: 0,
                    class: "b-low",
                },
            ],
        );
        let s = h.into_string();
        assert!(s.contains("<title id=\"c-t\">By &lt;severity&gt;</title>"));
        assert!(s.contains("width=\"270\""), "{s}");
        assert!(s.contains("width=\"0\""));
        assert!(s.contains(">HIGH</text>") && s.contains(">10</text>") && s.contains(">0</text>"));
        assert!(!s.contains("style="));
    }
}
