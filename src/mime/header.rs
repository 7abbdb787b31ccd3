//! Header sections (RFC 5322 §2.2): fields, unfolding (§2.2.3), and the
//! streaming reader that takes a header section off a stream.
#![forbid(unsafe_code)]

use std::io::{BufRead, Read};

use super::content_type::count_params;
use super::{Entity, Lines, invalid, is_wsp};
use crate::error::{Error, MimeError, Result};
use crate::limits::{self, Limits};

/// At most this many header fields per entity.
pub(crate) const MAX_FIELDS: usize = 1000;

/// At most this many bytes of header section per entity.
pub(crate) const MAX_HEADER: usize = 1 << 20;

/// The header work one message may cost across all its nested parts
/// ([`Limits::max_header_bytes`]) and the parameters one field may carry
/// ([`Limits::max_header_params`]): each entity a walk parses is charged
/// before anything reads its fields.
pub(crate) struct HeaderBudget {
    left: u64,
    max: u64,
    max_params: usize,
}

impl HeaderBudget {
    /// The budget of one message under `limits`.
    pub(crate) fn new(limits: &Limits) -> Self {
        HeaderBudget {
            left: limits.max_header_bytes,
            max: limits.max_header_bytes,
            max_params: limits.max_header_params,
        }
    }

    /// Charges `entity`'s header section, and counts the parameters of its
    /// `Content-*` fields (the ones parsed for parameters, RFC 2045 §5.1,
    /// RFC 2183 §2).
    pub(crate) fn charge(&mut self, entity: &Entity<'_>) -> Result<()> {
        self.charge_bytes(entity.header_bytes().len())?;
        self.count_params(entity)
    }

    /// Charges `len` bytes of header section.
    pub(super) fn charge_bytes(&mut self, len: usize) -> Result<()> {
        self.left = self
            .left
            .checked_sub(len as u64)
            .ok_or(Error::LimitExceeded {
                limit: "max_header_bytes",
                max: self.max,
            })?;
        Ok(())
    }

    /// Counts the parameters of `entity`'s `Content-*` fields.
    pub(super) fn count_params(&self, entity: &Entity<'_>) -> Result<()> {
        for field in entity.fields() {
            let content = field
                .name
                .get(..8)
                .is_some_and(|p| p.eq_ignore_ascii_case("Content-"));
            if content {
                limits::check(
                    "max_header_params",
                    count_params(&field.value) as u64,
                    self.max_params as u64,
                )?;
            }
        }
        Ok(())
    }
}

/// One header field (RFC 5322 §2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    /// The name as written (obsolete whitespace before the colon removed).
    pub(crate) name: String,
    /// The value unfolded (RFC 5322 §2.2.3: line breaks before WSP
    /// removed, the WSP kept), trimmed, lossy UTF-8.
    pub(crate) value: String,
    /// The field exactly as received: name, folding and line ending.
    pub(crate) raw: Vec<u8>,
}

/// If `line` starts a header field, its name and the value after the colon.
pub(super) fn split_field(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = line.iter().position(|&b| b == b':')?;
    let (name, rest) = line.split_at_checked(colon)?;
    let value = rest.get(1..).unwrap_or_default();
    // RFC 5322 §4.5.3 (obsolete): whitespace may precede the colon.
    let end = name.iter().rposition(|&b| !is_wsp(b))?;
    let name = name.get(..=end)?;
    name.iter()
        .all(|&b| (33..=126).contains(&b))
        .then_some((name, value))
}

/// Whether `line` (with or without its line break) is the first line of a
/// header section for [`Entity::parse`]: a field, not blank, not folded.
pub(crate) fn starts_header(line: &[u8]) -> bool {
    Lines::new(line).next().is_some_and(|(_, content)| {
        content.first().is_some_and(|&b| !is_wsp(b)) && split_field(content).is_some()
    })
}

pub(super) fn parse_fields(header: &[u8]) -> Result<Vec<Field>> {
    let mut fields: Vec<Field> = Vec::new();
    let mut value: Vec<u8> = Vec::new();
    for (number, (line, content)) in Lines::new(header).enumerate() {
        if content.first().is_some_and(|&b| is_wsp(b)) {
            let Some(field) = fields.last_mut() else {
                return Err(invalid(MimeError::ContinuationFirst));
            };
            value.extend_from_slice(content);
            field.raw.extend_from_slice(line);
            continue;
        }
        let Some((name, first)) = split_field(content) else {
            return Err(invalid(MimeError::NotAField { line: number + 1 }));
        };
        if let Some(field) = fields.last_mut() {
            field.value = String::from_utf8_lossy(&value).trim().to_owned();
        }
        if fields.len() >= MAX_FIELDS {
            return Err(invalid(MimeError::TooManyFields { max: MAX_FIELDS }));
        }
        value.clear();
        value.extend_from_slice(first);
        fields.push(Field {
            name: String::from_utf8_lossy(name).into_owned(),
            value: String::new(),
            raw: line.to_vec(),
        });
    }
    if let Some(field) = fields.last_mut() {
        field.value = String::from_utf8_lossy(&value).trim().to_owned();
    }
    Ok(fields)
}

/// Reads the header section of an entity: lines up to and including the
/// first empty one, or to the end of input; larger than [`MAX_HEADER`] is
/// [`MimeError::HeaderTooLarge`], as for an entity in memory. Whether
/// these bytes really are header fields is [`super::Entity::parse`]'s
/// decision, exactly as for an entity in memory.
pub(crate) fn read_head<R: BufRead>(reader: &mut R) -> Result<Vec<u8>> {
    let mut head = Vec::new();
    loop {
        let start = head.len();
        let limit = (MAX_HEADER + 2).saturating_sub(start) as u64;
        let n = reader.by_ref().take(limit).read_until(b'\n', &mut head)?;
        if n == 0 {
            return Ok(head);
        }
        if head.len() > MAX_HEADER {
            return Err(invalid(MimeError::HeaderTooLarge));
        }
        let line = head.get(start..).unwrap_or_default();
        if line == b"\n" || line == b"\r\n" {
            return Ok(head);
        }
        if start == 0 && !starts_header(line) {
            // A headerless entity: this line is body already.
            return Ok(head);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_head_stops_at_the_blank_line() {
        let mut input = &b"A: 1\r\nB: 2\n\r\nbody\r\n"[..];
        let head = read_head(&mut input).unwrap();
        assert_eq!(head, b"A: 1\r\nB: 2\n\r\n");
        assert_eq!(input, b"body\r\n");
        let mut headerless = &b"just text\r\nmore\r\n"[..];
        assert_eq!(read_head(&mut headerless).unwrap(), b"just text\r\n");
    }
}
