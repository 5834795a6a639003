//! A synthetic estate for the verify benchmark and the large-input test:
//! `groups` services with one security group each, every service talking to
//! the next `fan_out` services on its own TCP port, and the
//! describe-security-groups document that deploys exactly the derived rules
//! (`2 * groups * fan_out` rules).

use std::fmt::Write as _;

use appmap::{Map, Protocol, Reason, Relation, Service, ValidMap};

fn name(i: usize) -> String {
    format!("svc-{i:05}")
}

fn group(i: usize) -> String {
    format!("sg-{i:017x}")
}

/// The map: `groups` services, `groups * fan_out` relations.
pub fn map(groups: usize, fan_out: usize) -> ValidMap {
    let mut m = Map::default();
    for i in 0..groups {
        let mut s = Service::new(name(i).parse().expect("name"));
        s.security_group_ids = vec![group(i)];
        m.services.push(s);
    }
    for i in 0..groups {
        for k in 1..=fan_out {
            let to = (i + k) % groups;
            m.relations.push(Relation::new(
                name(i).parse().expect("name"),
                name(to).parse().expect("name"),
                Protocol::tcp(8000 + k as u16),
                Reason::new(format!("Service {i} calls service {to} for feature {k}")).expect("reason"),
            ));
        }
    }
    ValidMap::new(m).expect("synthetic map is valid")
}

/// `aws ec2 describe-security-groups --output json` deploying exactly the derived rules.
pub fn describe_json(groups: usize, fan_out: usize) -> String {
    let mut out = String::with_capacity(groups * fan_out * 2 * 330);
    out.push_str("{\n    \"SecurityGroups\": [");
    for i in 0..groups {
        if i > 0 {
            out.push(',');
        }
        let perm = |out: &mut String, port: usize, peer: usize, first: bool| {
            let _ = write!(
                out,
                "{}\n                {{\n                    \"FromPort\": {port},\n                    \"IpProtocol\": \"tcp\",\n                    \"IpRanges\": [],\n                    \"Ipv6Ranges\": [],\n                    \"PrefixListIds\": [],\n                    \"ToPort\": {port},\n                    \"UserIdGroupPairs\": [\n                        {{\n                            \"Description\": \"svc calls svc for a feature: generated\",\n                            \"GroupId\": \"{}\",\n                            \"UserId\": \"123456789012\"\n                        }}\n                    ]\n                }}",
                if first { "" } else { "," },
                group(peer)
            );
        };
        let _ = write!(
            out,
            "\n        {{\n            \"Description\": \"generated\",\n            \"GroupName\": \"{}\",\n            \"GroupId\": \"{}\",\n            \"OwnerId\": \"123456789012\",\n            \"VpcId\": \"vpc-0123456789abcdef0\",\n            \"IpPermissions\": [",
            name(i),
            group(i)
        );
        for k in 1..=fan_out {
            perm(&mut out, 8000 + k, (i + groups - k) % groups, k == 1);
        }
        out.push_str("\n            ],\n            \"IpPermissionsEgress\": [");
        for k in 1..=fan_out {
            perm(&mut out, 8000 + k, (i + k) % groups, k == 1);
        }
        out.push_str("\n            ]\n        }");
    }
    out.push_str("\n    ]\n}\n");
    out
}
