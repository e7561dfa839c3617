//! Charts drawn from the example cohort through the real binary: valid PNG (decoded, expected
//! size, not blank) and valid SVG (well formed enough to hold the axis titles and arm labels).

mod util;

use util::*;

fn plot(kind: &str, file: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join(file);
    let cohort = dream_like().expect("example cohort");
    let run = trialdose([
        "plot",
        kind,
        cohort.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run}");
    (tmp, out)
}

#[test]
fn rates_png_decodes_with_the_fixed_size_and_is_not_blank() {
    let (_tmp, out) = plot("rates", "rates.png");
    let img = image::open(&out).expect("a PNG that decodes").to_rgb8();
    assert_eq!(img.dimensions(), (1200, 560));
    let mut colours: Vec<[u8; 3]> = img.pixels().map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(colours.len() > 20, "only {} colours: blank?", colours.len());
    // Control grey and the first treatment colour (Okabe-Ito orange) are drawn.
    assert!(img.pixels().any(|p| p.0 == [120, 120, 120]));
    assert!(img.pixels().any(|p| p.0 == [230, 159, 0]));
}

#[test]
fn rates_svg_has_axis_titles_arm_labels_and_counts() {
    let (_tmp, out) = plot("rates", "rates.svg");
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    for text in [
        "Responders (% of arm, 95% Wilson CI)",
        "Arm (minutes x sessions per week, 4 weeks)",
        "control",
        "60x3",
        "30/38",
        "Neck Disability Index",
    ] {
        assert!(svg.contains(text), "{text} missing");
    }
    // Nothing is fetched: the only URL is the SVG namespace.
    assert_eq!(
        svg.matches("http").count(),
        svg.matches("xmlns=\"http://www.w3.org/2000/svg\"").count(),
        "an external reference in the SVG"
    );
}

#[test]
fn same_chart_same_bytes_and_bad_extension() {
    let (_a, one) = plot("rates", "a.png");
    let (_b, two) = plot("rates", "b.png");
    assert_eq!(std::fs::read(one).unwrap(), std::fs::read(two).unwrap());
    let cohort = dream_like().unwrap();
    let run = trialdose([
        "plot",
        "rates",
        cohort.to_str().unwrap(),
        "--out",
        "/tmp/x.jpg",
    ]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains(".png or .svg"), "{run}");
}

#[test]
fn every_chart_kind_renders_as_png_and_svg() {
    // (kind, PNG size, texts the SVG must hold)
    let kinds: [(&str, (u32, u32), &[&str]); 8] = [
        (
            "dose",
            (900, 560),
            &[
                "Planned minutes of massage per week",
                "fitted, 60-minute sessions",
                "60x3",
            ],
        ),
        (
            "dose-ndi",
            (900, 560),
            &["NDI responders against dose", "30-minute sessions"],
        ),
        (
            "consort",
            (1240, 560),
            &[
                "Randomized",
                "n = 228",
                "Allocated to 60x2",
                "Did not: 6",
                "with both scores: 36",
            ],
        ),
        (
            "waterfall",
            (1200, 640),
            &[
                "Pain change (%)",
                "-30% (responder line)",
                "control (n = 36)",
            ],
        ),
        (
            "slopes",
            (1240, 700),
            &["Pain (0-10)", "NDI (0-50)", "checkpoint", "60x3"],
        ),
        (
            "rates",
            (1200, 560),
            &["Responders (% of arm, 95% Wilson CI)", "60x2"],
        ),
        (
            "forest",
            (1200, 560),
            &[
                "Risk difference vs control",
                "log scale",
                "60x3 NDI",
                "30x2 pain",
            ],
        ),
        (
            "adherence",
            (900, 520),
            &[
                "Planned sessions attended (%)",
                "adherence threshold 75%",
                "30x3",
            ],
        ),
    ];
    for (kind, size, texts) in kinds {
        let (_t, png) = plot(kind, "c.png");
        let img = image::open(&png)
            .unwrap_or_else(|e| panic!("{kind}: {e}"))
            .to_rgb8();
        assert_eq!(img.dimensions(), size, "{kind}");
        let distinct = img
            .pixels()
            .map(|p| p.0)
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        assert!(distinct > 20, "{kind}: {distinct} colours");
        let (_s, svg) = plot(kind, "c.svg");
        let svg = std::fs::read_to_string(svg).unwrap();
        for t in texts {
            assert!(svg.contains(t), "{kind}: {t} missing");
        }
    }
}

/// Writes a DREAM-like sample-size search (control 26% vs 60x2 63%) with `reps` replicates.
fn sample_size_json(path: &std::path::Path, reps: &str) {
    let run = trialdose([
        "simulate",
        "sample-size",
        "--arms",
        "control,60x2",
        "--truth",
        "control=0.26,60x2=0.63",
        "--reps",
        reps,
        "--out",
        path.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run}");
}

#[test]
fn simulation_charts_draw_from_simulate_json() {
    let tmp = tempfile::tempdir().unwrap();
    let clinic = tmp.path().join("clinic.json");
    let ss = tmp.path().join("ss.json");
    let run = trialdose([
        "simulate",
        "clinic",
        "--schedule",
        "60x2",
        "--patients",
        "20",
        "--reps",
        "500",
        "--out",
        clinic.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run}");
    sample_size_json(&ss, "300");
    for (kind, file, size, text) in [
        (
            "predictive",
            &clinic,
            (1200, 520),
            "Responders among the patients",
        ),
        ("power", &ss, (900, 520), "Participants per arm"),
    ] {
        let png = tmp.path().join(format!("{kind}.png"));
        let run = trialdose([
            "plot",
            kind,
            "--sim",
            file.to_str().unwrap(),
            "--out",
            png.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 0, "{run}");
        assert_eq!(image::open(&png).unwrap().to_rgb8().dimensions(), size);
        let svg = tmp.path().join(format!("{kind}.svg"));
        let run = trialdose([
            "plot",
            kind,
            "--sim",
            file.to_str().unwrap(),
            "--out",
            svg.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 0, "{run}");
        assert!(std::fs::read_to_string(svg).unwrap().contains(text));
    }
    // The wrong kind of run is refused with exit 2.
    let run = trialdose([
        "plot",
        "power",
        "--sim",
        clinic.to_str().unwrap(),
        "--out",
        tmp.path().join("x.png").to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{run}");
    // And the report charts them.
    let cohort = dream_like().unwrap();
    let out = tmp.path().join("rep");
    let run = trialdose([
        "report",
        cohort.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--sim",
        clinic.to_str().unwrap(),
        "--sim",
        ss.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("Predictive distribution of responders")
            && html.contains("Power against participants per arm")
    );
    assert!(
        out.join("charts/sim1_predictive.png").is_file()
            && out.join("charts/sim2_power.svg").is_file()
    );
}

/// Found by the fuzzer (seed 7, cases 58 and 144): a sample-size document whose power's MCSE
/// was edited to 2^64 - 1 made `plot power` and `report --sim` panic inside plotters (a pixel
/// coordinate overflowing). An edited document is now refused with exit 65 (a data error, as for
/// a document of another version), naming the figure;
/// values that pass (a share of replicates with its error) are drawn inside the axes.
#[test]
fn edited_simulation_documents_are_refused_not_drawn() {
    let tmp = tempfile::tempdir().unwrap();
    let ss = tmp.path().join("ss.json");
    sample_size_json(&ss, "200");
    let original: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ss).unwrap()).unwrap();
    type Edit = fn(&mut serde_json::Value);
    let cases: [(&str, Edit, &str); 4] = [
        (
            "mcse 2^64 - 1",
            |v| v["power_curve"][0]["power"]["mcse"] = u64::MAX.into(),
            "Monte Carlo error of 18446744073709552000",
        ),
        (
            "power 17",
            |v| v["power_at_per_arm"]["estimate"] = 17.0.into(),
            "power at per_arm is 17",
        ),
        (
            "negative mcse",
            |v| v["power_curve"][0]["power"]["mcse"] = (-0.1).into(),
            "mcse -0.1",
        ),
        (
            "mcse 0.6",
            |v| v["power_curve"][0]["power"]["mcse"] = 0.6.into(),
            "with a Monte Carlo error of 0.6",
        ),
    ];
    for (name, edit, message) in cases {
        let mut v = original.clone();
        edit(&mut v);
        let edited = tmp.path().join("edited.json");
        std::fs::write(&edited, serde_json::to_string_pretty(&v).unwrap()).unwrap();
        let run = trialdose([
            "plot",
            "power",
            "--sim",
            edited.to_str().unwrap(),
            "--out",
            tmp.path().join("x.png").to_str().unwrap(),
        ]);
        assert_eq!(run.code, 65, "{name}\n{run}");
        assert!(run.stderr.contains(message), "{name}\n{run}");
        assert!(!run.stderr.contains("panicked"), "{name}\n{run}");
        // The report reads every --sim document before it writes anything.
        let out = tmp.path().join("report");
        let cohort = dream_like().unwrap();
        let run = trialdose([
            "report",
            cohort.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--sim",
            edited.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 65, "{name}\n{run}");
        assert!(!out.exists(), "{name}: report wrote into --out\n{run}");
    }
}
