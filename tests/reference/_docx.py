"""Shared helpers of report_docx.py and audit_docx.py: run the binary, read CSV outputs, and
read a Word document back with python-docx (pinned in requirements.txt): its tables with their
captions, all of its text, and its embedded images with the size Word sets them at.

Each script runs the binary given as its argument (default target/release/trialdose) on
data/dream-like into a temporary folder; run it from the repository root with the helper
environment's Python (tests/reference/README.md). Each check prints ok or FAIL; the last line
is the tally (`finish()`); the exit code is 1 on any failure."""

import csv
import os
import re
import subprocess
import sys

import docx  # python-docx

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COHORT = os.path.join(REPO, "data", "dream-like")
BINARY = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "target", "release", "trialdose")

# The resolution the charts are drawn at for Word, and how far an image may be from it (the
# extent is whole EMU, so the resolution is exact to about 1e-6; half a dot per inch allows for
# rounding a pixel).
PRINT_DPI = 300
DPI_TOLERANCE = 0.5

_checks = [0]
_failures = []


def check(what, ok):
    _checks[0] += 1
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        _failures.append(what)


def finish():
    """Print the tally; the exit code for sys.exit."""
    print(f"{_checks[0] - len(_failures)} of {_checks[0]} checks ok")
    return 1 if _failures else 0


def run(*args):
    subprocess.run([BINARY, *args], check=True, stdout=subprocess.DEVNULL)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def tables(document):
    """(caption, rows of cell texts) per table; the caption is the paragraph before it.
    A cell spanning columns is read once (python-docx repeats it per grid column)."""
    body = document.element.body
    out = []
    caption = ""
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = "".join(t.text or "" for t in child.iter() if t.tag.endswith("}t"))
            if text:
                caption = text
        elif tag == "tbl":
            t = docx.table.Table(child, document)
            rows = []
            for r in t.rows:
                cells = []
                for c in r.cells:
                    if not cells or c._tc is not cells[-1][0]:
                        cells.append((c._tc, c.text))
                rows.append([text for _, text in cells])
            out.append((caption, rows))
    return out


def table(all_tables, caption):
    for c, rows in all_tables:
        if caption in c:
            return rows
    raise KeyError(caption)


def every_text(document):
    texts = [p.text for p in document.paragraphs]
    for t in document.tables:
        for r in t.rows:
            texts.extend(c.text for c in r.cells)
    return "\n".join(texts)


def whole(number, text):
    """Is `number` in `text` as a whole number (not the end of 12/38 or 57.9%, nor the start of
    2/50)?"""
    return re.search(r"(?<![\d.])" + re.escape(number) + r"(?!\d|\.\d)", text) is not None


def check_images(document, name, at_least):
    """The document's images: one per figure caption (at least `at_least`), each a PNG drawn at
    print resolution: its pixels over the size Word sets it at (the inline shape's extent) make
    PRINT_DPI across and down, and the PNG records that resolution. Returns the pixel sizes."""
    images = [r for r in document.part.rels.values() if r.reltype.endswith("/image")]
    captions = [p.text for p in document.paragraphs if p.text.startswith("Figure ")]
    check(f"{name}: {len(images)} embedded images, one per figure caption ({len(captions)})",
          len(images) == len(captions) >= at_least)
    check(f"{name}: every image is a PNG",
          all(r.target_part.blob.startswith(b"\x89PNG\r\n\x1a\n") for r in images))
    shapes = document.inline_shapes
    check(f"{name}: inline shapes drawn", len(shapes) == len(images))
    sizes = []
    for k, shape in enumerate(shapes):
        rid = shape._inline.graphic.graphicData.pic.blipFill.blip.embed
        image = document.part.related_parts[rid].image
        across = image.px_width / shape.width.inches
        down = image.px_height / shape.height.inches
        check(f"{name}: image {k + 1}, {image.px_width} x {image.px_height} pixels set at "
              f"{shape.width.cm:.2f} x {shape.height.cm:.2f} cm: {across:.2f} x {down:.2f} dpi",
              abs(across - PRINT_DPI) <= DPI_TOLERANCE and abs(down - PRINT_DPI) <= DPI_TOLERANCE)
        check(f"{name}: image {k + 1} records {image.horz_dpi} x {image.vert_dpi} dpi",
              (image.horz_dpi, image.vert_dpi) == (PRINT_DPI, PRINT_DPI))
        sizes.append((image.px_width, image.px_height))
    return sizes
