//! A minimal DER reader: just enough to walk PKCS#1/PKCS#8 keys and X.509 certificates.

pub(crate) const TAG_INTEGER: u8 = 0x02;
pub(crate) const TAG_OCTET_STRING: u8 = 0x04;
pub(crate) const TAG_OID: u8 = 0x06;
pub(crate) const TAG_SEQUENCE: u8 = 0x30;
pub(crate) const TAG_SET: u8 = 0x31;

/// The input is not the DER that was expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DerError;

/// Reads TLVs from a byte slice, front to back.
#[derive(Clone, Copy)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Reader { rest: input }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// The next TLV: its tag, its content, and the whole encoding (tag + length + content).
    pub(crate) fn any(&mut self) -> Result<(u8, &'a [u8], &'a [u8]), DerError> {
        let start = self.rest;
        let (&tag, rest) = start.split_first().ok_or(DerError)?;
        let (&first, mut rest) = rest.split_first().ok_or(DerError)?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7F);
            if count == 0 || count > 4 || rest.len() < count {
                return Err(DerError);
            }
            let (bytes, after) = rest.split_at(count);
            rest = after;
            bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
        };
        if rest.len() < len {
            return Err(DerError);
        }
        let (content, after) = rest.split_at(len);
        let whole_len = start.len() - after.len();
        self.rest = after;
        Ok((tag, content, &start[..whole_len]))
    }

    pub(crate) fn expect(&mut self, tag: u8) -> Result<&'a [u8], DerError> {
        let (found, content, _) = self.any()?;
        if found == tag { Ok(content) } else { Err(DerError) }
    }

    pub(crate) fn sequence(&mut self) -> Result<Reader<'a>, DerError> {
        self.expect(TAG_SEQUENCE).map(Reader::new)
    }

    pub(crate) fn set(&mut self) -> Result<Reader<'a>, DerError> {
        self.expect(TAG_SET).map(Reader::new)
    }

    pub(crate) fn integer(&mut self) -> Result<&'a [u8], DerError> {
        self.expect(TAG_INTEGER)
    }

    pub(crate) fn octet_string(&mut self) -> Result<&'a [u8], DerError> {
        self.expect(TAG_OCTET_STRING)
    }

    pub(crate) fn oid(&mut self) -> Result<&'a [u8], DerError> {
        self.expect(TAG_OID)
    }
}

/// An unsigned big-endian integer without its leading zero bytes.
pub(crate) fn strip_leading_zeros(int: &[u8]) -> &[u8] {
    let zeros = int.iter().take_while(|&&b| b == 0).count();
    &int[zeros..]
}

/// A small non-negative DER INTEGER as `u32`.
pub(crate) fn integer_to_u32(int: &[u8]) -> Option<u32> {
    let int = strip_leading_zeros(int);
    if int.len() > 4 {
        return None;
    }
    Some(int.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::type_complexity)]

    use super::*;

    #[test]
    fn reads_short_and_long_lengths() {
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend(std::iter::repeat_n(7u8, 0x80));
        let cases: Vec<(Vec<u8>, Result<(u8, usize), DerError>)> = vec![
            (vec![0x02, 0x01, 0x05], Ok((0x02, 1))),
            (long, Ok((0x04, 0x80))),
            (vec![0x02, 0x02, 0x05], Err(DerError)),
            (vec![0x02], Err(DerError)),
            (vec![0x02, 0x80], Err(DerError)),
        ];
        for (input, want) in cases {
            let got = Reader::new(&input).any().map(|(tag, content, _)| (tag, content.len()));
            assert_eq!(got, want, "{input:02x?}");
        }
    }

    #[test]
    fn small_integers() {
        assert_eq!(integer_to_u32(&[0x00, 0x80, 0x00]), Some(0x8000));
        assert_eq!(integer_to_u32(&[1, 2, 3, 4, 5]), None);
    }
}
