//! Port sets: what one edge of the path graph admits.

use std::fmt;

use crate::protocol::{PortRange, Traffic};

/// A normalised set of [`Traffic`]: TCP and UDP ranges merged, ICMP entries
/// that another covers dropped, `all` absorbing everything.
///
/// # Examples
/// ```
/// use appmap::paths::PortSet;
/// use appmap::{PortRange, Traffic};
/// let web = PortSet::new([Traffic::Tcp(PortRange::single(443)), Traffic::Tcp(PortRange::new(444, 450).unwrap())]);
/// assert_eq!(web.to_string(), "tcp:443-450");
/// let egress = PortSet::new([Traffic::Tcp(PortRange::new(1, 443).unwrap())]);
/// assert_eq!(web.intersect(&egress).to_string(), "tcp:443");
/// assert!(web.intersect(&PortSet::new([Traffic::Udp(PortRange::single(443))])).is_empty());
/// assert_eq!(PortSet::new([Traffic::All, Traffic::Tcp(PortRange::single(22))]).to_string(), "all");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PortSet(Vec<Traffic>);

impl PortSet {
    /// The normalised set of `traffic`.
    pub fn new(traffic: impl IntoIterator<Item = Traffic>) -> Self {
        PortSet(normalise(traffic.into_iter().collect()))
    }

    /// True when it admits nothing.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Its entries, sorted.
    pub fn traffic(&self) -> &[Traffic] {
        &self.0
    }

    /// What both admit.
    #[must_use]
    pub fn intersect(&self, other: &PortSet) -> PortSet {
        let mut out = Vec::new();
        for a in &self.0 {
            for b in &other.0 {
                if let Some(t) = intersect(a, b) {
                    out.push(t);
                }
            }
        }
        PortSet(normalise(out))
    }

    /// What either admits.
    #[must_use]
    pub fn union(&self, other: &PortSet) -> PortSet {
        PortSet(normalise(self.0.iter().chain(&other.0).copied().collect()))
    }

    /// True when everything `other` admits, `self` admits too.
    pub fn covers(&self, other: &PortSet) -> bool {
        // Both are normalised: merged ranges, so one entry of `self` must hold each entry of `other`.
        other.0.iter().all(|t| self.0.iter().any(|s| s.contains(t)))
    }

    /// Each entry as text (`tcp:443`, `udp:53`, `icmp:8`, `all`).
    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

impl fmt::Display for PortSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("none");
        }
        f.write_str(&self.to_strings().join(", "))
    }
}

/// What both `a` and `b` admit, if anything.
fn intersect(a: &Traffic, b: &Traffic) -> Option<Traffic> {
    match (*a, *b) {
        (Traffic::All, x) | (x, Traffic::All) => Some(x),
        (Traffic::Tcp(x), Traffic::Tcp(y)) => {
            PortRange::new(x.from().max(y.from()), x.to().min(y.to())).map(Traffic::Tcp)
        }
        (Traffic::Udp(x), Traffic::Udp(y)) => {
            PortRange::new(x.from().max(y.from()), x.to().min(y.to())).map(Traffic::Udp)
        }
        (Traffic::Icmp { ty: None, .. }, other @ Traffic::Icmp { .. })
        | (other @ Traffic::Icmp { .. }, Traffic::Icmp { ty: None, .. }) => Some(other),
        (Traffic::Icmp { ty: Some(t1), code: c1 }, Traffic::Icmp { ty: Some(t2), code: c2 }) if t1 == t2 => {
            match (c1, c2) {
                (None, c) | (c, None) => Some(Traffic::Icmp { ty: Some(t1), code: c }),
                (Some(x), Some(y)) if x == y => Some(Traffic::Icmp { ty: Some(t1), code: Some(x) }),
                _ => None,
            }
        }
        _ => None,
    }
}

fn merge_ranges(mut ranges: Vec<PortRange>) -> Vec<PortRange> {
    ranges.sort();
    let mut out: Vec<PortRange> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if u32::from(r.from()) <= u32::from(last.to()) + 1 => {
                if r.to() > last.to() {
                    *last = PortRange::new(last.from(), r.to()).unwrap_or(*last);
                }
            }
            _ => out.push(r),
        }
    }
    out
}

fn normalise(v: Vec<Traffic>) -> Vec<Traffic> {
    if v.len() <= 1 {
        return v;
    }
    if v.contains(&Traffic::All) {
        return vec![Traffic::All];
    }
    let (mut tcp, mut udp, mut icmp) = (Vec::new(), Vec::new(), Vec::new());
    for t in v {
        match t {
            Traffic::Tcp(r) => tcp.push(r),
            Traffic::Udp(r) => udp.push(r),
            Traffic::Icmp { .. } => icmp.push(t),
            Traffic::All => {}
        }
    }
    let mut out: Vec<Traffic> = merge_ranges(tcp).into_iter().map(Traffic::Tcp).collect();
    out.extend(merge_ranges(udp).into_iter().map(Traffic::Udp));
    icmp.sort();
    icmp.dedup();
    let kept: Vec<Traffic> = icmp.iter().filter(|t| !icmp.iter().any(|o| o != *t && o.contains(t))).copied().collect();
    out.extend(kept);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(a: u16, b: u16) -> Traffic {
        Traffic::Tcp(PortRange::new(a, b).expect("range"))
    }

    #[test]
    fn ranges_merge_when_adjacent_or_overlapping() {
        assert_eq!(
            PortSet::new([tcp(10, 20), tcp(21, 30), tcp(25, 40), tcp(50, 50)]).traffic(),
            [tcp(10, 40), tcp(50, 50)]
        );
    }

    #[test]
    fn icmp_intersections() {
        let any = Traffic::Icmp { ty: None, code: None };
        let echo = Traffic::Icmp { ty: Some(8), code: None };
        let echo0 = Traffic::Icmp { ty: Some(8), code: Some(0) };
        assert_eq!(PortSet::new([any, echo]).traffic(), [any]);
        assert_eq!(PortSet::new([echo]).intersect(&PortSet::new([echo0])).traffic(), [echo0]);
        assert!(PortSet::new([echo]).intersect(&PortSet::new([Traffic::Icmp { ty: Some(0), code: None }])).is_empty());
        assert!(PortSet::new([echo]).intersect(&PortSet::new([tcp(1, 65535)])).is_empty());
        assert_eq!(PortSet::new([Traffic::All]).intersect(&PortSet::new([echo])).traffic(), [echo]);
    }

    #[test]
    fn covers() {
        let wide = PortSet::new([tcp(1, 1024)]);
        assert!(wide.covers(&PortSet::new([tcp(443, 443), tcp(80, 80)])));
        assert!(!wide.covers(&PortSet::new([tcp(443, 2000)])));
        assert!(PortSet::new([Traffic::All]).covers(&wide));
    }
}
