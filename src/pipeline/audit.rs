//! `audit`'s job: the units' funnel verdicts, the worklist and the safety table, the audit
//! model with small-cell suppression applied once, and `funnel.png`/`funnel.svg`,
//! `units.csv`, `safety.csv`, `worklist.csv`, `audit.json` and the audit as one document
//! drawn from it, written as `audit.html`, `audit.md` and `audit.docx`.

use std::path::Path;

use super::{ChartFiles, Charts, Documents, PipelineError, Prepared, write_documents};
use crate::audit::{self, Audit, AuditOptions};
use crate::files::{write_atomic, write_with};
use crate::pseudonym::{self, Key};
use crate::render::audit::document::{self, AuditInput};
use crate::render::audit::export;
use crate::render::audit::model::AuditModel;
use crate::render::charts::funnel::FunnelChart;
use crate::render::document::Figure;
use crate::render::report::{Front, folder_label};

/// How the audit is shown, and the reference cohort of its case-mix model.
pub struct AuditSettings<'a> {
    /// A reference cohort whose case-mix model gives the expected probabilities.
    pub reference: Option<&'a Prepared>,
    /// Title of the documents.
    pub title: &'a str,
    /// Smallest count shown in the aggregate outputs (1: no suppression).
    pub min_cell: u64,
    /// Name the cohort folder by its full path instead of its name.
    pub full_paths: bool,
    /// Replace participant ids by keyed pseudonyms in the worklist and the documents.
    pub key: Option<&'a Key>,
    /// List the participants needing attention by id (or pseudonym) in the documents.
    pub show_ids: bool,
    /// Chart files written beside the documents.
    pub files: ChartFiles,
    /// The documents written.
    pub documents: Documents,
    /// The threads the worklist writer may use.
    pub threads: usize,
}

/// What `audit` computed and wrote.
pub struct Audited {
    /// The audit (units, verdicts, worklist, safety, notes).
    pub audit: Audit,
    /// The pseudonyms under a key, in participant order (empty without a key: the ids are
    /// then shown as the files give them, borrowed, not copied).
    pub ids: Vec<String>,
    /// The documents written (HTML, Markdown, Word, as asked).
    pub documents: Vec<std::path::PathBuf>,
}

/// Runs the audit on a prepared cohort and writes its files into `out`.
///
/// # Errors
/// [`PipelineError::Audit`] when the cohort (and date) cannot give an audit; chart and
/// output errors.
pub fn audit_into(
    prepared: &Prepared,
    out: &Path,
    options: AuditOptions,
    settings: &AuditSettings<'_>,
) -> Result<Audited, PipelineError> {
    let (cohort, derived) = (&prepared.cohort, &prepared.derived);
    let fitted = settings
        .reference
        .map(|r| {
            let fitted = audit::fit_reference(&r.cohort, &r.derived, options)?;
            Ok::<_, audit::AuditError>((fitted, folder_label(&r.cohort.dir, settings.full_paths)))
        })
        .transpose()?;
    let mut result = audit::audit_with(
        cohort,
        derived,
        options,
        fitted.as_ref().map(|(f, name)| (f, name.as_str())),
    )?;
    result.monitor(settings.threads)?;
    let raw: Vec<&str> = cohort.participants.iter().map(|p| p.id.as_str()).collect();
    let pseudonyms: Vec<String> = settings
        .key
        .map(|key| pseudonym::pseudonymize(key, &raw))
        .unwrap_or_default();
    // Without a key the ids are shown as written: borrowed (a million copies cost 0.07 s of
    // a 1M audit, traced).
    let ids: Vec<&str> = if settings.key.is_some() {
        pseudonyms.iter().map(String::as_str).collect()
    } else {
        raw
    };
    // Suppression is applied once, here; the documents, the funnel and the aggregate files
    // draw from this model.
    let model = AuditModel::new(cohort, &result, settings.min_cell);
    let label = folder_label(&cohort.dir, settings.full_paths);
    let draw = Charts {
        dir: out,
        relative: "",
        files: settings.files,
        print: settings.documents.word,
    };
    let funnel = draw.figure(
        "funnel",
        document::funnel_caption(&result),
        &FunnelChart::new(&result, &model),
    )?;
    write_atomic(
        &out.join("units.csv"),
        export::units_csv(&result, &model).as_bytes(),
    )?;
    write_atomic(
        &out.join("safety.csv"),
        export::safety_csv(&result, &model).as_bytes(),
    )?;
    write_with(&out.join("worklist.csv"), |w| {
        export::write_worklist(w, &result, cohort, derived, &ids, settings.threads)
    })?;
    let monitoring = write_monitoring(&draw, &result, &model, &ids)?;
    write_atomic(
        &out.join("audit.json"),
        &export::audit_json(&result, cohort, settings.key.is_some(), &model, &label),
    )?;
    let doc = document::document(
        cohort,
        &result,
        AuditInput {
            front: Front {
                title: settings.title,
                model: &model,
                cohort_label: &label,
                show_ids: settings.show_ids,
            },
            ids: &ids,
            funnel,
            monitoring,
        },
    );
    let documents = write_documents(out, "audit", &doc, settings.documents, settings.files)?;
    drop(ids);
    Ok(Audited {
        audit: result,
        ids: pseudonyms,
        documents,
    })
}

/// The files of the monitoring over time: `periods.csv`, `cusum.csv`, the run chart and one
/// CUSUM/VLAD chart per unit (`cusum-NN-name`, numbered in the units' order); without
/// `--over-time`, those of an earlier run are removed. Under `--min-cell` the per-unit charts
/// are not drawn: they show each patient's outcome, one step at a time. Returns the figures of
/// the document: the run chart, then the units' charts.
fn write_monitoring(
    draw: &Charts<'_>,
    audit: &Audit,
    model: &AuditModel,
    ids: &[&str],
) -> Result<Vec<Figure>, PipelineError> {
    let out = draw.dir;
    use crate::render::audit::document::monitoring_caption;
    use crate::render::audit::monitor as files_of;
    use crate::render::charts::monitor::{RunChart, UnitCusumChart};
    use crate::render::report::disclosure::Disclosed as _;
    // Per-unit charts of an earlier run (their names depend on the units then).
    if let Ok(entries) = std::fs::read_dir(out) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let ours =
                name.starts_with("cusum-") && (name.ends_with(".png") || name.ends_with(".svg"));
            if ours {
                super::remove_if_present(&entry.path())?;
            }
        }
    }
    let Some(m) = &audit.monitoring else {
        for name in ["periods.csv", "cusum.csv", "runchart.png", "runchart.svg"] {
            super::remove_if_present(&out.join(name))?;
        }
        return Ok(Vec::new());
    };
    write_atomic(
        &out.join("periods.csv"),
        files_of::periods_csv(audit, m, model).as_bytes(),
    )?;
    write_atomic(
        &out.join("cusum.csv"),
        files_of::cusum_csv(audit, m, ids).as_bytes(),
    )?;
    let mut figures = vec![draw.figure(
        "runchart",
        monitoring_caption(m, None),
        &RunChart::new(audit, m, model),
    )?];
    if !model.suppressing() {
        for (k, unit) in m.charts.iter().enumerate() {
            let name = &audit.units[unit.unit].name;
            figures.push(draw.figure(
                &format!("cusum-{:02}-{}", k + 1, slug(name)),
                monitoring_caption(m, Some(name)),
                &UnitCusumChart::new(audit, m, unit),
            )?);
        }
    }
    Ok(figures)
}

/// A unit's name as a file-name part: ASCII letters and digits, other runs as one `-`, at
/// most 40 characters (the number before it keeps names apart).
fn slug(name: &str) -> String {
    let mut out = String::new();
    for ch in name.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out: String = out.trim_matches('-').chars().take(40).collect();
    if out.is_empty() {
        "unit".to_owned()
    } else {
        out
    }
}
