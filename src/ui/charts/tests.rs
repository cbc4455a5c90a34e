//! Chart tests: well-formed XML, escaping, layout facts read back from the SVG,
//! and sample files under target/chart-samples/ for a human to look at.

use std::collections::HashMap;

use quick_xml::events::Event;
use quick_xml::Reader;

use super::*;

/// One parsed element: its name, attributes (unescaped) and direct text.
#[derive(Debug)]
struct El {
    name: String,
    attrs: HashMap<String, String>,
    text: String,
}

/// Parses `svg` strictly: balanced and matching tags, well-formed attributes,
/// only the predefined entities. Panics with the reason otherwise.
fn parse(svg: &str) -> Vec<El> {
    let mut reader = Reader::from_str(svg);
    reader.config_mut().check_end_names = true;
    let mut els: Vec<El> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    loop {
        match reader.read_event() {
            Err(e) => panic!("not well-formed XML ({e}) in {svg}"),
            Ok(Event::Eof) => break,
            Ok(ev @ (Event::Start(_) | Event::Empty(_))) => {
                let (e, empty) = match ev {
                    Event::Start(e) => (e, false),
                    Event::Empty(e) => (e, true),
                    _ => unreachable!(),
                };
                let mut attrs = HashMap::new();
                for a in e.attributes() {
                    let a = a.unwrap_or_else(|err| panic!("bad attribute ({err}) in {svg}"));
                    let v = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .unwrap_or_else(|err| panic!("bad attribute value ({err}) in {svg}"));
                    let key = String::from_utf8(a.key.as_ref().to_vec()).unwrap();
                    assert!(!v.contains('<'), "raw < in attribute {key} of {svg}");
                    attrs.insert(key, v.into_owned());
                }
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                els.push(El {
                    name,
                    attrs,
                    text: String::new(),
                });
                if !empty {
                    open.push(els.len() - 1);
                }
            }
            Ok(Event::End(_)) => {
                open.pop().expect("end tag without start");
            }
            Ok(Event::Text(t)) => {
                let t = t.decode().unwrap();
                if let Some(&i) = open.last() {
                    els[i].text.push_str(&t);
                }
            }
            Ok(Event::GeneralRef(r)) => {
                let name = r.decode().unwrap();
                let ch = match name.as_ref() {
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    "apos" => '\'',
                    n => n
                        .strip_prefix('#')
                        .and_then(|d| d.parse::<u32>().ok())
                        .and_then(char::from_u32)
                        .unwrap_or_else(|| panic!("undefined entity &{n}; in {svg}")),
                };
                if let Some(&i) = open.last() {
                    els[i].text.push(ch);
                }
            }
            Ok(_) => {}
        }
    }
    assert!(open.is_empty(), "unclosed elements in {svg}");
    assert_eq!(els.first().map(|e| e.name.as_str()), Some("svg"));
    els
}

fn num(el: &El, attr: &str) -> f64 {
    el.attrs[attr].parse().unwrap()
}

fn days(n: usize) -> Vec<String> {
    (1..=n).map(|d| format!("Mar {d}")).collect()
}

fn all_charts(title: &str, label: &str) -> Vec<Svg> {
    let opts = ChartOptions::default().y_label(label).x_label(label);
    vec![
        line_chart(
            title,
            &[label.to_string()],
            &[Series::new(label, vec![3.0])],
            &opts,
        ),
        bar_chart(title, &[(label.to_string(), 5.0)], &opts),
        funnel_chart(
            title,
            &[(label.to_string(), 10.0), (label.to_string(), 4.0)],
        ),
        sparkline(&[1.0, 2.0]),
    ]
}

#[test]
fn the_checker_rejects_ill_formed_markup() {
    for bad in [
        "<svg><text>a</svg>",
        "<svg><text>a</text>",
        r#"<svg a="1" a="2"/>"#,
        "<svg>&nbsp;</svg>",
        "<svg><text>a & b</text></svg>",
    ] {
        assert!(
            std::panic::catch_unwind(|| parse(bad)).is_err(),
            "accepted {bad}"
        );
    }
}

#[test]
fn every_chart_is_well_formed_and_accessible() {
    for svg in all_charts("Weekly activity", "Entries") {
        let els = parse(svg.as_str());
        let root = &els[0];
        assert_eq!(root.attrs["role"], "img");
        assert_eq!(root.attrs["width"], "100%");
        assert!(root.attrs.contains_key("viewBox"));
        // No inline styles: the CSP (style-src 'self') would strip them.
        assert!(els.iter().all(|e| !e.attrs.contains_key("style")));
        if root.attrs["class"] != "sparkline" {
            let title = els.iter().find(|e| e.name == "title").unwrap();
            assert_eq!(title.text, "Weekly activity");
            let desc = els.iter().find(|e| e.name == "desc").unwrap();
            assert!(!desc.text.is_empty());
            let ids: Vec<&str> = root.attrs["aria-labelledby"].split(' ').collect();
            assert_eq!(ids, [title.attrs["id"].as_str(), desc.attrs["id"].as_str()]);
        } else {
            assert!(root.attrs["aria-label"].starts_with("Trend"));
        }
    }
}

#[test]
fn user_labels_are_escaped_everywhere() {
    let evil = r#"<script>alert("x")</script> & Co's "best""#;
    for svg in all_charts(evil, evil) {
        let s = svg.as_str();
        let els = parse(s);
        assert!(!s.contains("<script"), "{s}");
        assert!(els.iter().all(|e| e.name != "script"));
        // The text survives, escaped, in the title and the visible labels.
        if els[0].attrs["class"] != "sparkline" {
            assert!(s.contains("&lt;script&gt;"), "{s}");
            assert!(s.contains("&amp; Co&#39;s"), "{s}");
            assert!(els.iter().any(|e| e.name == "title" && e.text == evil));
        }
    }
    let sneaky = "bad\u{0}\u{1b}label";
    let svg = bar_chart("t", &[(sneaky.into(), 1.0)], &ChartOptions::default());
    parse(svg.as_str());
}

#[test]
fn empty_data_says_no_data_yet() {
    let opts = ChartOptions::default();
    let empties = [
        line_chart("Activity", &[], &[], &opts),
        line_chart(
            "Activity",
            &days(3),
            &[Series::new("Entries", vec![])],
            &opts,
        ),
        line_chart(
            "Activity",
            &days(2),
            &[Series::new("Entries", vec![f64::NAN, f64::NAN])],
            &opts,
        ),
        bar_chart("Segments", &[], &opts),
        funnel_chart("Funnel", &[]),
        funnel_chart("Funnel", &[("Views".into(), 0.0), ("Entries".into(), 0.0)]),
    ];
    for svg in empties {
        let els = parse(svg.as_str());
        assert!(
            els.iter()
                .any(|e| e.name == "text" && e.text == "No data yet"),
            "{svg}"
        );
        assert!(els.iter().all(|e| e.name != "path" && e.name != "circle"));
    }
    let els = parse(sparkline(&[]).as_str());
    assert_eq!(els[0].attrs["aria-label"], "Trend: no data yet");
}

#[test]
fn negative_values_sit_below_the_zero_line() {
    let svg = line_chart(
        "Sentiment",
        &days(3),
        &[Series::new("Sentiment", vec![0.5, -0.5, 0.0])],
        &ChartOptions::default()
            .format(ValueFormat::Decimal(2))
            .range(-1.0, 1.0),
    );
    let els = parse(svg.as_str());
    let zero = els
        .iter()
        .find(|e| e.attrs.get("class").map(String::as_str) == Some("zero-line"))
        .unwrap();
    let zero_y = num(zero, "y1");
    let dots: Vec<f64> = els
        .iter()
        .filter(|e| e.name == "circle")
        .map(|e| num(e, "cy"))
        .collect();
    assert_eq!(dots.len(), 3);
    assert!(dots[0] < zero_y, "positive above: {dots:?} vs {zero_y}");
    assert!(dots[1] > zero_y, "negative below: {dots:?} vs {zero_y}");
    assert!((dots[2] - zero_y).abs() < 0.01);
    // The fixed range shows -1 and 1 even though the data only reaches ±0.5.
    let ticks: Vec<&str> = els
        .iter()
        .filter(|e| e.name == "text")
        .map(|e| e.text.as_str())
        .collect();
    assert!(ticks.contains(&"−1") && ticks.contains(&"1"), "{ticks:?}");

    let bars = bar_chart(
        "Net",
        &[("Up".into(), 3.0), ("Down".into(), -2.0)],
        &ChartOptions::default(),
    );
    let els = parse(bars.as_str());
    let zero_x = num(
        els.iter()
            .find(|e| e.attrs.get("class").map(String::as_str) == Some("zero-line"))
            .unwrap(),
        "x1",
    );
    let rects: Vec<&El> = els.iter().filter(|e| e.name == "rect").collect();
    assert!((num(rects[0], "x") - zero_x).abs() < 0.01);
    assert!(num(rects[1], "x") + num(rects[1], "width") <= zero_x + 0.01);
}

#[test]
fn one_point_and_many_points_render_sensibly() {
    let one = line_chart(
        "Today",
        &days(1),
        &[Series::new("Entries", vec![7.0])],
        &ChartOptions::default(),
    );
    let els = parse(one.as_str());
    let dot = els.iter().find(|e| e.name == "circle").unwrap();
    let zero = els
        .iter()
        .find(|e| e.attrs.get("class").map(String::as_str) == Some("zero-line"))
        .unwrap();
    // Centred, and its value is printed since there is no line to read.
    let middle = (num(zero, "x1") + num(zero, "x2")) / 2.0;
    assert!((num(dot, "cx") - middle).abs() < 0.1);
    assert!(els.iter().any(|e| e.name == "text" && e.text == "7"));

    // A month: every day has a hover target, but dots this close would merge, so
    // they are invisible.
    let month = line_chart(
        "Month",
        &days(30),
        &[Series::new("Entries", vec![1.0; 30])],
        &ChartOptions::default(),
    );
    let els = parse(month.as_str());
    let dots: Vec<&El> = els.iter().filter(|e| e.name == "circle").collect();
    assert_eq!(dots.len(), 30);
    assert!(dots.iter().all(|d| d.attrs["fill"] == "transparent"));

    let values: Vec<f64> = (0..365).map(|i| (i % 17) as f64).collect();
    let many = line_chart(
        "Year",
        &days(365),
        &[Series::new("Entries", values)],
        &ChartOptions::default(),
    );
    let els = parse(many.as_str());
    // No bead chain of 365 dots, and x labels thinned to a readable few.
    assert_eq!(els.iter().filter(|e| e.name == "circle").count(), 0);
    let labels = els
        .iter()
        .filter(|e| e.name == "text" && e.text.starts_with("Mar "))
        .count();
    assert!((2..=9).contains(&labels), "{labels}");
}

#[test]
fn gaps_split_the_line() {
    let svg = line_chart(
        "Gappy",
        &days(5),
        &[
            Series::new("A", vec![1.0, 2.0, f64::NAN, 3.0, 4.0]),
            Series::new("B", vec![1.0, 1.0, 1.0, 1.0, 1.0]),
        ],
        &ChartOptions::default(),
    );
    let els = parse(svg.as_str());
    let lines: Vec<&El> = els
        .iter()
        .filter(|e| e.name == "path" && e.attrs.get("fill").map(String::as_str) == Some("none"))
        .collect();
    assert_eq!(lines.len(), 3, "A in two runs, B in one");
    assert!(els
        .iter()
        .any(|e| e.name == "desc" && e.text.contains("Mar 3 no data")));
}

#[test]
fn all_zero_data_draws_on_the_baseline() {
    let svg = line_chart(
        "Quiet week",
        &days(7),
        &[Series::new("Entries", vec![0.0; 7])],
        &ChartOptions::default(),
    );
    let els = parse(svg.as_str());
    let zero_y = num(
        els.iter()
            .find(|e| e.attrs.get("class").map(String::as_str) == Some("zero-line"))
            .unwrap(),
        "y1",
    );
    let dots: Vec<&El> = els.iter().filter(|e| e.name == "circle").collect();
    assert_eq!(dots.len(), 7);
    assert!(dots.iter().all(|d| (num(d, "cy") - zero_y).abs() < 0.01));
    let ticks: Vec<&str> = els
        .iter()
        .filter(|e| e.name == "text")
        .map(|e| e.text.as_str())
        .collect();
    assert!(ticks.contains(&"0") && ticks.contains(&"1"), "{ticks:?}");
}

#[test]
fn funnel_shows_step_conversions() {
    let svg = funnel_chart(
        "Contest funnel",
        &[
            ("Views".into(), 10_000.0),
            ("Entries".into(), 1_250.0),
            ("Referrals".into(), 0.0),
            ("Referred entries".into(), 0.0),
        ],
    );
    let els = parse(svg.as_str());
    let texts: Vec<&str> = els
        .iter()
        .filter(|e| e.name == "text")
        .map(|e| e.text.as_str())
        .collect();
    assert!(texts.contains(&"↓ 12.5%"), "{texts:?}");
    assert!(texts.contains(&"↓ 0%"), "{texts:?}");
    assert!(
        texts.contains(&"↓ —"),
        "no rate after a zero step: {texts:?}"
    );
    assert!(texts.contains(&"10,000"));
    let widths: Vec<f64> = els
        .iter()
        .filter(|e| e.name == "rect")
        .map(|e| num(e, "width"))
        .collect();
    assert!(widths[0] > widths[1] && widths[1] > widths[2], "{widths:?}");
}

#[test]
fn sparkline_spans_its_box() {
    let els = parse(sparkline(&[1.0, 5.0, 3.0]).as_str());
    let line = els.iter().find(|e| e.name == "polyline").unwrap();
    let ys: Vec<f64> = line.attrs["points"]
        .split(' ')
        .map(|p| p.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    assert_eq!(ys.len(), 3);
    assert!(
        ys[1] < ys[2] && ys[2] < ys[0],
        "higher values are higher up: {ys:?}"
    );
    assert!(els[0].attrs["aria-label"].contains("from 1 to 3"));
}

/// Renders one of each chart to target/chart-samples/ for visual review
/// (`rsvg-convert` or a browser); the files are build output, never committed.
#[test]
fn write_samples_for_review() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/chart-samples");
    std::fs::create_dir_all(&dir).unwrap();
    for sample in crate::ui::samples::charts() {
        let svg = sample.svg;
        parse(svg.as_str());
        let name = sample.file_name;
        std::fs::write(dir.join(format!("{name}.svg")), svg.as_str()).unwrap();
    }
}
