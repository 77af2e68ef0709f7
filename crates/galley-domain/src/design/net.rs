//! IPv4 CIDR arithmetic for choosing the VCN range: parse the ranges to avoid, pick a /16 that overlaps none.

/// An IPv4 network: base address and prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    pub base: u32,
    pub len: u8,
}

impl Cidr {
    fn mask(len: u8) -> u32 {
        if len == 0 { 0 } else { u32::MAX << (32 - u32::from(len)) }
    }

    /// Parses `a.b.c.d/n` (or a bare address as /32); the base is normalised to the network address.
    pub(crate) fn parse(s: &str) -> Option<Cidr> {
        let (addr, len) = match s.split_once('/') {
            Some((a, l)) => (a, l.parse::<u8>().ok().filter(|l| *l <= 32)?),
            None => (s, 32),
        };
        let octets: Vec<u8> = addr.split('.').map(|o| o.parse::<u8>().ok()).collect::<Option<_>>()?;
        let [a, b, c, d] = octets[..] else { return None };
        let base = u32::from_be_bytes([a, b, c, d]) & Cidr::mask(len);
        Some(Cidr { base, len })
    }

    /// Whether the two ranges share an address.
    pub(crate) fn overlaps(self, other: Cidr) -> bool {
        let m = Cidr::mask(self.len.min(other.len));
        self.base & m == other.base & m
    }

    /// The first two octets (for a /16).
    pub(crate) fn prefix16(self) -> (u8, u8) {
        let [a, b, _, _] = self.base.to_be_bytes();
        (a, b)
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [a, b, c, d] = self.base.to_be_bytes();
        write!(f, "{a}.{b}.{c}.{d}/{}", self.len)
    }
}

/// Every CIDR (or address) found in free text such as "10.0.0.0/16, 192.168.10.0/24 (office)".
pub(crate) fn find_cidrs(text: &str) -> Vec<Cidr> {
    let mut out: Vec<Cidr> = Vec::new();
    for token in text.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '/')) {
        let token = token.trim_matches(|c| c == '.' || c == '/');
        if token.matches('.').count() == 3
            && let Some(c) = Cidr::parse(token)
            && !out.contains(&c)
        {
            out.push(c);
        }
    }
    out
}

/// The first /16 of the usual private ranges that overlaps none of `avoid`: 10.0, 10.10, ..., 10.250, then
/// 172.16 ... 172.31, then 192.168.
pub(crate) fn choose_vcn(avoid: &[Cidr]) -> Option<Cidr> {
    let tens = (0..=25u32).map(|i| (10u32 << 24) | ((i * 10) << 16));
    let one72 = (16..=31u32).map(|i| (172u32 << 24) | (i << 16));
    let one92 = std::iter::once((192u32 << 24) | (168 << 16));
    tens.chain(one72)
        .chain(one92)
        .map(|base| Cidr { base, len: 16 })
        .find(|c| !avoid.iter().any(|a| a.overlaps(*c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_overlaps() {
        let a = Cidr::parse("10.0.0.0/16").unwrap();
        assert_eq!(a.to_string(), "10.0.0.0/16");
        assert_eq!(Cidr::parse("10.0.5.7/16").unwrap(), a);
        assert!(a.overlaps(Cidr::parse("10.0.3.0/24").unwrap()));
        assert!(a.overlaps(Cidr::parse("10.0.0.0/8").unwrap()));
        assert!(!a.overlaps(Cidr::parse("10.1.0.0/16").unwrap()));
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
        assert_eq!(Cidr::parse("10.0.0/16"), None);
        assert_eq!(Cidr::parse("0.0.0.0/0").unwrap().len, 0);
    }

    #[test]
    fn finds_cidrs_in_free_text() {
        let found = find_cidrs("本社 10.0.0.0/16、大阪 192.168.10.0/24 と 172.16.1.5; none");
        let s: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(s, ["10.0.0.0/16", "192.168.10.0/24", "172.16.1.5/32"]);
        assert!(find_cidrs("なし").is_empty());
    }

    #[test]
    fn chooses_a_free_range() {
        assert_eq!(choose_vcn(&[]).unwrap().to_string(), "10.0.0.0/16");
        let avoid = find_cidrs("10.0.0.0/12");
        assert_eq!(choose_vcn(&avoid).unwrap().to_string(), "10.20.0.0/16");
        let avoid = find_cidrs("10.0.0.0/8 172.16.0.0/12");
        assert_eq!(choose_vcn(&avoid).unwrap().to_string(), "192.168.0.0/16");
        assert_eq!(choose_vcn(&find_cidrs("0.0.0.0/0")), None);
    }
}
