//! Decimal numbers written without going through `fmt` (Content-Length, status codes,
//! ports and lifetimes are written on every message).

/// The decimal digits of a number, held on the stack.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decimal {
    buf: [u8; 20],
    start: usize,
}

impl Decimal {
    /// The digits of `n`.
    pub(crate) fn new(n: impl Into<u64>) -> Decimal {
        let mut n: u64 = n.into();
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        loop {
            i -= 1;
            buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        Decimal { buf, start: i }
    }

    /// The digits as bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }

    /// The digits as text.
    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII digits are ever written.
        std::str::from_utf8(self.as_bytes()).unwrap_or("0")
    }
}

#[cfg(test)]
mod tests {
    use super::Decimal;

    #[test]
    fn digits() {
        assert_eq!(Decimal::new(0u32).as_str(), "0");
        assert_eq!(Decimal::new(7u8).as_str(), "7");
        assert_eq!(Decimal::new(65535u16).as_str(), "65535");
        assert_eq!(Decimal::new(u64::MAX).as_str(), "18446744073709551615");
    }
}
