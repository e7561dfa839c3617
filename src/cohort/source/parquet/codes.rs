//! A Parquet string column read as its dictionary codes: each row group's keys (4 bytes a
//! row) and its dictionary, instead of a 16-byte string view per row written into fresh
//! memory and read back.
//!
//! Parquet writers (polars, pyarrow, Spark) store a string column with few distinct values
//! (arms, sites, statuses, therapists, a session log's participant ids) as a dictionary page
//! and data pages of indices into it. polars 0.55 decodes such a column as views unless the
//! file's own schema says categorical, so a 1M-participant `analyze` from Parquet spent a
//! large part of its time having the kernel zero the views' fresh memory and waiting for the
//! views to come back from memory (benches/README.md, "sources"). Here polars' own page
//! decoders are asked for the dictionary type (its `CategoricalDecoder`), a row group at a
//! time. A column chunk without a dictionary page, with a data page that is not
//! dictionary-encoded (a writer falls back to plain pages when the dictionary grows large),
//! or that cannot be decoded so, is read the ordinary way instead: `None` here, and the
//! caller decodes it with the rest; nothing is decided from the codes but speed.

use std::io::Cursor;
use std::ops::Range;

use polars::prelude::FileMetadata;
use polars_arrow::array::DictionaryArray;
use polars_arrow::datatypes::{ArrowDataType, DTYPE_CATEGORICAL_NEW, Field, IntegerType, Metadata};
use polars_buffer::Buffer;
use polars_parquet::read::{
    BasicDecompressor, ColumnChunkMetadata, PageReader, PhysicalType, column_iter_to_arrays,
};

/// Pages are read whatever their stated size, as polars reads them (the file is in memory,
/// bounded by the input limit).
const MAX_PAGE: usize = usize::MAX;

/// Row groups `groups` of column `name` (a string column of the file `file` whose footer is
/// `metadata`) as one dictionary array per row group, or `None` when any of them cannot be
/// read as codes.
pub(super) fn decode(
    file: &Buffer<u8>,
    metadata: &FileMetadata,
    groups: Range<usize>,
    name: &str,
    nullable: bool,
) -> Option<Vec<DictionaryArray<u32>>> {
    let dtype = ArrowDataType::Dictionary(
        IntegerType::UInt32,
        Box::new(ArrowDataType::Utf8View),
        false,
    );
    // The mark polars' decoder looks for before it reads a dictionary column as codes.
    let mark: Metadata = [(DTYPE_CATEGORICAL_NEW.into(), "".into())].into();
    let field = Field::new(name.into(), dtype, nullable).with_metadata(mark);
    let mut out = Vec::with_capacity(groups.len());
    for group in &metadata.row_groups[groups] {
        let mut leaves = group.columns_under_root_iter(name)?;
        let (column, None) = (leaves.next()?, leaves.next()) else {
            return None;
        };
        let chunk = column_bytes(file, column)?;
        if column.descriptor().descriptor.primitive_type.physical_type != PhysicalType::ByteArray
            || !has_dictionary(&chunk, column)
        {
            return None;
        }
        let pages = BasicDecompressor::new(
            PageReader::new(Cursor::new(chunk), column, Vec::new(), MAX_PAGE),
            Vec::new(),
        );
        let types = vec![&column.descriptor().descriptor.primitive_type];
        let (arrays, _) = column_iter_to_arrays(vec![pages], types, field.clone(), None).ok()?;
        let mut rows = 0;
        for array in arrays {
            let codes = array.as_any().downcast_ref::<DictionaryArray<u32>>()?;
            rows += codes.len();
            out.push(codes.clone());
        }
        if rows != group.num_rows() {
            return None;
        }
    }
    Some(out)
}

/// The bytes of `column`'s chunk, `None` when its footer places it outside the file.
fn column_bytes(file: &Buffer<u8>, column: &ColumnChunkMetadata) -> Option<Buffer<u8>> {
    let range = column.byte_range();
    let start = usize::try_from(range.start).ok()?;
    let end = usize::try_from(range.end).ok()?;
    (start <= end && end <= file.len()).then(|| file.clone().sliced(start..end))
}

/// Whether the chunk starts with a dictionary page (read from its header alone). polars'
/// dictionary decoder needs one: without it, it would take the first data page's indices
/// into a dictionary of unknown size.
fn has_dictionary(chunk: &Buffer<u8>, column: &ColumnChunkMetadata) -> bool {
    let mut pages = PageReader::new(Cursor::new(chunk.clone()), column, Vec::new(), MAX_PAGE);
    matches!(pages.read_dict(), Ok(Some(_)))
}
