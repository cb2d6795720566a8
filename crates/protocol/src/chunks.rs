//! `Pending`: the not yet consumed bytes of a body that arrives in chunks. The incremental decoders
//! of this crate keep at most one incomplete item (plus the chunk being read) here, so what a
//! decoder holds is bounded by its largest item, never by the body.

/// Bytes received and not consumed yet.
#[derive(Debug, Default)]
pub struct Pending {
    buf: Vec<u8>,
    at: usize,
}

impl Pending {
    /// Appends `chunk`, first dropping what was consumed.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.at > 0 {
            self.buf.drain(..self.at);
            self.at = 0;
        }
        self.buf.extend_from_slice(chunk);
    }

    /// The unconsumed bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.buf[self.at..]
    }

    /// How many bytes are unconsumed.
    pub fn len(&self) -> usize {
        self.buf.len() - self.at
    }

    /// Whether every byte was consumed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Marks `n` bytes consumed (at most what is there).
    pub fn consume(&mut self, n: usize) {
        self.at = (self.at + n).min(self.buf.len());
        if self.at == self.buf.len() {
            self.buf.clear();
            self.at = 0;
        }
    }

    /// The next `n` bytes, consumed, if that many are there.
    pub fn take(&mut self, n: usize) -> Option<Vec<u8>> {
        let bytes = self.bytes().get(..n)?.to_vec();
        self.consume(n);
        Some(bytes)
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn pending_keeps_only_the_unconsumed_tail() {
        let mut p = Pending::default();
        p.push(b"abcdef");
        assert_eq!(p.take(2).unwrap(), b"ab");
        assert!(p.take(5).is_none());
        p.push(b"gh");
        assert_eq!(p.bytes(), b"cdefgh");
        p.consume(100);
        assert!(p.is_empty());
        assert_eq!(p.len(), 0);
    }
}
