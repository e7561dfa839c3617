//! Byte-level CSV output for the generator: one buffered sink per file, no allocation per row.
//!
//! Ten million session rows leave no room for `format!` or per-field `write!` calls through a
//! `dyn Write`. A [`Sink`] appends fields to its own buffer (integers through `itoa`, pain in
//! tenths as `d.d`, dates from the precomputed calendar) and hands the buffer to the caller's
//! writer in large chunks. Every value the generator writes is free of commas, quotes and line
//! breaks by construction, so no field needs RFC 4180 quoting.

use std::io::{self, Write};

use super::calendar::Calendar;
use super::model::{CONTRAINDICATIONS, Model};
use super::participant::{AdverseEvent, Clearance, Participant, Status};

/// Buffer size at which a sink hands its bytes to the writer.
const FLUSH_AT: usize = 1 << 16;

pub(super) const PARTICIPANTS_HEADER: &[u8] =
    b"participant_id,arm,age,sex,site,randomized_on,contraindications,medical_clearance\n";
pub(super) const SESSIONS_HEADER: &[u8] =
    b"participant_id,date,minutes,status,therapist,adverse_event\n";
pub(super) const SCORES_HEADER: &[u8] = b"participant_id,week,pain,ndi\n";

/// A buffered CSV writer over a caller's `dyn Write`.
pub(super) struct Sink<'w> {
    out: &'w mut dyn Write,
    buf: Vec<u8>,
    int: itoa::Buffer,
    rows: u64,
}

impl<'w> Sink<'w> {
    pub(super) fn new(out: &'w mut dyn Write, header: &[u8]) -> Sink<'w> {
        let mut buf = Vec::with_capacity(FLUSH_AT + 4096);
        buf.extend_from_slice(header);
        Sink {
            out,
            buf,
            int: itoa::Buffer::new(),
            rows: 0,
        }
    }

    fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    fn uint(&mut self, n: u64) {
        let s = self.int.format(n);
        self.buf.extend_from_slice(s.as_bytes());
    }

    /// A non-negative number of tenths as `d.d` (e.g. 58 -> `5.8`, 100 -> `10.0`).
    fn tenths(&mut self, t: u32) {
        self.uint(u64::from(t / 10));
        self.buf.push(b'.');
        self.buf.push(b'0' + (t % 10) as u8);
    }

    fn end_row(&mut self) -> io::Result<()> {
        self.buf.push(b'\n');
        self.rows += 1;
        if self.buf.len() >= FLUSH_AT {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes what is left and flushes the writer; returns the number of data rows.
    pub(super) fn finish(self) -> io::Result<u64> {
        self.out.write_all(&self.buf)?;
        self.out.flush()?;
        Ok(self.rows)
    }
}

/// `P` followed by the 1-based `number` zero-padded to `width` digits.
pub(super) fn participant_id(number: u64, width: usize, out: &mut [u8; 24]) -> usize {
    let len = (width + 1).min(out.len());
    out[0] = b'P';
    let mut n = number;
    for slot in out[1..len].iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
    len
}

/// Writes one participant's rows to the three sinks.
pub(super) struct CohortWriter<'a, 'w> {
    pub(super) model: &'a Model,
    pub(super) calendar: &'a Calendar,
    pub(super) participants: Sink<'w>,
    pub(super) sessions: Sink<'w>,
    pub(super) scores: Sink<'w>,
}

impl CohortWriter<'_, '_> {
    pub(super) fn write(&mut self, id: &[u8], day0: u32, p: &Participant) -> io::Result<()> {
        let model = self.model;
        let out = &mut self.participants;
        out.bytes(id);
        out.bytes(b",");
        out.bytes(p.arm.label().as_bytes());
        out.bytes(b",");
        out.uint(u64::from(p.age));
        out.bytes(if p.female { b",female," } else { b",male," });
        out.bytes(model.sites[usize::from(p.site)].name.as_bytes());
        out.bytes(b",");
        out.bytes(self.calendar.date(day0));
        out.bytes(b",");
        for (k, &code) in p.contraindications[..usize::from(p.contraindication_count)]
            .iter()
            .enumerate()
        {
            if k > 0 {
                out.bytes(b";");
            }
            out.bytes(CONTRAINDICATIONS[usize::from(code)].as_bytes());
        }
        out.bytes(match p.clearance {
            Clearance::Empty => b",",
            Clearance::Yes => b",yes",
            Clearance::No => b",no",
        });
        out.end_row()?;

        let out = &mut self.sessions;
        for v in p.visits() {
            out.bytes(id);
            out.bytes(b",");
            out.bytes(self.calendar.date(day0 + v.day));
            out.bytes(b",");
            if v.status == Status::Attended {
                out.uint(u64::from(v.minutes));
            }
            out.bytes(match v.status {
                Status::Attended => b",attended,",
                Status::Missed => b",missed,",
                Status::Cancelled => b",cancelled,",
            });
            out.bytes(model.therapists[usize::from(v.therapist)].as_bytes());
            out.bytes(match v.adverse_event {
                AdverseEvent::None => b",none",
                AdverseEvent::Mild => b",mild",
                AdverseEvent::Moderate => b",moderate",
            });
            out.end_row()?;
        }

        let out = &mut self.scores;
        out.bytes(id);
        out.bytes(b",0,");
        out.tenths(p.pain0);
        out.bytes(b",");
        out.uint(u64::from(p.ndi0));
        out.end_row()?;
        if let Some((pain, ndi)) = p.week5 {
            out.bytes(id);
            out.bytes(b",5,");
            out.tenths(pain);
            out.bytes(b",");
            out.uint(u64::from(ndi));
            out.end_row()?;
        }
        Ok(())
    }
}
