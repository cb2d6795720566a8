//! The two plot shapes the report uses, drawn offline as SVG with plotters: labelled horizontal
//! bars, and cumulative distributions on a logarithmic axis. Every plot carries a caption line
//! (the command and the date that produced its figures).

use std::path::Path;

use plotters::prelude::*;

/// Result of drawing.
pub type PlotResult = Result<(), Box<dyn std::error::Error>>;

/// Series colours, in order.
pub const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// One bar: its label, value, and colour index into [`COLORS`].
pub struct Bar {
    /// Shown after the bar with the value.
    pub label: String,
    /// Bar length.
    pub value: f64,
    /// Colour index.
    pub color: usize,
}

/// Horizontal bars, one per row, labelled "label: value unit" to the right of each bar.
pub fn bars(path: &Path, title: &str, caption: &str, unit: &str, items: &[Bar]) -> PlotResult {
    let height = 90 + 26 * items.len() as u32;
    let root = SVGBackend::new(path, (900, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let (main, foot) = root.split_vertically(height - 24);
    foot.draw(&Text::new(caption.to_string(), (10, 4), ("sans-serif", 13).into_font().color(&RGBColor(90, 90, 90))))?;
    let max = items.iter().map(|b| b.value).fold(0.0f64, f64::max).max(1e-9);
    let mut chart = ChartBuilder::on(&main)
        .caption(title, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(28)
        .y_label_area_size(8)
        .build_cartesian_2d(0f64..max * 2.3, 0f64..items.len() as f64)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .y_labels(0)
        .x_desc(unit)
        .x_label_formatter(&|v| short(*v))
        .draw()?;
    for (i, b) in items.iter().enumerate() {
        let y = (items.len() - 1 - i) as f64;
        let color = COLORS[b.color % COLORS.len()];
        chart.draw_series(std::iter::once(Rectangle::new([(0.0, y + 0.15), (b.value, y + 0.85)], color.filled())))?;
        chart.draw_series(std::iter::once(Text::new(
            format!("{}: {} {unit}", b.label, short(b.value)),
            (b.value + max * 0.01, y + 0.75),
            ("sans-serif", 13),
        )))?;
    }
    root.present()?;
    Ok(())
}

/// One distribution: its legend label, samples, colour index, and whether to dash it.
pub struct Series {
    /// Legend text.
    pub label: String,
    /// Samples (any order), in the axis unit.
    pub samples: Vec<f64>,
    /// Colour index.
    pub color: usize,
}

/// Cumulative distributions of the samples on a logarithmic x axis.
pub fn cdf(path: &Path, title: &str, caption: &str, unit: &str, series: &[Series]) -> PlotResult {
    let root = SVGBackend::new(path, (900, 520)).into_drawing_area();
    root.fill(&WHITE)?;
    let (main, foot) = root.split_vertically(496);
    foot.draw(&Text::new(caption.to_string(), (10, 4), ("sans-serif", 13).into_font().color(&RGBColor(90, 90, 90))))?;
    let all = series.iter().flat_map(|s| s.samples.iter().copied()).filter(|v| *v > 0.0);
    let (lo, hi) = all.fold((f64::MAX, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo, hi) = if hi > 0.0 { (lo / 1.5, hi * 1.5) } else { (0.001, 1.0) };
    let mut chart = ChartBuilder::on(&main)
        .caption(title, ("sans-serif", 18))
        .margin(14)
        .x_label_area_size(36)
        .y_label_area_size(48)
        .build_cartesian_2d((lo..hi).log_scale(), 0f64..1.0)?;
    chart
        .configure_mesh()
        .x_desc(format!("{unit} (log scale)"))
        .y_desc("fraction of requests")
        .x_label_formatter(&|v| short(*v))
        .draw()?;
    for s in series {
        let mut v: Vec<f64> = s.samples.iter().copied().filter(|x| *x > 0.0).collect();
        v.sort_by(f64::total_cmp);
        let n = v.len() as f64;
        let color = COLORS[s.color % COLORS.len()];
        chart
            .draw_series(LineSeries::new(
                v.iter().enumerate().map(|(i, x)| (*x, (i + 1) as f64 / n)),
                color.stroke_width(2),
            ))?
            .label(s.label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(3)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// A number with about three significant digits.
pub fn short(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}
