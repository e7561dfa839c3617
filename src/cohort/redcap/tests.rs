//! Tests of the REDCap translation.
