//! Reading a fuzz input as a few leading control bytes followed by a body, so that seeds made
//! from recorded traffic are just `[mode, ...] ++ body`.

/// The bytes of an input not yet taken.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a>(pub &'a [u8]);

impl<'a> Input<'a> {
    /// The next byte (0 once the input is used up).
    pub fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    /// A part prefixed by its length (u32 little-endian), cut short if the input is.
    pub fn part(&mut self) -> &'a [u8] {
        let len = u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()]) as usize;
        let (part, rest) = self.0.split_at(len.min(self.0.len()));
        self.0 = rest;
        part
    }

    /// Everything left.
    pub fn rest(self) -> &'a [u8] {
        self.0
    }

    /// Splits what is left at the first `sep` (the separator is dropped); all of it if absent.
    pub fn split(self, sep: u8) -> (&'a [u8], Option<&'a [u8]>) {
        match self.0.iter().position(|b| *b == sep) {
            Some(i) => (&self.0[..i], Some(&self.0[i + 1..])),
            None => (self.0, None),
        }
    }
}
