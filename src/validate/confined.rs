//! Confining what an issuer may vouch for. TS 24.371 leaves open how a third-party WAF
//! (one outside the home network) is trusted; trusting its signature for every home
//! subscriber would let any partner log anyone in. [`Confined`] wraps the validator of
//! one issuer (a [`crate::validate::ByIssuer`] route, say) with the IMPI realms, IMPU
//! domains and telephone-number ranges that issuer may name; a token naming anything
//! else is refused with [`ValidationError::OutsideConfinement`] (answered 403).

use std::sync::Arc;
use std::time::SystemTime;

use super::{Authorization, ValidationError, Validator, Verdict};
use crate::identity::Impu;
use crate::message::header::{Scheme, Uri};

/// A validator whose grants are checked against the identities its issuer may name.
/// Each list that is set restricts its kind of identity; one left unset does not.
///
/// ```
/// use sip_oauth::identity::{Impi, Impu};
/// use sip_oauth::validate::{Authorization, Confined, FixedValidator, ValidationError, Validator};
/// # let now = std::time::SystemTime::UNIX_EPOCH;
/// let mut partner = Authorization::new(Impi::try_from("ann@partner.example")?);
/// partner.impus.push(Impu::try_from("sip:ann@home.example")?);
/// let waf = Confined::new(FixedValidator::any(partner))
///     .impi_realms(["partner.example"])
///     .impu_domains(["partner.example"]);
/// assert_eq!(
///     waf.validate("t", now),
///     Err(ValidationError::OutsideConfinement { what: "impu" })
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Confined<V> {
    inner: V,
    impi_realms: Option<Vec<String>>,
    impu_domains: Option<Vec<String>>,
    tel_prefixes: Option<Vec<String>>,
}

impl<V: Validator> Confined<V> {
    /// `inner`, not yet confined.
    pub fn new(inner: V) -> Self {
        Confined {
            inner,
            impi_realms: None,
            impu_domains: None,
            tel_prefixes: None,
        }
    }

    /// The realms (after `@`, case-insensitive) the IMPI may be in.
    pub fn impi_realms<S: Into<String>>(mut self, realms: impl IntoIterator<Item = S>) -> Self {
        self.impi_realms = Some(realms.into_iter().map(Into::into).collect());
        self
    }

    /// The hosts (case-insensitive) a sip or sips IMPU may name.
    pub fn impu_domains<S: Into<String>>(mut self, domains: impl IntoIterator<Item = S>) -> Self {
        self.impu_domains = Some(domains.into_iter().map(Into::into).collect());
        self
    }

    /// The number ranges a tel IMPU (or a sip one with `user=phone`) may be in, as
    /// global-number prefixes (`+4930`; visual separators and spaces ignored). A local number is in
    /// no range.
    pub fn tel_prefixes<S: Into<String>>(mut self, prefixes: impl IntoIterator<Item = S>) -> Self {
        self.tel_prefixes = Some(prefixes.into_iter().map(Into::into).collect());
        self
    }

    /// Refuses a grant naming an identity outside the lists.
    fn check(&self, auth: Arc<Authorization>) -> Result<Arc<Authorization>, ValidationError> {
        if let Some(realms) = &self.impi_realms
            && !realms
                .iter()
                .any(|r| r.eq_ignore_ascii_case(auth.impi.realm()))
        {
            return Err(ValidationError::OutsideConfinement { what: "impi" });
        }
        for impu in &auth.impus {
            self.allows(impu)?;
        }
        Ok(auth)
    }

    fn allows(&self, impu: &Impu) -> Result<(), ValidationError> {
        let uri = Uri::parse(impu.as_str())
            .map_err(|_| ValidationError::OutsideConfinement { what: "impu" })?;
        let phone = uri
            .param("user")
            .and_then(|p| p.value)
            .is_some_and(|v| v.eq_ignore_ascii_case("phone"));
        match uri.scheme() {
            Scheme::Tel => self.number_allowed(uri.number()),
            Scheme::Sip | Scheme::Sips if phone => {
                let number = uri.user().map(|u| u.split(';').next().unwrap_or(u));
                self.number_allowed(number)?;
                self.domain_allowed(&uri)
            }
            _ => self.domain_allowed(&uri),
        }
    }

    fn domain_allowed(&self, uri: &Uri<'_>) -> Result<(), ValidationError> {
        match &self.impu_domains {
            Some(domains)
                if !uri
                    .host_str()
                    .is_some_and(|h| domains.iter().any(|d| d.eq_ignore_ascii_case(h))) =>
            {
                Err(ValidationError::OutsideConfinement { what: "impu" })
            }
            _ => Ok(()),
        }
    }

    fn number_allowed(&self, number: Option<&str>) -> Result<(), ValidationError> {
        let Some(prefixes) = &self.tel_prefixes else {
            return Ok(());
        };
        let digits = |s: &str| -> Vec<u8> {
            s.bytes()
                .filter(|b| !matches!(b, b'-' | b'.' | b'(' | b')' | b' '))
                .collect()
        };
        let inside = number.is_some_and(|n| {
            let n = digits(n);
            n.first() == Some(&b'+') && prefixes.iter().any(|p| n.starts_with(&digits(p)))
        });
        if inside {
            Ok(())
        } else {
            Err(ValidationError::OutsideConfinement { what: "tel impu" })
        }
    }
}

impl<V: Validator> Validator for Confined<V> {
    fn validate(
        &self,
        token: &str,
        now: SystemTime,
    ) -> Result<Arc<Authorization>, ValidationError> {
        self.check(self.inner.validate(token, now)?)
    }

    /// A verdict given later is the host's to check: complete it through a `Confined`
    /// (its [`Validator::validate`] on the grant) before handing it to the edge.
    fn verdict(&self, token: &str, now: SystemTime) -> Verdict {
        match self.inner.verdict(token, now) {
            Verdict::Now(r) => Verdict::Now(r.and_then(|a| self.check(a))),
            Verdict::Later => Verdict::Later,
        }
    }
}
