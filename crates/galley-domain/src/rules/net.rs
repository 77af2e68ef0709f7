//! IPv4 CIDRs and security-list ingress rules as the design model writes them (`"<protocol>:<ports>:<source>"`).

use std::fmt;

/// An IPv4 CIDR block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr {
    /// Network address (host bits cleared).
    pub addr: u32,
    /// Prefix length, 0..=32.
    pub prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n`. Host bits set below the prefix are refused (OCI refuses them too).
    pub fn parse(s: &str) -> Option<Cidr> {
        let (ip, prefix) = s.trim().split_once('/')?;
        let prefix: u8 = prefix.parse().ok().filter(|p| *p <= 32)?;
        let mut addr: u32 = 0;
        let mut parts = 0;
        for part in ip.split('.') {
            if part.is_empty() || part.len() > 3 || !part.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let octet: u8 = part.parse().ok()?;
            addr = (addr << 8) | u32::from(octet);
            parts += 1;
        }
        if parts != 4 {
            return None;
        }
        let cidr = Cidr { addr, prefix };
        (addr & cidr.mask() == addr).then_some(cidr)
    }

    fn mask(self) -> u32 {
        if self.prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(self.prefix)) }
    }

    /// The last address of the block.
    pub fn last(self) -> u32 {
        self.addr | !self.mask()
    }

    /// Whether `other` lies entirely inside this block.
    pub fn contains(self, other: Cidr) -> bool {
        self.prefix <= other.prefix && other.addr & self.mask() == self.addr
    }

    /// Whether the two blocks share an address.
    pub fn overlaps(self, other: Cidr) -> bool {
        self.contains(other) || other.contains(self)
    }

    /// Number of addresses in the block.
    pub fn size(self) -> u64 {
        1u64 << (32 - u32::from(self.prefix))
    }

    /// 0.0.0.0/0.
    pub const ANYWHERE: Cidr = Cidr { addr: 0, prefix: 0 };
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.addr;
        write!(f, "{}.{}.{}.{}/{}", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, self.prefix)
    }
}

/// A protocol of an ingress rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP.
    Icmp,
    /// Every protocol.
    All,
}

impl Protocol {
    fn parse(s: &str) -> Option<Protocol> {
        match s.trim().to_ascii_lowercase().as_str() {
            "tcp" | "6" => Some(Protocol::Tcp),
            "udp" | "17" => Some(Protocol::Udp),
            "icmp" | "1" => Some(Protocol::Icmp),
            "all" | "*" => Some(Protocol::All),
            _ => None,
        }
    }

    /// Whether a rule of this protocol lets `wanted` through.
    fn covers(self, wanted: Protocol) -> bool {
        self == Protocol::All || self == wanted
    }
}

/// Ports of an ingress rule: a TCP/UDP range, or an ICMP type (and code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ports {
    /// Every port / every ICMP type.
    Any,
    /// An inclusive TCP/UDP port range.
    Range(u16, u16),
    /// An ICMP type, with a code or all codes.
    Icmp(u8, Option<u8>),
}

impl Ports {
    fn parse(s: &str, protocol: Protocol) -> Option<Ports> {
        let s = s.trim();
        if s == "*" || s.is_empty() {
            return Some(Ports::Any);
        }
        if protocol == Protocol::Icmp {
            let (t, c) = match s.split_once('.') {
                Some((t, c)) => (t, Some(c.parse::<u8>().ok()?)),
                None => (s, None),
            };
            return Some(Ports::Icmp(t.parse().ok()?, c));
        }
        let (a, b) = match s.split_once('-') {
            Some((a, b)) => (a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?),
            None => {
                let p = s.parse::<u16>().ok()?;
                (p, p)
            }
        };
        (a >= 1 && a <= b).then_some(Ports::Range(a, b))
    }

    /// Whether these ports include all of `wanted`.
    fn covers(self, wanted: Ports) -> bool {
        match (self, wanted) {
            (Ports::Any, _) => true,
            (_, Ports::Any) => matches!(self, Ports::Range(1, 65535)),
            (Ports::Range(a, b), Ports::Range(c, d)) => a <= c && d <= b,
            (Ports::Icmp(t, None), Ports::Icmp(u, _)) => t == u,
            (Ports::Icmp(t, Some(c)), Ports::Icmp(u, Some(d))) => t == u && c == d,
            _ => false,
        }
    }

    /// Whether these ports share any port with `other`.
    fn overlaps(self, other: Ports) -> bool {
        match (self, other) {
            (Ports::Any, _) | (_, Ports::Any) => true,
            (Ports::Range(a, b), Ports::Range(c, d)) => a <= d && c <= b,
            (Ports::Icmp(t, c), Ports::Icmp(u, d)) => t == u && (c.is_none() || d.is_none() || c == d),
            _ => false,
        }
    }
}

/// The source of an ingress rule, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A CIDR block.
    Cidr(Cidr),
    /// The VCN's CIDR (`vcn`).
    Vcn,
    /// In a rule's expectation only: any source at all (`any`).
    Any,
    /// In a connection rule's expectation only: the other end's subnet (`peer`).
    Peer,
}

/// One ingress rule `"<protocol>:<ports>:<source>"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngressRule {
    /// Protocol.
    pub protocol: Protocol,
    /// Ports or ICMP type.
    pub ports: Ports,
    /// Source.
    pub source: Source,
}

impl IngressRule {
    /// Parses a subnet's ingress rule (sources: a CIDR or `vcn`).
    pub fn parse(s: &str) -> Option<IngressRule> {
        Self::parse_with(s, false)
    }

    /// Parses an expectation in a validation rule (sources also `any` and `peer`).
    pub fn parse_expectation(s: &str) -> Option<IngressRule> {
        Self::parse_with(s, true)
    }

    fn parse_with(s: &str, expectation: bool) -> Option<IngressRule> {
        let mut parts = s.splitn(3, ':');
        let protocol = Protocol::parse(parts.next()?)?;
        let ports = Ports::parse(parts.next()?, protocol)?;
        let source = match parts.next()?.trim() {
            "vcn" => Source::Vcn,
            "any" if expectation => Source::Any,
            "peer" if expectation => Source::Peer,
            other => Source::Cidr(Cidr::parse(other)?),
        };
        if protocol == Protocol::All && ports != Ports::Any {
            return None;
        }
        Some(IngressRule { protocol, ports, source })
    }
}

/// What a source of a subnet rule resolves to: `vcn` becomes the VCN's CIDR when known.
fn resolve(source: Source, vcn: Option<Cidr>) -> Option<Cidr> {
    match source {
        Source::Cidr(c) => Some(c),
        Source::Vcn => vcn,
        Source::Any | Source::Peer => None,
    }
}

/// Whether `rules` let the expected traffic in. `peer` is the other end's subnet CIDR (None when unknown: the
/// peer's VCN is used instead).
pub fn allows(rules: &[IngressRule], wanted: &IngressRule, vcn: Option<Cidr>, peer: Option<Cidr>) -> bool {
    enum Want {
        Any,
        Block(Cidr),
        UnknownVcn,
    }
    let want = match wanted.source {
        Source::Any => Want::Any,
        Source::Vcn => vcn.map_or(Want::UnknownVcn, Want::Block),
        Source::Peer => peer.or(vcn).map_or(Want::UnknownVcn, Want::Block),
        Source::Cidr(c) => Want::Block(c),
    };
    rules.iter().any(|r| {
        r.protocol.covers(wanted.protocol)
            && r.ports.covers(wanted.ports)
            && match want {
                Want::Any => true,
                Want::Block(w) => resolve(r.source, vcn).is_some_and(|rc| rc.contains(w)),
                Want::UnknownVcn => {
                    matches!(r.source, Source::Vcn) || r.source == Source::Cidr(Cidr::ANYWHERE)
                }
            }
    })
}

/// The first rule that lets forbidden traffic in: same protocol, an overlapping port, and a source containing
/// the forbidden one.
pub fn first_admitting<'a>(
    rules: &'a [IngressRule],
    forbidden: &IngressRule,
    vcn: Option<Cidr>,
) -> Option<&'a IngressRule> {
    let f = resolve(forbidden.source, vcn);
    rules.iter().find(|r| {
        (r.protocol.covers(forbidden.protocol) || forbidden.protocol == Protocol::All)
            && r.ports.overlaps(forbidden.ports)
            && match (resolve(r.source, vcn), f) {
                (Some(rc), Some(fc)) => rc.contains(fc),
                (_, None) => forbidden.source == Source::Any,
                (None, Some(_)) => false,
            }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs() {
        let v = Cidr::parse("10.0.0.0/16").unwrap();
        assert_eq!(v.to_string(), "10.0.0.0/16");
        assert!(v.contains(Cidr::parse("10.0.3.0/24").unwrap()));
        assert!(!v.contains(Cidr::parse("10.1.0.0/24").unwrap()));
        assert!(Cidr::ANYWHERE.contains(v));
        for bad in ["10.0.0.1/16", "10.0.0.0", "10.0.0/16", "300.0.0.0/8", "10.0.0.0/33", "a.b.c.d/1", ""] {
            assert_eq!(Cidr::parse(bad), None, "{bad}");
        }
        assert_eq!(Cidr::parse("10.0.0.0/24").unwrap().size(), 256);
    }

    #[test]
    fn ingress_allow_and_forbid() {
        let vcn = Cidr::parse("10.0.0.0/16");
        let rules: Vec<IngressRule> =
            ["tcp:6443:0.0.0.0/0", "all:*:vcn", "icmp:3.4:0.0.0.0/0", "tcp:22:10.0.0.0/24"]
                .iter()
                .map(|r| IngressRule::parse(r).unwrap())
                .collect();
        let want = |s: &str| IngressRule::parse_expectation(s).unwrap();
        assert!(allows(&rules, &want("tcp:6443:any"), vcn, None));
        assert!(allows(&rules, &want("tcp:1-65535:vcn"), vcn, None));
        assert!(allows(&rules, &want("icmp:3.4:vcn"), vcn, None));
        assert!(!allows(&rules, &want("tcp:443:0.0.0.0/0"), vcn, None));
        assert!(allows(&rules, &want("tcp:1522:peer"), vcn, Cidr::parse("10.0.1.0/24")));
        assert!(first_admitting(&rules, &want("tcp:22:0.0.0.0/0"), vcn).is_none());
        let open = [IngressRule::parse("tcp:*:0.0.0.0/0").unwrap()];
        assert!(first_admitting(&open, &want("tcp:22:0.0.0.0/0"), vcn).is_some());
        assert!(IngressRule::parse("tcp:22:any").is_none());
        assert!(IngressRule::parse("all:22:vcn").is_none());
        assert!(IngressRule::parse("tcp:0:vcn").is_none());
    }
}
