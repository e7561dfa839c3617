//! The workbook's zip package: rust_xlsxwriter's package, entry by entry, with the rows of the
//! large sheets spliced into their (header-only) sheets.
//!
//! The other entries are copied as rust_xlsxwriter deflated them (read with the `zip` crate).
//! A spliced sheet is one deflate stream of three pieces: rust_xlsxwriter's sheet XML up to
//! `</sheetData>` (with the `<dimension>` widened to the rows), the rows deflated ahead in
//! blocks ([`super::sheet`]), and the rest of the sheet XML; each piece but the last ends with
//! a sync flush, and the CRC-32s are combined. The container is written here rather than with
//! `zip::ZipWriter` because that writer deflates what it is given and cannot take an entry
//! already deflated with its CRC known (only an entry copied from another archive): a plain
//! zip, local headers with sizes and CRC known up front (no data descriptors), a central
//! directory, no zip64, so an entry or the package is refused past 4 GiB (Excel's row limit
//! keeps a sheet of this tool's tables near 0.5 GiB of XML).

use std::io::{self, Read, Write};

use super::XlsxError;
use super::sheet::Deflated;

/// A sheet whose rows are spliced in.
pub(super) struct Splice {
    /// The entry's name in the package (`xl/worksheets/sheetN.xml`).
    pub entry: String,
    /// The sheet's last cell (`T100001`), for its `<dimension>`.
    pub last_cell: String,
    /// The rows: where they are in the spool, and their CRC and length before deflate.
    pub offset: u64,
    pub len: u64,
    pub crc: crc32fast::Hasher,
    pub size: u64,
}

/// DOS date 1980-01-01, time 00:00: every entry's date (the same run gives the same bytes).
const DOS_DATE: u16 = (1 << 5) | 1;

struct Entry {
    name: String,
    method: u16,
    crc: u32,
    compressed: u64,
    size: u64,
    offset: u64,
}

/// Counts the bytes written through it.
struct Counting<'w> {
    w: &'w mut dyn Write,
    written: u64,
}

impl Write for Counting<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.w.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

fn u32_of(v: u64, what: &str) -> Result<u32, XlsxError> {
    u32::try_from(v).map_err(|_| XlsxError::TooLarge(what.to_owned()))
}

/// Writes `book` (rust_xlsxwriter's package) to `out` with the rows of `splices` taken from
/// `spool`.
pub(super) fn assemble(
    book: &[u8],
    spool: &mut std::fs::File,
    splices: &[Splice],
    out: &mut dyn Write,
) -> Result<(), XlsxError> {
    let mut zip = zip::ZipArchive::new(io::Cursor::new(book))?;
    let mut w = Counting { w: out, written: 0 };
    let mut entries = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        let name = zip.by_index_raw(i)?.name().to_owned();
        let offset = w.written;
        if let Some(s) = splices.iter().find(|s| s.entry == name) {
            let mut xml = String::new();
            zip.by_index(i)?.read_to_string(&mut xml)?;
            let (head, tail) = split_sheet(&xml, &s.last_cell)?;
            let head = Deflated::of(head.as_bytes(), false)?;
            let tail = Deflated::of(tail.as_bytes(), true)?;
            let mut crc = head.crc.clone();
            crc.combine(&s.crc);
            crc.combine(&tail.crc);
            let e = Entry {
                name,
                method: 8,
                crc: crc.finalize(),
                compressed: head.bytes.len() as u64 + s.len + tail.bytes.len() as u64,
                size: head.size + s.size + tail.size,
                offset,
            };
            local_header(&mut w, &e)?;
            w.write_all(&head.bytes)?;
            super::sheet::copy_range(spool, s.offset, s.len, &mut w)?;
            w.write_all(&tail.bytes)?;
            entries.push(e);
        } else {
            let mut f = zip.by_index_raw(i)?;
            let method = match f.compression() {
                zip::CompressionMethod::Stored => 0,
                zip::CompressionMethod::Deflated => 8,
                other => {
                    return Err(XlsxError::Io(io::Error::other(format!(
                        "rust_xlsxwriter wrote {name} with {other:?}"
                    ))));
                }
            };
            let e = Entry {
                method,
                crc: f.crc32(),
                compressed: f.compressed_size(),
                size: f.size(),
                offset,
                name,
            };
            let mut data = Vec::with_capacity(usize::try_from(e.compressed).unwrap_or(0));
            f.read_to_end(&mut data)?;
            local_header(&mut w, &e)?;
            w.write_all(&data)?;
            entries.push(e);
        }
    }
    let directory = w.written;
    for e in &entries {
        central_header(&mut w, e)?;
    }
    let directory_len = w.written - directory;
    let count = u16::try_from(entries.len())
        .map_err(|_| XlsxError::TooLarge("the number of sheets".to_owned()))?;
    let mut end = Vec::with_capacity(22);
    end.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    end.extend_from_slice(&[0; 4]); // this disk, the directory's disk
    end.extend_from_slice(&count.to_le_bytes());
    end.extend_from_slice(&count.to_le_bytes());
    end.extend_from_slice(&u32_of(directory_len, "the package")?.to_le_bytes());
    end.extend_from_slice(&u32_of(directory, "the package")?.to_le_bytes());
    end.extend_from_slice(&[0; 2]); // no comment
    w.write_all(&end)?;
    w.flush()?;
    Ok(())
}

/// The fields a local and a central header share, from "version needed" to the name's length.
fn common(h: &mut Vec<u8>, e: &Entry) -> Result<(), XlsxError> {
    h.extend_from_slice(&20u16.to_le_bytes()); // version needed: 2.0 (deflate)
    h.extend_from_slice(&0u16.to_le_bytes()); // flags
    h.extend_from_slice(&e.method.to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes()); // time 00:00
    h.extend_from_slice(&DOS_DATE.to_le_bytes());
    h.extend_from_slice(&e.crc.to_le_bytes());
    h.extend_from_slice(&u32_of(e.compressed, &e.name)?.to_le_bytes());
    h.extend_from_slice(&u32_of(e.size, &e.name)?.to_le_bytes());
    let name_len = u16::try_from(e.name.len()).map_err(|_| XlsxError::TooLarge(e.name.clone()))?;
    h.extend_from_slice(&name_len.to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes()); // extra field's length
    Ok(())
}

fn local_header(w: &mut dyn Write, e: &Entry) -> Result<(), XlsxError> {
    let mut h = Vec::with_capacity(30 + e.name.len());
    h.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    common(&mut h, e)?;
    h.extend_from_slice(e.name.as_bytes());
    w.write_all(&h)?;
    Ok(())
}

fn central_header(w: &mut dyn Write, e: &Entry) -> Result<(), XlsxError> {
    let mut h = Vec::with_capacity(46 + e.name.len());
    h.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    h.extend_from_slice(&20u16.to_le_bytes()); // made by: 2.0, MS-DOS attributes
    common(&mut h, e)?;
    h.extend_from_slice(&[0; 2]); // comment's length
    h.extend_from_slice(&[0; 2]); // disk
    h.extend_from_slice(&[0; 2]); // internal attributes
    h.extend_from_slice(&[0; 4]); // external attributes
    h.extend_from_slice(&u32_of(e.offset, "the package")?.to_le_bytes());
    h.extend_from_slice(e.name.as_bytes());
    w.write_all(&h)?;
    Ok(())
}

/// rust_xlsxwriter's sheet XML cut where the rows go (before `</sheetData>`), its
/// `<dimension ref="...">` made `A1:{last_cell}`.
fn split_sheet(xml: &str, last_cell: &str) -> Result<(String, String), XlsxError> {
    let at = xml.find("</sheetData>").ok_or_else(|| {
        XlsxError::Io(io::Error::other(
            "rust_xlsxwriter wrote a sheet without </sheetData>",
        ))
    })?;
    let (head, tail) = xml.split_at(at);
    const DIM: &str = "<dimension ref=\"";
    let head = match head.find(DIM) {
        Some(d) => {
            let start = d + DIM.len();
            let end = start + head[start..].find('"').unwrap_or(0);
            format!("{}A1:{last_cell}{}", &head[..start], &head[end..])
        }
        None => head.to_owned(),
    };
    Ok((head, tail.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dimension_covers_the_spliced_rows() {
        let xml = "<worksheet><dimension ref=\"A1:C1\"/><sheetData><row r=\"1\"/></sheetData><x/></worksheet>";
        let (head, tail) = split_sheet(xml, "C9").unwrap();
        assert_eq!(
            head,
            "<worksheet><dimension ref=\"A1:C9\"/><sheetData><row r=\"1\"/>"
        );
        assert_eq!(tail, "</sheetData><x/></worksheet>");
    }
}
