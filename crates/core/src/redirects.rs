//! Where a redirect may lead: a feed on the internet must not steer svodka into the network it
//! runs in (a router's admin page, a cloud's metadata service, svodka's own `/metrics`).
//!
//! Pure: the addresses are resolved by the caller (`fetch`), which also makes the connections
//! after a public origin through a resolver that refuses private answers (`fetch::PublicOnly`), so a
//! name that resolves to a public address when checked and a private one when connected is
//! refused too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use url::Url;

/// Whether an address is on the internet: not loopback, private (RFC 1918, shared 100.64/10,
/// unique local fc00::/7), link-local (169.254/16 with the clouds' metadata service,
/// fe80::/10), unspecified, broadcast, multicast or reserved. An IPv4 address written as IPv6
/// (`::ffff:127.0.0.1`) is judged as the IPv4 address it is.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        // "This network" 0/8, shared address space 100.64/10, IETF 192.0.0/24, benchmarking
        // 198.18/15, reserved 240/4.
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // Unique local fc00::/7, link-local fe80::/10, documentation 2001:db8::/32, and the
        // IPv4-compatible ::/96 (deprecated, never on the internet).
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        || ip.segments()[..6].iter().all(|&s| s == 0))
}

/// Where this svodka itself answers: its listen address and the host and port of its
/// `base_url` (a proxy in front of it). A feed that redirects there would have svodka ingest its
/// own merged feeds or its metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Own {
    pub listen: SocketAddr,
    pub base: Option<(String, u16)>,
}

impl Own {
    pub fn new(listen: SocketAddr, base_url: &str) -> Own {
        let base = Url::parse(base_url).ok().and_then(|u| {
            Some((
                u.host_str()?.to_ascii_lowercase(),
                u.port_or_known_default()?,
            ))
        });
        Own { listen, base }
    }

    /// Whether `host:port`, which resolved to `addrs`, is this svodka. A listen address on
    /// every interface (`0.0.0.0`, `::`) is any local address on its port.
    fn is(&self, host: &str, port: u16, addrs: &[IpAddr]) -> bool {
        let at_base = self
            .base
            .as_ref()
            .is_some_and(|(h, p)| *p == port && h.eq_ignore_ascii_case(host));
        let at_listen = self.listen.port() == port
            && self.listen.port() != 0
            && addrs.iter().any(|&a| {
                let a = canonical(a);
                a == canonical(self.listen.ip())
                    || (self.listen.ip().is_unspecified() && !is_public(a))
            });
        at_base || at_listen
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Why a redirect was not followed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error(
        "redirect to svodka itself refused: {0} ([fetch] allow_private_redirects = true allows it)"
    )]
    Own(String),
    #[error(
        "redirect from a public address to a private one refused: {url} ({ip}); [fetch] allow_private_redirects = true allows it"
    )]
    Private { url: String, ip: IpAddr },
}

/// Whether a redirect to `to`, which resolved to `addrs`, may be followed. `origin_public`:
/// the source's own URL answered from a public address. A source configured on a local
/// address (a newsroom's internal feed) may redirect anywhere but to svodka itself.
pub fn check(to: &Url, addrs: &[IpAddr], origin_public: bool, own: &Own) -> Result<(), Refused> {
    let host = to.host_str().unwrap_or("");
    let port = to.port_or_known_default().unwrap_or(0);
    if own.is(host, port, addrs) {
        return Err(Refused::Own(without_credentials(to).to_string()));
    }
    if origin_public && let Some(&ip) = addrs.iter().find(|&&a| !is_public(a)) {
        return Err(Refused::Private {
            url: without_credentials(to).to_string(),
            ip,
        });
    }
    Ok(())
}

/// The addresses of a URL's host when it is written as one (`http://10.0.0.1/`,
/// `http://[::1]/`); `None` for a name, which the caller resolves.
pub fn literal(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(_) => None,
    }
}

/// `url` without a user name and password: what may be printed, logged or stored.
pub fn without_credentials(url: &Url) -> Url {
    let mut url = url.clone();
    if !url.username().is_empty() || url.password().is_some() {
        // Only URLs that cannot have credentials (`mailto:`) refuse these, and they have none.
        let _ = url.set_username("");
        let _ = url.set_password(None);
    }
    url
}

/// Whether `url` carries a user name or password.
pub fn has_credentials(url: &Url) -> bool {
    !url.username().is_empty() || url.password().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_internet_and_what_is_not() {
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "2a00:1450:4010:c0e::64",
            "100.128.0.1",
        ] {
            assert!(is_public(ip(public)), "{public}");
        }
        for inside in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
        ] {
            assert!(!is_public(ip(inside)), "{inside}");
        }
    }

    #[test]
    fn a_public_feed_cannot_redirect_inside_but_a_local_one_may() {
        let own = Own::new(
            "127.0.0.1:8080".parse().unwrap(),
            "https://news.example.org",
        );
        let url = |s: &str| Url::parse(s).unwrap();
        let check = |to: &str, addrs: &[&str], public: bool| {
            let addrs: Vec<IpAddr> = addrs.iter().map(|a| ip(a)).collect();
            check(&url(to), &addrs, public, &own)
        };
        // From a public origin: public is fine, anything inside is refused, by name or number.
        assert_eq!(
            check("https://cdn.example.net/rss", &["93.184.216.34"], true),
            Ok(())
        );
        for (to, addr) in [
            ("http://127.0.0.1:9000/feed", "127.0.0.1"),
            (
                "http://169.254.169.254/latest/meta-data/",
                "169.254.169.254",
            ),
            ("http://router.lan/", "192.168.0.1"),
            ("http://[::ffff:7f00:1]/", "::ffff:127.0.0.1"),
        ] {
            let refused = check(to, &[addr], true).unwrap_err();
            assert!(
                matches!(refused, Refused::Private { .. }),
                "{to}: {refused:?}"
            );
            assert!(refused.to_string().contains("allow_private_redirects"));
        }
        // A name that resolves to a public and a private address is refused too.
        assert!(
            check(
                "http://mixed.example/",
                &["93.184.216.34", "10.0.0.1"],
                true
            )
            .is_err()
        );
        // From a local origin (an internal feed): inside is fine ...
        assert_eq!(check("http://10.0.0.7/rss", &["10.0.0.7"], false), Ok(()));
        assert_eq!(
            check("http://127.0.0.1:9000/rss", &["127.0.0.1"], false),
            Ok(())
        );
        // ... but svodka itself never, by its listen address or its public name.
        for (to, addr) in [
            ("http://127.0.0.1:8080/feeds/all.rss", "127.0.0.1"),
            ("http://localhost:8080/metrics", "127.0.0.1"),
            ("https://NEWS.example.org/feeds/all.rss", "93.184.216.34"),
        ] {
            let refused = check(to, &[addr], false).unwrap_err();
            assert!(matches!(refused, Refused::Own(_)), "{to}: {refused:?}");
        }
        // `::1` is not 127.0.0.1: svodka listens on the IPv4 loopback only.
        assert!(check("http://[::1]:8080/", &["::1"], false).is_ok());
        // Listening everywhere: every local address on that port is svodka.
        let everywhere = Own::new("0.0.0.0:8080".parse().unwrap(), "http://0.0.0.0:8080");
        let at = |to: &str| super::check(&url(to), &[ip("10.0.0.2")], false, &everywhere);
        assert!(at("http://10.0.0.2:8080/metrics").is_err());
        assert!(at("http://10.0.0.2:8081/").is_ok());
        // Credentials never reach the message.
        let refused = check("http://user:secret@10.0.0.1/", &["10.0.0.1"], true).unwrap_err();
        assert!(!refused.to_string().contains("secret"), "{refused}");
    }

    #[test]
    fn credentials_are_taken_out() {
        let u = Url::parse("https://user:secret@feeds.example/rss?x=1").unwrap();
        assert!(has_credentials(&u));
        assert_eq!(
            without_credentials(&u).as_str(),
            "https://feeds.example/rss?x=1"
        );
        let only_user = Url::parse("http://user@feeds.example/").unwrap();
        assert_eq!(
            without_credentials(&only_user).as_str(),
            "http://feeds.example/"
        );
    }
}
